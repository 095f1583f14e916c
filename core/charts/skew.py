"""Plotly figures shared by the pages and the offline report (no Streamlit here)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.data import GROUPS, HEAD_MIN, TAIL_MAX, SkewProfile, group_for_count

GROUP_COLORS = {"head": "#3b5bdb", "medium": "#f59f00", "tail": "#e03131"}
TEMPLATE = "plotly_white"
FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13)


def esc(text: object) -> str:
    """Text as Plotly shows it literally: Plotly renders a few HTML-like tags (<b>, <a href>...)
    in labels and hovers, so user text (category names, titles) has its markup escaped."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: Levels of a hierarchical class name, for :func:`short`.
_PATH_SPLIT = re.compile(r"\s*>\s*")


def short(name: str, width: int = 38) -> str:
    """Shorten a long category name for an axis label (the full name stays in the hover); escaped.

    A path (``Top > Sub > Leaf``) loses levels from the top, so the leaf, which tells classes apart,
    stays: ``… > Sub > Leaf``; other names are cut at the end."""
    name = str(name)
    if len(name) <= width:
        return esc(name)
    parts = [p for p in _PATH_SPLIT.split(name) if p]
    if len(parts) > 1:
        for i in range(1, len(parts)):
            tail = "… > " + " > ".join(parts[i:])
            if len(tail) <= width:
                return esc(tail)
        name = parts[-1]
        if len(name) <= width:
            return esc(name)
    return esc(name[: width - 1] + "…")


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


#: Classes per group the tail-first charts draw at most (the rest are counted on an "N more" line).
PER_GROUP = 15
#: Above this many classes a chart asked for every class draws the tail-first view instead.
MAX_ALL = 200
#: Tallest chart, in pixels: a chart never grows with the number of classes beyond this.
MAX_HEIGHT = 1000
#: The order of the groups in the tail-first view: the tail on top.
TAIL_FIRST = ("tail", "medium", "head")


def group_names(head_min: int, tail_max: int) -> dict[str, str]:
    """Legend name of each group with its bounds."""
    return {"head": f"head (> {head_min} rows)", "medium": "medium", "tail": f"tail (< {tail_max} rows)"}


@dataclass(frozen=True)
class Line:
    """One line of a tail-first chart: a class, or the count of the classes of a group not drawn."""

    group: str
    label: str
    cls: str | None = None
    more: int = 0
    low: int = 0
    high: int = 0


def tail_first(sizes: dict[str, float], *, per_group: int = PER_GROUP, head_min: int = HEAD_MIN,
               tail_max: int = TAIL_MAX, match: str | None = None) -> list[Line]:
    """The lines of a tail-first chart: groups tail, medium, head; in each the smallest classes
    first (ties by name), at most ``per_group`` of them, then one line counting the others.

    ``match`` keeps the classes whose name contains it (case-insensitive). Group by ``sizes``.
    """
    needle = (match or "").strip().lower()
    names = [c for c in sizes if needle in str(c).lower()] if needle else list(sizes)
    lines: list[Line] = []
    for group in TAIL_FIRST:
        members = sorted((c for c in names if group_for_count(sizes[c], head_min=head_min, tail_max=tail_max) == group),
                         key=lambda c: (sizes[c], str(c)))
        shown = members[:per_group]
        labels = _unique_short(shown, 34)
        lines += [Line(group, label, cls) for label, cls in zip(labels, shown)]
        rest = members[per_group:]
        if rest:
            low, high = int(sizes[rest[0]]), int(sizes[rest[-1]])
            span = f"{low:,} rows" if low == high else f"{low:,} to {high:,} rows"
            lines.append(Line(group, f"… {len(rest):,} more {group} classes ({span})", None, len(rest), low, high))
    return lines


def _tail_first_title(lines: list[Line], n_classes: int, match: str | None) -> str:
    drawn = sum(1 for x in lines if x.cls is not None)
    where = f" matching “{esc(match.strip())}”" if match and match.strip() else ""
    found = drawn + sum(x.more for x in lines)
    return (f"Rows per class, tail first, smallest first ({drawn:,} of {found:,} classes{where}"
            + (f", of {n_classes:,}" if where else "") + ")")


