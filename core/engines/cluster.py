"""Replay a recipe on a Dask cluster: ``python -m core apply --engine dask [--scheduler ADDRESS]``.

The client reads nothing itself. Each file of the input is one task:

1. scan: class counts, the feature columns' counts, extremes and samples, witness cells;
2. statistics: the medians (an exact selection), each class's most frequent category, then the
   means and standard deviations as numpy sums them (:mod:`core.engines.exact`), all from the
   compact copies the workers kept after the scan;
3. plan (on the client, from the counts alone): each step's targets and weights, the classes some
   step changes, grouped into partitions of whole classes; the largest class must fit in one worker;
4. split: each file writes its rows that pass through (no label, or a class no step changes) as one
   output file and hands each group its rows of the other classes (the shuffle);
5. groups: each group builds its classes' features with the catalog's statistics, runs the
   pipeline (:mod:`core.engines.steps`) and writes its output and removed rows.

The output folder appears, with a manifest, only when every task succeeded
(:mod:`core.engines.output`). A scheduler that cannot be reached, or a worker that dies, stops the
run with a :class:`~core.engines.ClusterError` (one line, exit code 2 on the command line).
"""

from __future__ import annotations

import math
import operator
import os
import time
import types
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from core.data import human_bytes
from core.engines import ClusterError
from core.engines.exact import check_numpy, merge_parts
from core.engines.inputs import ReadOptions, check_columns, common_dtypes, dataset_fingerprint, input_files, is_parquet
from core.engines.output import MANIFEST, OutputFolders, prepare_output
from core.engines.partition import FileScan, Job, piece_of, process_group, scan_file, split_file
from core.engines.plan import Plan, check_recipe, group_classes, plan_run
from core.engines.stats import (
    FeatureStats,
    category_order,
    feature_stats,
    mean_parts,
    median_bounds,
    median_of,
    median_window,
    mode_counts,
    var_parts,
)
from core.engines.witness import merge_witnesses
from core.errors import LoadError, ResourceError, SchemaError, SkewlabError
from core.export.apply import check_input
from core.export.recipe import SKEWLAB_VERSION, Recipe, version_warnings

__all__ = ["CONNECT_TIMEOUT", "GROUP_ROWS", "DaskRun", "run_dask"]

#: Seconds to wait for a scheduler (and its first worker) before giving up.
CONNECT_TIMEOUT = 10.0
#: Rows (after resampling) a group of classes holds at most, unless one class alone has more.
GROUP_ROWS = 2_000_000
#: Groups of classes per worker thread at least (when the classes allow), so every worker has work.
GROUPS_PER_THREAD = 4
#: Feature matrices a step may hold at once (the state, a copy, the result, the output's parents).
MATRIX_COPIES = 4

Echo = Callable[[str], None]


