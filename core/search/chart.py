"""The search's trials on one chart: head recall against tail recall, the Pareto front marked."""

from __future__ import annotations

import math

from core.search.result import SearchResult, TrialResult
from core.search.trials import PRUNED

__all__ = ["TITLE", "trials_figure"]

TITLE = "Trials: head recall against tail recall (cross-validation on the search part)"


def _points(trials: list[TrialResult]) -> tuple[list[float], list[float], list[str]]:
    xs, ys, text = [], [], []
    for t in trials:
        x, y = t.metrics.get("head_recall", math.nan), t.metrics.get("tail_recall", math.nan)
        if math.isnan(x) or math.isnan(y):
            continue
        xs.append(x)
        ys.append(y)
        value = "" if t.value is None else f"<br>objective {t.value:.3f}"
        text.append(f"trial {t.number}: {t.candidate.describe()}{value}<br>{t.state}")
    return xs, ys, text


def trials_figure(result: SearchResult):
    """A scatter of every trial that ran folds (pruned ones on their folds so far, faint), the Pareto
    front of the complete trials as a line, no resampling and the winner marked."""
    import plotly.graph_objects as go

    fig = go.Figure()
    front = set(result.pareto())
    complete = [t for t in result.trials if t.scored]
    groups = [
        ("pruned (folds so far)", [t for t in result.trials if t.state == PRUNED and t.folds_run], dict(
            color="rgba(150,150,150,0.45)", size=7, symbol="circle-open")),
        ("trials", [t for t in complete if t.number not in front], dict(color="#7a9cc6", size=8)),
    ]
    for name, trials, marker in groups:
        xs, ys, text = _points(trials)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name=name, marker=marker, text=text,
                                 hovertemplate="%{text}<br>head %{x:.3f}, tail %{y:.3f}<extra></extra>"))
    xs, ys, text = _points([t for t in complete if t.number in front])
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    fig.add_trace(go.Scatter(x=[xs[i] for i in order], y=[ys[i] for i in order], mode="lines+markers",
                             name="Pareto front", line=dict(color="#d1495b", width=1.5),
                             marker=dict(color="#d1495b", size=9), text=[text[i] for i in order],
                             hovertemplate="%{text}<br>head %{x:.3f}, tail %{y:.3f}<extra></extra>"))
    for name, trial, marker in (("no resampling", result.baseline, dict(color="black", size=12, symbol="square")),
                                ("winner", result.winner, dict(color="#edae49", size=18, symbol="star",
                                                               line=dict(color="black", width=1)))):
        xs, ys, text = _points([trial])
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name=name, marker=marker, text=text,
                                 hovertemplate="%{text}<br>head %{x:.3f}, tail %{y:.3f}<extra></extra>"))
    fig.update_layout(title=TITLE, xaxis_title="head recall", yaxis_title="tail recall", height=460,
                      legend=dict(orientation="h", y=-0.2), margin=dict(t=60, l=60, r=20, b=60))
    return fig
