"""The export bundle: the balanced data, the removed rows, the recipe and an offline report as one zip.

The app's Export page and ``python -m core apply`` both replay the recipe with
:func:`core.export.apply.apply_recipe` and write the tables with
:func:`core.export.write.write_table`, so on the same input and recipe they give the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from core.data import LoadedTable
from core.export.apply import Applied, apply_recipe, typed_tables
from core.export.recipe import Recipe
from core.export.report import build_report
from core.export.typed import types_numbers
from core.export.write import EXTENSIONS, ZIP_TIME, format_of, write_table

__all__ = ["FEATURES_MEMBER", "bundle_name", "export_bundle", "feature_table", "member_names"]

#: The feature vectors in a bundle (``export_bundle(features=True)``).
FEATURES_MEMBER = "features.parquet"


def bundle_name(input_name: str, strategy: str) -> str:
    """File name of the bundle: ``skewlab_<input stem>_<strategy>.zip`` (safe characters only)."""
    stem = str(input_name).rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    for ext in (".gz", ".zip", ".csv", ".tsv", ".txt", ".parquet", ".pq", ".xlsx", ".xlsm"):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
    safe = lambda s: re.sub(r"[^A-Za-z0-9_.-]+", "_", s).strip("._")[:60] or "catalog"  # noqa: E731
    return f"skewlab_{safe(stem)}_{safe(strategy.replace('+', '-'))}.zip"


def member_names(fmt: str) -> dict[str, str]:
    """Names of the files inside a bundle."""
    ext = EXTENSIONS[format_of("", fmt)]
    return {"data": f"balanced{ext}", "removed": f"removed{ext}", "recipe": "recipe.json",
            "report": "report.html", "readme": "README.txt"}


#: What the Parquet tables say about number columns (README.txt, the CLI).
TYPED_NOTE = ("Number columns: a CSV column whose every cell is a plain number is stored as numbers "
              "(int64, float64, or decimal with the column's decimals) only where each stored number prints back as "
              "its cell (12.5, 3.0, 12.50); empty cells are nulls. Any other column (007, 1e5, 12.50 next to 3.5, "
              "money signs) stays text, cell for cell.")


def feature_table(applied: Applied) -> pd.DataFrame:
    """The feature vector of every row of ``applied.output``, in the same order.

    Columns: ``skewlab_row`` and ``skewlab_origin`` as in the output, then one float64 column per
    feature (``FeatureSpace.feature_names``: numeric columns standardized, ``column=value`` one-hot
    columns, ``text:i`` the text block). Original rows that were learned from have their feature
    space row, synthetic rows the vector the strategy made; rows the strategy never saw (no label,
    the test part of a split) are empty (NaN).
    """
    res, out = applied.result, applied.output
    names = list(applied.space.feature_names)
    X = np.full((len(out), len(names)), np.nan)
    rows = out["skewlab_row"].to_numpy(dtype="float64", na_value=np.nan)
    original = ~np.isnan(rows)
    kept = np.flatnonzero(res.row >= 0)
    ids = res.row[kept]
    order = np.argsort(ids, kind="stable")
    wanted = rows[original].astype(np.int64)
    at = np.clip(np.searchsorted(ids[order], wanted), 0, max(len(ids) - 1, 0))
    found = (ids[order][at] == wanted) if len(ids) else np.zeros(len(wanted), dtype=bool)
    X[np.flatnonzero(original)[found]] = res.X[kept[order[at[found]]]]
    synthetic = np.flatnonzero(res.row < 0)
    if len(synthetic) != int((~original).sum()):
        raise RuntimeError("The output's synthetic rows do not match the result's; the feature table would be misaligned.")
    X[~original] = res.X[synthetic]
    cols = {"skewlab_row": out["skewlab_row"], "skewlab_origin": out["skewlab_origin"]}
    features = pd.DataFrame(X, columns=[n if n not in cols else f"feature:{n}" for n in names])
    return pd.concat([pd.DataFrame(cols).reset_index(drop=True), features], axis=1)


def _features_parquet(applied: Applied) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(feature_table(applied), preserve_index=False), buf, compression="zstd")
    return buf.getvalue()


#: What README.txt says about features.parquet.
FEATURES_NOTE = (
    f"{FEATURES_MEMBER}: the feature vector of every row of the balanced table, row for row (same order):",
    "  skewlab_row, skewlab_origin, then one float64 column per feature (numeric columns standardized,",
    "  column=value one-hot columns, text:0.. the text block made by the recipe's text encoder). Synthetic",
    "  rows carry the vector their strategy made; rows the strategy never saw (no label, test part) are empty.",
    "  Train a model on them, e.g. pandas.read_parquet('features.parquet') with the label column of the",
    "  balanced table as target; the recipe's features.text_encoder says how the text was embedded.",
)


def _readme(applied: Applied, fmt: str, neutralize: bool, applied_typed: bool = False, features: bool = False) -> str:
    r = applied.recipe
    names = member_names(fmt)
    lines = [
        "Skewlab export",
        "",
        f"Input: {r.input.name} (sha256 {r.input.sha256})",
        f"Strategy: {r.strategy}  target: {r.target}  seed: {r.seed}",
        f"Scope: {'stratified train/test split, test share ' + format(r.scope.test_share, 'g') + ', split seed ' + str(r.scope.seed) + ' (only train is rebalanced)' if r.scope.kind == 'split' else 'the whole catalog'}",
        "",
        f"{names['data']}: every original column; original rows exactly as loaded"
        + (" (but for the spreadsheet safety prefix below)" if neutralize and fmt in ("csv", "xlsx") else "")
        + "; synthetic rows built from their",
        "  real parent rows: a copy equals its seed row in every column; a row between two real rows has",
        "  numeric columns seed + alpha * (neighbour - seed) on the two rows' own values (empty when both are",
        "  empty), every other column from the seed row and text columns empty. Then the provenance columns:",
        "  skewlab_origin (original/synthetic), skewlab_row (original row id, 0-based), skewlab_seed_row,",
        "  skewlab_neighbor_row, skewlab_alpha (interpolation weight), skewlab_strategy, skewlab_sample_weight,",
        "  skewlab_text_source (seed/empty for synthetic rows)"
        + (", skewlab_split (train/test/unlabelled)." if r.scope.kind == "split" else "."),
        "  Rows without a label are carried through untouched.",
        f"{names['removed']}: removed original rows with skewlab_row, skewlab_reason and their original columns.",
        "recipe.json: every choice; replay with",
        f"  python -m core apply --recipe recipe.json --input {r.input.name} --output {names['data']}",
        "report.html: skew before and after and what else was available; opens offline.",
        *(FEATURES_NOTE if features else ()),
        "",
    ]
    if applied_typed:
        lines.append(TYPED_NOTE)
    if fmt in ("csv", "xlsx"):
        lines.append(
            "Spreadsheet safety: " + (
                "text cells starting with = + - @, tab or carriage return (not plain numbers) were prefixed with ' "
                "so spreadsheets show them as text." if neutralize else "OFF: cells were written exactly as loaded."
            )
        )
    return "\n".join(lines) + "\n"


def export_bundle(
    table: LoadedTable | pd.DataFrame,
    recipe: Recipe,
    *,
    fmt: str = "csv",
    neutralize: bool = True,
    applied: Applied | None = None,
    report_extras: Mapping[str, Any] | None = None,
    features: bool = False,
) -> bytes:
    """The export bundle: a zip of the balanced data, removed rows, recipe.json, report.html, README.txt.

    Parameters
    ----------
    table : LoadedTable or pandas.DataFrame
        The catalog as loaded.
    recipe : Recipe
    fmt : str
        ``csv``, ``parquet`` or ``xlsx`` for the two tables.
    neutralize : bool
        Spreadsheet safety for CSV and Excel (default on).
    applied : Applied, optional
        ``apply_recipe(table, recipe)`` when already computed (it must be of this recipe).
    report_extras : mapping, optional
        Extra sections for the report (see :func:`core.export.report.build_report`: ``map_figure``,
        ``audit_table``, ``evaluation_table``...).
    features : bool
        Also write :data:`FEATURES_MEMBER`, the feature vector of every output row (:func:`feature_table`).

    Returns
    -------
    bytes
        The zip file. The same inputs give the same bytes.
    """
    fmt = format_of("", fmt)
    if applied is None:
        applied = apply_recipe(table, recipe)
    elif applied.recipe.to_dict() | {"versions": {}} != recipe.to_dict() | {"versions": {}}:
        raise RuntimeError("export_bundle was given the applied result of another recipe than the one to export.")
    names = member_names(fmt)
    frame = getattr(table, "frame", table)
    html = build_report(applied, frame=frame, **dict(report_extras or {}))
    output, removed = typed_tables(applied, table) if fmt == "parquet" else (applied.output, applied.removed)
    members = [
        (names["data"], write_table(output, fmt, neutralize=neutralize)),
        (names["removed"], write_table(removed, fmt, neutralize=neutralize, sheet="removed")),
        (names["recipe"], recipe.to_json().encode("utf-8")),
        (names["report"], html.encode("utf-8")),
        (names["readme"], _readme(applied, fmt, neutralize, types_numbers(table, fmt), features).encode("utf-8")),
    ]
    if features:
        members.insert(2, (FEATURES_MEMBER, _features_parquet(applied)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, body)
    return buf.getvalue()
