"""Render: service results to what Discord takes (embeds, pages, files). Pure functions that know the limits."""
