"""sanctionsbot: answers about UN Security Council sanctions, on Discord and in the terminal."""

__version__ = "0.1.0"
