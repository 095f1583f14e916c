"""Browser tests of the foundation: the entry page, upload -> label -> skew, a bad upload (deep links:
test_deep_links.py)."""

from __future__ import annotations

import csv
import random

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    ALERT,
    EXCEPTION,
    PAGE_PATHS,
    chart,
    chart_titles,
    choose_radio,
    choose_selectbox,
    goto,
    metric,
    metric_value,
    no_exception,
    open_page,
    page_url,
    selectbox_value,
    upload_file,
)

pytestmark = pytest.mark.xdist_group("e2e")

LABEL = "Label column (the category to balance)"


def title(page):
    return page.locator('[data-testid="stHeading"] h1')


def test_root_opens_the_data_page_on_the_sample(page, server_url):
    goto(page, server_url, "/")
    expect(page).to_have_url(page_url("Data"))
    expect(title(page)).to_have_text("Data")
    expect(metric(page, "Rows")).to_have_text("10,000")
    expect(page.get_by_role("radio", name="Built-in sample")).to_be_checked()
    expect(selectbox_value(page, LABEL)).to_have_value("amazon_category_and_sub_category")
    no_exception(page)


# Top-level classes and their row counts: a long tail we control.
TOP = {"Toys": 200, "Games": 60, "Baby": 25, "Crafts": 10, "Garden": 5}
SUB = {"Toys": ["Dolls > Houses", "Dolls > Accessories", "Vehicles > Cars"], "Games": ["Board Games", "Puzzles"],
       "Baby": ["Rattles"], "Crafts": ["Paint", "Beads"], "Garden": ["Swings"]}
BRANDS = ["Acme", "Brio", "Lego", "Hape"]


def write_catalog(path):
    rng = random.Random(7)
    words = "red blue wooden classic mini deluxe set kit toy game puzzle soft big little".split()
    rows = []
    for top, n in TOP.items():
        for i in range(n):
            rows.append({
                "category": f"{top} > {SUB[top][i % len(SUB[top])]}",
                "brand": BRANDS[i % len(BRANDS)],
            })
    rng.shuffle(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["sku", "title", "price", "brand", "category"])
        for i, row in enumerate(rows):
            w.writerow([
                f"SKU-{i:05d}", " ".join(rng.choice(words) for _ in range(4)),
                f"£{rng.randint(1, 2500):,}.{rng.randint(0, 99):02d}", row["brand"], row["category"],
            ])
    return len(rows)


def test_upload_pick_label_and_see_its_skew(page, server_url, tmp_path):
    csv_path = tmp_path / "shop.csv"
    n_rows = write_catalog(csv_path)
    assert n_rows == 300
    expected_ratio = f"{max(TOP.values()) / min(TOP.values()):,.1f}"
    assert expected_ratio == "40.0"

    goto(page, server_url, PAGE_PATHS["Data"])
    choose_radio(page, "Upload a file")
    upload_file(page, csv_path)
    no_exception(page)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("Catalog: shop.csv")
    expect(metric(page, "Rows")).to_have_text("300")
    expect(metric(page, "Columns")).to_have_text("5")

    # The category path is suggested as the label, at its top level.
    expect(selectbox_value(page, LABEL)).to_have_value("category")
    expect(selectbox_value(page, "Level of the path (separator '>')")).to_have_value("top level")
    expect(page.get_by_text(f"{len(TOP)} classes", exact=True)).to_be_visible()

    # Pick another label, then the category again, through the real dropdowns.
    choose_selectbox(page, LABEL, "brand")
    expect(page.get_by_text(f"{len(BRANDS)} classes", exact=True)).to_be_visible()
    choose_selectbox(page, LABEL, "category")
    expect(page.get_by_text(f"{len(TOP)} classes", exact=True)).to_be_visible()
    expect(selectbox_value(page, "Level of the path (separator '>')")).to_have_value("top level")

    open_page(page, "Skew")
    expect(title(page)).to_have_text("Skew")
    no_exception(page)
    expect(metric(page, "Classes")).to_have_text(str(len(TOP)))
    expect(metric(page, "Imbalance ratio")).to_have_text(expected_ratio)
    assert metric_value(page, "Rows without a label") == "0"
    expect(chart(page, "Rows per class")).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Rows per class")).to_be_visible()
    expect(chart(page, "Long tail: cumulative share of rows")).to_be_visible()
    titles = chart_titles(page)
    assert titles[:2] == ["Rows per class", "Long tail: cumulative share of rows"], titles
    assert any(t.startswith("Category tree") for t in titles), titles


def test_binary_upload_shows_a_clear_error(page, server_url, tmp_path):
    bad = tmp_path / "broken.csv"
    bad.write_bytes(bytes(range(256)) * 64)

    goto(page, server_url, PAGE_PATHS["Data"])
    choose_radio(page, "Upload a file")
    upload_file(page, bad)
    alert = page.locator(ALERT).filter(has_text="binary, not a text table")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Upload a CSV, Parquet (.parquet) or Excel (.xlsx) file.")
    expect(page.locator(EXCEPTION)).to_have_count(0)
    # The page stops after the error: no preview of a table that could not be read.
    expect(metric(page, "Rows")).to_have_count(0)
