"""`python -m clearinghouse.bench import|http ...` (the same as `clearinghouse bench ...`)."""

from __future__ import annotations

import sys

from clearinghouse.bench import main

sys.exit(main(sys.argv[1:]))
