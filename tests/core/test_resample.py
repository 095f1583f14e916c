from __future__ import annotations

import warnings
from collections import Counter
from functools import cache

import numpy as np
import pytest

from core.data.features import FeatureConfig, build_features
from core.data.io import load_table
from core.data.schema import detect_separator, infer_roles, label_values
from core.errors import ParameterError, SmallClassError
from core.strategies import REGISTRY, ResampleResult, resample
from tests.paths import DATASETS

DATA = f"{DATASETS}/"
TOYS_LABEL = "amazon_category_and_sub_category"


@cache
def space(name: str):
    """Feature spaces of the shared datasets (page_blocks and the toys catalog subsampled)."""
    if name == "toys":
        frame = load_table(DATA + "amazon_uk_toys_catalog.csv").frame.iloc[:1000].reset_index(drop=True)
        labels = label_values(frame, TOYS_LABEL, level=1, separator=detect_separator(frame[TOYS_LABEL]))
        roles = infer_roles(frame, label=TOYS_LABEL)
    else:
        frame = load_table(DATA + f"{name}.csv").frame
        if name == "page_blocks":  # every 10th 'text' row, every other row
            keep = (frame["class"] != "text") | (np.arange(len(frame)) % 10 == 0)
            frame = frame[keep].reset_index(drop=True)
        labels = label_values(frame, "class")
        roles = infer_roles(frame, label="class")
    return build_features(frame, labels, FeatureConfig.from_roles(roles, text_dim=16))


def check_invariants(sp, r: ResampleResult) -> None:
    n_out = len(r.y)
    for arr in (r.X, r.origin, r.row, r.seed_row, r.neighbor_row, r.alpha):
        assert len(arr) == n_out
    orig = r.origin == "original"
    n_orig = int(orig.sum())
    assert orig[:n_orig].all() and not orig[n_orig:].any(), "originals first, then synthetic"
    rows = r.row[:n_orig]
    assert np.all(np.diff(rows) > 0), "original rows in row-id order"
    assert (r.row[n_orig:] == -1).all()
    pos = sp.position_of(rows)
    assert np.array_equal(r.X[:n_orig], sp.X[pos]), "kept original rows unchanged"
    assert sorted(rows.tolist() + r.removed_rows.tolist()) == sp.rows.tolist()
    assert len(r.removed_reason) == len(r.removed_rows) and all(isinstance(x, str) and x for x in r.removed_reason)
    assert r.counts_after == dict(sorted(Counter(r.y.astype(str).tolist()).items()))
    syn = ~orig
    assert r.n_synthetic == int(syn.sum())
    assert list(r.classes) == sorted(set(r.classes)) and r.y.dtype == object
    assert [r.classes[c] for c in r.y_code.tolist()] == r.y.tolist()
    assert r.nbytes == sum(a.nbytes for a in (r.X, r.y_code, r.row, r.seed_row, r.neighbor_row, r.alpha,
                                               r.removed_rows, r.removed_reason)) + (
        0 if r.sample_weight is None else r.sample_weight.nbytes) + 16 * n_out
    assert np.isin(r.seed_row[syn], sp.rows).all()
    ok_nb = r.neighbor_row[syn]
    assert np.isin(ok_nb[ok_nb >= 0], sp.rows).all()
    assert np.isfinite(r.X).all()
    prov = r.provenance()
    assert list(prov.columns) == [
        "skewlab_origin", "skewlab_row", "skewlab_seed_row", "skewlab_neighbor_row",
        "skewlab_alpha", "skewlab_strategy", "skewlab_sample_weight",
    ]
    assert len(prov) == n_out and str(prov["skewlab_row"].dtype) == "Int64"
    assert prov["skewlab_row"].isna().sum() == int(syn.sum())
    assert list(r.removed().columns) == ["skewlab_row", "skewlab_reason"]
    family = {REGISTRY[s].family for s in r.strategy.split("+")}
    if family <= {"under", "clean", "outlier", "baseline", "reweight"}:
        assert not syn.any() and n_out <= sp.n_rows
    if family <= {"reweight", "baseline"}:
        assert n_out == sp.n_rows and np.array_equal(r.X, sp.X)
    if "reweight" in family:
        assert r.sample_weight is not None and len(r.sample_weight) == n_out
        assert r.sample_weight.mean() == pytest.approx(1.0)
    else:
        assert r.sample_weight is None and prov["skewlab_sample_weight"].isna().all()
    if family == {"over"}:
        assert r.counts_after == r.targets, "over-samplers hit their targets exactly"


