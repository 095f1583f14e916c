"""Small Playwright helpers for driving the Streamlit app in the browser tests.

Every helper that acts on the page waits until Streamlit is idle again before it returns, so the
next line can assert with ``expect(...)`` (which retries) instead of sleeping.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.e2e.harness import wait_idle

__all__ = [
    "goto", "wait_idle", "upload_file", "choose_radio", "choose_selectbox", "selectbox_value",
    "metric", "metric_value", "chart", "chart_titles", "sidebar_link", "open_page", "no_exception",
    "PAGE_PATHS", "page_url", "set_number",
]

EXCEPTION = '[data-testid="stException"]'
#: Each page's URL path, by its sidebar label: the Data page is the app's root.
PAGE_PATHS = {"Data": "/", "Skew": "/skew", "Strategies": "/strategies", "Map": "/map", "Evaluate": "/evaluate",
              "Search": "/search", "Export": "/export"}
ALERT = '[data-testid="stAlert"]'


def goto(page: Page, url: str, path: str = "/") -> None:
    """Open ``url + path`` (e.g. ``"/skew"``) and wait until the script run is over."""
    page.goto(url.rstrip("/") + "/" + path.lstrip("/"))
    wait_idle(page)


def upload_file(page: Page, path: str | Path) -> None:
    """Put ``path`` into the (visible) file uploader and wait for the rerun it triggers."""
    path = Path(path)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    # The file chip shows a spinner while the upload request runs; the rerun comes after that.
    chip = page.locator('[data-testid="stFileUploader"] [data-testid="stFileChip"]').filter(
        has=page.locator('[data-testid="stFileChipName"]', has_text=path.name))
    expect(chip).to_be_visible()
    expect(chip.locator('[data-testid="stFileChipIconSpinner"]')).to_have_count(0)
    wait_idle(page)


def set_number(page: Page, label_text: str, value: int) -> None:
    """Type ``value`` into the number input labelled ``label_text``, press Enter and wait until the rerun kept it."""
    box = page.get_by_role("spinbutton", name=label_text, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)
    expect(box).to_have_value(str(value))


def choose_radio(page: Page, option_text: str) -> None:
    """Click the radio option whose text is exactly ``option_text``."""
    option = page.locator('[data-testid="stRadioOption"]').filter(
        has=page.get_by_text(option_text, exact=True))
    option.click()
    wait_idle(page)


def _selectbox_input(page: Page, label_text: str) -> Locator:
    box = page.locator('[data-testid="stSelectbox"]').filter(
        has=page.locator(f'input[aria-label="{_css_string(label_text)}"]'))
    return box.locator('input[role="combobox"]')


def selectbox_value(page: Page, label_text: str) -> Locator:
    """The combobox ``<input>`` of the selectbox labelled ``label_text`` (its value is the shown option);
    use ``expect(selectbox_value(...)).to_have_value(...)``."""
    return _selectbox_input(page, label_text)


def choose_selectbox(page: Page, label_text: str, option_text: str) -> None:
    """Open the selectbox labelled ``label_text`` and click the option shown as ``option_text``."""
    field = _selectbox_input(page, label_text)
    field.click()
    option = page.get_by_role("option", name=option_text, exact=True)
    try:
        option.wait_for(state="visible", timeout=3_000)
    except Exception:  # long, virtualised lists: filter by typing, then the option renders
        field.fill(option_text)
        option.wait_for(state="visible")
    option.click()
    wait_idle(page)
    expect(field).to_have_value(option_text)


def metric(page: Page, label: str) -> Locator:
    """The value element of the ``st.metric`` whose label is exactly ``label`` (for ``expect``)."""
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True))
    return card.locator('[data-testid="stMetricValue"]')


def metric_value(page: Page, label: str) -> str:
    """The text of the ``st.metric`` labelled exactly ``label`` (waits until it is shown)."""
    value = metric(page, label)
    expect(value).to_have_count(1)
    return value.inner_text().strip()


def chart(page: Page, title_start: str) -> Locator:
    """The Plotly chart whose title starts with ``title_start``."""
    return page.locator('[data-testid="stPlotlyChart"]').filter(
        has=page.locator(".gtitle", has_text=re.compile("^" + re.escape(title_start))))


def chart_titles(page: Page) -> list[str]:
    """Titles of the Plotly charts on the page, in page order (call after ``wait_idle``; waits until
    every chart has been drawn). Charts without a title are left out."""
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        charts.nth(i).locator(".main-svg").first.wait_for(state="attached")
    # SVG text has no innerText: read textContent.
    return [t.strip() for t in charts.locator(".gtitle").all_text_contents()]


def sidebar_link(page: Page, label: str) -> Locator:
    """The sidebar page link shown as ``label`` ("Data", "Skew", ...)."""
    return page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]').filter(
        has=page.get_by_text(label, exact=True))


def page_url(label: str) -> re.Pattern:
    """The URL of the page with this sidebar label, on any server (for ``expect(page).to_have_url``)."""
    # the query keeps the session's token (?s=..., see ui/persist.py)
    return re.compile(r"^https?://[^/]+" + re.escape(PAGE_PATHS[label].rstrip("/")) + r"/?(\?.*)?$")


def open_page(page: Page, label: str) -> None:
    """Switch page through the sidebar link (keeps the session) and wait for the new page."""
    sidebar_link(page, label).click()
    expect(page).to_have_url(page_url(label))
    wait_idle(page)


def no_exception(page: Page) -> None:
    """Assert that no uncaught exception box is shown."""
    expect(page.locator(EXCEPTION)).to_have_count(0)


def upload_catalog(page: Page, url: str, path: str | Path, n_classes: int) -> None:
    """Data page: switch to upload, upload ``path``, see its ``n_classes`` classes, no exception."""
    goto(page, url, PAGE_PATHS["Data"])
    choose_radio(page, "Upload a file")
    upload_file(page, path)
    no_exception(page)
    expect(page.get_by_text(f"{n_classes} classes", exact=True)).to_be_visible()


def set_tail_floor(page: Page, floor: int) -> None:
    """Strategies page: choose the tail-floor target and set its floor."""
    choose_radio(page, "Tail floor")
    box = page.get_by_label("Every class at least")
    box.fill(str(floor))
    box.press("Enter")
    wait_idle(page)
    expect(box).to_have_value(str(floor))


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
