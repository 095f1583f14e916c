"""The tail guard of cleaners and under-samplers, and lost classes counted in the results table.

Every cleaner, under-sampler and over-sample-then-clean strategy (taken from the registry by
family) keeps every class with its defaults, on the built-in sample at label level 1 and on a
generated Zipf catalog with singletons; with the guard off (``min_class_rows=0``) Tomek links and
ENN lose classes there, and the summary table counts them, checked against sums done here.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cache

import numpy as np
import pandas as pd
import pytest

from core.data.features import FeatureConfig, FeatureSpace, build_features
from core.data.io import load_table
from core.data.schema import detect_separator, infer_roles, label_values
from core.strategies import REGISTRY, code_snippet, resample
from core.strategies.clean import guard_removals
from core.strategies.compare import summary_table
from tests.paths import DATASETS

FLOOR = 20  # the default min_class_rows, the default tail bound
GUARDED = [name for name, spec in REGISTRY.items() if spec.family in ("clean", "under", "combined")]
LABEL = "amazon_category_and_sub_category"


@cache
def sample(rows: int | None = None) -> FeatureSpace:
    """The built-in sample (data/amazon_uk_toys_catalog.csv) at label level 1, maybe its first rows."""
    frame = load_table(DATASETS / "amazon_uk_toys_catalog.csv").frame
    if rows is not None:
        frame = frame.iloc[:rows].reset_index(drop=True)
    labels = label_values(frame, LABEL, level=1, separator=detect_separator(frame[LABEL]))
    return build_features(frame, labels, FeatureConfig.from_roles(infer_roles(frame, label=LABEL), text_dim=16))


@cache
def zipf() -> FeatureSpace:
    """40 overlapping classes of Zipf sizes (400 / rank, 8 singletons) in 4 numeric features."""
    rng = np.random.default_rng(7)
    sizes = [max(1, int(400 / r)) for r in range(1, 41)]
    sizes[-8:] = [1] * 8
    rows = []
    for i, n in enumerate(sizes):
        centre = rng.normal(0, 0.6, 4)
        for x in rng.normal(centre, 1.0, (n, 4)):
            rows.append((*[f"{v:.6f}" for v in x], f"class {i:02d}"))
    frame = pd.DataFrame(rows, columns=["f0", "f1", "f2", "f3", "category"])
    return build_features(frame, label_values(frame, "category"), FeatureConfig(numeric=("f0", "f1", "f2", "f3")))


def catalog(name: str, strategy: str) -> FeatureSpace:
    # strategies that over-sample first run on the first 2,000 rows of the sample (every class to the majority)
    if name == "zipf":
        return zipf()
    return sample(2000 if REGISTRY[strategy].generates else None)


def kept_real(sp: FeatureSpace, r) -> dict[str, int]:
    """Real rows kept per class, from the space's own labels of the kept row ids."""
    return dict(Counter(sp.y[sp.position_of(r.row[r.row >= 0])].astype(str).tolist()))


def test_catalogs_have_singletons_and_a_tail():
    for sp in (sample(), zipf()):
        counts = sp.class_counts()
        assert sum(n == 1 for n in counts.values()) >= 8
        assert sum(n < FLOOR for n in counts.values()) >= 15
    assert GUARDED and {REGISTRY[n].family for n in GUARDED} == {"clean", "under", "combined"}


@pytest.mark.parametrize("strategy", GUARDED)
@pytest.mark.parametrize("name", ["sample", "zipf"])
def test_defaults_keep_every_class_and_the_tail(name, strategy):
    sp = catalog(name, strategy)
    before = sp.class_counts()
    r = resample(sp, strategy, small_classes="lower_k", seed=0)
    assert set(before) <= set(r.counts_after), sorted(set(before) - set(r.counts_after))
    kept = kept_real(sp, r)
    short = {c: (n, kept.get(c, 0)) for c, n in before.items() if kept.get(c, 0) < min(n, FLOOR)}
    assert not short, short  # class: (rows before, real rows kept)
    assert all(kept[c] == n for c, n in before.items() if n < FLOOR), "a tail class lost real rows"
    # guarded rows are kept for real: every row is either kept or removed with a reason, never both
    assert sorted(r.row[r.row >= 0].tolist() + r.removed_rows.tolist()) == sp.rows.tolist()
    table = summary_table(before, [("run", r)]).set_index("strategy")
    assert table.loc["run", "classes lost"] == 0 and table.loc["run", "tail rows lost"] == 0


