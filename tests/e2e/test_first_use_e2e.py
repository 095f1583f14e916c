"""First use on a fresh server: the built-in sample runs every default strategy; a reload keeps an upload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import running_server, wait_idle
from tests.e2e.helpers import ALERT, PAGE_PATHS, goto, no_exception, open_page, upload_catalog
from tests.e2e.test_strategies_e2e import grid_records, results_table, write_catalog

pytestmark = pytest.mark.xdist_group("e2e")

#: The Strategies page's default choice, as its results table names them.
DEFAULTS = ["before", "No resampling", "Random over-sampling", "SMOTE", "Random under-sampling",
            "Isolation Forest outliers → SMOTE", "Balanced class weights (weighted)"]


@pytest.fixture(scope="module")
def fresh_server(artifacts_dir, tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    with running_server(env={"SKEWLAB_STORE_DIR": str(store)}, log=artifacts_dir / "server-fresh.log") as url:
        yield url


def test_the_sample_runs_every_default_strategy_on_a_fresh_server(context, fresh_server):
    page = context.new_page()
    goto(page, fresh_server, PAGE_PATHS["Data"])
    no_exception(page)
    open_page(page, "Strategies")
    page.get_by_role("button", name="Run strategies").click()
    wait_idle(page)
    no_exception(page)
    # no strategy failed and none was refused
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
    records = grid_records(results_table(page), showing="Balanced class weights (weighted)")
    assert [r["strategy"] for r in records] == DEFAULTS, records
    # every class is still there after every strategy (the tail guard): nothing lost
    assert {r["classes lost"] for r in records} == {"0"}, records


def test_a_reload_on_strategies_keeps_the_upload(context, fresh_server, tmp_path):
    path = tmp_path / "my catalog.csv"
    n = write_catalog(path)
    page = context.new_page()
    upload_catalog(page, fresh_server, path, 4)
    open_page(page, "Strategies")
    expect(page.locator('[data-testid="stSidebar"]').get_by_text("my catalog.csv")).to_be_visible()
    assert re.search(r"[?&]s=[A-Za-z0-9_-]{16,}", page.url), page.url
    page.reload()
    wait_idle(page)
    no_exception(page)
    expect(page.locator('[data-testid="stSidebar"]').get_by_text("my catalog.csv")).to_be_visible()
    expect(page.locator(ALERT).filter(has_text="no longer on the server")).to_have_count(0)
    expect(page.locator('[data-testid="stSidebar"]').get_by_text("amazon_uk_toys_catalog.csv")).to_have_count(0)
    assert n == 200


def test_a_link_whose_session_is_gone_says_so(context, fresh_server):
    page = context.new_page()
    goto(page, fresh_server, PAGE_PATHS["Strategies"] + "?s=" + "B" * 22)
    no_exception(page)
    expect(page.locator(ALERT).filter(has_text="This link's session is no longer on the server")).to_be_visible()
    expect(page.locator(ALERT).filter(has_text="The built-in sample is loaded now")).to_be_visible()
