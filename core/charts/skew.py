"""Plotly figures shared by the pages and the offline report (no Streamlit here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.data import GROUPS, SkewProfile

GROUP_COLORS = {"head": "#3b5bdb", "medium": "#f59f00", "tail": "#e03131"}
TEMPLATE = "plotly_white"
FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13)


def esc(text: object) -> str:
    """Text as Plotly shows it literally: Plotly renders a few HTML-like tags (<b>, <a href>...)
    in labels and hovers, so user text (category names, titles) has its markup escaped."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def short(name: str, width: int = 38) -> str:
    """Shorten a long category name for an axis label (the full name stays in the hover); escaped."""
    name = str(name)
    return esc(name if len(name) <= width else name[: width - 1] + "…")


def _unique_short(names: list[str], width: int = 38) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        s = short(n, width)
        if s in seen:
            seen[s] += 1
            s = f"{s} ({seen[s]})"
        else:
            seen[s] = 1
        out.append(s)
    return out


def class_bars(profile: SkewProfile, *, top: int | None = 60, log: bool = False) -> go.Figure:
    """Horizontal bars of class sizes, largest on top, coloured by head / medium / tail."""
    items = list(profile.counts.items())
    shown = items if top is None else items[:top]
    names = [c for c, _ in shown]
    labels = _unique_short(names)
    fig = go.Figure()
    for group in GROUPS:
        idx = [i for i, c in enumerate(names) if profile.group_of(c) == group]
        if not idx:
            continue
        fig.add_trace(
            go.Bar(
                name={"head": f"head (> {profile.head_min} rows)", "medium": "medium",
                      "tail": f"tail (< {profile.tail_max} rows)"}[group],
                orientation="h",
                y=[labels[i] for i in idx],
                x=[shown[i][1] for i in idx],
                marker_color=GROUP_COLORS[group],
                customdata=np.array([[esc(names[i]), profile.shares[names[i]]] for i in idx], dtype=object),
                hovertemplate="%{customdata[0]}<br>%{x:,} rows (%{customdata[1]:.2%})<extra></extra>",
            )
        )
    hidden = len(items) - len(shown)
    title = "Rows per class" + (f" (largest {len(shown)} of {len(items)})" if hidden else "")
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        title=title,
        barmode="overlay",
        height=max(320, 22 * len(shown) + 140),
        margin=dict(l=10, r=20, t=60, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
        xaxis=dict(title="rows" + (" (log scale)" if log else ""), type="log" if log else "linear", gridcolor="#eee",
                   range=[np.log10(0.5), np.log10(max(c for _, c in shown) * 1.6)] if log and shown else None),
        yaxis=dict(categoryorder="array", categoryarray=labels[::-1], automargin=True, title=None),
    )
    return fig


def long_tail_curve(profile: SkewProfile) -> go.Figure:
    """Cumulative share of rows against the share of classes, largest first (a Lorenz-style curve)."""
    counts = np.array(list(profile.counts.values()), dtype=float)
    k = len(counts)
    fig = go.Figure()
    if k:
        x = np.arange(0, k + 1) / k * 100
        y = np.concatenate([[0], np.cumsum(counts) / counts.sum() * 100])
        fig.add_trace(
            go.Scatter(
                x=x, y=y, mode="lines", name="catalog", line=dict(color="#3b5bdb", width=3),
                hovertemplate="largest %{x:.0f}% of classes hold %{y:.1f}% of rows<extra></extra>",
                fill="tozeroy", fillcolor="rgba(59,91,219,0.08)",
            )
        )
        fig.add_trace(go.Scatter(x=[0, 100], y=[0, 100], mode="lines", name="perfect balance",
                                 line=dict(color="#868e96", dash="dot")))
        k80 = profile.classes_for_80pct
        fig.add_annotation(
            x=k80 / k * 100, y=80, text=f"{k80} of {k} classes hold 80% of rows", showarrow=True, arrowhead=2,
            ax=60, ay=40, bgcolor="white",
        )
    fig.update_layout(
        template=TEMPLATE, font=FONT, title="Long tail: cumulative share of rows",
        height=380, margin=dict(l=10, r=20, t=60, b=50),
        xaxis=dict(title="share of classes, largest first (%)", range=[0, 100]),
        yaxis=dict(title="share of rows (%)", range=[0, 101]),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
    )
    return fig


