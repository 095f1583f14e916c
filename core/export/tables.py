"""The written tables: the output (original columns plus ``skewlab_*`` provenance) and the removed
rows, for exports and the CLI."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.data import FeatureSpace, parse_numeric
from core.data.schema import arrow_text
from core.export.typed import decimal_column, decimal_places, typed_frame
from core.params import Choice, check
from core.strategies import ORIGINAL, SYNTHETIC, ResampleResult
from core.strategies.result import COPY, LINE, NO_PARENT, SEED_ONLY, text_codes

__all__ = ["TEXT_SOURCE", "TEXT_SOURCES", "OutputPlan", "build_output_table", "output_notes", "removed_table"]

#: Where the text of interpolated and seed-only synthetic rows comes from, and the column saying it.
TEXT_SOURCES = Choice(("empty", "seed"))
TEXT_SOURCE = "skewlab_text_source"


def build_output_table(
    table: Any,
    labels: pd.Series,
    roles: Mapping[str, str],
    result: ResampleResult,
    space: FeatureSpace,
    *,
    text: str = "empty",
    typed: bool = False,
) -> pd.DataFrame:
    """The full resampled table: original columns plus ``skewlab_*`` provenance.

    Kept original rows keep every cell exactly as loaded; rows without a label pass through
    untouched (origin ``original``). Every cell of a synthetic row comes from its real parents,
    never from the feature encoding (no imputed or bucketed value):

    * copies (random over-sampling, copies made for small classes): every column of the seed row;
    * rows on the line from a seed to a neighbour (SMOTE and its variants): numeric feature
      columns ``seed + alpha * (neighbour - seed)`` on the parents' own cells (rounded when the
      column holds whole numbers only; in a column of plain decimal texts, written with the
      column's decimals; the one value when one parent is empty; empty when both are), every
      other column from the seed, text columns per ``text``;
    * rows whose neighbour is unknown (noisy copies, library rows on no line): every column from
      the seed, text columns per ``text``.

    The label column keeps the seed's cell (its class is the row's class). Order: original rows
    (labelled and unlabelled) by row id, then synthetic rows. ``skewlab_text_source`` says where
    a synthetic row's text came from (``seed`` / ``empty``; NA for original rows).
    :func:`output_notes` words these choices for the analyst.

    Parameters
    ----------
    table : LoadedTable or pandas.DataFrame
        The table as loaded.
    labels : pandas.Series
        Class per row (NA = no label), as used to build ``space``.
    roles : mapping column -> role
        The label column is the one with role ``label``.
    result : ResampleResult
    space : FeatureSpace
    text : {"empty", "seed"}
        Text columns of interpolated and seed-only rows: empty, or the seed row's text.
    typed : bool
        For Parquet: number columns loaded as text become int, float or decimal columns where every
        value prints back as its cell (:mod:`core.export.typed`); synthetic values are not formatted.

    Returns
    -------
    pandas.DataFrame
    """
    plan = OutputPlan(table, labels, roles, result, space, text=text, typed=typed)
    return plan.rows(0, plan.n)


class OutputPlan:
    """:func:`build_output_table` in two steps: what every output row needs (the typed table, the
    order, the synthetic rows' parents), then :meth:`rows` builds any range of output rows, so a
    writer can write one range while the next is made (:func:`core.export.stream.write_output_parquet`).
    The ranges concatenated are the whole table."""

    def __init__(self, table: Any, labels: pd.Series, roles: Mapping[str, str], result: ResampleResult,
                 space: FeatureSpace, *, text: str = "empty", typed: bool = False) -> None:
        self.text = check(text, TEXT_SOURCES, name="text", where="export: ")
        frame: pd.DataFrame = getattr(table, "frame", table)
        label_cols = [c for c, r in roles.items() if r == "label"]
        if len(label_cols) != 1:  # callers pass checked roles (a recipe's, or inferred for a present label)
            raise RuntimeError(f"build_output_table got roles with {len(label_cols)} label columns; exactly one is needed.")
        self.label_col, self.decimals = label_cols[0], {}
        if typed:
            frame, kinds = typed_frame(frame, skip={self.label_col})
            # made floats keep the column's decimals, as the text output writes them
            self.decimals = {c: d for c, (kind, d) in kinds.items() if kind == "float"}
        if len(labels) != len(frame):
            raise RuntimeError(f"build_output_table got {len(labels)} labels for {len(frame)} rows; they must match.")
        self.frame, self.result, self.space = frame, result, space
        self.labels = pd.Series(labels).reset_index(drop=True)
        self.orig_rows, self.res_idx = _output_order(self.labels, result)
        self.synthetic = np.flatnonzero(result.row < 0)  # result rows of the synthetic output rows, in order
        self.kinds = _parent_kinds(result, space) if len(self.synthetic) else None
        self.text_cols = {c for c, r in roles.items() if r == "text"} | set(space.config.text)
        self.n = len(self.res_idx)
        self.memo: dict = {}  # what every part's synthetic cells share (_synthetic_cells)

    def rows(self, lo: int, hi: int) -> pd.DataFrame:
        """Output rows ``lo`` to ``hi`` (original rows first, then synthetic), on a fresh range index."""
        n_orig = len(self.orig_rows)
        orig = self.orig_rows[min(lo, n_orig) : min(hi, n_orig)]
        s_lo, s_hi = max(lo - n_orig, 0), max(hi - n_orig, 0)
        syn_cells: dict[int, pd.Series | None] = {}
        source = take = np.zeros(0, dtype=np.int64)
        if s_hi > s_lo:
            synth = np.zeros(len(self.result.row), dtype=bool)
            synth[self.synthetic[s_lo:s_hi]] = True
            syn_cells, source, take = _synthetic_cells(
                self.frame, self.label_col, self.labels, self.result, synth, self.kinds[s_lo:s_hi],
                numeric=self.space.config.numeric, text_cols=self.text_cols, text=self.text, decimals=self.decimals,
                memo=self.memo)
        prov = _provenance(self.result, self.res_idx[lo:hi], orig, source)
        return _assemble(self.frame, orig, take, syn_cells, prov)


def _assemble(frame: pd.DataFrame, orig_rows: np.ndarray, take: np.ndarray, syn_cells: Mapping[int, pd.Series | None],
              prov: Mapping[str, Any]) -> pd.DataFrame:
    """The output frame column by column, never a whole-frame concat: pandas would first stack every
    float column of both parts into one block (seconds at millions of rows) only to split them again
    for the writer."""
    columns: dict[int, Any] = {}
    for pos in range(frame.shape[1]):
        src, made = frame.iloc[:, pos], syn_cells.get(pos)
        if made is None:  # original rows, then the seeds' cells: one take
            columns[pos] = _take(src, np.concatenate([orig_rows, take]) if syn_cells else orig_rows)
        else:
            columns[pos] = pd.concat([_take(src, orig_rows), made], ignore_index=True)
    names = list(frame.columns) + list(prov)
    columns.update({frame.shape[1] + i: values for i, values in enumerate(prov.values())})
    out = pd.DataFrame(columns, copy=False)
    out.columns = names
    return out


def _output_order(labels: pd.Series, result: ResampleResult) -> tuple[np.ndarray, np.ndarray]:
    """The original rows of the output (kept and unlabelled, by row id) and, for every output row,
    its row in ``result`` (-1 for an unlabelled row, which the strategy never saw); synthetic rows
    follow the original ones in result order."""
    unlabelled = np.flatnonzero(labels.isna().to_numpy())
    kept_at = np.flatnonzero(result.row >= 0)
    ids = np.concatenate([result.row[kept_at], unlabelled])
    order = np.argsort(ids, kind="stable")
    at = np.concatenate([kept_at, np.full(len(unlabelled), -1, dtype=np.int64)])[order]
    return ids[order], np.concatenate([at, np.flatnonzero(result.row < 0)])


def _provenance(result: ResampleResult, res_idx: np.ndarray, orig_rows: np.ndarray, source: np.ndarray) -> dict[str, Any]:
    """The ``skewlab_*`` columns of the output rows (``res_idx``: :func:`_output_order`); unlabelled
    rows are original, with no seed, neighbour, weight or text source."""
    n_orig, n = len(orig_rows), len(res_idx)
    known = res_idx >= 0
    at = np.where(known, res_idx, 0)

    def ids(values: np.ndarray) -> pd.arrays.IntegerArray:
        v = np.where(known, values[at], -1)
        return pd.arrays.IntegerArray(np.where(v >= 0, v, 0), v < 0)

    def floats(values: np.ndarray | None) -> np.ndarray:
        return np.full(n, np.nan) if values is None else np.where(known, values[at], np.nan).astype(np.float64)

    row = np.concatenate([orig_rows, np.zeros(n - n_orig, dtype=np.int64)])
    synthetic = np.arange(n) >= n_orig
    text_source = np.concatenate([np.zeros(n_orig, dtype=np.int64), np.asarray(source, dtype=np.int64)])
    return {
        "skewlab_origin": text_codes(synthetic.astype(np.int32), (ORIGINAL, SYNTHETIC)),
        "skewlab_row": pd.arrays.IntegerArray(row, synthetic),
        "skewlab_seed_row": ids(result.seed_row),
        "skewlab_neighbor_row": ids(result.neighbor_row),
        "skewlab_alpha": floats(result.alpha),
        "skewlab_strategy": text_codes(np.zeros(n, dtype=np.int32), (result.strategy,)),
        "skewlab_sample_weight": floats(result.sample_weight),
        TEXT_SOURCE: text_codes(text_source, ("empty", "seed"), missing=~synthetic),
    }


def output_notes(result: ResampleResult, space: FeatureSpace, *, text: str = "empty") -> tuple[str, ...]:
    """What the analyst should know about the written rows: how the synthetic rows' cells were
    taken from their real parents (:func:`build_output_table`), then the feature space's notes
    (imputation, bucketing: they shape which rows were made, never a written cell)."""
    text = check(text, TEXT_SOURCES, name="text", where="export: ")
    notes: list[str] = []
    if result.n_synthetic:
        kinds = _parent_kinds(result, space)
        n = {k: int((kinds == k).sum()) for k in (LINE, COPY, SEED_ONLY, NO_PARENT)}
        words = "empty" if text == "empty" else "their seed row's text"
        if n[COPY]:
            notes.append(f"{n[COPY]:,} synthetic rows are copies: every column equals their seed row (skewlab_seed_row).")
        if n[LINE]:
            notes.append(
                f"{n[LINE]:,} synthetic rows lie between two real rows: numeric columns are seed + alpha * (neighbour - seed) "
                "on the two rows' own values (whole numbers stay whole, number texts keep their column's decimals; one row's "
                "value when the other is empty; empty "
                f"when both are); categorical and other columns come from the seed row; text columns are {words}."
            )
        if n[SEED_ONLY]:
            notes.append(
                f"{n[SEED_ONLY]:,} synthetic rows have no known neighbour (skewlab_neighbor_row empty: noisy copies of random "
                "over-sampling with shrinkage > 0, or rows a library made on no line through two real rows): their columns "
                f"are their seed row's values (the noise or shift exists only in the feature space); text columns are {words}."
            )
        if n[NO_PARENT]:
            notes.append(f"{n[NO_PARENT]:,} synthetic rows have no real parent: only their label column is filled.")
    return tuple(notes) + tuple(f"Features: {note}" for note in space.notes)


def removed_table(table: Any, result: ResampleResult) -> pd.DataFrame:
    """The removed rows: ``skewlab_row``, ``skewlab_reason``, then each row's original columns as loaded."""
    frame: pd.DataFrame = getattr(table, "frame", table)
    return pd.concat([result.removed(), frame.iloc[result.removed_rows].reset_index(drop=True)], axis=1)


def _synthetic_cells(
    frame: pd.DataFrame, label_col: Any, labels: pd.Series, result: ResampleResult, synth: np.ndarray,
    kinds: np.ndarray, *, numeric: tuple[str, ...], text_cols: set, text: str, decimals: Mapping[Any, int] | None = None,
    memo: dict | None = None,
) -> tuple[dict[int, pd.Series | None], np.ndarray, np.ndarray]:
    """The original columns of the synthetic rows (by column position; None for a column whose
    every cell is the seed row's, rows ``take``), column by column from their parents' cells
    (whole-column array operations: no per-cell Python), where each row's text came from, and
    ``take``. ``memo`` keeps what depends on the table only (class codes, parsed number columns)
    between calls on parts of the same synthetic rows."""
    memo = {} if memo is None else memo
    seed = result.seed_row[synth]
    has_seed = seed >= 0
    take = np.where(has_seed, seed, 0)
    all_seeded = bool(has_seed.all())
    copy = kinds == COPY
    keep_text = copy | (text == "seed")
    line = np.flatnonzero(kinds == LINE)
    nbr = result.neighbor_row[synth][line]
    alpha = result.alpha[synth][line]
    n_syn = len(seed)
    if "codes" not in memo:
        memo["codes"] = pd.Categorical(labels, categories=list(result.classes)).codes
    codes = memo["codes"]

    def one(pos: int) -> pd.Series | None:
        col, src = frame.columns[pos], frame.iloc[:, pos]
        cells = None  # None: every cell the seed's, dtype kept (taken together with the original rows)
        if col != label_col and col not in text_cols and col in numeric and len(line):
            if pos not in memo:
                memo[pos] = _number_facts(src)
            cells = _interpolated(src, take, line, seed[line], nbr, alpha, (decimals or {}).get(col), memo[pos])
        if col == label_col:  # the seed's cell where it names the row's class (always, for real seeds)
            # compared as class codes: no Python string per synthetic row
            same = has_seed & (codes[take] == result.y_code[synth])
            if not same.all():
                y = result.y[synth]
                cells = _or_seeds(cells, src, take).where(same, _cells_like(src, pd.Series(y.astype(str)), n_syn))
        elif col in text_cols:
            keep = keep_text & has_seed
            if not keep.all():
                cells = _or_seeds(cells, src, take).where(keep, _cells_like(src, None, n_syn))
        elif not all_seeded:
            cells = _or_seeds(cells, src, take).where(has_seed, _cells_like(src, None, n_syn))
        return None if cells is None else cells.reset_index(drop=True)

    positions = range(frame.shape[1])
    if n_syn < PARALLEL_SYNTHETIC_ROWS or len(positions) < 2:
        out = {pos: one(pos) for pos in positions}
    else:  # columns on two threads: numpy and Arrow release the GIL in the whole-column work
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            out = dict(zip(positions, pool.map(one, positions)))
    source = (keep_text & has_seed).astype(np.int64)  # 1: the seed's text, 0: empty
    return out, source, take


#: Synthetic rows from which :func:`_synthetic_cells` makes two columns at a time.
PARALLEL_SYNTHETIC_ROWS = 50_000


def _or_seeds(cells: pd.Series | None, src: pd.Series, take: np.ndarray) -> pd.Series:
    return _take(src, take) if cells is None else cells


def _take(src: pd.Series, rows: np.ndarray) -> pd.Series:
    """The cells of ``src`` at positions ``rows``, dtype kept, on a fresh range index (Arrow text:
    one take on the joined chunks; a take across chunks is several times slower)."""
    if isinstance(src.array, pd.arrays.ArrowStringArray):
        taken = arrow_text(src).take(pa.array(rows))
        return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([taken]), dtype=src.dtype), name=src.name)
    return pd.Series(src.array.take(rows), name=src.name, copy=False)


