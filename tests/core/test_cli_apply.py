"""`python -m core apply` replays a recipe with the app's own export functions; `recipe` writes one."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from core.data import FeatureConfig, infer_roles, load_table
from core.export import InputSpec, LabelSpec, ScopeSpec, export_bundle, make_recipe, member_names, read_recipe
from tests.paths import DATASETS

ROOT = Path(__file__).resolve().parents[2]
DATA = DATASETS


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(ROOT / ".cache" / "numba")}
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def yeast_recipe(scope: ScopeSpec | None = None):
    table = load_table(DATA / "yeast.csv")
    roles = infer_roles(table.frame, label="class")
    recipe = make_recipe(
        input=InputSpec(table.name, table.sha256, table.format, table.encoding, table.delimiter),
        roles=roles, label=LabelSpec("class"), features=FeatureConfig.from_roles(roles, text_dim=16),
        strategy="smote_tomek", params={"k_neighbors": 3}, target="floor:50", small_classes="lower_k", seed=11,
        scope=scope,
    )
    return table, recipe


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_cli_replay_equals_the_app_export(tmp_path, fmt):
    table, recipe = yeast_recipe(ScopeSpec("split", 0.2, 4) if fmt == "parquet" else None)
    bundle = zipfile.ZipFile(io.BytesIO(export_bundle(table, recipe, fmt=fmt)))
    names = member_names(fmt)
    (tmp_path / "recipe.json").write_bytes(bundle.read("recipe.json"))
    out, removed = tmp_path / f"out.{fmt}", tmp_path / f"removed.{fmt}"
    done = cli("apply", "--recipe", str(tmp_path / "recipe.json"), "--input", str(DATA / "yeast.csv"),
               "--output", str(out), "--removed-out", str(removed))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # same input: no fingerprint warning
    assert out.read_bytes() == bundle.read(names["data"])  # byte for byte
    assert removed.read_bytes() == bundle.read(names["removed"])
    if fmt == "parquet":
        back = pd.read_parquet(out)
        assert set(back["skewlab_split"]) == {"train", "test"}
        pd.testing.assert_frame_equal(back, pd.read_parquet(io.BytesIO(bundle.read(names["data"]))))


def test_cli_warns_on_another_catalog_and_replays_it(tmp_path):
    table, recipe = yeast_recipe()
    (tmp_path / "recipe.json").write_text(recipe.to_json())
    bigger = pd.concat([table.frame, table.frame.iloc[:100]], ignore_index=True)
    (tmp_path / "bigger.csv").write_text(bigger.to_csv(index=False))
    out = tmp_path / "out.xlsx"
    done = cli("apply", "--recipe", str(tmp_path / "recipe.json"), "--input", str(tmp_path / "bigger.csv"),
               "--output", str(out), "--removed-out", str(tmp_path / "rm.xlsx"), "--no-neutralize")
    assert done.returncode == 0, done.stderr
    assert "warning:" in done.stderr and "fingerprint" in done.stderr
    back = pd.read_excel(out, dtype=str, keep_default_na=False, na_filter=False)
    orig = back[back["skewlab_origin"] == "original"]
    removed = pd.read_excel(tmp_path / "rm.xlsx", dtype=str)
    ids = sorted(orig["skewlab_row"].astype(int).tolist() + removed["skewlab_row"].astype(int).tolist())
    assert ids == list(range(len(bigger)))  # every row of the larger catalog is kept or listed as removed


def test_cli_refuses_bad_recipes_and_overwriting_the_input(tmp_path):
    _, recipe = yeast_recipe()
    bad = recipe.to_dict()
    bad["strategy"] = "os.system"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    done = cli("apply", "--recipe", str(tmp_path / "bad.json"), "--input", str(DATA / "yeast.csv"),
               "--output", str(tmp_path / "o.csv"))
    assert done.returncode == 2 and done.stderr.startswith("error: Recipe field 'strategy'")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "o.csv").exists()
    (tmp_path / "good.json").write_text(recipe.to_json())
    (tmp_path / "in.csv").write_bytes((DATA / "yeast.csv").read_bytes())
    done = cli("apply", "--recipe", str(tmp_path / "good.json"), "--input", str(tmp_path / "in.csv"),
               "--output", str(tmp_path / "in.csv"))
    assert done.returncode == 2 and "is the input" in done.stderr
    assert (tmp_path / "in.csv").read_bytes() == (DATA / "yeast.csv").read_bytes()
    done = cli("apply", "--recipe", str(tmp_path / "good.json"), "--input", str(tmp_path / "in.csv"),
               "--output", str(tmp_path / "o.txt"))
    assert done.returncode == 2 and "--format" in done.stderr


def test_recipe_command_writes_a_recipe_that_apply_reads(tmp_path):
    out = tmp_path / "r.json"
    done = cli("recipe", str(DATA / "ecoli.csv"), "--label", "class", "--strategy", "smote", "--param", "k_neighbors=2",
               "--target", "floor:20", "--small-classes", "random_over", "--seed", "3", "--text-dim", "8",
               "--scope", "split", "--test-share", "0.3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    r = read_recipe(out.read_bytes())
    assert r.strategy == "smote" and r.params["k_neighbors"] == 2 and r.target == "floor:20" and r.seed == 3
    assert r.scope.kind == "split" and r.scope.test_share == 0.3 and r.features.text_dim == 8
    assert r.input.sha256 == load_table(DATA / "ecoli.csv").sha256
    done = cli("recipe", str(DATA / "ecoli.csv"), "--label", "class", "--strategy", "smote", "--param", "k_neighbors=0",
               "--out", str(tmp_path / "x.json"))
    assert done.returncode == 2 and "k_neighbors" in done.stderr and not (tmp_path / "x.json").exists()


def test_resample_recipe_out_replays_to_the_same_table(tmp_path):
    rs, recipe = tmp_path / "rs.csv", tmp_path / "r.json"
    done = cli("resample", str(DATA / "ecoli.csv"), "--label", "class", "--strategy", "smote", "--param", "k_neighbors=2",
               "--target", "floor:20", "--small-classes", "random_over", "--text-dim", "8", "--output", str(rs),
               "--recipe-out", str(recipe))
    assert done.returncode == 0, done.stderr
    assert read_recipe(recipe.read_bytes()).params["k_neighbors"] == 2
    done = cli("apply", "--recipe", str(recipe), "--input", str(DATA / "ecoli.csv"), "--output", str(tmp_path / "ap.csv"))
    assert done.returncode == 0, done.stderr
    read = lambda p: pd.read_csv(p, dtype=str, keep_default_na=False)  # noqa: E731
    pd.testing.assert_frame_equal(read(rs), read(tmp_path / "ap.csv"))