def _more_trace(lines: list[Line], x: float) -> go.Scatter | None:
    """Markers-free points on the "N more" lines, so their labels appear and hover explains them."""
    more = [line for line in lines if line.cls is None]
    if not more:
        return None
    return go.Scatter(
        y=[m.label for m in more], x=[x] * len(more), mode="markers", marker=dict(opacity=0), showlegend=False,
        name="not drawn", hovertemplate="%{y}: search a class to draw it<extra></extra>",
    )


def _height(n_lines: int, extra: int) -> int:
    per = 22 if n_lines <= 40 else 16
    return min(MAX_HEIGHT, max(320, per * n_lines + extra))


def class_bars(profile: SkewProfile, *, top: int | None = 60, log: bool = False, per_group: int = PER_GROUP,
               match: str | None = None) -> go.Figure:
    """Horizontal bars of class sizes coloured by head / medium / tail.

    Up to ``top`` classes (every class when ``top`` is None, up to :data:`MAX_ALL`): largest on
    top. More classes than that, or a ``match`` (a search): the tail-first view
    (:func:`tail_first`), so tail classes are always drawn and the chart has a fixed maximum height.
    """
    limit = MAX_ALL if top is None else top
    if len(profile.counts) > limit or (match and match.strip()):
        return _class_bars_tail_first(profile, log=log, per_group=per_group, match=match)
    return _class_bars_largest(profile, top=top, log=log)


