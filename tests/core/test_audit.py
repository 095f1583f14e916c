"""Audit metrics against hand-built cases: overlap, near copies, drift, impossible values, removals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.features import FeatureConfig, build_features
from core.errors import ParameterError
from core.mapping.audit import audit, near_copy_threshold, summary_table
from core.strategies import ResampleResult, resample
from tests.paths import DATASETS


def _space():
    """Two well separated classes A (price ~10) and B (price ~100); reviews are whole numbers."""
    price = [9, 10, 11, 10.5, 9.5, 10.2, 99, 100, 101, 100.5, 99.5, 100.2]
    reviews = [1, 2, 3, 2, 1, 3, 20, 21, 22, 20, 21, 22]
    frame = pd.DataFrame({"price": [str(p) for p in price], "reviews": [str(r) for r in reviews],
                          "cat": ["A"] * 6 + ["B"] * 6})
    return build_features(frame, frame["cat"].astype(object), FeatureConfig(numeric=("price", "reviews")))


def _std(space, price, reviews):
    p, r = space._numeric["price"], space._numeric["reviews"]
    return [(price - p.mean) / p.std, (reviews - r.mean) / r.std]


def _result(space, synthetic, labels, *, removed=(), strategy="hand"):
    """A result: every real row kept (minus ``removed``), then the synthetic rows (original units)."""
    keep = np.array([r not in set(removed) for r in space.rows])
    Xs = np.array([_std(space, p, r) for p, r in synthetic], dtype=np.float64).reshape(-1, space.X.shape[1])
    m = len(Xs)
    X = np.vstack([space.X[keep], Xs])
    y = np.concatenate([space.y[keep], np.array(labels, dtype=object)])
    n = int(keep.sum())
    counts_after = pd.Series(y.astype(str)).value_counts().to_dict()
    return ResampleResult(
        X=X, y_code=np.unique(y.astype(str), return_inverse=True)[1], classes=tuple(np.unique(y.astype(str)).tolist()),
        row=np.concatenate([space.rows[keep], np.full(m, -1)]).astype(np.int64),
        seed_row=np.full(n + m, -1, dtype=np.int64), neighbor_row=np.full(n + m, -1, dtype=np.int64),
        alpha=np.full(n + m, np.nan), sample_weight=None,
        removed_rows=np.array(sorted(removed), dtype=np.int64),
        removed_reason=np.array(["hand"] * len(removed), dtype=object),
        runtime_s=0.0, notes=(), counts_before=space.class_counts(), counts_after=counts_after,
        targets=None, strategy=strategy, params={}, seed=0,
    )


def test_synthetic_point_inside_another_class_is_an_overlap():
    space = _space()
    # labelled A but placed among the B rows; a second A row sits among the A rows
    res = _result(space, [(100.1, 21), (10.1, 2)], ["A", "A"])
    a = audit(space, res, k=5)
    assert a.overlap.tolist() == [True, False]
    assert a.overlap_rate == pytest.approx(0.5)
    assert a.per_class.set_index("class").loc["A", "overlap"] == 1


def test_exact_copy_is_a_near_copy_and_a_distinct_point_is_not():
    space = _space()
    res = _result(space, [(10.0, 2), (10.25, 2)], ["A", "A"])
    a = audit(space, res)
    thr = near_copy_threshold(space.X)
    assert a.near_copy_distance == pytest.approx(thr) and thr > 0
    assert a.near_copy.tolist() == [True, False]
    assert a.near_copy_rate == pytest.approx(0.5)
    # an explicit threshold wins: 0 still counts exact copies
    assert audit(space, res, near_copy=0.0).near_copy.tolist() == [True, False]
    assert audit(space, res, near_copy=10.0).near_copy.tolist() == [True, True]


def test_negative_price_fraction_and_out_of_class_range_are_impossible():
    space = _space()
    res = _result(space, [(-5.0, 2), (10.0, 2.5), (50.0, 2), (10.0, 2)], ["A", "A", "A", "A"])
    a = audit(space, res)
    assert a.impossible.tolist() == [True, True, True, False]
    table = a.impossible_values.set_index("column")
    assert table.loc["price", "negative"] == 1          # price is never negative among real rows
    assert table.loc["price", "outside_class_range"] == 2  # -5 and 50 are outside A's 9..11
    assert table.loc["reviews", "fractional"] == 1     # 2.5 reviews
    assert a.impossible_rate == pytest.approx(0.75)
    # the repair of to_original would have hidden all of it
    repaired = space.to_original(res.X[a.synthetic_index], res.y[a.synthetic_index])
    assert (repaired["price"] >= 9).all()


def test_drift_is_the_ks_statistic_in_original_units():
    space = _space()
    same = audit(space, _result(space, [(9, 1), (10, 2), (11, 3)], ["A"] * 3))
    shifted = audit(space, _result(space, [(11.5, 3), (11.6, 3), (11.7, 3)], ["A"] * 3))
    d_same = same.drift.set_index(["class", "column"]).loc[("A", "price"), "value"]
    d_shift = shifted.drift.set_index(["class", "column"]).loc[("A", "price"), "value"]
    assert d_shift == pytest.approx(1.0)  # every synthetic price above every real one
    assert d_same < 0.5
    assert set(shifted.drift["statistic"]) == {"ks"}


def test_removal_per_class_marks_the_tail_and_summary_sorts_worst_first():
    space = _space()
    removed = [int(space.rows[0]), int(space.rows[1]), int(space.rows[6])]
    rem = audit(space, _result(space, [], [], removed=removed, strategy="remover"))
    table = rem.removed_by_class.set_index("class")
    assert table.loc["A", "removed"] == 2 and table.loc["B", "removed"] == 1
    assert table.loc["A", "group"] == "tail"  # 6 rows < 20
    assert table.loc["A", "share_removed"] == pytest.approx(2 / 6)
    assert rem.tail_rows_removed == 3 and np.isnan(rem.overlap_rate)
    good = audit(space, _result(space, [(10.1, 2)], ["A"], strategy="good"))
    bad = audit(space, _result(space, [(100.1, 21), (-1, 2)], ["A", "A"], strategy="bad"))
    summary = summary_table([good, rem, bad])
    assert summary["strategy"].tolist() == ["bad", "remover", "good"]
    assert summary.loc[0, "overlap"] == pytest.approx(0.5)
    assert summary.loc[1, "tail rows lost"] == pytest.approx(3 / 12)


def test_smote_on_yeast_stays_mostly_clean():
    frame = pd.read_csv(DATASETS / "yeast.csv", dtype=str, keep_default_na=False)
    numeric = tuple(c for c in frame.columns if c not in ("sequence_name", "class"))
    space = build_features(frame, frame["class"].astype(object), FeatureConfig(numeric=numeric))
    res = resample(space, "smote", target="floor:100", small_classes="lower_k", seed=0)
    a = audit(space, res)
    assert a.n_synthetic == res.n_synthetic > 0
    assert 0 <= a.overlap_rate < 0.9 and a.near_copy_rate < 0.2
    # SMOTE interpolates inside a class, so a synthetic value never leaves its class range
    assert a.impossible_values["outside_class_range"].sum() == 0
    assert len(a.per_class) == len(space.classes)
    ro = audit(space, resample(space, "random_over", target="floor:100", seed=0))
    assert ro.near_copy_rate == 1.0  # plain random over-sampling only copies


def test_bad_parameters_are_refused():
    space = _space()
    res = _result(space, [(10, 2)], ["A"])
    with pytest.raises(ParameterError, match=r"^audit: k=0 is not allowed; it must be a whole number in 1\.\.50\.$"):
        audit(space, res, k=0)
    with pytest.raises(ParameterError, match="near_copy"):
        audit(space, res, near_copy=-1.0)
    with pytest.raises(ParameterError, match=r"^audit: tail_max=50 is not allowed; it must be a whole number in 0\.\.11\."):
        audit(space, res, head_min=10, tail_max=50)


def test_above_the_check_cap_a_stratified_sample_is_checked_and_rates_are_its_shares(monkeypatch):
    """Neighbour searches cost real rows x features per synthetic row: above CHECK_CAP a sample
    stratified by class (every class kept) is checked; the rates are shares of the checked rows,
    equal to an independent scikit-learn search on exactly those rows."""
    from sklearn.neighbors import NearestNeighbors

    import core.mapping.audit as audit_module

    frame = pd.read_csv(f"{DATASETS}/yeast.csv", dtype=str)
    space = build_features(frame, frame["class"].astype(object),
                           FeatureConfig(numeric=tuple(c for c in frame.columns if c not in ("class", "sequence_name"))))
    r = resample(space, "smote", target="balanced", small_classes="lower_k", seed=1)
    monkeypatch.setattr(audit_module, "CHECK_CAP", 300)
    a = audit(space, r, k=5)
    syn_y = r.y[a.synthetic_index].astype(str)
    assert a.n_synthetic == r.n_synthetic > 300
    assert 300 <= a.n_checked <= 300 + 9  # at most one extra row per class when a class rounds up
    assert set(syn_y[a.checked]) == set(syn_y)  # every class with synthetic rows is checked
    assert not (a.overlap & ~a.checked).any() and not (a.near_copy & ~a.checked).any()
    rows = a.synthetic_index[a.checked]
    _, nbr = NearestNeighbors(n_neighbors=5).fit(space.X).kneighbors(r.X[rows])
    other = (space.y.astype(str)[nbr] != r.y[rows].astype(str)[:, None]).sum(axis=1) > 2.5
    assert a.overlap[a.checked].tolist() == other.tolist()
    assert a.overlap_rate == pytest.approx(other.mean())
    per_class = a.per_class.set_index("class")
    assert per_class["checked"].sum() == a.n_checked and per_class["synthetic"].sum() == a.n_synthetic
    assert summary_table([a]).loc[0, "checked"] == a.n_checked
    full = audit(space, r, k=5)  # the threshold is reused, the checked rows are drawn the same way
    assert full.checked.tolist() == a.checked.tolist() and full.near_copy_distance == a.near_copy_distance