#: :meth:`ResampleResult.parent_kinds` per result (the output table and its notes ask the same
#: question one after the other), held no longer than the result, its ``X`` and ``rows`` live.
_KINDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _parent_kinds(result: ResampleResult, space: FeatureSpace) -> np.ndarray:
    known = _KINDS.get(result)
    if known is not None and known[0]() is space.X and known[1]() is space.rows:
        return known[2]
    kinds = result.parent_kinds(space.X, space.rows)
    _KINDS[result] = (weakref.ref(space.X), weakref.ref(space.rows), kinds)
    return kinds


def _number_facts(src: pd.Series) -> tuple[np.ndarray, bool, bool]:
    """A number column's parsed values, whether every present one is whole, whether one is missing."""
    parsed = parse_numeric(src).to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(parsed)
    observed = parsed[~missing]
    return parsed, bool(len(observed)) and bool((observed == np.round(observed)).all()), bool(missing.any())


def _interpolated(src: pd.Series, take: np.ndarray, line: np.ndarray, seed: np.ndarray, nbr: np.ndarray,
                  alpha: np.ndarray, decimals: int | None = None, facts: tuple | None = None) -> pd.Series:
    """The seeds' cells (rows ``take`` of ``src``) with the rows at ``line`` set to
    ``seed + alpha * (neighbour - seed)`` on the parents' parsed cells (the one value when one is
    empty, empty when both are).

    A column of numbers keeps its dtype. A column of number texts gets text written like its
    cells: when every number in it is a plain decimal (``-12.50``), with the column's decimals
    (always that many when every cell has them, else trailing zeros dropped); otherwise with 12
    significant digits. A made value equal to a parent's keeps that parent's own cell. ``decimals``:
    made values of a number column typed from text are rounded to the decimals its cells had.
    ``facts``: :func:`_number_facts` of ``src``, when known."""
    parsed, whole, has_nan = facts or _number_facts(src)
    s, n = parsed[seed], parsed[nbr]
    value = s + alpha * (n - s)
    if has_nan:
        value = np.where(np.isnan(s), n, np.where(np.isnan(n), s, value))
    if whole:  # whole numbers only: stay whole
        value = np.round(value)
    elif decimals is not None:
        value = np.round(value, decimals)
    places = decimal_places(src)
    if places is not None:  # a typed decimal column: the seeds' values and the made ones, at its scale
        full = parsed[take]
        full[line] = value
        ok = ~np.isnan(full)
        return decimal_column(np.round(np.where(ok, full, 0.0) * 10.0**places).astype(np.int64), places, ok)
    if not _textual(src):  # numbers: the seeds' values with the line rows' values, in the column's dtype
        full = parsed[take]
        full[line] = value
        return _cells_like(src, pd.Series(full), len(full))
    made = _number_texts(src, parsed, value)
    # a value equal to a parent's keeps that parent's own cell (its text, its currency sign...)
    at_s, at_n = value == s, value == n
    parent = np.where(at_s, seed, np.where(at_n, nbr, -1))
    if isinstance(src.array, pd.arrays.ArrowStringArray):
        return _arrow_merge(src, take, line, made, parent)
    own = src.to_numpy(dtype=object)
    made = made.to_numpy(zero_copy_only=False).astype(object)
    made[parent >= 0] = own[parent[parent >= 0]]
    out = own[take]
    out[line] = made
    return pd.Series(out, dtype=src.dtype)


