"""Load script (not a test): many browser sessions through upload and the Strategies page on one server.

Starts its own ``streamlit run app.py`` on a free loopback port (``tests.e2e.harness.running_server``), then
drives ``--sessions`` Chromium contexts (one Streamlit session each), at most ``--concurrency`` at a time.
Each session uploads its own generated CSV (~2,000 rows, different class names and row counts, one class
of 3 rows), waits for the Data page, opens Strategies, picks random over-sampling, SMOTE and random
under-sampling, lets the small class be random over-sampled, presses Run strategies and waits for the
results. It records each step's latency, every error (an uncaught exception box, a strategy error, a
timeout), and samples the server process tree's RSS every 0.5 s.

    .venv/bin/python benchmarks/load_sessions.py --sessions 20

Bounded: a hard timeout for the whole run (``--timeout``, default 900 s) and 120 s per step.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))

from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402

STEP_TIMEOUT_MS = 120_000
STRATEGIES = ["Random over-sampling · over-sampling", "SMOTE · over-sampling", "Random under-sampling · under-sampling"]
STEPS = ["open Data", "upload -> Data ready", "open Strategies", "run -> results"]
EXCEPTION = '[data-testid="stException"]'
WORDS = "wooden soft classic mini deluxe kit puzzle big little set travel family glow magnetic retro".split()


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


async def wait_idle(page) -> None:
    await page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    await page.wait_for_timeout(300)
    await page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    await page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")


async def no_exception(page, step: str) -> None:
    if await page.locator(EXCEPTION).count():
        text = (await page.locator(EXCEPTION).first.inner_text())[:300]
        raise RuntimeError(f"{step}: uncaught exception shown: {text}")


def metric(page, label: str):
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True))
    return card.locator('[data-testid="stMetricValue"]')


async def open_page(page, label: str) -> None:
    await page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]').filter(
        has=page.get_by_text(label, exact=True)).click()
    await page.wait_for_url(f"**/{label}")
    await wait_idle(page)


async def session(i: int, browser, url: str, folder: Path, sem: asyncio.Semaphore, results: list) -> None:
    from playwright.async_api import expect

    path, n_rows, n_classes = write_catalog(folder, i)
    record = {"session": i, "steps": {}, "error": None}
    results.append(record)
    async with sem:
        ctx = await browser.new_context(viewport={"width": 1440, "height": 1000})
        ctx.set_default_timeout(STEP_TIMEOUT_MS)
        page = await ctx.new_page()
        step = STEPS[0]
        try:
            t = time.perf_counter()
            await page.goto(url + "/Data")
            await wait_idle(page)
            await no_exception(page, step)
            record["steps"][step] = time.perf_counter() - t

            step = STEPS[1]
            await page.locator('[data-testid="stRadioOption"]').filter(
                has=page.get_by_text("Upload a file", exact=True)).click()
            await wait_idle(page)
            t = time.perf_counter()
            await page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
            await expect(metric(page, "Rows")).to_have_text(f"{n_rows:,}", timeout=STEP_TIMEOUT_MS)
            await wait_idle(page)
            await expect(page.get_by_text(f"{n_classes} classes", exact=True)).to_be_visible(timeout=STEP_TIMEOUT_MS)
            await no_exception(page, step)
            record["steps"][step] = time.perf_counter() - t

            step = STEPS[2]
            t = time.perf_counter()
            await open_page(page, "Strategies")
            await no_exception(page, step)
            record["steps"][step] = time.perf_counter() - t

            # Settings (not timed): exactly three strategies, the small class random over-sampled.
            step = "settings"
            box = page.locator('[data-testid="stMultiSelect"]').filter(
                has=page.locator('input[aria-label="Strategies to compare"]'))
            # After each change wait for the server's answer, not only for the tag the browser draws at once:
            # a pick made before the previous rerun lands can hit a moved list (first entry: "Select all").
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
            await expect(box.locator("[data-tag]")).to_have_count(3, timeout=STEP_TIMEOUT_MS)
            await page.locator('[data-testid="stRadioOption"]').filter(
                has=page.get_by_text("Random over-sample them instead", exact=True)).click()
            await wait_idle(page)
            await expect(page.get_by_role("radio", name="Random over-sample them instead")).to_be_checked()
            tags = [" ".join(t.split()) for t in await box.locator("[data-tag]").all_inner_texts()]
            if tags != STRATEGIES:
                raise RuntimeError(f"strategies shown before Run: {tags}")

            step = STEPS[3]
            t = time.perf_counter()
            await page.get_by_role("button", name="Run strategies").click()
            await wait_idle(page)
            for label in STRATEGIES:  # each strategy's detail expander: "SMOTE · 0.04 s" (or "· failed")
                name = re.escape(label.split(" · ")[0])
                done = page.locator('[data-testid="stExpander"] summary').filter(
                    has_text=re.compile(rf"{name} · (\d+\.\d\d s|failed)$"))
                await expect(done).to_have_count(1, timeout=STEP_TIMEOUT_MS)
            record["steps"][step] = time.perf_counter() - t
            await no_exception(page, step)
            errors = await page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
            if errors:
                raise RuntimeError(f"{step}: " + " | ".join(" ".join(e.split())[:300] for e in errors))
        except Exception as exc:  # a failed step is a result of the load run, not a crash of it
            message = " ".join(str(exc).split())
            record["error"] = f"session {i}, step '{step}': {type(exc).__name__}: {message[:500]}"
            shot = ROOT / "artifacts" / f"load_sessions-error-{i:02d}.png"
            try:
                await page.screenshot(path=str(shot), full_page=True, timeout=15_000)
                record["error"] += f" (screenshot {shot.relative_to(ROOT)})"
            except Exception:
                pass
        finally:
            await ctx.close()


async def drive(url: str, n: int, concurrency: int, folder: Path) -> list[dict]:
    from playwright.async_api import async_playwright

    results: list[dict] = []
    sem = asyncio.Semaphore(concurrency)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(session(i, browser, url, folder, sem, results) for i in range(n)))
        finally:
            await browser.close()
    return results


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=5, help="pages driven at once (2 cores: keep it small)")
    ap.add_argument("--timeout", type=float, default=900, help="hard limit for the whole run, seconds")
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 200 or not 1 <= args.concurrency <= 20:
        ap.error("--sessions must be 1..200 and --concurrency 1..20")

    log = ROOT / "artifacts" / "load_sessions-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, running_server(log=log) as url:
        sampler = RssSampler()
        sampler.start()
        try:
            results = asyncio.run(asyncio.wait_for(drive(url, args.sessions, args.concurrency, Path(tmp)),
                                                   timeout=args.timeout))
            timed_out = False
        except TimeoutError:
            results, timed_out = [], True
        finally:
            sampler.stop()
    wall = time.perf_counter() - started

    errors = [r["error"] for r in results if r["error"]]
    print(f"sessions: {args.sessions} (concurrency {args.concurrency}); completed without error: "
          f"{len(results) - len(errors)}; wall time {wall:.1f} s (incl. server start)")
    if timed_out:
        print(f"HARD TIMEOUT after {args.timeout:.0f} s")
    print(f"{'step':<24}{'n':>4}{'p50 (s)':>10}{'p95 (s)':>10}{'max (s)':>10}")
    for step in STEPS:
        vals = [r["steps"][step] for r in results if step in r["steps"]]
        if vals:
            print(f"{step:<24}{len(vals):>4}{statistics.median(vals):>10.2f}{pct(vals, 0.95):>10.2f}{max(vals):>10.2f}")
        else:
            print(f"{step:<24}{0:>4}{'-':>10}{'-':>10}{'-':>10}")
    print(f"errors: {len(errors)}")
    for e in errors:
        print(f"  {e}")
    print(f"server RSS (process tree): first sample {sampler.first or 0:.0f} MB, peak {sampler.peak:.0f} MB "
          f"({sampler.samples} samples every {sampler.interval} s)")
    return 1 if errors or timed_out else 0


if __name__ == "__main__":
    sys.exit(main())
