"""Answers: one async function per command, `(ctx, **options) -> Reply`, shared by Discord and the terminal.

A cog names its answer in the command's `extras={"answer": fn}`; the bot calls it for the interaction and
`sanctionsbot ask` calls it for the terminal, with the same option values.
"""
