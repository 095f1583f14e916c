"""The app's steps, declared once: every page, link and switch refers to a `Step` from here.

`app.py` calls `run_app()`: `st.navigation` over the pages (drawn by `ui.common.setup` as sidebar
links, so Streamlit's own menu is hidden), the page config, then the chosen page. Data is the default page,
served at the app's root URL; the other pages are at `/skew`, `/strategies`, `/map`, `/evaluate`,
`/search`, `/export`.

Deep links on a fresh server: because a `pages/` folder exists, Streamlit runs the first script run of
a server process in its legacy multipage mode (until the first `st.navigation` call switches the
process over). That run executes the requested page file alone, found by the name in its file name
(`pages/1_skew.py` -> `/skew`; hence every `url_path` equals its file name without the number prefix,
or the first request would get "Page not found"). `enter()`, the first call of every page, notices that
the page runs outside `run_app()` and hands the run over to it, so the page is rendered inside the app.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

#: The favicon, a file served by the app itself: a `:material/...:` page icon makes the browser fetch its SVG
#: from fonts.gstatic.com, and the app promises that the browser asks no other host for anything.
APP_ICON = str(Path(__file__).resolve().parent / "assets" / "favicon.png")


@dataclass(frozen=True)
class Step:
    """One page of the app: its script, the title and icon of its link, its URL path."""

    script: str
    title: str
    icon: str
    url_path: str


DATA = Step("pages/0_data.py", "Data", ":material/table_view:", "data")
SKEW = Step("pages/1_skew.py", "Skew", ":material/bar_chart:", "skew")
STRATEGIES = Step("pages/2_strategies.py", "Strategies", ":material/tune:", "strategies")
MAP = Step("pages/3_map.py", "Map", ":material/scatter_plot:", "map")
EVALUATE = Step("pages/4_evaluate.py", "Evaluate", ":material/fact_check:", "evaluate")
EXPORT = Step("pages/5_export.py", "Export", ":material/download:", "export")
SEARCH = Step("pages/6_search.py", "Search", ":material/travel_explore:", "search")

#: The steps in the order of the sidebar; the first one is the default page.
STEPS = (DATA, SKEW, STRATEGIES, MAP, EVALUATE, SEARCH, EXPORT)

_run = threading.local()  # Streamlit runs each session's script in its own thread


def page(step: Step) -> st.Page:
    """The `st.Page` of a step (built per call: `st.Page` needs the running script's context)."""
    return st.Page(step.script, title=step.title, icon=step.icon, url_path=step.url_path, default=step is STEPS[0])


def link(step: Step, label: str | None = None, icon: str | None = None) -> None:
    """A link to a step; by default labelled with its title and icon."""
    st.page_link(page(step), label=label or step.title, icon=icon or step.icon)


def run_app() -> None:
    """The app: the navigation over every step, the page config, then the page the URL or a link asks for."""
    # The icon goes first: the browser takes the chosen page's icon as favicon when the navigation arrives
    # before any page icon, and a `:material/...:` favicon is fetched from fonts.gstatic.com.
    st.set_page_config(page_icon=APP_ICON, layout="wide")
    chosen = st.navigation([page(step) for step in STEPS], position="hidden")
    st.set_page_config(page_title=f"{chosen.title} · Skewlab")
    _run.inside = True
    try:
        chosen.run()
    finally:
        _run.inside = False


def enter() -> None:
    """First call of every page: outside `run_app()` (legacy first run), run the app instead and stop."""
    if getattr(_run, "inside", False):
        return
    run_app()
    st.stop()
