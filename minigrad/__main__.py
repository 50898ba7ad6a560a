"""`python -m minigrad …`: the `minigrad` command, for when its script is not on PATH (a
Scripts/ or bin/ folder that the shell does not search)."""

import sys

from minigrad.cli import main

if __name__ == "__main__":  # not when imported (pytest's --doctest-modules imports every module)
    sys.exit(main())
