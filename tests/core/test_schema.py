"""core.data.schema: column roles on the shared datasets and synthetic tables, numbers, labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.io import load_table
from core.data.schema import (
    describe_columns,
    detect_separator,
    feature_columns,
    infer_roles,
    is_missing_label,
    label_values,
    multi_valued_share,
    parse_numeric,
    path_depth,
    suggest_label,
)
from core.errors import SchemaError

TOYS_LABEL = "amazon_category_and_sub_category"


# ---------------------------------------------------------------- roles on the shared datasets


def test_toys_roles(toys_table):
    roles = infer_roles(toys_table.frame)
    assert roles == {
        "uniq_id": "id",
        "product_name": "text",
        TOYS_LABEL: "label",
        "manufacturer": "categorical",
        "price": "numeric",
        "number_available_in_stock": "categorical",
        "number_of_reviews": "numeric",
        "number_of_answered_questions": "numeric",
        "average_rating": "numeric",
    }
    assert suggest_label(toys_table.frame) == TOYS_LABEL
    assert feature_columns(roles)["numeric"] == ("price", "number_of_reviews", "number_of_answered_questions", "average_rating")


def test_toys_column_descriptions(toys_table):
    infos = {i.name: i for i in describe_columns(toys_table.frame)}
    assert infos[TOYS_LABEL].n_missing == 690
    assert infos[TOYS_LABEL].n_unique == 255
    assert infos["manufacturer"].n_missing == 7
    assert infos["manufacturer"].n_unique == 2651
    assert infos["price"].n_missing == 1435
    assert infos["number_available_in_stock"].n_missing == 2500
    assert infos["uniq_id"].n_unique == 10_000


@pytest.mark.parametrize(
    "name,features",
    [
        ("ecoli.csv", ["mcg", "gvh", "lip", "chg", "aac", "alm1", "alm2"]),
        ("yeast.csv", ["mcg", "gvh", "alm", "mit", "erl", "pox", "vac", "nuc"]),
    ],
)
def test_uci_protein_roles(datasets_dir, name, features):
    frame = load_table(datasets_dir / name).frame
    roles = infer_roles(frame)
    assert roles == {"sequence_name": "id", **{f: "numeric" for f in features}, "class": "label"}
    assert feature_columns(roles) == {"numeric": tuple(features), "categorical": (), "text": ()}


def test_page_blocks_roles(datasets_dir):
    frame = load_table(datasets_dir / "page_blocks.csv").frame
    roles = infer_roles(frame)
    numeric = ["height", "length", "area", "eccen", "p_black", "p_and", "mean_tr", "blackpix", "blackand", "wb_trans"]
    assert roles == {**{c: "numeric" for c in numeric}, "class": "label"}


def test_explicit_label_wins(datasets_dir):
    frame = load_table(datasets_dir / "ecoli.csv").frame
    roles = infer_roles(frame, label="lip")
    assert roles["lip"] == "label"
    assert roles["class"] == "categorical"


# ---------------------------------------------------------------- synthetic roles


def _frame(n=30) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": [str(i) for i in range(n)],
            "hex": [f"{i * 2654435761 % 2**64:016x}{i:016x}" for i in range(n)],
            "const": ["same"] * n,
            "empty": [""] * n,
            "price": [f"£{i},{i:03d}.50" for i in range(n)],
            "cls": ["a", "b", "c"] * (n // 3),
        }
    )


def test_synthetic_roles():
    roles = infer_roles(_frame(), label="cls")
    assert roles == {"row": "id", "hex": "id", "const": "ignore", "empty": "ignore", "price": "numeric", "cls": "label"}
    infos = {i.name: i for i in describe_columns(_frame())}
    assert infos["row"].reason == "row numbers"
    assert infos["empty"].reason == "every cell is empty"
    assert infos["const"].reason == "a single value"
    assert infos["empty"].n_missing == 30


def test_row_numbers_from_one_and_numeric_dtype_are_ids():
    frame = pd.DataFrame({"n": range(1, 31), "m": np.arange(30, dtype="float64"), "v": ["x", "y"] * 15})
    roles = infer_roles(frame, label="v")
    assert roles == {"n": "id", "m": "id", "v": "label"}


def test_shuffled_integers_are_numeric_not_row_numbers():
    values = np.random.default_rng(1).permutation(30) * 3
    roles = infer_roles(pd.DataFrame({"qty": values, "v": ["x", "y"] * 15}), label="v")
    assert roles["qty"] == "numeric"


def test_constant_numeric_and_all_nan_columns_are_ignored():
    frame = pd.DataFrame({"k": [7.0] * 10, "nan": [np.nan] * 10, "na": ["NA"] * 10, "v": ["x", "y"] * 5})
    roles = infer_roles(frame, label="v")
    assert roles == {"k": "ignore", "nan": "ignore", "na": "ignore", "v": "label"}


def test_free_text_and_categorical():
    n = 60
    frame = pd.DataFrame(
        {
            "title": [f"Wooden toy number {i} with extra long words" for i in range(n)],
            "brand": ["LEGO", "Hasbro", "Mattel", "Bandai"] * (n // 4),
        }
    )
    infos = {i.name: i for i in describe_columns(frame)}
    assert infos["title"].role == "text"
    assert infos["brand"].role == "categorical"
    assert infos["brand"].reason == "4 distinct values"


def test_distinct_values_are_counted_on_every_row_not_the_first_20000():
    n = 25_000
    cat = np.array(["LEGO", "Hasbro", "Mattel"] * (n // 3 + 1), dtype=object)[:n]
    cat[20_500] = "Bandai"  # a 4th value, first seen after row 20,000
    cat[21_000] = "n/a"  # a missing token: not a value
    cat[22_000] = None
    qty = np.arange(n) % 7 + 0.0
    qty[24_000] = 99.0  # an 8th number after row 20,000
    qty[24_001] = np.nan
    frame = pd.DataFrame({"brand": cat, "qty": qty, "v": ["x", "y"] * (n // 2)})
    infos = {i.name: i for i in describe_columns(frame)}
    assert infos["brand"].role == "categorical"
    assert infos["brand"].n_unique == 4 == len({c for c in cat if c not in (None, "n/a")})
    assert infos["brand"].reason == "4 distinct values"
    assert infos["brand"].n_missing == 2
    assert infos["qty"].role == "numeric"
    assert infos["qty"].n_unique == 8 and infos["qty"].n_missing == 1
    # the first 20,000 rows alone hold 3 brands and 7 numbers
    head = {i.name: i for i in describe_columns(frame.iloc[:20_000])}
    assert (head["brand"].n_unique, head["qty"].n_unique) == (3, 7)


# ---------------------------------------------------------------- parse_numeric


def test_parse_numeric_text_values_exact():
    cells = ["£1,234.50", "$5", " 7 ", "1 234", "1\u00a0234", "12%", "USD 10", "-1,000", "1e3", "0.5", "", "abc", "1,2,3", "€ 7,5"]
    got = parse_numeric(pd.Series(cells, dtype="string"))
    expected = [1234.5, 5.0, 7.0, 1234.0, 1234.0, 12.0, 10.0, -1000.0, 1000.0, 0.5, np.nan, np.nan, np.nan, np.nan]
    assert got.dtype == "float64"
    np.testing.assert_array_equal(got.to_numpy(), np.array(expected))


def test_parse_numeric_infinities_become_nan():
    got = parse_numeric(pd.Series([1.0, np.inf, -np.inf, np.nan]))
    np.testing.assert_array_equal(got.to_numpy(), [1.0, np.nan, np.nan, np.nan])
    got = parse_numeric(pd.Series(["inf", "-inf", "Infinity", "2"], dtype="string"))
    np.testing.assert_array_equal(got.to_numpy(), [np.nan, np.nan, np.nan, 2.0])


def test_parse_numeric_keeps_index_and_does_not_touch_input():
    s = pd.Series(["£3", "4"], index=[10, 20], dtype="string")
    got = parse_numeric(s)
    assert list(got.index) == [10, 20]
    assert s.tolist() == ["£3", "4"]
    assert parse_numeric(pd.Series([True, False])).tolist() == [1.0, 0.0]
    got = parse_numeric(pd.Series([1, None], dtype="Int64"))
    assert got.dtype == "float64" and got.iloc[0] == 1.0 and np.isnan(got.iloc[1])


# ---------------------------------------------------------------- labels


def test_toys_label_is_a_path(toys_table):
    col = toys_table.frame[TOYS_LABEL]
    assert detect_separator(col) == " > "
    assert path_depth(col, " > ") == 5


def test_toys_label_levels_match_plain_pandas(toys_table):
    frame = toys_table.frame
    raw = frame[TOYS_LABEL]
    top = label_values(frame, TOYS_LABEL, level=1, separator=" > ")
    assert int(top.isna().sum()) == 690
    expected = raw[raw != ""].str.split(" > ").str[0].value_counts()
    got = top.dropna().value_counts()
    assert got.to_dict() == expected.to_dict()
    assert len(got) == 43 and got["Hobbies"] == 1464
    level2 = label_values(frame, TOYS_LABEL, level=2, separator=" > ").dropna()
    assert level2.nunique() == 152
    assert level2.value_counts().iloc[0] == 1100
    full = label_values(frame, TOYS_LABEL).dropna()
    assert full.nunique() == 255 and full.value_counts().max() == 880


def test_label_levels_on_short_and_missing_paths():
    frame = pd.DataFrame({"c": ["A > B > C", "A > D", "E", "", " NA ", "   ", None, "n/a", "A>B", "  F > G  "]})
    assert label_values(frame, "c", level=1, separator=" > ").tolist() == [
        "A", "A", "E", pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, "A>B", "F",
    ]
    assert label_values(frame, "c", level=2, separator=" > ").tolist() == [
        "A > B", "A > D", "E", pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, "A>B", "F > G",
    ]
    whole = label_values(frame, "c")
    assert str(whole.dtype) == "string"
    assert whole.tolist() == ["A > B > C", "A > D", "E", pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, "A>B", "F > G"]
    assert int(whole.isna().sum()) == 5
    assert is_missing_label(frame["c"]).tolist() == [False, False, False, True, True, True, True, True, False, False]


def test_label_level_errors():
    frame = pd.DataFrame({"c": ["A > B"]})
    with pytest.raises(SchemaError, match=r"^level=0 is not allowed; it must be a whole number of at least 1\.$"):
        label_values(frame, "c", level=0, separator=" > ")
    with pytest.raises(SchemaError, match="^A level needs a path separator."):
        label_values(frame, "c", level=1)
    with pytest.raises(SchemaError, match="^There is no column named 'x'."):
        label_values(frame, "x")


def test_numeric_labels_print_as_integers():
    frame = pd.DataFrame({"f": [1.0, 2.0, np.nan, 2.5, 1.0], "i": [1, 2, 3, 4, 1]})
    assert label_values(frame, "f").tolist() == ["1", "2", pd.NA, "2.5", "1"]
    assert label_values(frame, "i").tolist() == ["1", "2", "3", "4", "1"]
    nullable = pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64")})
    assert label_values(nullable, "n").tolist() == ["1", pd.NA, "3"]


def test_label_index_follows_the_frame():
    frame = pd.DataFrame({"c": ["x", "", "y"]}, index=[5, 6, 7])
    labels = label_values(frame, "c")
    assert list(labels.index) == [5, 6, 7]


def test_multi_valued_share():
    labels = pd.Series(["a; b", "c", "d;e", pd.NA, "f ;g"], dtype="string")
    assert multi_valued_share(labels) == 3 / 4
    assert multi_valued_share(pd.Series(["a", "b;"], dtype="string")) == 0.0
    assert multi_valued_share(pd.Series([pd.NA], dtype="string")) == 0.0


def test_detect_separator_needs_a_majority_for_bare_slashes():
    assert detect_separator(pd.Series(["1/2", "3", "4", "5"])) is None
    assert detect_separator(pd.Series(["a/b", "c/d", "e/f", "g"])) == "/"
    assert detect_separator(pd.Series(["A > B", "C", "D > E", "F"])) == " > "
    assert detect_separator(pd.Series(["", "NA"])) is None


def test_roles_for_a_given_label_are_the_described_ones_without_whole_column_counts(monkeypatch):
    """infer_roles(label=...) skips the label's own inference and the whole-column counts (past
    20,000 rows): the roles must be the ones describe_columns gives."""
    import io

    from core.data import schema
    from tests.longtail import make_longtail

    frame = make_longtail(24_000, 300, seed=2, level_columns=True)
    frame["note"] = np.where(np.arange(len(frame)) < 20_000, "", "late text")  # filled only past the head
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    table = load_table(buf.getvalue().encode(), name="lt.csv")
    described = {info.name: info.role for info in schema.describe_columns(table.frame)}
    calls = []
    real = schema.is_missing_label
    monkeypatch.setattr(schema, "is_missing_label", lambda v: calls.append(v.name) or real(v))
    roles = schema.infer_roles(table.frame, label="category")
    assert calls == []  # no whole-column pass
    assert roles == {**described, "category": "label"}
    assert list(roles) == list(table.frame.columns)
    assert roles["note"] == "ignore" and roles["title"] == "text" and roles["price"] == "numeric"