@pytest.mark.parametrize("strategy", [n for n in GUARDED if REGISTRY[n].family == "clean"])
@pytest.mark.parametrize("name", ["sample", "zipf"])
def test_cleaner_guard_keeps_back_only_what_the_floor_needs(name, strategy):
    """Guard on = the guard-off removals minus, per class, exactly the rows the floor needs."""
    sp = catalog(name, strategy)
    before = sp.class_counts()
    on = resample(sp, strategy, seed=0)
    off = resample(sp, strategy, params={"min_class_rows": 0}, seed=0)
    assert set(on.removed_rows.tolist()) <= set(off.removed_rows.tolist())
    lost_off = Counter(sp.y[sp.position_of(off.removed_rows)].astype(str).tolist())
    need = {c: max(0, min(n, FLOOR) - (n - lost_off[c])) for c, n in before.items()}
    need = {c: k for c, k in need.items() if k}
    back = Counter(sp.y[sp.position_of(np.setdiff1d(off.removed_rows, on.removed_rows))].astype(str).tolist())
    assert dict(back) == need
    if need:
        note = next(n for n in on.notes if "tail guard" in n)
        assert f"kept {sum(need.values())} row(s) of {len(need)} class(es)" in note
        whole = sum(1 for c, k in need.items() if k == before[c])
        assert (f"{whole} class(es) would have lost every row" in note) == bool(whole)
    else:
        assert not any("tail guard" in n for n in on.notes)


@pytest.mark.parametrize("strategy", [n for n in GUARDED if REGISTRY[n].family == "under"])
def test_under_sampler_targets_stop_at_the_floor(strategy):
    sp = sample()
    before = sp.class_counts()
    smallest = min(before.values())  # 1: imbalanced-learn's 'auto' takes every class down to it
    r = resample(sp, strategy, small_classes="lower_k", seed=0)
    assert r.counts_after == {c: min(n, max(smallest, FLOOR)) for c, n in before.items()}
    off = resample(sp, strategy, params={"min_class_rows": 0}, small_classes="lower_k", seed=0)
    assert off.counts_after == {c: smallest for c in before}
    raised = {c: min(n, FLOOR) - smallest for c, n in before.items() if min(n, FLOOR) > smallest}
    assert any(f"kept {sum(raised.values())} row(s) of {len(raised)} class(es)" in n for n in r.notes), r.notes


@pytest.mark.parametrize("name", ["sample", "zipf"])
def test_guard_off_loses_classes_and_the_table_counts_them(name):
    sp = sample() if name == "sample" else zipf()
    before = sp.class_counts()
    tail = [c for c, n in before.items() if n < FLOOR]
    runs = [(s, resample(sp, s, params={"min_class_rows": 0}, seed=0)) for s in ("tomek_links", "enn")]
    table = summary_table(before, runs).set_index("strategy")
    for label, r in runs:
        lost = [c for c in before if c not in r.counts_after]
        assert lost, f"{label} without the guard should lose a class here"
        removed_cls = Counter(sp.y[sp.position_of(r.removed_rows)].astype(str).tolist())
        after = np.array([r.counts_after.get(c, 0) for c in before], dtype=float)
        p = after[after > 0] / after.sum()
        entropy = -(p * np.log(p)).sum()
        diffs = np.abs(after[:, None] - after[None, :]).sum()
        row = table.loc[label]
        assert row["classes lost"] == len(lost)
        assert row["tail rows lost"] == sum(removed_cls[c] for c in tail)
        assert math.isinf(row["imbalance ratio"])
        assert row["evenness"] == pytest.approx(entropy / math.log(len(before)))
        assert row["effective classes"] == pytest.approx(math.exp(entropy))
        assert row["Gini"] == pytest.approx(diffs / (2 * len(after) ** 2 * after.mean()))
        assert row["tail classes"] == int((after < FLOOR).sum())
        assert row["rows"] == after.sum() == sp.n_rows - r.n_removed
    assert table.loc["before", "classes lost"] == 0 and math.isfinite(table.loc["before", "imbalance ratio"])


def test_guard_removals_keeps_first_real_rows():
    y = np.array(["a"] * 5 + ["b"] * 30 + ["a"] * 3)
    real = np.ones(len(y), dtype=bool)
    real[-3:] = False  # three synthetic 'a' rows at the end
    remove = np.array([0, 1, 2, 3, 4, 35, 36, 37] + list(range(5, 20)))
    left, kept = guard_removals(y, remove, 20, real)
    # 'a' has 5 real rows (< 20): none goes, its synthetic rows do; 'b' 30 -> at least 20: 10 of 15 go, the last ones
    assert left.tolist() == list(range(10, 20)) + [35, 36, 37]
    assert kept == {"a": 5, "b": 5}
    assert guard_removals(y, remove, 0, real)[0].tolist() == remove.tolist()


@pytest.mark.parametrize("strategy", GUARDED)
def test_snippet_runs_without_the_guard_in_imbalanced_learn_kwargs(strategy):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (80, 3)), rng.normal(1, 1, (25, 3)), rng.normal(-1, 1, (40, 3))])
    # class codes, not names: imbalanced-learn's NeighbourhoodCleaningRule votes with scipy's mode, numbers only
    y = np.array([0] * 80 + [1] * 25 + [2] * 40)
    for guard in (20, 0):
        code = code_snippet(strategy, {"min_class_rows": guard}, "auto", 0)
        assert not re.search(r"min_class_rows=\d+[,)]", code.replace("(min_class_rows=20);", ""))
        assert ("# tail guard: Skewlab keeps every class at min(its rows, 20)" in code) == bool(guard)
        env = {"X": X, "y": y}
        exec(compile(code, "<snippet>", "exec"), env)
        assert len(env["X"]) == len(env["y"]) < len(y) + 200
