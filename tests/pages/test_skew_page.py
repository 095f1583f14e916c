"""Skew page: metric cards, charts and warnings on the sample and on an upload."""

from __future__ import annotations

import json
from html import unescape

from tests.longtail import SEPARATOR, make_longtail
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


def _longtail_skew(app):
    frame = make_longtail(22_000, 700)
    at = upload(app, "longtail.csv", frame.to_csv(index=False).encode())
    at.selectbox(key="label").set_value("category").run()
    at.selectbox(key="level").set_value(0).run()  # the full path: 700 classes
    return frame, goto(at, "Skew")


def test_700_classes_tail_first_search_and_the_rows_of_a_class(app):
    frame, at = _longtail_skew(app)
    counts = frame["category"].value_counts()  # the expected figures, counted with pandas
    assert metric(at, "Classes") == f"{len(counts):,}" == "700"
    assert metric(at, "Tail classes") == f"{(counts < 20).sum():,}"
    assert metric(at, "Rows without a label") == f"{frame['category'].isna().sum():,}"
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [s["layout"]["title"]["text"] for s in specs]
    assert titles[0] == "Rows per class, tail first, smallest first (45 of 700 classes)", titles
    assert "Every class by size (700 classes, one dot each)" in titles
    assert all(s["layout"]["height"] <= 1000 for s in specs)
    # the bars start with single-row tail classes: the smallest first
    bars = [t for t in specs[0]["data"] if t["type"] == "bar"]
    assert bars[0]["name"] == "tail (< 20 rows)" and len(bars[0]["y"]) == 15
    drawn = [unescape(cd[0]) for cd in bars[0]["customdata"]]
    assert all(counts[c] == 1 for c in drawn)
    # the strip has one dot per class
    strip = specs[titles.index("Every class by size (700 classes, one dot each)")]
    assert sum(len(t["customdata"]) for t in strip["data"]) == 700
    # search (case-insensitive) for the sub-category of the largest class: the table keeps the matching classes
    term = counts.index[0].split(SEPARATOR)[1].upper()
    at.text_input(key="skew_search").set_value(term).run()
    wanted = sorted(c for c in counts.index if term.lower() in c.lower())
    assert len(wanted) > 1
    table = at.dataframe[0].value
    assert sorted(table["class"]) == wanted and table["rows"].tolist() == sorted(counts[wanted].tolist())
    # drill down: the catalog's rows of one class, as loaded
    cls = min((c for c in wanted if counts[c] >= 2), key=lambda c: (counts[c], c))
    at.selectbox(key="skew_class_rows").set_value(cls).run()
    assert not at.exception
    rows = at.dataframe[1].value
    expected = frame[frame["category"] == cls]
    assert rows.index.tolist() == expected.index.tolist()
    assert rows["title"].tolist() == expected["title"].tolist()
    assert any(c.value.startswith(f"{len(expected):,} rows of **{cls}**") for c in at.caption)
