"""Split first: the confirmation part is held out before any trial, and the folds the trials share.

:func:`hold_out` draws a stratified part of every class (by row ids, seeded: the split of the Export
page's train/test scope, :func:`core.export.stratified_split`) that no trial sees. Classes too small
to give a row stay whole in the search part and are named. :func:`make_folds` cuts the search part's
rows (after the row budget) into stratified folds as the evaluation does: classes with fewer rows
than folds are in every training part and not scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.features import FeatureSpace
from core.data.skew import group_for_count
from core.errors import SchemaError
from core.export.apply import stratified_split
from core.params import SEED

__all__ = ["Folds", "HoldOut", "hold_out", "make_folds"]


@dataclass(frozen=True, eq=False)
class HoldOut:
    """Positions (in the space searched) of the search part and of the confirmation part."""

    search: np.ndarray
    confirm: np.ndarray
    confirm_rows: np.ndarray
    kept_whole: dict[str, int]
    notes: tuple[str, ...]


def hold_out(space: FeatureSpace, *, share: float, seed: int) -> HoldOut:
    """A stratified confirmation part of ``share`` of every class, drawn before the search.

    Raises
    ------
    SchemaError
        Fewer than two classes can give rows to the confirmation part.
    """
    pos = stratified_split(pd.Series(space.y.astype(str)), test_share=share, seed=seed)
    mask = np.zeros(space.n_rows, dtype=bool)
    mask[pos] = True
    counts = space.class_counts()
    held = set(np.unique(space.y[pos].astype(str)).tolist())
    whole = {c: n for c, n in sorted(counts.items(), key=lambda kv: (kv[1], kv[0])) if c not in held}
    if len(held) < 2:
        raise SchemaError(f"Only {len(held)} class(es) have enough rows to hold {share:g} of them out for the "
                          "confirmation; the search needs at least two.",
                          hint="Use a catalog with more rows per class or a larger confirmation share.")
    notes = [f"Held out before the search: {len(pos):,} of {space.n_rows:,} labelled rows ({share:g} of every class, "
             f"seed {seed}) to confirm the winner; no trial sees them."]
    if whole:
        shown = ", ".join(f"{c!r} ({n})" for c, n in list(whole.items())[:12])
        notes.append(f"{len(whole)} class(es) too small to give a row to the confirmation part stay whole in the "
                     f"search part (not confirmed): {shown}{' …' if len(whole) > 12 else ''}.")
    return HoldOut(np.flatnonzero(~mask), np.sort(pos), space.rows[np.sort(pos)].copy(), whole, tuple(notes))


@dataclass(frozen=True, eq=False)
class Folds:
    """The folds every trial uses: ``splits`` of positions in the trial space, scored classes, groups."""

    splits: tuple[tuple[np.ndarray, np.ndarray], ...]
    labels: tuple[str, ...]
    groups: dict[str, str]
    unscored: dict[str, int]


def groups_of(counts: Mapping[str, int], *, head_min: int, tail_max: int) -> dict[str, str]:
    """Head / medium / tail of every class, from its size in the whole catalog."""
    return {c: group_for_count(int(n), head_min=head_min, tail_max=tail_max) for c, n in counts.items()}


def make_folds(space: FeatureSpace, *, folds: int, seed: int, groups: Mapping[str, str]) -> Folds:
    """Stratified folds over the scored rows (``StratifiedKFold(folds, shuffle=True, random_state=seed)``,
    as the evaluation's first repeat); rows of classes with fewer than ``folds`` rows train in every fold."""
    from sklearn.model_selection import StratifiedKFold

    counts = space.class_counts()
    unscored = {c: n for c, n in counts.items() if n < folds}
    labels = tuple(sorted(c for c in counts if c not in unscored))
    if len(labels) < 2:
        raise SchemaError(f"Only {len(labels)} class(es) of the search part have {folds} rows or more; the trials "
                          "need two to score.", hint="Use fewer folds or a catalog with larger classes.")
    y = space.y.astype(str)
    always = np.flatnonzero(np.isin(y, list(unscored)))
    scored = np.flatnonzero(~np.isin(y, list(unscored)))
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=int(seed) % (SEED.high + 1))
    splits = tuple((np.sort(np.concatenate([scored[tr], always])), np.sort(scored[te]))
                   for tr, te in skf.split(np.zeros(len(scored)), y[scored]))
    return Folds(splits, labels, {c: groups[c] for c in counts}, unscored)
