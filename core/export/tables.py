"""The written tables: the output (original columns plus ``skewlab_*`` provenance) and the removed
rows, for exports and the CLI."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from core.data import FeatureSpace, parse_numeric
from core.params import Choice, check
from core.strategies import ORIGINAL, ResampleResult
from core.strategies.result import COPY, LINE, NO_PARENT, SEED_ONLY

__all__ = ["TEXT_SOURCE", "TEXT_SOURCES", "build_output_table", "output_notes", "removed_table"]

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
) -> pd.DataFrame:
    """The full resampled table: original columns plus ``skewlab_*`` provenance.

    Kept original rows keep every cell exactly as loaded; rows without a label pass through
    untouched (origin ``original``). Every cell of a synthetic row comes from its real parents,
    never from the feature encoding (no imputed or bucketed value):

    * copies (random over-sampling, copies made for small classes): every column of the seed row;
    * rows on the line from a seed to a neighbour (SMOTE and its variants): numeric feature
      columns ``seed + alpha * (neighbour - seed)`` on the parents' own cells (rounded when the
      column holds whole numbers only; the one value when one parent is empty; empty when both
      are), every other column from the seed, text columns per ``text``;
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

    Returns
    -------
    pandas.DataFrame
    """
    text = check(text, TEXT_SOURCES, name="text", where="export: ")
    frame: pd.DataFrame = getattr(table, "frame", table)
    label_cols = [c for c, r in roles.items() if r == "label"]
    if len(label_cols) != 1:  # callers pass checked roles (a recipe's, or inferred for a present label)
        raise RuntimeError(f"build_output_table got roles with {len(label_cols)} label columns; exactly one is needed.")
    if len(labels) != len(frame):
        raise RuntimeError(f"build_output_table got {len(labels)} labels for {len(frame)} rows; they must match.")
    prov = result.provenance()
    is_orig = result.origin == ORIGINAL
    labels = pd.Series(labels).reset_index(drop=True)
    unlabelled = np.flatnonzero(labels.isna().to_numpy())
    kept = result.row[is_orig]
    orig_rows = np.sort(np.concatenate([kept, unlabelled]))
    orig_part = frame.iloc[orig_rows].reset_index(drop=True)
    # provenance of originals: from the result for labelled rows, plain for unlabelled
    prov_orig = prov[is_orig].set_index(pd.Index(kept))
    filler = _unlabelled_provenance(unlabelled, result.strategy)
    prov_all = pd.concat([prov_orig, filler]).loc[orig_rows].reset_index(drop=True)
    prov_all[TEXT_SOURCE] = pd.array([pd.NA] * len(prov_all), dtype="string")
    synth = ~is_orig
    out_orig = pd.concat([orig_part, prov_all], axis=1)
    if not synth.any():
        return out_orig
    kinds = result.parent_kinds(space.X, space.rows)
    text_cols = {c for c, r in roles.items() if r == "text"} | set(space.config.text)
    syn_part, source = _synthetic_cells(frame, label_cols[0], labels, result, synth, kinds,
                                        numeric=space.config.numeric, text_cols=text_cols, text=text)
    prov_syn = prov[synth].reset_index(drop=True)
    prov_syn[TEXT_SOURCE] = pd.array(source, dtype="string")
    out_syn = pd.concat([syn_part, prov_syn], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return pd.concat([out_orig, out_syn], ignore_index=True)


def output_notes(result: ResampleResult, space: FeatureSpace, *, text: str = "empty") -> tuple[str, ...]:
    """What the analyst should know about the written rows: how the synthetic rows' cells were
    taken from their real parents (:func:`build_output_table`), then the feature space's notes
    (imputation, bucketing: they shape which rows were made, never a written cell)."""
    text = check(text, TEXT_SOURCES, name="text", where="export: ")
    notes: list[str] = []
    if result.n_synthetic:
        kinds = result.parent_kinds(space.X, space.rows)
        n = {k: int((kinds == k).sum()) for k in (LINE, COPY, SEED_ONLY, NO_PARENT)}
        words = "empty" if text == "empty" else "their seed row's text"
        if n[COPY]:
            notes.append(f"{n[COPY]:,} synthetic rows are copies: every column equals their seed row (skewlab_seed_row).")
        if n[LINE]:
            notes.append(
                f"{n[LINE]:,} synthetic rows lie between two real rows: numeric columns are seed + alpha * (neighbour - seed) "
                "on the two rows' own values (whole numbers stay whole; one row's value when the other is empty; empty "
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


def _unlabelled_provenance(unlabelled: np.ndarray, strategy: str) -> pd.DataFrame:
    """Provenance of the rows without a label (carried through untouched), indexed by row id."""
    n = len(unlabelled)
    return pd.DataFrame(
        {
            "skewlab_origin": pd.array([ORIGINAL] * n, dtype="string"),
            "skewlab_row": pd.array(unlabelled, dtype="Int64"),
            "skewlab_seed_row": pd.array([pd.NA] * n, dtype="Int64"),
            "skewlab_neighbor_row": pd.array([pd.NA] * n, dtype="Int64"),
            "skewlab_alpha": np.full(n, np.nan),
            "skewlab_strategy": pd.array([strategy] * n, dtype="string"),
            "skewlab_sample_weight": np.full(n, np.nan),
        },
        index=pd.Index(unlabelled),
    )


def _synthetic_cells(
    frame: pd.DataFrame, label_col: Any, labels: pd.Series, result: ResampleResult, synth: np.ndarray,
    kinds: np.ndarray, *, numeric: tuple[str, ...], text_cols: set, text: str,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The original columns of the synthetic rows, column by column from their parents' cells,
    and where each row's text came from."""
    seed = result.seed_row[synth]
    has_seed = seed >= 0
    seeds = frame.take(np.where(has_seed, seed, 0)).reset_index(drop=True)  # every column, dtypes kept
    copy = kinds == COPY
    keep_text = copy | (text == "seed")
    line = np.flatnonzero(kinds == LINE)
    nbr = result.neighbor_row[synth][line]
    alpha = result.alpha[synth][line]
    y = result.y[synth]
    n_syn = len(seed)
    out: dict[Any, pd.Series] = {}
    for col in frame.columns:
        cells = seeds[col]
        if col == label_col:  # the seed's cell where it names the row's class (always, for real seeds)
            same = has_seed & (labels.to_numpy(dtype=object, na_value=None)[np.where(has_seed, seed, 0)] == y)
            cells = cells.where(same, _cells_like(frame[col], pd.Series(y.astype(str)), n_syn))
        elif col in text_cols:
            cells = cells.where(keep_text & has_seed, _cells_like(frame[col], None, n_syn))
        else:
            if col in numeric and len(line):
                cells = _interpolated(frame[col], cells, line, seed[line], nbr, alpha)
            cells = cells.where(has_seed, _cells_like(frame[col], None, n_syn))
        out[col] = cells
    source = np.where(keep_text & has_seed, "seed", "empty").astype(object)
    return pd.DataFrame(out, index=pd.RangeIndex(n_syn)), source


