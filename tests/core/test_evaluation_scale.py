"""Evaluation on many classes: the closed-form default, fast metrics, the cost estimate, cancel, small classes."""

from __future__ import annotations

import threading

import numpy as np
import psutil
import pytest

from core.data.features import FeatureConfig, build_features
from core.data.schema import infer_roles, label_values
from core.errors import ResourceError
from core.evaluation import (
    CLASSIFIERS,
    DEFAULT_CLASSIFIER,
    EvaluationCancelled,
    SharedCovarianceLDA,
    average_precisions,
    check_budget,
    estimate_evaluation,
    evaluate,
    fold_metrics,
)
from core.strategies import resample
from tests.longtail import LABEL, make_longtail


@pytest.fixture(scope="module")
def longtail():
    frame = make_longtail(3000, 120, seed=1, hierarchy=False)
    roles = infer_roles(frame, label=LABEL)
    return build_features(frame, label_values(frame, LABEL), FeatureConfig.from_roles(roles, text_dim=16))


# ------------------------------------------------------------------------------------ the generator


def test_longtail_catalog_is_deterministic_and_shaped_like_real_ones():
    a, b = make_longtail(4000, 200, seed=3, hierarchy=False), make_longtail(4000, 200, seed=3, hierarchy=False)
    assert a.equals(b) and not a.equals(make_longtail(4000, 200, seed=4, hierarchy=False))
    sizes = a[LABEL].value_counts()
    assert len(a) == 4000 and len(sizes) == 200 and a[LABEL].isna().sum() == 20  # 4000 // 200 unlabelled
    assert (sizes == 1).sum() == 44 and sizes.between(2, 5).sum() == 54  # 22 % and 27 % of 200
    assert sizes.sum() == 3980 and sizes.min() == 1 and sizes.max() > 100
    assert a["price"].isna().sum() == 400  # 10 % of 4000
    assert a["brand"].nunique() > 50 and a["title"].str.len().gt(0).all()


# ------------------------------------------------------------------------------------ classifiers


def _weighted_problem(seed=0, n=600, d=6, k=7):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, k, n)
    y = np.array([f"c{i}" for i in codes])
    X = rng.normal(size=(n, d)) + codes[:, None] * 0.3
    X = np.column_stack([X, np.eye(3)[rng.integers(0, 3, n)]])  # a one-hot block: singular covariance
    return X, y, rng.uniform(0.2, 3.0, n)


def test_the_default_is_the_closed_form_lda_and_every_classifier_stays_selectable():
    assert DEFAULT_CLASSIFIER == "lda" and next(iter(CLASSIFIERS)) == "lda"
    assert list(CLASSIFIERS) == ["lda", "logreg", "hgb", "random_forest", "linear_svm", "knn"]
    assert CLASSIFIERS["lda"].settings == {"shrinkage": 0.0} and CLASSIFIERS["lda"].scores == "decision"
    assert isinstance(CLASSIFIERS["lda"].make(), SharedCovarianceLDA)


def test_lda_equals_an_independent_numpy_solve_with_row_weights():
    X, y, w = _weighted_problem()
    classes, codes = np.unique(y, return_inverse=True)
    # independent: per-class loops, weighted means, pooled weighted scatter, pseudo-inverse
    means = np.array([np.average(X[codes == j], axis=0, weights=w[codes == j]) for j in range(len(classes))])
    scatter = sum(w[i] * np.outer(X[i] - means[codes[i]], X[i] - means[codes[i]]) for i in range(len(X)))
    prec = np.linalg.pinv(scatter / w.sum())
    priors = np.array([w[codes == j].sum() for j in range(len(classes))]) / w.sum()
    scores = X @ prec @ means.T - 0.5 * np.einsum("kd,de,ke->k", means, prec, means) + np.log(priors)
    model = SharedCovarianceLDA().fit(X, y, sample_weight=w)
    assert np.allclose(model.decision_function(X), scores, atol=1e-8)
    assert (model.predict(X) == classes[np.argmax(scores, axis=1)]).all()


def test_lda_matches_scikit_learn_and_balanced_weights_mean_uniform_priors():
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    X, y, _ = _weighted_problem(seed=1)
    ours = SharedCovarianceLDA().fit(X, y)
    theirs = LinearDiscriminantAnalysis(solver="lsqr").fit(X, y)
    assert np.allclose(ours.decision_function(X), theirs.decision_function(X), atol=1e-9)
    k = len(np.unique(y))
    balanced = SharedCovarianceLDA(class_weight="balanced").fit(X, y)
    uniform = LinearDiscriminantAnalysis(solver="lsqr", priors=np.full(k, 1 / k)).fit(X, y)
    assert np.allclose(balanced.decision_function(X), uniform.decision_function(X), atol=1e-9)
    assert np.allclose(balanced.priors_, 1 / k)


