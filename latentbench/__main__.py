"""``python -m latentbench``: the ``latentbench`` command."""

import sys

from latentbench.cli import main

if __name__ == "__main__":
    sys.exit(main())
