"""report.html: a standalone page about one export, readable offline.

plotly.js is embedded inline once (``include_plotlyjs=True`` on the first figure), so the page
needs no network. Every text that comes from the data (class and column names) is escaped.
Sections for the map, the audit and the evaluation appear when the caller has them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts import FONT, TEMPLATE, short
from core.charts.skew import GROUP_COLORS, MAX_HEIGHT, tail_first
from core.data import HEAD_MIN, TAIL_MAX, group_for_count
from core.export.apply import Applied
from core.export.recipe import Recipe

__all__ = ["build_report", "counts_figure", "map_figure", "skew_metrics"]

BEFORE_COLOR, AFTER_COLOR, TEST_COLOR = "#868e96", "#3b5bdb", "#f59f00"
MAX_BARS = 60

_CSS = """
body{font-family:Inter,Segoe UI,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1100px;padding:24px;color:#212529}
h1{font-size:1.7em;margin-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #dee2e6;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.9em;margin:.6em 0} th,td{border:1px solid #dee2e6;padding:3px 8px;text-align:right}
th{background:#f1f3f5} td:first-child,th:first-child{text-align:left}
.muted{color:#868e96} .cards{display:flex;gap:12px;flex-wrap:wrap}
.card{border:1px solid #dee2e6;border-radius:8px;padding:8px 14px;min-width:150px}
.card b{display:block;font-size:1.4em} pre{background:#f8f9fa;padding:10px;overflow:auto;font-size:.85em}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def skew_metrics(counts: Mapping[str, int]) -> dict[str, float]:
    """Rows, classes, imbalance ratio and evenness (normalized entropy) of class counts."""
    n = np.array([int(v) for v in counts.values() if int(v) > 0], dtype=np.float64)
    if len(n) == 0:
        return {"rows": 0, "classes": 0, "imbalance ratio": math.nan, "evenness": math.nan}
    p = n / n.sum()
    evenness = float(-(p * np.log(p)).sum() / math.log(len(n))) if len(n) > 1 else 1.0
    return {"rows": int(n.sum()), "classes": int(len(n)), "imbalance ratio": float(n.max() / n.min()), "evenness": evenness}


def counts_figure(counts: pd.DataFrame, *, top: int = MAX_BARS, head_min: int = HEAD_MIN,
                  tail_max: int = TAIL_MAX) -> go.Figure:
    """Grouped horizontal bars of rows per class before and after (and test).

    Up to ``top`` classes: largest first. More: tail first (groups tail, medium, head by the rows
    before; the smallest classes of each group first, ``PER_GROUP`` per group and a line counting
    the others; :func:`core.charts.skew.tail_first`), so the tail classes are in the report.
    """
    many = len(counts) > top
    if many:
        lines = tail_first({str(c): int(v) for c, v in counts["before"].items()}, head_min=head_min,
                           tail_max=tail_max)
        shown = counts.loc[[x.cls for x in lines if x.cls is not None]]
        names = [x.label for x in lines if x.cls is not None]
        order = [x.label for x in lines]
    else:
        shown, lines = counts, []
        names = order = [short(c) for c in shown.index.astype(str)]
    fig = go.Figure()
    series = [("before", BEFORE_COLOR), ("after", AFTER_COLOR)] + ([("test", TEST_COLOR)] if "test" in counts else [])
    for col, color in series:
        fig.add_bar(y=names, x=shown[col].tolist(), name=col, orientation="h", marker_color=color,
                    customdata=[_esc(c) for c in shown.index.astype(str)],
                    hovertemplate="%{customdata}: %{x:,} rows<extra>" + col + "</extra>")
    for x in lines:
        if x.cls is None:  # the classes of a group not drawn, counted on their own line
            fig.add_scatter(y=[x.label], x=[1], mode="markers", marker=dict(opacity=0), showlegend=False,
                            hovertemplate="%{y}<extra></extra>")
    ratio = counts["before"].max() / max(counts["before"][counts["before"] > 0].min(), 1) if len(counts) else 1
    drawn = len(shown)
    title = "Rows per class" + (f", tail first, smallest first ({drawn} of {len(counts):,} classes; the others "
                                "are in the table below)" if many else "")
    fig.update_layout(
        template=TEMPLATE, font=FONT, barmode="group", height=min(MAX_HEIGHT, max(320, 22 * len(order) + 120)),
        margin=dict(l=10, r=10, t=40, b=10),
        yaxis=dict(categoryorder="array", categoryarray=order[::-1]),
        xaxis=dict(title="rows", type="log" if ratio > 50 else "linear"),
        title=title,
        legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"),
    )
    return fig


def _table_html(frame: pd.DataFrame, *, max_rows: int = 500, index: bool = True) -> str:
    if frame is None:
        return ""
    note = ""
    if len(frame) > max_rows:
        note = f'<p class="muted">The first {max_rows} of {len(frame):,} rows.</p>'
        frame = frame.head(max_rows)
    body = frame.to_html(escape=True, index=index, border=0, na_rep="", float_format=lambda v: f"{v:,.4g}")
    return body + note


def _as_frame(value: Any) -> pd.DataFrame | None:
    """A DataFrame from a table or an object with ``table()`` / ``to_frame()`` / ``summary()``."""
    if value is None or isinstance(value, pd.DataFrame):
        return value
    for attr in ("table", "to_frame", "summary", "frame"):
        obj = getattr(value, attr, None)
        if obj is None:
            continue
        obj = obj() if callable(obj) else obj
        if isinstance(obj, pd.DataFrame):
            return obj
    return pd.DataFrame(value)


class _Figures:
    """Figure fragments; plotly.js goes inline with the first one only."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, fig: go.Figure) -> str:
        self.n += 1
        return fig.to_html(full_html=False, include_plotlyjs=self.n == 1, div_id=f"skewlab-fig-{self.n}",
                           config={"displaylogo": False, "responsive": True})


def build_report(
    applied: Applied,
    *,
    frame: pd.DataFrame | None = None,
    map_figure: go.Figure | None = None,
    audit_table: Any = None,
    evaluation_table: Any = None,
    figures: Sequence[tuple[str, go.Figure]] = (),
    notes: Sequence[str] = (),
) -> str:
    """The report page of an export.

    Parameters
    ----------
    applied : core.export.apply.Applied
    frame : pandas.DataFrame, optional
        The catalog (for its row count).
    map_figure : plotly Figure, optional
        The shared map (real rows, synthetic rows, removed ghosts).
    audit_table, evaluation_table : DataFrame or object with ``table()``, optional
        Audit of synthetic rows; evaluation (head vs tail).
    figures : sequence of (title, Figure), optional
        More figures, each in its own section.
    notes : sequence of str
        More things the reader should know.

    Returns
    -------
    str
        A complete HTML page.
    """
    fig_html = _Figures()
    parts = _head(applied.recipe) + _skew_section(applied, frame, fig_html)
    all_notes = list(applied.warnings) + list(applied.result.notes) + list(notes)
    if all_notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_esc(n)}</li>" for n in all_notes) + "</ul>")
    parts += _optional_sections(fig_html, map_figure, _as_frame(audit_table), _as_frame(evaluation_table), figures)
    res = applied.result
    if res.n_removed:
        reasons = pd.Series(res.removed_reason.astype(str)).value_counts().rename_axis("reason").rename("rows").to_frame()
        parts.append("<h2>Removed rows by reason</h2>" + _table_html(reasons, max_rows=50))
    parts.append("<h2>Recipe</h2><p>Replay it headless: <code>python -m core apply --recipe recipe.json --input "
                 f"{_esc(applied.recipe.input.name)} --output balanced.csv</code></p><pre>{_esc(applied.recipe.to_json())}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _head(r: Recipe) -> list[str]:
    """The page's head, title and the line that says what was exported."""
    scope = (f"stratified train/test split (test share {r.scope.test_share:g}, split seed {r.scope.seed}); only the train part "
             "is rebalanced, the test part is left as it is" if r.scope.kind == "split" else "the whole catalog")
    return [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Skewlab report: {_esc(r.input.name)} · {_esc(r.strategy)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Skewlab report: {_esc(r.input.name)}</h1>",
        f'<p class="muted">Strategy <b>{_esc(r.strategy)}</b>, target <b>{_esc(r.target)}</b>, seed {r.seed}, '
        f"scope: {_esc(scope)}. Label <b>{_esc(r.label.column)}</b>"
        + (f", level {r.label.level}" if r.label.level else "")
        + f". Input sha256 <code>{_esc(r.input.sha256)}</code>.</p>",
    ]


def _skew_section(applied: Applied, frame: pd.DataFrame | None, fig_html: _Figures) -> list[str]:
    """Skew before and after: metric cards, row counts, the bars and the table of rows per class."""
    res = applied.result
    before, after = skew_metrics(res.counts_before), skew_metrics(res.counts_after)
    parts = ["<h2>Skew before and after</h2>", '<div class="cards">']
    for key in ("rows", "classes", "imbalance ratio", "evenness"):
        b, a = before[key], after[key]
        fmt = (lambda v: f"{v:,.0f}") if key in ("rows", "classes") else (lambda v: "n/a" if v != v else f"{v:,.2f}")
        parts.append(f'<div class="card">{_esc(key)}<b>{fmt(b)} → {fmt(a)}</b></div>')
    parts.append("</div>")
    n_total = len(frame) if frame is not None else None
    parts.append(
        f"<p>{res.n_synthetic:,} synthetic rows added, {res.n_removed:,} original rows removed"
        + (f"; the catalog has {n_total:,} rows" if n_total is not None else "")
        + f"; the output has {len(applied.output):,} rows.</p>"
    )
    parts.append(fig_html(counts_figure(applied.counts)))
    parts.append("<details><summary>Rows per class (table)</summary>" + _table_html(applied.counts, max_rows=5000) + "</details>")
    return parts


def _optional_sections(
    fig_html: _Figures,
    map_fig: go.Figure | None,
    audit: pd.DataFrame | None,
    evaluation: pd.DataFrame | None,
    figures: Sequence[tuple[str, go.Figure]],
) -> list[str]:
    """The map, audit, evaluation and extra figures the caller has, and a line naming the missing ones."""
    parts = []
    if map_fig is not None:
        parts.append("<h2>Map</h2>")
        parts.append(fig_html(map_fig))
    if audit is not None:
        parts.append("<h2>Audit of synthetic rows</h2>" + _table_html(audit))
    if evaluation is not None:
        parts.append("<h2>Evaluation</h2>" + _table_html(evaluation))
    for title, fig in figures:
        parts.append(f"<h2>{_esc(title)}</h2>" + fig_html(fig))
    missing = [name for name, v in (("map", map_fig), ("audit", audit), ("evaluation", evaluation)) if v is None]
    if missing:
        parts.append(f'<p class="muted">Not in this report: {", ".join(missing)} (not computed for this export).</p>')
    return parts


def map_figure(projection: Any, result: Any, *, index: int = 0, max_points: int = 20_000) -> go.Figure:
    """A plain map for the report: real rows (grey), removed rows (ghost crosses), synthetic rows.

    Parameters
    ----------
    projection : core.mapping.projection.Projection
    result : ResampleResult
        The exported strategy's result (its removed rows are drawn as ghosts).
    index : int
        Position of ``result`` among the results given to ``project``.
    max_points : int
        Real points drawn at most (an even subsample beyond that).
    """
    xy = np.asarray(projection.xy)
    step = max(1, int(np.ceil(len(xy) / max_points)))
    fig = go.Figure()
    fig.add_scattergl(x=xy[::step, 0], y=xy[::step, 1], mode="markers", name="real rows",
                      marker=dict(size=4, color="#adb5bd", opacity=0.6), hoverinfo="skip")
    removed = np.asarray(result.removed_rows)
    if len(removed):
        rxy = projection.xy_of(removed)
        fig.add_scattergl(x=rxy[:, 0], y=rxy[:, 1], mode="markers", name="removed rows",
                          marker=dict(size=6, color="#e03131", symbol="x", opacity=0.5), hoverinfo="skip")
    syn = np.asarray(projection.synthetic_xy[index]) if len(projection.synthetic_xy) > index else np.zeros((0, 2))
    if len(syn):
        # coloured by their class's group (rows before), so tail classes stand out; rows not placed are not drawn
        group = np.array([group_for_count(int(result.counts_before.get(c, 0))) for c in result.classes], dtype=object)
        placed = np.isfinite(syn).all(axis=1)
        colors = [GROUP_COLORS[g] for g in group[result.y_code[result.row < 0]][placed]]
        fig.add_scattergl(x=syn[placed, 0], y=syn[placed, 1], mode="markers", name="synthetic rows",
                          marker=dict(size=5, color=colors, opacity=0.7, symbol="diamond"), hoverinfo="skip")
    note = projection.sample_note() if hasattr(projection, "sample_note") else ""
    fig.update_layout(template=TEMPLATE, font=FONT, height=560, margin=dict(l=10, r=10, t=50, b=10),
                      title=dict(text=_esc(note), font=dict(size=12)), xaxis=dict(showticklabels=False),
                      yaxis=dict(showticklabels=False),
                      legend=dict(orientation="h", y=-0.05, title=dict(
                          text="synthetic rows by their class's group: tail red, medium orange, head blue · ")))
    return fig
