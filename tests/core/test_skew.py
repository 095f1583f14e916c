"""core.data.skew: every metric against a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.data.skew import gini, group_for_count, profile_skew
from core.errors import ParameterError


def labels_from(counts: dict[str, int], missing: int = 0) -> pd.Series:
    values: list = []
    for cls, n in counts.items():
        values += [cls] * n
    values += [pd.NA] * missing
    # interleave so order in the input does not matter
    rng = np.random.default_rng(0)
    return pd.Series(rng.permutation(np.array(values, dtype=object)), dtype="string")


def gini_by_pairs(sizes) -> float:
    x = [float(v) for v in sizes]
    n = len(x)
    mean = sum(x) / n
    return sum(abs(a - b) for a in x for b in x) / (2 * n * n * mean)


def test_six_three_one_by_hand():
    prof = profile_skew(labels_from({"a": 6, "b": 3, "c": 1}, missing=2))
    assert prof.n_rows == 12
    assert prof.n_labelled == 10
    assert prof.n_missing_label == 2
    assert prof.n_classes == 3
    assert prof.counts == {"a": 6, "b": 3, "c": 1}
    assert list(prof.counts) == ["a", "b", "c"]
    assert prof.imbalance_ratio == 6.0
    h = -(0.6 * math.log(0.6) + 0.3 * math.log(0.3) + 0.1 * math.log(0.1))
    assert prof.normalized_entropy == pytest.approx(h / math.log(3), rel=1e-12)
    assert prof.effective_classes == pytest.approx(math.exp(h), rel=1e-12)
    assert gini_by_pairs([6, 3, 1]) == pytest.approx(1 / 3)
    assert prof.gini == pytest.approx(gini_by_pairs([6, 3, 1]), rel=1e-12)
    assert prof.classes_for_80pct == 2  # 60 % then 90 %
    assert prof.shares == {"a": 0.6, "b": 0.3, "c": 0.1}
    assert prof.singletons == ["c"]
    # defaults: head > 100, tail < 20, k = 5
    assert (prof.head, prof.medium, prof.tail) == ([], [], ["a", "b", "c"])
    assert prof.too_small_for_knn == ["b", "c"]


def test_custom_thresholds_and_k():
    labels = labels_from({"a": 6, "b": 3, "c": 1})
    prof = profile_skew(labels, head_min=5, tail_max=2, k_neighbors=2)
    assert (prof.head, prof.medium, prof.tail) == (["a"], ["b"], ["c"])
    assert prof.too_small_for_knn == ["c"]
    assert prof.group_of("a") == "head" and prof.group_of("b") == "medium" and prof.group_of("c") == "tail"
    prof = profile_skew(labels, head_min=6, tail_max=3, k_neighbors=1)
    # 6 is not more than 6; 3 is not fewer than 3
    assert (prof.head, prof.medium, prof.tail) == ([], ["a", "b"], ["c"])
    assert prof.too_small_for_knn == ["c"]
    assert profile_skew(labels, k_neighbors=5).too_small_for_knn == ["b", "c"]
    assert profile_skew(labels, k_neighbors=2).too_small_for_knn == ["c"]


def test_group_boundaries():
    assert group_for_count(101) == "head"
    assert group_for_count(100) == "medium"
    assert group_for_count(20) == "medium"
    assert group_for_count(19) == "tail"


def test_ties_are_ordered_by_name():
    prof = profile_skew(pd.Series(["b", "a", "c", "c", "b", "a"], dtype="string"))
    assert list(prof.counts) == ["a", "b", "c"]
    assert prof.imbalance_ratio == 1.0
    assert prof.normalized_entropy == pytest.approx(1.0)
    assert prof.effective_classes == pytest.approx(3.0)
    assert prof.gini == pytest.approx(0.0, abs=1e-15)
    assert prof.classes_for_80pct == 3


def test_classes_for_80pct_at_exactly_eighty():
    prof = profile_skew(labels_from({"a": 8, "b": 1, "c": 1}))
    assert prof.classes_for_80pct == 1


def test_gini_against_pairs_on_random_sizes():
    rng = np.random.default_rng(3)
    for _ in range(20):
        sizes = rng.integers(1, 500, size=int(rng.integers(2, 15)))
        assert gini(sizes) == pytest.approx(gini_by_pairs(sizes), rel=1e-12, abs=1e-15)
    assert gini(np.array([5])) == 0.0
    assert gini(np.array([])) == 0.0


def test_one_class():
    prof = profile_skew(pd.Series(["x", "x", pd.NA], dtype="string"))
    assert prof.n_classes == 1
    assert prof.counts == {"x": 2}
    assert prof.imbalance_ratio == 1.0
    assert prof.effective_classes == 1.0
    assert prof.normalized_entropy == 1.0  # one class: nothing is skewed (log(1) = 0 is not divided by)
    assert prof.gini == 0.0
    assert prof.classes_for_80pct == 1
    assert prof.n_missing_label == 1


def test_empty_and_all_missing():
    for labels in (pd.Series([], dtype="string"), pd.Series([pd.NA, pd.NA], dtype="string")):
        prof = profile_skew(labels)
        assert prof.n_classes == 0
        assert prof.counts == {}
        assert prof.n_labelled == 0
        assert prof.n_missing_label == len(labels)
        assert math.isnan(prof.imbalance_ratio)
        assert math.isnan(prof.normalized_entropy)
        assert math.isnan(prof.gini)
        assert prof.classes_for_80pct == 0
        assert prof.head == prof.medium == prof.tail == prof.singletons == prof.too_small_for_knn == []


def test_table_rows():
    table = profile_skew(labels_from({"a": 6, "b": 3, "c": 1}), head_min=5, tail_max=2, k_neighbors=2).table()
    assert table["class"].tolist() == ["a", "b", "c"]
    assert table["rows"].tolist() == [6, 3, 1]
    assert table["cumulative share"].tolist() == pytest.approx([0.6, 0.9, 1.0])
    assert table["group"].tolist() == ["head", "medium", "tail"]
    assert table["< 3 rows (k-NN)"].tolist() == [False, False, True]
    assert list(table.index) == [1, 2, 3]


def test_bad_parameters():
    labels = labels_from({"a": 2})
    with pytest.raises(ParameterError) as info:
        profile_skew(labels, head_min=10, tail_max=50)
    assert str(info.value) == (
        "tail_max=50 is not allowed; it must be a whole number in 0..11. "
        "The tail bound must not exceed the head bound + 1."
    )
    with pytest.raises(ParameterError, match=r"^head_min=-1 is not allowed; it must be a whole number of at least 0\.$"):
        profile_skew(labels, head_min=-1)
    with pytest.raises(ParameterError, match=r"^k_neighbors=0 is not allowed; it must be a whole number of at least 1\.$"):
        profile_skew(labels, k_neighbors=0)


def test_shared_dataset_distributions(datasets_dir):
    from core.data.io import load_table

    expected = {
        "ecoli.csv": ({"cp": 143, "im": 77, "pp": 52, "imU": 35, "om": 20, "omL": 5, "imL": 2, "imS": 2}, 71.5),
        "yeast.csv": (
            {"CYT": 463, "NUC": 429, "MIT": 244, "ME3": 163, "ME2": 51, "ME1": 44, "EXC": 35, "VAC": 30, "POX": 20, "ERL": 5},
            92.6,
        ),
        "page_blocks.csv": ({"text": 4913, "horiz. line": 329, "picture": 115, "vert. line": 88, "graphic": 28}, 175.5),
    }
    for name, (counts, ir) in expected.items():
        frame = load_table(datasets_dir / name).frame
        prof = profile_skew(frame["class"])
        assert prof.counts == counts, name
        assert list(prof.counts) == list(counts), name
        assert round(prof.imbalance_ratio, 1) == ir, name
        assert prof.n_missing_label == 0


def test_toys_top_level_profile(toys_table):
    from core.data.schema import label_values

    prof = profile_skew(label_values(toys_table.frame, "amazon_category_and_sub_category", level=1, separator=" > "))
    assert (prof.n_rows, prof.n_missing_label, prof.n_classes) == (10_000, 690, 43)
    assert prof.imbalance_ratio == 1464.0
    assert len(prof.singletons) == 12
    assert len(prof.too_small_for_knn) == 25
    assert list(prof.counts.items())[:3] == [("Hobbies", 1464), ("Die-Cast & Toy Vehicles", 1221), ("Figures & Playsets", 1111)]
