"""Browser-test fixtures: one Streamlit server and one Chromium per session, a fresh context per test.

Mark every e2e module with ``pytestmark = pytest.mark.xdist_group("e2e")`` so that under
``pytest -n N --dist loadgroup`` all browser tests run on one worker and share one server (the deep-link
tests start a fresh server each and have a group of their own).
Artifacts (server log, failure screenshots) go to ``artifacts/e2e/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.harness import ROOT, browser, running_server

ARTIFACTS = ROOT / "artifacts" / "e2e"
VIEWPORT = {"width": 1440, "height": 1000}
DEFAULT_TIMEOUT_MS = 120_000  # first runs import heavy modules (umap, sklearn)
EXPECT_TIMEOUT_MS = 30_000


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def server_url(artifacts_dir) -> str:
    """URL of one ``streamlit run app.py`` shared by the session; its output goes to artifacts/e2e/."""
    with running_server(log=artifacts_dir / f"server-{_worker()}.log") as url:
        yield url


@pytest.fixture(scope="session")
def pw():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def chromium(pw):
    """Debian's headless Chromium (a missing browser is an error, not a skip)."""
    with browser(pw) as b:
        yield b


def new_context(chromium):
    """A fresh, isolated browser context as the tests use it (downloads on, 1440x1000)."""
    ctx = chromium.new_context(viewport=dict(VIEWPORT), accept_downloads=True)
    ctx.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return ctx


@pytest.fixture
def context(chromium, request, artifacts_dir):
    ctx = new_context(chromium)
    yield ctx
    _screenshot_on_failure(request, ctx, artifacts_dir)
    ctx.close()


@pytest.fixture
def page(context):
    """A new page in a fresh context (no cookies, no Streamlit session shared with other tests)."""
    return context.new_page()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep ``--dist loadgroup`` grouping on pytest 9.2 (pytest-dev/pytest-xdist#1386, fix pending in #1388).

    xdist tells its scheduler an item's group by appending ``@group`` to the node id, but it writes the
    legacy ``item._nodeid``, which pytest 9.2's structured node ids ignore: every e2e test then becomes
    its own unit, lands on any worker, and each worker starts its own server. Runs after xdist's hook and
    only when the suffix is missing, so it is a no-op once xdist is fixed (or on older pytest).
    """
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # older pytest: xdist's own rewrite works there
        return
    for item in items:
        groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                         for m in item.iter_markers("xdist_group")})
        if not groups or not isinstance(getattr(item, "_id", None), NodeId):
            continue
        if item.nodeid.rfind("@") > item.nodeid.rfind("]"):
            continue  # already grouped
        item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _screenshot_on_failure(request, ctx, artifacts_dir: Path) -> None:
    node = request.node
    failed = any(getattr(node, f"rep_{when}", None) is not None and getattr(node, f"rep_{when}").failed
                 for when in ("setup", "call"))
    if not failed:
        return
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", node.name)
    for i, pg in enumerate(ctx.pages):
        target = artifacts_dir / (f"{name}.png" if i == 0 else f"{name}-{i}.png")
        try:
            # The body does not scroll, stMain does: grow the viewport to show the whole page.
            height = pg.evaluate(
                "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                " return m ? m.scrollHeight : document.body.scrollHeight; }")
            pg.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], min(int(height), 12_000))})
            pg.screenshot(path=str(target), timeout=15_000)
        except Exception as exc:  # never hide the real failure behind a screenshot problem
            print(f"screenshot of {node.nodeid} failed: {exc}")
        else:
            print(f"screenshot: {target}")
