"""The budgeted search (issue 18): reproducible trials, split first, the winner confirmed and replayed by a recipe."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score, matthews_corrcoef, recall_score

from core.data.features import FeatureConfig, build_features
from core.data.io import load_table
from core.data.schema import infer_roles, label_values
from core.errors import ParameterError, SchemaError
from core.evaluation import SharedCovarianceLDA, fold_metrics
from core.export import InputSpec, LabelSpec, apply_recipe, read_recipe
from core.search import (
    Objective,
    SearchSpace,
    TargetBounds,
    default_space,
    handover,
    hold_out,
    param_range,
    pareto_front,
    search,
    weighted_metrics,
    winner_recipe,
)
from core.search.confirm import stratified_weights
from core.search.space import baseline, suggest
from core.strategies import REGISTRY, resample
from core.strategies.cost import GUARD

# A small space that still has every slot: outlier removal, samplers of both kinds, cleaning; 12 trials go past
# TPE's 10 random start-up trials, so the model-based proposals are covered too.
SPACE = SearchSpace(samplers=("smote", "random_over", "random_under", "borderline_smote"),
                    outliers=("isolation_forest",), cleaners=("tomek_links", "enn"))
RUN = dict(budget_s=3600, n_trials=12, seed=0, tail_max=40, search_space=SPACE, objective="tail:0.05", keep_rows=True)


def load(path, label="class"):
    table = load_table(path)
    labels = label_values(table.frame, label)
    roles = infer_roles(table.frame, label=label)
    return table, roles, build_features(table.frame, labels, FeatureConfig.from_roles(roles))


@pytest.fixture(scope="module")
def yeast(datasets_dir):
    return load(datasets_dir / "yeast.csv")


@pytest.fixture(scope="module")
def runs(yeast):
    space = yeast[2]
    return search(space, **RUN), search(space, **RUN)


def trial_keys(result):
    return [(t.number, t.candidate.key, t.state, None if t.value is None else round(t.value, 12)) for t in result.trials]


# ------------------------------------------------------------------------------------ reproducible, baselines


def test_same_seed_and_trial_count_give_the_same_trials_and_winner(runs):
    a, b = runs
    assert len(a.trials) == 12 and a.stopped == "12 trials run"
    assert trial_keys(a) == trial_keys(b)
    assert a.winner.number == b.winner.number and a.winner.candidate.key == b.winner.candidate.key
    assert a.confirmation.winner.metrics == b.confirmation.winner.metrics
    assert a.confirmation.winner.low == b.confirmation.winner.low  # the bootstrap is seeded too
    assert "the same seed and count give the same trials and winner" in a.timing_note()


def test_another_seed_gives_other_trials(yeast):
    other = search(yeast[2], **{**RUN, "n_trials": 4, "seed": 1, "keep_rows": False})
    first = search(yeast[2], **{**RUN, "n_trials": 4, "keep_rows": False})
    assert [t.candidate.key for t in other.trials[2:]] != [t.candidate.key for t in first.trials[2:]]


def test_the_baselines_are_the_first_trials(runs):
    a, _ = runs
    assert [(t.candidate.strategy, t.candidate.target, t.state) for t in a.trials[:2]] == [
        ("none", "auto", "complete"), ("balanced_weights", "auto", "complete")]
    assert a.baseline is a.trials[0]
    # every complete trial has its objective from its own metrics: tail recall, head recall held within 0.05
    base_head = a.trials[0].metrics["head_recall"]
    for t in a.trials:
        if t.state == "complete":
            shortfall = (base_head - 0.05) - t.metrics["head_recall"]
            want = t.metrics["tail_recall"] if shortfall <= 1e-12 else t.metrics["tail_recall"] - 1 - shortfall
            assert t.value == pytest.approx(want, abs=1e-12)
    best = max((t for t in a.trials if t.state == "complete"), key=lambda t: (round(t.value, 9), -t.number))
    assert a.winner is best and a.winner.feasible
    assert a.winner.candidate.strategy not in ("none", "balanced_weights")  # this seed finds a real pipeline


def test_duplicates_reuse_the_earlier_trial_and_pruned_trials_never_win(runs):
    a, _ = runs
    for t in a.trials:
        if t.state == "duplicate":
            prev = next(p for p in a.trials if p.candidate.key == t.candidate.key and p.state != "duplicate")
            assert prev.number < t.number and t.note == f"same as trial {prev.number}"
            assert t.folds_run == 0 and t.metrics == prev.metrics
        if t.state == "pruned":
            assert 0 < t.folds_run < 3 and t.value is None and t.note.startswith(f"pruned after fold {t.folds_run} of 3")
    assert a.n_run == sum(1 for t in a.trials if t.folds_run > 0)


# ------------------------------------------------------------------------------------ split first


def test_no_trial_sees_the_confirmation_rows(yeast, runs):
    space = yeast[2]
    a, _ = runs
    confirm, searched = set(a.confirm_rows.tolist()), set(a.search_rows.tolist())
    assert not confirm & searched and confirm | searched == set(space.rows.tolist())
    ran = [t for t in a.trials if t.folds_run]
    assert len(ran) >= 6
    for t in ran:
        assert t.rows_seen is not None and len(t.rows_seen) > 0
        assert not set(t.rows_seen.tolist()) & confirm, t.number
        assert set(t.rows_seen.tolist()) <= searched
    # the held-out part is round(0.2 x rows) of every class (at least one row stays in the search part)
    y = pd.Series(space.y.astype(str), index=space.rows)
    held = y.loc[sorted(confirm)].value_counts().to_dict()
    want = {c: min(int(math.floor(n * 0.2 + 0.5)), n - 1) for c, n in y.value_counts().items()}
    assert held == {c: n for c, n in want.items() if n}
    assert a.confirmation.n_rows == len(confirm) == sum(want.values()) == 298


def test_classes_too_small_to_hold_out_stay_in_the_search_part_and_are_named(datasets_dir):
    space = load(datasets_dir / "ecoli.csv")[2]
    held = hold_out(space, share=0.2, seed=0)
    assert held.kept_whole == {"imL": 2, "imS": 2}
    assert "2 class(es) too small to give a row to the confirmation part stay whole in the search part (not " \
           "confirmed): 'imL' (2), 'imS' (2)." in held.notes
    assert set(space.y[held.confirm].astype(str)) == {"cp", "im", "pp", "imU", "om", "omL"}
    assert len(held.confirm) + len(held.search) == space.n_rows == 336


# ------------------------------------------------------------------------------------ confirmation


def test_the_confirmation_equals_an_independent_fit_on_the_search_part(yeast, runs):
    space = yeast[2]
    a, _ = runs
    w = a.winner.candidate
    is_conf = np.isin(space.rows, a.confirm_rows)
    search_part, held = space.subset(np.flatnonzero(~is_conf)), space.subset(np.flatnonzero(is_conf))
    y_true = held.y.astype(str)
    classes = sorted(set(y_true))
    tail = [c for c in classes if space.class_counts()[c] < 40]
    for scored, res in ((a.confirmation.winner, resample(search_part, w.strategy, params=w.params, target=w.target,
                                                         small_classes="lower_k", seed=0)),
                        (a.confirmation.baseline, resample(search_part, "none"))):
        pred = SharedCovarianceLDA().fit(res.X, res.y.astype(str)).predict(held.X).astype(str)
        assert np.array_equal(scored.predictions, pred)
        assert scored.metrics["macro_f1"] == pytest.approx(
            f1_score(y_true, pred, labels=classes, average="macro", zero_division=0), abs=1e-12)
        assert scored.metrics["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y_true, pred), abs=1e-12)
        assert scored.metrics["tail_recall"] == pytest.approx(
            recall_score(y_true, pred, labels=tail, average="macro", zero_division=0), abs=1e-12)
        for m in ("macro_f1", "head_recall", "tail_recall"):
            assert scored.low[m] <= scored.metrics[m] + 1e-9 and scored.metrics[m] <= scored.high[m] + 1e-9
    c = a.confirmation
    assert c.gain_low["macro_f1"] <= c.gain("macro_f1") <= c.gain_high["macro_f1"]
    assert c.n_fit_rows == search_part.n_rows and c.bootstrap == 1000


def test_weighted_metrics_with_unit_weights_equal_fold_metrics_and_scikit_learn():
    rng = np.random.default_rng(4)
    classes = ["a", "b", "c", "d", "e"]
    y = rng.choice(classes, 300, p=[0.5, 0.3, 0.1, 0.07, 0.03])
    pred = np.where(rng.random(300) < 0.6, y, rng.choice(classes + ["x", "z"], 300))  # x, z: classes not scored
    groups = {"a": "head", "b": "head", "c": "medium", "d": "tail", "e": "tail"}
    index = {c: i for i, c in enumerate(classes + ["x", "z"])}
    t, p = np.array([index[v] for v in y]), np.array([index[v] for v in pred])
    gidx = {g: np.array([i for i, c in enumerate(classes) if groups[c] == g]) for g in ("head", "medium", "tail")}
    got = weighted_metrics(t, p, np.ones(300), 5, gidx)
    want, _ = fold_metrics(y, pred, None, classes, groups)
    for m, v in got.items():
        assert v == pytest.approx(want[m], abs=1e-12), m
    assert got["mcc"] == pytest.approx(matthews_corrcoef(y, pred), abs=1e-12)
    assert got["macro_f1"] == pytest.approx(f1_score(y, pred, labels=classes, average="macro", zero_division=0))
    # a bootstrap resample drawn within each class keeps every class's size
    w = stratified_weights(t, np.random.default_rng(0))
    assert np.array_equal(np.bincount(t, weights=w), np.bincount(t).astype(float)) and w.sum() == 300


# ------------------------------------------------------------------------------------ the winner as a recipe


def test_the_winners_recipe_gives_the_rows_the_strategies_page_gives(yeast, runs):
    table, roles, space = yeast
    a, _ = runs
    recipe = winner_recipe(a, input=InputSpec(table.name, table.sha256, table.format, table.encoding, table.delimiter),
                           roles=roles, label=LabelSpec("class"), features=FeatureConfig.from_roles(roles))
    w = a.winner.candidate
    data = json.loads(recipe.to_json())
    assert (data["strategy"], data["params"], data["target"], data["small_classes"], data["seed"]) == (
        w.strategy, w.params, w.target, "lower_k", 0)
    assert "trials" not in data and "search" not in json.dumps(data)  # the choice, not the search
    applied = apply_recipe(table, read_recipe(recipe.to_json()))
    # the Strategies page: resample(space, name, params=..., target=..., small_classes=..., seed=...)
    page = resample(space, handover(a)["name"], params=handover(a)["params"], target=handover(a)["target"],
                    small_classes=handover(a)["small_classes"], seed=handover(a)["seed"])
    got = applied.result
    assert len(got.y) == len(page.y) and got.n_synthetic == page.n_synthetic > 0 and got.n_removed == page.n_removed > 0
    for field in ("X", "row", "seed_row", "neighbor_row", "removed_rows"):
        assert np.array_equal(getattr(got, field), getattr(page, field)), field
    assert np.array_equal(got.y.astype(str), page.y.astype(str))


def test_handover_names_the_winner_and_why(runs):
    a, _ = runs
    h = handover(a)
    assert set(h) == {"name", "params", "target", "small_classes", "seed", "label", "why"}
    assert h["label"] == a.winner.candidate.describe() and h["label"].endswith(f"· {a.winner.candidate.target}")
    assert h["why"].startswith(f"trial {a.winner.number} of 12, best tail recall, with head recall at most 0.05")
    assert f"confirmed on {a.confirmation.n_rows:,} held-out rows" in h["why"]


# ------------------------------------------------------------------------------------ the space


def test_parameter_ranges_come_from_the_registry_specs():
    for spec in REGISTRY.values():
        for p in spec.params:
            r = param_range(p, spec)
            if p.name == GUARD:
                assert r is None  # the tail guard keeps its default
            elif r is not None and r.kind in ("int", "float"):
                assert p.low <= r.low < r.high <= p.high
                if p.default > 0:
                    assert r.low >= p.default / 4 - 1 and r.high <= p.default * 4 + 1e-9
            elif r is not None:
                assert set(r.choices) <= set(p.choices or (False, True))
    assert param_range(REGISTRY["smote"].param("k_neighbors")).__dict__ == dict(kind="int", low=2, high=20, log=True,
                                                                               choices=())
    # centroid_distance refuses mode='quantile' with its default threshold 3.5: only robust_z is left, not searched
    assert param_range(REGISTRY["centroid_distance"].param("mode"), REGISTRY["centroid_distance"]) is None
    d = default_space()
    # every sampler of the registry but those it marks slow (SVM-SMOTE, ADASYN), which a caller may still pass
    assert set(d.samplers) == {n for n, s in REGISTRY.items() if s.family in ("over", "under", "combined") and not s.slow}
    assert {n for n, s in REGISTRY.items() if s.slow} == {"svm_smote", "adasyn"}
    assert set(d.outliers) == {n for n, s in REGISTRY.items() if s.family == "outlier"}


def test_a_trial_becomes_a_pipeline_with_its_target():
    import optuna

    bounds = TargetBounds(floor_low=6, floor_high=300, cap_low=20, cap_high=463)
    fixed = optuna.trial.FixedTrial({"sampler": "smote", "target": "hybrid", "floor": 42, "cap": 30,
                                     "outlier removal": True, "outlier": "isolation_forest",
                                     "isolation_forest.contamination": 0.1, "isolation_forest.n_estimators": 50,
                                     "smote.k_neighbors": 7, "cleaning": True, "cleaner": "tomek_links",
                                     "tomek_links.classes": "all"})
    cand = suggest(fixed, SPACE, bounds)
    assert cand.strategy == "isolation_forest+random_under+smote+tomek_links"
    assert cand.target == "hybrid:42:42"  # the cap is never below the floor
    assert cand.params["smote"] == {"k_neighbors": 7}
    assert cand.params["isolation_forest"] == {"contamination": 0.1, "n_estimators": 50, "min_class_rows": 20}
    under = suggest(optuna.trial.FixedTrial({"sampler": "random_under", "cap": 120, "outlier removal": False,
                                             "cleaning": False}), SPACE, bounds)
    assert (under.strategy, under.target, under.params) == ("random_under", "cap:120", {"min_class_rows": 20})
    assert baseline("balanced_weights").key == '["balanced_weights", {}, "auto"]'
    with pytest.raises(ValueError):  # the baselines are not the sampler's to propose: they always run first
        suggest(optuna.trial.FixedTrial({"sampler": "none"}), SPACE, bounds)


def test_target_bounds_keep_growth_bounded():
    counts = {"a": 1000, "b": 100, "c": 10, "d": 1}
    b = TargetBounds.of(counts, 1.0)
    lifted = sum(max(b.floor_high - n, 0) for n in counts.values())
    assert lifted <= 1.0 * sum(counts.values()) < sum(max(b.floor_high + 1 - n, 0) for n in counts.values())
    assert (b.floor_low, b.cap_low, b.cap_high) == (2, 55, 1000)


def test_pareto_front():
    pts = [(0.9, 0.1), (0.8, 0.5), (0.7, 0.4), (0.6, 0.6), (0.8, 0.5), (math.nan, 1.0)]
    assert pareto_front(pts) == [3, 1, 4, 0]


# ------------------------------------------------------------------------------------ objectives and errors


def test_objectives_parse_and_score():
    assert Objective.parse(None) == Objective("metric", "macro_f1")
    assert Objective.parse("balanced_accuracy").metric == "balanced_accuracy"
    tail = Objective.parse("tail:0.02")
    assert (tail.kind, tail.max_head_drop, tail.text) == ("tail", 0.02, "tail:0.02")
    assert tail.value({"tail_recall": 0.5, "head_recall": 0.79}, 0.8) == 0.5
    assert tail.value({"tail_recall": 0.5, "head_recall": 0.70}, 0.8) == pytest.approx(0.5 - 1 - 0.08)
    assert not tail.feasible({"tail_recall": 0.5, "head_recall": 0.70}, 0.8)
    with pytest.raises(ParameterError, match=r"Objective 'f2' is not understood\. Use a metric \(balanced_accuracy"):
        Objective.parse("f2")
    with pytest.raises(ParameterError, match="max_head_drop=1.5 is not allowed; it must be a number in 0..1"):
        Objective.parse("tail:1.5")


def test_bad_settings_say_what_is_allowed(yeast):
    space = yeast[2]
    with pytest.raises(ParameterError, match=r"^budget_s=0 is not allowed; it must be a number in 1\.\.86400\.$"):
        search(space, budget_s=0)
    with pytest.raises(ParameterError, match="n_trials=1 is not allowed; it must be a whole number in 2..100000. "
                                             "The two baselines are trials."):
        search(space, budget_s=10, n_trials=1)
    with pytest.raises(ParameterError, match=r"'balanced_weights' \(reweight\) cannot fill the sampler slot"):
        SearchSpace(samplers=("balanced_weights",))
    with pytest.raises(ParameterError, match="There is no strategy named 'smoot'"):
        search(space, budget_s=10, search_space=["smoot"])
    with pytest.raises(SchemaError, match="No class is in the tail, so there is no tail recall to maximize"):
        search(space, budget_s=10, n_trials=2, objective="tail:0.02", tail_max=2)


def test_a_time_budget_alone_runs_the_baselines_and_says_the_count_depends_on_the_machine(yeast):
    r = search(yeast[2], budget_s=1, search_space=SPACE, seed=0)
    assert len(r.trials) >= 2 and r.trials[1].candidate.strategy == "balanced_weights"
    assert r.stopped == "the 1 s budget was used"
    assert "the number of trials depends on this machine's speed and load" in r.timing_note()
    # a count the budget cut short promises nothing either
    cut = search(yeast[2], budget_s=1, n_trials=500, search_space=SPACE, seed=0)
    assert cut.stopped == "the 1 s budget was used" and len(cut.trials) < 500
    assert cut.timing_note().startswith(f"{len(cut.trials)} trials of the 500 asked in ")
    assert "give a trial count within the budget (with the same seed)" in cut.timing_note()


def test_a_long_tail_with_singletons_never_crashes(tmp_path):
    from tests.longtail import make_longtail

    frame = make_longtail(1500, 120, seed=2, hierarchy=False)
    labels = label_values(frame, "category")
    roles = infer_roles(frame, label="category")
    space = build_features(frame, labels, FeatureConfig.from_roles(roles, text_dim=8))
    r = search(space, budget_s=3600, n_trials=8, seed=0, search_space=SearchSpace(samplers=("smote", "random_over", "random_under"),
               cleaners=("enn",)), max_rows=1000)
    assert [t.state for t in r.trials[:2]] == ["complete", "complete"]
    k_nn = [t for t in r.trials if t.folds_run and t.candidate.strategy != "balanced_weights"
            and t.candidate.strategy != "none"]
    assert k_nn and all(t.state in ("complete", "pruned") for t in k_nn), [(t.state, t.note) for t in k_nn]
    assert any("too small to give a row to the confirmation part" in n for n in r.notes)
    assert "Trials cross-validate on 1,001 of 1,204 labelled rows: all tail and medium rows, head classes sampled." \
        in r.notes
    assert r.trial_rows == 1001


def test_optuna_is_imported_only_when_a_search_runs(repo_root):
    code = "import sys, core.search, core.cli.main; print('optuna' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
