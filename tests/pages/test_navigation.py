"""The pages are declared once (ui/nav.py) and every page runs inside the app's navigation."""

from __future__ import annotations

import re

import pytest

from tests.pages.conftest import ROOT, goto
from ui import nav

# What the sidebar shows, in order: label, icon, URL path (the Data page is the app's root).
SIDEBAR = [
    ("Data", ":material/table_view:", ""),
    ("Skew", ":material/bar_chart:", "skew"),
    ("Strategies", ":material/tune:", "strategies"),
    ("Map", ":material/scatter_plot:", "map"),
    ("Evaluate", ":material/fact_check:", "evaluate"),
    ("Search", ":material/travel_explore:", "search"),
    ("Export", ":material/download:", "export"),
]
UI_SOURCES = sorted([ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py")])
DECLARATION = ROOT / "ui" / "nav.py"


def test_every_page_file_is_declared_once_in_order():
    # every file once; the sidebar's order is STEPS' (Search, added last as pages/6_search.py, sits before Export)
    assert sorted(step.script for step in nav.STEPS) == sorted(f"pages/{p.name}" for p in ROOT.glob("pages/*.py"))
    assert len({step.script for step in nav.STEPS}) == len(nav.STEPS)
    assert [(s.title, s.icon) for s in nav.STEPS] == [(label, icon) for label, icon, _ in SIDEBAR]
    assert [s.url_path for s in nav.STEPS] == ["data", "skew", "strategies", "map", "evaluate", "search", "export"]


def test_url_paths_match_the_file_names():
    # On a fresh server Streamlit's legacy first run finds a deep-linked page by its file name
    # (pages/1_skew.py -> /skew); a different url_path would answer the first request "Page not found".
    for step in nav.STEPS:
        assert re.fullmatch(r"pages/\d+_" + re.escape(step.url_path) + r"\.py", step.script), step


@pytest.mark.parametrize("path", UI_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_path_or_page_command_outside_the_declaration(path):
    if path == DECLARATION:
        return
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"""["']pages/""", text), "page paths belong in ui/nav.py only"
    assert not re.search(r"\bst\.(page_link|switch_page|navigation|Page)\b", text), "use ui.nav (link, STEPS)"


def sidebar_links(at) -> list[tuple[str, str, str]]:
    return [(link.proto.label, link.proto.icon, link.proto.page) for link in at.sidebar.get("page_link")]


def test_the_app_opens_on_data_with_the_step_links(app):
    assert [t.value for t in app.title] == ["Data"]
    assert sidebar_links(app) == SIDEBAR


@pytest.mark.parametrize("title", [label for label, _, _ in SIDEBAR])
def test_every_page_runs_once_inside_the_navigation(app, title, monkeypatch):
    # AppTest starts every run in Streamlit's legacy pages/ mode, like a fresh server: the page file runs
    # alone first and must hand the run over to the app's navigation (ui.nav.enter).
    runs = []
    run_app = nav.run_app
    monkeypatch.setattr(nav, "run_app", lambda: runs.append(title) or run_app())
    at = goto(app, title)
    assert runs == [title]
    # The page ran once (not a second time after the hand-over to the navigation) ...
    assert [t.value for t in at.title] == [title]
    # ... with the app's sidebar links (drawn once).
    assert sidebar_links(at) == SIDEBAR
