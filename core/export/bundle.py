"""Export: replay a recipe on a catalog and write the balanced data, the removed rows, the recipe
and an offline report as one zip bundle.

The app's Export page and ``python -m core apply`` both go through :func:`apply_recipe` and
:func:`write_table`, so on the same input and recipe they give the same bytes.

Spreadsheet safety: in CSV and Excel output, text cells that begin with ``=``, ``+``, ``-``, ``@``,
tab or carriage return (and are not a plain number such as ``-5``) get a leading single quote
``'`` so a spreadsheet shows them as text instead of running them as formulas
(:func:`neutralize_formulas`). It is on by default and can be turned off; Parquet is never altered.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ParameterError, RecipeError, SchemaError
from core.data.features import FeatureSpace, build_features
from core.data.io import LoadedTable
from core.export.recipe import Recipe
from core.strategies import ResampleResult, resample
from core.export.tables import build_output_table
from core.data.schema import label_values

FORMATS: tuple[str, ...] = ("csv", "parquet", "xlsx")
EXTENSIONS = {"csv": ".csv", "parquet": ".parquet", "xlsx": ".xlsx"}
#: Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
SPLIT_COLUMN = "skewlab_split"
TRAIN, TEST, UNLABELLED = "train", "test", "unlabelled"
EXCEL_MAX_ROWS = 1_048_575  # plus the header row
EXCEL_MAX_CELL = 32_767
#: Fixed time stamp of zip members, so the same export gives the same bytes.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_EXCEL_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True, eq=False)
class Applied:
    """A recipe applied to a catalog.

    Attributes
    ----------
    output : pandas.DataFrame
        Every original column, then the ``skewlab_*`` provenance columns (and ``skewlab_split``
        for the split scope). Original rows first (row-id order, values as loaded), then
        synthetic rows.
    removed : pandas.DataFrame
        ``skewlab_row``, ``skewlab_reason``, then the original columns of each removed row.
    counts : pandas.DataFrame
        One row per class: ``before`` and ``after`` (of the rebalanced part), and ``test`` for
        the split scope.
    recipe : Recipe
    result : ResampleResult
    space : FeatureSpace
    warnings : tuple of str
        Things to tell the analyst (another input than the recipe's, other library versions).
    """

    output: pd.DataFrame
    removed: pd.DataFrame
    counts: pd.DataFrame
    recipe: Recipe
    result: ResampleResult
    space: FeatureSpace
    warnings: tuple[str, ...] = field(default=())


# ------------------------------------------------------------------------------------- split


def stratified_split(labels: pd.Series, *, test_share: float, seed: int) -> np.ndarray:
    """Row ids of the test part of a stratified split of the labelled rows.

    Each class gives ``round(rows * test_share)`` rows to test, but always keeps at least one
    row in train (a class with a single row stays in train). Rows without a label are in
    neither part.

    Parameters
    ----------
    labels : pandas.Series
        Class per row (NA = no label).
    test_share : float
        In (0, 1).
    seed : int

    Returns
    -------
    ndarray of int64
        Sorted row ids of the test rows.
    """
    if not 0 < float(test_share) < 1:
        raise ParameterError(f"test_share={test_share!r} must lie strictly between 0 and 1, e.g. 0.2.")
    lab = pd.Series(labels).reset_index(drop=True)
    mask = lab.notna().to_numpy()
    rows = np.flatnonzero(mask)
    y = np.asarray([str(v) for v in lab[mask].tolist()], dtype=object)
    rng = np.random.default_rng(int(seed))
    test: list[np.ndarray] = []
    for cls in sorted(set(y.tolist())):
        members = rows[y == cls]
        n_test = min(int(np.floor(len(members) * float(test_share) + 0.5)), len(members) - 1)
        if n_test > 0:
            test.append(rng.permutation(members)[:n_test])
    return np.sort(np.concatenate(test)).astype(np.int64) if test else np.empty(0, dtype=np.int64)


# ------------------------------------------------------------------------------------- apply


def check_input(table: LoadedTable | pd.DataFrame, recipe: Recipe) -> list[str]:
    """Check the catalog has what the recipe needs; return warnings (another fingerprint...).

    Raises
    ------
    RecipeError
        A column the recipe uses is missing.
    """
    frame = getattr(table, "frame", table)
    needed = [recipe.label.column, *recipe.features.columns]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise RecipeError(
            f"The input lacks column(s) the recipe uses: {', '.join(map(repr, missing[:10]))}.",
            hint=f"Columns of the input: {', '.join(map(repr, list(map(str, frame.columns))[:15]))}.",
        )
    out = []
    sha = getattr(table, "sha256", None)
    if sha is not None and sha != recipe.input.sha256:
        out.append(
            f"The input's fingerprint ({sha[:12]}…) differs from the recipe's ({recipe.input.sha256[:12]}…, "
            f"{recipe.input.name}): this is another or a changed catalog, so the rows will differ from the app's export."
        )
    return out


def recipe_roles(frame: pd.DataFrame, recipe: Recipe) -> dict[str, str]:
    """The recipe's roles for the columns of ``frame`` (columns the recipe does not know: ``ignore``)."""
    return {str(c): recipe.roles.get(str(c), "ignore") for c in frame.columns}


def apply_recipe(table: LoadedTable | pd.DataFrame, recipe: Recipe, *, progress=None) -> Applied:
    """Replay a recipe on a catalog.

    Parameters
    ----------
    table : LoadedTable or pandas.DataFrame
        The catalog as loaded (:func:`core.data.io.load_table`).
    recipe : Recipe
    progress : callable(fraction, message), optional

    Returns
    -------
    Applied

    Raises
    ------
    RecipeError
        The catalog lacks a column the recipe uses.
    SkewlabError
        Whatever resampling raises (too small classes...), with its message.
    """
    from core.export.recipe import version_warnings

    warnings_ = check_input(table, recipe) + version_warnings(recipe)
    frame: pd.DataFrame = getattr(table, "frame", table)
    labels = label_values(frame, recipe.label.column, level=recipe.label.level, separator=recipe.label.separator)
    split = np.full(len(frame), "", dtype=object)
    learn = labels
    if recipe.scope.kind == "split":
        test_rows = stratified_split(labels, test_share=recipe.scope.test_share, seed=recipe.scope.seed)
        learn = labels.copy()
        learn.iloc[test_rows] = pd.NA
        split[:] = TRAIN
        split[labels.isna().to_numpy()] = UNLABELLED
        split[test_rows] = TEST
    space = build_features(frame, learn, recipe.features)
    result = resample(
        space, recipe.strategy, params=recipe.params, target=recipe.target_spec(),
        small_classes=recipe.small_classes, seed=recipe.seed, progress=progress,
    )
    roles = recipe_roles(frame, recipe)
    output = build_output_table(frame, learn, roles, result, space)
    if recipe.scope.kind == "split":
        rows = output["skewlab_row"].to_numpy(dtype="float64", na_value=np.nan)
        col = np.where(np.isnan(rows), TRAIN, split[np.nan_to_num(rows, nan=0).astype(np.int64)])
        output[SPLIT_COLUMN] = pd.array(col.astype(str), dtype="string")
    removed = result.removed()
    orig = frame.iloc[result.removed_rows].reset_index(drop=True)
    removed = pd.concat([removed, orig], axis=1)
    counts = pd.DataFrame({"before": pd.Series(result.counts_before, dtype="int64"),
                           "after": pd.Series(result.counts_after, dtype="int64")}).fillna(0).astype("int64")
    if recipe.scope.kind == "split":
        test_counts = labels.iloc[np.flatnonzero(split == TEST)].astype(str).value_counts()
        counts["test"] = test_counts.reindex(counts.index).fillna(0).astype("int64")
    counts.index.name = "class"
    counts = counts.sort_values(["before", "after"], ascending=False, kind="stable")
    return Applied(output=output, removed=removed, counts=counts, recipe=recipe, result=result, space=space,
                   warnings=tuple(warnings_))


# ------------------------------------------------------------------------------------- spreadsheet safety


def _is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value)


