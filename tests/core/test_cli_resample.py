from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.cli.main import main
from tests.paths import DATASETS

DATA = f"{DATASETS}/"
ROOT = Path(__file__).resolve().parents[2]


def test_strategies_json(capsys):
    assert main(["strategies", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    names = [s["name"] for s in listed]
    assert "smote" in names and "effective_number_weights" in names and len(names) == 22
    smote = next(s for s in listed if s["name"] == "smote")
    assert smote["params"][0]["name"] == "k_neighbors" and smote["params"][0]["default"] == 5


def test_strategies_text(capsys):
    assert main(["strategies"]) == 0
    out = capsys.readouterr().out
    assert "--param k_neighbors=5" in out and "centroid_distance" in out


def test_resample_writes_table_with_provenance(tmp_path, capsys):
    out = tmp_path / "out.csv"
    removed = tmp_path / "removed.csv"
    code = main(["resample", DATA + "ecoli.csv", "--label", "class", "--strategy", "smote_tomek",
                 "--param", "k_neighbors=1", "--target", "floor:40", "--output", str(out), "--removed-out", str(removed)])
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    original = pd.read_csv(DATA + "ecoli.csv", dtype=str, keep_default_na=False)
    for col in ("skewlab_origin", "skewlab_row", "skewlab_seed_row", "skewlab_neighbor_row", "skewlab_alpha",
                "skewlab_strategy", "skewlab_sample_weight"):
        assert col in table.columns
    orig = table[table["skewlab_origin"] == "original"]
    rows = orig["skewlab_row"].astype(int).to_numpy()
    # original rows exactly as in the file
    pd.testing.assert_frame_equal(orig[original.columns].reset_index(drop=True), original.iloc[rows].reset_index(drop=True))
    syn = table[table["skewlab_origin"] == "synthetic"]
    assert len(syn) > 0 and (syn["skewlab_row"] == "").all()
    # the id and every non-numeric column come from the seed row (a real value of the class)
    seeds = syn["skewlab_seed_row"].astype(int).to_numpy()
    assert (syn["sequence_name"].to_numpy() == original["sequence_name"].to_numpy()[seeds]).all()
    assert syn["mcg"].astype(float).notna().all()
    removed_table = pd.read_csv(removed, dtype=str, keep_default_na=False)
    assert len(removed_table) + len(orig) == len(original)
    assert set(removed_table["skewlab_reason"]) <= {"tomek link"}
    assert "class" in removed_table.columns


def test_resample_exact_counts_parquet_and_missing_labels(tmp_path, capsys):
    frame = pd.read_csv(DATA + "yeast.csv", dtype=str, keep_default_na=False)
    frame.loc[[3, 10], "class"] = ""  # two rows without a label ride along
    src = tmp_path / "yeast_missing.csv"
    frame.to_csv(src, index=False)
    target = tmp_path / "target.json"
    target.write_text(json.dumps({"ERL": 30, "POX": 25}))
    out = tmp_path / "out.parquet"
    code = main(["resample", str(src), "--label", "class", "--strategy", "smote", "--target", str(target),
                 "--small-classes", "lower_k", "--seed", "4", "--output", str(out)])
    assert code == 0, capsys.readouterr().err
    table = pd.read_parquet(out)
    counts = table.loc[table["class"] != "", "class"].value_counts().to_dict()
    expected = frame.loc[frame["class"] != "", "class"].value_counts().to_dict()
    expected.update({"ERL": 30, "POX": 25})
    assert counts == expected
    blank = table[table["class"] == ""]
    assert blank["skewlab_row"].tolist() == [3, 10] and (blank["skewlab_origin"] == "original").all()
    assert len(table) == len(frame) + 25 + 5


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["--strategy", "smoot"], "smoot"),
        (["--strategy", "smote", "--param", "k_neighbors=0"], "k_neighbors=0"),
        (["--strategy", "smote", "--param", "k_neighbors"], "KEY=VALUE"),
        (["--strategy", "smote", "--target", "floor:x"], "floor:N"),
        (["--strategy", "smote"], "too small"),
    ],
)
def test_resample_errors_exit_2(tmp_path, capsys, argv, needle):
    code = main(["resample", DATA + "ecoli.csv", "--label", "class", "--output", str(tmp_path / "o.csv")] + argv)
    err = capsys.readouterr().err
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def test_missing_label_column_exit_2_subprocess(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "core", "resample", DATA + "ecoli.csv", "--label", "nope", "--strategy", "smote",
         "--output", str(tmp_path / "o.csv")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "'nope'" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.csv").exists()


def test_param_items_are_key_value_with_json_objects_lists_and_strings():
    from core.cli.common import parse_params
    from core.errors import ParameterError

    got = parse_params(["k_neighbors= 3 ", "smote.kind=borderline-1", 'smote={"k_neighbors": 2}', "x=[1, 2]",
                        'y="mode"', "z={not json", "w=a=b"])
    assert got == {"k_neighbors": "3", "smote.kind": "borderline-1", "smote": {"k_neighbors": 2}, "x": [1, 2],
                   "y": "mode", "z": "{not json", "w": "a=b"}
    for bad in ("k_neighbors", "=3", " =3"):
        with pytest.raises(ParameterError, match="is not KEY=VALUE"):
            parse_params([bad])


def test_a_bug_in_a_command_is_not_reported_as_bad_input(monkeypatch):
    from core.cli import resample

    def broken(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(resample, "run_strategies", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["strategies"])
