"""Shared fixtures: where the repository and the shared datasets are."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

TOYS = "amazon_uk_toys_catalog.csv"


def _datasets_dir() -> Path | None:
    shared = (REPO_ROOT / ".." / "shared" / "datasets").resolve()
    return shared if shared.is_dir() else None


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (the working directory for CLI subprocesses)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """``../shared/datasets`` next to the repository; missing datasets fail the run (CI lays them
    beside the clone)."""
    path = _datasets_dir()
    if path is None:
        pytest.fail("../shared/datasets is not beside the repository; the dataset tests need it.")
    return path


@pytest.fixture(scope="session")
def toys_path() -> Path:
    """The toys catalog: the shared copy, else the project's data/ copy."""
    shared = _datasets_dir()
    if shared is not None and (shared / TOYS).is_file():
        return shared / TOYS
    local = REPO_ROOT / "data" / TOYS
    if not local.is_file():
        pytest.fail(f"the built-in sample {local} is missing from the repository")
    return local


@pytest.fixture(scope="session")
def toys_table(toys_path):
    """The toys catalog loaded once per session (read-only: do not mutate its frame)."""
    from core.io import load_table

    return load_table(toys_path)
