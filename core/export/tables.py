"""The written tables: the output (original columns plus ``skewlab_*`` provenance) and the removed
rows, for exports and the CLI."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from core.data import FeatureSpace
from core.strategies import ORIGINAL, ResampleResult

__all__ = ["build_output_table", "removed_table"]


def build_output_table(
    table: Any,
    labels: pd.Series,
    roles: Mapping[str, str],
    result: ResampleResult,
    space: FeatureSpace,
) -> pd.DataFrame:
    """The full resampled table: original columns plus ``skewlab_*`` provenance.

    Kept original rows keep every cell exactly as loaded; rows without a label pass through
    untouched (origin ``original``); synthetic rows get their feature columns from
    :meth:`FeatureSpace.to_original`, the label column set to their class, and every other column
    empty. Order: original rows (labelled and unlabelled) by row id, then synthetic rows.

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

    Returns
    -------
    pandas.DataFrame
    """
    frame: pd.DataFrame = getattr(table, "frame", table)
    label_cols = [c for c, r in roles.items() if r == "label"]
    if len(label_cols) != 1:  # callers pass checked roles (a recipe's, or inferred for a present label)
        raise RuntimeError(f"build_output_table got roles with {len(label_cols)} label columns; exactly one is needed.")
    if len(labels) != len(frame):
        raise RuntimeError(f"build_output_table got {len(labels)} labels for {len(frame)} rows; they must match.")
    prov = result.provenance()
    is_orig = result.origin == ORIGINAL
    unlabelled = np.flatnonzero(pd.Series(labels).reset_index(drop=True).isna().to_numpy())
    kept = result.row[is_orig]
    orig_rows = np.sort(np.concatenate([kept, unlabelled]))
    orig_part = frame.iloc[orig_rows].reset_index(drop=True)
    # provenance of originals: from the result for labelled rows, plain for unlabelled
    prov_orig = prov[is_orig].set_index(pd.Index(kept))
    filler = _unlabelled_provenance(unlabelled, result.strategy)
    prov_all = pd.concat([prov_orig, filler]).loc[orig_rows].reset_index(drop=True)
    synth = ~is_orig
    out_orig = pd.concat([orig_part, prov_all], axis=1)
    if not synth.any():
        return out_orig
    syn_part = _synthetic_cells(frame, label_cols[0], result, space, synth)
    out_syn = pd.concat([syn_part, prov[synth].reset_index(drop=True)], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return pd.concat([out_orig, out_syn], ignore_index=True)


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
    frame: pd.DataFrame, label_col: Any, result: ResampleResult, space: FeatureSpace, synth: np.ndarray
) -> pd.DataFrame:
    """The original columns of the synthetic rows: features in original units, the class, the rest empty."""
    n_syn = int(synth.sum())
    syn_part = pd.DataFrame(index=pd.RangeIndex(n_syn))
    feats = space.to_original(result.X[synth], result.y[synth])
    for col in frame.columns:
        if col == label_col:
            values = pd.Series(result.y[synth].astype(str))
        elif col in feats.columns:
            values = feats[col]
        else:
            values = None
        syn_part[col] = _cells_like(frame[col], values, n_syn)
    return syn_part


def _cells_like(src: pd.Series, values: pd.Series | None, n: int) -> pd.Series:
    """Synthetic cells shaped like the original column (text columns get text, numbers numbers)."""
    textual = pd.api.types.is_string_dtype(src.dtype) or src.dtype == object
    if values is None:
        if textual:
            return pd.Series([""] * n, dtype=src.dtype if pd.api.types.is_string_dtype(src.dtype) else object)
        return pd.Series([pd.NA] * n, dtype=src.dtype if pd.api.types.is_extension_array_dtype(src.dtype) else "float64").astype(
            src.dtype if pd.api.types.is_extension_array_dtype(src.dtype) else "float64"
        )
    values = pd.Series(values).reset_index(drop=True)
    if textual:
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            integer = pd.api.types.is_integer_dtype(values.dtype)
            text = ["" if pd.isna(v) else (str(int(v)) if integer else _num_text(float(v))) for v in values]
        else:
            text = ["" if pd.isna(v) else str(v) for v in values]
        return pd.Series(text, dtype=src.dtype if pd.api.types.is_string_dtype(src.dtype) else object)
    if pd.api.types.is_numeric_dtype(src.dtype) and not pd.api.types.is_bool_dtype(src.dtype):
        num = pd.to_numeric(values, errors="coerce")
        if pd.api.types.is_integer_dtype(src.dtype):
            return num.round().astype("Int64") if num.isna().any() else num.round().astype(src.dtype)
        return num.astype("float64")
    return values.astype(object)


def _num_text(v: float) -> str:
    """A float as short text (12 significant digits): ``3`` for 3.0, ``2.5`` for 2.5."""
    return format(v, ".12g")
