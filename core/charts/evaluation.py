"""Plotly figures of an :class:`core.evaluation.Evaluation` (pages and the offline report; no Streamlit)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts.skew import FONT, GROUP_COLORS, TEMPLATE, _unique_short
from core.evaluation import GROUPS, METRICS, Evaluation

#: One colour per classifier (cycled).
CLASSIFIER_COLORS = ("#3b5bdb", "#0ca678", "#f76707", "#ae3ec9", "#495057")


def _err(iv) -> tuple[float, float]:
    up = iv.ci_high - iv.mean if not math.isnan(iv.ci_high) else 0.0
    down = iv.mean - iv.ci_low if not math.isnan(iv.ci_low) else 0.0
    return up, down


def _mark(result, metric: str) -> str:
    if metric in result.better:
        return "▲"
    if metric in result.worse:
        return "▼"
    return ""


#: Note on a chart whose value axis leaves 0 out.
AXIS_NOTE = "The axis does not start at 0: compare bar tops, not bar lengths."


def value_range(evaluation: Evaluation, metric: str, *, pad: float = 0.15) -> list[float] | None:
    """Value axis that shows differences: from a bit below the lowest interval end (the mean when there is
    no interval) to a bit above the highest, ``pad`` of the span on each side (0.02 when all are equal),
    kept inside the metric's range. None when no result has a value."""
    from core.evaluation import metric_range

    ends = []
    for r in evaluation.results:
        iv = r.metrics[metric]
        ends += [v for v in (iv.ci_low, iv.mean, iv.ci_high) if not math.isnan(v)]
    if not ends:
        return None
    low, high = min(ends), max(ends)
    margin = (high - low) * pad if high > low else 0.02
    bounds = metric_range(metric)
    return [max(low - margin, bounds["low"]), min(high + margin * 1.5, bounds["high"] + margin)]


def metric_bars(evaluation: Evaluation, metric: str = "macro_f1") -> go.Figure:
    """Mean of ``metric`` per strategy (bars grouped by classifier) with 95% interval error bars.

    ▲ / ▼ above a bar: significantly better / worse than no resampling (paired test, p < 0.05). The value
    axis spans the intervals (:func:`value_range`), not 0 to the top; a note on the chart says so when
    0 is left out.
    """
    fig = go.Figure()
    labels = _unique_short([evaluation.result(s).label for s in evaluation.strategies], 28)
    for i, clf in enumerate(evaluation.classifiers):
        rows = [evaluation.result(s, clf) for s in evaluation.strategies]
        ups, downs = zip(*(_err(r.metrics[metric]) for r in rows)) if rows else ((), ())
        fig.add_trace(go.Bar(
            name=evaluation.classifiers[clf]["label"],
            x=labels,
            y=[r.metrics[metric].mean for r in rows],
            error_y=dict(type="data", array=list(ups), arrayminus=list(downs), visible=True, color="#343a40"),
            marker_color=CLASSIFIER_COLORS[i % len(CLASSIFIER_COLORS)],
            text=[_mark(r, metric) for r in rows], textposition="outside",
            customdata=np.array([[r.label, r.metrics[metric].ci_low, r.metrics[metric].ci_high,
                                  "n/a" if r.p_values.get(metric) is None else f"{r.p_values[metric]:.3g}"] for r in rows],
                                dtype=object),
            hovertemplate="%{customdata[0]}<br>%{y:.3f} (95% interval %{customdata[1]:.3f}–%{customdata[2]:.3f})"
                          "<br>p vs none: %{customdata[3]}<extra>%{fullData.name}</extra>",
        ))
    span = value_range(evaluation, metric)
    fig.update_layout(
        template=TEMPLATE, font=FONT, barmode="group",
        title=f"{METRICS[metric]} per strategy (mean over folds, 95% interval; ▲▼ significant vs none)",
        height=440, margin=dict(l=10, r=20, t=70, b=90),
        yaxis=dict(title=METRICS[metric], gridcolor="#eee",
                   **({"range": span} if span else {"rangemode": "tozero"})),
        xaxis=dict(title=None, tickangle=-20),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
    )
    if span and not span[0] <= 0 <= span[1]:
        fig.add_annotation(text=AXIS_NOTE, xref="paper", yref="paper", x=1, y=1.0, xanchor="right", yanchor="bottom",
                           showarrow=False, font=dict(size=11, color="#868e96"), bgcolor="rgba(255,255,255,0.8)")
    return fig


