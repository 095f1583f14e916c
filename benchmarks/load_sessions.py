"""Load script (not a test): strategy sessions, decompression bombs and evaluations on one server at once.

Starts its own ``streamlit run app.py`` on a free loopback port (``tests.e2e.harness.running_server``), then
drives ``--sessions`` Chromium contexts (one Streamlit session each), at most ``--concurrency`` at a time, of
three kinds interleaved in start order so that they overlap:

- ``--bombs`` (default 5) upload one hostile file each on the Data page (the generators of
  ``tests/core/test_bombs.py``, at most a few MB each): a gzip of ~2 GiB of one line, a zip whose CSV member
  unpacks to 384 MiB, an xlsx whose sheet unpacks to 384 MiB, a zip listing 1,000 files, a Parquet file
  declaring 50 million rows. Each must get the app's refusal (an error alert naming the file and the limit),
  no exception box and no table; reported apart: refused n/N, with the time from upload to refusal.
- ``--evaluations`` (default 5) open the app on its built-in sample, go to Evaluate, set Folds to 3 (and each
  its own row budget above the sample's size, so every evaluation is its own work, not a cache hit), press
  Evaluate and wait for the "Strategies x classifiers" results.
- the rest upload their own generated CSV (~2,000 rows, one class of 3 rows), open Strategies, run random
  over-sampling, SMOTE and random under-sampling (the small class random over-sampled) and wait for results.

Heavy jobs share the server's admission gate (``core/jobs.py``); a waiting page says "... is queued: number K
of N waiting", and each session records the queue notes it saw. The script reports each step's latency per
kind (p50, p95, max), the errors of the well-behaved (strategy and evaluation) sessions -- an exception box,
an error alert, a timeout; there must be none -- the bombs refused, and the server process tree's RSS
(sampled every 0.5 s). Exit code 1 when a well-behaved session failed, a bomb was not refused or the hard
timeout struck.

The server runs with its default limits (4 GiB unpacked within half the free memory, growth at most 200
times): every bomb is stopped by the growth ratio or the member count. ``--max-unpacked-mb`` sets
``SKEWLAB_MAX_UNPACKED_MB`` (e.g. 256: the size limit stops most of them first). ``--slots`` sets
``SKEWLAB_HEAVY_JOBS`` (default: the server's own, one per two cores).

    .venv/bin/python benchmarks/load_sessions.py          # 20 sessions: 10 strategies, 5 bombs, 5 evaluations
    .venv/bin/python benchmarks/load_sessions.py --sessions 6 --bombs 2 --evaluations 2

Bounded: ``--timeout`` for the whole run (default 1200 s), 120 s per light step, ``--heavy-timeout`` (600 s)
for a step waiting for heavy work (queue included). Server log: ``artifacts/load_sessions-server.log``; a
failed session's screenshot: ``artifacts/load_sessions-error-NN.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright, expect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))

from core.jobs import slots as default_slots  # noqa: E402
from tests.core.test_bombs import gzip_bomb, parquet_bomb, xlsx_bomb, zip_bomb, zip_of_many  # noqa: E402
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402

STEP_TIMEOUT_MS = 120_000
STRATEGIES = ["Random over-sampling · over-sampling", "SMOTE · over-sampling", "Random under-sampling · under-sampling"]
STEPS = {  # per kind, the timed steps in order
    "strategies": ["open Data", "upload -> Data ready", "open Strategies", "run -> results"],
    "evaluation": ["open app (sample)", "open Evaluate", "evaluate -> results"],
    "bomb": ["open Data", "upload -> refusal"],
}
WELL_BEHAVED = ("strategies", "evaluation")
EXCEPTION = '[data-testid="stException"]'
ERROR = '[data-testid="stAlertContentError"]'
PAGE_PATHS = {"Data": "/", "Strategies": "/strategies", "Evaluate": "/evaluate"}
WORDS = "wooden soft classic mini deluxe kit puzzle big little set travel family glow magnetic retro".split()
#: The hostile files, in the order the bomb sessions take them: (kind, file name, generator).
BOMBS = [("gzip", "bomb.csv.gz", gzip_bomb), ("zip", "bomb.zip", zip_bomb), ("xlsx", "bomb.xlsx", xlsx_bomb),
         ("members", "many.zip", zip_of_many), ("parquet", "bomb.parquet", parquet_bomb)]
#: What a refusal says: the unpacked-size limit, the expansion ratio or the member count.
REFUSAL = re.compile(r"unpacked-size limit|grows more than [\d,.]+ times|more than [\d,.]+ times its size|opens archives of at most \d+")
#: Seen by a page-side watcher (every 100 ms) while a heavy job waits for its slot.
QUEUE_WATCH = r"""() => { if (window.__skewlabQueue) return; const seen = window.__skewlabQueue = [];
  setInterval(() => { for (const el of document.querySelectorAll('[data-testid="stAlert"]')) {
    const m = (el.textContent || '').match(/(Evaluation|Strategy run|Map|Search) is queued: number \d+ of \d+ waiting/);
    if (m && !seen.includes(m[0]) && seen.length < 200) seen.push(m[0]); } }, 100); }"""


# ----------------------------------------------------------------------------------- data


def write_catalog(folder: Path, i: int) -> tuple[Path, int, int]:
    """Session ``i``'s catalog: ~2,000 rows, 12 classes of Zipf-like sizes plus one class of 3 rows."""
    rng = random.Random(1000 + i)
    n_target = 2000 + 13 * i
    weights = [1 / (k + 1) ** 1.1 for k in range(12)]
    sizes = [max(int(w / sum(weights) * (n_target - 3)), 8) for w in weights]
    sizes[0] += n_target - 3 - sum(sizes)
    sizes.append(3)
    names = [f"S{i:02d} class {k:02d}" for k in range(len(sizes))]
    rows = []
    for k, (name, n) in enumerate(zip(names, sizes)):
        for _ in range(n):
            rows.append([f"{rng.gauss(10 + 5 * k, 3):.2f}", str(rng.randint(0, 50 + k)), rng.choice("ABCDE"),
                         " ".join(rng.choice(WORDS) for _ in range(3)), name])
    rng.shuffle(rows)
    path = folder / f"catalog-{i:02d}.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["sku", "price", "stock", "grade", "title", "category"])
        for j, row in enumerate(rows):
            w.writerow([f"S{i:02d}-{j:05d}", *row])
    return path, len(rows), len(sizes)


