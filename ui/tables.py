"""Table cells the analyst reads: a value that does not apply is a dash, not Streamlit's grey "None"."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pandas as pd

#: What a table shows where a value does not apply (say so in the table's caption with NOT_APPLICABLE_NOTE).
NOT_APPLICABLE = "—"
NOT_APPLICABLE_NOTE = f"{NOT_APPLICABLE} = not applicable"


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def with_dashes(frame: pd.DataFrame, formats: Mapping[str, Callable[[object], str]]) -> pd.DataFrame:
    """A copy of ``frame`` whose ``formats`` columns are text: each value formatted, a missing one a dash.

    Only the named columns with a missing value change: the others stay numbers (sortable, formatted by
    their column config).
    """
    out = frame.copy()
    for col, fmt in formats.items():
        if not any(_missing(v) for v in frame[col].tolist()):
            continue
        out[col] = [NOT_APPLICABLE if _missing(v) else fmt(v) for v in frame[col].tolist()]
    return out


def percent(v) -> str:
    return f"{float(v):.2%}"  # as NumberColumn(format="percent") shows it
