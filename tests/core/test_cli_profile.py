"""``python -m core profile``, run as a real subprocess from the repository root."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

TOYS_LABEL = "amazon_category_and_sub_category"
PYTHON = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "python"


def run_cli(repo_root, *args) -> subprocess.CompletedProcess:
    python = str(PYTHON) if PYTHON.exists() else sys.executable
    return subprocess.run(
        [python, "-m", "core", "profile", *map(str, args)],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def profile_json(repo_root, *args) -> dict:
    proc = run_cli(repo_root, *args, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return json.loads(proc.stdout)


@pytest.mark.parametrize("name", ["ecoli.csv", "yeast.csv", "page_blocks.csv"])
def test_json_counts_match_pandas(repo_root, datasets_dir, name):
    path = datasets_dir / name
    out = profile_json(repo_root, path, "--label", "class")
    expected = pd.read_csv(path)["class"].value_counts()
    assert out["counts"] == {str(k): int(v) for k, v in expected.items()}
    assert out["n_rows"] == len(pd.read_csv(path))
    assert out["n_missing_label"] == 0
    assert out["n_classes"] == len(expected)
    assert out["imbalance_ratio"] == expected.max() / expected.min()
    assert out["input"] == name
    assert len(out["sha256"]) == 64


def test_json_toys_top_level(repo_root, toys_path):
    out = profile_json(repo_root, toys_path, "--label", TOYS_LABEL, "--level", "1")
    raw = pd.read_csv(toys_path)[TOYS_LABEL]
    expected = raw.dropna().str.split(" > ", regex=False).str[0].value_counts()
    assert out["counts"] == {str(k): int(v) for k, v in expected.items()}
    assert out["n_missing_label"] == int(raw.isna().sum()) == 690
    assert out["n_classes"] == 43
    assert out["counts"]["Hobbies"] == 1464
    assert list(out["counts"])[0] == "Hobbies"
    assert out["n_labelled"] == 9310


def test_json_toys_full_path(repo_root, toys_path):
    out = profile_json(repo_root, toys_path, "--label", TOYS_LABEL)
    raw = pd.read_csv(toys_path)[TOYS_LABEL]
    assert out["counts"] == {str(k): int(v) for k, v in raw.value_counts().items()}
    assert out["n_classes"] == 255
    assert out["n_missing_label"] == 690


def test_text_format(repo_root, datasets_dir):
    proc = run_cli(repo_root, datasets_dir / "ecoli.csv", "--label", "class")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "ecoli.csv: 336 rows, 336 labelled, 0 without a label"
    assert lines[1].startswith("classes 8   imbalance ratio 71.5   normalized entropy ")
    assert lines[3] == (
        "head (>100 rows) 1   medium 4   tail (<20 rows) 3   too small for k-NN (<6 rows) 3   singletons 0"
    )
    assert lines[4].split() == ["cp", "143", "42.6%", "head"]
    assert len(lines) == 4 + 8


def test_options_reach_the_profile(repo_root, datasets_dir):
    out = profile_json(
        repo_root, datasets_dir / "ecoli.csv", "--label", "class", "--head-min", "50", "--tail-max", "30", "-k", "1"
    )
    assert out["head"] == ["cp", "im", "pp"]
    assert out["medium"] == ["imU"]
    assert out["tail"] == ["om", "omL", "imL", "imS"]
    assert out["too_small_for_knn"] == []


def test_all_missing_label_gives_valid_json(repo_root, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("a,b\n1,\n2,NA\n")
    proc = run_cli(repo_root, path, "--label", "b", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert out["n_classes"] == 0
    assert out["n_missing_label"] == 2
    assert out["imbalance_ratio"] is None and out["gini"] is None


def _assert_one_line_error(proc, expected: str):
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.endswith("\n")
    assert "Traceback" not in proc.stderr
    assert proc.stderr == expected + "\n"


def test_missing_file(repo_root, tmp_path):
    missing = tmp_path / "nope.csv"
    _assert_one_line_error(run_cli(repo_root, missing, "--label", "x"), f"error: There is no file at {str(missing)!r}.")


def test_unknown_column(repo_root, datasets_dir):
    proc = run_cli(repo_root, datasets_dir / "ecoli.csv", "--label", "klass")
    _assert_one_line_error(
        proc,
        "error: There is no column named 'klass' in ecoli.csv. "
        "Columns: sequence_name, mcg, gvh, lip, chg, aac, alm1, alm2, class.",
    )


def test_empty_file(repo_root, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    _assert_one_line_error(
        run_cli(repo_root, path, "--label", "x"),
        "error: empty.csv is empty (0 bytes). Export the table again with its header and rows.",
    )
