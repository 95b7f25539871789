"""The command line: commands and exit codes (commands.py), what they print (terminal.py). Nothing imports cli."""

from archiver.cli.commands import main

__all__ = ["main"]
