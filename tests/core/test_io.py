"""core.data.io: every loader path, with files generated in the test."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data.io import decode_text, fingerprint, load_table, sniff_delimiter, zip_members
from core.errors import LoadError


def rows(table) -> list[list]:
    return table.frame.to_numpy().tolist()


# ---------------------------------------------------------------- delimiters and encodings


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(delim):
    text = delim.join(["id", "name", "cls"]) + "\n" + "\n".join(delim.join([str(i), f"n{i}", "ab"[i % 2]]) for i in range(5)) + "\n"
    table = load_table(text.encode("utf-8"), name="t.csv")
    assert table.delimiter == delim
    assert table.format == "csv"
    assert list(table.frame.columns) == ["id", "name", "cls"]
    assert rows(table) == [[str(i), f"n{i}", "ab"[i % 2]] for i in range(5)]


def test_pipe_file_whose_cells_hold_commas():
    table = load_table(b"a|b\n1,5|2\n3|4,5\n", name="t.csv")
    assert table.delimiter == "|"
    assert rows(table) == [["1,5", "2"], ["3", "4,5"]]


def test_explicit_delimiter_overrides_sniffing():
    table = load_table(b"a;b,c\n1;2,3\n", name="t.csv", delimiter=",")
    assert list(table.frame.columns) == ["a;b", "c"]
    assert rows(table) == [["1;2", "3"]]


def test_utf8_is_read_as_utf8():
    table = load_table("name,city\nZoë,Kraków\n".encode(), name="t.csv")
    assert table.encoding == "utf-8"
    assert rows(table) == [["Zoë", "Kraków"]]


def test_utf8_bom_is_not_part_of_the_header():
    table = load_table("\ufeffname,price\nCafé,2\n".encode("utf-8"), name="t.csv")
    assert table.encoding == "utf-8-sig"
    assert list(table.frame.columns) == ["name", "price"]
    assert not any("\ufeff" in c for c in table.frame.columns)
    assert rows(table) == [["Café", "2"]]


def test_cp1252_semicolon_round_trips_exactly():
    raw = "product;dessert;price\nCafé;Crème brûlée;£5\nNaïve;€ deal;‘quoted’\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    table = load_table(raw, name="t.csv")
    assert table.encoding == "cp1252"
    assert table.delimiter == ";"
    assert rows(table) == [["Café", "Crème brûlée", "£5"], ["Naïve", "€ deal", "‘quoted’"]]


def test_latin1_bytes_undefined_in_cp1252():
    # 0x81 and 0x8d have no character in cp1252; latin-1 maps every byte
    raw = b"a;b\nx\x81y;\x8dz\xe9\n"
    table = load_table(raw, name="t.csv")
    assert table.encoding == "latin-1"
    assert rows(table) == [["x\x81y", "\x8dzé"]]


def test_utf16_with_bom():
    raw = "name\tprice\nCafé\t£5\nÜber\t7\n".encode("utf-16")
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    table = load_table(raw, name="t.csv")
    assert table.encoding == "utf-16"
    assert table.delimiter == "\t"
    assert list(table.frame.columns) == ["name", "price"]
    assert rows(table) == [["Café", "£5"], ["Über", "7"]]


def test_explicit_encoding_is_used():
    raw = "a,b\nCafé,1\n".encode("cp1252")
    table = load_table(raw, name="t.csv", encoding="latin-1")
    assert table.encoding == "latin-1"
    assert rows(table) == [["Café", "1"]]


def test_explicit_encoding_that_does_not_fit():
    with pytest.raises(LoadError, match=r"^The file cannot be read as utf-8: .*byte 0xe9 in position 7.*Pick another encoding"):
        load_table("a,b\nCafé,1\n".encode("cp1252"), name="t.csv", encoding="utf-8")


def test_stray_byte_in_a_utf8_file_names_its_line():
    good = "name,price\nCafé,1\nThé,2\n".encode()
    raw = good + b"bad \xff here,3\nCr\xc3\xa8me,4\n"
    with pytest.raises(
        LoadError,
        match=re.escape("The file is mostly UTF-8, but byte 0xff at line 4, column 5 is not valid UTF-8 (the file mixes encodings)."),
    ):
        load_table(raw, name="t.csv")


def test_decode_text_plain_ascii():
    assert decode_text(b"a,b\n1,2\n") == ("a,b\n1,2\n", "utf-8")


# ---------------------------------------------------------------- quoting and cells


def test_quoted_fields_with_delimiters_and_newlines():
    raw = b'sku,title,notes\n1,"Bricks, 500 pieces","line one\nline two"\n2,"He said ""hi""",plain\n3,x,"a\r\nb"\n'
    table = load_table(raw, name="t.csv")
    assert len(table.frame) == 3
    assert rows(table) == [
        ["1", "Bricks, 500 pieces", "line one\nline two"],
        ["2", 'He said "hi"', "plain"],
        ["3", "x", "a\r\nb"],
    ]


