"""Data page: sample on open, uploads, bad uploads, label and level choice."""

from __future__ import annotations

from tests.pages.conftest import goto, upload


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_opens_on_the_sample_catalog(app):
    at = goto(app, "Data")
    assert at.title[0].value == "Data"
    assert metric(at, "Rows") == "10,000"
    assert metric(at, "Columns") == "9"
    assert at.session_state["label"] == "amazon_category_and_sub_category"
    assert at.session_state["level"] == 1
    assert any("690 rows (6.9%) have no label" in w.value for w in at.warning)
    assert any("43 classes" in m.value for m in at.markdown)
    assert any("CC BY-SA 4.0" in c.value for c in at.caption)


def test_upload_semicolon_cp1252_is_read_and_labelled(app):
    data = "name;price;family\n" + "".join(
        f"Crème {i};{i},5;{'Jouets' if i % 4 else 'Déco'}\n" for i in range(40)
    )
    at = upload(app, "cat.csv", data.encode("cp1252"))
    assert metric(at, "Rows") == "40"
    assert metric(at, "Encoding · delimiter") == "cp1252 · semicolon"
    assert at.session_state["label"] == "family"
    assert any("2 classes" in m.value for m in at.markdown)


def test_role_table_counts_distinct_values_on_every_row(app):
    # 20,600 rows; the brand "Zeta" first appears at row 20,300, after the 20,000 rows roles are inferred from
    brands = ["Alpha", "Beta", "Gamma"]
    rows = [f"toy {i},{brands[i % 3] if i != 20_300 else 'Zeta'},{'a' if i % 2 else 'b'}\n" for i in range(20_600)]
    at = upload(app, "big.csv", ("name,brand,category\n" + "".join(rows)).encode())
    assert not at.exception
    assert metric(at, "Rows") == "20,600"
    assert at.session_state["label"] == "category"
    table = next(d.value for d in at.dataframe if "distinct" in d.value.columns)
    row = table.set_index("column").loc["brand"]
    assert (row["role"], row["distinct"], row["why"]) == ("categorical", 4, "4 distinct values")
    assert any(c.value.startswith("Roles inferred from the first 20,000 rows; missing and distinct are counted on all "
                                  "rows.") for c in at.caption)


def test_bad_upload_shows_message_and_no_exception(app):
    at = upload(app, "broken.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    assert not at.exception
    assert len(at.error) == 1
    assert "binary, not a text table" in at.error[0].value
    assert any("switch back to the built-in sample" in i.value for i in at.info)


def test_empty_upload_says_so(app):
    at = upload(app, "empty.csv", b"")
    assert "empty.csv is empty (0 bytes)" in at.error[0].value


def test_single_class_label_is_refused_with_a_way_forward(app):
    data = "title,cat\n" + "".join(f"item {i},Toys\n" for i in range(10))
    at = upload(app, "one.csv", data.encode())
    at.selectbox(key="label").set_value("cat").run()
    assert any("has 1 class" in e.value and "Pick another label" in e.value for e in at.error)


def test_level_choice_changes_the_classes(app):
    at = goto(app, "Data")
    at.selectbox(key="level").set_value(2).run()
    assert any("152 classes" in m.value for m in at.markdown)
    at.selectbox(key="level").set_value(0).run()  # 0 = full path
    assert any("255 classes" in m.value for m in at.markdown)
