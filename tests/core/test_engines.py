"""The parts of the Dask engine that need no cluster: numpy's sums from parts, the exact median, the
plan, the inputs, the witness cells, the output folder, and the per-class random streams.

The feature statistics are checked end to end in this process: the cluster driver's own passes run
with an inline stand-in for the Dask client, and every class's feature rows equal the single-machine
feature space's, bit for bit.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.data import build_features, label_values
from core.engines import exact
from core.engines.inputs import ReadOptions, common_dtypes, input_files, load_input
from core.engines.output import MANIFEST, prepare_output
from core.engines.plan import check_recipe, group_classes, plan_run
from core.engines.stats import NumericScan, median_bounds, median_of, space_for
from core.engines.witness import merge_witnesses, with_witnesses, witness_frame
from core.errors import LoadError, ParameterError, RecipeError
from core.export import ScopeSpec, make_recipe
from core.export.apply import recipe_roles
from core.export.tables import build_output_table
from core.strategies import resample
from core.strategies.state import class_seed
from tests.engine_catalog import FEATURES, catalog, recipe, write_shuffled

# ------------------------------------------------------------------ numpy's sums


@pytest.mark.parametrize("n", [1, 7, 8, 9, 127, 128, 129, 1000, 8193, 123_457])
def test_pairwise_sums_from_parts_are_numpys(n):
    rng = np.random.default_rng(n)
    values = rng.standard_normal(n) * 10.0 ** rng.integers(-5, 8, n)
    assert exact.pairwise_sum(values) == np.add.reduce(values)
    assert exact.mean_std(values) == (values.mean(), values.std())
    cuts = sorted(set(rng.integers(0, n + 1, 6).tolist()) | {0, n})
    parts = [exact.leaf_parts(values[a:b], a, n) for a, b in zip(cuts[:-1], cuts[1:])]
    assert exact.merge_parts(parts, n) == np.add.reduce(values)
    exact.check_numpy()


def test_a_missing_leaf_is_an_error_not_a_wrong_sum():
    values = np.arange(1000, dtype=np.float64)
    with pytest.raises(RuntimeError, match="got 4 of its 120 values"):
        exact.merge_parts([exact.leaf_parts(values[:500], 0, 1000)], 1000)
    with pytest.raises(RuntimeError, match="lacks 4 of its leaves"):
        exact.merge_parts([exact.leaf_parts(values[:496], 0, 1000)], 1000)


# ------------------------------------------------------------------ the exact median


def _scans(parts):
    scans = []
    for p in parts:
        srt = np.sort(p)
        step = max(1, -(-len(srt) // 16))
        scans.append(NumericScan(len(srt), 0, 0, True, {}, {}, srt[::step], step))
    return scans


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 1000, 5001])
def test_median_from_windows_is_numpys(n):
    rng = np.random.default_rng(n)
    values = np.round(rng.normal(0, 3, n))  # many ties
    parts = np.array_split(rng.permutation(values), 5)
    scans = _scans(parts)
    lo, hi = median_bounds(scans)
    windows = []
    for p in parts:
        srt = np.sort(p)
        a, b = np.searchsorted(srt, lo, "left"), np.searchsorted(srt, hi, "right")
        windows.append((int(a), srt[a:b]))
    assert median_of(n, windows) == np.median(values)
    assert sum(len(w[1]) for w in windows) <= max(n, 200)  # a window, not the column
    assert median_of(n, [(0, np.sort(values)[:1])]) is None or n == 1  # a window that misses says so


# ------------------------------------------------------------------ the statistics, end to end in this process


class Inline:
    """The Dask client's submit / gather, run in this process."""

    def submit(self, fn, *args, **_):
        return fn(*args)

    def gather(self, values):
        return list(values)


def test_class_features_equal_the_single_machine_space(tmp_path):
    from core.engines import cluster

    frame = catalog()
    folder = write_shuffled(frame, tmp_path / "cat", parts=3)
    r = recipe("smote")
    files = input_files(folder)
    scans, kept, _, _ = cluster._read(Inline(), r, files, ReadOptions(), "t", lambda _: None)
    stats = cluster._statistics(Inline(), r, scans, kept, lambda _: None)
    whole = load_input(folder).frame
    labels = label_values(whole, "category")
    single = build_features(whole, labels, FEATURES)
    assert stats.notes == single.notes
    for classes in (["Toys > Kind 03", "Toys > Kind 07"], ["Toys > Kind 12"]):
        rows = np.flatnonzero(labels.isin(classes).fillna(False).to_numpy())
        part = space_for(whole.iloc[rows].reset_index(drop=True), labels.iloc[rows].reset_index(drop=True), stats)
        np.testing.assert_array_equal(part.X, single.X[single.position_of(rows)])
        assert part.feature_names == single.feature_names


