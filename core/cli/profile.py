"""``python -m core profile INPUT --label COLUMN [--level N] [--format json|text]``."""

from __future__ import annotations

import argparse
import json
import math

from core.cli.choices import HEAD_MIN, K_NEIGHBORS, TAIL_MAX
from core.cli.common import add_label_arguments, labels_from_args


def _json_safe(value):
    """Replace NaN / inf (metrics of a label with no classes) by None: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def register(sub) -> None:
    p = sub.add_parser("profile", help="print the skew profile of a label")
    add_label_arguments(p)
    p.add_argument("--format", choices=("json", "text"), default="text")
    p.add_argument("--head-min", type=int, default=HEAD_MIN, help="head: classes with more rows (default 100)")
    p.add_argument("--tail-max", type=int, default=TAIL_MAX, help="tail: classes with fewer rows (default 20)")
    p.add_argument("-k", "--k-neighbors", type=int, default=K_NEIGHBORS, help="k of k-NN methods (default 5)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from core.data import profile_skew

    table, labels, _ = labels_from_args(args)
    prof = profile_skew(labels, head_min=args.head_min, tail_max=args.tail_max, k_neighbors=args.k_neighbors)
    if args.format == "json":
        out = prof.to_dict()
        out["input"] = table.name
        out["sha256"] = table.sha256
        print(json.dumps(_json_safe(out), indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    print(f"{table.name}: {prof.n_rows:,} rows, {prof.n_labelled:,} labelled, {prof.n_missing_label:,} without a label")
    print(f"classes {prof.n_classes}   imbalance ratio {prof.imbalance_ratio:,.1f}   normalized entropy {prof.normalized_entropy:.3f}")
    print(f"effective classes {prof.effective_classes:.1f}   Gini {prof.gini:.3f}   classes holding 80% of rows {prof.classes_for_80pct}")
    print(f"head (>{prof.head_min} rows) {len(prof.head)}   medium {len(prof.medium)}   tail (<{prof.tail_max} rows) {len(prof.tail)}   "
          f"too small for k-NN (<{prof.k_neighbors + 1} rows) {len(prof.too_small_for_knn)}   singletons {len(prof.singletons)}")
    width = min(max((len(c) for c in prof.counts), default=5), 60)
    for cls, n in prof.counts.items():
        print(f"  {cls[:60]:<{width}}  {n:>8,}  {prof.shares[cls]:6.1%}  {prof.group_of(cls)}")
    return 0
