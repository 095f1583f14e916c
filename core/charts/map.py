"""The shared map figure: one panel per strategy on the coordinates of a :class:`~core.mapping.projection.Projection`.

Pure Plotly (no Streamlit), so the Map page and the export report draw the same figure. Real
rows are dots, synthetic rows diamonds, removed rows faint ``x`` ghosts at their real
coordinates. Colour says the class's size group (head / medium / tail), synthetic rows by their
class's group too, or, when the analyst chooses classes, each chosen class has its own colour and
the rest share "other classes". Synthetic rows without coordinates (not placed) are not drawn. Hover
text is built here from the catalog's own cells and every piece of catalog text is
HTML-escaped, so a product title can never become markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.charts.skew import FONT, GROUP_COLORS, TEMPLATE, short
from core.data import GROUPS, HEAD_MIN, TAIL_MAX, FeatureSpace, group_for_count
from core.mapping import Projection
from core.strategies import SYNTHETIC, ResampleResult

#: Colours of the largest classes, in size order; every other class is OTHER_COLOR.
CLASS_COLORS = (
    "#3b5bdb", "#f08c00", "#2f9e44", "#c2255c", "#7048e8", "#1098ad", "#e8590c", "#5c940d", "#ae3ec9", "#fab005",
)
OTHER_COLOR = "#adb5bd"
OTHER_NAME = "other classes"
GHOST_COLOR = "#868e96"
HIGHLIGHT_COLOR = "#e03131"
#: Seed -> synthetic segments drawn per panel at most.
MAX_SEGMENTS = 5000
#: Panels per row of the figure.
PANELS_PER_ROW = 3


@dataclass(frozen=True, eq=False)
class Panel:
    """One strategy on the map.

    Attributes
    ----------
    title : str
        Panel title (the strategy's display name).
    subtitle : str
        Smaller second line (counts).
    result : ResampleResult
    synthetic_xy : ndarray (m, 2)
        Coordinates of the result's synthetic rows (``Projection.synthetic_xy[i]``).
    synthetic_hover : sequence of str, optional
        Hover text of each synthetic row (see :func:`synthetic_hover_text`).
    flagged : ndarray (m,) bool, optional
        Synthetic rows to mark (the audit's overlap / near-copy flags).
    """

    title: str
    result: ResampleResult
    synthetic_xy: np.ndarray
    synthetic_hover: Sequence[str] | None = None
    flagged: np.ndarray | None = None
    subtitle: str = ""


def _esc(value: object, width: int = 90) -> str:
    """Catalog text shortened and HTML-escaped (``core.charts.skew.short`` escapes)."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    return short(text, width)


def _cell_text(v: object) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "(empty)"
    return str(v)


def real_hover_text(
    frame: pd.DataFrame, rows: np.ndarray, y: np.ndarray, *, title: str | None = None, numeric: Sequence[str] = ()
) -> np.ndarray:
    """Hover text of real rows: title, class, numeric cells as in the table, row id.

    Parameters
    ----------
    frame : pandas.DataFrame
        The catalog as loaded (row position = row id).
    rows : ndarray of int
        Row ids (``Projection.rows``).
    y : ndarray
        Class of each row.
    title : str, optional
        Column shown first (the first text column).
    numeric : sequence of str
        Columns shown as ``name: cell`` (original cells from the table).
    """
    rows = np.asarray(rows, dtype=np.int64)
    parts: list[list[str]] = [[] for _ in range(len(rows))]
    if title is not None and title in frame.columns:
        for i, v in enumerate(frame[title].iloc[rows].tolist()):
            parts[i].append(f"<b>{_esc(v)}</b>")
    for i, c in enumerate(np.asarray(y).tolist()):
        parts[i].append(f"class: {_esc(c)}")
    for col in numeric:
        if col in frame.columns:
            for i, v in enumerate(frame[col].iloc[rows].tolist()):
                parts[i].append(f"{_esc(col, 30)}: {_esc(_cell_text(v), 40)}")
    for i, r in enumerate(rows.tolist()):
        parts[i].append(f"real row {r:,}")
    return np.array(["<br>".join(p) for p in parts], dtype=object)


def synthetic_hover_text(
    space: FeatureSpace, result: ResampleResult, frame: pd.DataFrame, *, title: str | None = None,
    numeric: Sequence[str] = (),
) -> np.ndarray:
    """Hover text of a result's synthetic rows: :func:`core.mapping.hover.synthetic_hover_text` (strategy,
    class, seed and neighbour rows with their titles, alpha, numeric values)."""
    from core.mapping.hover import synthetic_hover_text as hover_text

    return hover_text(space, result, frame, title=title, numeric=numeric)


def group_label(group: str, *, head_min: int = HEAD_MIN, tail_max: int = TAIL_MAX) -> str:
    """Legend name of a size group (``"head"``, ``"medium"``, ``"tail"``) with its bounds."""
    return {"head": f"head classes (> {head_min} rows)", "medium": "medium classes",
            "tail": f"tail classes (< {tail_max} rows)"}[group]


def class_groups(y: np.ndarray, *, chosen: Sequence[str] | None = None, head_min: int = HEAD_MIN,
                 tail_max: int = TAIL_MAX, highlight: str | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Colour group of every class and colour of every group.

    By default (``chosen=None``) a class's group is its size group by its real rows in ``y``
    (head / medium / tail, :func:`core.data.group_for_count`), so synthetic rows of a tail class are
    coloured as tail. With ``chosen``, each chosen class present in ``y`` is its own group (in the
    order given) and every other class is :data:`OTHER_NAME`. A highlighted class is always its
    own group.

    Returns
    -------
    group_of : dict class -> group name
    color_of : dict group name -> colour
    """
    names, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
    size = dict(zip(names.tolist(), counts.tolist()))
    if chosen is None:
        group_of = {c: group_label(group_for_count(n, head_min=head_min, tail_max=tail_max),
                                   head_min=head_min, tail_max=tail_max) for c, n in size.items()}
        color_of = {group_label(g, head_min=head_min, tail_max=tail_max): GROUP_COLORS[g] for g in GROUPS
                    if group_label(g, head_min=head_min, tail_max=tail_max) in set(group_of.values())}
    else:
        picked = [c for c in dict.fromkeys(str(c) for c in chosen) if c in size]
        group_of = {c: (c if c in picked else OTHER_NAME) for c in size}
        color_of = {c: CLASS_COLORS[i % len(CLASS_COLORS)] for i, c in enumerate(picked)}
        if len(picked) < len(size):
            color_of[OTHER_NAME] = OTHER_COLOR
    if highlight is not None and highlight in group_of:
        group_of[highlight] = highlight
        color_of[highlight] = color_of.get(highlight, HIGHLIGHT_COLOR)
    return group_of, color_of


def map_figure(
    projection: Projection,
    real_y: np.ndarray,
    panels: Sequence[Panel],
    *,
    real_hover: Sequence[str] | None = None,
    draw_real: np.ndarray | None = None,
    highlight: str | None = None,
    segments: bool = False,
    chosen: Sequence[str] | None = None,
    head_min: int = HEAD_MIN,
    tail_max: int = TAIL_MAX,
    panel_height: int = 460,
) -> go.Figure:
    """Side-by-side panels (one per strategy) on shared axes.

    Parameters
    ----------
    projection : Projection
    real_y : ndarray (n,)
        Class of each real row, aligned with ``projection.rows``.
    panels : sequence of Panel
    real_hover : sequence of str, optional
        Hover text of each real row (see :func:`real_hover_text`).
    draw_real : ndarray (n,) bool, optional
        Real rows to draw (default all); removed rows are drawn as ghosts regardless.
    highlight : str, optional
        Class to bring forward; the others fade.
    segments : bool
        Draw seed -> synthetic segments for the highlighted class.
    chosen : sequence of str, optional
        Classes with their own colour (the others grey); default: colour by head / medium / tail
        (``head_min``, ``tail_max``), real and synthetic rows alike.
    panel_height : int
        Height of one row of panels, in pixels.
    """
    real_y = np.asarray(real_y).astype(str)
    draw = np.ones(len(real_y), dtype=bool) if draw_real is None else np.asarray(draw_real, dtype=bool)
    group_of, color_of = class_groups(real_y, chosen=chosen, head_min=head_min, tail_max=tail_max,
                                      highlight=highlight)
    real = _RealRows(
        projection=projection, draw=draw, hover=None if real_hover is None else np.asarray(real_hover, dtype=object),
        group=np.array([group_of[c] for c in real_y], dtype=object), group_of=group_of, color_of=color_of,
        highlight=highlight,
    )
    fig, cols, nrows = _grid(panels)
    for k, panel in enumerate(panels):
        _draw_panel(fig, real, panel, row=k // cols + 1, col=k % cols + 1, first=k == 0, segments=segments)
    _marker_legend(fig)
    _style(fig, projection, height=panel_height * nrows + 120)
    return fig


@dataclass(frozen=True, eq=False)
class _RealRows:
    """What every panel shares: the real rows, their colour groups and hover text."""

    projection: Projection
    draw: np.ndarray
    hover: np.ndarray | None
    group: np.ndarray
    group_of: dict[str, str]
    color_of: dict[str, str]
    highlight: str | None

    def faded(self, group: str) -> bool:
        return self.highlight is not None and group != self.highlight

    def ordered_groups(self) -> list[str]:
        """Colour groups, the highlighted one last so it is drawn on top."""
        groups = list(self.color_of)
        return [g for g in groups if g != self.highlight] + ([self.highlight] if self.highlight in groups else [])


def _grid(panels: Sequence[Panel]) -> tuple[go.Figure, int, int]:
    """The empty figure with one titled subplot per panel; ``(figure, columns, rows)``."""
    n = max(len(panels), 1)
    cols = min(n, PANELS_PER_ROW)
    nrows = math.ceil(n / cols)
    titles = [short(p.title, 60) + (f"<br><sup>{short(p.subtitle, 80)}</sup>" if p.subtitle else "")
              for p in panels] or ["(no strategy)"]
    fig = make_subplots(rows=nrows, cols=cols, shared_xaxes="all", shared_yaxes="all", subplot_titles=titles,
                        horizontal_spacing=0.02, vertical_spacing=0.08 if nrows > 1 else 0.0)
    return fig, cols, nrows


def _draw_panel(fig: go.Figure, real: _RealRows, panel: Panel, *, row: int, col: int, first: bool,
                segments: bool) -> None:
    """One strategy: ghosts of removed rows, real and synthetic rows per group, segments, flags."""
    res = panel.result
    removed = np.isin(real.projection.rows, res.removed_rows)
    syn_xy = np.asarray(panel.synthetic_xy, dtype=np.float64).reshape(-1, 2)
    syn_y = res.y[res.origin == SYNTHETIC].astype(str)
    # ghosts first, so real and synthetic rows are drawn over them
    if removed.any():
        fig.add_trace(_ghosts(real, removed), row=row, col=col)
    placed = np.isfinite(syn_xy).all(axis=1)  # rows left out of the placement cap are not drawn
    syn_group = np.array([real.group_of.get(cl, OTHER_NAME) for cl in syn_y], dtype=object)
    syn_hover = None if panel.synthetic_hover is None else np.asarray(panel.synthetic_hover, dtype=object)
    for g in real.ordered_groups():
        m = real.draw & ~removed & (real.group == g)
        if m.any():
            fig.add_trace(_real_trace(real, g, m, first), row=row, col=col)
        s = (syn_group == g) & placed
        if s.any():
            fig.add_trace(_synthetic_trace(real, g, syn_xy[s], None if syn_hover is None else syn_hover[s]),
                          row=row, col=col)
    if segments and real.highlight is not None and len(syn_xy):
        trace = _segments(real, res, syn_xy, syn_y, first)
        if trace is not None:
            fig.add_trace(trace, row=row, col=col)
    if panel.flagged is not None and np.any(panel.flagged):
        fig.add_trace(_flagged(syn_xy[np.asarray(panel.flagged, dtype=bool) & placed], first), row=row, col=col)


def _ghosts(real: _RealRows, removed: np.ndarray) -> go.Scattergl:
    """Removed rows as faint ``x`` marks at their real coordinates."""
    xy, hover = real.projection.xy, real.hover
    return go.Scattergl(
        x=xy[removed, 0], y=xy[removed, 1], mode="markers", name="removed rows",
        legendgroup="(removed)", showlegend=False,
        marker=dict(size=5, color=GHOST_COLOR, opacity=0.18, symbol="x"),
        hovertext=None if hover is None else np.char.add("<b>removed</b><br>", hover[removed].astype(str)),
        hovertemplate="%{hovertext}<extra></extra>" if hover is not None else "removed<extra></extra>",
    )


def _real_trace(real: _RealRows, g: str, m: np.ndarray, first: bool) -> go.Scattergl:
    """The real rows ``m`` of colour group ``g`` (dots)."""
    xy, hover = real.projection.xy, real.hover
    return go.Scattergl(
        x=xy[m, 0], y=xy[m, 1], mode="markers", name=short(g, 40),
        legendgroup=g, showlegend=first,
        marker=dict(size=4, color=real.color_of[g], opacity=0.12 if real.faded(g) else 0.55, symbol="circle"),
        hovertext=None if hover is None else hover[m],
        hovertemplate="%{hovertext}<extra></extra>" if hover is not None else f"{_esc(g)}<extra></extra>",
    )


def _synthetic_trace(real: _RealRows, g: str, xy: np.ndarray, hover: np.ndarray | None) -> go.Scattergl:
    """Synthetic rows of colour group ``g`` (diamonds)."""
    return go.Scattergl(
        x=xy[:, 0], y=xy[:, 1], mode="markers", name=f"{short(g, 40)} (synthetic)",
        legendgroup=g, showlegend=False,
        marker=dict(size=6, color=real.color_of[g], opacity=0.15 if real.faded(g) else 0.9, symbol="diamond",
                    line=dict(width=0.5, color="white")),
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>" if hover is not None else "synthetic<extra></extra>",
    )


def _segments(real: _RealRows, res: ResampleResult, syn_xy: np.ndarray, syn_y: np.ndarray,
              first: bool) -> go.Scattergl | None:
    """Seed -> synthetic segments of the highlighted class (None when it has none)."""
    seed_row = res.seed_row[res.origin == SYNTHETIC]
    placed = np.isfinite(syn_xy).all(axis=1)
    sel = np.flatnonzero((syn_y == real.highlight) & (seed_row >= 0) & placed)[:MAX_SEGMENTS]
    if not len(sel):
        return None
    seeds = real.projection.xy_of(seed_row[sel])
    xs = np.column_stack([seeds[:, 0], syn_xy[sel, 0], np.full(len(sel), np.nan)]).ravel()
    ys = np.column_stack([seeds[:, 1], syn_xy[sel, 1], np.full(len(sel), np.nan)]).ravel()
    return go.Scattergl(
        x=xs, y=ys, mode="lines", name="seed → synthetic", legendgroup="(segments)", showlegend=first,
        line=dict(width=1, color=real.color_of.get(real.highlight, HIGHLIGHT_COLOR)), opacity=0.5, hoverinfo="skip",
    )


def _flagged(xy: np.ndarray, first: bool) -> go.Scattergl:
    """Rings around the flagged synthetic rows."""
    return go.Scattergl(
        x=xy[:, 0], y=xy[:, 1], mode="markers", name="flagged synthetic (overlap / near copy)",
        legendgroup="(flagged)", showlegend=first,
        marker=dict(size=11, color="rgba(0,0,0,0)", symbol="circle-open", line=dict(width=1.5, color="#212529")),
        hoverinfo="skip",
    )


def _marker_legend(fig: go.Figure) -> None:
    """Legend entries that explain the markers."""
    for name, symbol in (("real rows", "circle"), ("synthetic rows", "diamond"), ("removed rows (ghosts)", "x")):
        fig.add_trace(go.Scattergl(x=[None], y=[None], mode="markers", name=name, legendgroup=f"({name})",
                                   marker=dict(size=8, color=GHOST_COLOR, symbol=symbol), hoverinfo="skip"),
                      row=1, col=1)


def _style(fig: go.Figure, projection: Projection, *, height: int) -> None:
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, title=None)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, title=None)
    fig.update_annotations(font=dict(size=14))
    fig.update_layout(
        template=TEMPLATE, font=FONT, height=height,
        margin=dict(l=10, r=10, t=70, b=30), hovermode="closest",
        legend=dict(orientation="h", yanchor="top", y=-0.02, x=0, itemsizing="constant",
                    title=dict(text=("UMAP" if projection.method == "umap" else "PCA") + " map: ")),
        uirevision="map",
    )