def test_closed_form_models_refuse_nan_like_scikit_learn():
    X, y, _ = _weighted_problem()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SharedCovarianceLDA().fit(X, y)


# ------------------------------------------------------------------------------------ metrics


def test_fast_metrics_equal_scikit_learn_on_many_classes_with_ties():
    from sklearn.metrics import (
        average_precision_score,
        balanced_accuracy_score,
        f1_score,
        matthews_corrcoef,
        precision_recall_fscore_support,
    )

    rng = np.random.default_rng(5)
    names = np.array([f"c{i:03d}" for i in range(300)])
    y_true = names[np.minimum((rng.pareto(0.8, 4000) * 4).astype(int), 299)]
    labels = sorted(set(y_true.tolist()))[:-3]  # three classes present but not scored
    y_pred = np.where(rng.random(4000) < 0.4, y_true, np.append(names, "never-true")[rng.integers(0, 301, 4000)])
    scores = np.round(rng.normal(size=(4000, len(labels))), 1)  # many ties
    groups = {c: ("head", "medium", "tail")[i % 3] for i, c in enumerate(labels)}
    m, per_class = fold_metrics(y_true, y_pred, scores, labels, groups)
    prec, rec, f1, sup = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y_true, y_pred), abs=1e-12)
    assert m["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0), abs=1e-12)
    assert m["weighted_f1"] == pytest.approx(
        f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0), abs=1e-12)
    assert m["mcc"] == pytest.approx(matthews_corrcoef(y_true, y_pred), abs=1e-12)
    ap = [average_precision_score(y_true == c, scores[:, j]) for j, c in enumerate(labels)]
    assert m["macro_pr_auc"] == pytest.approx(np.mean(ap), abs=1e-12)
    assert [per_class[c]["recall"] for c in labels] == pytest.approx(rec.tolist(), abs=1e-15)
    assert [per_class[c]["support"] for c in labels] == sup.tolist()
    tail = [i for i, c in enumerate(labels) if groups[c] == "tail"]
    assert m["tail_recall"] == pytest.approx(rec[tail].mean(), abs=1e-15)


def test_average_precision_of_a_column_without_positives_is_scikit_learns():
    from sklearn.metrics import average_precision_score

    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.3]])
    codes = np.array([0, 0, 2])  # no row of column 1
    got = average_precisions(codes, scores)
    assert got[0] == pytest.approx(average_precision_score([1, 1, 0], scores[:, 0]))
    with pytest.warns(UserWarning):
        assert got[1] == average_precision_score([0, 0, 0], scores[:, 1])


# ------------------------------------------------------------------------------------ cost estimate


