from __future__ import annotations

import numpy as np
import pytest

from core.errors import ParameterError
from core.strategies import REGISTRY, TargetSpec, resample, resolve_targets
from core.strategies.targets import cap_note, capped_classes
from tests.core.test_resample import space

COUNTS = {"a": 5, "b": 200, "c": 50}


@pytest.mark.parametrize("text", ["auto", "balanced", "floor:20", "cap:100", "hybrid:100:20"])
def test_parse_roundtrip(text):
    spec = TargetSpec.parse(text)
    assert spec.to_text() == text
    assert TargetSpec.from_dict(spec.to_dict()) == spec


def test_table_roundtrip():
    spec = TargetSpec.table({"a": 10, "b": 3})
    assert spec.kind == "table"
    assert TargetSpec.from_dict(spec.to_dict()) == spec
    assert TargetSpec.parse("auto").table == ()


def test_resolve():
    assert resolve_targets(COUNTS, "auto", family="over") == {"a": 200, "b": 200, "c": 200}
    assert resolve_targets(COUNTS, "auto", family="under") == {"a": 5, "b": 5, "c": 5}
    assert resolve_targets(COUNTS, "balanced", family="over") == {"a": 200, "b": 200, "c": 200}
    assert resolve_targets(COUNTS, "floor:20", family="over") == {"a": 20, "b": 200, "c": 50}
    assert resolve_targets(COUNTS, TargetSpec.table({"a": 7}), family="over") == {"a": 7, "b": 200, "c": 50}
    # the cap part of a target applies to strategies that remove rows only
    assert resolve_targets(COUNTS, "cap:100", family="under") == {"a": 5, "b": 100, "c": 50}
    assert resolve_targets(COUNTS, "hybrid:100:20", family="under") == {"a": 20, "b": 100, "c": 50}
    assert resolve_targets(COUNTS, "hybrid:100:20", family="clean") == {"a": 20, "b": 100, "c": 50}


@pytest.mark.parametrize("family", ["over", "combined"])
def test_an_over_sampler_never_shrinks_a_class(family):
    assert resolve_targets(COUNTS, "cap:100", family=family) == COUNTS
    assert resolve_targets(COUNTS, "hybrid:100:20", family=family) == {"a": 20, "b": 200, "c": 50}
    assert resolve_targets(COUNTS, TargetSpec.table({"b": 10, "c": 60}), family=family) == {"a": 5, "b": 200, "c": 60}
    assert capped_classes(COUNTS, "hybrid:100:20", family=family) == {"b": 100}
    assert capped_classes(COUNTS, "floor:20", family=family) == {}
    note = cap_note("SMOTE", COUNTS, "hybrid:100:20", family=family)
    assert note == (
        "SMOTE only adds rows: the cap of the target 'hybrid:100:20' applies only to strategies that remove rows "
        "(under-sampling), so 1 class(es) above it keep their size ('b' 200 (asked 100)). To cap the head and lift "
        "the tail, run a pipeline such as random_under+smote (under-sampling first, then over-sampling)."
    )
    assert cap_note("SMOTE", COUNTS, "floor:20", family=family) is None


def test_strategies_that_remove_rows_have_no_capped_class():
    assert capped_classes(COUNTS, "hybrid:100:20", family="under") == {}
    assert cap_note("Random under-sampling", COUNTS, "cap:10", family="under") is None


@pytest.mark.parametrize("bad", ["", "floor", "floor:x", "floor:0", "cap:-3", "hybrid:10", "most", "cap:1:2"])
def test_parse_errors_name_forms(bad):
    with pytest.raises(ParameterError, match="floor:N"):
        TargetSpec.parse(bad)


def test_table_errors():
    with pytest.raises(ParameterError, match="'a'"):
        TargetSpec.table({"a": 0})
    with pytest.raises(ParameterError, match="'zzz'"):
        resolve_targets(COUNTS, TargetSpec.table({"zzz": 3}), family="over")


def test_hybrid_floor_above_cap():
    with pytest.raises(ParameterError, match="floor 20 is above the cap 10"):
        TargetSpec.parse("hybrid:10:20")


# ------------------------------------------------------------------ over-samplers on real data


@pytest.mark.parametrize("strategy", ["smote", "random_over"])
@pytest.mark.parametrize("dataset,cap,floor", [("yeast", 200, 60), ("toys", 150, 30)])
def test_over_samplers_with_a_hybrid_target_keep_every_row_and_lift_the_tail(strategy, dataset, cap, floor):
    sp = space(dataset)
    before = sp.class_counts()
    assert any(n > cap for n in before.values()) and any(n < floor for n in before.values())  # both ends exercised
    r = resample(sp, strategy, target=f"hybrid:{cap}:{floor}", small_classes="random_over")
    assert r.n_removed == 0 and len(r.removed_rows) == 0
    assert r.row[r.origin == "original"].tolist() == sp.rows.tolist()  # every original row kept, in order
    np.testing.assert_array_equal(r.X[: sp.n_rows], sp.X)
    assert r.counts_after == {c: max(n, floor) for c, n in before.items()}  # below the floor: lifted; above: kept
    assert r.n_synthetic == sum(floor - n for n in before.values() if n < floor)
    capped = sum(1 for n in before.values() if n > cap)
    assert any(note.startswith(f"{REGISTRY[strategy].label} only adds rows") and f"{capped} class(es) above it" in note
               and "random_under+smote" in note for note in r.notes)


def test_default_floor_never_multiplies_a_long_tailed_catalog():
    from core.strategies import default_cap, default_floor

    rng = np.random.default_rng(5)
    sizes = np.maximum(1, (20_000 / np.arange(1, 707) ** 1.1 / 7).astype(int))  # 706 classes, Zipf, many singletons
    rng.shuffle(sizes)
    counts = {f"c{i}": int(n) for i, n in enumerate(sizes)}
    total = sum(counts.values())
    # brute force: the largest floor up to 100 adding at most half the rows
    best = max(f for f in range(1, 101) if sum(max(f - n, 0) for n in counts.values()) <= 0.5 * total)
    assert default_floor(counts) == best
    assert best < 100  # here the old fixed floor of 100 would have added
    assert sum(max(100 - n, 0) for n in counts.values()) > 2 * total
    # a catalog where 100 is affordable keeps it; a tiny one is bounded by its largest class
    assert default_floor({"a": 1000, "b": 500, "c": 90}) == 100
    assert default_floor({"a": 30, "b": 3}) == 19 and default_floor({"a": 1}) == 1  # 19 - 3 <= 33 / 2
    assert default_cap({"a": 1000, "b": 3}, 40) == 500 and default_cap({"a": 1000}, 150) == 750
    assert default_cap({"a": 200}, 40) == 200
