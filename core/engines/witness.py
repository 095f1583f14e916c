"""Witness cells: what a partition adds to its rows so the output table reads each column as the
whole catalog's column.

The output table looks at whole columns, not only at the rows it writes: a made number is rounded
when *every* number of its column is whole, written with the column's decimals, and Parquet out of a
CSV stores a column as numbers when *every* cell qualifies (:mod:`core.export.tables`,
:mod:`core.export.typed`). A partition of a cluster run holds some rows only, so it would decide for
its rows. Each of these decisions asks whether some cell breaks a pattern, or takes the most or
fewest decimals, digits or characters of the column's cells. :func:`witness_cells` keeps, of a set
of cells, one cell for each such question (a cell that is not a whole number, the longest cell...);
picked again over the files' picks, they are the catalog's own answers. A partition builds its
tables with these cells as extra rows without a label (:func:`with_witnesses`), every other cell
of such a row a copy of one of its own cells, and drops those rows after: every column then reads
as in the single-machine run, whatever rows the partition holds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.data import parse_numeric
from core.export.tables import _PLAIN_DECIMAL  # the patterns the output table's decisions use
from core.export.typed import _DECIMAL, _FLOAT, _INT, _NEG_ZERO, _TINY, _digits, _text

__all__ = ["merge_witnesses", "witness_cells", "witness_frame", "with_witnesses"]


def _first(mask: np.ndarray) -> list[int]:
    hit = np.flatnonzero(mask)
    return [int(hit[0])] if len(hit) else []


def _extremes(values: np.ndarray, where: np.ndarray) -> list[int]:
    """Positions of the smallest and the largest of ``values`` at ``where``."""
    at = np.flatnonzero(where)
    if not len(at):
        return []
    v = values[at]
    return [int(at[np.argmin(v)]), int(at[np.argmax(v)])]


def _matches(cells: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(cells, pattern).to_numpy(zero_copy_only=False)


def _text_picks(arr: pa.Array, parsed: np.ndarray | None) -> list[int]:
    """Witnesses of a text column: typing (every present cell) and, with ``parsed``, made numbers
    (every number cell)."""
    picks = _first(arr.is_null().to_numpy(zero_copy_only=False))
    present = pc.fill_null(pc.not_equal(arr, ""), False).to_numpy(zero_copy_only=False)
    if not present.any():
        return picks
    filled = pc.fill_null(arr, "")
    length = pc.utf8_length(filled).to_numpy(zero_copy_only=False).astype(np.int64)
    dot = pc.find_substring(filled, ".").to_numpy(zero_copy_only=False).astype(np.int64)
    for pattern in (_INT, _DECIMAL, _FLOAT):
        picks += _first(present & ~_matches(filled, pattern))
    for pattern in (_TINY, _NEG_ZERO):
        picks += _first(present & _matches(filled, pattern))
    picks += _extremes(length, present)
    picks += _extremes(_digits(filled).astype(np.int64), present)
    picks += _extremes(length - dot - 1, present)
    if parsed is not None:
        number = ~np.isnan(parsed)
        whole = np.nan_to_num(parsed)
        picks += _first(number & (np.round(whole) != whole))
        picks += _first(number & ~_matches(filled, _PLAIN_DECIMAL))
        picks += _extremes(np.where(dot >= 0, length - dot - 1, 0), number)
    return picks


def witness_cells(values: pd.Series, *, numbers: bool = True) -> pd.Series:
    """The cells of ``values`` that answer, for the column, every question the output table asks of it:
    whether it is typed for Parquet (a text column) and, with ``numbers`` (a numeric feature column,
    whose made values are written from its parents'), how its numbers are written."""
    values = values.reset_index(drop=True)
    arr = _text(values)
    if arr is not None:
        parsed = parse_numeric(values).to_numpy(dtype=np.float64, na_value=np.nan) if numbers else None
        picks = _text_picks(arr, parsed)
    elif numbers and pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        parsed = parse_numeric(values).to_numpy(dtype=np.float64, na_value=np.nan)
        whole = np.nan_to_num(parsed)
        picks = _first(~np.isnan(parsed) & (np.round(whole) != whole))
    else:
        picks = []
    return values.iloc[sorted(set(picks))].reset_index(drop=True)


def witness_frame(frame: pd.DataFrame, numeric: Collection[str], *, typed: bool) -> dict[str, pd.Series]:
    """:func:`witness_cells` of the columns whose cells the output table reads as a whole: the numeric
    feature columns, and every text column when it types numbers for Parquet (``typed``: a CSV input)."""
    return {str(col): witness_cells(frame[col], numbers=str(col) in numeric) for col in frame.columns
            if typed or str(col) in numeric}


def merge_witnesses(parts: list[Mapping[str, pd.Series]], numeric: Collection[str]) -> dict[str, pd.Series]:
    """The catalog's witnesses from every file's (the same questions asked of their union)."""
    if not parts:
        return {}
    return {col: witness_cells(pd.concat([p[col] for p in parts], ignore_index=True), numbers=col in numeric)
            for col in parts[0]}


def with_witnesses(frame: pd.DataFrame, labels: pd.Series,
                   witnesses: Mapping[str, pd.Series]) -> tuple[pd.DataFrame, pd.Series, int]:
    """``frame`` and ``labels`` with the witness rows after its own (labels NA, other cells copies of
    the frame's first row), and the number of the frame's own rows."""
    n = len(frame)
    width = max((len(w) for w in witnesses.values()), default=0)
    if not width or not n:
        return frame, labels, n
    cols = {}
    for pos, col in enumerate(frame.columns):
        src = frame.iloc[:, pos]
        own = witnesses.get(str(col), src.iloc[:0])
        filler = src.iloc[[0] * (width - len(own))]
        cols[pos] = pd.concat([own.astype(src.dtype), filler], ignore_index=True)
    extra = pd.DataFrame(cols)
    extra.columns = frame.columns
    out = pd.concat([frame.reset_index(drop=True), extra], ignore_index=True)
    more = pd.Series(pd.NA, index=range(width), dtype=labels.dtype)
    return out, pd.concat([labels.reset_index(drop=True), more], ignore_index=True), n
