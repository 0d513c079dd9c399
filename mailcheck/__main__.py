"""`python -m mailcheck` runs the command line."""

from .cli import run

run()
