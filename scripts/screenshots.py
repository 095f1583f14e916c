"""Take a full-page screenshot of every page on the built-in sample (docs/ and artifacts/).

Usage: python scripts/screenshots.py [--out docs/screenshots] [--pages Data,Skew,...]
Starts its own server on a free port, drives Debian's Chromium with Playwright.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import browser_page, running_server, wait_idle  # noqa: E402
from tests.e2e.helpers import PAGE_PATHS, page_url, sidebar_link  # noqa: E402

PAGES = list(PAGE_PATHS)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--width", type=int, default=1440)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with running_server() as url, browser_page(width=args.width) as page:
        page.goto(url)
        wait_idle(page)
        for name in args.pages.split(","):
            # navigate inside the app (a full page load would start a new session and lose the run)
            page.set_viewport_size({"width": args.width, "height": 1000})
            sidebar_link(page, name).click()
            page.wait_for_url(page_url(name), timeout=60_000)
            wait_idle(page, timeout=300_000)
            if name == "Strategies":
                run_strategies(page)
            elif name in ("Map", "Evaluate", "Search"):
                press(page, {"Map": "Draw the map", "Evaluate": "Evaluate", "Search": "Search"}[name])
            path = out / f"{name.lower()}.png"
            full_screenshot(page, path)
            print(path)
    return 0


def press(page, label: str) -> None:
    """Click a button if the page has one with this label (pages that compute on demand)."""
    button = page.get_by_role("button", name=label)
    if button.count():
        button.first.click()
        wait_idle(page, timeout=600_000)


def run_strategies(page) -> None:
    """The default strategies on the sample, small classes random over-sampled, as an analyst would."""
    option = page.get_by_text("Random over-sample them instead")
    if option.count():
        option.first.click()
        wait_idle(page)
    press(page, "Run strategies")


def full_screenshot(page, path: Path) -> None:
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]'); return m ? m.scrollHeight : 1200; }"
    )
    page.set_viewport_size({"width": page.viewport_size["width"], "height": min(max(int(height), 800), 9000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path), full_page=True)


if __name__ == "__main__":
    raise SystemExit(main())