def _interpolated(src: pd.Series, cells: pd.Series, line: np.ndarray, seed: np.ndarray, nbr: np.ndarray,
                  alpha: np.ndarray) -> pd.Series:
    """``cells`` (the seeds' cells) with the rows at ``line`` set to ``seed + alpha * (neighbour - seed)``
    on the parents' parsed cells (the one value when one is empty, empty when both are)."""
    parsed = parse_numeric(src).to_numpy(dtype=np.float64, na_value=np.nan)
    s, n = parsed[seed], parsed[nbr]
    value = np.where(np.isnan(s), n, np.where(np.isnan(n), s, s + alpha * (n - s)))
    observed = parsed[~np.isnan(parsed)]
    if len(observed) and (observed == np.round(observed)).all():  # whole numbers only: stay whole
        value = np.round(value)
    if not _textual(src):  # numbers: the seeds' values with the line rows' values, in the column's dtype
        full = parse_numeric(cells).to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        full[line] = value
        return _cells_like(src, pd.Series(full), len(full))
    made = _cells_like(src, pd.Series(value), len(value)).to_numpy(dtype=object)
    # a value equal to a parent's keeps that parent's own cell (its text, its currency sign...)
    at_s, at_n = value == s, value == n
    made[at_n] = src.to_numpy(dtype=object)[nbr[at_n]]
    made[at_s] = src.to_numpy(dtype=object)[seed[at_s]]
    out = cells.to_numpy(dtype=object, copy=True)
    out[line] = made
    return pd.Series(out, dtype=cells.dtype)


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
                txt[ok] = np.char.mod("%.12g", arr[ok])  # 3 for 3.0, 2.5 for 2.5 (12 significant digits)
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
