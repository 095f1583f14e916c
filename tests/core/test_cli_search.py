"""``python -m core search``: the result as text or JSON, the winner's recipe replayed by ``apply``, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.cli.main import main

ARGS = ["--label", "class", "--budget", "3600", "--trials", "12", "--samplers",
        "smote,random_over,random_under,borderline_smote", "--outliers", "isolation_forest", "--cleaners",
        "tomek_links,enn", "--objective", "tail:0.05", "--tail-max", "40"]


@pytest.fixture(scope="module")
def searched(tmp_path_factory, datasets_dir):
    out = tmp_path_factory.mktemp("search")
    recipe = out / "recipe.json"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["search", str(datasets_dir / "yeast.csv"), *ARGS, "--recipe-out", str(recipe), "--format", "json"])
    assert rc == 0
    return json.loads(buf.getvalue()), recipe, out


def test_json_names_the_trials_the_winner_and_its_confirmation(searched):
    data, recipe, _ = searched
    assert data["input"] == "yeast.csv" and data["label"] == "class" and data["objective"] == "tail:0.05"
    assert len(data["trials"]) == 12 and data["n_trials_asked"] == 12 and data["stopped"] == "12 trials run"
    assert [t["strategy"] for t in data["trials"][:2]] == ["none", "balanced_weights"]
    assert data["trials_run"] == sum(1 for t in data["trials"] if t["folds_run"] > 0)
    winner = data["winner"]
    assert winner == max((t for t in data["trials"] if t["state"] == "complete"),
                         key=lambda t: (round(t["value"], 9), -t["number"]))
    conf = {m["key"]: m for m in data["confirmation"]["metrics"]}
    assert data["confirmation"]["rows"] == 298 and data["confirm_rows"] + data["search_rows"] == 1484
    for key in ("macro_f1", "head_recall", "tail_recall"):
        m = conf[key]
        assert m["winner_low"] <= m["winner"] <= m["winner_high"]
        assert m["gain"] == pytest.approx(m["winner"] - m["baseline"], abs=1e-12)
    assert data["optimistic"].startswith("The search score is optimistic")
    assert data["recipe_out"] == str(recipe)


def test_the_recipe_stores_the_winner_and_apply_replays_the_resample_of_it(searched, datasets_dir, capsys):
    data, recipe_path, out = searched
    recipe = json.loads(recipe_path.read_text(encoding="utf-8"))
    winner = data["winner"]
    assert (recipe["strategy"], recipe["params"], recipe["target"], recipe["small_classes"], recipe["seed"]) == (
        winner["strategy"], winner["params"], winner["target"], "lower_k", 0)
    assert recipe["scope"] == {"kind": "whole", "test_share": 0.2, "seed": 0}
    assert not {"trials", "objective", "budget_s"} & set(recipe)  # the choice, not the search
    assert winner["strategy"] not in ("none", "balanced_weights")  # this seed finds a resampling winner
    applied, resampled = out / "applied.csv", out / "resampled.csv"
    assert main(["apply", "--recipe", str(recipe_path), "--input", str(datasets_dir / "yeast.csv"),
                 "--output", str(applied)]) == 0
    params = winner["params"] if "+" not in winner["strategy"] else {
        f"{step}.{k}": v for step, values in winner["params"].items() for k, v in values.items()}
    flags = [f"--param={k}={json.dumps(v) if isinstance(v, str) else v}" for k, v in params.items()]
    assert main(["resample", str(datasets_dir / "yeast.csv"), "--label", "class", "--strategy", winner["strategy"],
                 *flags, "--target", winner["target"], "--small-classes", "lower_k", "--seed", "0",
                 "--output", str(resampled)]) == 0
    capsys.readouterr()
    assert applied.read_bytes() == resampled.read_bytes()
    assert b",synthetic," in applied.read_bytes()


def test_text_output(datasets_dir, capsys):
    rc = main(["search", str(datasets_dir / "yeast.csv"), "--label", "class", "--budget", "3600", "--trials", "3",
               "--samplers", "random_over", "--outliers", "none", "--cleaners", "none"])
    assert rc == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("yeast.csv: macro F1, classifier lda, 3 folds, seed 0, small classes lower_k; 3 trials, 3 of them "
                      "cross-validated (the others repeated an earlier trial or stopped before a fold)")
    assert out[1].startswith("Winner: ")
    assert out[2].startswith("Confirmed on 298 held-out rows: macro F1 ")
    assert "3 trials (asked 3) in " in out[3] and out[3].endswith("Stopped: 3 trials run.")
    assert any(line.startswith("note: The search score is optimistic") for line in out)
    assert sum(line.startswith("  #") for line in out) == 3


@pytest.mark.parametrize("extra,message", [
    (["--objective", "f2"], "error: Objective 'f2' is not understood. Use a metric (balanced_accuracy, macro_f1, "),
    (["--budget", "0"], "error: --budget 0 is not allowed; it must be a number of seconds in 1..86400."),
    (["--samplers", "smoot"], "error: There is no strategy named 'smoot'."),
    (["--label", "nope"], "error: There is no column named 'nope' in yeast.csv."),
    (["--trials", "1"], "error: n_trials=1 is not allowed; it must be a whole number in 2..100000. The two baselines "
                        "are trials."),
])
def test_bad_input_is_one_line_and_exit_code_2(datasets_dir, capsys, extra, message):
    argv = ["search", str(datasets_dir / "yeast.csv"), "--label", "class", "--budget", "5", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err


def test_the_parser_imports_nothing_heavy_and_its_defaults_are_the_librarys(repo_root):
    code = ("import sys, json; from core.cli.main import build_parser; "
            "a = build_parser(['search']).parse_args(['search', 'x.csv', '--label', 'c', '--budget', '9']); "
            "print(json.dumps([a.handler.__module__, a.classifier, a.max_rows, a.objective, a.small_classes, "
            "sorted(m for m in ('optuna', 'pandas', 'numpy', 'core.search', 'core.data') if m in sys.modules)]))")
    run = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    from core.evaluation import DEFAULT_CLASSIFIER
    from core.search import DEFAULT_MAX_ROWS

    assert json.loads(run.stdout) == ["core.cli.search", DEFAULT_CLASSIFIER, DEFAULT_MAX_ROWS, "macro_f1", "lower_k", []]
    listed = subprocess.run([sys.executable, "-m", "core", "--help"], cwd=repo_root, capture_output=True, text=True)
    assert "    search    search strategies, parameters and targets within a budget" in listed.stdout
