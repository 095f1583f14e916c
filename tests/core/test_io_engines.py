"""UTF-8 CSVs go to the parser as bytes; the cells must be those of parsing the decoded text.

Every tricky file below is loaded with :func:`core.data.io.load_table` (bytes to the parser) and with
the reference read (the decoded text through ``io.StringIO``, the same ``read_csv`` options);
every cell, the column names, dtypes and the index must be identical, and a file one way refuses
the other way refuses too.
"""

from __future__ import annotations

import io
import warnings

import pandas as pd
import pytest

from core.data.io import decode_text, load_table, sniff_delimiter
from core.errors import LoadError

TRICKY: dict[str, bytes] = {
    "plain": b"a,b,c\n1,2,3\n4,5,6\n",
    "quoted newlines": b'id,text\n1,"line one\nline two"\n2,"a\r\nb"\n3,plain\n',
    "empty cells": b"a,b,c\n,,\n1,,3\n,2,\n",
    "spaces kept": b"a,b\n  x  , y\n\t tab ,\" quoted \"\n",
    "na tokens as text": b"a,b,c\nNA,null,None\nnan,N/A,<NA>\n#N/A,-NaN,NULL\n",
    "duplicate headers": b"a,a,b,a,\n1,2,3,4,5\n",
    "blank header names": b",x,,\n1,2,3,4\n",
    "crlf": b"a,b\r\n1,2\r\n3,4\r\n",
    "bare cr": b"a,b\r1,2\r3,4\r",
    "blank lines": b"\na,b\n\n1,2\n\n\n3,4\n\n",
    "no final newline": b"a,b\n1,2",
    "bom": b"\xef\xbb\xbfa,b\n1,2\n",
    "multibyte": "name,price\nCaf\u00e9 cr\u00e8me,\u00a32.50\n\u65e5\u672c,\u20ac3\n\U0001f600,x\n".encode(),
    "quotes inside": b'a,b\nsay ""hi"",x\n"say ""hi""",y\nab"c,z\n"ab"cd,w\n',
    "delimiters in quotes": b'a,b\n"1,2",3\n"x;y",z\n',
    "semicolon": b"a;b;c\n1,5;2;3\n",
    "tab": b"a\tb\n1 2\t3\n",
    "pipe": b"a|b\n1|2\n",
    "short rows padded": b"a,b,c\n1,2,3\n4\n5,6\n",
    "long later row": b"a,b\n1,2\n3,4,5\n",
    "long first row": b"a,b\n1,2,3\n4,5\n",
    "leading zeros and numbers": b"code,n\n007,1e3\n0x1F,-0.0\n  12,1,000\n",
    "whitespace only line": b"a,b\n1,2\n   \n3,4\n",
    "only delimiters": b"a,b,c\n,,\n",
    "single column": b"label\nx\n\ny\n",
    "unicode line separators": "a,b\nx\u2028y,z\u0085w\n".encode(),
}


def _reference(raw: bytes, encoding: str | None = None, delimiter: str | None = None) -> pd.DataFrame:
    """The cells as the text read gives them (the decoded text through StringIO)."""
    text, _ = decode_text(raw, encoding)
    delim = delimiter or sniff_delimiter(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        frame = pd.read_csv(
            io.StringIO(text), sep=delim, dtype=str, keep_default_na=False, na_filter=False, quotechar='"',
            skip_blank_lines=True, index_col=False, engine="c",
        )
    return frame.reset_index(drop=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert list(map(str, a.dtypes)) == list(map(str, b.dtypes))
    assert a.index.equals(b.index)
    for i in range(a.shape[1]):
        left, right = a.iloc[:, i].tolist(), b.iloc[:, i].tolist()
        assert left == right, f"column {a.columns[i]!r} differs"
        assert all(isinstance(v, str) for v in left)


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_bytes_read_gives_the_cells_of_the_text_read(name):
    raw = TRICKY[name]
    try:
        expected = _reference(raw)
    except (pd.errors.ParserWarning, pd.errors.ParserError, pd.errors.EmptyDataError):
        with pytest.raises(LoadError):
            load_table(raw, name=f"{name}.csv")
        return
    if expected.shape[1] == 0 or len(expected) == 0:
        with pytest.raises(LoadError):
            load_table(raw, name=f"{name}.csv")
        return
    got = load_table(raw, name=f"{name}.csv")
    assert got.encoding in ("utf-8", "utf-8-sig")
    _same(got.frame, expected)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_chosen_utf8_encoding_same_cells(encoding):
    raw = TRICKY["bom"] + "\u00e9,\u00fc\n".encode()
    _same(load_table(raw, name="x.csv", encoding=encoding).frame, _reference(raw, encoding))


def test_other_encodings_unchanged():
    raw = "a;b\nCaf\u00e9;\u20ac 3\n".encode("cp1252")
    got = load_table(raw, name="x.csv")
    assert got.encoding == "cp1252"
    _same(got.frame, _reference(raw))
    raw16 = "a,b\n\u00e9,x\n".encode("utf-16")
    _same(load_table(raw16, name="y.csv").frame, _reference(raw16))


def test_big_file_with_every_trick_mixed():
    rows = ['id,text,empty,na,spaces']
    for i in range(20_000):
        rows.append(f'{i},"multi\nline {i}, ""q""",,NA,  s{i}  ')
    raw = ("\r\n".join(rows) + "\r\n").encode()
    _same(load_table(raw, name="big.csv").frame, _reference(raw))


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_arrow_reads_what_it_can_and_hands_the_rest_to_pandas(name):
    """The fast Arrow read answers every well-formed file (so the test above checks its cells) and
    declines renamed headers and rows of another length, which pandas pads, renames or refuses."""
    from core.data.io import _raw_header, _read_csv_arrow

    raw = TRICKY[name]
    text, _ = decode_text(raw, None)
    delim = sniff_delimiter(text)
    got = _read_csv_arrow(raw, delim, _raw_header(text, delim))
    declined = {"duplicate headers", "blank header names", "short rows padded", "long later row", "long first row",
                "leading zeros and numbers", "whitespace only line", "bare cr"}
    if name in declined:
        assert got is None
    else:
        pd.testing.assert_frame_equal(got, _reference(raw))