def neutralize_formulas(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Prefix ``'`` to text cells a spreadsheet would run as a formula.

    A cell is changed when it is text (not a number), starts with one of ``= + - @``, tab or
    carriage return, and is not a plain number written as text (``-5``, ``+3.2``, ``-1,234``).
    Numeric columns are never touched.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    (pandas.DataFrame, int)
        A new frame (the input is not changed) and the number of cells changed.
    """
    out = frame.copy()
    changed = 0
    for col in out.columns:
        s = out[col]
        if not (pd.api.types.is_string_dtype(s.dtype) or s.dtype == object):
            continue
        if isinstance(s.dtype, pd.StringDtype):
            # only cells starting like a formula can be one: test those (vectorised first pass)
            cand = np.flatnonzero(s.str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool))
            mask = np.zeros(len(s), dtype=bool)
            if len(cand):
                cells = s.iloc[cand].tolist()
                mask[cand] = [_is_formula_like(v) for v in cells]
        else:
            mask = np.fromiter((_is_formula_like(v) for v in s.tolist()), dtype=bool, count=len(s))
        if mask.any():
            changed += int(mask.sum())
            values = s.to_numpy(dtype=object, na_value=None).copy()
            values[mask] = np.array(["'" + v for v in values[mask]], dtype=object)
            out[col] = pd.Series(values, index=s.index, dtype=s.dtype)
    return out, changed


# ------------------------------------------------------------------------------------- writing


def format_of(path: str, fmt: str | None = None) -> str:
    """``csv``, ``parquet`` or ``xlsx`` from an explicit choice or a file name's extension."""
    if fmt:
        f = fmt.lower().lstrip(".")
        f = {"excel": "xlsx", "pq": "parquet"}.get(f, f)
        if f not in FORMATS:
            raise ParameterError(f"Format {fmt!r} is not supported; use one of {', '.join(FORMATS)}.")
        return f
    lower = str(path).lower()
    for f, ext in (("csv", ".csv"), ("parquet", ".parquet"), ("parquet", ".pq"), ("xlsx", ".xlsx")):
        if lower.endswith(ext):
            return f
    raise ParameterError(
        f"Cannot tell the format of {path!r} from its extension.",
        hint="Name it .csv, .parquet or .xlsx, or pass --format csv|parquet|xlsx.",
    )


def write_table(frame: pd.DataFrame, fmt: str, *, neutralize: bool = True, sheet: str = "data") -> bytes:
    """The bytes of ``frame`` as CSV (UTF-8), Parquet or Excel.

    Parameters
    ----------
    frame : pandas.DataFrame
    fmt : str
        ``csv``, ``parquet`` or ``xlsx``.
    neutralize : bool
        Spreadsheet safety for CSV and Excel (see :func:`neutralize_formulas`); Parquet is
        never altered.
    sheet : str
        Sheet name of an Excel file.

    Raises
    ------
    ParameterError
        An unknown format, or a table Excel cannot hold (too many rows, a control character or
        a too long text in a cell).
    """
    fmt = format_of("", fmt)
    if fmt == "parquet":
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False, engine="pyarrow")
        return buf.getvalue()
    if neutralize:
        frame, _ = neutralize_formulas(frame)
    if fmt == "csv":
        return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    return _write_xlsx(frame, sheet)