def _arrow_merge(src: pd.Series, take: np.ndarray, line: np.ndarray, made: pa.Array, parent: np.ndarray) -> pd.Series:
    """Rows ``take`` of ``src`` with ``made`` at ``line``, or the parent's own cell where ``parent``
    names one (-1: none): one Arrow take over [made, source cells]."""
    own = arrow_text(src)
    combined = pa.concat_arrays([made.cast(own.type), own])
    idx = len(made) + take.astype(np.int64)
    pick = np.arange(len(line), dtype=np.int64)
    has_parent = parent >= 0
    pick[has_parent] = len(made) + parent[has_parent]
    idx[line] = pick
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([combined.take(pa.array(idx))]), dtype=src.dtype))


#: A number written plainly: optional minus, digits, optional decimals (``-12.50``).
_PLAIN_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
_EXACT_INT = 2.0**52


def _decimal_style(src: pd.Series, parsed: np.ndarray) -> tuple[int, bool] | None:
    """``(decimals, fixed)`` of a text column whose every number cell is a plain decimal: the most
    decimals a cell has, and whether every number cell has that many; None for any other column
    (money text, exponents, spaces...)."""
    number = ~np.isnan(parsed)
    if not number.any():
        return None
    cells = arrow_text(src).filter(pa.array(number))
    if not pc.all(pc.match_substring_regex(cells, _PLAIN_DECIMAL)).as_py():
        return None
    dot = pc.find_substring(cells, ".").to_numpy(zero_copy_only=False)
    length = pc.binary_length(cells).to_numpy(zero_copy_only=False)
    decimals = np.where(dot >= 0, length - dot - 1, 0)
    top = int(decimals.max())
    return top, bool((decimals == top).all())


