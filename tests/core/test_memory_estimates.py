"""The memory a heavy job states before it starts (what the admission gate checks) is not below what it
takes: on the built-in sample, the peak of memory the job allocates (``tracemalloc``: numpy's buffers
included) is at most 10% above the estimate, for a strategy run (over-sampling, a cleaner), a map fit and
an evaluation in one process."""

from __future__ import annotations

import tracemalloc

import pytest

from core.data import FeatureConfig, build_features, infer_roles, label_values, load_table
from core.evaluation import estimate_evaluation, evaluate
from core.mapping import fit_base, fit_bytes
from core.strategies import resample
from core.strategies.cost import estimate
from tests.paths import REPO_ROOT

LABEL = "amazon_category_and_sub_category"


@pytest.fixture(scope="module")
def space():
    table = load_table(REPO_ROOT / "data" / "amazon_uk_toys_catalog.csv")
    labels = label_values(table.frame, LABEL, level=1, separator=" > ")
    return build_features(table.frame, labels, FeatureConfig.from_roles(infer_roles(table.frame, label=LABEL)))


def traced_peak(job) -> int:
    tracemalloc.start()
    try:
        job()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("name", "target"), [("smote", "floor:100"), ("tomek_links", "auto")])
def test_a_strategy_run_takes_no_more_than_its_estimate(space, name, target):
    est = estimate(space.class_counts(), space.X.shape[1], name, target=target, small_classes="random_over")
    peak = traced_peak(lambda: resample(space, name, target=target, small_classes="random_over", seed=0))
    assert peak <= 1.1 * est.bytes_needed, (peak, est.bytes_needed)


def test_a_map_fit_takes_no_more_than_its_estimate(space):
    peak = traced_peak(lambda: fit_base(space, method="pca", cap=20_000, seed=0))
    assert peak <= 1.1 * fit_bytes(space.n_rows, space.X.shape[1], 20_000)


def test_an_evaluation_takes_no_more_than_its_estimate(space):
    kw = dict(classifier=["lda"], folds=3, target="floor:100", small_classes="random_over", n_jobs=1)
    items = [{"name": "smote", "params": {}}]
    est = estimate_evaluation(space, items, **kw)
    peak = traced_peak(lambda: evaluate(space, items, **kw))
    assert peak <= 1.1 * est.bytes_needed, (peak, est.bytes_needed)