def write_bombs(folder: Path, n: int) -> list[tuple[str, Path]]:
    """The first ``n`` kinds of :data:`BOMBS` (cycled past five), written in parallel (zlib frees the GIL)."""
    chosen = [BOMBS[k % len(BOMBS)] for k in range(n)]
    kinds = {kind: (name, make) for kind, name, make in chosen}
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda item: item[1][1](folder / item[1][0]), kinds.items()))
    return [(kind, folder / name) for kind, name, _ in chosen]


def plan(n: int, bombs: int, evaluations: int) -> list[str]:
    """Session kinds in start order, each kind spread evenly over the run (so that the kinds overlap)."""
    counts = {"strategies": n - bombs - evaluations, "bomb": bombs, "evaluation": evaluations}
    order = {kind: k for k, kind in enumerate(counts)}
    slots_ = [((j + 0.5) / c, order[kind], kind) for kind, c in counts.items() for j in range(c)]
    return [kind for *_, kind in sorted(slots_)]


# ----------------------------------------------------------------------------------- memory


class RssSampler(threading.Thread):
    """Peak RSS (MB) of the streamlit process and its descendants, sampled every ``interval`` s."""

    def __init__(self, interval: float = 0.5):
        super().__init__(daemon=True)
        self.interval, self.peak, self.first, self.samples = interval, 0.0, None, 0
        self._halt = threading.Event()
        self.server = self._find_server()

    @staticmethod
    def _find_server() -> psutil.Process:
        for child in psutil.Process().children(recursive=True):
            try:
                cmd = child.cmdline()
            except psutil.Error:
                continue
            if "streamlit" in cmd and "run" in cmd:
                return child
        raise RuntimeError("streamlit server process not found")

    def rss_mb(self) -> float:
        total = 0
        for proc in [self.server, *self.server.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        return total / 1024**2

    def run(self) -> None:
        while not self._halt.is_set():
            mb = self.rss_mb()
            self.first = mb if self.first is None else self.first
            self.peak = max(self.peak, mb)
            self.samples += 1
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


# ----------------------------------------------------------------------------------- browser steps


async def wait_idle(page, timeout: float = STEP_TIMEOUT_MS) -> None:
    await page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout)
    await page.wait_for_timeout(300)
    await page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    await page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout)