# ------------------------------------------------------------------ the plan


@pytest.mark.parametrize("strategy,target", [
    ("random_over", "floor:150"), ("random_under", "cap:100"), ("smote", "auto"), ("isolation_forest", "auto"),
    ("isolation_forest+random_under+smote", "hybrid:200:80"), ("lof+random_under", "balanced"),
    ("random_under+balanced_weights", "auto"),
])
def test_the_plan_predicts_the_single_machine_counts_and_weights(strategy, target):
    frame = catalog()
    labels = label_values(frame, "category")
    space = build_features(frame, labels, FEATURES)
    r = recipe(strategy, target=target, small_classes="lower_k")
    plan = plan_run(r, space.class_counts())
    result = resample(space, strategy, params=r.params, target=target, small_classes="lower_k", seed=r.seed)
    assert plan.counts_after == result.counts_after
    changed = {c for c in result.counts_before if result.counts_after.get(c) != result.counts_before[c]}
    assert changed <= plan.touched
    if "weights" in strategy:
        w = pd.Series(result.sample_weight).groupby(result.y).first().to_dict()
        assert plan.weights == pytest.approx(w, rel=0, abs=0)


def test_the_plan_refuses_what_a_class_cannot_do_alone():
    with pytest.raises(RecipeError, match="cannot replay 'enn'"):
        check_recipe(recipe("smote+enn"))
    split = make_recipe(**{**_recipe_args(), "scope": ScopeSpec("split", 0.2, 0)})
    with pytest.raises(RecipeError, match="stratified test split"):
        check_recipe(split)
    with pytest.raises(RecipeError, match="merge small classes"):
        check_recipe(recipe("smote", small_classes="merge"))
    with pytest.raises(RecipeError, match="needs the catalog's class counts"):
        plan_run(recipe("centroid_distance+smote", target="auto"), {"a": 50, "b": 20})
    plan = plan_run(recipe("centroid_distance+smote", target="floor:30"), {"a": 50, "b": 20})
    assert plan.touched == {"a", "b"} and plan.counts_after == {}


def _recipe_args():
    r = recipe("smote")
    return dict(input=r.input, roles=r.roles, label=r.label, features=r.features, strategy="smote")


def test_groups_hold_whole_classes_within_the_size():
    sizes = {"a": 500, "b": 120, "c": 90, "d": 60, "e": 30, "f": 5}
    groups = group_classes(sizes, group_rows=200)
    assert sorted(c for g in groups for c in g) == sorted(sizes)
    assert all(sum(sizes[c] for c in g) <= 200 or len(g) == 1 for g in groups)


# ------------------------------------------------------------------ inputs


def test_inputs_are_files_in_path_order(tmp_path):
    frame = catalog()
    folder = write_shuffled(frame, tmp_path / "cat", parts=3)
    (folder / "_SUCCESS").write_text("{}")
    (folder / ".hidden.parquet").write_bytes(b"")
    names = [p.name for p in input_files(folder)]
    assert names == ["part-00.parquet", "part-01.parquet", "part-02.parquet"]
    assert [p.name for p in input_files(str(folder / "part-0[12].parquet"))] == names[1:]
    whole = load_input(str(folder / "*.parquet"))
    parts = [pd.read_parquet(folder / n) for n in names]
    pd.testing.assert_frame_equal(whole.frame, pd.concat(parts, ignore_index=True))
    with pytest.raises(LoadError, match="There is no file at"):
        input_files(tmp_path / "nothing.parquet")
    with pytest.raises(LoadError, match="no file matches"):
        input_files(str(tmp_path / "*.csv"))


def test_files_with_other_column_types_share_one():
    int_, float_ = {"x": np.dtype("int64")}, {"x": np.dtype("float64")}
    assert common_dtypes(["x"], [int_, float_], ["a", "b"]) == {"x": np.dtype("float64")}
    with pytest.raises(LoadError, match="'x' is int64 in a but"):
        common_dtypes(["x"], [int_, {"x": pd.StringDtype()}], ["a", "b"])


# ------------------------------------------------------------------ witness cells


