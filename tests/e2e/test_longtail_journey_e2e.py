"""Browser journey on a long-tail catalog (issue 15): 20,000 rows, 700 leaf classes, through every page.

The catalog comes from ``tests.longtail.make_longtail`` (about 22% singleton classes, 27% with 2-5 rows,
100 unlabelled rows), uploaded as CSV, labelled by the leaf level of its ``Top > Sub > Leaf`` path. Each
step prints its wall time (run pytest with ``-s`` to see them: ``journey step <name>: <s> s``); no test
asserts a time. What is asserted is behaviour: the tail classes are drawn on the Skew and Strategies
charts (the default tail-first view and the class search) and in the exported report, every default
strategy runs, the map and the evaluation render, and the bundle matches what the page states.
"""

from __future__ import annotations

import html
import io
import random
import re
import time
import zipfile
from contextlib import contextmanager

import pandas as pd
import pytest
from playwright.sync_api import Locator, Page, expect

from core.export.recipe import read_recipe
from tests.e2e.helpers import (
    EXCEPTION,
    PAGE_PATHS,
    choose_radio,
    choose_selectbox,
    goto,
    metric,
    metric_value,
    no_exception,
    open_page,
    selectbox_value,
    upload_file,
    wait_idle,
)
from tests.e2e.test_evaluate_e2e import eval_table
from tests.e2e.test_first_use_e2e import DEFAULTS
from tests.e2e.test_strategies_e2e import grid_records, results_table
from tests.longtail import LABEL, SEPARATOR, make_longtail

pytestmark = pytest.mark.xdist_group("e2e")

N_ROWS, N_CLASSES = 20_000, 700
LEAF_LEVEL = 3
STEP_MS = 240_000  # generous per step: a slow CI machine must not fail on time (times are printed, not asserted)
#: The run strategies the Evaluate page compares next to its two baselines (the page's defaults minus them).
EVAL_ROWS = {"No resampling", "Balanced class weights", "Random over-sampling", "SMOTE", "Random under-sampling",
             "Isolation Forest outliers → SMOTE"}
ERROR_BOX = '[data-testid="stAlertContentError"]'


@contextmanager
def step(name: str, timings: dict[str, float]):
    """Time one journey step (browser actions and their waits) and print it; never asserted."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = time.perf_counter() - t0
        print(f"journey step {name}: {timings[name]:.1f} s", flush=True)


# ------------------------------------------------------------------ the catalog, counted independently
def leaf_classes(frame: pd.DataFrame) -> pd.Series:
    """Rows per class at the leaf level, counted with pandas on the labelled rows.

    The class the app shows for level 3 is the path down to the leaf; every leaf name sits under one
    sub-category, so counting the leaf part alone gives the same classes (checked here)."""
    paths = frame[LABEL].dropna()
    parts = paths.str.split(SEPARATOR, regex=False)
    by_path = parts.str[:LEAF_LEVEL].str.join(SEPARATOR).value_counts()
    by_leaf = parts.str[-1].value_counts()
    assert len(by_path) == len(by_leaf) == N_CLASSES
    assert sorted(by_path.to_numpy()) == sorted(by_leaf.to_numpy())
    return by_path


def tail_first_singletons(counts: pd.Series, n: int = 3) -> list[str]:
    """The ``n`` singleton classes a tail-first chart must draw first (smallest first, ties by name)."""
    return sorted(counts[counts == 1].index)[:n]


def leaf(name: str) -> str:
    return name.split(SEPARATOR)[-1]


# ------------------------------------------------------------------ reading a Plotly chart
def tick_texts(chart: Locator) -> list[str]:
    """The category labels on the chart's y axis, as drawn (SVG text: textContent)."""
    expect(chart.locator(".ytick text").first).to_be_attached()
    return [t.strip() for t in chart.locator(".ytick text").all_text_contents()]


def shows_label(ticks: list[str], cls: str) -> bool:
    """Whether a y-axis label names ``cls``: in full, or a long path shortened from the top
    (``… > Sub > Leaf``) with its leaf whole, the part that tells classes apart."""
    return any(t == cls or (t.startswith("… > ") and cls.endswith(t[4:]) and t.endswith(leaf(cls))) for t in ticks)


def drawn_classes(chart: Locator) -> dict[str, list]:
    """Full class names of the chart's traces (Plotly keeps them in ``customdata`` for the hover), per trace:
    {trace name: [(class, x), ...]}."""
    data = chart.locator(".js-plotly-plot").first.evaluate(
        "gd => gd.data.map(t => ({name: t.name || '', x: Array.from(t.x || []), "
        "cd: Array.from(t.customdata || []).map(c => Array.isArray(c) ? c[0] : c)}))")
    return {html.unescape(t["name"]): [(html.unescape(str(c)), x) for c, x in zip(t["cd"], t["x"])]
            for t in data if t["cd"]}


