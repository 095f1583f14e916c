"""Where the tests find their files: everything they read lives in this repository."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Real public datasets shipped with the project (origin, license and checksums in its README).
DATASETS = REPO_ROOT / "data"
TOYS = "amazon_uk_toys_catalog.csv"