async def no_exception(page, step: str) -> None:
    if await page.locator(EXCEPTION).count():
        text = (await page.locator(EXCEPTION).first.inner_text())[:300]
        raise RuntimeError(f"{step}: uncaught exception shown: {text}")


async def no_error(page, step: str) -> None:
    await no_exception(page, step)
    errors = await page.locator(ERROR).all_inner_texts()
    if errors:
        raise RuntimeError(f"{step}: error shown: " + " | ".join(alert_text(e)[:300] for e in errors))


def alert_text(text: str) -> str:
    """An alert's text on one line, without its icon's name (the icon font draws the word "error")."""
    return re.sub(r"^error\s+", "", " ".join(text.split()))


def metric(page, label: str):
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True))
    return card.locator('[data-testid="stMetricValue"]')


async def open_app(page, url: str) -> None:
    """The app's root (the Data page): wait until a catalog is loaded and shown."""
    await page.goto(url + PAGE_PATHS["Data"])
    await wait_idle(page)
    await expect(metric(page, "Rows")).to_be_visible()
    await no_error(page, "open app")


async def open_page(page, label: str, timeout: float = STEP_TIMEOUT_MS) -> None:
    """Switch page through the sidebar link (keeps the session); the URL keeps the session's ``?s=`` token."""
    await page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]').filter(
        has=page.get_by_text(label, exact=True)).click()
    path = re.escape(PAGE_PATHS[label].rstrip("/"))
    await expect(page).to_have_url(re.compile(rf"^https?://[^/]+{path}/?(\?.*)?$"), timeout=timeout)
    await wait_idle(page, timeout)


def begin(rec: dict, step: str) -> float:
    rec["step"] = step
    return time.perf_counter()


def took(rec: dict, step: str, t: float) -> None:
    rec["steps"][step] = time.perf_counter() - t


async def choose_upload(page) -> None:
    await page.locator('[data-testid="stRadioOption"]').filter(
        has=page.get_by_text("Upload a file", exact=True)).click()
    await wait_idle(page)


# ----------------------------------------------------------------------------------- the three kinds


