"""Every case of the bad-input corpus (tests/corpus.py) through the real pages: a clear message
with a way forward, or correct handling; never a traceback, never a lost or changed row."""

from __future__ import annotations

import pytest

from tests import corpus
from tests.pages.conftest import goto, upload


def load(app, builder):
    name, data = builder()
    return upload(app, name, data, "application/octet-stream")


def errors(at):
    return [e.value for e in at.error]


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def frame_of(at):
    """The preview table (cells exactly as read)."""
    return at.dataframe[0].value


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize(
    "builder, message",
    [
        (corpus.empty, "empty.csv is empty (0 bytes). Export the table again with its header and rows."),
        (corpus.header_only, "header.csv has a header (3 columns) but no rows. Export the table again with its rows."),
        (corpus.truncated_parquet, "cut.parquet is not a readable Parquet file"),
        (corpus.bad_bytes_in_utf8, "byte 0xff at line 12, column 1 is not valid UTF-8"),
        (corpus.zip_of_two, "two.zip holds 2 files: products.csv, readme.txt."),
    ],
)
def test_unreadable_files_say_why_and_what_to_do(app, builder, message):
    at = load(app, builder)
    no_exception(at)
    assert len(at.error) == 1 and message in at.error[0].value
    assert at.info  # the way forward
    at = goto(at, "Skew")  # later pages repeat the message instead of failing
    assert message in errors(at)[0]


def test_mixed_encoding_can_be_read_as_latin1_on_request(app):
    at = load(app, corpus.bad_bytes_in_utf8)
    at.selectbox(key="encoding").set_value("latin-1").run()
    no_exception(at)
    assert not any("UTF-8" in e for e in errors(at))
    assert metric(at, "Rows") == "20"
    assert frame_of(at)["title"].iloc[10] == "\u00ffCr\u00c3\u00a8me 10"  # every byte read as latin-1, as asked


def test_zip_with_two_files_lets_the_analyst_pick_one(app):
    at = load(app, corpus.zip_of_two)
    at.selectbox(key="member").set_value("products.csv").run()
    no_exception(at)
    assert metric(at, "Rows") == "120"
    assert at.session_state["label"] == "category"


def test_workbook_with_several_sheets_names_them_and_switches(app):
    at = load(app, corpus.multi_sheet_xlsx)
    assert any("The workbook has 2 sheets (About, Products); this is 'About'." in i.value for i in at.info)
    at.selectbox(key="sheet").set_value("Products").run()
    no_exception(at)
    assert metric(at, "Rows") == "120"
    assert any("**3 classes**" in m.value for m in at.markdown)


def test_one_class_is_refused_with_a_way_forward(app):
    at = load(app, corpus.one_class)
    assert at.session_state["label"] == "category"
    assert any("The label category has 1 class: at least two are needed" in e for e in errors(at))
    at = goto(at, "Strategies")
    assert any("has 1 class(es); strategies need at least two" in e for e in errors(at))


def test_every_label_missing_is_counted_and_refused(app):
    at = load(app, corpus.all_labels_missing)
    assert any("120 rows (100.0%) have no label" in w.value for w in at.warning)
    assert any("has 0 classes" in e for e in errors(at))
    at = goto(at, "Skew")
    assert any("No row has a label" in e for e in errors(at))


def test_one_column_has_no_features_and_strategies_say_so(app):
    at = load(app, corpus.one_column)
    assert any("No column is a feature" in w.value for w in at.warning)
    at = goto(at, "Strategies")
    no_exception(at)
    assert any("feature" in e.lower() for e in errors(at)), errors(at)


@pytest.mark.parametrize(
    "builder, classes",
    [
        (corpus.numeric_labels, {"1": 72, "22": 30, "333": 18}),
        (corpus.date_labels, {"2024-01-01": 72, "2024-02-01": 30, "2024-03-01": 18}),
        (corpus.mixed_type_labels, {"7": 72, "Games": 30, "2024-03-01": 18}),
    ],
)
def test_labels_of_any_type_are_classes_as_written(app, builder, classes):
    at = load(app, builder)
    at = goto(at, "Skew")
    table = next(df.value for df in at.dataframe if "class" in df.value.columns)
    assert dict(zip(table["class"], table["rows"])) == classes


def test_ten_thousand_classes(app):
    at = load(app, corpus.many_classes)
    assert at.session_state["label"] == "category"
    at = goto(at, "Skew")
    no_exception(at)
    assert metric(at, "Classes") == "10,000"
    assert metric(at, "Imbalance ratio") == "51.0"
    assert any("9,999 with a single row" in w.value for w in at.warning) or any(
        "(9999 with a single row)" in w.value for w in at.warning), [w.value for w in at.warning]


def test_a_class_with_one_row_is_flagged(app):
    at = load(app, corpus.singleton_class)
    at = goto(at, "Skew")
    assert any("1 with a single row" in w.value and "Lonely" in w.value for w in at.warning)


def test_duplicate_and_blank_headers_are_named(app):
    at = load(app, corpus.duplicate_columns)
    assert any("'price.1'" in i.value for i in at.info)
    assert list(frame_of(at).columns) == ["price", "price.1", "category"]
    at = load(app, corpus.blank_column_names)
    assert any("Unnamed: 1" in i.value or "Column(s) 2" in i.value for i in at.info)


def test_inf_nan_and_money_are_numeric_and_cells_unchanged(app):
    at = load(app, corpus.inf_and_nan)
    assert at.session_state["roles"]["price"] == "numeric"
    assert list(frame_of(at)["price"].iloc[:4]) == ["inf", "-inf", "NaN", ""]
    at = load(app, corpus.thousands_and_currency)
    assert at.session_state["roles"]["price"] == "numeric"
    assert frame_of(at)["price"].iloc[0] == "£1,000.50"


def test_huge_cells_and_formula_cells_load_verbatim(app):
    at = load(app, corpus.huge_cells)
    assert at.session_state["roles"]["title"] == "text"
    assert len(frame_of(at)["title"].iloc[0]) == len("word " * 20_000)
    at = load(app, corpus.formula_cells)
    assert list(frame_of(at)["title"].iloc[:4]) == ["=SUM(A1:A9)", "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]


def test_five_thousand_columns(app):
    at = load(app, corpus.many_columns)
    no_exception(at)
    assert metric(at, "Columns") == "5,001"
    assert len(at.session_state["roles"]) == 5001
    # the leak check judges 500 columns and says how many it left
    unchecked = at.session_state["leak_unchecked"]
    assert unchecked == sum(r in ("numeric", "categorical", "text") for r in at.session_state["roles"].values()) - 500
    assert any(c.value == "Checked for label leaks: the 500 feature columns with the fewest distinct values; "
               f"{unchecked:,} others were not checked." for c in at.caption)


def test_hostile_category_names_are_plain_text(app):
    at = load(app, corpus.hostile_names)
    at = goto(at, "Skew")
    table = next(df.value for df in at.dataframe if "class" in df.value.columns)
    assert set(corpus.HOSTILE_NAMES) <= set(table["class"])
