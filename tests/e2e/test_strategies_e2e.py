"""Browser test of the Strategies page: three strategies on an uploaded catalog, through the real widgets."""

from __future__ import annotations

import csv
import random
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import (
    EXCEPTION,
    choose_radio,
    no_exception,
    open_page,
    set_tail_floor,
    upload_catalog,
    wait_idle,
)

pytestmark = pytest.mark.xdist_group("e2e")

# A skewed label with a class of 3 rows (too small for SMOTE's k = 5).
COUNTS = {"Toys": 120, "Games": 50, "Books": 27, "Kites": 3}
FLOOR = 60
CHOSEN = {  # registry name -> label in the multiselect
    "random_over": "Random over-sampling · over-sampling",
    "smote": "SMOTE · over-sampling",
    "random_under": "Random under-sampling · under-sampling",
}


def write_catalog(path) -> int:
    """~200 rows: an id, two numeric columns, a categorical one, a short text one and the label."""
    rng = random.Random(11)
    words = "wooden soft classic mini deluxe kit puzzle big little set travel family".split()
    colors = ["red", "blue", "green", "black", "white"]
    rows = []
    for k, (cls, n) in enumerate(COUNTS.items()):
        for _ in range(n):
            rows.append([f"{rng.uniform(10 + 20 * k, 25 + 20 * k):.2f}", str(rng.randint(0, 40)), rng.choice(colors),
                         " ".join(rng.choice(words) for _ in range(3)), cls])
    rng.shuffle(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["sku", "price", "stock", "color", "title", "category"])
        for i, row in enumerate(rows):
            w.writerow([f"SKU-{i:04d}", *row])
    return len(rows)


def grid_cell(frame: Locator, text: str) -> Locator:
    """The cells of an ``st.dataframe`` whose text is exactly ``text`` (for ``expect``)."""
    return frame.locator('table[role="grid"] td[role="gridcell"]').filter(
        has_text=re.compile("^" + re.escape(text) + "$"))


def grid_records(frame: Locator, *, showing: str | None = None) -> list[dict[str, str]]:
    """Cells of an ``st.dataframe`` as text, read from the accessible table the glide grid keeps next to its
    canvas (only rendered rows are in it: fine for small tables). That table follows new data a moment after
    the script run ends: pass ``showing``, a cell text the new data has, to wait for it first."""
    grid = frame.locator('table[role="grid"]')
    expect(grid.locator('td[role="gridcell"]').first).to_be_attached()
    if showing is not None:
        expect(grid_cell(frame, showing).first).to_be_attached()
    header = [t.strip() for t in grid.locator('th[role="columnheader"]').all_text_contents()]
    rows = grid.locator('tbody tr[role="row"]')
    out = []
    for i in range(rows.count()):
        cells = [t.strip() for t in rows.nth(i).locator('td[role="gridcell"]').all_text_contents()]
        out.append(dict(zip(header, cells)))
    return out


def results_table(page: Page) -> Locator:
    """The results summary (the only dataframe with both 'strategy' and 'added' columns)."""
    return page.locator('[data-testid="stDataFrame"]').filter(
        has=page.locator('th[role="columnheader"]', has_text=re.compile(r"^added$"))).filter(
        has=page.locator('th[role="columnheader"]', has_text=re.compile(r"^strategy$")))


def tune_expander(page: Page, name: str) -> Locator:
    """The label of the expander named ``name`` ("SMOTE", "SMOTE · 0.04 s", "Random under-sampling · ...")."""
    return page.locator('[data-testid="stExpander"] summary [data-testid="stMarkdownContainer"]').filter(
        has_text=re.compile(rf"^{re.escape(name)}( · .*)?$"))


def choose_strategies(page: Page, labels: list[str]) -> None:
    """Clear the multiselect, then pick ``labels`` one by one. After each change, wait for the server's answer
    (the "Pick at least one strategy" note, then each strategy's Tune expander), not just for the tag, which
    the browser draws at once: under load, a pick made before the previous rerun lands can hit a moved list
    (its first entry is the bulk "Select all")."""
    box = page.locator('[data-testid="stMultiSelect"]').filter(
        has=page.locator('input[aria-label="Strategies to compare"]'))
    box.get_by_role("button", name="Clear all").click()
    expect(page.get_by_text("Pick at least one strategy.", exact=True)).to_be_visible()
    wait_idle(page)
    expect(box.locator("[data-tag]")).to_have_count(0)
    field = box.locator('input[role="combobox"]')
    for k, label in enumerate(labels, start=1):
        name = label.split(" · ")[0]
        field.click()
        field.fill(name)
        page.get_by_role("option", name=label, exact=True).click()
        expect(box.locator("[data-tag]")).to_have_count(k)
        expect(tune_expander(page, name)).to_have_count(1)
        wait_idle(page)
    page.keyboard.press("Escape")
    expect(box.locator("[data-tag]")).to_have_count(len(labels))
    assert [t.strip() for t in box.locator("[data-tag]").all_inner_texts()] == labels