async def strategies_session(page, url: str, rec: dict, folder: Path, heavy_ms: float) -> None:
    """Upload a generated catalog, open Strategies, run three strategies, see their results."""
    path, n_rows, n_classes = write_catalog(folder, rec["session"])
    t = begin(rec, "open Data")
    await open_app(page, url)
    took(rec, rec["step"], t)

    await choose_upload(page)
    t = begin(rec, "upload -> Data ready")
    await page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    await expect(metric(page, "Rows")).to_have_text(f"{n_rows:,}")
    await wait_idle(page)
    await expect(page.get_by_text(f"{n_classes} classes", exact=True)).to_be_visible()
    await no_exception(page, rec["step"])
    took(rec, rec["step"], t)

    t = begin(rec, "open Strategies")
    await open_page(page, "Strategies")
    await no_exception(page, rec["step"])
    took(rec, rec["step"], t)

    begin(rec, "settings")  # not timed: exactly three strategies, the small class random over-sampled
    await pick_strategies(page)

    await page.evaluate(QUEUE_WATCH)
    t = begin(rec, "run -> results")
    await page.get_by_role("button", name="Run strategies").click()
    await wait_idle(page, heavy_ms)
    for label in STRATEGIES:  # each strategy's detail expander: "SMOTE · 0.04 s" (or "· failed")
        name = re.escape(label.split(" · ")[0])
        done = page.locator('[data-testid="stExpander"] summary').filter(
            has_text=re.compile(rf"{name} · (\d+\.\d\d s|failed)$"))
        await expect(done).to_have_count(1, timeout=heavy_ms)
    took(rec, rec["step"], t)
    await no_error(page, rec["step"])


async def pick_strategies(page) -> None:
    """After each change wait for the server's answer, not only for the tag the browser draws at once: a
    pick made before the previous rerun lands can hit a moved list (first entry: "Select all")."""
    box = page.locator('[data-testid="stMultiSelect"]').filter(
        has=page.locator('input[aria-label="Strategies to compare"]'))
    await box.get_by_role("button", name="Clear all").click()
    await expect(page.get_by_text("Pick at least one strategy.", exact=True)).to_be_visible()
    await wait_idle(page)
    field = box.locator('input[role="combobox"]')
    for k, label in enumerate(STRATEGIES, start=1):
        name = label.split(" · ")[0]
        await field.click()
        await field.fill(name)
        await page.get_by_role("option", name=label, exact=True).click()
        await expect(box.locator("[data-tag]")).to_have_count(k)
        tune = page.locator('[data-testid="stExpander"] summary [data-testid="stMarkdownContainer"]').filter(
            has_text=re.compile(rf"^{re.escape(name)}( · .*)?$"))
        await expect(tune).to_have_count(1)
        await wait_idle(page)
    await page.keyboard.press("Escape")
    await expect(box.locator("[data-tag]")).to_have_count(3)
    await page.locator('[data-testid="stRadioOption"]').filter(
        has=page.get_by_text("Random over-sample them instead", exact=True)).click()
    await wait_idle(page)
    await expect(page.get_by_role("radio", name="Random over-sample them instead")).to_be_checked()
    tags = [" ".join(t.split()) for t in await box.locator("[data-tag]").all_inner_texts()]
    if tags != STRATEGIES:
        raise RuntimeError(f"strategies shown before Run: {tags}")


async def set_number(page, name: str, value: int) -> None:
    box = page.get_by_role("spinbutton", name=name)
    await box.fill(str(value))
    await box.press("Enter")
    await wait_idle(page)
    await expect(box).to_have_value(str(value))


async def evaluation_session(page, url: str, rec: dict, budget: int, heavy_ms: float) -> None:
    """The built-in sample, Evaluate with 3 folds (and its own row budget), wait for the results."""
    t = begin(rec, "open app (sample)")
    await open_app(page, url)
    took(rec, rec["step"], t)

    t = begin(rec, "open Evaluate")
    await open_page(page, "Evaluate", heavy_ms)  # the sample's feature space is built here (not gated)
    await no_error(page, rec["step"])
    took(rec, rec["step"], t)

    begin(rec, "settings")
    await set_number(page, "Folds", 3)
    await set_number(page, "Row budget", budget)
    await no_error(page, rec["step"])

    await page.evaluate(QUEUE_WATCH)
    t = begin(rec, "evaluate -> results")
    await page.get_by_role("button", name="Evaluate", exact=True).click()
    await expect(page.get_by_role("heading", name="Strategies x classifiers")).to_be_visible(timeout=heavy_ms)
    took(rec, rec["step"], t)
    await wait_idle(page, heavy_ms)
    await expect(page.get_by_text(re.compile(r"^Evaluated on all [\d,]+ labelled rows\.$"))).to_be_visible()
    await no_error(page, rec["step"])


