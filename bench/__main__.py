"""`python -m bench [--quick]`: every target of issue 12 beside its floor, in one run (see bench/suite.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the benchmarks import their helpers as top-level modules

from suite import main

sys.exit(main())