@dataclass(frozen=True)
class DaskRun:
    """What a cluster run wrote."""

    output: Path
    rows: int
    synthetic: int
    removed: int
    rows_in: int
    files: int
    groups: int
    seconds: float
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _lost() -> tuple[type[BaseException], ...]:
    """What Dask raises when a worker dies or the scheduler goes away."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    return (KilledWorker, CancelledError, CommClosedError, TimeoutError)


def run_dask(recipe: Recipe, input: str | Path, output: str | Path, *, removed_out: str | Path | None = None,
             scheduler: str | None = None, options: ReadOptions = ReadOptions(), connect_timeout: float = CONNECT_TIMEOUT,
             workers: int | None = None, group_rows: int = GROUP_ROWS, echo: Echo = print) -> DaskRun:
    """Replay ``recipe`` on the files of ``input`` on a Dask cluster and write a Parquet dataset.

    Parameters
    ----------
    recipe : Recipe
    input : str or Path
        A file, a folder, or a glob pattern of Parquet or CSV files (rows numbered file after file,
        files in path order).
    output : str or Path
        The output folder: one Parquet file per partition, the removed rows in ``_removed/`` (or
        ``removed_out``), and the manifest ``_SUCCESS``.
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); None starts a local cluster of one
        single-threaded worker process per core.
    connect_timeout : float
        Seconds to wait for the scheduler and a worker.
    group_rows : int
        Rows a partition of changed classes holds at most (one class alone may hold more).
    echo : callable(str)
        Where progress lines go.

    Raises
    ------
    RecipeError
        A strategy the cluster cannot replay exactly, or a recipe it does not support.
    ClusterError
        The scheduler cannot be reached, or a worker died: nothing is written.
    ResourceError
        The largest class would not fit in one worker.
    """
    check_recipe(recipe)
    files = _files(input)
    folders = prepare_output(output, removed_out)
    try:
        check_numpy()
        with _connect(scheduler, connect_timeout, workers, echo) as client:
            return _run(client, recipe, files, folders, options, group_rows, echo)
    except SkewlabError:
        raise
    except _lost() as exc:
        raise ClusterError(
            f"The cluster run stopped: a worker died or the scheduler went away ({_detail(exc)}); "
            f"nothing was written to {str(folders.final)!r}.",
            hint="Check the workers' logs (a worker out of memory is killed and its task fails), then run it again.",
        ) from None
    except OSError as exc:  # a task could not read or write a file
        raise ClusterError(
            f"The cluster run stopped: {_detail(exc)}; nothing was written to {str(folders.final)!r}.",
            hint="Every worker must read the input and write the output at the same paths: use storage the whole "
                 "cluster shares.",
        ) from None
    finally:
        folders.discard()


def _detail(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:300]}" if text else type(exc).__name__


def _files(input: str | Path) -> list[Path]:
    files = input_files(input)
    kinds = {is_parquet(p) for p in files}
    if len(kinds) > 1:
        raise LoadError("The input mixes Parquet and other files.", hint="Give the Dask engine Parquet files or CSV files.")
    if any(str(p).lower().endswith((".xlsx", ".xlsm", ".xls")) for p in files):
        raise LoadError("The Dask engine reads Parquet and CSV files, not Excel workbooks.",
                        hint="Save the sheets as CSV or Parquet, or replay with --engine local.")
    return files


@contextmanager
def _connect(scheduler: str | None, timeout: float, workers: int | None, echo: Echo) -> Iterator:
    """A client of the scheduler at ``scheduler``, or of a local cluster sized to this machine."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{timeout}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(
                f"Cannot reach the Dask scheduler at {scheduler!r} within {timeout:g} s ({type(exc).__name__}).",
                hint="Start it with `dask scheduler` and workers with `dask worker ADDRESS`, check the address, "
                     "or leave out --scheduler to run on this machine.",
            ) from None
        try:
            _wait_for_workers(client, scheduler, timeout)
            _describe(client, echo)
            yield client
        finally:
            client.close()
        return
    n = int(workers or os.cpu_count() or 1)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        _describe(client, echo)
        yield client


def _wait_for_workers(client, scheduler: str, timeout: float) -> None:
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (TimeoutError, OSError):
        raise ClusterError(f"The Dask scheduler at {scheduler!r} has no worker (waited {timeout:g} s).",
                           hint="Start workers with `dask worker ADDRESS` on the machines of the cluster.") from None


def _describe(client, echo: Echo) -> None:
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    memory = [w.get("memory_limit") or 0 for w in workers]
    threads = sum(int(w.get("nthreads", 1)) for w in workers)
    mem = f", {human_bytes(min(memory))} each" if memory and min(memory) else ""
    echo(f"dask: {len(memory)} worker(s), {threads} thread(s){mem}; dashboard {client.dashboard_link}")


def _threads(client) -> int:
    return max(sum(int(w.get("nthreads", 1)) for w in client.scheduler_info(n_workers=-1)["workers"].values()), 1)


def _worker_memory(client) -> int:
    """The smallest memory limit of the workers (0: none set)."""
    limits = [int(w.get("memory_limit") or 0) for w in client.scheduler_info(n_workers=-1)["workers"].values()]
    return min(limits) if limits and min(limits) > 0 else 0