def hierarchy_sunburst(paths: pd.Series, separator: str, *, depth: int = 2) -> go.Figure:
    """Sunburst of a path label (first ``depth`` levels), sized by rows."""
    parts = paths.dropna().astype(str).str.split(separator, regex=False).map(lambda p: [s.strip() for s in p[:depth]])
    nodes: dict[str, int] = {}
    for p in parts:
        for i in range(1, len(p) + 1):
            key = separator.join(p[:i])
            nodes[key] = nodes.get(key, 0) + 1
    ids = list(nodes)
    parents = [separator.join(i.split(separator)[:-1]) for i in ids]
    labels = [short(i.split(separator)[-1], 24) for i in ids]
    fig = go.Figure(
        go.Sunburst(
            ids=[esc(i) for i in ids], parents=[esc(p) for p in parents], labels=labels,
            values=[nodes[i] for i in ids], branchvalues="total",
            hovertemplate="%{id}<br>%{value:,} rows<extra></extra>", maxdepth=depth, insidetextorientation="radial",
        )
    )
    fig.update_layout(template=TEMPLATE, font=FONT, title=f"Category tree (first {depth} levels)", height=520,
                      margin=dict(l=10, r=10, t=60, b=10))
    return fig


def group_summary(profile: SkewProfile) -> pd.DataFrame:
    """Classes and rows per group."""
    rows = []
    for group, classes in zip(GROUPS, (profile.head, profile.medium, profile.tail)):
        n = sum(profile.counts[c] for c in classes)
        rows.append({"group": group, "classes": len(classes), "rows": n,
                     "share of rows": n / profile.n_labelled if profile.n_labelled else 0.0})
    return pd.DataFrame(rows)


STRATEGY_SYMBOLS = ("circle", "diamond", "square", "triangle-up", "x", "star", "cross", "triangle-down",
                    "pentagon", "hexagon", "hourglass", "bowtie")
STRATEGY_COLORS = ("#3b5bdb", "#e8590c", "#2b8a3e", "#ae3ec9", "#c92a2a", "#1098ad", "#5c940d", "#f08c00",
                   "#862e9c", "#0b7285", "#495057", "#d6336c")


def counts_comparison(before: dict[str, int], after: dict[str, dict[str, float]], *, top: int | None = 60,
                      log: bool = True) -> go.Figure:
    """Rows per class before (grey bars) and after each strategy (markers), largest class on top.

    ``after`` maps a strategy's display name to its class counts (weighted sums for reweighting).
    """
    classes = sorted(before, key=lambda c: (-before[c], c))
    shown = classes if top is None else classes[:top]
    labels = _unique_short(shown, 34)
    fig = go.Figure()
    fig.add_trace(go.Bar(
        orientation="h", y=labels, x=[before[c] for c in shown], name="before", marker_color="#ced4da",
        customdata=[esc(c) for c in shown], hovertemplate="%{customdata}<br>before: %{x:,} rows<extra></extra>",
    ))
    for i, (name, counts) in enumerate(after.items()):
        fig.add_trace(go.Scatter(
            y=labels, x=[counts.get(c, 0) for c in shown], mode="markers", name=esc(name),
            marker=dict(symbol=STRATEGY_SYMBOLS[i % len(STRATEGY_SYMBOLS)], size=9,
                        color=STRATEGY_COLORS[i % len(STRATEGY_COLORS)], line=dict(width=0.5, color="white")),
            customdata=[esc(c) for c in shown], hovertemplate=f"%{{customdata}}<br>{esc(name)}: %{{x:,.0f}} rows<extra></extra>",
        ))
    maxv = max([max(before.values(), default=1)] + [max(c.values(), default=1) for c in after.values()])
    hidden = len(classes) - len(shown)
    fig.update_layout(
        template=TEMPLATE, font=FONT,
        title=dict(text="Rows per class before and after" + (f" (largest {len(shown)} of {len(classes)} classes)" if hidden else ""),
                   y=1.0, yanchor="top", pad=dict(t=12)),
        height=max(360, 22 * len(shown) + 190), margin=dict(l=10, r=20, t=120, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
        xaxis=dict(title="rows" + (" (log scale)" if log else ""), type="log" if log else "linear", gridcolor="#eee",
                   range=[np.log10(0.5), np.log10(maxv * 1.6)] if log else None),
        yaxis=dict(categoryorder="array", categoryarray=labels[::-1], automargin=True, title=None),
    )
    return fig