def plotly_chart(page: Page, title_start: str) -> Locator:
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".gtitle", has_text=re.compile("^" + re.escape(title_start))))
    expect(chart).to_have_count(1)
    chart.scroll_into_view_if_needed()
    expect(chart.locator("svg.main-svg").first).to_be_attached()
    return chart


def search_class(page: Page, text: str) -> None:
    box = page.get_by_label("Search a class", exact=True)
    box.fill(text)
    box.press("Enter")
    wait_idle(page, timeout=STEP_MS)
    expect(box).to_have_value(text)


# ------------------------------------------------------------------ the journey
def test_longtail_journey_through_every_page(page, context, server_url, tmp_path):
    frame = make_longtail(N_ROWS, N_CLASSES, seed=0)
    counts = leaf_classes(frame)
    singletons = counts[counts == 1]
    assert 0.2 * N_CLASSES <= len(singletons) <= 0.24 * N_CLASSES  # the shape the issue describes
    first = tail_first_singletons(counts)  # drawn by every tail-first chart without a search
    searched = random.Random(15).sample(sorted(set(singletons.index) - set(first)), 3)  # found by the search
    n_unlabelled = int(frame[LABEL].isna().sum())
    path = tmp_path / "longtail_20k.csv"
    frame.to_csv(path, index=False)
    timings: dict[str, float] = {}

    # ---- Data: upload, label = category at the leaf level, 700 classes reported
    with step("data (upload, leaf level)", timings):
        goto(page, server_url, PAGE_PATHS["Data"])
        choose_radio(page, "Upload a file")
        page.set_default_timeout(STEP_MS)
        upload_file(page, path)
        no_exception(page)
        expect(metric(page, "Rows")).to_have_text(f"{N_ROWS:,}")
        wait_idle(page)  # the Rows card shows before the run ends (label suggestion, leak check): a rerun closes a dropdown
        label_box = selectbox_value(page, "Label column (the category to balance)")
        if label_box.input_value() != LABEL:
            choose_selectbox(page, "Label column (the category to balance)", LABEL)
        choose_selectbox(page, f"Level of the path (separator '{SEPARATOR.strip()}')", f"level {LEAF_LEVEL}")
        expect(page.get_by_text(f"{N_CLASSES} classes", exact=True)).to_be_visible()
        expect(page.get_by_text(f"{N_ROWS - n_unlabelled:,} labelled rows", exact=False)).to_be_visible()
        no_exception(page)

    # ---- Skew: the tail-first chart draws the smallest classes; the search draws any singleton
    with step("skew", timings):
        open_page(page, "Skew")
        no_exception(page)
        assert metric_value(page, "Classes") == f"{N_CLASSES:,}"
        expect(page.get_by_role("radio", name="Tail first")).to_be_checked()
        bars = plotly_chart(page, "Rows per class, tail first")
        ticks = tick_texts(bars)
        missing = [c for c in first if not shows_label(ticks, c)]
        assert not missing, (missing, ticks)
        drawn = {c: x for trace in drawn_classes(bars).values() for c, x in trace}
        assert {c: drawn.get(c) for c in first} == dict.fromkeys(first, 1), drawn
        for cls in searched:  # any singleton, found by its leaf name
            search_class(page, leaf(cls))
            no_exception(page)
            bars = plotly_chart(page, "Rows per class, tail first")
            expect(bars.locator(".gtitle")).to_contain_text(f"matching “{leaf(cls)}”")
            assert shows_label(tick_texts(bars), cls), (cls, tick_texts(bars))
            drawn = {c: x for trace in drawn_classes(bars).values() for c, x in trace}
            assert drawn.get(cls) == 1, (cls, drawn)
        search_class(page, "")

    # ---- Strategies: the page's defaults run; no strategy fails; the tail is on the before/after chart
    with step("strategies (run defaults)", timings):
        open_page(page, "Strategies")
        no_exception(page)
        floor = int(page.get_by_label("Every class at least").input_value())
        assert floor > 1
        page.get_by_role("button", name="Run strategies").click()
        wait_idle(page, timeout=STEP_MS)
        no_exception(page)
        table = results_table(page)
        expect(table).to_have_count(1, timeout=STEP_MS)
        expect(page.locator(ERROR_BOX)).to_have_count(0)
        records = grid_records(table, showing="Balanced class weights (weighted)")
        assert [r["strategy"] for r in records] == DEFAULTS, records
        assert {r["classes lost"] for r in records} == {"0"}, records  # the tail guard: no class is lost
    with step("strategies (tail on the chart)", timings):
        comparison = plotly_chart(page, "Rows per class before and after")
        ticks = tick_texts(comparison)
        missing = [c for c in first if not shows_label(ticks, c)]
        assert not missing, (missing, ticks)
        traces = drawn_classes(comparison)
        assert {c: x for c, x in traces["before"] if c in first} == dict.fromkeys(first, 1), traces["before"]
        # over-samplers lift the singletons to the floor (the hybrid target's lower bound)
        lifted = {c: x for c, x in traces["Random over-sampling"] if c in first}
        assert lifted == dict.fromkeys(first, floor), lifted
        for cls in searched[:2]:
            search_class(page, leaf(cls))
            no_exception(page)
            comparison = plotly_chart(page, "Rows per class before and after")
            assert shows_label(tick_texts(comparison), cls), (cls, tick_texts(comparison))
            before = dict(drawn_classes(comparison)["before"])
            assert before.get(cls) == 1, (cls, before)
        search_class(page, "")

    # ---- Map: one shared map of every strategy's rows
    with step("map", timings):
        open_page(page, "Map")
        wait_idle(page, timeout=STEP_MS)
        no_exception(page)
        map_chart = page.locator(".st-key-map_chart [data-testid='stPlotlyChart']")
        expect(map_chart).to_have_count(1, timeout=STEP_MS)
        map_chart.scroll_into_view_if_needed()
        expect(map_chart.locator("svg.main-svg").first).to_be_attached()
        expect(page.get_by_role("heading", name="Audit of synthetic and removed rows")).to_be_visible()
        expect(page.locator(ERROR_BOX)).to_have_count(0)

    # ---- Evaluate: the default evaluation of the run, next to the baselines
    with step("evaluate", timings):
        open_page(page, "Evaluate")
        no_exception(page)
        expect(page.get_by_text("No strategies were run yet", exact=False)).to_have_count(0)
        page.get_by_role("button", name="Evaluate", exact=True).click()
        wait_idle(page, timeout=STEP_MS)
        no_exception(page)
        expect(page.get_by_role("heading", name="Strategies x classifiers")).to_be_visible(timeout=STEP_MS)
        evaluated = eval_table(page)
        expect(evaluated).to_have_count(1)
        evaluated.scroll_into_view_if_needed()
        records = grid_records(evaluated, showing="No resampling")
        assert {r["strategy"] for r in records} == EVAL_ROWS, records
        for r in records:
            assert 0.0 <= float(r["macro F1"]) <= 1.0, r

    # ---- Export: the bundle as the page states it
    with step("export (page + download)", timings):
        open_page(page, "Export")
        wait_idle(page, timeout=STEP_MS)
        no_exception(page)
        strategy_shown = selectbox_value(page, "Strategy").input_value()
        expect(page.get_by_role("radio", name="CSV")).to_be_checked()
        stated_rows = int(metric_value(page, "Rows in the export").replace(",", ""))
        assert metric_value(page, "Rows in the catalog") == f"{N_ROWS:,}"
        button = page.get_by_role("button", name=re.compile(r"Download bundle \(\.zip\)"))
        expect(button).to_be_visible(timeout=STEP_MS)
        with page.expect_download(timeout=STEP_MS) as dl:
            button.click()
        bundle = zipfile.ZipFile(dl.value.path())
    print(f"journey export: strategy {strategy_shown!r}, {stated_rows:,} rows stated", flush=True)
    assert {"balanced.csv", "removed.csv", "recipe.json", "report.html", "README.txt"} <= set(bundle.namelist())
    recipe = read_recipe(bundle.read("recipe.json"))
    assert (recipe.label.column, recipe.label.level, recipe.label.separator) == (LABEL, LEAF_LEVEL, SEPARATOR)
    assert recipe.input.name == path.name
    out = pd.read_csv(io.BytesIO(bundle.read("balanced.csv")), dtype=str, keep_default_na=False)
    assert len(out) == stated_rows
    removed = pd.read_csv(io.BytesIO(bundle.read("removed.csv")), dtype=str, keep_default_na=False)
    assert (out["skewlab_origin"] == "original").sum() + len(removed) == N_ROWS
    out_classes = out.loc[out[LABEL] != "", LABEL].str.split(SEPARATOR, regex=False).str[:LEAF_LEVEL].str.join(SEPARATOR)
    assert out_classes.nunique() == N_CLASSES  # no class lost in the export
    assert set(first + searched) <= set(out_classes)

    # report.html names the tail classes (its table holds every class) and draws the smallest first
    report_html = bundle.read("report.html").decode("utf-8")
    named = [c for c in first + searched if html.escape(c, quote=False) in report_html or c in report_html]
    assert named == first + searched, named
    report_path = tmp_path / "report.html"
    report_path.write_text(report_html, encoding="utf-8")
    with step("report (offline)", timings):
        offline = context.browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            offline.route(re.compile(r"^(?!file:)"), lambda route: route.abort())
            report = offline.new_page()
            report.goto(report_path.as_uri())
            expect(report.get_by_role("heading", name="Skew before and after")).to_be_visible()
            figure = report.locator(".js-plotly-plot").filter(
                has=report.locator(".gtitle", has_text=re.compile(r"^Rows per class, tail first")))
            expect(figure).to_have_count(1)
            figure.scroll_into_view_if_needed()
            ticks = tick_texts(figure)
            missing = [c for c in first if not shows_label(ticks, c)]
            assert not missing, (missing, ticks)
        finally:
            offline.close()

    expect(page.locator(EXCEPTION)).to_have_count(0)
    print("journey steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()), flush=True)
