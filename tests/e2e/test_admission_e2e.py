"""Three sessions on one server that runs one heavy job at a time (``SKEWLAB_HEAVY_JOBS=1``, issue 19).

Session A starts an evaluation of the built-in sample. Session B starts another (other folds, so it is
not the same cached work) and sees that it is queued, number 1 of 1. Meanwhile session C uses the Data
and Skew pages: they render (light pages never queue). B gives up its place with Stop; A stops its
running evaluation, which frees the slot: B's next evaluation starts at once, with no queue note.

A closed browser tab mid-evaluation stops the evaluation too: its worker processes exit and its matrix
folder in /dev/shm is removed, and the slot it held is free for the next session.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlparse

import psutil
import pytest
from playwright.sync_api import Page, expect

from tests.core.test_worker_cleanup import until
from tests.e2e.harness import running_server
from tests.e2e.helpers import EXCEPTION, no_exception, open_page, set_number, wait_idle

pytestmark = pytest.mark.xdist_group("admission")  # a server of its own, with one heavy slot

QUEUED = re.compile(r"Evaluation is queued: number 1 of 1 waiting")


@pytest.fixture(scope="module")
def gated_url(artifacts_dir):
    with running_server(env={"SKEWLAB_HEAVY_JOBS": "1"}, log=artifacts_dir / "server-admission.log") as url:
        yield url


def _session(browser_instance, url: str) -> Page:
    context = browser_instance.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(120_000)
    page = context.new_page()
    page.goto(url)
    wait_idle(page)
    no_exception(page)
    return page


def _evaluate(page: Page, folds: int, repeats: int = 1) -> None:
    """Evaluate page: set folds and repeats and press Evaluate (not waiting for the run: it may queue)."""
    open_page(page, "Evaluate")
    set_number(page, "Folds", folds)
    set_number(page, "Repeats", repeats)
    page.get_by_role("button", name="Evaluate", exact=True).click()


def test_a_queued_session_sees_its_place_light_pages_respond_and_stop_frees_the_slot(chromium, gated_url):
    a, b, c = (_session(chromium, gated_url) for _ in range(3))
    try:
        _evaluate(a, folds=5, repeats=5)  # long enough to still run while B asks (it is stopped below)
        a_stop = a.get_by_role("button", name="Stop")
        expect(a_stop).to_be_visible(timeout=60_000)  # A runs

        _evaluate(b, folds=4)
        expect(b.get_by_text(QUEUED)).to_be_visible(timeout=60_000)  # B waits behind A and says so
        # ... with when it should start, from A's estimate (the Evaluate page's own)
        expect(b.get_by_text(re.compile(r"Expected to start in about (\d+ s|\d+ min \d\d s) \(from the estimates of "
                                        r"the jobs ahead\)"))).to_be_visible()
        expect(a.get_by_text(QUEUED)).to_have_count(0)

        # C: the light pages answer while A runs and B waits
        expect(c.get_by_text("classes", exact=False).first).to_be_visible()
        open_page(c, "Skew")
        no_exception(c)
        expect(c.locator('[data-testid="stPlotlyChart"]').first).to_be_visible(timeout=60_000)
        expect(b.get_by_text(QUEUED)).to_be_visible()  # B still waiting: A has not finished

        # B gives up its place
        b.get_by_role("button", name="Stop").click()
        expect(b.get_by_text(QUEUED)).to_have_count(0, timeout=30_000)
        expect(b.get_by_text("Evaluation stopped", exact=False)).to_be_visible()

        # A stops its run: the slot is free, and B's next evaluation starts without queueing
        a_stop.click()
        expect(a.get_by_text("Evaluation stopped", exact=False)).to_be_visible(timeout=60_000)
        b.get_by_role("button", name="Evaluate", exact=True).click()
        expect(b.get_by_role("button", name="Stop")).to_be_visible(timeout=60_000)
        expect(b.get_by_text(QUEUED)).to_have_count(0)
        b.get_by_role("button", name="Stop").click()
        expect(b.get_by_text("Evaluation stopped", exact=False)).to_be_visible(timeout=60_000)
        for page in (a, b, c):
            expect(page.locator(EXCEPTION)).to_have_count(0)
    finally:
        for page in (a, b, c):
            page.context.close()


def _server(url: str) -> psutil.Process:
    """The ``streamlit run`` process serving ``url`` (found by its port)."""
    port = str(urlparse(url).port)
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if "streamlit" in " ".join(cmd) and "--server.port" in cmd and cmd[cmd.index("--server.port") + 1] == port:
            return proc
    raise AssertionError(f"no streamlit process serves port {port}")


def _workers(server: psutil.Process) -> set[int]:
    """The server's evaluation worker processes (loky's resource tracker is not one: it outlives evaluations)."""
    found = set()
    for child in server.children(recursive=True):
        try:
            if "resource_tracker" not in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                found.add(child.pid)
        except psutil.NoSuchProcess:
            pass
    return found


def _matrix_folders(server: psutil.Process) -> list[str]:
    return sorted(n for n in os.listdir("/dev/shm") if n.startswith(f"skewlab-eval-{server.pid}-"))


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="no /dev/shm on this system")
def test_a_closed_tab_mid_evaluation_leaves_no_worker_and_no_shared_memory(chromium, gated_url):
    server = _server(gated_url)
    before = _workers(server)
    page = _session(chromium, gated_url)
    closed = False
    try:
        _evaluate(page, folds=5, repeats=5)
        expect(page.get_by_role("button", name="Stop")).to_be_visible(timeout=60_000)
        assert until(lambda: len(_workers(server) - before) >= 2 and _matrix_folders(server), 120), \
            "the evaluation never started its two workers"
        started = _workers(server) - before
        page.context.close()  # the analyst closes the tab mid-run
        closed = True
    finally:
        if not closed:
            page.context.close()

    def alive() -> list[int]:
        return [pid for pid in started if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]

    assert until(lambda: not alive() and not _matrix_folders(server), 60), (alive(), _matrix_folders(server))
    # the slot it held is free: another session's evaluation starts without queueing
    other = _session(chromium, gated_url)
    try:
        _evaluate(other, folds=3)
        expect(other.get_by_role("button", name="Stop")).to_be_visible(timeout=60_000)
        expect(other.get_by_text(QUEUED)).to_have_count(0)
        other.get_by_role("button", name="Stop").click()
        expect(other.get_by_text("Evaluation stopped", exact=False)).to_be_visible(timeout=60_000)
        expect(other.locator(EXCEPTION)).to_have_count(0)
    finally:
        other.context.close()
