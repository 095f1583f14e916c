"""AppTest helpers: every page test starts from app.py like a browser would."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
os.environ["SKEWLAB_WARMUP"] = "0"  # the background UMAP warm-up is for servers, not for AppTests


def open_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def goto(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    goto(at, "0_Data")
    at.radio(key="source_kind").set_value("Upload a file").run()
    at.file_uploader(key="uploader").set_value((name, data, mime)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def app() -> AppTest:
    return open_app()