def test_estimate_counts_synthetic_rows_exactly(longtail):
    folds = 4
    est = estimate_evaluation(longtail, ["random_over", "random_under"], folds=folds, target="floor:30",
                              small_classes="random_over", n_jobs=1)
    counts = longtail.class_counts()
    unscored = {c: n for c, n in counts.items() if n < folds}
    part = {c: (n if c in unscored else n - n // folds) for c, n in counts.items()}
    assert est.classes == len(counts) and est.scored == len(counts) - len(unscored)
    assert est.unscored_rows == sum(unscored.values())
    assert est.fit_rows["none"] == est.fit_rows["balanced_weights"] == est.fit_rows["random_under"] == sum(part.values())
    assert est.synthetic["random_over"] == sum(max(30 - n, 0) for n in part.values())
    assert est.fit_rows["random_over"] == sum(max(n, 30) for n in part.values())
    assert est.tasks == 4 * folds and est.largest == ("random_over", est.fit_rows["random_over"])
    # the largest training part of the run is the estimate's (StratifiedKFold gives each class n // folds or more
    # test rows)
    ev = evaluate(longtail, ["random_over"], folds=folds, target="floor:30", small_classes="random_over", n_jobs=1)
    assert max(f.n_train for f in ev.result("random_over").folds) <= est.fit_rows["random_over"]
    assert "training parts" in est.text() and f"{est.fit_rows['random_over']:,} rows" in est.text()


def test_over_the_budget_the_run_is_refused_with_a_way_forward(longtail):
    kw = dict(folds=4, target="floor:30", small_classes="random_over", n_jobs=1)
    est = estimate_evaluation(longtail, ["random_over"], **kw)
    most = est.fit_rows["random_over"]
    check_budget(est, max_fit_rows=most)  # exactly at the budget: runs
    with pytest.raises(ResourceError) as info:
        evaluate(longtail, ["random_over"], max_fit_rows=most - 1, **kw)
    syn = est.synthetic["random_over"]
    assert info.value.message == (f"random_over would fit the classifier on {most:,} rows per training part ({syn:,} "
                                  f"of them synthetic), more than the row budget of {most - 1:,} rows (synthetic "
                                  "rows count in the budget).")
    assert info.value.hint.startswith(f"Raise the row budget to {most:,}, leave random_over out")
    with pytest.raises(ResourceError, match="more than the 0 s allowed") as info:
        evaluate(longtail, ["random_over"], max_seconds=0.0, **kw)
    assert "Use fewer folds or repeats" in info.value.hint


# ------------------------------------------------------------------------------------ progress and cancel


def test_progress_says_how_much_time_is_left(longtail):
    seen = []
    evaluate(longtail, [], folds=3, n_jobs=1, progress=lambda f, m: seen.append((f, m)))
    assert seen[0][0] == 0.0 and "(estimate)" in seen[0][1]
    assert [f for f, _ in seen[1:]] == pytest.approx([i / 6 for i in range(1, 7)])
    assert all("left)" in m for _, m in seen[1:])
    assert seen[-1][1].endswith("(6 of 6; about 0 s left)")


def test_cancel_in_this_process_stops_before_the_next_fold(longtail):
    stop = threading.Event()
    done = []

    def progress(f, m):
        if f > 0:
            done.append(m)
            stop.set()  # asked after the first training part

    with pytest.raises(EvaluationCancelled) as info:
        evaluate(longtail, ["random_over"], folds=3, n_jobs=1, progress=progress, cancel=stop)
    assert len(done) == 1 and info.value.done == 1 and info.value.total == 9
    assert info.value.message.startswith("Evaluation stopped: 1 of 9 training parts had run")


def test_cancel_stops_the_worker_processes(longtail):
    stop = threading.Event()
    done = []

    def progress(f, m):
        if f > 0:
            done.append(m)
            stop.set()

    with pytest.raises(EvaluationCancelled) as info:
        evaluate(longtail, ["random_over", "smote"], folds=3, n_jobs=2, progress=progress, cancel=stop,
                 small_classes="random_over")
    err = info.value
    assert len(err.workers) == 2
    # no task is submitted once the cancel is seen: at most the one running next to the first finished
    assert err.done == len(done) and err.done <= 2 and err.total == 12
    for pid in err.workers:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    # the next run starts fresh workers and finishes
    ev = evaluate(longtail, [], folds=3, n_jobs=2)
    assert ev.strategies == ("none", "balanced_weights")


def test_a_cancel_callable_works_like_an_event(longtail):
    with pytest.raises(EvaluationCancelled, match="0 of 6 training parts"):
        evaluate(longtail, [], folds=3, n_jobs=1, cancel=lambda: True)


# ------------------------------------------------------------------------------------ small classes


def test_classes_under_the_folds_are_trained_on_never_tested_and_named(longtail):
    folds = 5
    ev = evaluate(longtail, ["random_over"], folds=folds, n_jobs=1, keep_fold_log=True, small_classes="random_over",
                  target="floor:10")
    counts = longtail.class_counts()
    small = {c: n for c, n in counts.items() if n < folds}
    assert ev.unscored == small and len(small) > 40
    assert set(ev.scored) == set(counts) - set(small)
    note = next(n for n in ev.notes if "fewer rows than the 5 folds" in n)
    assert f"{len(small)} class(es)" in note and f"their {sum(small.values())} rows are in the training part" in note
    small_rows = set(longtail.rows[np.isin(longtail.y, list(small))].tolist())
    for log in ev.fold_log:
        assert small_rows <= set(log.train_input_rows.tolist())
        assert not small_rows & set(log.test_rows.tolist())
    pred = ev.result("random_over").predictions[0]
    assert all(p is None for p in pred[np.isin(ev.y, list(small))])
    assert all(p is not None for p in pred[~np.isin(ev.y, list(small))])


def test_lda_in_the_evaluation_equals_fitting_it_by_hand(longtail):
    from sklearn.model_selection import StratifiedKFold

    ev = evaluate(longtail, ["random_over"], folds=3, seed=0, target="floor:10", small_classes="random_over", n_jobs=1)
    counts = longtail.class_counts()
    y = longtail.y.astype(str)
    small = np.isin(y, [c for c, n in counts.items() if n < 3])
    scored = np.flatnonzero(~small)
    got = ev.result("random_over").predictions[0]
    for tr, te in StratifiedKFold(3, shuffle=True, random_state=0).split(np.zeros(len(scored)), y[scored]):
        train = np.sort(np.concatenate([scored[tr], np.flatnonzero(small)]))
        res = resample(longtail.subset(train), "random_over", target="floor:10", small_classes="random_over", seed=0)
        model = SharedCovarianceLDA().fit(res.X, res.y.astype(str))
        assert (got[scored[te]] == model.predict(longtail.X[scored[te]])).all()