@pytest.mark.parametrize("strategy", sorted(REGISTRY))
@pytest.mark.parametrize("dataset", ["ecoli", "yeast", "page_blocks", "toys"])
def test_every_strategy_on_every_dataset(dataset, strategy):
    sp = space(dataset)
    r = resample(sp, strategy, small_classes="lower_k", seed=0)
    check_invariants(sp, r)


def test_smote_rows_lie_on_segments_and_keep_class():
    sp = space("yeast")
    r = resample(sp, "smote", small_classes="lower_k")
    syn = r.origin == "synthetic"
    seed = sp.X[sp.position_of(r.seed_row[syn])]
    nb = sp.X[sp.position_of(r.neighbor_row[syn])]
    alpha = r.alpha[syn]
    assert ((alpha >= 0) & (alpha <= 1)).all()
    np.testing.assert_allclose(r.X[syn], seed + alpha[:, None] * (nb - seed), rtol=0, atol=1e-12)
    assert np.array_equal(sp.y[sp.position_of(r.seed_row[syn])], r.y[syn])
    assert np.array_equal(sp.y[sp.position_of(r.neighbor_row[syn])], r.y[syn])
    assert (r.seed_row[syn] != r.neighbor_row[syn]).any()


@pytest.mark.parametrize("strategy", ["smote", "random_over", "adasyn", "tomek_links", "isolation_forest+smote+enn", "oss"])
def test_same_seed_same_output(strategy):
    sp = space("ecoli")
    a = resample(sp, strategy, small_classes="lower_k", seed=3)
    b = resample(sp, strategy, small_classes="lower_k", seed=3)
    for field in ("X", "y", "origin", "row", "seed_row", "neighbor_row", "removed_rows"):
        assert np.array_equal(getattr(a, field), getattr(b, field))
    np.testing.assert_array_equal(a.alpha, b.alpha)


def test_different_seed_differs():
    sp = space("ecoli")
    a = resample(sp, "smote", small_classes="lower_k", seed=1)
    b = resample(sp, "smote", small_classes="lower_k", seed=2)
    assert not np.array_equal(a.X, b.X)


# ------------------------------------------------------------------ imbalanced-learn equivalence


def _codes(sp):
    classes = np.unique(sp.y.astype(str))
    return classes, np.searchsorted(classes, sp.y.astype(str))


def _imblearn_cases(k):
    from imblearn.combine import SMOTEENN, SMOTETomek
    from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
    from imblearn.under_sampling import (
        EditedNearestNeighbours,
        NearMiss,
        NeighbourhoodCleaningRule,
        OneSidedSelection,
        RandomUnderSampler,
        TomekLinks,
    )

    return [
        ("smote", {"k_neighbors": k}, SMOTE(k_neighbors=k, random_state=0)),
        ("random_over", {}, RandomOverSampler(random_state=0)),
        ("random_over", {"shrinkage": 1.0}, RandomOverSampler(random_state=0, shrinkage=1.0)),
        ("random_under", {}, RandomUnderSampler(random_state=0)),
        ("near_miss", {"version": 2, "n_neighbors": min(3, k)}, NearMiss(version=2, n_neighbors=min(3, k))),
        ("near_miss", {"version": 3, "n_neighbors": min(3, k), "n_neighbors_ver3": min(3, k)},
         NearMiss(version=3, n_neighbors=min(3, k), n_neighbors_ver3=min(3, k))),
        ("tomek_links", {}, TomekLinks()),
        ("tomek_links", {"classes": "all"}, TomekLinks(sampling_strategy="all")),
        ("enn", {}, EditedNearestNeighbours()),
        ("enn", {"kind_sel": "mode", "n_neighbors": 5, "classes": "all"}, EditedNearestNeighbours(kind_sel="mode", n_neighbors=5, sampling_strategy="all")),
        ("ncr", {}, NeighbourhoodCleaningRule()),
        ("oss", {}, OneSidedSelection(random_state=0)),
        ("smote_enn", {"k_neighbors": k}, SMOTEENN(smote=SMOTE(k_neighbors=k, random_state=0), random_state=0)),
        ("smote_tomek", {"k_neighbors": k}, SMOTETomek(smote=SMOTE(k_neighbors=k, random_state=0), random_state=0)),
        ("adasyn", {"n_neighbors": k}, ADASYN(n_neighbors=k, random_state=0)),
    ]


