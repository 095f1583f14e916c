"""The work of a cluster run's tasks, one file or one group of classes each (no Dask import here:
the driver, :mod:`core.engines.cluster`, submits these functions to the workers).

- :func:`scan_file`: read a file, count its classes, summarize its feature columns, pick its witness
  cells; keep a :class:`~core.engines.stats.Compact` of it on the worker for the statistics passes.
- :func:`split_file`: read it again, write the rows that pass through (no label, or a class no step
  changes) as one output file, and hand each group its rows of the classes that change.
- :func:`process_group`: a group's rows from every file, in row order, through the feature space
  and the pipeline; write its output and removed rows.

Every output row carries the catalog's row ids (``skewlab_row`` and the parents' ids), the ids the
single-machine engine gives the same rows.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.data import FeatureSpace, label_values
from core.engines.inputs import ReadOptions, load_part
from core.engines.plan import Plan
from core.engines.stats import Compact, FeatureStats, NumericScan, compact_of, scan_features, space_for
from core.engines.steps import run_plan
from core.engines.witness import with_witnesses, witness_frame
from core.export.apply import recipe_roles
from core.export.recipe import Recipe
from core.export.tables import build_output_table, removed_table
from core.export.typed import typed_frame
from core.export.write import write_table
from core.strategies import ResampleResult
from core.strategies.state import encode

__all__ = ["ROW_ID", "FileScan", "Job", "piece_of", "process_group", "scan_file", "split_file"]

#: The column that carries each row's id through the shuffle (dropped before anything is written).
ROW_ID = "__skewlab_row_id__"
#: Provenance columns holding row ids.
ID_COLUMNS = ("skewlab_row", "skewlab_seed_row", "skewlab_neighbor_row")


@dataclass(frozen=True)
class Job:
    """What every task of a run needs (sent to the workers once per task)."""

    recipe: Recipe
    options: ReadOptions
    out_dir: str
    removed_dir: str
    dtypes: dict | None = None
    typed: bool = False
    stats: FeatureStats | None = None
    plan: Plan | None = None
    groups: dict[str, int] = field(default_factory=dict)
    witnesses: dict[str, pd.Series] = field(default_factory=dict)


@dataclass
class FileScan:
    """Pass 1 of one file."""

    path: str
    n_rows: int
    n_labelled: int
    columns: list[str]
    dtypes: dict
    sha256: str
    format: str
    bytes_per_row: float
    counts: dict[str, int]
    numeric: dict[str, NumericScan]
    categorical: dict[str, dict[str, int]]
    witnesses: dict[str, pd.Series]


def _labels(frame: pd.DataFrame, recipe: Recipe) -> pd.Series:
    lab = recipe.label
    return label_values(frame, lab.column, level=lab.level, separator=lab.separator)


def scan_file(path: str, job: Job) -> tuple[FileScan, Compact]:
    """Pass 1 of a file and the :class:`Compact` its worker keeps."""
    table = load_part(path, job.options, job.dtypes)
    frame = table.frame
    missing = [c for c in [job.recipe.label.column, *job.recipe.features.columns] if c not in frame.columns]
    labels = _labels(frame, job.recipe) if not missing else pd.Series(pd.NA, index=frame.index, dtype="string")
    compact = compact_of(frame, labels, job.recipe.features) if not missing else Compact([], np.zeros(0, np.int32))
    numeric, categorical = scan_features(compact)
    counts = labels.dropna().astype(str).value_counts()
    scan = FileScan(
        path=path, n_rows=len(frame), n_labelled=compact.n, columns=[str(c) for c in frame.columns],
        dtypes=frame.dtypes.to_dict(), sha256=table.sha256, format=table.format,
        bytes_per_row=float(frame.memory_usage(deep=True).sum()) / max(len(frame), 1),
        counts={str(c): int(n) for c, n in counts.items()}, numeric=numeric, categorical=categorical,
        witnesses=witness_frame(frame, job.recipe.features.numeric, typed=table.format == "csv"),
    )
    return scan, compact


def _remap(values: pd.Series, ids: np.ndarray) -> pd.Series:
    """Row ids of a partition (positions) as the catalog's row ids."""
    arr = values.array
    mask = np.asarray(arr.isna())
    local = np.asarray(arr.to_numpy(dtype=np.int64, na_value=0))
    return pd.Series(pd.arrays.IntegerArray(np.where(mask, 0, ids[local]), mask), name=values.name)


def _tables(frame: pd.DataFrame, labels: pd.Series, ids: np.ndarray, result: ResampleResult, space: FeatureSpace,
            job: Job) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The partition's output and removed tables, read as the catalog's columns, with the catalog's row ids
    (rows from ``len(ids)`` on stand in and are dropped)."""
    frame_w, labels_w, _ = with_witnesses(frame, labels, job.witnesses)
    n = len(ids)
    roles = recipe_roles(frame, job.recipe)
    output = build_output_table(frame_w, labels_w, roles, result, space, typed=job.typed)
    rows = output["skewlab_row"].to_numpy(dtype="float64", na_value=np.nan)
    output = output[~(rows >= n)].reset_index(drop=True)  # the witness rows go
    for col in ID_COLUMNS:
        output[col] = _remap(output[col], ids)
    source = typed_frame(frame_w, skip={job.recipe.label.column})[0] if job.typed else frame_w
    removed = removed_table(source, result)
    removed["skewlab_row"] = _remap(removed["skewlab_row"], ids)
    return output, removed


def _write(frame: pd.DataFrame, folder: str, name: str) -> None:
    """One Parquet file of the dataset. Whole-number and true/false columns are written nullable
    (Int64, boolean) in every file: a file whose rows happen to hold no empty cell would otherwise say
    int64, and a reader of the dataset would take that file's type for every file."""
    if not len(frame):
        return
    nullable = {c: ("boolean" if t.kind == "b" else "Int64") for c, t in frame.dtypes.items()
                if isinstance(t, np.dtype) and t.kind in "biu"}
    Path(folder, name).write_bytes(write_table(frame.astype(nullable) if nullable else frame, "parquet"))


