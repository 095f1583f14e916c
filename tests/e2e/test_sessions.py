"""Browser test of SECURITY.md's promise "your data ... for your session only".

Four browser contexts (four Streamlit sessions) against one server upload four different catalogs at the
same time, then each sees only its own rows, classes and class names; a fifth never uploads and keeps the
sample. Playwright's sync API lives in one thread, so the sessions are driven concurrently by firing an
action on every page first and only then waiting for each page: the server handles them at the same time.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, new_context
from tests.e2e.helpers import PAGE_PATHS, metric, no_exception, page_url, sidebar_link, wait_idle

pytestmark = pytest.mark.xdist_group("e2e")

SAMPLE_ROWS, SAMPLE_CLASSES, SAMPLE_RATIO = "10,000", "43", "1,464.0"
DROPZONE = '[data-testid="stFileUploaderDropzoneInput"]'


@dataclass(frozen=True)
class Catalog:
    name: str
    counts: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def ratio(self) -> str:
        return f"{max(self.counts.values()) / min(self.counts.values()):,.1f}"

    def write(self, folder, seed: int):
        rng = random.Random(seed)
        words = "wooden soft classic mini deluxe kit puzzle big little set".split()
        rows = [[" ".join(rng.choice(words) for _ in range(3)), f"{rng.uniform(1, 99):.2f}", cls]
                for cls, n in self.counts.items() for _ in range(n)]
        rng.shuffle(rows)
        path = folder / self.name
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["title", "price", "category"])
            w.writerows(rows)
        return path


# Different file names, row counts, class counts, class names and imbalance ratios.
CATALOGS = [
    Catalog("north.csv", {"Anchor": 70, "Beacon": 30, "Compass": 20}),
    Catalog("east.csv", {"Dahlia": 80, "Elm": 40, "Fern": 20, "Gorse": 10}),
    Catalog("south.csv", {"Harbor": 90, "Inlet": 40, "Jetty": 25, "Keel": 15, "Lagoon": 10}),
    Catalog("west.csv", {"Maple": 100, "Nettle": 50, "Oak": 25, "Pine": 15, "Quince": 12, "Rowan": 8}),
]
SECOND = Catalog("north-again.csv", {"Sapphire": 50, "Topaz": 25})


def radio(page: Page, text: str):
    return page.locator('[data-testid="stRadioOption"]').filter(has=page.get_by_text(text, exact=True))


def wait_upload(page: Page, name: str) -> None:
    chip = page.locator('[data-testid="stFileUploader"] [data-testid="stFileChip"]').filter(
        has=page.locator('[data-testid="stFileChipName"]', has_text=name))
    expect(chip).to_be_visible()
    expect(chip.locator('[data-testid="stFileChipIconSpinner"]')).to_have_count(0)
    wait_idle(page)


def expect_data_page(page: Page, cat: Catalog | None) -> None:
    """The Data page shows ``cat`` (or the built-in sample if None)."""
    expect(page).to_have_url(page_url("Data"))
    if cat is None:
        expect(radio(page, "Built-in sample").get_by_role("radio")).to_be_checked()
        expect(metric(page, "Rows")).to_have_text(SAMPLE_ROWS)
        expect(page.locator('[data-testid="stSidebar"]')).not_to_contain_text("Catalog: ")
    else:
        expect(page.locator('[data-testid="stSidebar"]')).to_contain_text(f"Catalog: {cat.name}")
        expect(metric(page, "Rows")).to_have_text(f"{cat.rows:,}")
        expect(page.get_by_text(f"{len(cat.counts)} classes", exact=True)).to_be_visible()
    no_exception(page)


def expect_skew_page(page: Page, cat: Catalog) -> None:
    expect(page).to_have_url(page_url("Skew"))
    expect(page.get_by_text(f"Class distribution of category in {cat.name}.", exact=True)).to_be_visible()
    expect(metric(page, "Classes")).to_have_text(str(len(cat.counts)))
    expect(metric(page, "Imbalance ratio")).to_have_text(cat.ratio)
    bars = page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".gtitle", has_text="Rows per class"))
    ticks = bars.locator(".ytick text")
    expect(ticks).to_have_count(len(cat.counts))
    assert sorted(t.strip() for t in ticks.all_text_contents()) == sorted(cat.counts)
    # Rows per group (medium / tail ...) add up to this catalog's rows.
    deltas = page.locator('[data-testid="stMetricDelta"]').filter(has_text=" rows · ").all_inner_texts()
    assert sum(int(d.split(" rows")[0].replace(",", "").split()[-1]) for d in deltas) == cat.rows, deltas
    no_exception(page)


@pytest.fixture
def sessions(chromium, request):
    """Five isolated browser contexts (five Streamlit sessions); screenshots of every page on failure."""
    contexts = [new_context(chromium) for _ in range(5)]
    pages = [c.new_page() for c in contexts]
    yield pages
    failed = any(getattr(request.node, f"rep_{w}", None) is not None and getattr(request.node, f"rep_{w}").failed
                 for w in ("setup", "call"))
    for i, (ctx, pg) in enumerate(zip(contexts, pages)):
        if failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            try:
                pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-session{i}.png"), full_page=True, timeout=15_000)
            except Exception as exc:  # never hide the real failure
                print(f"screenshot of session {i} failed: {exc}")
        ctx.close()


def test_concurrent_sessions_see_only_their_own_upload(sessions, server_url, tmp_path):
    uploaders, bystander = sessions[:4], sessions[4]
    paths = [cat.write(tmp_path, seed=i) for i, cat in enumerate(CATALOGS)]

    for page in sessions:
        page.goto(server_url + PAGE_PATHS["Data"], wait_until="commit")
    for page in sessions:
        wait_idle(page)
        expect_data_page(page, None)

    for page in uploaders:
        radio(page, "Upload a file").click()
    for page in uploaders:
        wait_idle(page)
        expect(page.locator(DROPZONE)).to_be_attached()

    # Four uploads in flight at once, then each session's own rerun.
    for page, path in zip(uploaders, paths):
        page.locator(DROPZONE).set_input_files(str(path))
    for page, cat in zip(uploaders, CATALOGS):
        wait_upload(page, cat.name)
    for page, cat in zip(uploaders, CATALOGS):
        expect_data_page(page, cat)

    for page in sessions:
        sidebar_link(page, "Skew").click()
    for page, cat in zip(uploaders, CATALOGS):
        expect(page).to_have_url(page_url("Skew"))
        wait_idle(page)
        expect_skew_page(page, cat)
    wait_idle(bystander)
    expect(metric(bystander, "Classes")).to_have_text(SAMPLE_CLASSES)

    # Session A uploads another catalog while B, C and D go back to Data in their own sessions.
    a, b = uploaders[0], uploaders[1]
    sidebar_link(a, "Data").click()
    for page in uploaders[1:]:
        sidebar_link(page, "Data").click()
    expect(a).to_have_url(page_url("Data"))
    wait_idle(a)
    a.locator(DROPZONE).set_input_files(str(SECOND.write(tmp_path, seed=9)))
    wait_upload(a, SECOND.name)
    expect_data_page(a, SECOND)
    for page, cat in zip(uploaders[1:], CATALOGS[1:]):
        wait_idle(page)
        expect_data_page(page, cat)
    sidebar_link(a, "Skew").click()
    for page in uploaders[1:]:
        sidebar_link(page, "Skew").click()
    expect(a).to_have_url(page_url("Skew"))
    wait_idle(a)
    expect_skew_page(a, SECOND)
    for page, cat in zip(uploaders[1:], CATALOGS[1:]):
        expect(page).to_have_url(page_url("Skew"))
        wait_idle(page)
        expect_skew_page(page, cat)

    # A reload starts a new Streamlit session that gets its tab's own catalog back through the token in the
    # URL (ui/persist.py): B its own upload, the bystander the sample; never A's upload.
    for page in (b, bystander):
        page.reload()
    for page in (b, bystander):
        wait_idle(page)
        expect(page).to_have_url(page_url("Skew"))
    expect_skew_page(b, CATALOGS[1])
    expect(metric(bystander, "Classes")).to_have_text(SAMPLE_CLASSES)
    expect(metric(bystander, "Imbalance ratio")).to_have_text(SAMPLE_RATIO)
    for cat in (*CATALOGS, SECOND):
        expect(bystander.locator('[data-testid="stSidebar"]')).not_to_contain_text(cat.name)
    ticks = bystander.locator('[data-testid="stPlotlyChart"] .ytick text')
    expect(ticks.first).to_be_attached()
    others = {c for cat in (*CATALOGS, SECOND) for c in cat.counts}
    assert not others & {t.strip() for t in ticks.all_text_contents()}
    for page in (b, bystander):
        no_exception(page)