def test_a_partition_with_witnesses_writes_the_catalogs_cells():
    frame = catalog()
    labels = label_values(frame, "category")
    space = build_features(frame, labels, FEATURES)
    r = recipe("smote", target="floor:40", small_classes="lower_k")
    result = resample(space, "smote", target="floor:40", small_classes="lower_k", seed=3)
    roles = recipe_roles(frame, r)
    full = build_output_table(frame, labels, roles, result, space)
    cls = "Toys > Kind 09"  # whole prices only: alone, its made prices would be rounded
    rows = np.flatnonzero((labels == cls).fillna(False).to_numpy())
    sub, sub_labels = frame.iloc[rows].reset_index(drop=True), labels.iloc[rows].reset_index(drop=True)
    sub_space = replace(space.subset(space.position_of(rows)), rows=np.arange(len(rows)))  # the catalog's features
    sub_result = resample(sub_space, "smote", target="floor:40", small_classes="lower_k", seed=3)
    made = full[(full["category"] == cls) & (full["skewlab_origin"] == "synthetic")]["price"].to_numpy()
    numeric = FEATURES.numeric
    witnesses = merge_witnesses([witness_frame(frame.iloc[:1000], numeric, typed=False),
                                 witness_frame(frame.iloc[1000:], numeric, typed=False)], numeric)
    assert sorted(witnesses) == ["price", "rating"]
    plain = build_output_table(sub, sub_labels, roles, sub_result, sub_space)
    frame_w, labels_w, n = with_witnesses(sub, sub_labels, witnesses)
    seen = build_output_table(frame_w, labels_w, roles, sub_result, sub_space)
    seen = seen[~(seen["skewlab_row"].to_numpy(dtype="float64", na_value=np.nan) >= n)]
    syn = lambda t: t[t["skewlab_origin"] == "synthetic"]["price"].to_numpy()  # noqa: E731
    assert not np.array_equal(syn(plain), made)  # rounded: the partition alone reads its column otherwise
    np.testing.assert_array_equal(syn(seen), made)


# ------------------------------------------------------------------ the output folder and seeds


def test_output_folder_appears_only_when_finished(tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.csv").write_text("a\n")
    with pytest.raises(ParameterError, match="not a Skewlab output folder"):
        prepare_output(tmp_path / "other")
    folders = prepare_output(tmp_path / "out")
    assert not (tmp_path / "out").exists()
    folders.discard()
    assert list(p.name for p in tmp_path.iterdir()) == ["other"]
    for _ in range(2):  # a finished output is replaced by the next
        folders = prepare_output(tmp_path / "out")
        (folders.tmp / "part-g00000.parquet").write_bytes(b"x")
        folders.finish({"rows": 1})
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["_SUCCESS", "_removed", "part-g00000.parquet"]
    assert (tmp_path / "out" / MANIFEST).read_text().startswith("{")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "out"]


def test_class_streams_are_the_same_on_every_machine():
    assert class_seed(0, "Toys").entropy == [0, 5250239030958526063]
    assert class_seed(7, "Jeux & Jouets").entropy == [7, 9243965677379896473]
    assert np.random.default_rng(class_seed(0, "Toys")).integers(0, 1000, 5).tolist() == [597, 526, 318, 228, 406]


class _Workers:
    """A stand-in client: two single-threaded workers of ``memory`` bytes."""

    def __init__(self, memory: int):
        self.memory = memory

    def scheduler_info(self, n_workers: int = -1) -> dict:
        return {"workers": {w: {"memory_limit": self.memory, "nthreads": 1} for w in ("a", "b")}}


def test_a_class_too_large_for_a_worker_is_refused_before_the_run():
    from core.engines import cluster
    from core.engines.partition import FileScan
    from core.errors import ResourceError

    plan = plan_run(recipe("random_over", target={"big": 3_000_000, "small": 20}), {"big": 1_000_000, "small": 10})
    scan = FileScan("f", 1_000_010, 1_000_010, [], {}, "0" * 64, "parquet", 200.0, {}, {}, {}, {})
    lines: list[str] = []
    with pytest.raises(ResourceError, match=r"^Class 'big' would hold 3,000,000 rows in one worker, about 1\.7 GB; "
                                            r"the workers have 512\.0 MB each"):
        cluster._plan_groups(_Workers(2**29), plan, [scan], None, 10**6, lines.append)
    assert lines == ["largest class to resample 'big': 1,000,000 row(s) -> 3,000,000, about 1.7 GB in one worker; "
                     "workers have 512.0 MB each"]
    groups = cluster._plan_groups(_Workers(2**34), plan, [scan], None, 10**6, lines.append)
    assert groups == [["big"], ["small"]] and lines[-1].startswith("plan: 2 class(es) change, in 2 group(s)")


def test_the_default_engine_never_imports_dask():
    import subprocess
    import sys

    from tests.paths import REPO_ROOT

    code = ("import sys; import core.cli.apply, core.engines, core.engines.inputs, core.engines.plan, "
            "core.engines.partition, core.engines.stats; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr
