"""Writing tables: CSV (UTF-8), Parquet or Excel, with spreadsheet safety.

Spreadsheet safety: in CSV and Excel output, text cells that begin with ``=``, ``+``, ``-``, ``@``,
tab or carriage return (and are not a plain number such as ``-5``) get a leading single quote
``'`` so a spreadsheet shows them as text instead of running them as formulas
(:func:`neutralize_formulas`). It is on by default and can be turned off; Parquet is never altered.
The same frame gives the same bytes (Excel files get fixed time stamps).
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ParameterError
from core.params import Choice, check

__all__ = ["EXTENSIONS", "FORMATS", "FORMULA_START", "ZIP_TIME", "format_of", "neutralize_formulas", "write_file", "write_table"]

FORMATS: tuple[str, ...] = ("csv", "parquet", "xlsx")
EXTENSIONS = {"csv": ".csv", "parquet": ".parquet", "xlsx": ".xlsx"}
#: Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_ROWS = 1_048_575  # plus the header row
EXCEL_MAX_CELL = 32_767
#: Fixed time stamp of zip members (bundles, .xlsx parts), so the same export gives the same bytes.
ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_DICTIONARY_PAGE = 64 * 1024
#: Parquet writer options of every written table: a small dictionary page, so columns of many
#: distinct values (number texts, titles) fall back to plain encoding early instead of hashing a
#: megabyte of values first (half the write time).
PARQUET_OPTIONS: dict[str, Any] = {"dictionary_pagesize_limit": _DICTIONARY_PAGE}
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_EXCEL_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value)


def neutralize_formulas(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Prefix ``'`` to text cells a spreadsheet would run as a formula.

    A cell is changed when it is text (not a number), starts with one of ``= + - @``, tab or
    carriage return, and is not a plain number written as text (``-5``, ``+3.2``, ``-1,234``).
    Numeric columns are never touched.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    (pandas.DataFrame, int)
        A new frame (the input is not changed) and the number of cells changed.
    """
    out = frame.copy()
    changed = 0
    for col in out.columns:
        s = out[col]
        if not (pd.api.types.is_string_dtype(s.dtype) or s.dtype == object):
            continue
        if isinstance(s.dtype, pd.StringDtype):
            # only cells starting like a formula can be one: test those (vectorised first pass)
            cand = np.flatnonzero(s.str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool))
            mask = np.zeros(len(s), dtype=bool)
            if len(cand):
                cells = s.iloc[cand].tolist()
                mask[cand] = [_is_formula_like(v) for v in cells]
        else:
            mask = np.fromiter((_is_formula_like(v) for v in s.tolist()), dtype=bool, count=len(s))
        if mask.any():
            changed += int(mask.sum())
            values = s.to_numpy(dtype=object, na_value=None).copy()
            values[mask] = np.array(["'" + v for v in values[mask]], dtype=object)
            out[col] = pd.Series(values, index=s.index, dtype=s.dtype)
    return out, changed


def format_of(path: str, fmt: str | None = None) -> str:
    """``csv``, ``parquet`` or ``xlsx`` from an explicit choice or a file name's extension."""
    if fmt:
        f = fmt.lower().lstrip(".")
        return check({"excel": "xlsx", "pq": "parquet"}.get(f, f), Choice(FORMATS), name="format", strict=False)
    lower = str(path).lower()
    for f, ext in (("csv", ".csv"), ("parquet", ".parquet"), ("parquet", ".pq"), ("xlsx", ".xlsx")):
        if lower.endswith(ext):
            return f
    raise ParameterError(
        f"Cannot tell the format of {path!r} from its extension.",
        hint="Name it .csv, .parquet or .xlsx, or pass --format csv|parquet|xlsx.",
    )


def write_table(frame: pd.DataFrame, fmt: str, *, neutralize: bool = True, sheet: str = "data") -> bytes:
    """The bytes of ``frame`` as CSV (UTF-8), Parquet or Excel.

    Parameters
    ----------
    frame : pandas.DataFrame
    fmt : str
        ``csv``, ``parquet`` or ``xlsx``.
    neutralize : bool
        Spreadsheet safety for CSV and Excel (see :func:`neutralize_formulas`); Parquet is
        never altered.
    sheet : str
        Sheet name of an Excel file.

    Raises
    ------
    ParameterError
        An unknown format, or a table Excel cannot hold (too many rows, a control character or
        a too long text in a cell).
    """
    fmt = format_of("", fmt)
    if fmt == "parquet":
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False, engine="pyarrow", **PARQUET_OPTIONS)
        return buf.getvalue()
    if neutralize:
        frame, _ = neutralize_formulas(frame)
    if fmt == "csv":
        return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    return _write_xlsx(frame, sheet)


def write_file(frame: pd.DataFrame, path: Any, fmt: str, *, neutralize: bool = True, sheet: str = "data") -> None:
    """Write :func:`write_table`'s bytes to ``path``. Parquet goes straight to the file: no copy of
    the whole file in memory (at millions of rows, hundreds of megabytes the machine must first
    find and then copy)."""
    fmt = format_of("", fmt)
    if fmt == "parquet":
        frame.to_parquet(path, index=False, engine="pyarrow", **PARQUET_OPTIONS)
        return
    with open(path, "wb") as fh:
        fh.write(write_table(frame, fmt, neutralize=neutralize, sheet=sheet))


def _excel_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.tz_convert(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    return value


def _write_xlsx(frame: pd.DataFrame, sheet: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    if len(frame) > EXCEL_MAX_ROWS:
        raise ParameterError(
            f"The table has {len(frame):,} rows; an Excel sheet holds at most {EXCEL_MAX_ROWS:,}.",
            hint="Export CSV or Parquet instead.",
        )
    columns = [frame[c].to_numpy(dtype=object, na_value=None) for c in frame.columns]
    _check_excel_text(frame, columns)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)

    def cell(value: Any) -> Any:
        value = _excel_value(value)
        if isinstance(value, str):
            c = WriteOnlyCell(ws, value=value)
            c.data_type = "s"  # text stays text, even when it starts with '=' (never a live formula)
            return c
        return value

    ws.append([cell(str(c)) for c in frame.columns])
    for i in range(len(frame)):
        ws.append([cell(col[i]) for col in columns])
    buf = io.BytesIO()
    wb.save(buf)
    return _fix_zip_times(buf.getvalue())


def _check_excel_text(frame: pd.DataFrame, columns: list[np.ndarray]) -> None:
    """Raise when a header or text cell is one Excel cannot store (too long, a control character)."""
    for name, col in zip([str(c) for c in frame.columns], columns):
        for value in [name, *col]:
            if not isinstance(value, str):
                continue
            if len(value) > EXCEL_MAX_CELL:
                raise ParameterError(
                    f"A cell of column {name[:60]!r} holds {len(value):,} characters; an Excel cell holds at most "
                    f"{EXCEL_MAX_CELL:,}.",
                    hint="Export CSV or Parquet instead.",
                )
            if _EXCEL_ILLEGAL.search(value):
                raise ParameterError(
                    f"A cell of column {name[:60]!r} holds a control character that Excel cannot store ({value[:40]!r}).",
                    hint="Export CSV or Parquet instead: they keep every character.",
                )


def _fix_zip_times(data: bytes) -> bytes:
    """Rewrite a zip (an .xlsx) with fixed member times and creation dates, so bytes repeat."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>2020-01-01T00:00:00Z\g<3>", body)
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, body)
    return out.getvalue()
