"""Deep links: every page's URL, as the very first request a fresh server sees, opens that page inside the app.

A fresh server is the hard case: with a `pages/` folder Streamlit runs the first script run of a process
in its legacy multipage mode (see ui/nav.py). Each test therefore starts its own server (log:
artifacts/e2e/server-deep-link-<page>.log) and does not use the shared one, so these tests have their own
xdist group and may run on the other worker, next to the shared-server tests.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.harness import running_server
from tests.e2e.helpers import PAGE_PATHS, chart, goto, metric, no_exception, open_page, page_url, sidebar_link

pytestmark = pytest.mark.xdist_group("e2e-deep-links")

NOT_YET_RUN = "Run some strategies first on the Strategies page."


def shows_data(page: Page) -> None:
    expect(metric(page, "Rows")).to_have_text("10,000")
    expect(page.get_by_role("radio", name="Built-in sample")).to_be_checked()


def shows_skew(page: Page) -> None:
    expect(metric(page, "Classes")).to_have_text("43")
    expect(metric(page, "Imbalance ratio")).to_have_text("1,464.0")
    expect(chart(page, "Rows per class")).to_be_visible()


def shows_strategies(page: Page) -> None:
    expect(page.get_by_text(re.compile(r"labelled rows in 43 classes of"))).to_be_visible()
    expect(page.get_by_role("button", name="Run strategies")).to_be_visible()


def shows_map(page: Page) -> None:
    expect(page.get_by_text(NOT_YET_RUN, exact=True)).to_be_visible()


def shows_evaluate(page: Page) -> None:
    expect(page.get_by_text(re.compile(r"^No strategies were run yet"))).to_be_visible()


def shows_search(page: Page) -> None:
    expect(page.get_by_role("button", name="Search", exact=True)).to_be_visible()


def shows_export(page: Page) -> None:
    expect(page.get_by_text(NOT_YET_RUN, exact=True)).to_be_visible()


# What each page shows on the built-in sample, which the app loads for a new session.
SHOWS = {"Data": shows_data, "Skew": shows_skew, "Strategies": shows_strategies, "Map": shows_map,
         "Evaluate": shows_evaluate, "Search": shows_search, "Export": shows_export}


def test_every_page_has_a_check():
    assert list(SHOWS) == list(PAGE_PATHS)


@pytest.mark.parametrize("label", list(PAGE_PATHS))
def test_deep_link_on_a_fresh_server(page, label):
    # Its own server: the very first page request it ever sees is the deep link.
    # (no background warm-up: it is not what is tested here, and it would take a core from the page run)
    with running_server(env={"SKEWLAB_WARMUP": "0"}, log=ARTIFACTS / f"server-deep-link-{label.lower()}.log") as url:
        goto(page, url, PAGE_PATHS[label])
        expect(page).to_have_url(page_url(label))
        expect(page.locator('[data-testid="stHeading"] h1')).to_have_text(label)
        SHOWS[label](page)
        no_exception(page)
        # Inside the app: its page config, its step links (not Streamlit's page list), no "Page not found".
        expect(page).to_have_title(f"{label} · Skewlab")
        expect(page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]')).to_have_count(
            len(PAGE_PATHS))
        for other in PAGE_PATHS:
            expect(sidebar_link(page, other)).to_have_count(1)
        expect(page.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        # The session goes on inside the app.
        then = "Skew" if label == "Data" else "Data"
        open_page(page, then)
        expect(page.locator('[data-testid="stHeading"] h1')).to_have_text(then)
        SHOWS[then](page)
        no_exception(page)
