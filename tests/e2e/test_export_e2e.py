"""Browser test of the Export page (issue 6): SMOTE on the built-in sample, the bundle downloaded through the
real button, its members checked against the sample, and report.html opened offline in Chromium."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pandas as pd
import pytest
from playwright.sync_api import expect

from core.data.io import SAMPLE_PATH
from core.export.recipe import read_recipe
from tests.e2e.helpers import (
    EXCEPTION,
    PAGE_PATHS,
    choose_radio,
    goto,
    no_exception,
    open_page,
    selectbox_value,
    wait_idle,
)
from tests.e2e.test_strategies_e2e import choose_strategies

pytestmark = pytest.mark.xdist_group("e2e")

SAMPLE_SHA256 = "d5b14d91e036c839b9d2458eb9f9302a774e3a92dd00ae3ac5bb201f20b0772d"
LABEL = "amazon_category_and_sub_category"
SEPARATOR = " > "
SMOTE = "SMOTE · over-sampling"
PROVENANCE = ("skewlab_origin", "skewlab_row", "skewlab_seed_row")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def read_str(data) -> pd.DataFrame:
    return pd.read_csv(data, dtype=str, keep_default_na=False)


def neutralized(value: str) -> str:
    """A sample cell as the CSV export writes it (formula-looking text gets a leading ')."""
    if value.startswith(FORMULA_START) and not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", value):
        return "'" + value
    return value


def test_smote_bundle_of_the_sample(page, context, server_url, tmp_path):
    raw = SAMPLE_PATH.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SAMPLE_SHA256
    sample = read_str(io.BytesIO(raw))
    level1 = sample[LABEL].str.split(SEPARATOR, regex=False).str[0].str.strip()
    labelled = sample[LABEL] != ""
    before = level1[labelled].value_counts()
    # The sample holds one formula-looking cell ('- HAPPY ANNIVERSARY'); the comparison below accounts for it.
    formula_cells = int(sum(sample[c].map(lambda v: neutralized(v) != v).sum() for c in sample.columns))
    assert formula_cells == 1

    # ---- Strategies: only SMOTE; tiny classes are random over-sampled instead
    goto(page, server_url, PAGE_PATHS["Strategies"])  # a fresh session opens on the sample
    no_exception(page)
    choose_strategies(page, [SMOTE])
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="too few for k-NN methods")).to_be_visible()
    choose_radio(page, "Random over-sample them instead")
    expect(page.get_by_role("radio", name="Random over-sample them instead")).to_be_checked()
    floor = int(page.get_by_label("Every class at least").input_value())
    page.get_by_role("button", name="Run strategies").click()
    wait_idle(page, timeout=300_000)
    no_exception(page)
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)

    # ---- Export, reached through the sidebar so the session keeps the run
    open_page(page, "Export")
    no_exception(page)
    strategy = selectbox_value(page, "Strategy")
    expect(strategy).to_have_value("SMOTE")
    expect(page.get_by_role("radio", name="CSV")).to_be_checked()
    button = page.get_by_role("button", name=re.compile(r"Download bundle \(\.zip\)"))
    expect(button).to_be_visible()
    with page.expect_download(timeout=120_000) as dl:
        button.click()
    download = dl.value
    assert download.suggested_filename == "skewlab_amazon_uk_toys_catalog_smote.zip"
    bundle = zipfile.ZipFile(download.path())
    assert {"balanced.csv", "removed.csv", "recipe.json", "report.html", "README.txt"} <= set(bundle.namelist())
    no_exception(page)

    # ---- recipe.json
    recipe = read_recipe(bundle.read("recipe.json"))
    assert recipe.strategy == "smote"
    assert recipe.input.sha256 == SAMPLE_SHA256
    assert recipe.input.name == SAMPLE_PATH.name
    assert recipe.small_classes == "random_over"
    assert (recipe.label.column, recipe.label.level, recipe.label.separator) == (LABEL, 1, SEPARATOR)
    # The page's default target is hybrid:CAP:FLOOR (the floor as shown); SMOTE only adds rows, so
    # the cap (for strategies that remove rows) leaves the head as it is.
    target = recipe.target_spec()
    assert (target.kind, target.floor) == ("hybrid", floor), recipe.target
    cap = target.cap
    wanted = {c: max(int(n), floor) for c, n in before.items()}
    assert any(n < floor for n in before) and any(n > cap for n in before)  # both ends are exercised

    # ---- balanced.csv: every original row exactly as in the sample; removed.csv has none
    out = read_str(io.BytesIO(bundle.read("balanced.csv")))
    assert list(out.columns[: len(sample.columns)]) == list(sample.columns)
    assert set(PROVENANCE) <= set(out.columns)
    assert set(out["skewlab_origin"]) == {"original", "synthetic"}
    orig = out[out["skewlab_origin"] == "original"].reset_index(drop=True)
    synth = out[out["skewlab_origin"] == "synthetic"].reset_index(drop=True)
    removed = read_str(io.BytesIO(bundle.read("removed.csv")))
    kept_ids = orig["skewlab_row"].astype(int)
    removed_ids = removed["skewlab_row"].astype(int)
    assert kept_ids.is_unique and removed_ids.is_unique
    assert set(kept_ids).isdisjoint(removed_ids)
    assert sorted([*kept_ids, *removed_ids]) == list(range(len(sample)))  # every sample row is in one of the two
    assert len(removed) == 0
    expected = sample.apply(lambda col: col.map(neutralized))
    pd.testing.assert_frame_equal(orig[list(sample.columns)],
                                  expected.iloc[kept_ids].reset_index(drop=True), check_dtype=False)
    assert set(kept_ids) >= set(sample.index[~labelled])  # unlabelled rows are carried through untouched

    # ---- synthetic rows: seeded by real rows of the same class
    assert len(synth) > 0
    seeds = synth["skewlab_seed_row"].astype(int)
    assert seeds.between(0, len(sample) - 1).all()
    assert labelled.iloc[seeds].all()
    synth_class = synth[LABEL].str.split(SEPARATOR, regex=False).str[0].str.strip()
    seed_class = level1.iloc[seeds].reset_index(drop=True)
    assert (synth_class == seed_class).all(), pd.concat([synth_class, seed_class], axis=1)[synth_class != seed_class]

    # ---- counts per class: every class below the floor reaches it, the rest untouched
    after = pd.concat([orig[orig[LABEL] != ""][LABEL], synth[LABEL]]).str.split(SEPARATOR, regex=False).str[0]
    assert after.str.strip().value_counts().to_dict() == wanted
    assert len(synth) == sum(max(floor - int(n), 0) for n in before)

    # ---- report.html, opened from disk in a page that may not use the network
    report_path = tmp_path / "report.html"
    report_path.write_bytes(bundle.read("report.html"))
    offline = context.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        attempted: list[str] = []

        def block(route):
            attempted.append(route.request.url)
            route.abort()

        offline.route(re.compile(r"^(?!file:)"), block)
        report = offline.new_page()
        errors: list[str] = []
        report.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        report.on("pageerror", lambda e: errors.append(str(e)))
        report.goto(report_path.as_uri())
        expect(report).to_have_title(f"Skewlab report: {SAMPLE_PATH.name} · smote")
        expect(report.locator("h1")).to_have_text(f"Skewlab report: {SAMPLE_PATH.name}")
        expect(report.get_by_role("heading", name="Skew before and after")).to_be_visible()
        expect(report.get_by_role("heading", name="Recipe")).to_be_visible()
        plots = report.locator(".js-plotly-plot")
        expect(plots.first).to_be_attached()
        expect(plots.first.locator("svg.main-svg").first).to_be_attached()
        assert report.evaluate("() => typeof window.Plotly") == "object"
        assert plots.count() >= 1
        assert errors == [], errors
        assert attempted == [], attempted
    finally:
        offline.close()
    expect(page.locator(EXCEPTION)).to_have_count(0)
