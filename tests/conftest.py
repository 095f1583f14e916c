"""Shared fixtures: where the repository and its datasets are (nothing outside the checkout)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.paths import DATASETS, REPO_ROOT, TOYS

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (the working directory for CLI subprocesses)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """The project's ``data/`` folder: the built-in sample and the three UCI datasets."""
    return DATASETS


@pytest.fixture(scope="session")
def toys_path() -> Path:
    """The built-in sample catalog."""
    return DATASETS / TOYS


@pytest.fixture(scope="session")
def toys_table(toys_path):
    """The toys catalog loaded once per session (read-only: do not mutate its frame)."""
    from core.data.io import load_table

    return load_table(toys_path)
