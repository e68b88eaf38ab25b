"""`python -m services.cli`: the `healthmon` command."""

from services.cli import main

main()