def _excel_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.tz_convert(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    return value


def _write_xlsx(frame: pd.DataFrame, sheet: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    if len(frame) > EXCEL_MAX_ROWS:
        raise ParameterError(
            f"The table has {len(frame):,} rows; an Excel sheet holds at most {EXCEL_MAX_ROWS:,}.",
            hint="Export CSV or Parquet instead.",
        )
    columns = [frame[c].to_numpy(dtype=object, na_value=None) for c in frame.columns]
    for name, col in zip([str(c) for c in frame.columns], columns):
        for value in [name, *col]:
            if not isinstance(value, str):
                continue
            if len(value) > EXCEL_MAX_CELL:
                raise ParameterError(
                    f"A cell of column {name[:60]!r} holds {len(value):,} characters; an Excel cell holds at most "
                    f"{EXCEL_MAX_CELL:,}.",
                    hint="Export CSV or Parquet instead.",
                )
            if _EXCEL_ILLEGAL.search(value):
                raise ParameterError(
                    f"A cell of column {name[:60]!r} holds a control character that Excel cannot store ({value[:40]!r}).",
                    hint="Export CSV or Parquet instead: they keep every character.",
                )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)

    def cell(value: Any) -> Any:
        value = _excel_value(value)
        if isinstance(value, str):
            c = WriteOnlyCell(ws, value=value)
            c.data_type = "s"  # text stays text, even when it starts with '=' (never a live formula)
            return c
        return value

    ws.append([cell(str(c)) for c in frame.columns])
    for i in range(len(frame)):
        ws.append([cell(col[i]) for col in columns])
    buf = io.BytesIO()
    wb.save(buf)
    return _fix_zip_times(buf.getvalue())


def _fix_zip_times(data: bytes) -> bytes:
    """Rewrite a zip (an .xlsx) with fixed member times and creation dates, so bytes repeat."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>2020-01-01T00:00:00Z\g<3>", body)
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, body)
    return out.getvalue()


# ------------------------------------------------------------------------------------- bundle


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


def _readme(applied: Applied, fmt: str, neutralize: bool) -> str:
    r = applied.recipe
    names = member_names(fmt)
    lines = [
        "Skewlab export",
        "",
        f"Input: {r.input.name} (sha256 {r.input.sha256})",
        f"Strategy: {r.strategy}  target: {r.target}  seed: {r.seed}",
        f"Scope: {'stratified train/test split, test share ' + format(r.scope.test_share, 'g') + ', split seed ' + str(r.scope.seed) + ' (only train is rebalanced)' if r.scope.kind == 'split' else 'the whole catalog'}",
        "",
        f"{names['data']}: every original column; original rows exactly as loaded; synthetic rows with numeric",
        "  and categorical columns rebuilt in original units and text columns empty; then the provenance columns:",
        "  skewlab_origin (original/synthetic), skewlab_row (original row id, 0-based), skewlab_seed_row,",
        "  skewlab_neighbor_row, skewlab_alpha (interpolation weight), skewlab_strategy, skewlab_sample_weight"
        + (", skewlab_split (train/test/unlabelled)." if r.scope.kind == "split" else "."),
        "  Rows without a label are carried through untouched.",
        f"{names['removed']}: removed original rows with skewlab_row, skewlab_reason and their original columns.",
        "recipe.json: every choice; replay with",
        f"  python -m core apply --recipe recipe.json --input {r.input.name} --output {names['data']}",
        "report.html: skew before and after and what else was available; opens offline.",
        "",
    ]
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

    Returns
    -------
    bytes
        The zip file. The same inputs give the same bytes.
    """
    from core.export.report import build_report

    fmt = format_of("", fmt)
    if applied is None:
        applied = apply_recipe(table, recipe)
    elif applied.recipe.to_dict() | {"versions": {}} != recipe.to_dict() | {"versions": {}}:
        raise SchemaError("The applied result is of another recipe than the one to export.")
    names = member_names(fmt)
    frame = getattr(table, "frame", table)
    html = build_report(applied, frame=frame, **dict(report_extras or {}))
    members = [
        (names["data"], write_table(applied.output, fmt, neutralize=neutralize)),
        (names["removed"], write_table(applied.removed, fmt, neutralize=neutralize, sheet="removed")),
        (names["recipe"], recipe.to_json().encode("utf-8")),
        (names["report"], html.encode("utf-8")),
        (names["readme"], _readme(applied, fmt, neutralize).encode("utf-8")),
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, body)
    return buf.getvalue()
