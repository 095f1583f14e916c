"""Browser test of SECURITY.md's promise "user text is never rendered as HTML".

A catalog whose category names are markup (``<img src=x onerror=alert(1)>``, ``<script>alert('x')</script>``)
goes through Data, Skew (charts, hovers, the class table) and Strategies (a run). No dialog may open, no
element may ever be created from those names (a MutationObserver watches the whole document from before the
first script), and the names must show as literal text.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.corpus import HOSTILE_NAMES, hostile_names
from tests.e2e.helpers import PAGE_PATHS, choose_radio, goto, no_exception, open_page, upload_file, wait_idle
from tests.e2e.test_strategies_e2e import choose_strategies, grid_records, results_table

pytestmark = pytest.mark.xdist_group("e2e")

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert('x')</script>"

# Runs in every frame before any page script: records dialogs called from script, and every element that
# is ever inserted (or changed) with the attributes the hostile names carry, even if removed again.
WATCH = r"""
(() => {
  window.__xss = [];
  for (const name of ["alert", "confirm", "prompt"]) {
    const original = window[name];
    window[name] = function (...args) { window.__xss.push(name + ":" + String(args[0])); return original.apply(this, args); };
  }
  const suspicious = (el) => {
    if (!(el instanceof Element)) return null;
    const tag = el.tagName.toLowerCase();
    if (el.hasAttribute("onerror")) return tag + "[onerror]";
    if (tag === "img" && el.getAttribute("src") === "x") return "img[src=x]";
    if (tag === "script" && (el.textContent || "").includes("alert(")) return "script:" + el.textContent;
    return null;
  };
  const check = (node) => {
    if (!(node instanceof Element)) return;
    for (const el of [node, ...node.querySelectorAll("*")]) {
      const hit = suspicious(el);
      if (hit) window.__xss.push("element:" + hit);
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "attributes") check(r.target);
      else r.addedNodes.forEach(check);
    }
  }).observe(document, {childList: true, subtree: true, attributes: true, attributeFilter: ["src", "onerror"]});
})();
"""


def assert_clean(page: Page, dialogs: list[str]) -> None:
    assert dialogs == [], dialogs
    assert page.evaluate("() => window.__xss") == [], page.evaluate("() => window.__xss")
    found = page.evaluate("""() => ({
        img: document.querySelectorAll('img[src="x"]').length,
        onerror: document.querySelectorAll('[onerror]').length,
        scripts: [...document.scripts].filter(s => s.textContent.includes("alert('x')")).length,
    })""")
    assert found == {"img": 0, "onerror": 0, "scripts": 0}, found
    no_exception(page)


def svg_texts(chart: Locator, selector: str) -> list[str]:
    return [t.strip() for t in chart.locator(selector).all_text_contents()]


def plotly_chart(page: Page, title: str) -> Locator:
    return page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".gtitle", has_text=title))


def hover_label(page: Page, chart: Locator, name: str) -> str:
    """Point at the start of the bar of class ``name`` (found through its axis label) and return the text of
    the hover label Plotly draws for it."""
    tick = chart.locator(".ytick text").filter(has_text=re.compile("^" + re.escape(name) + "$"))
    expect(tick).to_have_count(1)
    row = tick.bounding_box()
    plot = chart.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(plot["x"] + 4, row["y"] + row["height"] / 2)
    label = chart.locator(".hoverlayer .hovertext")
    expect(label).to_have_count(1)
    expect(label).to_contain_text(name)
    text = label.text_content()
    page.mouse.move(0, 0)
    expect(label).to_have_count(0)
    return text


def test_markup_in_category_names_is_shown_as_text(page, server_url, tmp_path):
    name, data = hostile_names()
    path = tmp_path / name
    path.write_bytes(data)
    assert IMG in HOSTILE_NAMES and SCRIPT in HOSTILE_NAMES

    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}:{dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.add_init_script(WATCH)

    # ---- Data: the preview grid and the class count
    goto(page, server_url, PAGE_PATHS["Data"])
    choose_radio(page, "Upload a file")
    upload_file(page, path)
    expect(page.get_by_text("6 classes", exact=True)).to_be_visible()
    preview = page.locator('[data-testid="stDataFrame"]').first
    cells = {r["category"] for r in grid_records(preview, showing=IMG)}
    assert {IMG, SCRIPT} <= cells, cells
    assert_clean(page, dialogs)

    # ---- Skew: axis labels, hovers, the class table
    open_page(page, "Skew")
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("6")
    bars = plotly_chart(page, "Rows per class")
    expect(bars.locator(".ytick text")).to_have_count(6)
    ticks = svg_texts(bars, ".ytick text")
    assert IMG in ticks and SCRIPT in ticks, ticks
    assert hover_label(page, bars, IMG) == f"{IMG}15 rows (15.00%)"
    assert hover_label(page, bars, SCRIPT) == f"{SCRIPT}15 rows (15.00%)"
    classes = page.locator('[data-testid="stDataFrame"]').last
    names = {r.get("class") or next(iter(r.values())) for r in grid_records(classes, showing=SCRIPT)}
    assert {IMG, SCRIPT} <= names, names
    assert_clean(page, dialogs)

    # ---- Strategies: run random over-sampling, the comparison chart names every class literally
    open_page(page, "Strategies")
    choose_strategies(page, ["Random over-sampling · over-sampling"])
    page.get_by_role("button", name="Run strategies").click()
    wait_idle(page)
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
    strategies = [r["strategy"] for r in grid_records(results_table(page), showing="Random over-sampling")]
    assert strategies == ["before", "Random over-sampling"], strategies
    comparison = plotly_chart(page, "Rows per class before and after")
    comparison.scroll_into_view_if_needed()
    expect(comparison.locator(".ytick text")).to_have_count(6)
    assert set(svg_texts(comparison, ".ytick text")) == set(HOSTILE_NAMES) | {"Plain"}
    assert svg_texts(comparison, ".legendtext") == ["before", "Random over-sampling"]
    assert_clean(page, dialogs)
