"""``python -m core evaluate``, run as a real subprocess from the repository root."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from core.evaluation import METRICS

PYTHON = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "python"


def run_cli(repo_root, *args) -> subprocess.CompletedProcess:
    python = str(PYTHON) if PYTHON.exists() else sys.executable
    return subprocess.run([python, "-m", "core", "evaluate", *map(str, args)], cwd=repo_root, capture_output=True,
                          text=True, timeout=600)


def test_json_output(repo_root, datasets_dir):
    proc = run_cli(repo_root, datasets_dir / "ecoli.csv", "--label", "class", "--strategies", "random_over,smote",
                   "--small-classes", "random_over", "--folds", "3", "--seed", "1", "--format", "json", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [r["strategy"] for r in out["results"]] == ["none", "balanced_weights", "random_over", "smote"]
    for r in out["results"]:
        assert r["classifier"] == "lda"  # the default
        assert set(r["metrics"]) == set(METRICS)
        for m in ("balanced_accuracy", "macro_f1", "mcc", "head_recall"):
            iv = r["metrics"][m]
            assert iv["ci_low"] <= iv["mean"] <= iv["ci_high"]
        assert set(r["per_class"]["cp"]) == {"precision", "recall", "f1", "support", "group"}
    # ecoli: imL and imS have 2 rows < 3 folds: trained on, not scored, reported
    assert out["unscored_classes"] == {"imL": 2, "imS": 2}
    assert out["n_rows_used"] == 336 and out["folds"] == 3 and out["seed"] == 1
    assert out["classifiers"]["lda"]["settings"] == {"shrinkage": 0.0}
    assert out["input"] == "ecoli.csv"
    assert out["results"][0]["p_values"]["macro_f1"] is None


def test_text_output_and_bad_input(repo_root, datasets_dir):
    proc = run_cli(repo_root, datasets_dir / "ecoli.csv", "--label", "class", "--strategies", "random_under",
                   "--folds", "3", "--classifier", "knn", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("strategy"))
    assert lines[header].split()[:4] == ["strategy", "classifier", "bal_acc", "macro_f1"]
    rows = [line.split()[0] for line in lines[header + 2: header + 5]]
    assert rows == ["none", "balanced_weights", "random_under"]
    assert any(line.startswith("Best macro F1 with knn") for line in lines)
    for args, needle in [
        (("--strategies", "smoot"), "no strategy named 'smoot'"),
        (("--strategies", "none", "--classifier", "xgb"), "Unknown classifier 'xgb'"),
        (("--strategies", "none", "--folds", "40"), "folds=40"),
        (("--strategies", "none", "--target", "floor:x"), "floor:x"),
    ]:
        bad = run_cli(repo_root, datasets_dir / "ecoli.csv", "--label", "class", *args)
        assert bad.returncode == 2, bad.stderr
        assert bad.stdout == ""
        assert len(bad.stderr.strip().splitlines()) == 1 and needle in bad.stderr, bad.stderr
