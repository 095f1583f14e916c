"""Cost estimate before a run: output rows per family (exact for over- and under-sampling, bounds for
cleaning and the centroid distance, made exact by counting ahead), checked against real runs, and refusal of what cannot fit."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from core.data.features import FeatureConfig, build_features
from core.data.io import load_table
from core.data.schema import detect_separator, infer_roles, label_values
from core.errors import ResourceError, SmallClassError
from core.strategies import REGISTRY, resample
from core.strategies.cost import GUARD, STEP_COST, check_fits, estimate, settle
from core.strategies.spec import FAMILIES
from tests.paths import DATASETS

COUNTS = {"head": 1000, "mid": 50, "tail": 5}
TOYS_LABEL = "amazon_category_and_sub_category"


def test_over_sampler_grows_classes_to_their_targets():
    est = estimate(COUNTS, 20, "smote", target="floor:100")
    assert (est.rows_in, est.rows_out, est.synthetic, est.removed_at_most) == (1055, 1000 + 100 + 100, 145, 0)
    assert est.exact and est.rows_out_at_least == est.rows_out
    assert est.bytes_needed == 1200 * 20 * 8 * 4


def test_balanced_grows_a_long_tail_many_fold():
    est = estimate(COUNTS, 20, "random_over", target="balanced")
    assert est.rows_out == 3000 and est.growth == pytest.approx(3000 / 1055)


def test_an_over_sampler_lifts_the_tail_and_keeps_the_head_under_a_hybrid_target():
    est = estimate(COUNTS, 20, "smote", target="hybrid:200:100")
    assert (est.rows_out, est.synthetic, est.removed_at_most) == (1000 + 100 + 100, 95 + 50, 0)
    assert estimate(COUNTS, 20, "random_over", target="cap:60").rows_out == 1055  # the cap removes nothing


def test_under_sampling_first_caps_the_head_then_smote_lifts_the_tail():
    est = estimate(COUNTS, 20, "random_under+smote", target="hybrid:200:100")
    assert (est.rows_out, est.synthetic, est.removed_at_most) == (200 + 100 + 100, 145, 800)
    assert est.exact


def test_under_sampler_removes_exactly_what_is_above_the_target_and_makes_nothing():
    est = estimate(COUNTS, 20, "random_under", target="cap:60")
    assert (est.rows_out, est.synthetic, est.removed_at_most) == (60 + 50 + 5, 0, 940)
    off = estimate(COUNTS, 20, "random_under", params={GUARD: 0})  # every class down to the minority's 5
    assert (off.rows_out, off.synthetic, off.removed_at_most) == (15, 0, 1040)
    auto = estimate(COUNTS, 20, "random_under", params={GUARD: 20})  # the tail guard keeps min(rows, 20)
    assert (auto.rows_out, auto.synthetic, auto.removed_at_most) == (20 + 20 + 5, 0, 1010)


def test_reweighting_and_the_baseline_change_no_row():
    for name in ("balanced_weights", "none"):
        est = estimate(COUNTS, 20, name, target="balanced")
        assert (est.rows_out, est.synthetic, est.removed_at_most, est.exact) == (1055, 0, 0, True)


def test_cleaning_states_an_upper_bound_of_the_rows_it_may_remove():
    est = estimate(COUNTS, 20, "tomek_links", params={GUARD: 0})  # classes 'not minority': head and mid
    assert (est.rows_out, est.rows_out_at_least, est.removed_at_most, est.exact) == (1055, 5, 1050, False)
    assert estimate(COUNTS, 20, "tomek_links", params={"classes": "majority", GUARD: 0}).removed_at_most == 1000
    guarded = estimate(COUNTS, 20, "enn", params={GUARD: 30})  # no class below min(rows, 30)
    assert (guarded.rows_out_at_least, guarded.removed_at_most) == (30 + 30 + 5, 1055 - 65)
    cut = estimate(COUNTS, 20, "centroid_distance", params={GUARD: 0})  # robust z: no share known, every row
    assert cut.removed_at_most == 1055


def test_outlier_shares_are_exact():
    # classes under the tail guard (min_class_rows=20 by default) are left alone; the others lose
    # floor(share * rows): 1000 -> 50, 50 -> 2; 'tail' (5 rows) is guarded
    out = estimate(COUNTS, 20, "isolation_forest", params={"contamination": 0.05})
    assert (out.rows_out, out.removed_at_most, out.exact) == (1055 - 52, 52, True)
    lof = estimate(COUNTS, 20, "lof", params={"contamination": 0.05, GUARD: 100})
    assert (lof.rows_out, lof.removed_at_most) == (1055 - 50, 50)
    assert estimate({"a": 39, "b": 40}, 4, "lof", params={"contamination": 0.05}).removed_at_most == 1 + 2


def test_combined_is_smote_then_a_cleaning_over_every_class():
    est = estimate(COUNTS, 20, "smote_enn", target="floor:100", params={GUARD: 0})
    assert (est.rows_out, est.synthetic, est.removed_at_most, est.rows_out_at_least) == (1200, 145, 1200, 0)
    guarded = estimate(COUNTS, 20, "smote_tomek", target="floor:100", params={GUARD: 20})
    assert (guarded.rows_out, guarded.removed_at_most, guarded.rows_out_at_least) == (1200, 1140, 60)


def test_small_class_policy_is_applied_as_the_run_does():
    counts = {"a": 100, "b": 40, "c": 2}
    # drop: 'c' (too small for SMOTE's k=5) is left out and keeps its size
    assert estimate(counts, 4, "smote", small_classes="drop").rows_out == 100 + 100 + 2
    # random over-sampling instead of SMOTE: 'c' is lifted with copies
    assert estimate(counts, 4, "smote", small_classes="random_over").rows_out == 300
    # merge: 'c' joins 'Other' (2 rows, still too small: the run refuses; the estimate keeps the classes)
    assert estimate(counts, 4, "smote", small_classes="merge").rows_out == 300


def test_every_family_has_its_arithmetic():
    assert set(STEP_COST) == set(FAMILIES)


def test_a_run_that_does_not_fit_is_refused_with_a_suggestion():
    est = estimate({"a": 1_000_000, "b": 10}, 384, "smote", target="balanced")
    with pytest.raises(ResourceError, match=r"would grow 1,000,010 rows to 2,000,000 .*tail floor"):
        check_fits(est, budget=1024**3)
    check_fits(estimate({"a": 100, "b": 10}, 8, "smote", target="balanced"), budget=1024**3)  # fits: no error


# ------------------------------------------------------------------ against real runs


@cache
def _space(name: str):
    if name == "toys":
        frame = load_table(f"{DATASETS}/amazon_uk_toys_catalog.csv").frame
        labels = label_values(frame, TOYS_LABEL, level=1, separator=detect_separator(frame[TOYS_LABEL]))
        roles = infer_roles(frame, label=TOYS_LABEL)
    else:
        frame = load_table(f"{DATASETS}/{name}.csv").frame
        labels = label_values(frame, "class")
        roles = infer_roles(frame, label="class")
    return build_features(frame, labels, FeatureConfig.from_roles(roles, text_dim=16))


#: (dataset, target, small-class policy): the UCI sets balanced as imbalanced-learn does by default,
#: the toys catalog with the page's default kind of target (cap the head, lift the tail).
RUNS = [("ecoli", "auto", "lower_k"), ("yeast", "auto", "lower_k"), ("page_blocks", "auto", "lower_k"),
        ("toys", "hybrid:400:30", "random_over")]
EXACT = ("baseline", "over", "under", "reweight")
#: Removal counts that follow from class sizes alone: an outlier share.
EXACT_STRATEGIES = ("isolation_forest", "lof")


@pytest.mark.parametrize("strategy", list(REGISTRY))
@pytest.mark.parametrize("dataset,target,small", RUNS, ids=[r[0] for r in RUNS])
def test_estimate_matches_the_run(dataset, target, small, strategy):
    sp = _space(dataset)
    counts = sp.class_counts()
    arithmetic = estimate(counts, sp.X.shape[1], strategy, target=target, small_classes=small)
    calls = []

    def run_ahead():
        calls.append(strategy)
        return resample(sp, strategy, target=target, small_classes=small, seed=3)

    est = settle(arithmetic, run_ahead, sp.X.shape[1])
    r = resample(sp, strategy, target=target, small_classes=small, seed=3)  # the real run, on its own
    rows_out = len(r.y)
    assert est.rows_in == sp.n_rows == sum(counts.values())
    # every registry strategy: the estimate shown before the run is the run's row count
    assert est.exact
    assert (est.rows_out, est.synthetic, est.removed_at_most) == (rows_out, r.n_synthetic, r.n_removed)
    if REGISTRY[strategy].family in EXACT or strategy in EXACT_STRATEGIES:
        assert arithmetic is est and not calls and not est.counted  # from class sizes alone
        return
    # cleaning and the centroid distance: counted by running ahead, inside the arithmetic bounds
    assert calls == [strategy] and est.counted and not arithmetic.exact
    assert arithmetic.rows_out_at_least <= rows_out <= arithmetic.rows_out
    assert r.n_removed <= arithmetic.removed_at_most
    assert r.n_synthetic <= arithmetic.synthetic  # SMOTE's rows, some of which the cleaning may remove
    assert arithmetic.rows_out - rows_out == arithmetic.synthetic - r.n_synthetic + r.n_removed
    assert np.isfinite(est.growth)


def test_a_range_too_large_to_count_ahead_or_a_failing_run_stays_a_range():
    est = estimate({"a": 1000, "b": 10}, 8, "tomek_links")
    assert not est.exact

    def never():
        raise AssertionError("a run over the budget is not counted ahead")

    assert settle(est, never, 8, max_cells=1010 * 8 - 1) is est

    def fails():
        raise SmallClassError("class 'b' has 1 row", classes={"b": 1}, needed=2)

    assert settle(est, fails, 8) is est  # the run says why when it runs; the estimate keeps its range
    exact = estimate({"a": 1000, "b": 10}, 8, "random_over")
    assert settle(exact, never, 8) is exact  # arithmetic needs no run