def _number_texts(src: pd.Series, parsed: np.ndarray, value: np.ndarray) -> pa.Array:
    """``value`` as text written like the cells of ``src`` (see :func:`_interpolated`); empty for NaN."""
    ok = ~np.isnan(value)
    style = _decimal_style(src, parsed)
    if style is not None and style[0] <= 15:
        decimals, fixed = style
        scaled = np.round(np.where(ok, value, 0.0) * 10.0**decimals)
        if not len(scaled) or np.abs(scaled).max() < _EXACT_INT:
            return _decimal_texts(scaled.astype(np.int64), decimals, fixed, ok)
    texts = np.full(len(value), "", dtype=object)
    texts[ok] = [f"{v:.12g}" for v in value[ok].tolist()]  # 3 for 3.0, 2.5 for 2.5 (12 significant digits)
    return pa.array(texts, type=pa.large_string())


def _decimal_texts(scaled: np.ndarray, decimals: int, fixed: bool, ok: np.ndarray) -> pa.Array:
    """Integers ``scaled`` (value * 10**decimals) as decimal texts (``-12.50``; trailing zeros dropped
    unless ``fixed``); empty where not ``ok``. Arrow string kernels over whole columns: no
    per-value formatting."""
    text_type = pa.large_string()
    negative = scaled < 0
    mag = np.abs(scaled)
    unit = 10**decimals
    whole = mag // unit
    text = pc.cast(pa.array(np.where(negative, -whole, whole)), text_type)
    minus_zero = negative & (whole == 0)  # -0.5: the sign the integer part cannot carry
    if minus_zero.any():
        text = pc.if_else(pa.array(minus_zero), pa.scalar("-0", type=text_type), text)
    if decimals:  # unit + fraction as text is "1" then the zero-padded decimals: "1" becomes "."
        frac = pc.utf8_replace_slice(pc.cast(pa.array(mag % unit + unit), text_type), 0, 1, ".")
        if not fixed:
            frac = pc.utf8_rtrim(pc.utf8_rtrim(frac, characters="0"), characters=".")
        text = pc.binary_join_element_wise(text, frac, pa.scalar("", type=text_type))
    if not ok.all():
        text = pc.if_else(pa.array(ok), text, pa.scalar("", type=text_type))
    return text