def _scan(client, files: Sequence[Path], job: Job, token: str, only: Sequence[int] | None = None) -> tuple[list, list]:
    """Pass 1 of the files (``only``: these of them): the scans, and futures of the kept compacts."""
    which = range(len(files)) if only is None else only
    futs = [client.submit(scan_file, str(files[i]), job, key=f"skewlab-scan-{i}-{token}") for i in which]
    heads = [client.submit(operator.getitem, f, 0, key=f"skewlab-scan-head-{i}-{token}") for i, f in zip(which, futs)]
    kept = [client.submit(operator.getitem, f, 1, key=f"skewlab-compact-{i}-{token}") for i, f in zip(which, futs)]
    return client.gather(heads), kept


def _read(client, recipe: Recipe, files: Sequence[Path], options: ReadOptions, token: str,
          echo: Echo) -> tuple[list[FileScan], list, dict, list[str]]:
    """Pass 1 over every file, files with other column types read again as the common types."""
    t0 = time.perf_counter()
    job = Job(recipe=recipe, options=options, out_dir="", removed_dir="")
    try:
        scans, kept = _scan(client, files, job, token)
    except LoadError as exc:
        raise LoadError(f"A worker could not read the input: {exc.message}",
                        hint=exc.hint or "Every worker must see the input at the same path (storage the cluster shares).") from None
    names = [s.path for s in scans]
    columns = check_columns(names, [s.columns for s in scans])
    dtypes = common_dtypes(columns, [s.dtypes for s in scans], names)
    other = [i for i, s in enumerate(scans) if s.dtypes != dtypes]
    if other:
        again, kept_again = _scan(client, files, replace(job, dtypes=dtypes), token + "-cast", other)
        for i, s, k in zip(other, again, kept_again):
            scans[i], kept[i] = s, k
    warnings = check_input(types.SimpleNamespace(frame=pd.DataFrame(columns=columns),
                                                 sha256=dataset_fingerprint([s.sha256 for s in scans])), recipe)
    rows = sum(s.n_rows for s in scans)
    echo(f"read {len(files)} file(s): {rows:,} rows, {len(_counts(scans))} classes ({time.perf_counter() - t0:.1f} s)")
    return scans, kept, dtypes, warnings + version_warnings(recipe)


def _counts(scans: Sequence[FileScan]) -> dict[str, int]:
    total: dict[str, int] = {}
    for s in scans:
        for c, n in s.counts.items():
            total[c] = total.get(c, 0) + n
    return dict(sorted(total.items()))


def _medians(client, scans: Sequence[FileScan], kept: list, cols: Sequence[str]) -> dict[str, float]:
    """Every numeric column's median, exactly (a window bracketed by samples; the whole column if it missed)."""
    n_ok = {c: sum(s.numeric[c].n_ok for s in scans) for c in cols}
    medians = {c: 0.0 for c in cols if not n_ok[c]}
    todo = {c: median_bounds([s.numeric[c] for s in scans]) for c in cols if n_ok[c]}
    while todo:
        windows = client.gather([client.submit(median_window, k, todo, pure=False) for k in kept])
        for c in list(todo):
            med = median_of(n_ok[c], [w[c] for w in windows])
            if med is not None:
                medians[c] = med
                todo.pop(c)
            else:
                todo[c] = (-math.inf, math.inf)
    return medians


def _statistics(client, recipe: Recipe, scans: Sequence[FileScan], kept: list, echo: Echo) -> FeatureStats:
    """The feature space's statistics over every labelled row (passes 2 to 4)."""
    t0 = time.perf_counter()
    cfg = recipe.features
    n = sum(s.n_labelled for s in scans)
    offsets = np.concatenate([[0], np.cumsum([s.n_labelled for s in scans])[:-1]]).astype(int).tolist()
    categories = {c: [s.categorical[c] for s in scans] for c in cfg.categorical}
    tops = {c: [v for v, _ in category_order(categories[c])[: int(cfg.max_categories)]] for c in cfg.categorical}
    pairs_f = [client.submit(mode_counts, k, tops, pure=False) for k in kept] if tops else []
    medians = _medians(client, scans, kept, cfg.numeric)
    pairs = client.gather(pairs_f) if tops else []
    means, stds = {}, {}
    if medians:
        sums = client.gather([client.submit(mean_parts, k, medians, off, n, pure=False) for k, off in zip(kept, offsets)])
        means = {c: merge_parts([p[c] for p in sums], n) / n for c in medians}
        sq = client.gather([client.submit(var_parts, k, medians, means, off, n, pure=False)
                            for k, off in zip(kept, offsets)])
        stds = {c: math.sqrt(merge_parts([p[c] for p in sq], n) / n) for c in medians}
    moments = {c: (medians[c], means[c], stds[c]) for c in cfg.numeric}
    stats = feature_stats(cfg, n, {c: [s.numeric[c] for s in scans] for c in cfg.numeric}, moments, categories,
                          {c: [p[c] for p in pairs] for c in cfg.categorical})
    echo(f"feature statistics over {n:,} labelled rows: {len(cfg.numeric)} numeric, {len(cfg.categorical)} categorical "
         f"column(s) ({time.perf_counter() - t0:.1f} s)")
    return stats


