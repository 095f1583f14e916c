"""The default evaluation on a long-tail catalog, next to a plain scikit-learn script doing the same folds.

The catalog is ``tests/longtail.make_longtail(rows, classes)`` (Zipf class sizes, 22 %
singletons, 27 % of classes with 2-5 rows, sku / title / brand / price / rating, a ``Top > Sub > Leaf``
label, 0.5 % of rows unlabelled); roles inferred, features with ``text_dim=64``. Then
the Evaluate page's default run through core: the six default strategies (``none``,
``balanced_weights``, ``random_over``, ``smote``, ``random_under``, ``isolation_forest+smote``),
target ``hybrid:500:100``, small classes randomly over-sampled, the default classifier, 5 folds,
1 repeat, 2 workers. The plain script does the same 5 stratified folds of the scored classes
(the unscored ones in every training part) with scikit-learn and imbalanced-learn: the same
per-class targets (``RandomOverSampler`` / ``SMOTE`` / ``RandomUnderSampler``, ``IsolationForest``
per class before SMOTE), scikit-learn's ``LinearDiscriminantAnalysis(solver="lsqr")`` (the
default classifier's twin; uniform priors for balanced weights), the same metrics with
scikit-learn's functions, folds in 2 joblib workers. Prints both times (target: core < 120 s
at 100,000 rows and 2,000 classes).

    python benchmarks/bench_evaluate.py --rows 100000 --classes 2000
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

from core.data.features import FeatureConfig, build_features
from core.data.schema import infer_roles, label_values
from core.evaluation import DEFAULT_CLASSIFIER, estimate_evaluation, evaluate
from tests.longtail import LABEL, make_longtail

STRATEGIES = ("random_over", "smote", "random_under", "isolation_forest+smote")
TARGET = "hybrid:500:100"
SMALL_CLASSES = "random_over"
FOLDS = 5
TARGET_S = 120.0


def space_of(n_rows: int, n_classes: int, seed: int = 0):
    frame = make_longtail(n_rows, n_classes, seed=seed)
    roles = infer_roles(frame, label=LABEL)
    return build_features(frame, label_values(frame, LABEL), FeatureConfig.from_roles(roles, text_dim=64))


def run_core(space, *, classifier: str = DEFAULT_CLASSIFIER, n_jobs: int = 2) -> dict:
    kw = dict(classifier=classifier, folds=FOLDS, target=TARGET, small_classes=SMALL_CLASSES, n_jobs=n_jobs)
    est = estimate_evaluation(space, list(STRATEGIES), **kw)
    t = time.perf_counter()
    ev = evaluate(space, list(STRATEGIES), on_error="skip", **kw)
    total = time.perf_counter() - t
    return {"estimate": est, "seconds": total, "ev": ev}


# ------------------------------------------------------------------------------------ the plain script


def _plain_fold(X, y, train, test, labels, name, targets_of, seed):
    import warnings

    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.under_sampling import RandomUnderSampler
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.ensemble import IsolationForest
    from sklearn.metrics import average_precision_score, balanced_accuracy_score, f1_score, matthews_corrcoef
    from sklearn.preprocessing import label_binarize

    warnings.simplefilter("ignore")
    Xt, yt = X[train], y[train]
    names, counts = np.unique(yt, return_counts=True)
    size = dict(zip(names.tolist(), counts.tolist()))
    goal = targets_of(size)
    priors = None
    if name == "balanced_weights":
        priors = np.full(len(names), 1.0 / len(names))
    elif name == "random_under":
        Xt, yt = RandomUnderSampler(sampling_strategy={c: min(goal[c], n) for c, n in size.items()},
                                    random_state=seed).fit_resample(Xt, yt)
    elif name != "none":
        if name == "isolation_forest+smote":
            keep = np.ones(len(yt), bool)
            for c, n in size.items():
                if n >= 10:
                    idx = np.flatnonzero(yt == c)
                    keep[idx] = IsolationForest(random_state=seed).fit(Xt[idx]).predict(Xt[idx]) == 1
            Xt, yt = Xt[keep], yt[keep]
            names, counts = np.unique(yt, return_counts=True)
            size = dict(zip(names.tolist(), counts.tolist()))
        lift = {c: max(goal.get(c, n), n) for c, n in size.items()}
        if name == "random_over":
            Xt, yt = RandomOverSampler(sampling_strategy=lift, random_state=seed).fit_resample(Xt, yt)
        else:  # SMOTE; classes under 6 rows copied first (small classes: random_over)
            small = {c: (lift[c] if n < 6 else n) for c, n in size.items()}
            Xt, yt = RandomOverSampler(sampling_strategy=small, random_state=seed).fit_resample(Xt, yt)
            Xt, yt = SMOTE(sampling_strategy=lift, k_neighbors=5, random_state=seed).fit_resample(Xt, yt)
    model = LinearDiscriminantAnalysis(solver="lsqr", priors=priors).fit(Xt, yt)
    pred = model.predict(X[test])
    scores = model.decision_function(X[test])
    cols = [list(model.classes_).index(c) for c in labels]
    truth = label_binarize(y[test], classes=labels)
    return {
        "macro_f1": f1_score(y[test], pred, labels=labels, average="macro", zero_division=0),
        "balanced_accuracy": balanced_accuracy_score(y[test], pred),
        "mcc": matthews_corrcoef(y[test], pred),
        "macro_pr_auc": average_precision_score(truth, scores[:, cols], average="macro"),
    }


def run_plain(space, *, seed: int = 0, n_jobs: int = 2) -> dict:
    """The plain script: same folds, same targets, scikit-learn's LDA and metrics, folds in joblib workers."""
    from joblib import Parallel, delayed
    from sklearn.model_selection import StratifiedKFold

    from core.strategies import resolve_targets
    from core.strategies.targets import TargetSpec

    t = time.perf_counter()
    X, y = space.X, space.y.astype(str)
    names, counts = np.unique(y, return_counts=True)
    small = set(names[counts < FOLDS].tolist())
    scored_pos = np.flatnonzero(~np.isin(y, list(small)))
    always = np.flatnonzero(np.isin(y, list(small)))
    labels = sorted(set(y[scored_pos].tolist()))
    spec = TargetSpec.parse(TARGET)

    def targets_of(size):
        return resolve_targets(size, spec)

    skf = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    folds = [(np.sort(np.concatenate([scored_pos[tr], always])), scored_pos[te])
             for tr, te in skf.split(np.zeros(len(scored_pos)), y[scored_pos])]
    jobs = [(name, tr, te) for name in ("none", "balanced_weights") + STRATEGIES for tr, te in folds]
    out = Parallel(n_jobs=n_jobs)(delayed(_plain_fold)(X, y, tr, te, labels, name, targets_of, seed)
                                  for name, tr, te in jobs)
    by = {}
    for (name, _, _), m in zip(jobs, out):
        by.setdefault(name, []).append(m["macro_f1"])
    return {"seconds": time.perf_counter() - t, "macro_f1": {k: float(np.mean(v)) for k, v in by.items()}}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--classes", type=int, default=2_000)
    ap.add_argument("--classifier", default=DEFAULT_CLASSIFIER)
    ap.add_argument("--no-plain", action="store_true", help="skip the plain scikit-learn script")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    space = space_of(args.rows, args.classes)
    print(f"catalog {args.rows:,} rows x {args.classes:,} classes: features {space.X.shape} in "
          f"{time.perf_counter() - t:.1f} s", flush=True)
    core = run_core(space, classifier=args.classifier)
    ev = core["ev"]
    print(f"estimate: {core['estimate'].text()}", flush=True)
    print(f"core evaluate ({args.classifier}, {FOLDS} folds, 6 strategies): {core['seconds']:.1f} s "
          f"(target < {TARGET_S:.0f} s); {len(ev.scored):,} classes scored, {len(ev.unscored):,} not", flush=True)
    for r in ev.results:
        print(f"  {r.strategy:<24} macro F1 {r.metrics['macro_f1'].mean:.4f}  tail recall "
              f"{r.metrics['tail_recall'].mean:.4f}  resample {r.resample_s:6.2f} s  fit {r.fit_s:6.2f} s  "
              f"predict {r.predict_s:6.2f} s / fold", flush=True)
    res = {"core_s": core["seconds"], "estimate_s": core["estimate"].seconds}
    if not args.no_plain:
        plain = run_plain(space)
        print(f"plain scikit-learn script (same folds, LinearDiscriminantAnalysis): {plain['seconds']:.1f} s", flush=True)
        for k, v in plain["macro_f1"].items():
            print(f"  {k:<24} macro F1 {v:.4f}", flush=True)
        res["plain_s"] = plain["seconds"]
    return res


if __name__ == "__main__":
    main()