async def bomb_session(page, url: str, rec: dict, path: Path) -> None:
    """Upload one hostile file; the outcome (refused, accepted, crashed, no answer) goes into ``rec``."""
    t = begin(rec, "open Data")
    await open_app(page, url)
    took(rec, rec["step"], t)
    await choose_upload(page)

    t = begin(rec, "upload -> refusal")
    await page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    outcome, text = await bomb_outcome(page, path.name, STEP_TIMEOUT_MS / 1000)
    rec["outcome"], rec["message"] = outcome, text
    if outcome != "refused":
        raise RuntimeError(f"{outcome}: {text}")
    took(rec, rec["step"], t)
    await wait_idle(page)
    await no_exception(page, rec["step"])
    if await metric(page, "Rows").count():
        raise RuntimeError("a table is shown after the refusal")


async def bomb_outcome(page, name: str, timeout_s: float) -> tuple[str, str]:
    """What the Data page answered to an upload of ``name``: refused (an error naming the file and a limit),
    other error, exception, accepted (its table shown: the Format metric is no longer the sample's "CSV")."""
    deadline = time.monotonic() + timeout_s
    while True:
        if await page.locator(EXCEPTION).count():
            return "exception", " ".join((await page.locator(EXCEPTION).first.inner_text()).split())[:300]
        errors = [alert_text(e) for e in await page.locator(ERROR).all_inner_texts()]
        if errors:
            ok = any(name in e and REFUSAL.search(e) for e in errors)
            return ("refused" if ok else "other error"), " | ".join(e[:300] for e in errors)
        fmt = metric(page, "Format")
        try:  # the sample's metrics may vanish between the count and the read (the page reruns): look again
            if await fmt.count() and (shown := (await fmt.inner_text(timeout=1_000)).strip()) != "CSV":
                rows = await metric(page, "Rows").inner_text(timeout=1_000)
                return "accepted", f"loaded as {shown}, {rows.strip()} rows"
        except PlaywrightTimeout:
            pass
        if time.monotonic() > deadline:
            return "no answer", f"neither a refusal nor a table after {timeout_s:.0f} s"
        await page.wait_for_timeout(250)


# ----------------------------------------------------------------------------------- running


async def run_session(rec: dict, body, browser, sem: asyncio.Semaphore) -> None:
    """One browser context through ``body(page, rec)``; a failed step is a result, not a crash of the run."""
    async with sem:
        ctx = await browser.new_context(viewport={"width": 1440, "height": 1000})
        ctx.set_default_timeout(STEP_TIMEOUT_MS)
        page = await ctx.new_page()
        try:
            try:
                await body(page, rec)
            except Exception as exc:
                message = " ".join(str(exc).split())
                rec["error"] = f"session {rec['session']} ({rec['kind']}), step '{rec['step']}': " \
                               f"{type(exc).__name__}: {message[:500]}"
                shot = ROOT / "artifacts" / f"load_sessions-error-{rec['session']:02d}.png"
                with contextlib.suppress(Exception):
                    await page.screenshot(path=str(shot), full_page=True, timeout=15_000)
                    rec["error"] += f" (screenshot {shot.relative_to(ROOT)})"
            rec["done"] = True  # not reached when the hard timeout cancels the session
        finally:
            with contextlib.suppress(Exception):
                rec["queue"] = await page.evaluate("window.__skewlabQueue || []")
            await ctx.close()