def guard_off(name: str, params: dict | None = None) -> dict:
    """``params`` with Skewlab's tail guard off where the strategy has it (imbalanced-learn has none)."""
    guarded = "min_class_rows" in REGISTRY[name].defaults()
    return {**(params or {}), **({"min_class_rows": 0} if guarded else {})}


@pytest.mark.parametrize("dataset", ["ecoli", "yeast", "page_blocks"])
def test_same_as_imbalanced_learn(dataset):
    sp = space(dataset)
    classes, y = _codes(sp)
    k = min(5, min(Counter(y.tolist()).values()) - 1)
    for name, params, est in _imblearn_cases(k):
        r = resample(sp, name, params=guard_off(name, params), seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                X_i, y_i = est.fit_resample(sp.X, y)
            except (ValueError, RuntimeError):  # ADASYN refuses some datasets outright; nothing to compare
                assert name == "adasyn"
                continue
        counts_i = {str(classes[c]): int(n) for c, n in sorted(Counter(y_i.tolist()).items())}
        if name == "adasyn":
            # ADASYN rounds per row; the synthetic rows it made are ours too (we trim / top up to hit the target)
            ours = r.X[r.origin == "synthetic"]
            theirs = X_i[len(sp.X):]
            m = min(len(ours), len(theirs))
            common = {tuple(v) for v in np.round(theirs, 12)} & {tuple(v) for v in np.round(ours, 12)}
            assert len(common) >= 0.95 * m, (dataset, name)
            continue
        assert r.counts_after == counts_i, (dataset, name, params)
        if name in OWN_STREAMS:
            # Skewlab draws every class from its own stream (seed, class name): imbalanced-learn's counts,
            # other rows (see test_random_samplers_draw_each_class_from_its_own_stream)
            _own_stream_rows(sp, r, name, params)
            continue
        if hasattr(est, "sample_indices_") and r.n_synthetic == 0:
            assert np.array_equal(sp.rows[np.sort(est.sample_indices_)], r.row), (dataset, name, params)
        if name == "smote":
            np.testing.assert_array_equal(r.X[r.origin == "synthetic"], X_i[len(sp.X):])
        if name in ("smote_enn", "smote_tomek"):
            # identical cleaned set: same multiset of rows
            ours = np.round(r.X, 10)
            theirs = np.round(X_i, 10)
            assert sorted(map(tuple, ours)) == sorted(map(tuple, theirs)), (dataset, name)


#: Strategies whose classes draw from their own stream (core.strategies.state.class_rng), not from
#: imbalanced-learn's one stream over the classes in order.
OWN_STREAMS = ("random_over", "random_under")


def _own_stream_rows(sp, r, name, params):
    """What a random sampler's rows must be: every original row kept (over) or a subset of them with no
    synthetic row (under); every copy of a real row of its class, exactly (no shrinkage) or near it."""
    if name == "random_under":
        assert r.n_synthetic == 0
        assert np.isin(r.row, sp.rows).all() and len(np.unique(r.row)) == len(r.row)
        assert sorted(r.row.tolist() + r.removed_rows.tolist()) == sp.rows.tolist()
        np.testing.assert_array_equal(r.X, sp.X[sp.position_of(r.row)])
        return
    syn = r.origin == "synthetic"
    np.testing.assert_array_equal(r.row[~syn], sp.rows)  # every original row kept
    seeds = sp.position_of(r.seed_row[syn])
    assert np.array_equal(sp.y[seeds], r.y[syn])  # a copy of a row of its own class
    assert (r.neighbor_row[syn] == -1).all() and np.isnan(r.alpha[syn]).all()
    if params.get("shrinkage", 0) == 0:
        np.testing.assert_array_equal(r.X[syn], sp.X[seeds])
    else:
        assert not np.array_equal(r.X[syn], sp.X[seeds]) and np.isfinite(r.X[syn]).all()


def test_random_samplers_draw_each_class_from_its_own_stream():
    """A class's random rows depend on its rows, the seed and its name only: without another class, or
    with it under another name, they are the same rows; another seed draws other rows."""
    sp = space("ecoli")
    counts = sp.class_counts()
    big, other = sorted(counts, key=lambda c: -counts[c])[:2]
    small = min(counts, key=lambda c: (counts[c], c))
    for name, target in (("random_over", "floor:60"), ("random_under", "cap:40")):
        whole = resample(sp, name, target=target, params=guard_off(name), seed=5)
        part = resample(sp.subset(np.flatnonzero(sp.y != other)), name, target=target, params=guard_off(name), seed=5)
        for cls in (big, small):
            def rows(res, cls=cls):
                mine = res.y == cls
                return sorted(zip(res.row[mine].tolist(), res.seed_row[mine].tolist()))
            assert rows(whole) == rows(part), (name, cls)
        again = resample(sp, name, target=target, params=guard_off(name), seed=6)
        assert again.counts_after == whole.counts_after
        assert not (np.array_equal(again.seed_row, whole.seed_row) and np.array_equal(again.row, whole.row))


# ------------------------------------------------------------------ outliers


def test_centroid_distance_hand_computed_and_tail_guard():
    sp = space("yeast")
    r = resample(sp, "centroid_distance", params={"threshold": 2.5})
    expected = []
    counts = sp.class_counts()
    for c, n in counts.items():
        if n < 20:
            continue
        pos = np.flatnonzero(sp.y == c)
        d = np.sqrt(((sp.X[pos] - sp.X[pos].mean(axis=0)) ** 2).sum(axis=1))
        med = np.median(d)
        z = (d - med) / (1.4826 * np.median(np.abs(d - med)))
        expected += sp.rows[pos[z > 2.5]].tolist()
    assert r.removed_rows.tolist() == sorted(expected) and expected
    # ERL has 5 rows: untouched by the tail guard
    assert r.counts_after["ERL"] == 5
    assert any("tail guard" in n for n in r.notes)
    q = resample(sp, "centroid_distance", params={"mode": "quantile", "threshold": 0.9, "min_class_rows": 0})
    exp_q = []
    for c in counts:
        pos = np.flatnonzero(sp.y == c)
        d = np.sqrt(((sp.X[pos] - sp.X[pos].mean(axis=0)) ** 2).sum(axis=1))
        exp_q += sp.rows[pos[d > np.quantile(d, 0.9)]].tolist()
    assert q.removed_rows.tolist() == sorted(exp_q)
    assert q.counts_after["ERL"] < 5  # min_class_rows=0 treats every class


def test_isolation_forest_reasons():
    r = resample(space("ecoli"), "isolation_forest")
    assert r.n_removed > 0
    assert all(s.startswith("isolation forest outlier (anomaly score ") for s in r.removed_reason)
    assert r.counts_after["omL"] == 5 and r.counts_after["imS"] == 2  # under the tail guard of 20 rows
    before = space("ecoli").class_counts()
    assert r.n_removed == sum(int(0.05 * n + 1e-9) for n in before.values() if n >= 20)  # floor(share x rows)
    guard0 = resample(space("ecoli"), "isolation_forest", params={"min_class_rows": 0, "contamination": 0.2})
    assert guard0.n_removed == sum(int(0.2 * n + 1e-9) for n in before.values() if n >= 2)
    assert guard0.counts_after["omL"] == 4  # 5 rows, no guard: floor(0.2 x 5) = 1 goes


# ------------------------------------------------------------------ reweighting


def test_reweighting_formulas():
    sp = space("yeast")
    counts = sp.class_counts()
    n, K = sp.n_rows, len(counts)
    b = resample(sp, "balanced_weights")
    assert np.allclose(b.sample_weight, [n / (K * counts[c]) for c in sp.y])
    e = resample(sp, "effective_number_weights", params={"beta": 0.99})
    raw = np.array([(1 - 0.99) / (1 - 0.99 ** counts[c]) for c in sp.y])
    assert np.allclose(e.sample_weight, raw / raw.mean())
    assert e.provenance()["skewlab_sample_weight"].notna().all()


# ------------------------------------------------------------------ small classes


def test_small_class_error_names_classes():
    sp = space("ecoli")
    with pytest.raises(SmallClassError) as info:
        resample(sp, "smote")
    msg = str(info.value)
    assert "'imL' has 2 rows" in msg and "'imS' has 2 rows" in msg and "'omL' has 5 rows" in msg
    assert "at least 6" in msg and "lower_k" in msg and "merge" in msg and "drop" in msg
    assert info.value.classes == {"imL": 2, "imS": 2, "omL": 5} and info.value.needed == 6


def test_small_classes_choices():
    sp = space("ecoli")
    low = resample(sp, "smote", small_classes="lower_k")
    assert any("'omL' has 5 rows: SMOTE uses k_neighbors=4" in n for n in low.notes)
    assert low.counts_after == {c: 143 for c in sp.class_counts()}

    ro = resample(sp, "smote", small_classes="random_over")
    syn = ro.origin == "synthetic"
    small = np.isin(ro.y, ["imL", "imS", "omL"]) & syn
    assert small.any() and (ro.neighbor_row[small] == -1).all() and np.isnan(ro.alpha[small]).all()
    assert np.array_equal(ro.X[small], sp.X[sp.position_of(ro.seed_row[small])])  # copies
    assert (ro.neighbor_row[syn & ~small] >= 0).all()
    assert any("randomly over-sampled" in n for n in ro.notes)

    merged = resample(sp, "smote", small_classes="merge")
    assert "Other" in merged.counts_after and not {"imL", "imS", "omL"} & set(merged.counts_after)
    assert merged.counts_after["Other"] == 143
    assert any("Merged 3 small class(es)" in n for n in merged.notes)

    dropped = resample(sp, "smote", small_classes="drop")
    assert dropped.counts_after["imL"] == 2 and dropped.counts_after["omL"] == 5
    assert not np.isin(dropped.y[dropped.origin == "synthetic"], ["imL", "imS", "omL"]).any()
    assert dropped.counts_after["pp"] == 143
    assert any("out of resampling" in n for n in dropped.notes)


def test_lower_k_singleton_falls_back_to_copies():
    sp = space("toys")
    counts = sp.class_counts()
    single = [c for c, n in counts.items() if n == 1]
    assert single
    r = resample(sp, "smote", small_classes="lower_k", target="floor:10")
    assert all(r.counts_after[c] == 10 for c in single)
    assert any("too few for any k-NN" in n for n in r.notes)


def test_bad_small_classes_and_seed():
    with pytest.raises(ParameterError, match="lower_k"):
        resample(space("ecoli"), "smote", small_classes="shrug")
    with pytest.raises(ParameterError, match="seed"):
        resample(space("ecoli"), "smote", small_classes="lower_k", seed=-1)


# ------------------------------------------------------------------ targets


def test_targets_cap_floor_table():
    sp = space("yeast")
    r = resample(sp, "smote", target="hybrid:200:60", small_classes="lower_k")
    counts = sp.class_counts()
    # an over-sampler only adds rows: the cap is for under-sampling; random_under+smote caps and lifts
    assert r.counts_after == {c: max(n, 60) for c, n in counts.items()}
    assert r.n_removed == 0 and any("random_under+smote" in n for n in r.notes)
    both = resample(sp, "random_under+smote", params={"random_under.min_class_rows": 0},
                    target="hybrid:200:60", small_classes="lower_k")
    assert both.counts_after == {c: min(max(n, 60), 200) for c, n in counts.items()}
    assert set(both.removed_reason) == {"random under-sampling"}
    assert both.n_removed == sum(n - 200 for n in counts.values() if n > 200)
    t = resample(sp, "random_over", target={"ERL": 50})
    assert t.counts_after == {**counts, "ERL": 50}
    u = resample(sp, "random_under", target="cap:100")
    assert u.counts_after == {c: min(n, 100) for c, n in counts.items()}
    assert set(u.removed_reason) == {"random under-sampling"}
    f = resample(sp, "random_under", target="floor:100")
    assert f.counts_after == counts and any("cannot add rows" in n for n in f.notes)


def test_pipeline_removes_synthetic_silently():
    sp = space("yeast")
    r = resample(sp, "isolation_forest+smote+enn", small_classes="lower_k")
    reasons = set(r.removed_reason)
    assert any(x.startswith("isolation forest outlier") for x in reasons)
    assert any(x.startswith("edited nearest neighbours") for x in reasons)
    assert np.isin(r.removed_rows, sp.rows).all()
    check_invariants(sp, r)


def test_progress_reports():
    seen = []
    resample(space("ecoli"), "isolation_forest+smote", small_classes="lower_k", progress=lambda f, m: seen.append((f, m)))
    assert seen[0][0] == 0.0 and seen[-1][0] == 1.0 and len(seen) >= 3
