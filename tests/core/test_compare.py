"""Side-by-side tables of the Strategies page, against counts done by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from core.data.features import FeatureConfig, build_features
from core.data.schema import label_values
from core.strategies import resample
from core.strategies.compare import class_changes, class_sizes_after, summary_table


@pytest.fixture(scope="module")
def space():
    rows = [(f"{i % 7}.5", "a") for i in range(40)] + [(f"{i}.0", "b") for i in range(10)] + [("3.0", "c")] * 2
    frame = pd.DataFrame(rows, columns=["price", "category"])
    return build_features(frame, label_values(frame, "category"), FeatureConfig(numeric=("price",)))


def test_summary_rows_and_metrics(space):
    over = resample(space, "random_over", target="floor:20", seed=0)
    weights = resample(space, "balanced_weights", seed=0)
    table = summary_table(space.class_counts(), [("Random", over), ("Weights", weights)], head_min=30, tail_max=5)
    assert list(table["strategy"]) == ["before", "Random", "Weights (weighted)"]
    before, after, weighted = table.to_dict("records")
    assert list(table.columns) == ["strategy", "rows", "added", "removed", "classes lost", "tail rows lost",
                                   "imbalance ratio", "evenness", "effective classes", "Gini", "tail classes",
                                   "runtime (s)"]
    assert [r["classes lost"] for r in (before, after, weighted)] == [0, 0, 0]
    assert [r["tail rows lost"] for r in (before, after, weighted)] == [0, 0, 0]
    assert (before["rows"], before["imbalance ratio"], before["tail classes"]) == (52, 20.0, 1)
    # random over: b 10 -> 20, c 2 -> 20; a keeps 40
    assert (after["rows"], after["added"], after["removed"], after["imbalance ratio"]) == (80, 28, 0, 2.0)
    p = [40 / 80, 20 / 80, 20 / 80]
    assert after["evenness"] == pytest.approx(-sum(x * math.log(x) for x in p) / math.log(3))
    # balanced weights: every class weighs n / K = 52 / 3
    assert weighted["rows"] == 52 and weighted["imbalance ratio"] == pytest.approx(1.0)
    sizes, is_weighted = class_sizes_after(weights)
    assert is_weighted and sizes == pytest.approx({"a": 52 / 3, "b": 52 / 3, "c": 52 / 3})


def test_class_changes_count_added_and_removed_rows(space):
    under = resample(space, "random_under", target="cap:15", seed=0, params={"min_class_rows": 0})
    guarded = resample(space, "random_under", target="cap:15", seed=0)  # the tail guard stops a at 20 rows
    over = resample(space, "random_over", target="floor:20", seed=0)
    table = class_changes(space, [("Under", under), ("Guarded", guarded), ("Over", over)]).set_index("class")
    assert list(table.index) == ["a", "b", "c"]
    assert table.loc["a", "Under: −"] == 25 and table.loc["b", "Under: −"] == 0
    assert table.loc["a", "Guarded: −"] == 20 and table.loc["b", "Guarded: −"] == 0
    assert table.loc["b", "Over: +"] == 10 and table.loc["c", "Over: +"] == 18 and table.loc["a", "Over: +"] == 0
