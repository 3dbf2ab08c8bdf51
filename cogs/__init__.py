"""discord.py extensions, one per command group. Thin: parse options, call the answer, send what it returns."""