def _textual(src: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(src.dtype) or src.dtype == object


def _cells_like(src: pd.Series, values: pd.Series | None, n: int) -> pd.Series:
    """Cells shaped like the original column (text columns get text, numbers numbers); ``None``:
    empty cells."""
    textual = _textual(src)
    text_dtype = src.dtype if pd.api.types.is_string_dtype(src.dtype) else object
    if values is None:
        if textual:
            return pd.Series(np.full(n, "", dtype=object), dtype=text_dtype)
        if pd.api.types.is_extension_array_dtype(src.dtype):
            return pd.Series(pd.array([pd.NA] * n, dtype=src.dtype))
        return pd.Series(np.full(n, np.nan))
    values = pd.Series(values).reset_index(drop=True)
    if textual:
        txt = np.full(len(values), "", dtype=object)
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
            ok = ~np.isnan(arr)
            if pd.api.types.is_integer_dtype(values.dtype):
                txt[ok] = arr[ok].astype(np.int64).astype(str)
            else:
                txt[ok] = [f"{v:.12g}" for v in arr[ok].tolist()]  # 3 for 3.0, 2.5 for 2.5 (12 significant digits)
        else:
            ok = values.notna().to_numpy()
            txt[ok] = values[ok].astype(str).to_numpy(dtype=object)
        return pd.Series(txt, dtype=text_dtype)
    if pd.api.types.is_numeric_dtype(src.dtype) and not pd.api.types.is_bool_dtype(src.dtype):
        num = pd.to_numeric(values, errors="coerce")
        if pd.api.types.is_integer_dtype(src.dtype):
            return num.round().astype("Int64") if num.isna().any() else num.round().astype(src.dtype)
        return num.astype("float64")
    return values.astype(object)
