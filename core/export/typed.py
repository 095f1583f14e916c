"""Typed numeric columns for Parquet output, only where no cell changes.

A CSV is loaded as text, so a number column arrives as cells like ``"12.5"``. Parquet can store it
as numbers, which is smaller, faster to write and what a reader expects, but only when every
typed value prints back as the very cell it came from. :func:`typed_kind` says which columns
qualify, by the text of every non-empty cell:

- ``int``: whole numbers written plainly, ``0`` or ``-?[1-9][0-9]*`` (at most 18 digits) →
  ``Int64``. ``"007"``, ``"-0"``, ``"+5"``, ``"1,000"`` or ``" 5"`` keep the column as text.
- ``float``: decimals written as Python and pandas write a float: ``-?(0|[1-9][0-9]*).digits``,
  no trailing zero after the point except ``"x.0"``, at most 15 significant digits (so the shortest
  text of the parsed float is the cell itself) and no value below 0.0001 (written with an exponent)
  → ``float64``. ``"12.50"`` or ``"1e5"`` keep the column as text... unless:
- ``decimal``: every cell has the same number of decimals ``d`` (``"12.50"``, ``"3.00"``; 1 to 6, as
  Python prints a Decimal with more in exponent form), at most 15 significant digits, no ``-0.00`` →
  ``decimal128(18, d)``, which prints ``12.50`` again.

Empty cells become nulls (the empty cell of a typed column). Every other column is left as it is,
and only a CSV input is typed (:func:`types_numbers`): the columns of Parquet and Excel inputs have
the types their author gave them, text included.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.data.schema import arrow_text

__all__ = ["DECIMAL_DIGITS", "decimal_column", "decimal_places", "to_typed", "typed_frame", "typed_kind", "types_numbers"]

#: Digits a decimal128 column holds (precision), and so the most digits a qualifying cell has.
DECIMAL_DIGITS = 18
#: Most significant digits of a decimal cell: the values are exact through float64 arithmetic.
DECIMAL_EXACT_DIGITS = 15
#: Most decimals of a decimal column: Python prints a Decimal with more (``0.0000001``) as ``1E-7``.
MAX_DECIMALS = 6
_INT = r"^(0|-?[1-9][0-9]{0,17})$"
_FLOAT = r"^-?(0|[1-9][0-9]*)\.([0-9]*[1-9]|0)$"
_TINY = r"^-?0\.0000"
_DECIMAL = r"^-?(0|[1-9][0-9]*)\.[0-9]+$"
_NEG_ZERO = r"^-0\.0+$"
#: Cells tested first by :func:`_all_match`.
_HEAD = 1000


def types_numbers(table: Any, fmt: str) -> bool:
    """Whether output in ``fmt`` of ``table`` gets typed number columns: Parquet out of a CSV."""
    return fmt == "parquet" and getattr(table, "format", None) == "csv"


def _text(values: pd.Series) -> pa.Array | None:
    """A text column as one Arrow array; None for a column that is not text (numbers, mixed objects)."""
    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
        return None
    if values.dtype == object and not all(v is None or isinstance(v, str)
                                          for v in values.to_numpy(dtype=object, na_value=None)):
        return None  # mixed Python objects: left as they are
    return arrow_text(values)


def _digits(cells: pa.Array) -> np.ndarray:
    """Significant digits of plain decimal cells (sign, point and leading zeros not counted)."""
    bare = pc.replace_substring(pc.utf8_ltrim(pc.replace_substring(cells, "-", ""), characters="0."), ".", "")
    return pc.utf8_length(bare).to_numpy(zero_copy_only=False)


def _all_match(cells: pa.Array, pattern: str) -> bool:
    """Whether every cell matches ``pattern``: a head of the column first, so a column that fails
    usually fails without a pass over every cell."""
    head = cells.slice(0, _HEAD)
    if not pc.all(pc.match_substring_regex(head, pattern)).as_py():
        return False
    return len(cells) <= _HEAD or bool(pc.all(pc.match_substring_regex(cells.slice(_HEAD), pattern)).as_py())


def typed_kind(values: pd.Series) -> tuple[str, int] | None:
    """``("int", 0)``, ``("float", most decimals of a cell)``, ``("decimal", d)`` or None (stay as it
    is); see the module."""
    arr = _text(values)
    if arr is None:
        return None
    present = pc.fill_null(pc.not_equal(arr, ""), False)
    cells = arr.filter(present)
    if len(cells) == 0 or arr.null_count:
        return None
    if _all_match(cells, _INT):
        return "int", 0
    # _FLOAT cells are _DECIMAL cells too: a float column is found in one pass over its cells
    as_float = _all_match(cells, _FLOAT)
    if not as_float and not _all_match(cells, _DECIMAL):
        return None
    length = pc.utf8_length(cells).to_numpy(zero_copy_only=False)
    dot = pc.find_substring(cells, ".").to_numpy(zero_copy_only=False)
    decimals = length - dot - 1
    # significant digits: at most the digits written (no sign, no point); counted only when that is over 15
    def digits() -> int:
        return int(length.max()) - 1 if int(length.max()) <= 16 else int(_digits(cells).max())

    if as_float and not pc.any(pc.match_substring_regex(cells, _TINY)).as_py() and digits() <= 15:
        return "float", int(decimals.max())
    d = int(decimals[0])
    if 1 <= d <= MAX_DECIMALS and (decimals == d).all() and int(length.max()) <= DECIMAL_DIGITS \
            and digits() <= DECIMAL_EXACT_DIGITS and not pc.any(pc.match_substring_regex(cells, _NEG_ZERO)).as_py():
        return "decimal", d
    return None


def decimal_places(values: pd.Series) -> int | None:
    """The scale of a ``decimal128`` column (:func:`to_typed`), None for any other column."""
    dtype = getattr(values.dtype, "pyarrow_dtype", None)
    return dtype.scale if dtype is not None and pa.types.is_decimal(dtype) else None


def decimal_column(scaled: np.ndarray, decimals: int, ok: np.ndarray | None = None) -> pd.Series:
    """Integers ``value * 10**decimals`` as a ``decimal128(18, decimals)`` column (null where not ``ok``),
    built from their bytes: no per-value conversion."""
    scaled = np.ascontiguousarray(scaled, dtype=np.int64)
    n = len(scaled)
    data = np.empty((n, 2), dtype=np.int64)  # 16-byte little-endian two's complement
    data[:, 0] = scaled
    data[:, 1] = np.right_shift(scaled, 63)
    validity = None if ok is None or ok.all() else pa.array(np.asarray(ok, dtype=bool)).buffers()[1]
    null_count = 0 if validity is None else int(n - np.count_nonzero(ok))
    arr = pa.Array.from_buffers(pa.decimal128(DECIMAL_DIGITS, decimals), n, [validity, pa.py_buffer(data)],
                                null_count=null_count)
    return pd.Series(pd.arrays.ArrowExtensionArray(arr))


def to_typed(values: pd.Series, kind: tuple[str, int]) -> pd.Series:
    """A qualifying text column (:func:`typed_kind`) as its numbers; empty cells become nulls."""
    arr = _text(values)
    if arr is None:
        raise ValueError("to_typed takes a text column")
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)  # empty cells: nulls
    name, d = kind
    if name == "int":
        out = pc.cast(arr, pa.int64())
        if out.null_count:  # nullable integers, exact (no float round trip)
            return pd.Series(out.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).array,
                             index=values.index, name=values.name)
        return pd.Series(out.to_numpy(zero_copy_only=False), index=values.index, name=values.name)
    if name == "float":
        out = pc.cast(arr, pa.float64())
        return pd.Series(out.to_numpy(zero_copy_only=False), index=values.index, name=values.name)
    out = pc.cast(arr, pa.decimal128(DECIMAL_DIGITS, d))
    return pd.Series(pd.arrays.ArrowExtensionArray(out), index=values.index, name=values.name)


def typed_frame(frame: pd.DataFrame, skip: Any = ()) -> tuple[pd.DataFrame, dict[Any, tuple[str, int]]]:
    """``frame`` with every qualifying text column typed (columns in ``skip`` left alone), and the
    kinds. Columns are looked at on two threads when the table is large (Arrow's kernels release
    the GIL); the frame is put together without copying its columns."""
    def one(pos: int) -> tuple[pd.Series, tuple[str, int] | None]:
        src = frame.iloc[:, pos]
        kind = None if frame.columns[pos] in skip else typed_kind(src)
        return (src if kind is None else to_typed(src, kind)), kind

    positions = range(frame.shape[1])
    if len(frame) < PARALLEL_ROWS or frame.shape[1] < 2:
        done = [one(pos) for pos in positions]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(one, positions))
    kinds = {frame.columns[pos]: kind for pos, (_, kind) in enumerate(done) if kind is not None}
    typed = pd.DataFrame({pos: values for pos, (values, _) in enumerate(done)}, index=frame.index, copy=False)
    typed.columns = frame.columns
    return typed, kinds


#: Rows from which :func:`typed_frame` works on two threads (Arrow's text kernels release the GIL:
#: 60,000 rows x 16 number columns took 0.17-0.32 s on one thread, 0.10-0.14 s on two).
PARALLEL_ROWS = 20_000
