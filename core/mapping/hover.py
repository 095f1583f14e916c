"""Hover text of a strategy's synthetic rows on the map: where each row came from, in the catalog's words.

For a synthetic row: its strategy and class, its seed row and, for a row made between two real rows,
its neighbour row and the interpolation weight, each parent with its title (the first text column),
so the analyst sees which two products a SMOTE row was made from. Numeric values are the feature
space's decoding of the row (``FeatureSpace.to_original``). Every piece of catalog text is shortened
and HTML-escaped (``core.charts.skew.short``), so a product title can never become markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.data import FeatureSpace
from core.strategies import SYNTHETIC, ResampleResult

__all__ = ["parent_title_lines", "synthetic_hover_text"]

#: Characters of a parent's title shown in the hover.
TITLE_WIDTH = 70


def _esc(value: object, width: int = 90) -> str:
    from core.charts.skew import short

    text = "" if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else str(value)
    return short(text, width)


def _cell_text(v: object) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "(empty)"
    return str(v)


def parent_title_lines(seed: np.ndarray, neighbor: np.ndarray, alpha: np.ndarray, titles: pd.Series | None) -> list[str]:
    """One text per row: ``seed row N: title`` and, when there is one, ``neighbour row M: title`` and
    ``alpha a`` (lines joined by ``<br>``; a row without parents gives an empty text)."""
    cells = titles.tolist() if titles is not None else None

    def line(kind: str, row: int) -> str:
        title = f": {_esc(cells[row], TITLE_WIDTH)}" if cells is not None and 0 <= row < len(cells) else ""
        return f"{kind} row {row:,}{title}"

    out = []
    for s, n, a in zip(np.asarray(seed).tolist(), np.asarray(neighbor).tolist(), np.asarray(alpha).tolist()):
        lines = [line("seed", int(s))] if s >= 0 else []
        if n >= 0:
            lines.append(line("neighbour", int(n)))
            if not math.isnan(a):
                lines.append(f"alpha {a:.2f} (0 = seed, 1 = neighbour)")
        out.append("<br>".join(lines))
    return out


def synthetic_hover_text(
    space: FeatureSpace, result: ResampleResult, frame: pd.DataFrame, *, title: str | None = None,
    numeric: Sequence[str] = (),
) -> np.ndarray:
    """Hover text of a result's synthetic rows (in result order): strategy, class, parents with their
    titles, numeric values.

    Parameters
    ----------
    space : FeatureSpace
    result : ResampleResult
    frame : pandas.DataFrame
        The catalog as loaded (row position = row id).
    title : str, optional
        Column whose cells name the parents (the first text column).
    numeric : sequence of str
        Numeric feature columns to show, decoded from the row's features.
    """
    syn = np.flatnonzero(result.origin == SYNTHETIC)
    if len(syn) == 0:
        return np.zeros(0, dtype=object)
    y = result.y[syn]
    cols = [c for c in numeric if c in space.config.numeric]
    values = space.to_original(result.X[syn], y)[cols] if cols else pd.DataFrame(index=range(len(syn)))
    titles = frame[title] if title is not None and title in frame.columns else None
    parents = parent_title_lines(result.seed_row[syn], result.neighbor_row[syn], result.alpha[syn], titles)
    head = f"<b>synthetic</b> ({_esc(result.strategy, 40)})"
    out = []
    for i in range(len(syn)):
        lines = [head, f"class: {_esc(y[i])}"]
        if parents[i]:
            lines.append(parents[i])
        for col in cols:
            v = values[col].iloc[i]
            lines.append(f"{_esc(col, 30)}: {_esc(_cell_text(v if not isinstance(v, float) else round(v, 4)), 40)}")
        out.append("<br>".join(lines))
    return np.array(out, dtype=object)
