"""Replay a recipe on a catalog: the rows the app's Export page and ``python -m core apply`` write.

Both go through :func:`apply_recipe`, so on the same input and recipe they give the same rows.
For the split scope, a stratified train / test split (:func:`stratified_split`) is drawn first
and only the train part is rebalanced; the output says which part each row is in
(:data:`SPLIT_COLUMN`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data import FeatureSpace, LoadedTable, build_features, label_values
from core.errors import ParameterError, RecipeError
from core.export.recipe import Recipe, version_warnings
from core.export.tables import build_output_table, output_notes, removed_table
from core.export.typed import typed_frame, types_numbers
from core.strategies import ResampleResult, resample
from core.text import require

__all__ = [
    "SPLIT_COLUMN", "TEST", "TRAIN", "UNLABELLED", "Applied", "apply_recipe", "check_input", "recipe_roles",
    "stratified_split", "typed_tables",
]

SPLIT_COLUMN = "skewlab_split"
TRAIN, TEST, UNLABELLED = "train", "test", "unlabelled"


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
    typed : bool
        Whether number columns loaded as text are typed in ``output`` and ``removed`` (for Parquet;
        :func:`typed_tables` makes them so from an untyped result without running it again).
    """

    output: pd.DataFrame
    removed: pd.DataFrame
    counts: pd.DataFrame
    recipe: Recipe
    result: ResampleResult
    space: FeatureSpace
    warnings: tuple[str, ...] = field(default=())
    typed: bool = False


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


def check_input(table: LoadedTable | pd.DataFrame, recipe: Recipe) -> list[str]:
    """Check the catalog has what the recipe needs; return warnings (another fingerprint...).

    Raises
    ------
    RecipeError
        A column the recipe uses is missing.
    EncoderUnavailableError
        The recipe has text features and its text encoder (with its weights) cannot run here; the
        message names what to install.
    """
    if recipe.features.text:
        require(recipe.features.text_encoder, recipe.encoder_sha256())
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


def apply_recipe(table: LoadedTable | pd.DataFrame, recipe: Recipe, *, progress=None, typed: bool = False) -> Applied:
    """Replay a recipe on a catalog.

    Parameters
    ----------
    table : LoadedTable or pandas.DataFrame
        The catalog as loaded (:func:`core.data.io.load_table`).
    recipe : Recipe
    progress : callable(fraction, message), optional
    typed : bool
        Type the number columns loaded as text (for Parquet; see :mod:`core.export.typed`).

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
    warnings_ = check_input(table, recipe) + version_warnings(recipe)
    frame: pd.DataFrame = getattr(table, "frame", table)
    labels, learn, split = _labels_and_split(frame, recipe)
    space = build_features(frame, learn, recipe.features)
    result = resample(
        space, recipe.strategy, params=recipe.params, target=recipe.target_spec(),
        small_classes=recipe.small_classes, seed=recipe.seed, progress=progress,
    )
    output, removed = _tables(frame, learn, recipe, result, space, split, typed=typed)
    result = result.with_notes(output_notes(result, space))  # how the written rows were made, shown with the run's
    test = labels.iloc[np.flatnonzero(split == TEST)] if recipe.scope.kind == "split" else None
    return Applied(output=output, removed=removed, counts=_class_counts(result, test), recipe=recipe, result=result,
                   space=space, warnings=tuple(warnings_), typed=typed)


def _labels_and_split(frame: pd.DataFrame, recipe: Recipe) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Every row's label, the labels the run learns from (test rows NA in the split scope) and each
    row's part (``train``/``test``/``unlabelled``; empty for the whole catalog)."""
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
    return labels, learn, split


def _tables(frame: pd.DataFrame, learn: pd.Series, recipe: Recipe, result: ResampleResult, space: FeatureSpace,
            split: np.ndarray, *, typed: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The output table (with ``skewlab_split`` for the split scope) and the removed rows."""
    output = build_output_table(frame, learn, recipe_roles(frame, recipe), result, space, typed=typed)
    if recipe.scope.kind == "split":
        rows = output["skewlab_row"].to_numpy(dtype="float64", na_value=np.nan)
        col = np.where(np.isnan(rows), TRAIN, split[np.nan_to_num(rows, nan=0).astype(np.int64)])
        output[SPLIT_COLUMN] = pd.array(col.astype(str), dtype="string")
    source = typed_frame(frame, skip={recipe.label.column})[0] if typed else frame
    return output, removed_table(source, result)


def typed_tables(applied: Applied, table: LoadedTable | pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``applied``'s output and removed tables with typed number columns for Parquet (a CSV input only:
    :func:`core.export.typed.types_numbers`), from its result: the resampling does not run again."""
    if applied.typed or not types_numbers(table, "parquet"):
        return applied.output, applied.removed
    frame: pd.DataFrame = getattr(table, "frame", table)
    _, learn, split = _labels_and_split(frame, applied.recipe)
    return _tables(frame, learn, applied.recipe, applied.result, applied.space, split, typed=True)


def _class_counts(result: ResampleResult, test: pd.Series | None) -> pd.DataFrame:
    """Rows per class before and after (and in ``test``, the labels of a test part), largest first."""
    counts = pd.DataFrame({"before": pd.Series(result.counts_before, dtype="int64"),
                           "after": pd.Series(result.counts_after, dtype="int64")}).fillna(0).astype("int64")
    if test is not None:
        counts["test"] = test.astype(str).value_counts().reindex(counts.index).fillna(0).astype("int64")
    counts.index.name = "class"
    return counts.sort_values(["before", "after"], ascending=False, kind="stable")
