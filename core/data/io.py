"""Loading catalogs: CSV (any common delimiter and encoding, gzip or zip), Parquet, Excel.

CSV cells are kept exactly as written in the file (every column is read as text, empty cells
are empty strings), so an export can give back original rows byte for byte. Parquet and Excel
keep their own column types. The row position in the returned frame (0-based) is the row id
used everywhere else (``skewlab_row``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.data import unpack
from core.errors import LoadError

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "data" / "amazon_uk_toys_catalog.csv"
SAMPLE_LABEL = "amazon_category_and_sub_category"
SAMPLE_ATTRIBUTION = (
    "Built-in sample: PromptCloudHQ, \"Toy Products on Amazon\" (amazon.co.uk listings), "
    "CC BY-SA 4.0. Modified: a cleaned subset of 9 columns (prices and ratings parsed to numbers); "
    "the data stays under CC BY-SA 4.0."
)

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SNIFF_BYTES = 256 * 1024
#: Encodings whose bytes go to the CSV parser as they are (no decode / re-encode round trip).
_UTF8_NAMES = frozenset({"utf-8", "utf-8-sig"})
#: Bytes that text tables do not hold (C0 controls other than tab, LF, VT, FF, CR; and DEL).
_BINARY_CONTROL = bytes([*range(1, 9), *range(14, 32), 127])


@dataclass(frozen=True, eq=False)
class LoadedTable:
    """A table as loaded, with how it was read.

    Attributes
    ----------
    frame : pandas.DataFrame
        The cells; index is the 0-based row id.
    name : str
        File name (the member name for a zip).
    format : str
        ``"csv"``, ``"parquet"`` or ``"excel"``.
    sha256 : str
        Hex digest of the bytes as uploaded (the data fingerprint).
    n_bytes : int
        Size of the upload.
    encoding, delimiter, compression, sheet : str or None
        How the file was read (None where it does not apply).
    sheets : tuple of str
        Every sheet of a workbook.
    notes : tuple of str
        Things the analyst should know (renamed blank or duplicate headers, extra sheets...).
    """

    frame: pd.DataFrame
    name: str
    format: str
    sha256: str
    n_bytes: int
    encoding: str | None = None
    delimiter: str | None = None
    compression: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def fingerprint(data: bytes) -> str:
    """sha256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def human_bytes(n: float) -> str:
    """A size for people: 1.6 MB."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def decode_text(raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode CSV bytes; return ``(text, encoding used)``.

    Without ``encoding``: a BOM decides (UTF-8 or UTF-16); else strict UTF-8; else, when the
    bytes hold no valid UTF-8 multi-byte character at all, cp1252 (then latin-1). A file that is
    UTF-8 in some places and not in others is refused with the position of the first bad byte,
    because guessing would silently change characters.
    """
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise LoadError(
                f"The file cannot be read as {encoding}: {exc}.",
                hint="Pick another encoding, or re-save the file as UTF-8.",
            ) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        enc, body = "utf-8-sig", raw
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise LoadError(f"The file starts like UTF-16 but is not valid UTF-16 ({exc.reason}).", hint="Re-save it as UTF-8.") from None
    else:
        enc, body = "utf-8", raw
    try:
        return body.decode(enc), enc
    except UnicodeDecodeError as exc:
        bad = exc.start
    lenient = body.decode("utf-8", errors="replace")
    n_multibyte = sum(1 for ch in lenient if ord(ch) > 0x7F and ch != "\ufffd")
    if n_multibyte or enc == "utf-8-sig":
        line = body.count(b"\n", 0, bad) + 1
        col = bad - (body.rfind(b"\n", 0, bad) + 1) + 1
        raise LoadError(
            f"The file is mostly UTF-8, but byte 0x{body[bad]:02x} at line {line}, column {col} is not valid UTF-8 "
            "(the file mixes encodings).",
            hint="Re-save the file as UTF-8, or choose an encoding under 'Reading options' to read every byte that way.",
        )
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter (``,`` ``;`` tab ``|``) that splits the first records most consistently."""
    sample = text[:_SNIFF_BYTES]
    if len(text) > _SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    best: tuple[float, int, int, str] | None = None
    for rank, delim in enumerate(DELIMITERS):
        try:
            records = list(zip(range(200), csv.reader(io.StringIO(sample), delimiter=delim, quotechar='"')))
        except csv.Error:
            continue
        counts = [len(r) for _, r in records if r]
        if len(counts) > 1:
            counts = counts[:-1] if len(text) > len(sample) else counts
        if not counts:
            continue
        modal = max(set(counts), key=counts.count)
        if modal < 2:
            continue
        consistency = counts.count(modal) / len(counts)
        header_ok = 1 if counts[0] == modal else 0
        key = (round(consistency, 2) + header_ok, modal, -rank, delim)
        if best is None or key[:3] > best[:3]:
            best = key
    return best[3] if best else ","


def _header_notes(columns: list[str], raw_header: list[str] | None = None) -> tuple[str, ...]:
    """Notes about blank and repeated header names.

    ``raw_header`` is the header record as written in the file (CSV); without it (Excel) the
    names pandas made up (``Unnamed: N``, ``name.1``) are recognised instead.
    """
    notes = []
    if raw_header is not None and len(raw_header) == len(columns):
        blanks = [i + 1 for i, c in enumerate(raw_header) if not c.strip()]
        counts: dict[str, int] = {}
        for c in raw_header:
            counts[c] = counts.get(c, 0) + 1
        seen_once: set[str] = set()
        mangled = []
        for raw, final in zip(raw_header, columns):
            if raw.strip() and counts[raw] > 1:
                if raw in seen_once:
                    mangled.append(str(final))
                seen_once.add(raw)
        if blanks:
            notes.append(
                f"Column(s) {', '.join(map(str, blanks))} have no name in the header; empty names are shown as 'Unnamed: N'."
            )
    else:
        blanks = [i + 1 for i, c in enumerate(columns) if str(c).startswith("Unnamed: ") or not str(c).strip()]
        if blanks:
            notes.append(
                f"Column(s) {', '.join(map(str, blanks))} have no name in the header; they are shown as 'Unnamed: N'."
            )
        seen: dict[str, int] = {}
        for c in columns:
            base = str(c)
            seen[base] = seen.get(base, 0) + 1
        mangled = [
            c for c in columns if "." in str(c) and str(c).rsplit(".", 1)[0] in seen and str(c).rsplit(".", 1)[1].isdigit()
        ]
    if mangled:
        notes.append(
            "Some header names repeat; the repeats are shown with a suffix: " + ", ".join(repr(m) for m in mangled[:10]) + "."
        )
    return tuple(notes)


def _raw_header(text: str, delim: str) -> list[str] | None:
    """The first non-blank record of ``text`` as the csv module splits it (None if unreadable)."""
    try:
        for record in csv.reader(io.StringIO(text[:_SNIFF_BYTES]), delimiter=delim, quotechar='"'):
            if record and any(cell != "" for cell in record) or len(record) > 1:
                return record
    except csv.Error:
        return None
    return None


def _read_csv(raw: bytes, *, encoding: str | None, delimiter: str | None) -> tuple[pd.DataFrame, str, str, tuple[str, ...]]:
    if not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = raw[:8192]
        if b"\x00" in head:
            raise LoadError(
                "This file is binary, not a text table (it holds NUL bytes).",
                hint="Upload a CSV, Parquet (.parquet) or Excel (.xlsx) file.",
            )
        n_control = sum(head.count(bytes([b])) for b in _BINARY_CONTROL)
        if n_control > max(8, len(head) // 100):
            raise LoadError(
                f"This file is binary, not a text table ({n_control} control bytes in its first {len(head):,} bytes).",
                hint="Upload a CSV, Parquet (.parquet) or Excel (.xlsx) file.",
            )
    text, used = decode_text(raw, encoding)
    if not text or text.isspace():  # the same test as ``not text.strip()``, without copying the text
        raise LoadError("The file holds no text (only blank lines or spaces).", hint="Export the table again with its header and rows.")
    delim = delimiter or sniff_delimiter(text)
    head = text[:_SNIFF_BYTES]
    if used in _UTF8_NAMES:
        fast = _read_csv_arrow(raw, delim, _raw_header(head, delim))
        if fast is not None:
            return fast, used, delim, _header_notes(list(fast.columns), _raw_header(head, delim))
        # The parser reads UTF-8 bytes: hand it the (already validated) bytes instead of
        # re-encoding the decoded text; the cells are the same (tests/core/test_io_engines.py).
        source: io.IOBase = io.BytesIO(raw)
        encoding_kw = {"encoding": used}
        del text
    else:
        source, encoding_kw = io.StringIO(text), {}
    try:
        with warnings.catch_warnings():
            # A first row longer than the header would otherwise become the index (pandas'
            # implicit index) and its first cells would be dropped without a word.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                source,
                **encoding_kw,
                sep=delim,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                quotechar='"',
                skip_blank_lines=True,
                index_col=False,
                engine="c",
            )
    except pd.errors.ParserWarning:
        header = _raw_header(head, delim) or []
        raise LoadError(
            f"The first row has more cells than the header ({len(header)} columns) with the "
            f"{DELIMITER_NAMES.get(delim, repr(delim))} delimiter.",
            hint="Check the delimiter and quoting under 'Reading options', or add the missing header names.",
        ) from None
    except pd.errors.EmptyDataError:
        raise LoadError("The file has no header row.", hint="Add a header line naming the columns.") from None
    except pd.errors.ParserError as exc:
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable rows"
        raise LoadError(
            f"The CSV cannot be split into columns with the {DELIMITER_NAMES.get(delim, repr(delim))} delimiter: {msg}.",
            hint="Check the delimiter and quoting under 'Reading options', or fix that line in the file.",
        ) from None
    notes = _header_notes(list(frame.columns), _raw_header(head, delim))
    return frame, used, delim, notes


def _read_csv_arrow(raw: bytes, delim: str, header: list[str] | None) -> pd.DataFrame | None:
    """The cells of a UTF-8 CSV read by Arrow's multi-threaded parser (several times faster than
    pandas' at a million rows), or None, and pandas reads it: a header with a blank or repeated
    name (pandas renames those), or a file Arrow refuses (rows of another length, which pandas
    pads or refuses with its own message). Every column is read as text, empty cells as empty
    strings, quoting as pandas does (``tests/core/test_io_engines.py`` checks the cells match)."""
    if not header or len(set(header)) != len(header) or not all(header):
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True, escape_char=False,
                                             newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={name: pa.large_string() for name in header},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 null_values=[], auto_dict_encode=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.column_names != header or not all(pa.types.is_large_string(t) for t in table.schema.types):
        return None  # the header read another way than the csv module reads it: pandas decides
    frame = pd.DataFrame({pos: pd.arrays.ArrowStringArray(table.column(pos), dtype=pd.StringDtype("pyarrow", na_value=float("nan")))
                          for pos in range(table.num_columns)}, copy=False)
    frame.columns = header
    return frame


def _read_excel(raw: bytes, sheet: str | None) -> tuple[pd.DataFrame, str, tuple[str, ...], tuple[str, ...]]:
    try:
        book = pd.ExcelFile(io.BytesIO(raw), engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise LoadError(f"The Excel workbook cannot be opened ({type(exc).__name__}).", hint="Open it in Excel and save it again as .xlsx, or export CSV.") from None
    sheets = tuple(str(s) for s in book.sheet_names)
    chosen = sheet if sheet is not None else sheets[0]
    if chosen not in sheets:
        raise LoadError(f"The workbook has no sheet named {chosen!r}.", hint=f"Sheets: {', '.join(sheets)}.")
    frame = pd.read_excel(book, sheet_name=chosen)
    notes = _header_notes(list(frame.columns))
    if len(sheets) > 1:
        notes += (f"The workbook has {len(sheets)} sheets ({', '.join(sheets)}); this is {chosen!r}.",)
    return frame, chosen, sheets, notes


def load_table(
    data: bytes | str | Path,
    *,
    name: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    member: str | None = None,
    max_bytes: int | None = None,
) -> LoadedTable:
    """Read a catalog file into a table.

    Parameters
    ----------
    data : bytes or path
        The file's bytes, or a path to read.
    name : str, optional
        File name, used for messages and as a format hint (defaults to the path's name).
    encoding, delimiter : str, optional
        Override the sniffed CSV encoding / delimiter.
    sheet : str, optional
        Excel sheet (default: the first).
    member : str, optional
        File inside a zip that holds several.
    max_bytes : int, optional
        Refuse larger inputs with a clear message.

    Returns
    -------
    LoadedTable

    Raises
    ------
    LoadError
        With a message that says what is wrong and what to do.
    """
    data, name = _read_input(data, name)
    n_bytes = len(data)
    _check_size(name, n_bytes, max_bytes)
    digest = fingerprint(data)
    raw, compression, inner_name = _unpack(data, name, member)
    kind, frame, how = _read_frame(raw, inner_name, encoding=encoding, delimiter=delimiter, sheet=sheet)
    _check_shape(frame, inner_name)
    return LoadedTable(
        frame=frame.reset_index(drop=True),
        name=inner_name,
        format=kind,
        sha256=digest,
        n_bytes=n_bytes,
        compression=compression,
        **how,
    )


def _read_input(data: bytes | str | Path, name: str | None) -> tuple[bytes, str]:
    """The bytes of an upload or of a file at a path, and the name to show for it."""
    if isinstance(data, (str, Path)):
        path = Path(data)
        if not path.is_file():
            raise LoadError(f"There is no file at {str(path)!r}.")
        name = name or path.name
        data = path.read_bytes()
    return data, name or "upload"


def _check_size(name: str, n_bytes: int, max_bytes: int | None) -> None:
    """Refuse an upload over ``max_bytes`` or an empty one."""
    if max_bytes is not None and n_bytes > max_bytes:
        raise LoadError(
            f"{name} is {human_bytes(n_bytes)}; the upload limit is {human_bytes(max_bytes)}.",
            hint="Upload a compressed (.csv.gz / .zip) or Parquet copy, or raise server.maxUploadSize in .streamlit/config.toml.",
        )
    if n_bytes == 0:
        raise LoadError(f"{name} is empty (0 bytes).", hint="Export the table again with its header and rows.")


def _unpack(data: bytes, name: str, member: str | None) -> tuple[bytes, str | None, str]:
    """``(bytes of the table, compression or None, name of the table)``: gzip and plain zip are opened."""
    raw, compression, inner_name = data, None, name
    lower = name.lower()
    if raw[:2] == b"\x1f\x8b":
        raw = unpack.gunzip(raw, name)  # streamed, stopped at the unpacked-size and ratio limits
        compression, inner_name = "gzip", name[:-3] if lower.endswith(".gz") else name
    elif raw[:4] == b"PK\x03\x04" and not _is_xlsx(raw) and not lower.endswith((".xlsx", ".xlsm")):
        raw, inner_name = _unzip(raw, name, member)
        compression = "zip"
    if not raw:
        raise LoadError(f"{inner_name} is empty (0 bytes).", hint="Export the table again with its header and rows.")
    return raw, compression, inner_name


def _read_frame(
    raw: bytes, inner_name: str, *, encoding: str | None, delimiter: str | None, sheet: str | None
) -> tuple[str, pd.DataFrame, dict]:
    """``(format, frame, how it was read)``; ``how`` holds the reading fields of :class:`LoadedTable`."""
    kind = _detect_kind(raw, inner_name)
    if kind == "parquet":
        unpack.check_parquet(raw, inner_name)
        return kind, _read_parquet(raw, inner_name), {}
    if kind == "excel":
        unpack.check_xlsx(raw, inner_name)
        frame, chosen_sheet, sheets, notes = _read_excel(raw, sheet)
        return kind, frame, {"sheet": chosen_sheet, "sheets": sheets, "notes": notes}
    if kind == "xls":
        raise LoadError(f"{inner_name} is an old binary Excel file (.xls).", hint="Save it as .xlsx or CSV and upload that.")
    frame, enc, delim, notes = _read_csv(raw, encoding=encoding, delimiter=delimiter)
    return "csv", frame, {"encoding": enc, "delimiter": delim, "notes": notes}


def _read_parquet(raw: bytes, inner_name: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(io.BytesIO(raw))
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise LoadError(
            f"{inner_name} is not a readable Parquet file ({type(exc).__name__}: {str(exc)[:120]}).",
            hint="The file may be truncated: write it again, or upload a CSV.",
        ) from None


def _check_shape(frame: pd.DataFrame, inner_name: str) -> None:
    """Refuse a table without columns or without rows."""
    if frame.shape[1] == 0:
        raise LoadError(f"{inner_name} has no columns.", hint="Export the table again with its header and rows.")
    if len(frame) == 0:
        raise LoadError(
            f"{inner_name} has a header ({frame.shape[1]} columns) but no rows.",
            hint="Export the table again with its rows.",
        )


def _is_xlsx(raw: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            names = set(zf.namelist())
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def _unzip(raw: bytes, name: str, member: str | None) -> tuple[bytes, str]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise LoadError(f"{name} is a damaged zip file.", hint="Zip it again or upload the table itself.") from None
    with zf:
        unpack.check_members(zf, name)
        files = _table_members(zf)
        if not files:
            raise LoadError(f"{name} holds no files.", hint="Zip the table file itself.")
        if member is None:
            if len(files) > 1:
                raise LoadError(
                    f"{name} holds {len(files)} files: {', '.join(files[:10])}.",
                    hint="Pick the one to load, or zip a single table.",
                )
            member = files[0]
        if member not in files:
            raise LoadError(f"{name} has no file named {member!r}.", hint=f"Files: {', '.join(files[:10])}.")
        return unpack.read_member(zf, member, name), member


def zip_members(data: bytes) -> list[str]:
    """Names of the table files inside a zip upload (empty when it is not a plain zip)."""
    if data[:4] != b"PK\x03\x04" or _is_xlsx(data):
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return _table_members(zf)
    except zipfile.BadZipFile:
        return []


def _table_members(zf: zipfile.ZipFile) -> list[str]:
    """Files of a zip, without folders, macOS resource forks and hidden files."""
    return [
        i.filename
        for i in zf.infolist()
        if not i.is_dir() and not i.filename.startswith("__MACOSX/") and not Path(i.filename).name.startswith(".")
    ]


def _detect_kind(raw: bytes, name: str) -> str:
    lower = name.lower()
    if raw[:4] == b"PAR1":
        return "parquet"
    if raw[:4] == b"PK\x03\x04":
        return "excel"
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if lower.endswith((".parquet", ".pq")):
        return "parquet"  # damaged parquet: let the reader say so
    if lower.endswith((".xlsx", ".xlsm")):
        return "excel"
    return "csv"
