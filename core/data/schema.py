"""Column roles, label choice and label values.

A catalog is a table of cells as loaded (see :mod:`core.data.io`). This module decides what each column
is for -- the label, a numeric / categorical / text feature, an id, or nothing -- and turns the
chosen label column (optionally one level of a hierarchical path) into class labels. It never
changes the table: derived values (parsed numbers, labels) are new Series.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from core.errors import SchemaError
from core.params import Interval, check


class Role(StrEnum):
    """What a column is used for."""

    LABEL = "label"
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    TEXT = "text"
    ID = "id"
    IGNORE = "ignore"


ROLES: tuple[str, ...] = tuple(r.value for r in Role)
FEATURE_ROLES: tuple[str, ...] = (Role.NUMERIC.value, Role.CATEGORICAL.value, Role.TEXT.value)

#: Levels of a path label: how many leading segments make the class.
LEVEL = Interval("int", 1, None)

#: Path separators tried, most specific first.
PATH_SEPARATORS: tuple[str, ...] = (" > ", " / ", " | ", " >> ", ">", "/", "|")

#: Cell texts that mean "no label" (compared case-insensitively after stripping).
MISSING_TOKENS = frozenset({"", "nan", "na", "n/a", "null", "none", "<na>"})

_ID_NAME = re.compile(r"(^|[_\s\-])(id|uuid|guid|sku|asin|ean|upc|gtin|key|index)$|^unnamed: ?\d+$", re.I)
_ID_TOKEN = re.compile(r"^[A-Za-z0-9_\-:.#/]+$")
_LABEL_NAME = re.compile(r"categor|class|label|target|genre|department|taxonomy|type|segment", re.I)
_CURRENCY = re.compile(r"[£$€¥₹]|\b(GBP|USD|EUR|JPY|INR)\b", re.I)
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([,\u00a0\u202f ]\d{3})+(\.\d+)?$")
_SAMPLE = 20_000
#: Characters of a number cell that :func:`parse_numeric` reads as it is (no sign, space or separator to strip).
_PLAIN_CHARS = r"[0-9.eE+\-]*"


def is_missing_label(values: pd.Series) -> pd.Series:
    """Return a boolean mask of cells that hold no label (NA, blank or an NA token)."""
    text = values.astype("string").str.strip().str.lower()
    return values.isna() | text.isna() | text.isin(MISSING_TOKENS)


def pa_types_decimal(dtype) -> bool:
    """Whether ``dtype`` is an Arrow decimal (``decimal128``/``decimal256``)."""
    arrow = getattr(dtype, "pyarrow_dtype", None)
    if arrow is None:
        return False
    import pyarrow as pa

    return pa.types.is_decimal(arrow)


def arrow_text(values: pd.Series):
    """A text column as one Arrow string array (no copy for Arrow-backed text)."""
    import pyarrow as pa

    if isinstance(values.array, pd.arrays.ArrowStringArray):
        return values.array.__arrow_array__().combine_chunks()
    return pa.array(values.astype("string").to_numpy(dtype=object, na_value=None), type=pa.large_string())


def _arrow_floats(text: pd.Series) -> pd.Series | None:
    """Plain number texts parsed by Arrow's cast (empty cells: NaN), or None when a cell is not a
    number Arrow reads (``"."``, ``"1e"``...): the caller's general path then decides, as before."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arrow_text(text)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
    try:
        floats = pc.cast(arr, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    out = pd.Series(floats.to_numpy(zero_copy_only=False), index=text.index, name=text.name)
    return out.where(np.isfinite(out.to_numpy(dtype="float64", na_value=np.nan)))


def parse_numeric(values: pd.Series) -> pd.Series:
    """Parse a column to float64 without touching the original.

    Numeric dtypes pass through (``inf`` becomes NaN). Text cells are read after stripping
    currency signs and codes, thousands separators (``1,234.50``; also narrow and non-breaking
    spaces), and a trailing ``%``. Cells that still do not parse become NaN; callers count them.

    Parameters
    ----------
    values : pandas.Series
        One column as loaded.

    Returns
    -------
    pandas.Series
        float64, same index, NaN where a cell is empty or not a number.
    """
    if pd.api.types.is_bool_dtype(values):
        out = values.astype("float64")
    elif pa_types_decimal(values.dtype):  # Arrow decimals (Parquet): pandas' to_numeric mishandles their nulls
        out = pd.Series(values.astype("float64[pyarrow]").to_numpy(dtype="float64", na_value=np.nan),
                        index=values.index, name=values.name)
    elif pd.api.types.is_numeric_dtype(values):
        out = pd.to_numeric(values, errors="coerce").astype("float64")
    else:
        text = values.astype("string")
        # cells of digits, dots, signs and exponents only (one vectorised pass): stripping and the
        # currency / percent / thousands rules change none of them, so they are skipped
        plain = bool(text.str.fullmatch(_PLAIN_CHARS).fillna(True).all())
        if plain:
            fast = _arrow_floats(text)
            if fast is not None:
                return fast
        if not plain:
            text = text.str.strip()
            text = text.str.replace(_CURRENCY, "", regex=True).str.strip().str.rstrip("%").str.strip()
            thousands = text.str.match(_THOUSANDS).fillna(False).astype(bool)
            if thousands.any():
                text = text.mask(thousands, text.str.replace(r"[,\u00a0\u202f ]", "", regex=True))
        out = pd.to_numeric(text, errors="coerce").astype("float64")
    out = out.where(np.isfinite(out.to_numpy(dtype="float64", na_value=np.nan)))
    return out


def detect_separator(values: pd.Series) -> str | None:
    """Return the path separator used by most labels (at least 30 %), or None."""
    present = values[~is_missing_label(values)].astype("string")
    if present.empty:
        return None
    sample = present.iloc[:_SAMPLE]
    for sep in PATH_SEPARATORS:
        share = float(sample.str.contains(sep, regex=False).mean())
        if share >= 0.3:
            # a bare "/" or "|" inside short codes ("A/B") is not a hierarchy unless most have it
            if sep.strip() == sep and share < 0.6:
                continue
            return sep
    return None


def path_depth(values: pd.Series, separator: str) -> int:
    """Deepest level of a path label (1 when there is no separator)."""
    present = values[~is_missing_label(values)].astype("string")
    if present.empty or not separator:
        return 1
    return int(present.str.count(re.escape(separator)).max()) + 1


def _label_text(values: pd.Series) -> pd.Series:
    """Labels as strings: integral floats print as integers; NA stays NA."""
    if pd.api.types.is_float_dtype(values):
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        integral = np.isfinite(arr) & (np.mod(arr, 1) == 0)
        text = pd.Series(
            [str(int(v)) if ok else (None if np.isnan(v) else repr(float(v))) for v, ok in zip(arr, integral)],
            index=values.index,
            dtype="string",
        )
        return text
    return values.astype("string").str.strip()


def label_values(
    frame: pd.DataFrame, column: str, *, level: int | None = None, separator: str | None = None
) -> pd.Series:
    """Class labels of every row, NA where the label is missing.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as loaded.
    column : str
        The label column.
    level : int or None
        For a path label, how many leading segments make the class (1 = top level). None keeps
        the whole value. Paths shorter than ``level`` keep all their segments.
    separator : str or None
        The path separator; needed when ``level`` is given.

    Returns
    -------
    pandas.Series
        dtype ``string``, same index as ``frame``.
    """
    if column not in frame.columns:
        raise SchemaError(f"There is no column named {column!r}.", hint="Pick one of the table's columns as the label.")
    raw = frame[column]
    if isinstance(raw, pd.DataFrame):
        raise SchemaError(f"Several columns are named {column!r}.", hint="Rename the duplicates in the file and upload it again.")
    missing = is_missing_label(raw)
    labels = _label_text(raw)
    if level is not None:
        level = check(level, LEVEL, name="level", error=SchemaError)
        if not separator:
            raise SchemaError("A level needs a path separator.", hint="Pick the separator or use the whole label.")
        parts = labels.str.split(separator, regex=False)
        labels = parts.map(
            lambda p: separator.join(s.strip() for s in p[:level]) if isinstance(p, list) else p,
            na_action="ignore",
        ).astype("string")
    return labels.mask(missing, pd.NA)


def multi_valued_share(labels: pd.Series) -> float:
    """Share of labels that look like several values in one cell (``a; b``)."""
    present = labels.dropna()
    if present.empty:
        return 0.0
    return float(present.iloc[:_SAMPLE].str.contains(r"\S\s*;\s*\S", regex=True).mean())


@dataclass(frozen=True)
class ColumnInfo:
    """What inference saw in one column."""

    name: str
    role: str
    reason: str
    dtype: str
    n_missing: int
    n_unique: int
    example: str


def _is_missing_cell(v: object) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and v != v:
        return True
    return str(v).strip().lower() in MISSING_TOKENS


def _as_number(v: object) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
    else:
        try:
            f = float(str(v).strip().replace("_", "x"))  # Python accepts 1_000; a catalog does not
        except ValueError:
            return None
    return f if np.isfinite(f) else None


_MONEYISH = re.compile(r"[£$€¥₹%,\u00a0\u202f]|GBP|USD|EUR|JPY|INR", re.I)


def _infer_one(name: str, cells: list, n_unique_all: int | None = None) -> tuple[str, str, int, int, str]:
    """Role, reason, missing cells, distinct values and an example of one column (plain Python:
    per-cell work on at most 20,000 cells is faster than pandas' per-call overhead on wide tables).

    ``n_unique_all``: distinct values of the whole column when ``cells`` is its head; the role is
    inferred from ``cells``, the distinct count returned and named in the reason is the whole column's."""
    present = [v for v in cells if not _is_missing_cell(v)]
    n_missing = len(cells) - len(present)
    if not present:
        return Role.IGNORE.value, "every cell is empty", n_missing, n_unique_all or 0, ""
    texts = [v if isinstance(v, str) else str(v) for v in present]
    n_present = len(present)
    n_unique = len(set(texts))
    example = texts[0][:80]
    unique_share = n_unique / n_present
    shown_unique = n_unique if n_unique_all is None else n_unique_all

    def out(role: str, reason: str) -> tuple[str, str, int, int, str]:
        return role, reason, n_missing, shown_unique, example

    numbers = [_as_number(v) for v in present]
    parse_rate = sum(x is not None for x in numbers) / n_present
    if parse_rate < 0.95 and any(_MONEYISH.search(t) for t in texts[:200]):
        parse_rate = float(parse_numeric(pd.Series(texts, dtype="string")).notna().sum()) / n_present
    if n_missing == 0 and len(cells) >= 2 and parse_rate == 1.0 and texts[0].strip() in ("0", "1", "0.0", "1.0"):
        arr = np.array(numbers, dtype="float64")
        if np.array_equal(arr, np.arange(len(arr))) or np.array_equal(arr, np.arange(1, len(arr) + 1)):
            return out(Role.ID.value, "row numbers")
    if parse_rate >= 0.95:
        if _ID_NAME.search(str(name)) and unique_share >= 0.95:
            return out(Role.ID.value, "unique values in an id-named column")
        if n_unique <= 1:
            return out(Role.IGNORE.value, "a single value")
        return out(Role.NUMERIC.value, f"{parse_rate:.0%} of cells are numbers")
    if n_unique <= 1:
        return out(Role.IGNORE.value, "a single value")
    tokenish = sum(1 for t in texts if _ID_TOKEN.match(t)) / n_present
    if unique_share >= 0.95 and tokenish >= 0.95 and n_present >= 20:
        return out(Role.ID.value, "unique codes without spaces")
    if _ID_NAME.search(str(name)) and unique_share >= 0.9:
        return out(Role.ID.value, "nearly unique values in an id-named column")
    mean_len = sum(len(t) for t in texts) / n_present
    mean_words = sum(len(t.split()) or 1 for t in texts) / n_present
    if (mean_len >= 25 or mean_words >= 4) and unique_share >= 0.3:
        return out(Role.TEXT.value, f"free text (mean {mean_len:.0f} characters)")
    if unique_share >= 0.9 and n_present >= 50:
        return out(Role.TEXT.value, "mostly distinct short strings")
    return out(Role.CATEGORICAL.value, f"{shown_unique:,} distinct values")


def _infer_plain_numbers(name: str, cells: pd.Series, n_unique_all: int | None) -> tuple[str, str, int, int, str] | None:
    """:func:`_infer_one`'s answer for a text column whose cells are all plain decimals (``-12.50``)
    or empty, in whole-column operations; None for any other column (then ``_infer_one`` decides).

    Such a column is 100% numbers; only an id-like name, a single value or row numbers change
    its role, and row numbers (a first cell 0 or 1 with no empty cell) are left to ``_infer_one``."""
    if not isinstance(cells.array, pd.arrays.ArrowStringArray) or cells.isna().any():
        return None
    plain = cells.str.fullmatch(r"-?[0-9]+(\.[0-9]+)?")
    empty = (cells == "").to_numpy(dtype=bool)
    if not (plain.to_numpy(dtype=bool) | empty).all() or empty.all():
        return None
    texts = cells[~empty]
    first = str(texts.iloc[0])
    n_missing = int(empty.sum())
    if n_missing == 0 and len(cells) >= 2 and first in ("0", "1", "0.0", "1.0"):
        return None
    n_unique = int(texts.nunique())
    shown_unique = n_unique if n_unique_all is None else n_unique_all
    if _ID_NAME.search(name) and n_unique / len(texts) >= 0.95:
        return Role.ID.value, "unique values in an id-named column", n_missing, shown_unique, first[:80]
    if n_unique <= 1:
        return Role.IGNORE.value, "a single value", n_missing, shown_unique, first[:80]
    return Role.NUMERIC.value, f"{1.0:.0%} of cells are numbers", n_missing, shown_unique, first[:80]


def _n_distinct(present: pd.Series) -> int:
    """Distinct values of the non-missing cells, compared as text like :func:`_infer_one` does
    (numbers and booleans compare as themselves: same count, without turning each into a string)."""
    if pd.api.types.is_numeric_dtype(present) or pd.api.types.is_bool_dtype(present):
        return int(present.nunique())
    return int(present.astype(str).nunique())


def describe_columns(frame: pd.DataFrame, *, skip: Container = (), whole: bool = True) -> list[ColumnInfo]:
    """Infer a role for every column (but those named in ``skip``), with the reason (label not yet chosen).

    The role is inferred from at most the first 20,000 rows of each column; missing cells and distinct
    values are counted over the whole column (``whole=False``: over those rows too, when only the
    roles are wanted: they never depend on the rest).
    """
    head = frame.iloc[:_SAMPLE]
    whole = whole and len(frame) > _SAMPLE

    def one(pos: int) -> ColumnInfo:
        name = frame.columns[pos]
        n_unique_all = None
        if whole:
            column = frame.iloc[:, pos]
            missing = is_missing_label(column)
            n_unique_all = _n_distinct(column[~missing])
        cells = head.iloc[:, pos]
        seen = _infer_plain_numbers(str(name), cells, n_unique_all)
        role, reason, n_missing, n_unique, example = seen or _infer_one(str(name), cells.tolist(), n_unique_all)
        if whole:
            n_missing = int(missing.sum())
        return ColumnInfo(name=str(name), role=role, reason=reason, dtype=str(frame.dtypes.iloc[pos]),
                          n_missing=n_missing, n_unique=n_unique, example=example)

    positions = [pos for pos, name in enumerate(frame.columns) if name not in skip]
    if len(frame) < PARALLEL_ROWS or frame.shape[1] < 2:
        return [one(pos) for pos in positions]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:  # Arrow's text kernels release the GIL
        return list(pool.map(one, positions))


#: Rows from which :func:`describe_columns` looks at two columns at a time (past the 20,000 rows
#: roles are inferred from, whole-column counts make each column worth a thread: 60,000 rows x
#: 16 columns took 0.27 s on one thread, 0.10-0.16 s on two).
PARALLEL_ROWS = 20_000


def suggest_label(frame: pd.DataFrame, infos: list[ColumnInfo] | None = None) -> str | None:
    """Pick the most likely label column.

    A column named like a category (``category``, ``class``, ``label``...) wins, even when it is
    degenerate (one value, all empty) so that the page can say what is wrong with it; then path
    labels and categorical columns. Ids and all-distinct columns are never proposed.
    """
    infos = infos if infos is not None else describe_columns(frame)
    best: tuple[float, str] | None = None
    n = max(len(frame), 1)
    for info in infos:
        if info.role == Role.ID.value:
            continue
        named = bool(_LABEL_NAME.search(info.name))
        present = n - info.n_missing
        if not named and (info.n_unique < 2 or info.role not in (Role.CATEGORICAL.value, Role.TEXT.value, Role.NUMERIC.value)):
            continue
        if present > 1 and info.n_unique >= present and info.n_unique > 1:
            continue  # every value distinct: not a class label
        if not named and info.n_unique > max(2, n // 2):
            continue
        score = 4.0 if named else 0.0
        if info.role == Role.CATEGORICAL.value:
            score += 2
        elif info.role == Role.NUMERIC.value:
            score -= 1 if info.n_unique <= 30 else 5
        elif info.role == Role.TEXT.value:
            score -= 1
        if info.n_unique >= 2 and detect_separator(frame[info.name].iloc[:_SAMPLE]) is not None:
            score += 2
        if best is None or score > best[0]:
            best = (score, info.name)
    return best[1] if best else None


def infer_roles(frame: pd.DataFrame, *, label: str | None = None) -> dict[str, str]:
    """Role of every column. The label column (given or suggested) gets ``"label"``."""
    if label is not None and label in frame.columns:  # the label's own role is not needed
        seen = {info.name: info.role for info in describe_columns(frame, skip={label}, whole=False)}
        return {str(c): Role.LABEL.value if c == label else seen[str(c)] for c in frame.columns}
    infos = describe_columns(frame)
    roles = {info.name: info.role for info in infos}
    label = label if label is not None else suggest_label(frame, infos)
    if label is not None and label in roles:
        roles[label] = Role.LABEL.value
    return roles


def feature_columns(roles: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Feature columns by role, in table order: ``{"numeric": (...), "categorical": ..., "text": ...}``."""
    return {r: tuple(c for c, role in roles.items() if role == r) for r in FEATURE_ROLES}
