"""Leak-free evaluation: fold hygiene, a hand-written reference, statistics, budget, errors."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from scipy import stats

from core.data.features import FeatureConfig, build_features
from core.data.io import load_table
from core.data.schema import infer_roles, label_values
from core.errors import ParameterError, SchemaError, SkewlabError, SmallClassError
from core.evaluation import (
    CLASSIFIERS,
    METRICS,
    ClassifierSpec,
    budget_sample,
    evaluate,
    interval,
    metric_range,
    paired_test,
)


def space_of(path, label="class"):
    table = load_table(path)
    labels = label_values(table.frame, label)
    return build_features(table.frame, labels, FeatureConfig.from_roles(infer_roles(table.frame, label=label)))


@pytest.fixture(scope="module")
def yeast(datasets_dir):
    return space_of(datasets_dir / "yeast.csv")


@pytest.fixture(scope="module")
def yeast_leak_run(yeast):
    # 6 folds: ERL (5 rows) has fewer rows than folds, so it must be trained on and never scored
    return evaluate(yeast, ["smote", "random_under", "enn", "smote_enn"], classifier="logreg", folds=6, repeats=2,
                    seed=3, small_classes="lower_k", target="auto", keep_fold_log=True, n_jobs=1)


# ------------------------------------------------------------------------------------ leak check


def test_folds_are_leak_free(yeast, yeast_leak_run):
    ev = yeast_leak_run
    all_rows = set(yeast.rows.tolist())
    erl = set(yeast.rows[yeast.y == "ERL"].tolist())
    assert ev.unscored == {"ERL": 5} and "ERL" not in ev.scored
    assert any("fewer rows than the 6 folds" in n for n in ev.notes)
    strategies = {"none", "balanced_weights", "smote", "random_under", "enn", "smote_enn"}
    assert {log.strategy for log in ev.fold_log} == strategies
    assert len(ev.fold_log) == len(strategies) * 6 * 2
    saw_synthetic = saw_removed = False
    for log in ev.fold_log:
        test, train_in = set(log.test_rows.tolist()), set(log.train_input_rows.tolist())
        # the test part: original rows of scored classes only, disjoint from training, together all rows
        assert not test & train_in
        assert test | train_in == all_rows
        assert not test & erl and erl <= train_in
        # training output: kept originals come from the training part; removed rows too
        orig = log.train_origin == "original"
        assert set(log.train_row[orig].tolist()) <= train_in
        assert set(log.train_row[orig].tolist()).isdisjoint(set(log.removed_rows.tolist()))
        assert set(log.removed_rows.tolist()) <= train_in
        # synthetic rows have no row id and their parents are training rows (never test rows)
        syn = ~orig
        assert (log.train_row[syn] == -1).all()
        parents = np.concatenate([log.train_seed_row[syn], log.train_neighbor_row[syn]])
        parents = set(parents[parents >= 0].tolist())
        assert parents <= train_in and not parents & test
        saw_synthetic |= bool(syn.any()) and bool(parents)
        saw_removed |= len(log.removed_rows) > 0
    assert saw_synthetic and saw_removed  # the checks above did bite
    # every repeat's test parts partition the scored rows, the same parts for every strategy
    for rep in range(2):
        parts = [log for log in ev.fold_log if log.repeat == rep and log.strategy == "none"]
        joined = np.concatenate([p.test_rows for p in parts])
        assert len(joined) == len(set(joined.tolist())) == len(all_rows - erl)
        for s in strategies:
            other = sorted((log.fold, tuple(log.test_rows)) for log in ev.fold_log if log.repeat == rep and log.strategy == s)
            assert other == sorted((p.fold, tuple(p.test_rows)) for p in parts)


def test_test_parts_keep_the_natural_distribution(yeast, yeast_leak_run):
    ev = yeast_leak_run
    counts = yeast.class_counts()
    for r in ev.results:
        # support per class summed over a repeat's folds = the class's rows: nothing added or removed
        assert {c: v["support"] for c, v in r.per_class.items()} == {c: counts[c] for c in ev.scored}
        assert sum(f.n_test for f in r.folds) == 2 * (yeast.n_rows - 5)
    smote = ev.result("smote")
    assert all(f.n_train_synthetic > 0 for f in smote.folds)
    # out-of-fold predictions exist exactly for scored rows
    has_pred = np.array([p is not None for p in smote.predictions[0]])
    assert (has_pred == (ev.y != "ERL")).all()


# ------------------------------------------------------------------------------------ reference


def test_smote_logreg_matches_a_hand_written_script(yeast):
    from imblearn.metrics import geometric_mean_score
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import (
        average_precision_score,
        balanced_accuracy_score,
        f1_score,
        matthews_corrcoef,
        recall_score,
    )
    from sklearn.model_selection import StratifiedKFold

    from core.strategies import resample

    ev = evaluate(yeast, ["smote"], classifier="logreg", folds=5, repeats=1, seed=0, small_classes="random_over",
                  n_jobs=2)
    got = ev.result("smote", "logreg")

    X, y = yeast.X, yeast.y.astype(str)
    classes = sorted(set(y))
    sizes = {c: int((y == c).sum()) for c in classes}
    group = {c: "head" if n > 100 else "tail" if n < 20 else "medium" for c, n in sizes.items()}
    assert set(group.values()) == {"head", "medium", "tail"}
    scores = {m: [] for m in METRICS}
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        res = resample(yeast.subset(tr), "smote", target="auto", small_classes="random_over", seed=0)
        model = LogisticRegression(C=1.0, max_iter=2000).fit(res.X, res.y.astype(str))
        pred = model.predict(X[te])
        proba = model.predict_proba(X[te])
        t = y[te]
        rec = recall_score(t, pred, labels=classes, average=None, zero_division=0)
        scores["balanced_accuracy"].append(balanced_accuracy_score(t, pred))
        scores["macro_f1"].append(f1_score(t, pred, average="macro"))
        scores["weighted_f1"].append(f1_score(t, pred, average="weighted"))
        present = [c for c in classes if (t == c).any()]
        scores["g_mean"].append(geometric_mean_score(t, pred, labels=present, correction=0.01))
        scores["mcc"].append(matthews_corrcoef(t, pred))
        cols = list(model.classes_)
        scores["macro_pr_auc"].append(np.mean([average_precision_score(t == c, proba[:, cols.index(c)]) for c in classes]))
        for g in ("head", "medium", "tail"):
            scores[f"{g}_recall"].append(np.mean([rec[i] for i, c in enumerate(classes) if group[c] == g]))
    for m, values in scores.items():
        v = np.asarray(values)
        half = stats.t.ppf(0.975, 4) * v.std(ddof=1) / np.sqrt(5)
        iv = got.metrics[m]
        assert iv.mean == pytest.approx(v.mean(), abs=1e-9), m
        assert iv.ci_low == pytest.approx(v.mean() - half, abs=1e-9), m
        assert iv.ci_high == pytest.approx(v.mean() + half, abs=1e-9), m
        assert [f.metrics[m] for f in got.folds] == pytest.approx(list(v), abs=1e-9), m
    # the paired test against "none" is a paired t-test over the same 5 folds
    base = [f.metrics["macro_f1"] for f in ev.result("none").folds]
    assert got.p_values["macro_f1"] == pytest.approx(stats.ttest_rel([f.metrics["macro_f1"] for f in got.folds], base).pvalue)
    assert got.test == "paired t-test"


# ------------------------------------------------------------------------------------ weights


class _Recorder:
    calls: list = []


def _recording_factory(**kw):
    from sklearn.linear_model import LogisticRegression

    class Recording(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            _Recorder.calls.append({"y": np.asarray(y), "sample_weight": sample_weight, "class_weight": self.class_weight})
            return super().fit(X, y, sample_weight=sample_weight)

    return Recording(**kw)


@pytest.mark.parametrize("takes_weights", [True, False])
def test_reweighting_reaches_the_classifier(yeast, monkeypatch, takes_weights):
    spec = ClassifierSpec("recorder", "Recorder", settings={"max_iter": 300}, sample_weight=takes_weights,
                          _factory=_recording_factory, seeded=False)
    monkeypatch.setitem(CLASSIFIERS, "recorder", spec)
    _Recorder.calls = []
    ev = evaluate(yeast, ["balanced_weights"], classifier="recorder", folds=3, n_jobs=1)
    assert len(_Recorder.calls) == 2 * 3  # none + balanced_weights, 3 folds
    plain, weighted = _Recorder.calls[:3], _Recorder.calls[3:]
    assert all(c["sample_weight"] is None and c["class_weight"] is None for c in plain)
    for call in weighted:
        y = call["y"]
        names, counts = np.unique(y, return_counts=True)
        expected = {c: len(y) / (len(names) * n) for c, n in zip(names, counts)}
        if takes_weights:
            assert call["class_weight"] is None
            assert call["sample_weight"] == pytest.approx([expected[c] for c in y])
        else:
            assert call["sample_weight"] is None
            assert call["class_weight"] == pytest.approx(expected)
    assert ev.result("balanced_weights", "recorder").weighting == ("sample_weight" if takes_weights else "class_weight")


def test_knn_uses_class_weights_and_they_change_its_votes(yeast):
    ev = evaluate(yeast, [], classifier="knn", folds=3, n_jobs=1)
    assert ev.result("balanced_weights", "knn").weighting == "class_weight"
    a = ev.result("none", "knn").predictions
    b = ev.result("balanced_weights", "knn").predictions
    assert (a != b).any()


# ------------------------------------------------------------------------------------ statistics


def test_g_mean_counts_zero_recall_as_the_stated_floor_over_present_classes():
    from imblearn.metrics import geometric_mean_score

    from core.evaluation.metrics import GMEAN_DESCRIPTION, GMEAN_ZERO_RECALL, fold_metrics

    # recalls over the classes present: a 2/3, b 1/2, c 0 (never found); d is scored but absent from the test part
    y_true = np.array(["a", "a", "a", "b", "b", "c"])
    y_pred = np.array(["a", "a", "b", "b", "a", "a"])
    labels = ["a", "b", "c", "d"]
    groups = {c: "head" for c in labels}
    m, per_class = fold_metrics(y_true, y_pred, None, labels, groups)
    by_hand = (2 / 3 * 1 / 2 * 0.01) ** (1 / 3)
    assert GMEAN_ZERO_RECALL == 0.01
    assert m["g_mean"] == pytest.approx(by_hand, abs=1e-12)
    assert m["g_mean"] == pytest.approx(0.1494, abs=1e-4)
    assert m["g_mean"] == pytest.approx(
        geometric_mean_score(y_true, y_pred, labels=["a", "b", "c"], correction=0.01), abs=1e-12)
    # the plain G-mean is 0 here: that is what the floor is for
    assert geometric_mean_score(y_true, y_pred, labels=["a", "b", "c"]) == 0.0
    assert per_class["d"]["support"] == 0
    # every recall non-zero: the plain geometric mean, identical to imbalanced-learn's default
    y_pred2 = np.array(["a", "a", "b", "b", "a", "c"])
    m2, _ = fold_metrics(y_true, y_pred2, None, labels, groups)
    assert m2["g_mean"] == pytest.approx((2 / 3 * 1 / 2 * 1) ** (1 / 3), abs=1e-12)
    assert m2["g_mean"] == pytest.approx(geometric_mean_score(y_true, y_pred2, labels=["a", "b", "c"]), abs=1e-12)
    # the name and the page's description say what is computed
    assert METRICS["g_mean"] == "G-mean (zero recall as 0.01)"
    assert "classes present in the test part" in GMEAN_DESCRIPTION and "counts as recall 0.01" in GMEAN_DESCRIPTION


def test_metric_bars_axis_spans_the_intervals_not_zero(yeast_leak_run):
    from core.charts.evaluation import AXIS_NOTE, metric_bars

    ev = yeast_leak_run
    ivs = [r.metrics["macro_f1"] for r in ev.results]
    low, high = min(iv.ci_low for iv in ivs), max(iv.ci_high for iv in ivs)
    span = high - low
    assert low > 0.1 and span > 0
    fig = json.loads(metric_bars(ev, "macro_f1").to_json())
    y_range = fig["layout"]["yaxis"]["range"]
    # 15 % of the spread below the lowest interval end, 22.5 % above the highest (room for the ▲▼ marks)
    assert y_range == pytest.approx([low - 0.15 * span, high + 0.225 * span], abs=1e-12)
    assert "rangemode" not in fig["layout"]["yaxis"]
    # every interval is inside the axis, and the chart says 0 is left out
    for bar in fig["data"]:
        for mean, up, down in zip(bar["y"], bar["error_y"]["array"], bar["error_y"]["arrayminus"]):
            assert y_range[0] < mean - down and mean + up < y_range[1]
    assert [a["text"] for a in fig["layout"]["annotations"]] == [AXIS_NOTE]
    assert "does not start at 0" in AXIS_NOTE


def test_value_range_stays_in_the_metric_range_and_pads_equal_values():
    from types import SimpleNamespace

    from core.charts.evaluation import value_range
    from core.evaluation import Interval

    def ev(*ivs):
        return SimpleNamespace(results=[SimpleNamespace(metrics={"macro_f1": iv}) for iv in ivs])

    # intervals reaching 0: the axis starts at 0 (the metric's low end), never below
    assert value_range(ev(Interval(0.02, 0.0, 0.05, 5), Interval(0.06, 0.02, 0.10, 5)), "macro_f1") == \
        pytest.approx([0.0, 0.10 + 0.225 * 0.10])
    # no intervals (one fold): the means set the range; equal means get +-0.02 (0.03 above)
    assert value_range(ev(Interval(0.5, math.nan, math.nan, 1)), "macro_f1") == pytest.approx([0.48, 0.53])
    assert value_range(ev(Interval(math.nan, math.nan, math.nan, 0)), "macro_f1") is None


def test_interval_is_t_based():
    v = [0.5, 0.6, 0.55, 0.7, 0.65]
    iv = interval(v)
    half = stats.t.ppf(0.975, 4) * np.std(v, ddof=1) / math.sqrt(5)
    assert (iv.mean, iv.ci_low, iv.ci_high, iv.n) == pytest.approx((0.6, 0.6 - half, 0.6 + half, 5))
    assert interval([0.3, math.nan, 0.5]).n == 2
    assert math.isnan(interval([0.4]).ci_low) and interval([0.4]).mean == 0.4
    assert math.isnan(interval([]).mean)


def test_paired_test_switches_to_wilcoxon_with_enough_folds():
    rng = np.random.default_rng(0)
    a = rng.random(5)
    b = a - 0.1 + rng.normal(0, 0.02, 5)
    p, name = paired_test(a, b)
    assert name == "paired t-test" and p == pytest.approx(stats.ttest_rel(a, b).pvalue)
    a10, b10 = rng.random(12), rng.random(12)
    p, name = paired_test(a10, b10)
    assert name == "Wilcoxon signed-rank" and p == pytest.approx(stats.wilcoxon(a10, b10).pvalue)
    assert paired_test(a, a) == (1.0, "paired t-test")


def test_best_says_not_clearly_better_when_intervals_overlap(yeast):
    ev = evaluate(yeast, ["random_over"], folds=3, n_jobs=1)
    verdict = ev.best("macro_f1")
    means = {r.strategy: r.metrics["macro_f1"] for r in ev.results}
    top = max(means, key=lambda s: means[s].mean)
    assert verdict.strategy == top
    runner = sorted(means, key=lambda s: -means[s].mean)[1]
    overlap = not (means[top].ci_low > means[runner].ci_high)
    assert verdict.clearly_better is (not overlap)
    assert ("Not clearly better" in verdict.text) is overlap


# ------------------------------------------------------------------------------------ budget


def test_budget_keeps_every_tail_and_medium_row(datasets_dir):
    space = space_of(datasets_dir / "page_blocks.csv")  # text 4913 (head), horiz. line 329, picture 115, ...
    pos, note = budget_sample(space, 1500, seed=0)
    counts = space.class_counts()
    kept = space.subset(pos).class_counts()
    assert len(pos) <= 1500 and len(set(pos.tolist())) == len(pos)
    assert kept["graphic"] == counts["graphic"] == 28  # medium: all kept
    assert kept["vert. line"] == counts["vert. line"]
    assert kept["text"] < counts["text"]
    assert note == f"Evaluated on {len(pos):,} of {space.n_rows:,} labelled rows: all tail and medium rows, head classes sampled."
    same, none_note = budget_sample(space, 10_000)
    assert len(same) == space.n_rows and none_note is None


def test_budget_in_evaluate_uses_full_data_groups(datasets_dir):
    space = space_of(datasets_dir / "page_blocks.csv")
    ev = evaluate(space, [], folds=3, max_rows=800, n_jobs=1)
    assert ev.n_rows_used <= 800 and ev.n_rows_total == space.n_rows
    assert ev.sampling.startswith("Evaluated on ")
    assert ev.groups["text"] == "head" and ev.group_counts["text"] == 4913


# ------------------------------------------------------------------------------------ errors


def test_bad_input_gives_actionable_errors(yeast):
    with pytest.raises(ParameterError, match="folds=1"):
        evaluate(yeast, [], folds=1)
    with pytest.raises(ParameterError, match="Unknown classifier 'forest'"):
        evaluate(yeast, [], classifier="forest")
    with pytest.raises(ParameterError, match="no strategy named"):
        evaluate(yeast, ["smoot"])
    with pytest.raises(SchemaError, match="Lower the number of folds"):
        evaluate(yeast.subset(np.flatnonzero(np.isin(yeast.y, ["ERL", "CYT"]))), [], folds=6)
    with pytest.raises(ParameterError, match="on_error='ignore' is not allowed; it must be one of 'raise', 'skip'"):
        evaluate(yeast, [], on_error="ignore")
    with pytest.raises(ParameterError, match="max_rows=50 is not allowed; it must be a whole number of at least 100"):
        evaluate(yeast, [], max_rows=50)
    with pytest.raises(ParameterError, match="seed=4294967296 is not allowed; it must be a whole number in 0..4294967295"):
        evaluate(yeast, [], seed=2**32)


def test_every_seed_is_taken_and_repeats_wrap_past_the_largest(yeast):
    two = yeast.subset(np.flatnonzero(np.isin(yeast.y, ["CYT", "NUC"])))
    ev = evaluate(two, [], folds=2, repeats=2, seed=2**32 - 1, n_jobs=1)  # repeat 2 splits with random_state=0
    assert ev.seed == 2**32 - 1 and len(ev.result("none").folds) == 4


def test_a_strategy_failing_in_a_training_part_raises_or_is_skipped(yeast):
    # ERL has 5 rows: 4 in a training part, too few for SMOTE with k=5 (needs 6)
    with pytest.raises(SmallClassError, match="SMOTE failed on the training part of repeat 1, fold 1"):
        evaluate(yeast, ["smote"], folds=5, small_classes="error", n_jobs=1)
    ev = evaluate(yeast, ["smote", "random_under"], folds=5, small_classes="error", n_jobs=1, on_error="skip")
    assert "smote" in ev.failed and "smote" not in ev.strategies
    assert ev.strategies == ("none", "balanced_weights", "random_under")
    assert any("failed and are left out" in n for n in ev.notes)


def test_a_skewlab_error_in_a_worker_arrives_as_itself(yeast):
    # n_jobs=2: the SmallClassError is raised in a worker process and crosses to this one
    with pytest.raises(SmallClassError, match="SMOTE failed on the training part of repeat 1, fold 1") as info:
        evaluate(yeast, ["smote"], folds=5, small_classes="error", n_jobs=2)
    err = info.value
    assert "run_task" in str(err.__cause__)  # the worker's traceback: it did cross
    assert err.classes == {"ERL": 4} and err.needed == 6
    assert err.hint.startswith("Choose what to do with them") and not err.message.endswith(err.hint)
    # skipped in workers as in this process, with the same words
    skip = dict(folds=5, small_classes="error", on_error="skip")
    parallel = evaluate(yeast, ["smote", "random_under"], n_jobs=2, **skip)
    assert parallel.failed == evaluate(yeast, ["smote", "random_under"], n_jobs=1, **skip).failed
    assert parallel.failed["smote"] == str(err)


def test_a_bug_in_a_worker_is_not_turned_into_a_user_error(yeast):
    X = yeast.X.copy()
    X[0, 0] = np.nan  # the classifier refuses it: a ValueError, not bad input of the analyst
    broken = dataclasses.replace(yeast, X=X)
    with pytest.raises(ValueError, match="NaN") as info:
        evaluate(broken, [], folds=3, n_jobs=2)
    assert not isinstance(info.value, SkewlabError)
    assert "run_task" in str(info.value.__cause__)


def test_parallel_and_serial_runs_agree_and_json_is_strict(yeast):
    kw = dict(classifier=["logreg", "linear_svm"], folds=3, seed=7, small_classes="random_over")
    a = evaluate(yeast, ["smote"], n_jobs=1, **kw)
    b = evaluate(yeast, [{"name": "smote", "params": {}}], n_jobs=2, **kw)
    assert [r.to_dict()["metrics"] for r in a.results] == [r.to_dict()["metrics"] for r in b.results]
    out = json.loads(json.dumps(a.to_dict(), allow_nan=False))
    assert [(r["strategy"], r["classifier"]) for r in out["results"]][:2] == [("none", "logreg"), ("none", "linear_svm")]
    assert set(out["results"][0]["metrics"]) == set(METRICS)
    assert out["n_rows_used"] == yeast.n_rows
    assert out["classifiers"]["linear_svm"]["settings"]["C"] == 0.5


def test_intervals_stay_inside_the_metric_range():
    scores = [0.99, 1.0, 0.85]  # a t-interval of these reaches past 1 with 3 folds
    raw = interval(scores)
    clipped = interval(scores, **metric_range("macro_f1"))
    assert raw.ci_high > 1.0
    assert clipped.ci_high == 1.0 and clipped.ci_low == raw.ci_low and clipped.mean == raw.mean
    assert interval([-0.9, -1.0, -0.6], **metric_range("mcc")).ci_low == -1.0
