"""`python -m lfs_ayats` runs the command line."""

from .cli import main

main()