def _class_bars_tail_first(profile: SkewProfile, *, log: bool, per_group: int, match: str | None) -> go.Figure:
    lines = tail_first(profile.counts, per_group=per_group, head_min=profile.head_min, tail_max=profile.tail_max,
                       match=match)
    names = group_names(profile.head_min, profile.tail_max)
    fig = go.Figure()
    for group in TAIL_FIRST:
        mine = [x for x in lines if x.group == group and x.cls is not None]
        if mine:
            fig.add_trace(go.Bar(
                name=names[group], orientation="h", y=[x.label for x in mine], x=[profile.counts[x.cls] for x in mine],
                marker_color=GROUP_COLORS[group],
                customdata=np.array([[esc(x.cls), profile.shares[x.cls]] for x in mine], dtype=object),
                hovertemplate="%{customdata[0]}<br>%{x:,} rows (%{customdata[1]:.2%})<extra></extra>",
            ))
    more = _more_trace(lines, 1)
    if more is not None:
        fig.add_trace(more)
    values = [profile.counts[x.cls] for x in lines if x.cls is not None] or [1]
    fig.update_layout(
        template=TEMPLATE, font=FONT, barmode="overlay",
        title=dict(text=_tail_first_title(lines, profile.n_classes, match), y=1.0, yanchor="top", pad=dict(t=12)),
        height=_height(len(lines), 170), margin=dict(l=10, r=20, t=90, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
        xaxis=dict(title="rows" + (" (log scale)" if log else ""), type="log" if log else "linear", gridcolor="#eee",
                   range=[np.log10(0.5), np.log10(max(values) * 1.6)] if log else None),
        yaxis=dict(categoryorder="array", categoryarray=[x.label for x in lines][::-1], automargin=True, title=None),
    )
    return fig


def class_size_strip(profile: SkewProfile) -> go.Figure:
    """Every class as one dot, by group (tail on top) against its rows on a log axis.

    Readable at thousands of classes (the height is fixed); the hover names the class. Dots are
    spread vertically within a group by rank so classes of the same size stay apart.
    """
    fig = go.Figure()
    names = group_names(profile.head_min, profile.tail_max)
    for i, group in enumerate(TAIL_FIRST):
        members = [c for c in profile.counts if profile.group_of(c) == group]
        if not members:
            continue
        jitter = (np.arange(len(members)) * 0.618033988749895) % 1.0 * 0.6 - 0.3
        fig.add_trace(go.Scatter(
            x=[profile.counts[c] for c in members], y=(len(TAIL_FIRST) - 1 - i) + jitter, mode="markers",
            name=f"{names[group]}: {len(members):,} classes", marker=dict(size=6, color=GROUP_COLORS[group], opacity=0.6),
            customdata=[esc(c) for c in members], hovertemplate="%{customdata}<br>%{x:,} rows<extra></extra>",
        ))
    top = max(profile.counts.values(), default=1)
    fig.update_layout(
        template=TEMPLATE, font=FONT, height=340, margin=dict(l=10, r=20, t=60, b=50),
        title=f"Every class by size ({profile.n_classes:,} classes, one dot each)",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
        xaxis=dict(title="rows (log scale)", type="log", gridcolor="#eee", range=[np.log10(0.5), np.log10(top * 1.6)]),
        yaxis=dict(tickvals=[2, 1, 0], ticktext=["tail", "medium", "head"], range=[-0.5, 2.5], title=None,
                   showgrid=False, zeroline=False),
    )
    return fig


def class_rows_in(profile: SkewProfile, *, group: str | None = None, match: str | None = None) -> pd.DataFrame:
    """The class table (:meth:`SkewProfile.table`) tail first: smallest classes first, optionally
    one group and the classes whose name contains ``match`` (case-insensitive)."""
    table = profile.table()
    if group is not None:
        table = table[table["group"] == group]
    needle = (match or "").strip().lower()
    if needle:
        table = table[table["class"].str.lower().str.contains(needle, regex=False)]
    return table.sort_values(["rows", "class"], kind="stable")


def _class_bars_largest(profile: SkewProfile, *, top: int | None, log: bool) -> go.Figure:
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
                      log: bool = True, per_group: int = PER_GROUP, head_min: int = HEAD_MIN, tail_max: int = TAIL_MAX,
                      match: str | None = None) -> go.Figure:
    """Rows per class before (grey bars) and after each strategy (markers).

    ``after`` maps a strategy's display name to its class counts (weighted sums for reweighting).
    Up to ``top`` classes (every class when ``top`` is None, up to :data:`MAX_ALL`): largest class on
    top. More classes, or a ``match``: the tail-first view (:func:`tail_first`, groups by the
    counts before with ``head_min`` / ``tail_max``), so the tail classes a strategy lifts are drawn.
    """
    classes = sorted(before, key=lambda c: (-before[c], c))
    limit = MAX_ALL if top is None else top
    if len(classes) > limit or (match and match.strip()):
        lines = tail_first(before, per_group=per_group, head_min=head_min, tail_max=tail_max, match=match)
        shown = [x.cls for x in lines if x.cls is not None]
        labels = [x.label for x in lines if x.cls is not None]
        order = [x.label for x in lines]
        title = _tail_first_title(lines, len(classes), match).replace("Rows per class", "Rows per class before and after")
    else:
        shown = classes if top is None else classes[:top]
        labels = order = _unique_short(shown, 34)
        lines = []
        hidden = len(classes) - len(shown)
        title = "Rows per class before and after" + (f" (largest {len(shown)} of {len(classes)} classes)" if hidden else "")
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
    more = _more_trace(lines, 1)
    if more is not None:
        fig.add_trace(more)
    maxv = max([max(before.values(), default=1)] + [max(c.values(), default=1) for c in after.values()])
    fig.update_layout(
        template=TEMPLATE, font=FONT,
        title=dict(text=title, y=1.0, yanchor="top", pad=dict(t=12)),
        height=_height(len(order), 190), margin=dict(l=10, r=20, t=120, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
        xaxis=dict(title="rows" + (" (log scale)" if log else ""), type="log" if log else "linear", gridcolor="#eee",
                   range=[np.log10(0.5), np.log10(maxv * 1.6)] if log else None),
        yaxis=dict(categoryorder="array", categoryarray=order[::-1], automargin=True, title=None),
    )
    return fig
