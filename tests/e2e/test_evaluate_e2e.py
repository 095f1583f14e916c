"""Browser test of the Evaluate page (issue 5): three strategies run on an upload, then compared with
cross-validation next to the two baselines the page always adds."""

from __future__ import annotations

import csv
import random
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import EXCEPTION, no_exception, open_page, set_number, set_tail_floor, upload_catalog, wait_idle
from tests.e2e.test_strategies_e2e import choose_strategies, grid_records

pytestmark = pytest.mark.xdist_group("e2e")

# Head (> 100 rows), medium and tail (< 20 rows) with the page's default bounds; Fennel (12 rows) is
# large enough for SMOTE's k = 5 inside every training part of 3 folds (8 rows).
COUNTS = {"Apple": 130, "Banana": 60, "Cherry": 38, "Fennel": 12}
FLOOR = 60
FOLDS = 3
CHOSEN = {  # registry name -> label in the Strategies multiselect
    "random_over": "Random over-sampling · over-sampling",
    "smote": "SMOTE · over-sampling",
    "random_under": "Random under-sampling · under-sampling",
}
# What the Evaluate table calls each strategy: the baselines first-class citizens next to the three runs.
EXPECTED_ROWS = {"No resampling", "Balanced class weights", "Random over-sampling", "SMOTE", "Random under-sampling"}
CLASSIFIER = "Linear discriminant analysis"  # the page's default classifier


def write_catalog(path) -> int:
    """240 rows: an id, three numeric features that separate the classes (centres apart, some noise), the label."""
    rng = random.Random(5)
    centres = {"Apple": (0, 0, 0), "Banana": (4, 0, 1), "Cherry": (0, 4, 2), "Fennel": (4, 4, 3)}
    rows = []
    for cls, n in COUNTS.items():
        cx, cy, cz = centres[cls]
        for _ in range(n):
            rows.append([f"{rng.gauss(cx, 1.0):.3f}", f"{rng.gauss(cy, 1.0):.3f}", f"{rng.gauss(cz, 1.0):.3f}", cls])
    rng.shuffle(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["sku", "weight", "width", "depth", "family"])
        for i, row in enumerate(rows):
            w.writerow([f"P-{i:04d}", *row])
    return len(rows)


def eval_table(page: Page):
    """The strategies x classifiers table: the only dataframe with both 'strategy' and 'classifier' columns
    (the grid's accessible table holds only the columns in view, so its later columns cannot be used)."""
    return page.locator('[data-testid="stDataFrame"]').filter(
        has=page.locator('th[role="columnheader"]', has_text=re.compile(r"^classifier$"))).filter(
        has=page.locator('th[role="columnheader"]', has_text=re.compile(r"^strategy$")))


def test_evaluate_three_strategies_with_baselines(page, server_url, tmp_path):
    path = tmp_path / "fruit.csv"
    assert write_catalog(path) == sum(COUNTS.values()) == 240

    upload_catalog(page, server_url, path, len(COUNTS))

    # ---- Strategies: three strategies, a tail floor
    open_page(page, "Strategies")
    no_exception(page)
    choose_strategies(page, list(CHOSEN.values()))
    set_tail_floor(page, FLOOR)
    page.get_by_role("button", name="Run strategies").click()
    wait_idle(page)
    no_exception(page)
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
    expect(page.get_by_text(f"Target floor:{FLOOR}", exact=False)).to_be_visible()

    # ---- Evaluate, reached through the sidebar so the session (and the run) is kept
    open_page(page, "Evaluate")
    no_exception(page)
    expect(page.get_by_text("No strategies were run yet", exact=False)).to_have_count(0)
    strategies_box = page.locator('[data-testid="stMultiSelect"]').filter(
        has=page.locator('input[aria-label^="Strategies (from the Strategies page"]'))
    expect(strategies_box.locator("[data-tag]")).to_have_count(len(CHOSEN))
    set_number(page, "Folds", FOLDS)

    page.get_by_role("button", name="Evaluate", exact=True).click()
    wait_idle(page, timeout=300_000)
    no_exception(page)
    expect(page.get_by_role("heading", name="Strategies x classifiers")).to_be_visible()
    expect(page.get_by_text(f"Evaluated on all {sum(COUNTS.values())} labelled rows.", exact=True)).to_be_visible()

    # The comparison table: one row per strategy with the default classifier, the baselines included.
    table = eval_table(page)
    expect(table).to_have_count(1)
    table.scroll_into_view_if_needed()
    records = grid_records(table, showing="Random under-sampling")
    strategies = [r["strategy"] for r in records]
    assert sorted(strategies) == sorted(EXPECTED_ROWS), records
    assert {r["classifier"] for r in records} == {CLASSIFIER}, records
    for r in records:  # every strategy was scored (the accessible table holds the raw value, not "%.3f")
        assert 0.0 <= float(r["macro F1"]) <= 1.0, r

    # The head / medium / tail recall chart (Plotly SVG: read the title's textContent).
    title = f"Head / medium / tail recall ({CLASSIFIER})"
    group_chart = page.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".gtitle", has_text=title))
    expect(group_chart).to_have_count(1)
    group_chart.scroll_into_view_if_needed()
    expect(group_chart.locator("svg.main-svg").first).to_be_attached()
    assert group_chart.locator(".gtitle").first.text_content().strip() == title
    # A bar trace per group: head (> 100 rows), medium and tail (< 20 rows) all have scored classes here.
    legend = [t.strip() for t in group_chart.locator(".legendtext").all_text_contents()]
    assert legend == ["head (> 100 rows)", "medium", "tail (< 20 rows)"], legend
    expect(page.locator(EXCEPTION)).to_have_count(0)
