"""`python -m clearinghouse` is the same as the `clearinghouse` console script."""

from __future__ import annotations

import sys

from clearinghouse.cli import main

if __name__ == "__main__":
    sys.exit(main())