def test_csv_cells_are_kept_exactly():
    raw = b'code,amount,name,formula,empty,na\n007,"1,234.50",  padded ,=SUM(A1),,NA\n0.10,-0,null,+1,, \n'
    table = load_table(raw, name="t.csv")
    assert rows(table) == [
        ["007", "1,234.50", "  padded ", "=SUM(A1)", "", "NA"],
        ["0.10", "-0", "null", "+1", "", " "],
    ]
    for col in table.frame.columns:
        assert pd.api.types.is_string_dtype(table.frame[col])
        assert not table.frame[col].isna().any()


def test_row_ids_are_positions_and_blank_lines_are_skipped():
    table = load_table(b"a,b\n1,2\n\n3,4\n", name="t.csv")
    assert list(table.frame.index) == [0, 1]
    assert rows(table) == [["1", "2"], ["3", "4"]]


def test_crlf_line_ends():
    assert rows(load_table(b"a,b\r\n1,2\r\n3,4\r\n", name="t.csv")) == [["1", "2"], ["3", "4"]]


def test_first_row_longer_than_header_is_refused_not_shifted():
    # pandas would silently make the first cells an index and drop them
    with pytest.raises(LoadError, match=re.escape("The first row has more cells than the header (2 columns) with the comma delimiter.")):
        load_table(b"a,b\n1,2,3\n4,5\n", name="t.csv")


def test_later_row_longer_than_header_names_the_line():
    with pytest.raises(LoadError, match=r"^The CSV cannot be split into columns with the comma delimiter: .*Expected 2 fields in line 4, saw 3"):
        load_table(b"a,b\n1,2\n3,4\n5,6,7\n", name="t.csv")


def test_short_rows_are_padded_with_empty_cells():
    assert rows(load_table(b"a,b,c\n1,2\n4,5,6\n", name="t.csv")) == [["1", "2", ""], ["4", "5", "6"]]


def test_sha256_and_size_are_of_the_bytes_as_uploaded():
    raw = b"a,b\n1,2\n"
    table = load_table(raw, name="t.csv")
    assert table.sha256 == hashlib.sha256(raw).hexdigest() == fingerprint(raw)
    assert table.n_bytes == len(raw)
    packed = gzip.compress(raw)
    gz = load_table(packed, name="t.csv.gz")
    assert gz.sha256 == hashlib.sha256(packed).hexdigest()
    assert gz.n_bytes == len(packed)


def test_load_from_a_path_takes_its_name(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_bytes(b"a;b\n1;2\n")
    table = load_table(path)
    assert table.name == "catalog.csv"
    assert rows(load_table(str(path))) == [["1", "2"]]


def test_missing_path():
    with pytest.raises(LoadError, match=r"^There is no file at '.*nothing\.csv'\.$"):
        load_table("/nonexistent/dir/nothing.csv")


# ---------------------------------------------------------------- headers


def test_duplicate_and_blank_header_names_give_notes():
    table = load_table(b"a,a,,b, \n1,2,3,4,5\n", name="t.csv")
    assert list(table.frame.columns) == ["a", "a.1", "Unnamed: 2", "b", " "]
    assert table.notes == (
        "Column(s) 3, 5 have no name in the header; empty names are shown as 'Unnamed: N'.",
        "Some header names repeat; the repeats are shown with a suffix: 'a.1'.",
    )
    assert rows(table) == [["1", "2", "3", "4", "5"]]


def test_distinct_names_that_look_mangled_give_no_note():
    table = load_table(b"v,v.1\n1,2\n", name="t.csv")
    assert list(table.frame.columns) == ["v", "v.1"]
    assert table.notes == ()


def test_clean_header_gives_no_notes():
    assert load_table(b"a,b\n1,2\n", name="t.csv").notes == ()


# ---------------------------------------------------------------- other formats


def test_parquet_keeps_types(tmp_path):
    frame = pd.DataFrame(
        {
            "n": np.array([1, 2, 3], dtype="int64"),
            "x": [0.5, np.nan, 2.25],
            "flag": [True, False, True],
            "s": ["007", "b", "c"],
        }
    )
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, index=False)
    table = load_table(path)
    assert table.format == "parquet"
    assert table.encoding is None and table.delimiter is None
    assert str(table.frame["n"].dtype) == "int64"
    assert str(table.frame["x"].dtype) == "float64"
    assert str(table.frame["flag"].dtype) == "bool"
    assert table.frame["s"].tolist() == ["007", "b", "c"]
    assert table.frame["x"].isna().tolist() == [False, True, False]
    assert table.frame["n"].tolist() == [1, 2, 3]