def _kept_result(space: FeatureSpace, recipe: Recipe, weights: Mapping[str, float] | None) -> ResampleResult:
    """The result of rows no step changes: every row kept as it is (with its class's weight)."""
    yc, names = encode(space.y)
    counts = {names[i]: int(n) for i, n in enumerate(np.bincount(yc, minlength=len(names))) if n}
    weight = None if weights is None else np.array([weights.get(c, np.nan) for c in names], dtype=np.float64)[yc]
    n = space.n_rows
    return ResampleResult(
        X=space.X, y_code=yc, classes=tuple(names), row=space.rows.copy(), seed_row=np.full(n, -1, dtype=np.int64),
        neighbor_row=np.full(n, -1, dtype=np.int64), alpha=np.full(n, np.nan), sample_weight=weight,
        removed_rows=np.zeros(0, dtype=np.int64), removed_reason=np.zeros(0, dtype=object), runtime_s=0.0, notes=(),
        counts_before=counts, counts_after=counts, targets=None, strategy=recipe.strategy, params=recipe.params,
        seed=recipe.seed, target=recipe.target_spec().to_text(), small_classes=recipe.small_classes,
    )


def _pass_through(frame: pd.DataFrame, labels: pd.Series, ids: np.ndarray, job: Job, index: int) -> dict:
    """Write the rows that pass through (no label, or a class no step changes); their counts."""
    if not len(frame):
        return {"rows": 0, "counts": {}}
    learn = labels.notna().to_numpy()
    if not learn.any():  # the output table needs a labelled row: a copy of the first stands in, then goes
        frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
        labels = pd.concat([labels, pd.Series(["-"], dtype=labels.dtype)], ignore_index=True)
        learn = labels.notna().to_numpy()
    rows = np.flatnonzero(learn)
    y = np.asarray([str(v) for v in labels[learn].tolist()], dtype=object)
    space = FeatureSpace(X=np.zeros((len(rows), 0)), y=y, rows=rows.astype(np.int64), feature_names=(),
                         config=job.recipe.features, blocks={}, n_frame_rows=len(frame))
    result = _kept_result(space, job.recipe, job.plan.weights)
    output, _ = _tables(frame, labels, ids, result, space, job)
    _write(output, job.out_dir, f"part-f{index:05d}.parquet")
    return {"rows": len(output), "counts": result.counts_after}


def split_file(path: str, index: int, first_row: int, job: Job) -> tuple[dict[int, pd.DataFrame], dict]:
    """Write a file's rows that pass through; return each group's rows (with their ids) and the counts."""
    frame = load_part(path, job.options, job.dtypes).frame
    labels = _labels(frame, job.recipe)
    ids = np.arange(first_row, first_row + len(frame), dtype=np.int64)
    group = labels.map(job.groups).to_numpy(dtype="float64", na_value=np.nan) if len(job.groups) else np.full(len(frame), np.nan)
    moving = ~np.isnan(group)
    summary = _pass_through(frame[~moving].reset_index(drop=True), labels[~moving].reset_index(drop=True),
                            ids[~moving], job, index)
    pieces = {}
    if moving.any():
        part = frame[moving].assign(**{ROW_ID: ids[moving]})
        for g, rows in part.groupby(group[moving].astype(np.int64), sort=True):
            pieces[int(g)] = rows
    return pieces, summary


def process_group(g: int, job: Job, *pieces: pd.DataFrame) -> dict:
    """Resample group ``g`` (its rows from every file) and write its output and removed rows."""
    t0 = time.perf_counter()
    frame = pd.concat(pieces, ignore_index=True).sort_values(ROW_ID, kind="stable").reset_index(drop=True)
    ids = frame.pop(ROW_ID).to_numpy(dtype=np.int64)
    labels = _labels(frame, job.recipe)
    space = space_for(frame, labels, job.stats)
    result = run_plan(space, job.recipe, job.plan)
    output, removed = _tables(frame, labels, ids, result, space, job)
    _write(output, job.out_dir, f"part-g{g:05d}.parquet")
    _write(removed, job.removed_dir, f"part-g{g:05d}.parquet")
    return {"group": g, "rows_in": len(frame), "rows": len(output), "synthetic": result.n_synthetic,
            "removed": result.n_removed, "counts_before": result.counts_before, "counts": result.counts_after,
            "notes": result.notes, "seconds": time.perf_counter() - t0}


def piece_of(split: tuple[dict[int, pd.DataFrame], dict], g: int) -> pd.DataFrame:
    """Group ``g``'s rows of one file's :func:`split_file`."""
    return split[0][g]
