"""Cost estimate before a run: output rows from the targets, and refusal of what cannot fit."""

from __future__ import annotations

import pytest

from core.errors import ResourceError
from core.strategies.cost import check_fits, estimate

COUNTS = {"head": 1000, "mid": 50, "tail": 5}


def test_over_sampler_grows_classes_to_their_targets():
    est = estimate(COUNTS, 20, "smote", target="floor:100")
    assert (est.rows_in, est.rows_out, est.synthetic) == (1055, 1000 + 100 + 100, 145)
    assert est.bytes_needed == 1200 * 20 * 8 * 4


def test_balanced_grows_a_long_tail_many_fold():
    est = estimate(COUNTS, 20, "random_over", target="balanced")
    assert est.rows_out == 3000 and est.growth == pytest.approx(3000 / 1055)


def test_hybrid_caps_the_head_and_lifts_the_tail():
    est = estimate(COUNTS, 20, "smote", target="hybrid:200:100")
    assert est.rows_out == 200 + 100 + 100
    assert est.removed_at_most == 800 and est.synthetic == 145


def test_under_sampler_and_reweighting_never_grow():
    assert estimate(COUNTS, 20, "random_under", target="cap:60").rows_out == 60 + 50 + 5
    assert estimate(COUNTS, 20, "balanced_weights").rows_out == 1055
    assert estimate(COUNTS, 20, "tomek_links").rows_out == 1055


def test_a_run_that_does_not_fit_is_refused_with_a_suggestion():
    est = estimate({"a": 1_000_000, "b": 10}, 384, "smote", target="balanced")
    with pytest.raises(ResourceError, match=r"would grow 1,000,010 rows to 2,000,000 .*tail floor"):
        check_fits(est, budget=1024**3)
    check_fits(estimate({"a": 100, "b": 10}, 8, "smote", target="balanced"), budget=1024**3)  # fits: no error
