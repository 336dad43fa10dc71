"""``python -m hvguard``."""

from hvguard.cli.app import main

main()
