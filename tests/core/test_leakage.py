"""Columns that give the label away: exact leave-one-out figures, hierarchy levels found, real features kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import label_values, load_table
from core.data.leakage import FOLLOWS, PREDICTS, _codes, _loo_accuracy, find_leaks
from tests.messy import LABEL, messy_catalog
from tests.paths import DATASETS


def _loo_by_hand(key: list, target: list) -> float:
    """Row by row, over the rows with a key: the strict majority target among the other rows with the same key."""
    right = 0
    for i, (k, t) in enumerate(zip(key, target)):
        if k is None:
            continue
        others = [target[j] for j in range(len(key)) if j != i and key[j] == k]
        if not others:
            continue
        values, counts = np.unique(others, return_counts=True)
        best = counts.max()
        if (counts == best).sum() == 1 and values[counts.argmax()] == t:
            right += 1
    return right / sum(k is not None for k in key)


def test_leave_one_out_figure_equals_a_row_by_row_count():
    rng = np.random.default_rng(3)
    n = 400
    target = [f"c{v}" for v in rng.integers(0, 12, n)]
    # a noisy child level: mostly a function of the target, some rows swapped, some empty, some unique
    key = [f"k{t}-{rng.integers(0, 3)}" if rng.random() > 0.15 else f"u{i}" for i, t in enumerate(target)]
    key = [None if rng.random() < 0.05 else k for k in key]
    frame = pd.DataFrame({"key": pd.Series(key, dtype="object")})
    labels = pd.Series(target, dtype="string")
    expected = _loo_by_hand(key, target)
    leaks = find_leaks(frame, labels, ["key"])
    key, n_keys = _codes(frame["key"])
    target, n_targets = _codes(labels)
    got = _loo_accuracy(key, n_keys, target, n_targets)
    assert got == pytest.approx(expected, abs=1e-12)
    assert expected > 0.5  # the test data is what it says: a strong but imperfect child level
    assert bool(leaks) == (expected >= PREDICTS)


def test_messy_catalog_hierarchy_levels_are_flagged_and_real_features_are_not():
    frame = messy_catalog(3000)
    labels = frame[LABEL].astype("string")
    columns = [c for c in frame.columns if c != LABEL]
    leaks = {leak.column: leak for leak in find_leaks(frame, labels, columns)}
    assert set(leaks) == {"type", "category"}
    assert leaks["type"].kind == "predicts" and leaks["type"].accuracy >= PREDICTS
    assert leaks["category"].kind == "follows" and leaks["category"].accuracy >= FOLLOWS
    # a unique id per row predicts nothing, however "pure" each of its values is
    assert "sku" not in leaks
    assert "one value per class" in leaks["category"].describe("class")


def test_sample_catalog_levels_of_its_own_path_are_flagged_brands_are_not():
    table = load_table((DATASETS / "amazon_uk_toys_catalog.csv").read_bytes(), name="sample.csv")
    frame = table.frame.copy()
    path = frame["amazon_category_and_sub_category"].astype("string").str.split(" > ")
    frame["top"] = path.str[0]
    frame["third"] = path.str[2]
    labels = label_values(frame, "amazon_category_and_sub_category", level=2, separator=" > ")
    columns = ["product_name", "manufacturer", "price", "number_of_reviews", "average_rating", "top", "third", "uniq_id"]
    found = {leak.column: leak for leak in find_leaks(frame, labels, columns)}
    assert {c: leak.kind for c, leak in found.items()} == {"top": "follows", "third": "predicts"}
    # the third level is empty where a path has two levels: judged on the rows that have one
    assert found["third"].coverage == pytest.approx(frame["third"][labels.notna()].notna().mean())
    assert "of the rows that have a value (58% of rows)" in found["third"].describe("class")


def test_one_class_or_constant_columns_give_nothing_away():
    frame = pd.DataFrame({"a": ["x"] * 10, "b": list("ababababab")})
    assert find_leaks(frame, pd.Series(["c"] * 10, dtype="string"), ["a", "b"]) == []
    labels = pd.Series(["c", "d"] * 5, dtype="string")
    assert find_leaks(frame, labels, ["a"]) == []  # constant: follows from anything, reported never
    assert [leak.column for leak in find_leaks(frame, labels, ["b"])] == ["b"]  # b is the label itself


def test_a_big_class_alone_does_not_make_a_column_look_leaky():
    # 60 rows of 'a' with ten repeated prices, 3 of 'c' with unique ones: the price "names" 95% of rows,
    # exactly as often as guessing 'a' every time does
    frame = pd.DataFrame({"price": [f"{i % 10}.0" for i in range(60)] + ["1.05", "4.05", "7.05"]})
    labels = pd.Series(["a"] * 60 + ["c"] * 3, dtype="string")
    assert _loo_accuracy(*_codes(frame["price"]), *_codes(labels)) == pytest.approx(60 / 63)
    assert find_leaks(frame, labels, ["price"]) == []
