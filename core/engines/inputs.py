"""The input of a replay: one catalog file, or a dataset of many files (a folder or a glob pattern).

A dataset is its files in the order of their paths, each read by :func:`core.data.load_table` as a
single file would be; its rows are numbered in that order (file after file, rows in file order),
so a row id (``skewlab_row``) means the same row to the single-machine engine, which reads the
files one after another, and to the Dask engine, which reads each file in its own task. Files whose
columns have different types are brought to one type per column (:func:`common_dtypes`) by both.
"""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.data import LoadedTable, load_table
from core.errors import LoadError

__all__ = ["ReadOptions", "cast_frame", "check_columns", "common_dtypes", "dataset_fingerprint", "input_files", "is_parquet",
           "load_input", "load_part"]

#: Name endings of the table files a folder's listing keeps.
TABLE_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv", ".txt", ".gz", ".zip")
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class ReadOptions:
    """How each file is read (a recipe's reading options, or the command line's overrides)."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    member: str | None = None


def input_files(spec: str | Path) -> list[Path]:
    """The files of an input, in path order: a file, a folder's table files (names starting with
    ``.`` or ``_`` left out, as Parquet readers do), or the files a glob pattern matches.

    Raises
    ------
    LoadError
        Nothing matches.
    """
    text = str(spec)
    path = Path(text)
    if path.is_file():
        return [path]
    if path.is_dir():
        found = [p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(TABLE_SUFFIXES)
                 and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)]
        where = f"the folder {text!r} holds no table file ({', '.join(TABLE_SUFFIXES)})"
    elif not glob.has_magic(text):
        raise LoadError(f"There is no file at {text!r}.")
    else:
        found = [Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file()]
        where = f"no file matches {text!r}"
    if not found:
        raise LoadError(f"There is no catalog to read: {where}.", hint="Name a file, a folder or a pattern such as 'catalog/*.parquet'.")
    return sorted(found, key=lambda p: str(p))


def is_parquet(path: str | Path) -> bool:
    """Whether a dataset file is Parquet (by its name)."""
    return str(path).lower().endswith(PARQUET_SUFFIXES)


def dataset_fingerprint(digests: Sequence[str]) -> str:
    """The fingerprint of an input: a single file's own sha256, or the sha256 of its files' digests."""
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()


def _string_like(dtype) -> bool:
    return pd.api.types.is_string_dtype(dtype) or str(dtype) == "object"


def common_dtypes(columns: Sequence[str], dtypes: Sequence[Mapping[str, object]], names: Sequence[str]) -> dict:
    """One type per column for the files' column types: the type they share; for text in different
    text types, the first file's; for numpy numbers, their common numpy type.

    Raises
    ------
    LoadError
        A column holds text in one file and numbers (or another kind) in another.
    """
    out = {}
    for col in columns:
        kinds = [d[col] for d in dtypes]
        first = kinds[0]
        if all(k == first for k in kinds):
            out[col] = first
        elif all(_string_like(k) for k in kinds):
            out[col] = next((k for k in kinds if str(k) != "object"), first)
        elif all(isinstance(k, np.dtype) and k.kind in "biuf" for k in kinds):
            out[col] = np.result_type(*kinds)
        else:
            other = next(i for i, k in enumerate(kinds) if k != first)
            raise LoadError(
                f"Column {col!r} is {first} in {names[0]} but {kinds[other]} in {names[other]}.",
                hint="Write every file of the dataset with the same column types.",
            )
    return out


def cast_frame(frame: pd.DataFrame, dtypes: Mapping[str, object]) -> pd.DataFrame:
    """``frame`` with every column of another type than ``dtypes`` says cast to it."""
    differ = {c: t for c, t in dtypes.items() if frame[c].dtype != t}
    return frame.astype(differ) if differ else frame


def _load_one(path: Path, options: ReadOptions) -> LoadedTable:
    return load_table(path, encoding=options.encoding, delimiter=options.delimiter, sheet=options.sheet,
                      member=options.member)


def check_columns(names: Sequence[str], columns: Sequence[Sequence[str]]) -> list[str]:
    """The columns every file shares, in order (LoadError naming the first file that differs)."""
    first = list(columns[0])
    for name, cols in zip(names[1:], columns[1:]):
        if list(cols) != first:
            missing = [c for c in first if c not in cols] or [c for c in cols if c not in first]
            raise LoadError(
                f"{name} does not have the columns of {names[0]} (in order): {', '.join(map(repr, missing[:5])) or 'order'}.",
                hint="Every file of a dataset holds the same columns in the same order.",
            )
    return first


def load_input(spec: str | Path, options: ReadOptions = ReadOptions()) -> LoadedTable:
    """Read an input in one process: a single file as :func:`core.data.load_table` reads it; a dataset
    as its files one after another (rows numbered file after file), columns brought to one type."""
    files = input_files(spec)
    if len(files) == 1:
        return _load_one(files[0], options)
    tables = [_load_one(p, options) for p in files]
    names = [str(p) for p in files]
    columns = check_columns(names, [list(t.frame.columns) for t in tables])
    dtypes = common_dtypes(columns, [t.frame.dtypes.to_dict() for t in tables], names)
    frames = [cast_frame(t.frame, dtypes) for t in tables]
    frame = pd.concat(frames, ignore_index=True)
    first = tables[0]
    return LoadedTable(
        frame=frame, name=f"{first.name} and {len(files) - 1} more file(s)", format=first.format,
        sha256=dataset_fingerprint([t.sha256 for t in tables]), n_bytes=sum(t.n_bytes for t in tables),
        encoding=first.encoding, delimiter=first.delimiter, sheet=first.sheet,
    )


def load_part(path: str | Path, options: ReadOptions, dtypes: Mapping[str, object] | None = None) -> LoadedTable:
    """One file of a dataset, as :func:`load_input` reads it (columns cast to ``dtypes``)."""
    table = _load_one(Path(path), options)
    if dtypes is None:
        return table
    return LoadedTable(frame=cast_frame(table.frame, dtypes), name=table.name, format=table.format,
                       sha256=table.sha256, n_bytes=table.n_bytes, encoding=table.encoding,
                       delimiter=table.delimiter, sheet=table.sheet)