def test_three_strategies_on_an_upload(page, server_url, tmp_path):
    path = tmp_path / "toys.csv"
    n = write_catalog(path)
    assert n == sum(COUNTS.values()) == 200
    # Over-samplers lift every class below the floor to it; a tail floor asks no class to shrink.
    lifted = sum(max(FLOOR - c, 0) for c in COUNTS.values())
    assert lifted == 10 + 33 + 57

    upload_catalog(page, server_url, path, len(COUNTS))

    open_page(page, "Strategies")
    no_exception(page)
    choose_strategies(page, list(CHOSEN.values()))

    # Kites (3 rows) is too small for SMOTE: the page asks, and we let it random over-sample that class.
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="Kites (3)")).to_be_visible()
    set_tail_floor(page, FLOOR)
    # The default lowers k for such classes; the analyst asks to be stopped instead.
    expect(page.get_by_role("radio", name="Lower k for those classes")).to_be_checked()
    choose_radio(page, "Stop and tell me (no change)")
    expect(page.get_by_role("radio", name="Stop and tell me (no change)")).to_be_checked()

    # First run with that choice: SMOTE fails with the class named (and the way forward in the page's
    # words), the two others finish.
    page.get_by_role("button", name="Run strategies").click()
    wait_idle(page)
    no_exception(page)
    failure = page.locator('[data-testid="stAlertContentError"]').filter(
        has_text="SMOTE: 1 class is too small: 'Kites' has 3 rows; SMOTE with k_neighbors=5 needs at least 6. "
                 "Choose what to do with them under Small classes: 'Lower k for those classes', ")
    expect(failure).to_have_count(1)
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(2)  # the message + its detail expander
    first = {r["strategy"]: (r["rows"], r["added"]) for r in grid_records(results_table(page), showing="Random under-sampling")}
    assert first == {"before": ("200", "0"), "Random over-sampling": (str(n + lifted), str(lifted)),
                     "Random under-sampling": (str(n), "0")}, first

    choose_radio(page, "Random over-sample them instead")
    expect(page.get_by_role("radio", name="Random over-sample them instead")).to_be_checked()
    expect(page.get_by_text("The settings changed since the last run")).to_be_visible()
    page.get_by_role("button", name="Run strategies").click()
    wait_idle(page)
    no_exception(page)
    expect(page.get_by_text(f"Target floor:{FLOOR}", exact=False)).to_be_visible()
    # No strategy failed (each failure would be an st.error "**SMOTE**: ..."), none was refused by the estimate.
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)

    table = results_table(page)
    expect(table).to_have_count(1)
    records = {r["strategy"]: r for r in grid_records(table, showing="SMOTE")}
    assert list(records) == ["before", "Random over-sampling", "SMOTE", "Random under-sampling"], records
    got = {s: (r["rows"], r["added"], r["removed"]) for s, r in records.items()}
    assert got == {
        "before": ("200", "0", "0"),
        "Random over-sampling": (str(n + lifted), str(lifted), "0"),
        "SMOTE": (str(n + lifted), str(lifted), "0"),
        "Random under-sampling": (str(n), "0", "0"),
    }, got

    # The chart legend names the three strategies next to "before" (Plotly SVG text).
    comparison = page.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".gtitle", has_text="Rows per class before and after"))
    comparison.scroll_into_view_if_needed()
    expect(comparison.locator(".legendtext")).to_have_count(4)
    assert comparison.locator(".legendtext").all_text_contents() == [
        "before", "Random over-sampling", "SMOTE", "Random under-sampling"]
    ticks = set(comparison.locator(".ytick text").all_text_contents())
    assert ticks == set(COUNTS), ticks

    # One detail expander per strategy, each with its runtime.
    details = page.locator('[data-testid="stExpander"] summary').all_inner_texts()
    for label in ("Random over-sampling", "SMOTE", "Random under-sampling"):
        assert any(re.fullmatch(rf"(keyboard_arrow_right)?\s*{re.escape(label)} · \d+\.\d\d s", d.strip())
                   for d in details), (label, details)
    expect(page.locator(EXCEPTION)).to_have_count(0)