async def drive(url: str, records: list[dict], args, folder: Path, bombs: list[tuple[str, Path]]) -> None:
    expect.set_options(timeout=STEP_TIMEOUT_MS)  # every expect without its own timeout: a light step's limit
    heavy_ms = args.heavy_timeout * 1000
    sem = asyncio.Semaphore(args.concurrency)
    n_bomb = n_eval = 0
    bodies = []
    for rec in records:
        if rec["kind"] == "bomb":
            rec["bomb"], path = bombs[n_bomb]
            rec["file"], rec["size"] = path.name, path.stat().st_size
            bodies.append(lambda page, rec, path=path: bomb_session(page, url, rec, path))
            n_bomb += 1
        elif rec["kind"] == "evaluation":
            budget = 300_000 - 5_000 * n_eval  # above the sample's rows: the same work, its own cache key
            bodies.append(lambda page, rec, b=budget: evaluation_session(page, url, rec, b, heavy_ms))
            n_eval += 1
        else:
            bodies.append(lambda page, rec: strategies_session(page, url, rec, folder, heavy_ms))
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(run_session(rec, body, browser, sem) for rec, body in zip(records, bodies)))
        finally:
            await browser.close()


# ----------------------------------------------------------------------------------- report


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))]


def latency_table(records: list[dict]) -> None:
    print(f"{'kind':<12}{'step':<24}{'n':>4}{'p50 (s)':>10}{'p95 (s)':>10}{'max (s)':>10}")
    for kind, steps in STEPS.items():
        for step in steps if any(r["kind"] == kind for r in records) else []:
            vals = [r["steps"][step] for r in records if r["kind"] == kind and step in r["steps"]]
            if vals:
                print(f"{kind:<12}{step:<24}{len(vals):>4}{statistics.median(vals):>10.2f}"
                      f"{pct(vals, 0.95):>10.2f}{max(vals):>10.2f}")
            else:
                print(f"{kind:<12}{step:<24}{0:>4}{'-':>10}{'-':>10}{'-':>10}")


def queue_words(rec: dict) -> str:
    notes = rec.get("queue") or []
    if not notes:
        return "no queue note"
    deepest = max(notes, key=lambda s: [int(x) for x in re.findall(r"\d+", s)])
    return f"queued ({len(notes)} distinct notes; deepest: {deepest})"


def report(records: list[dict], timed_out: bool, args) -> bool:
    """Print the results; True when the run passed."""
    for r in records:
        if not r["done"] and not r["error"]:
            r["error"] = f"session {r['session']} ({r['kind']}): did not finish" + (
                f" (step '{r['step']}' when the hard timeout struck)" if r["step"] else " (never started)")
    latency_table(records)
    good = [r for r in records if r["kind"] in WELL_BEHAVED]
    errors = [r["error"] for r in good if r["error"]]
    print(f"\nwell-behaved sessions (strategies + evaluations): {len(good)}, completed without error: "
          f"{len(good) - len(errors)}, errors: {len(errors)}")
    for e in errors:
        print(f"  {e}")
    print("evaluation sessions (click -> results; queue notes seen while waiting):")
    for r in (r for r in records if r["kind"] == "evaluation"):
        took_s = r["steps"].get("evaluate -> results")
        print(f"  session {r['session']:>2}: {'-' if took_s is None else f'{took_s:.1f} s':>8}; {queue_words(r)}")
    strat = [r for r in records if r["kind"] == "strategies"]
    print(f"strategy sessions that saw a queue note: {sum(bool(r.get('queue')) for r in strat)}/{len(strat)}")
    bombs = [r for r in records if r["kind"] == "bomb"]
    refused = [r for r in bombs if r.get("outcome") == "refused" and not r["error"]]
    print(f"bombs refused correctly: {len(refused)}/{len(bombs)}")
    for r in bombs:
        t = r["steps"].get("upload -> refusal")
        verdict = f"refused in {t:.2f} s" if r in refused else f"NOT REFUSED: {r['error']}"
        print(f"  session {r['session']:>2} {r['bomb']:<8}{r['file']:<14}{r['size'] / 1024**2:>6.2f} MB: {verdict}")
        if r.get("message"):
            print(f"      shown: {r['message'][:260]}")
    if timed_out:
        print(f"HARD TIMEOUT after {args.timeout:.0f} s")
    return not errors and len(refused) == len(bombs) and not timed_out