def _plan_groups(client, plan: Plan, scans: Sequence[FileScan], stats: FeatureStats | None, group_rows: int,
                 echo: Echo) -> list[list[str]]:
    """The groups of changed classes; ResourceError when the largest class cannot fit in one worker."""
    sizes = {c: max(plan.counts_before[c], plan.rows_out(c)) for c in plan.touched}
    if not sizes:
        echo("no step changes any class: every row passes through")
        return []
    per_row = max(s.bytes_per_row for s in scans) * 3 + (stats.width if stats else 0) * 8 * MATRIX_COPIES
    biggest = max(sizes, key=lambda c: (sizes[c], c))
    need = sizes[biggest] * per_row
    limit = _worker_memory(client)
    where = f"; workers have {human_bytes(limit)} each" if limit else ""
    echo(f"largest class to resample {biggest!r}: {plan.counts_before[biggest]:,} row(s) -> {plan.rows_out(biggest):,}, "
         f"about {human_bytes(need)} in one worker{where}")
    if limit and need > limit:
        raise ResourceError(
            f"Class {biggest!r} would hold {sizes[biggest]:,} rows in one worker, about {human_bytes(need)}; "
            f"the workers have {human_bytes(limit)} each, so the run would fail.",
            hint="Give each worker more memory (dask worker --memory-limit, fewer workers per machine), or lower that "
                 "class's target in the recipe.",
        )
    if limit:
        group_rows = min(group_rows, max(int(limit / 2 / per_row), 1))
    # at least a few groups per thread, so every worker has work (a class is never cut)
    group_rows = min(group_rows, max(sum(sizes.values()) // (GROUPS_PER_THREAD * _threads(client)), 1))
    groups = group_classes(sizes, group_rows=max(group_rows, 1))
    passing = len(plan.counts_before) - len(sizes)
    echo(f"plan: {len(sizes)} class(es) change, in {len(groups)} group(s); {passing} class(es) pass through unshuffled")
    return groups


def _run(client, recipe: Recipe, files: Sequence[Path], folders: OutputFolders, options: ReadOptions,
         group_rows: int, echo: Echo) -> DaskRun:
    t0 = time.perf_counter()
    token = uuid.uuid4().hex[:10]
    scans, kept, dtypes, warnings = _read(client, recipe, files, options, token, echo)
    for message in warnings:
        echo(f"warning: {message}")
    counts = _counts(scans)
    if len(counts) < 2:
        raise SchemaError(
            f"The label has {len(counts)} class(es) among {sum(counts.values())} labelled rows; resampling needs at least 2.",
            hint="Pick another label column or a deeper level of a path label.",
        )
    plan = plan_run(recipe, counts)
    stats = _statistics(client, recipe, scans, kept, echo) if plan.touched else None
    del kept  # the compact copies are no longer needed on the workers
    groups = _plan_groups(client, plan, scans, stats, group_rows, echo)
    job = Job(recipe=recipe, options=options, out_dir=folders.out_dir, removed_dir=folders.removed_dir, dtypes=dtypes,
              typed=all(s.format == "csv" for s in scans), stats=stats, plan=plan,
              groups={c: g for g, classes in enumerate(groups) for c in classes},
              witnesses=merge_witnesses([s.witnesses for s in scans], recipe.features.numeric))
    done = _split_and_process(client, files, scans, job, groups, token, echo)
    totals = {k: sum(d.get(k, 0) for d in done) for k in ("rows", "synthetic", "removed")}
    after: dict[str, int] = {}
    for d in done:
        for c, n in d["counts"].items():
            after[c] = after.get(c, 0) + n
    notes = tuple(dict.fromkeys([*plan.notes, *(n for d in done for n in d.get("notes", ())), *(stats.notes if stats else ())]))
    seconds = time.perf_counter() - t0
    folders.finish(_manifest(recipe, scans, plan, after, totals, notes, warnings, folders, seconds))
    return DaskRun(output=folders.final, rows=totals["rows"], synthetic=totals["synthetic"], removed=totals["removed"],
                   rows_in=sum(s.n_rows for s in scans), files=len(files), groups=len(groups), seconds=seconds,
                   warnings=tuple(warnings), notes=notes)


def _split_and_process(client, files: Sequence[Path], scans: Sequence[FileScan], job: Job, groups: list[list[str]],
                       token: str, echo: Echo) -> list[dict]:
    """Split every file (writing its rows that pass through), then process every group; one line per group."""
    from distributed import as_completed

    job_f = client.scatter(job, broadcast=True, hash=False)
    first_row = np.concatenate([[0], np.cumsum([s.n_rows for s in scans])[:-1]]).astype(int).tolist()
    splits = [client.submit(split_file, str(p), i, first_row[i], job_f, key=f"skewlab-split-{i}-{token}")
              for i, p in enumerate(files)]
    passes = [client.submit(operator.getitem, f, 1, key=f"skewlab-pass-{i}-{token}") for i, f in enumerate(splits)]
    futures = {}
    for g, classes in enumerate(groups):
        holders = [i for i, s in enumerate(scans) if any(s.counts.get(c) for c in classes)]
        parts = [client.submit(piece_of, splits[i], g, key=f"skewlab-piece-{i}-{g}-{token}") for i in holders]
        futures[client.submit(process_group, g, job_f, *parts, key=f"skewlab-group-{g}-{token}")] = classes
    del splits
    done = []
    t0 = time.perf_counter()
    for fut in as_completed(list(futures) + passes):
        summary = fut.result()
        done.append(summary)
        if fut in futures:
            classes = futures[fut]
            shown = ", ".join(map(repr, classes[:3])) + (f" and {len(classes) - 3} more" if len(classes) > 3 else "")
            echo(f"group {sum('group' in d for d in done)}/{len(groups)} done: {len(classes)} class(es) ({shown}), "
                 f"{summary['rows_in']:,} rows in, {summary['rows']:,} out ({summary['synthetic']:,} synthetic, "
                 f"{summary['removed']:,} removed) in {summary['seconds']:.1f} s")
    passing = sum(d["rows"] for d in done if "group" not in d)
    echo(f"{passing:,} rows passed through from {len(files)} file(s); every task done in {time.perf_counter() - t0:.1f} s")
    return done


def _manifest(recipe: Recipe, scans: Sequence[FileScan], plan: Plan, after: dict[str, int], totals: dict[str, int],
              notes: Sequence[str], warnings: Sequence[str], folders: OutputFolders, seconds: float) -> dict:
    files = sorted(p.name for p in folders.tmp.glob("part-*.parquet"))
    removed = sorted(p.name for p in folders.removed_tmp.glob("part-*.parquet"))
    return {
        "written_by": f"Skewlab {SKEWLAB_VERSION}, python -m core apply --engine dask",
        "strategy": recipe.strategy, "target": recipe.target, "seed": recipe.seed,
        "input": {"files": [s.path for s in scans], "rows": sum(s.n_rows for s in scans),
                  "fingerprint": dataset_fingerprint([s.sha256 for s in scans])},
        "output": {"rows": totals["rows"], "synthetic": totals["synthetic"], "removed": totals["removed"], "files": files,
                   "removed_folder": str(folders.removed_final or Path(folders.final, folders.removed_tmp.name)),
                   "removed_files": removed},
        "counts": {c: {"before": n, "after": after.get(c, 0)} for c, n in plan.counts_before.items()},
        "notes": list(notes), "warnings": list(warnings), "seconds": round(seconds, 3),
        "manifest": MANIFEST,
    }
