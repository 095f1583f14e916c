"""The Dask engine (``apply --engine dask``) gives the single-machine engine's rows, on a LocalCluster.

The catalog is shuffled and split into four Parquet files; both engines read the same files. For
every strategy family the Dask engine replays, the per-class counts, the output rows (original and
synthetic, every column with its provenance) and the removed rows are identical once sorted.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

pytest.importorskip("distributed")

from core.engines.cluster import run_dask
from core.engines.inputs import load_input
from core.engines.output import MANIFEST
from core.errors import RecipeError, SmallClassError
from core.export import apply_recipe
from core.export.typed import types_numbers
from tests.engine_catalog import (
    HAS_ENCODERS,
    ROLES,
    catalog,
    read_dataset,
    recipe,
    rows_of,
    text_features,
    write_shuffled,
)
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.xdist_group("dask")


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as local:
        yield local


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalog")
    frame = catalog()
    return {"parquet": write_shuffled(frame, root / "parquet"), "csv": write_shuffled(frame, root / "csv", fmt="csv")}


CASES = {
    "random_over": dict(strategy="random_over", target="floor:150"),
    "random_under": dict(strategy="random_under", target="cap:100"),
    "smote": dict(strategy="smote", target="floor:150", small_classes="random_over"),
    # only classes whose prices are whole change: a partition must still write made prices as the catalog's
    # column (not rounded, two decimals) and find the neighbours of whole numbers (ties) as the single machine
    "smote_whole_prices": dict(strategy="smote", small_classes="lower_k", target={
        "Toys > Kind 03": 500, "Toys > Kind 09": 200, "Toys > Kind 12": 150, "Toys > Kind 15": 150, "Toys > Kind 18": 90}),
    "isolation_forest": dict(strategy="isolation_forest", params={"contamination": 0.1}),
    "pipeline": dict(strategy="isolation_forest+random_under+smote", target="hybrid:200:80", small_classes="lower_k"),
    "reweighting": dict(strategy="random_under+balanced_weights", target="auto"),
}


def _both(cluster, folder, tmp_path, pattern, **kw):
    r = recipe(**kw)
    table = load_input(str(folder / pattern))
    local = apply_recipe(table, r, typed=types_numbers(table, "parquet"))
    lines: list[str] = []
    run = run_dask(r, str(folder / pattern), tmp_path / "out", scheduler=cluster.scheduler_address, group_rows=300,
                   echo=lines.append)
    return local, run, lines


@pytest.mark.parametrize("case", list(CASES))
def test_dask_gives_the_single_machine_rows(cluster, files, tmp_path, case):
    local, run, lines = _both(cluster, files["parquet"], tmp_path, "*.parquet", **CASES[case])
    out = tmp_path / "out"
    manifest = json.loads((out / MANIFEST).read_text())
    counts = {c: (v["before"], v["after"]) for c, v in manifest["counts"].items()}
    assert counts == {c: (int(b), int(a)) for c, (b, a) in local.counts[["before", "after"]].iterrows()}
    assert rows_of(read_dataset(out)) == rows_of(local.output)
    removed = sorted((out / "_removed").glob("*.parquet"))
    assert len(local.removed) == run.removed == manifest["output"]["removed"]
    if len(local.removed):
        assert rows_of(read_dataset(out / "_removed")) == rows_of(local.removed)
    else:
        assert removed == []
    assert (run.rows, run.synthetic) == (len(local.output), local.result.n_synthetic)
    # every class whole in one file: the classes no step changes passed through (part-f*), each group's apart
    where: dict[str, set[str]] = {}
    for path in out.glob("part-*.parquet"):
        for cls in set(read_dataset(path).column("category").to_pylist()) - {None}:
            where.setdefault(cls, set()).add(path.name)
    moved = {c for c, names in where.items() if any(n.startswith("part-g") for n in names)}
    assert all(len(names) == 1 for c, names in where.items() if c in moved)
    changed = {c for c, (b, a) in counts.items() if a != b}
    assert changed <= moved
    assert len(moved) < len(counts) or case == "pipeline"  # the pipeline's outlier step touches every class
    assert lines[0].startswith("dask: 2 worker(s)") and "dashboard http" in lines[0]
    groups = [line for line in lines if line.startswith("group ")]
    assert len(groups) == run.groups and (run.groups > 1 or case == "reweighting")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


@pytest.mark.parametrize("case", ["pipeline", "smote_whole_prices"])
def test_dask_types_csv_numbers_as_the_single_machine_parquet(cluster, files, tmp_path, case):
    local, run, _ = _both(cluster, files["csv"], tmp_path, "*.csv", **CASES[case])
    out = read_dataset(tmp_path / "out")
    assert str(out.schema.field("rating").type) == "int64" and str(out.schema.field("price").type) == "double"
    assert rows_of(out) == rows_of(local.output)
    if len(local.removed):
        assert rows_of(read_dataset(tmp_path / "out" / "_removed")) == rows_of(local.removed)


@pytest.mark.skipif(not HAS_ENCODERS, reason="this Skewlab has no text encoders of fixed weights")
def test_dask_encodes_text_with_fixed_weights_as_the_single_machine(cluster, files, tmp_path):
    roles = {**ROLES, "title": "text"}
    local, run, _ = _both(cluster, files["parquet"], tmp_path, "*.parquet", strategy="smote", target="floor:150",
                          small_classes="random_over", features=text_features("minilm-static"), roles=roles)
    assert rows_of(read_dataset(tmp_path / "out")) == rows_of(local.output)
    with pytest.raises(RecipeError, match="only with a text encoder of fixed weights"):
        run_dask(recipe("smote", features=text_features("tfidf"), roles=roles), str(files["parquet"]),
                 tmp_path / "again", echo=print)


def test_a_failed_run_leaves_no_output(cluster, files, tmp_path):
    r = recipe("smote", target="floor:150")  # classes of 3 rows and small_classes='error'
    with pytest.raises(SmallClassError, match="too small"):
        run_dask(r, str(files["parquet"]), tmp_path / "out", scheduler=cluster.scheduler_address, echo=lambda _: None)
    assert list(tmp_path.iterdir()) == []


def test_refused_strategies_name_the_ones_that_work(tmp_path, files):
    for strategy in ("tomek_links", "smote+enn", "borderline_smote", "adasyn", "near_miss", "svm_smote", "ncr", "oss"):
        with pytest.raises(RecipeError) as info:
            run_dask(recipe(strategy, small_classes="lower_k"), str(files["parquet"]), tmp_path / "out", echo=print)
        text = str(info.value)
        assert "cannot replay" in text and "random_over, smote, random_under" in text and "--engine local" in text
    assert list(tmp_path.iterdir()) == []  # refused before anything is written or any cluster is started


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(REPO_ROOT / ".cache" / "numba")}
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_one_line_errors(tmp_path, files):
    (tmp_path / "smote.json").write_text(recipe("smote", target="floor:150", small_classes="random_over").to_json())
    (tmp_path / "tomek.json").write_text(recipe("tomek_links").to_json())
    unreachable = _cli("apply", "--recipe", str(tmp_path / "smote.json"), "--input", str(files["parquet"] / "*.parquet"),
                       "--output", str(tmp_path / "out"), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9",
                       "--connect-timeout", "2")
    assert unreachable.returncode == 2
    assert unreachable.stderr.count("\n") == 1 and unreachable.stderr.startswith(
        "error: Cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' within 2 s")
    refused = _cli("apply", "--recipe", str(tmp_path / "tomek.json"), "--input", str(files["parquet"]),
                   "--output", str(tmp_path / "out"), "--engine", "dask")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("error: The Dask engine cannot replay 'tomek_links'")
    assert not (tmp_path / "out").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_cli_replays_on_the_cluster(cluster, files, tmp_path):
    (tmp_path / "r.json").write_text(recipe(**CASES["pipeline"]).to_json())
    done = _cli("apply", "--recipe", str(tmp_path / "r.json"), "--input", str(files["parquet"] / "*.parquet"),
                "--output", str(tmp_path / "out"), "--removed-out", str(tmp_path / "removed"), "--engine", "dask",
                "--scheduler", cluster.scheduler_address)
    assert done.returncode == 0, done.stderr
    assert "fingerprint" in done.stderr  # another catalog than the recipe's: a warning, exit 0
    assert "dashboard http" in done.stdout and done.stdout.count("\ngroup ") >= 1
    local = apply_recipe(load_input(str(files["parquet"])), recipe(**CASES["pipeline"]))
    assert rows_of(read_dataset(tmp_path / "out")) == rows_of(local.output)
    assert rows_of(read_dataset(tmp_path / "removed")) == rows_of(local.removed)
    assert not (tmp_path / "out" / "_removed").exists()
    assert done.stdout.splitlines()[-1].startswith(f"wrote {tmp_path / 'out'}: {len(local.output):,} rows")