def group_recall_bars(evaluation: Evaluation, classifier: str | None = None) -> go.Figure:
    """Macro recall of head, medium and tail classes per strategy (grouped bars, 95% intervals)."""
    clf = classifier or next(iter(evaluation.classifiers))
    labels = _unique_short([evaluation.result(s, clf).label for s in evaluation.strategies], 28)
    fig = go.Figure()
    bounds = {"head": f"head (> {evaluation.head_min} rows)", "medium": "medium",
              "tail": f"tail (< {evaluation.tail_max} rows)"}
    for group in GROUPS:
        m = f"{group}_recall"
        rows = [evaluation.result(s, clf) for s in evaluation.strategies]
        if all(math.isnan(r.metrics[m].mean) for r in rows):
            continue
        ups, downs = zip(*(_err(r.metrics[m]) for r in rows))
        fig.add_trace(go.Bar(
            name=bounds[group], x=labels, y=[r.metrics[m].mean for r in rows],
            error_y=dict(type="data", array=list(ups), arrayminus=list(downs), visible=True, color="#343a40"),
            marker_color=GROUP_COLORS[group],
            text=[_mark(r, m) for r in rows], textposition="outside",
            hovertemplate=f"{group} recall %{{y:.3f}}<extra>%{{x}}</extra>",
        ))
    fig.update_layout(
        template=TEMPLATE, font=FONT, barmode="group",
        title=f"Head / medium / tail recall ({evaluation.classifiers[clf]['label']})",
        height=420, margin=dict(l=10, r=20, t=70, b=90),
        yaxis=dict(title="macro recall", range=[0, 1.08], gridcolor="#eee"),
        xaxis=dict(title=None, tickangle=-20),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
    )
    return fig


def recall_change_bars(change: pd.DataFrame, *, strategy_label: str, top: int = 40) -> go.Figure:
    """Per-class recall change against the baseline (``Evaluation.recall_change``), coloured by group.

    Shows the ``top`` classes with the largest absolute change (tail classes first among ties).
    """
    frame = change.copy()
    frame["abs"] = frame["change"].abs()
    frame["tail_first"] = (frame["group"] != "tail").astype(int)
    shown = frame.sort_values(["abs", "tail_first"], ascending=[False, True], kind="stable").head(top)
    shown = shown.sort_values("change", kind="stable")
    names = _unique_short(shown["class"].tolist(), 34)
    fig = go.Figure()
    for group in GROUPS:
        idx = [i for i, g in enumerate(shown["group"]) if g == group]
        if not idx:
            continue
        sub = shown.iloc[idx]
        fig.add_trace(go.Bar(
            name=group, orientation="h", y=[names[i] for i in idx], x=sub["change"],
            marker_color=GROUP_COLORS[group],
            customdata=np.column_stack([sub["class"], sub["baseline_recall"], sub["recall"], sub["rows"]]),
            hovertemplate="%{customdata[0]} (%{customdata[3]:,} rows)<br>recall %{customdata[1]:.2f} → "
                          "%{customdata[2]:.2f} (%{x:+.2f})<extra></extra>",
        ))
    fig.update_layout(
        template=TEMPLATE, font=FONT, barmode="overlay",
        title=f"Recall change per class: {strategy_label} vs no resampling",
        height=max(320, 22 * len(shown) + 140), margin=dict(l=10, r=20, t=60, b=50),
        xaxis=dict(title="recall change", zeroline=True, zerolinecolor="#868e96", gridcolor="#eee"),
        yaxis=dict(categoryorder="array", categoryarray=names, automargin=True, title=None),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
    )
    return fig


def confusion_heatmap(matrix: pd.DataFrame, *, title: str = "Confusion matrix (rows normalized)") -> go.Figure:
    """Heatmap of a row-normalized confusion matrix (``Evaluation.confusion``)."""
    rows = _unique_short([str(c) for c in matrix.index], 30)
    cols = _unique_short([str(c) for c in matrix.columns], 30)
    z = matrix.to_numpy(dtype=float)
    fig = go.Figure(go.Heatmap(
        z=z, x=cols, y=rows, colorscale="Blues", zmin=0, zmax=1,
        text=np.where(z >= 0.005, np.round(z, 2).astype(str), ""), texttemplate="%{text}",
        customdata=np.array([[[str(r), str(c)] for c in matrix.columns] for r in matrix.index], dtype=object),
        hovertemplate="true %{customdata[0]}<br>predicted %{customdata[1]}<br>%{z:.1%}<extra></extra>",
        colorbar=dict(title="share"),
    ))
    fig.update_layout(
        template=TEMPLATE, font=FONT, title=title,
        height=max(380, 24 * len(rows) + 180), margin=dict(l=10, r=20, t=60, b=10),
        xaxis=dict(title="predicted", side="bottom", tickangle=-40),
        yaxis=dict(title="true", autorange="reversed", automargin=True),
    )
    return fig


def confusion_classes(evaluation: Evaluation, *, largest: int = 8, max_classes: int = 30) -> list[str]:
    """The largest scored classes and the scored tail classes (at most ``max_classes``)."""
    scored = sorted(evaluation.scored, key=lambda c: (-evaluation.group_counts.get(c, 0), c))
    tail = [c for c in scored if evaluation.groups[c] == "tail"]
    out = scored[:largest] + [c for c in tail if c not in scored[:largest]]
    return out[:max_classes]

