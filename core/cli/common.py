"""What several commands share: the input and label options, and ``--param KEY=VALUE``."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from core.errors import ParameterError, SchemaError

if TYPE_CHECKING:  # the data modules (pandas...) are imported when a command runs, not to build its parser
    import pandas as pd

    from core.data import LoadedTable

__all__ = ["add_label_arguments", "check_label", "labels_from_args", "parse_params"]


def add_label_arguments(parser: argparse.ArgumentParser) -> None:
    """The input and label options shared by every command that reads a catalog."""
    parser.add_argument("input", help="catalog file: CSV (any delimiter/encoding, .gz, .zip), Parquet or .xlsx")
    parser.add_argument("--label", required=True, help="label column")
    parser.add_argument("--level", type=int, default=None, help="path level of a hierarchical label (1 = top)")
    parser.add_argument("--separator", default=None, help="path separator (default: detected)")


def check_label(table: LoadedTable, label: str, level: int | None, separator: str | None) -> str | None:
    """Check ``label`` is a column of ``table``; return the path separator (detected for a level).

    Raises
    ------
    SchemaError
        No such column, or a level asked of a column without a path separator.
    """
    if label not in table.frame.columns:
        raise SchemaError(
            f"There is no column named {label!r} in {table.name}.",
            hint=f"Columns: {', '.join(map(str, table.frame.columns[:20]))}.",
        )
    if level is not None and separator is None:
        from core.data import detect_separator

        separator = detect_separator(table.frame[label])
        if separator is None:
            raise SchemaError(f"Column {label!r} holds no path separator, so --level does not apply.", hint="Drop --level.")
    return separator


def labels_from_args(args: argparse.Namespace) -> tuple[LoadedTable, pd.Series, str | None]:
    """Load the input and return ``(table, labels, separator)``."""
    from core.data import label_values, load_table

    table = load_table(args.input)
    sep = check_label(table, args.label, args.level, args.separator)
    labels = label_values(table.frame, args.label, level=args.level, separator=sep)
    return table, labels, sep


def parse_params(items: list[str]) -> dict[str, Any]:
    """``--param`` values as a dict: ``["k_neighbors=3", "smote.k_neighbors=2"]``.

    Each item is ``KEY=VALUE`` (``STEP.KEY=VALUE`` in a pipeline). A value in JSON form (an
    object such as ``{"k_neighbors": 3}`` for a pipeline step, a list, a quoted string) is read as
    JSON; any other value is kept as typed (stripped), and the strategy's parameter check reads it
    (``3``, ``0.5``, ``true``, a choice).

    Raises
    ------
    ParameterError
        An item is not ``KEY=VALUE``.
    """
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item or not item.split("=", 1)[0].strip():
            raise ParameterError(f"--param {item!r} is not KEY=VALUE.", hint="For example --param k_neighbors=3.")
        key, value = item.split("=", 1)
        out[key.strip()] = _value(value.strip())
    return out


def _value(text: str) -> Any:
    if text.startswith(("{", "[", '"')):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text
