"""Plotly figures shared by the pages and the offline report (no Streamlit).

:mod:`~core.charts.skew` (class sizes, long tail, before / after counts) is imported here;
:mod:`~core.charts.map` and :mod:`~core.charts.evaluation` need the strategies and the evaluation
(scikit-learn), so their names load on first use and ``import core.charts`` stays light.
"""

import importlib

from core.charts.skew import (
    FONT,
    GROUP_COLORS,
    STRATEGY_COLORS,
    STRATEGY_SYMBOLS,
    TEMPLATE,
    class_bars,
    counts_comparison,
    esc,
    group_summary,
    hierarchy_sunburst,
    long_tail_curve,
    short,
)

#: Names of :mod:`core.charts.map`, imported on first use.
_LAZY = {
    name: "core.charts.map"
    for name in ("CLASS_COLORS", "OTHER_NAME", "Panel", "class_groups", "map_figure", "real_hover_text",
                 "synthetic_hover_text")
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CLASS_COLORS", "FONT", "GROUP_COLORS", "OTHER_NAME", "STRATEGY_COLORS", "STRATEGY_SYMBOLS", "TEMPLATE", "Panel",
    "class_bars", "class_groups", "counts_comparison", "esc", "group_summary", "hierarchy_sunburst",
    "long_tail_curve", "map_figure", "real_hover_text", "short", "synthetic_hover_text",
]
