"""AppTest of the Export page: choices, counts, preview, and the download of the bundle."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from core.export.recipe import read_recipe
from tests.pages.conftest import goto, open_app

RUN = {
    "strategies": [{"name": "random_over", "params": {"shrinkage": 0.0}}, {"name": "random_under", "params": {}}],
    "target": "hybrid:400:20", "small_classes": "random_over", "seed": 0, "text_dim": 16,
}


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[bytes, str | None]]:
    """Every file the page hands to a download button: (bytes, file name)."""
    seen: list[tuple[bytes, str | None]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if kind.name == "DOWNLOADABLE" or str(kind).endswith("DOWNLOADABLE"):
            seen.append((bytes(path_or_data), filename))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return seen


def test_without_a_run_the_page_points_to_strategies():
    at = open_app()
    goto(at, "Export")
    assert not at.get("download_button")
    assert any("Strategies" in i.value for i in at.info)


def test_export_page_builds_the_bundle_of_the_chosen_strategy(downloads):
    at = open_app()
    at.session_state["run_config"] = RUN
    goto(at, "Export")
    buttons = at.get("download_button")
    assert len(buttons) == 1 and buttons[0].proto.label == "Download bundle (.zip)"
    data, name = downloads[-1]
    assert name == "skewlab_amazon_uk_toys_catalog_random_over.zip"
    assert any(name in c.value for c in at.caption)
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert {"balanced.csv", "removed.csv", "recipe.json", "report.html", "README.txt"} == set(zf.namelist())
    recipe = read_recipe(zf.read("recipe.json"))
    assert recipe.strategy == "random_over" and recipe.target == "hybrid:400:20" and recipe.features.text_dim == 16
    assert recipe.label.level == 1 and recipe.scope.kind == "whole"
    out = pd.read_csv(zf.open("balanced.csv"), dtype=str, keep_default_na=False)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows in the export"] == f"{len(out):,}" and metrics["Rows in the catalog"] == "10,000"

    # another strategy, the split scope and Excel
    at.selectbox(key="choice_export_strategy").set_value("random_under").run()
    at.radio(key="choice_export_scope").set_value("split").run()
    at.radio(key="choice_export_format").set_value("xlsx").run()
    assert not at.exception, [e.value for e in at.exception]
    data, name = downloads[-1]
    assert name == "skewlab_amazon_uk_toys_catalog_random_under.zip"
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert "balanced.xlsx" in zf.namelist() and "removed.xlsx" in zf.namelist()
    recipe = read_recipe(zf.read("recipe.json"))
    assert recipe.scope.kind == "split" and recipe.scope.test_share == 0.2 and recipe.strategy == "random_under"
    assert any("only the train part" in i.value for i in at.info)

    # Parquet: the neutralize switch does not apply
    at.radio(key="choice_export_format").set_value("parquet").run()
    assert at.toggle(key="choice_export_neutralize").disabled
    assert any("Parquet is never altered" in c.value for c in at.caption)


def test_report_takes_the_audit_when_asked(downloads):
    at = open_app()
    at.session_state["run_config"] = {**RUN, "strategies": [{"name": "smote", "params": {"k_neighbors": 3}}]}
    goto(at, "Export")
    assert "audit" in at.multiselect(key="choice_export_sections").options
    at.multiselect(key="choice_export_sections").set_value(["audit"]).run()
    assert not at.exception, [e.value for e in at.exception]
    html = zipfile.ZipFile(io.BytesIO(downloads[-1][0])).read("report.html").decode()
    assert "Audit of synthetic rows" in html and "Not in this report: map, evaluation" in html