def test_truncated_parquet(tmp_path):
    buf = io.BytesIO()
    pd.DataFrame({"a": range(50)}).to_parquet(buf)
    raw = buf.getvalue()
    with pytest.raises(LoadError, match=r"^t\.parquet is not a readable Parquet file \(.*\)\. The file may be truncated"):
        load_table(raw[: len(raw) // 2], name="t.parquet")


def _workbook() -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_excel(writer, sheet_name="Products", index=False)
        pd.DataFrame({"c": [1.5, 2.5, 3.5], "d": ["p", "q", "r"]}).to_excel(writer, sheet_name="Prices", index=False)
        pd.DataFrame({"e": []}).to_excel(writer, sheet_name="Blank", index=False)
    return buf.getvalue()


def test_excel_first_sheet_by_default():
    table = load_table(_workbook(), name="book.xlsx")
    assert table.format == "excel"
    assert table.sheet == "Products"
    assert table.sheets == ("Products", "Prices", "Blank")
    assert table.notes == ("The workbook has 3 sheets (Products, Prices, Blank); this is 'Products'.",)
    assert list(table.frame.columns) == ["a", "b"]
    assert rows(table) == [[1, "x"], [2, "y"]]
    assert str(table.frame["a"].dtype) == "int64"


def test_excel_sheet_picks_another():
    table = load_table(_workbook(), name="book.xlsx", sheet="Prices")
    assert table.sheet == "Prices"
    assert table.notes == ("The workbook has 3 sheets (Products, Prices, Blank); this is 'Prices'.",)
    assert rows(table) == [[1.5, "p"], [2.5, "q"], [3.5, "r"]]
    assert str(table.frame["c"].dtype) == "float64"


def test_excel_unknown_sheet_and_empty_sheet():
    with pytest.raises(LoadError, match=re.escape("The workbook has no sheet named 'Nope'. Sheets: Products, Prices, Blank.")):
        load_table(_workbook(), name="book.xlsx", sheet="Nope")
    with pytest.raises(LoadError, match=re.escape("book.xlsx has a header (1 columns) but no rows.")):
        load_table(_workbook(), name="book.xlsx", sheet="Blank")


def test_gzip_csv():
    raw = gzip.compress(b"a;b\n1;2\n3;4\n")
    table = load_table(raw, name="cat.csv.gz")
    assert table.compression == "gzip"
    assert table.name == "cat.csv"
    assert table.delimiter == ";"
    assert rows(table) == [["1", "2"], ["3", "4"]]


def test_damaged_gzip():
    raw = gzip.compress(b"a,b\n" + b"1,2\n" * 100)
    with pytest.raises(LoadError, match=r"^cat\.csv\.gz is a damaged gzip file"):
        load_table(raw[:-12], name="cat.csv.gz")


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_with_one_csv():
    table = load_table(_zip({"inner/products.csv": b"a,b\n1,2\n"}), name="up.zip")
    assert table.compression == "zip"
    assert table.name == "inner/products.csv"
    assert rows(table) == [["1", "2"]]


def test_zip_with_two_files_names_both_and_member_picks_one():
    raw = _zip({"one.csv": b"a,b\n1,2\n", "two.csv": b"c;d\n3;4\n", "__MACOSX/._one.csv": b"junk"})
    assert zip_members(raw) == ["one.csv", "two.csv"]
    with pytest.raises(LoadError, match=re.escape("up.zip holds 2 files: one.csv, two.csv.")):
        load_table(raw, name="up.zip")
    table = load_table(raw, name="up.zip", member="two.csv")
    assert table.name == "two.csv"
    assert list(table.frame.columns) == ["c", "d"]
    assert rows(table) == [["3", "4"]]
    with pytest.raises(LoadError, match=re.escape("up.zip has no file named 'three.csv'. Files: one.csv, two.csv.")):
        load_table(raw, name="up.zip", member="three.csv")


def test_zip_members_of_non_zip_is_empty():
    assert zip_members(b"a,b\n1,2\n") == []


# ---------------------------------------------------------------- refusals


def test_empty_file():
    with pytest.raises(LoadError, match=r"^t\.csv is empty \(0 bytes\)\. Export the table again"):
        load_table(b"", name="t.csv")


def test_blank_text_file():
    with pytest.raises(LoadError, match=re.escape("The file holds no text (only blank lines or spaces).")):
        load_table(b"\n \n\t\n", name="t.csv")


@pytest.mark.parametrize("raw", [b"sku,title,price\n", b"sku,title,price", b"sku,title,price\r\n\r\n"])
def test_header_only_file(raw):
    with pytest.raises(LoadError, match=r"^t\.csv has a header \(3 columns\) but no rows\."):
        load_table(raw, name="t.csv")


def test_binary_with_nul_bytes_renamed_csv():
    raw = bytes(np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8)) + b"\x00"
    with pytest.raises(LoadError, match=re.escape("This file is binary, not a text table (it holds NUL bytes).")):
        load_table(raw, name="t.csv")


def test_png_renamed_csv():
    raw = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
    with pytest.raises(LoadError, match=r"binary"):
        load_table(raw, name="photo.csv")


def test_binary_without_nul_bytes_renamed_csv():
    raw = bytes(range(1, 256)) * 4  # no NUL, many control bytes
    with pytest.raises(LoadError, match=re.escape("This file is binary, not a text table (108 control bytes in its first 1,020 bytes).")):
        load_table(raw, name="t.csv")


def test_old_xls_is_refused():
    raw = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    with pytest.raises(LoadError, match=re.escape("t.xls is an old binary Excel file (.xls).")):
        load_table(raw, name="t.xls")


def test_max_bytes_names_both_sizes():
    raw = b"a,b\n" + b"1,2\n" * 2000  # 8,004 bytes
    with pytest.raises(LoadError, match=re.escape("big.csv is 7.8 KB; the upload limit is 100 bytes.")):
        load_table(raw, name="big.csv", max_bytes=100)
    assert len(load_table(raw, name="big.csv", max_bytes=len(raw)).frame) == 2000


def test_sniff_delimiter_defaults_to_comma_for_one_column():
    assert sniff_delimiter("title\nabc\ndef\n") == ","
    assert rows(load_table(b"title\nabc\ndef\n", name="t.csv")) == [["abc"], ["def"]]


# ---------------------------------------------------------------- the shared datasets


def test_shared_datasets_load_with_expected_shapes(datasets_dir):
    expected = {
        "amazon_uk_toys_catalog.csv": (10_000, 9),
        "ecoli.csv": (336, 9),
        "yeast.csv": (1_484, 10),
        "page_blocks.csv": (5_473, 11),
    }
    for name, shape in expected.items():
        table = load_table(datasets_dir / name)
        assert table.frame.shape == shape, name
        assert (table.encoding, table.delimiter, table.notes) == ("utf-8", ",", ()), name
        assert table.sha256 == hashlib.sha256((datasets_dir / name).read_bytes()).hexdigest()


def test_truncated_xlsx_is_reported_as_a_workbook():
    raw = _workbook()
    with pytest.raises(LoadError, match=re.escape("The Excel workbook cannot be opened (BadZipFile). Open it in Excel and save it again")):
        load_table(raw[: len(raw) // 2], name="book.xlsx")


_CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.integers(2, 4).flatmap(lambda nc: st.lists(st.lists(_CELL, min_size=nc, max_size=nc), min_size=1, max_size=5)),
    st.sampled_from([",", ";", "\t", "|"]),
)
def test_any_text_written_by_pandas_reads_back_exactly(data, sep):
    cols = [f"c{i}" for i in range(len(data[0]))]
    text = pd.DataFrame(data, columns=cols).to_csv(index=False, sep=sep, lineterminator="\n")
    table = load_table(text.encode("utf-8"), name="t.csv")
    assert list(table.frame.columns) == cols
    assert rows(table) == data
