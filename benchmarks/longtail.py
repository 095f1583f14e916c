"""Write a long-tail catalog: the generator of the tests (:mod:`tests.longtail`) as a command.

    python benchmarks/longtail.py --rows 100000 --classes 2000 --out /tmp/x.csv   # or .parquet
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.longtail import *  # noqa: F403  (make_longtail, class_sizes, LABEL... for the benchmarks)
from tests.longtail import main

if __name__ == "__main__":
    main()
