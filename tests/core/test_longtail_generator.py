"""The one long-tail catalog generator (:mod:`tests.longtail`, also ``benchmarks/longtail.py`` as a command)
gives what its docstring promises. The expected figures come from the documented shares, or are counted on
the frame with pandas, never from the generator's own helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.longtail import LABEL, LEVEL_COLUMNS, SEPARATOR, class_sizes, make_longtail, minimum_rows


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return make_longtail(20_000, 600, level_columns=True)


@pytest.mark.parametrize("rows, classes", [(20_000, 600), (3_000, 50), (1_234, 101)])
def test_exact_rows_and_classes(rows, classes):
    frame = make_longtail(rows, classes)
    assert len(frame) == rows
    assert frame[LABEL].nunique() == classes
    assert frame[LABEL].isna().sum() == max(1, rows // 200)
    assert frame["sku"].is_unique


def test_hundreds_of_singletons_and_small_classes(big):
    counts = big[LABEL].value_counts()
    assert (counts == 1).sum() == round(0.22 * 600) == 132
    assert ((counts >= 2) & (counts <= 5)).sum() == round(0.27 * 600) == 162
    assert counts[counts > 5].min() >= 6  # the Zipf body never dips under 6 rows


@pytest.mark.parametrize("rows, classes", [(22_000, 700), (4_000, 200), (3_000, 120)])
def test_documented_shares_of_tiny_classes(rows, classes):
    """22 % of the classes are singletons and 27 % hold 2 to 5 rows; the others at least 6."""
    counts = make_longtail(rows, classes, hierarchy=False)[LABEL].value_counts()
    assert len(counts) == classes and counts.sum() == rows - max(1, rows // 200)
    assert (counts == 1).sum() == round(0.22 * classes)
    assert counts.between(2, 5).sum() == round(0.27 * classes)
    assert counts.between(2, 5).sum() + (counts == 1).sum() + (counts >= 6).sum() == classes


def test_columns_by_option():
    assert list(make_longtail(2_000, 40).columns) == ["sku", "title", "brand", "price", "rating", LABEL]
    both = make_longtail(2_000, 40, hierarchy=False, level_columns=True)
    assert list(both.columns) == ["sku", "title", "brand", "price", "rating", LABEL, *LEVEL_COLUMNS]
    labelled = both[both[LABEL].notna()]
    assert labelled[LABEL].equals(labelled["category_leaf"])  # flat label = the leaf level


def test_body_follows_zipf():
    sizes = class_sizes(100_000, 2000)
    assert sizes.sum() == 100_000 and len(sizes) == 2000
    assert (np.diff(sizes) <= 0).all()  # largest first
    body = sizes[sizes > 6][1:]  # the head class carries the rounding
    ranks = np.arange(2, len(body) + 2)
    slope = np.polyfit(np.log(ranks), np.log(body), 1)[0]
    assert -1.2 < slope < -1.0


def test_empty_cells(big):
    assert big["price"].isna().sum() == 2_000  # exactly 10% of 20,000
    assert big["rating"].isna().sum() == 3_000  # exactly 15%
    assert big["price"].dropna().gt(0).all()
    assert big["rating"].dropna().between(1, 5).all()


def test_empty_cells_are_empty_in_the_csv(tmp_path):
    path = tmp_path / "x.csv"
    make_longtail(2_000, 40).to_csv(path, index=False)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert (raw["price"] == "").sum() == 200
    assert (raw[LABEL] == "").sum() == 10


def test_same_seed_same_frame_other_seed_other_frame():
    a = make_longtail(3_000, 80, seed=3)
    pd.testing.assert_frame_equal(a, make_longtail(3_000, 80, seed=3))
    b = make_longtail(3_000, 80, seed=4)
    assert not a["title"].equals(b["title"])
    assert sorted(a[LABEL].value_counts()) == sorted(b[LABEL].value_counts())  # same size law


def test_hierarchy_every_leaf_has_one_parent(big):
    parts = big[LABEL].dropna().str.split(SEPARATOR, regex=False)
    assert parts.map(len).eq(3).all()
    paths = pd.DataFrame(parts.tolist(), columns=["top", "sub", "leaf"]).drop_duplicates()
    assert paths.groupby("leaf")["sub"].nunique().max() == 1
    assert paths.groupby("sub")["top"].nunique().max() == 1
    assert paths["leaf"].nunique() == 600
    labelled = big[big[LABEL].notna()]
    joined = labelled[list(LEVEL_COLUMNS)].agg(SEPARATOR.join, axis=1)
    assert joined.equals(labelled[LABEL])
    assert big.loc[big[LABEL].isna(), list(LEVEL_COLUMNS)].isna().all().all()


def test_flat_labels_are_the_leaves():
    flat = make_longtail(3_000, 80, hierarchy=False)
    path = make_longtail(3_000, 80)
    assert flat[LABEL].nunique() == 80
    assert not flat[LABEL].dropna().str.contains(SEPARATOR, regex=False).any()
    assert flat[LABEL].dropna().tolist() == path[LABEL].dropna().str.split(SEPARATOR, regex=False).str[-1].tolist()


def test_titles_and_brands(big):
    words = big["title"].str.split().map(len)
    assert words.min() >= 9 and words.max() <= 14
    assert big["brand"].nunique() > 400
    top_share = big["brand"].value_counts(normalize=True).iloc[0]
    assert top_share < 0.1


def test_too_few_rows_is_refused():
    need = minimum_rows(500)
    frame = make_longtail(need, 500)
    assert len(frame) == need and frame[LABEL].nunique() == 500
    assert frame[LABEL].value_counts().max() >= 6
    with pytest.raises(ValueError, match="too small for 500 classes"):
        make_longtail(need - 1, 500)