def server_settings(args) -> tuple[dict, str]:
    """Environment for the server and a line describing the settings in effect."""
    env = {}
    if args.max_unpacked_mb > 0:
        env["SKEWLAB_MAX_UNPACKED_MB"] = f"{args.max_unpacked_mb:g}"
    if args.slots > 0:
        env["SKEWLAB_HEAVY_JOBS"] = str(args.slots)
    n_slots = args.slots or default_slots()  # the server computes it so, on the same machine and environment
    upload = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["server"]["maxUploadSize"]
    unpacked = env.get("SKEWLAB_MAX_UNPACKED_MB") or os.environ.get("SKEWLAB_MAX_UNPACKED_MB") or "unset (server default)"
    how = "SKEWLAB_HEAVY_JOBS" if args.slots > 0 else f"server default, one per two of {os.cpu_count()} cores"
    return env, (f"server: heavy-job slots {n_slots} ({how}); SKEWLAB_MAX_UNPACKED_MB={unpacked}; "
                 f"upload limit {upload} MB (server.maxUploadSize)")


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20, help="all sessions, of every kind")
    ap.add_argument("--bombs", type=int, default=5, help="sessions uploading a decompression bomb")
    ap.add_argument("--evaluations", type=int, default=5, help="sessions running an evaluation")
    ap.add_argument("--concurrency", type=int, default=5, help="pages driven at once (2 cores: keep it small)")
    ap.add_argument("--timeout", type=float, default=1200, help="hard limit for the whole run, seconds")
    ap.add_argument("--heavy-timeout", type=float, default=600, help="limit of a step waiting for heavy work, s")
    ap.add_argument("--max-unpacked-mb", type=float, default=0, help="server's SKEWLAB_MAX_UNPACKED_MB (0: default)")
    ap.add_argument("--slots", type=int, default=0, help="server's SKEWLAB_HEAVY_JOBS (0: its default)")
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 200 or not 1 <= args.concurrency <= 20:
        ap.error("--sessions must be 1..200 and --concurrency 1..20")
    if args.bombs < 0 or args.evaluations < 0 or args.bombs + args.evaluations > args.sessions:
        ap.error("--bombs and --evaluations must be >= 0 and together at most --sessions")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    env, settings = server_settings(args)
    kinds = plan(args.sessions, args.bombs, args.evaluations)
    records = [{"session": i, "kind": kind, "steps": {}, "error": None, "done": False, "step": None}
               for i, kind in enumerate(kinds)]
    log = ROOT / "artifacts" / "load_sessions-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        bombs = write_bombs(Path(tmp), args.bombs)
        made = time.perf_counter() - started
        with running_server(env=env, log=log) as url:
            sampler = RssSampler()
            sampler.start()
            try:
                asyncio.run(asyncio.wait_for(drive(url, records, args, Path(tmp), bombs), timeout=args.timeout))
                timed_out = False
            except TimeoutError:
                timed_out = True
            finally:
                sampler.stop()
    wall = time.perf_counter() - started
    counts = {k: kinds.count(k) for k in ("strategies", "bomb", "evaluation")}
    print(f"sessions: {args.sessions} ({counts['strategies']} upload + strategies, {counts['bomb']} bombs, "
          f"{counts['evaluation']} evaluations), concurrency {args.concurrency}; start order: "
          + "".join(k[0].upper() for k in kinds) + " (S strategies, B bomb, E evaluation)")
    print(settings)
    print(f"bomb files written in {made:.1f} s; wall time {wall:.1f} s (incl. bomb files and server start)\n")
    passed = report(records, timed_out, args)
    print(f"server RSS (process tree): first sample {sampler.first or 0:.0f} MB, peak {sampler.peak:.0f} MB "
          f"({sampler.samples} samples every {sampler.interval} s)")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
