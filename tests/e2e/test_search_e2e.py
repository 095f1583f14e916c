"""Browser test of the Search page (issue 18): a short search on an upload, its answer, and the winner sent to
the Strategies page, where it is preselected and runs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from core.data import infer_roles, load_table
from tests.e2e.helpers import choose_radio, no_exception, open_page, upload_catalog, wait_idle
from tests.pages.test_search_page import COUNTS, catalog_bytes, core_result

pytestmark = pytest.mark.xdist_group("e2e")


def multiselect(page: Page, label: str):
    return page.locator('[data-testid="stMultiSelect"]').filter(has=page.locator(f'input[aria-label="{label}"]'))


def clear(page: Page, label: str) -> None:
    box = multiselect(page, label)
    box.get_by_role("button", name="Clear all").click()
    wait_idle(page)
    expect(box.locator("[data-tag]")).to_have_count(0)


def pick(page: Page, label: str, options: list[str]) -> None:
    box = multiselect(page, label)
    field = box.locator('input[role="combobox"]')
    for k, option in enumerate(options, start=1):
        field.click()
        field.fill(option)
        page.get_by_role("option", name=option, exact=True).click()
        expect(box.locator("[data-tag]")).to_have_count(k)
        wait_idle(page)
    page.keyboard.press("Escape")
    assert [t.strip() for t in box.locator("[data-tag]").all_inner_texts()] == options


def fill_number(page: Page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")
    wait_idle(page)
    expect(box).to_have_value(value)


def test_a_short_search_sends_its_winner_to_the_strategies_page(page, server_url, tmp_path):
    # the search of tests/pages/test_search_page.py: tail recall with head recall held within 0.05, 4 trials,
    # seed 0, random over-sampling and SMOTE only; core computes what the page must show
    path = tmp_path / "fruit.csv"
    path.write_bytes(catalog_bytes())
    want = core_result(infer_roles(load_table(path).frame, label="family"))
    winner = want.winner.candidate
    assert winner.strategy in ("random_over", "smote")
    upload_catalog(page, server_url, path, len(COUNTS))
    open_page(page, "Search")
    no_exception(page)
    expect(page.get_by_role("button", name="Search", exact=True)).to_be_visible()

    fill_number(page, "Trials (0 = as many as the budget allows)", "4")
    choose_radio(page, "Tail recall, head recall held")
    fill_number(page, "Head recall may drop by at most", "0.05")
    page.get_by_text("Search space, confirmation and rows").click()
    clear(page, "Samplers")
    expect(page.get_by_text("Pick at least one sampler.", exact=True)).to_be_visible()
    pick(page, "Samplers", ["Random over-sampling", "SMOTE"])
    clear(page, "Outlier removal (optional step)")
    clear(page, "Cleaning (optional step)")

    page.get_by_role("button", name="Search", exact=True).click()
    wait_idle(page, timeout=300_000)
    no_exception(page)
    expect(page.get_by_text(want.summary()[0], exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Confirmed on rows no trial saw")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^The search score is optimistic"))).to_be_visible()
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".gtitle", has_text="Trials: head recall against tail recall"))
    expect(chart).to_have_count(1)
    chart.scroll_into_view_if_needed()
    legend = [t.strip() for t in chart.locator(".legendtext").all_text_contents()]
    assert {"Pareto front", "no resampling", "winner"} <= set(legend), legend

    page.get_by_role("button", name="Use this on the Strategies page").click()
    wait_idle(page)
    expect(page.get_by_text(f"Sent to the Strategies page: {winner.describe()}.", exact=False)).to_be_visible()
    page.locator('[data-testid="stMain"] [data-testid="stPageLink-NavLink"]').filter(
        has=page.get_by_text("Open the Strategies page", exact=True)).click()
    wait_idle(page)
    expect(page.locator('[data-testid="stHeading"] h1')).to_have_text("Strategies")
    no_exception(page)

    # ---- Strategies: the winner preselected next to no resampling, with its parameters and target
    expect(page.get_by_text(re.compile("From the search on the Search page: " + re.escape(winner.describe())))
           ).to_be_visible()
    tags = multiselect(page, "Strategies to compare").locator("[data-tag]")
    expect(tags).to_have_count(2)
    label = {"smote": "SMOTE", "random_over": "Random over-sampling"}[winner.strategy]
    assert [t.strip() for t in tags.all_inner_texts()] == ["No resampling · baseline", f"{label} · over-sampling"]
    floor = winner.target.split(":")[1]
    expect(page.get_by_label("Every class at least", exact=True)).to_have_value(floor)
    page.get_by_role("button", name="Run strategies").click()
    wait_idle(page, timeout=300_000)
    no_exception(page)
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
    expect(page.get_by_text(f"Target {winner.target}", exact=False)).to_be_visible()
