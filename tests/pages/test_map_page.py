"""Map page on the built-in sample: one panel per strategy, the sample note, the audit table."""

from __future__ import annotations

import base64
import json
from html import escape

import numpy as np
import pandas as pd

from core.data.io import SAMPLE_LABEL, SAMPLE_PATH
from tests.pages.conftest import goto, upload

RUN = {
    "strategies": [
        {"name": "smote", "params": {}},
        {"name": "random_under", "params": {}},
        {"name": "isolation_forest", "params": {}},
    ],
    "target": "hybrid:400:50",
    "small_classes": "random_over",
    "seed": 0,
    "text_dim": 8,
}
LABELS = ("SMOTE", "Random under-sampling", "Isolation Forest outliers")


def _values(v) -> np.ndarray:
    """Plotly 7 writes numeric arrays as {"dtype", "bdata"} (base64)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v)


def _map_spec(at) -> dict:
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 1
    return charts[0]


def _open_map(app, **choices):
    app.session_state["run_config"] = RUN
    for k, v in choices.items():
        app.session_state[k] = v
    return goto(app, "Map")


def test_map_with_pca_on_a_sample_of_the_catalog(app):
    at = _open_map(app, choice_map_method="PCA", choice_map_cap=2_000)
    assert not at.exception
    spec = _map_spec(at)
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    for label in LABELS:
        assert any(t.startswith(label) for t in titles), (label, titles)
    assert any("synthetic" in t and "removed" in t for t in titles)
    notes = [i.value for i in at.info]
    assert any(n.startswith("PCA fitted on") and "of 9,310 real rows: all medium and tail rows, head classes sampled" in n
               for n in notes), notes
    # every point trace is WebGL, and removed rows show as x ghosts
    traces = spec["data"]
    assert all(t["type"] == "scattergl" for t in traces)
    assert any(t.get("marker", {}).get("symbol") == "x" and len(_values(t["x"])) > 0 for t in traces)
    assert any(t.get("marker", {}).get("symbol") == "diamond" and len(_values(t["x"])) > 0 for t in traces)
    # the audit table has one row per strategy
    frames = [d.value for d in at.dataframe]
    summary = next(f for f in frames if "worst issue" in f.columns)
    assert sorted(summary["strategy"]) == sorted(LABELS)
    # highlighting a class SMOTE lifted, with seed lines: segments appear
    assert at.selectbox(key="choice_map_audit_strategy").value == "SMOTE"
    per_class = next(f for f in frames if "near_copies" in f.columns)
    lifted = per_class.sort_values("synthetic", ascending=False)["class"].iloc[0]
    at.selectbox(key="choice_map_highlight").set_value(lifted).run()
    at.toggle(key="choice_map_segments").set_value(True).run()
    assert not at.exception
    traces = _map_spec(at)["data"]
    lines = [t for t in traces if t.get("mode") == "lines" and t["name"] == "seed → synthetic"]
    assert lines and len(_values(lines[0]["x"])) == 3 * int(per_class.set_index("class").loc[lifted, "synthetic"])
    # a strategy without synthetic rows has no drift per class: dashes, not grey None cells
    at.selectbox(key="choice_map_audit_strategy").set_value("Random under-sampling").run()
    per_class = next(d.value for d in at.dataframe if "near_copies" in d.value.columns)
    assert set(per_class["worst_drift"]) == {"—"}


def test_map_with_umap_on_every_row_of_a_small_upload(app):
    # UMAP on a 1,200-row slice of the sample keeps the test fast; the map fits on every row
    frame = pd.read_csv(SAMPLE_PATH, dtype=str, keep_default_na=False).iloc[:1200]
    frame.loc[0, "product_name"] = "<b>bold</b> & <script>alert(1)</script>"
    frame.loc[0, SAMPLE_LABEL] = "Hobbies > Trains"
    at = upload(app, "slice.csv", frame.to_csv(index=False).encode())
    labelled = int((frame[SAMPLE_LABEL].str.strip() != "").sum())
    at = _open_map(at, choice_map_method="UMAP", choice_map_cap=20_000)
    spec = _map_spec(at)
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert [t.split("<br>")[0] for t in titles] == list(LABELS)
    assert any(i.value.startswith(f"UMAP fitted on all {labelled:,} real rows") for i in at.info), [i.value for i in at.info]
    # hover text of real rows: the product title first, HTML-escaped, then class and row id
    hovers = [h for t in spec["data"] if t.get("marker", {}).get("symbol") == "circle" and t.get("hovertext")
              for h in t["hovertext"]]
    assert all("class: " in h and "real row " in h for h in hovers)
    row0 = next(h for h in hovers if h.endswith("real row 0"))
    assert row0.startswith("<b>&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</b>")
    assert "<script>" not in json.dumps(spec)
    assert np.isfinite(_values(spec["data"][0]["x"])).all()


def test_adding_a_strategy_reuses_the_fitted_map_and_keeps_points_in_place(app, monkeypatch):
    from core.mapping import projection
    from ui import map_view

    calls = {"fit": 0, "place": []}
    real_fit, real_place = projection.fit_base, projection.place

    def fit(*a, **k):
        calls["fit"] += 1
        return real_fit(*a, **k)

    def place(base, result, **kw):
        calls["place"].append(result.strategy)
        return real_place(base, result, **kw)

    monkeypatch.setattr(map_view, "fit_base", fit)
    monkeypatch.setattr(map_view, "place", place)
    # a cap no other test uses: the process-wide map cache has no entry for it yet
    at = _open_map(app, choice_map_method="PCA", choice_map_cap=2_345)
    assert not at.exception and calls["fit"] == 1
    assert sorted(calls["place"]) == ["isolation_forest", "random_under", "smote"]
    before = [_values(t["x"]) for t in _map_spec(at)["data"] if t.get("marker", {}).get("symbol") == "diamond"]
    # the analyst adds random over-sampling on the Strategies page, then comes back to the map
    bigger = dict(RUN, strategies=RUN["strategies"] + [{"name": "random_over", "params": {}}])
    at.session_state["run_config"] = bigger
    at = goto(at, "Map")
    assert not at.exception
    assert calls["fit"] == 1, "the base map was fitted again"
    assert calls["place"][3:] == ["random_over"], calls["place"]
    spec = _map_spec(at)
    assert len(spec["layout"]["annotations"]) >= 4
    after = [_values(t["x"]) for t in spec["data"] if t.get("marker", {}).get("symbol") == "diamond"]
    # SMOTE's panel comes first: its synthetic rows sit exactly where they were
    assert len(before[0]) > 0 and np.array_equal(before[0], after[0])


def test_700_classes_map_is_coloured_by_group_and_says_how_rows_are_placed(app):
    from core.charts.map import OTHER_COLOR
    from core.charts.skew import GROUP_COLORS
    from tests.longtail import make_longtail

    frame = make_longtail(6_000, 700)
    at = upload(app, "longtail.csv", frame.to_csv(index=False).encode())
    at.selectbox(key="label").set_value("category").run()
    at.selectbox(key="level").set_value(0).run()
    run = dict(RUN, strategies=[{"name": "smote", "params": {}}, {"name": "random_over", "params": {}}],
               target="floor:30")
    at.session_state["run_config"] = run
    at.session_state["choice_map_method"] = "PCA"
    at = goto(at, "Map")
    assert not at.exception
    spec = _map_spec(at)
    added = [int(a["text"].split("+")[1].split(" ")[0].replace(",", "")) for a in spec["layout"]["annotations"]
             if "synthetic" in a["text"]]
    diamonds = [t for t in spec["data"] if t.get("marker", {}).get("symbol") == "diamond" and t["name"] != "synthetic rows"]
    # every synthetic row is drawn (placed between its parents or on the row it copies), none in grey
    assert sum(len(_values(t["x"])) for t in diamonds) == sum(added) > 0
    assert {t["marker"]["color"] for t in diamonds} <= set(GROUP_COLORS.values())
    assert not any(t["marker"]["color"] == OTHER_COLOR for t in spec["data"] if "marker" in t)
    assert any(t["name"] == "tail classes (&lt; 20 rows)" or t["name"] == "tail classes (< 20 rows)" for t in spec["data"])
    infos = [i.value for i in at.info]
    assert any("At most 5,000 rows per strategy go through transform" in n for n in infos), infos
    # the neighbour checks of a strategy with more than 5,000 synthetic rows run on a stated sample
    sampled = next((n for n in infos if n.startswith("Overlap and near copies are shares of a sample")), "")
    for label, n in zip(("SMOTE", "Random over-sampling"), added):
        assert (f"**{label}** 5,0" in sampled and f"of {n:,} synthetic rows" in sampled) == (n > 5000), (label, n, sampled)
    captions = [c.value for c in at.caption]
    assert any(c.startswith("SMOTE: ") and "between their two parents' map positions" in c for c in captions), captions
    assert any(c.startswith("Random over-sampling: ") and "on the real row they copy" in c for c in captions), captions
    # a chosen set of classes: those coloured, the others grey
    counts = frame["category"].value_counts()
    picks = sorted(counts[counts == 2].index)[:2]
    at.radio(key="choice_map_colour").set_value("Chosen classes").run()
    at.multiselect(key="choice_map_classes").set_value(picks).run()
    assert not at.exception
    names = {t["name"] for t in _map_spec(at)["data"]}
    assert {escape(p, quote=False) for p in picks} <= names or set(picks) <= names, names
    assert "other classes" in names
