"""Skew page: metric cards, charts and warnings on the sample and on an upload."""

from __future__ import annotations

import json

from tests.pages.conftest import goto, upload


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_skew_of_the_sample_catalog(app):
    at = goto(app, "Skew")
    assert metric(at, "Classes") == "43"
    assert metric(at, "Imbalance ratio") == "1,464.0"
    assert metric(at, "Head classes") == "13"
    assert metric(at, "Tail classes") == "29"
    assert metric(at, "Rows without a label") == "690"
    assert any("25 classes have fewer than 6 rows" in w.value for w in at.warning)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert "Rows per class" in titles
    assert "Long tail: cumulative share of rows" in titles
    assert any(t.startswith("Category tree") for t in titles)


def test_thresholds_regroup_classes(app):
    at = goto(app, "Skew")
    at.number_input(key="head_min").set_value(1000).run()
    assert metric(at, "Head classes") == "3"  # Hobbies 1464, Die-Cast 1221, Figures 1111


def test_skew_of_an_uploaded_flat_label(app):
    rows = ["a"] * 30 + ["b"] * 6 + ["c"] * 2
    data = "x,label\n" + "".join(f"{i},{c}\n" for i, c in enumerate(rows))
    at = upload(app, "flat.csv", data.encode())
    at.selectbox(key="label").set_value("label").run()
    at = goto(at, "Skew")
    assert metric(at, "Classes") == "3"
    assert metric(at, "Imbalance ratio") == "15.0"
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert not any(t.startswith("Category tree") for t in titles)
