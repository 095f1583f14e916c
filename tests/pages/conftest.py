"""AppTest helpers: every page test starts from app.py like a browser would."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import nav

ROOT = Path(__file__).resolve().parents[2]
os.environ["SKEWLAB_WARMUP"] = "0"  # the background UMAP warm-up is for servers, not for AppTests
# reloads are kept in a folder of the test run's own (ui/persist.py), not in the machine's temporary folder
os.environ.setdefault("SKEWLAB_STORE_DIR", tempfile.mkdtemp(prefix="skewlab-test-store-"))


def open_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def goto(at: AppTest, title: str) -> AppTest:
    """Switch to the page titled ``title`` ("Data", "Skew", ...) as its sidebar link does, and run it."""
    at.switch_page(next(step.script for step in nav.STEPS if step.title == title)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    goto(at, "Data")
    at.radio(key="source_kind").set_value("Upload a file").run()
    at.file_uploader(key="uploader").set_value((name, data, mime)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def app() -> AppTest:
    return open_app()
