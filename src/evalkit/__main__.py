"""``python -m evalkit``: see :mod:`evalkit.cli`."""

import sys

from evalkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
