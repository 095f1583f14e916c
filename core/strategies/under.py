"""Under-samplers: random, NearMiss and cluster centroids (every kept row is a real row).

Every under-sampler runs :func:`undersample`: resolve targets (an under-sampler cannot add rows),
then the spec's ``pick`` function chooses the rows to keep. The tail guard
(``min_class_rows``, :data:`core.strategies.clean.TAIL_GUARD`) raises every class's target to
``min(its rows, min_class_rows)``: classes with fewer rows are left alone and no class is deleted;
0 turns it off (imbalanced-learn's rows).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np

from core.errors import SmallClassError
from core.neighbors.knn import kneighbors
from core.strategies.clean import TAIL_GUARD
from core.strategies.smallclass import small_hint
from core.strategies.spec import ParamSpec, StrategySpec, register
from core.strategies.state import Ctx, State, active_counts, class_rng, fmt_classes
from core.strategies.targets import resolve_targets

__all__ = ["Pick", "undersample"]

#: ``pick(state, spec, params, ctx, rows, strategy, counts) -> (kept positions in rows, reason)``:
#: ``rows`` are the state positions of the classes resampled, ``strategy`` imbalanced-learn's
#: ``sampling_strategy`` (rows per class to keep).
Pick = Callable[..., tuple[np.ndarray, str]]


def undersample(state: State, spec: StrategySpec, p: Mapping[str, Any], ctx: Ctx, *, pick: Pick) -> dict[str, int]:
    """Shrink every class above its target to it with ``pick``."""
    counts = active_counts(state, ctx)
    targets = resolve_targets(counts, ctx.target, family="under")
    over = {c: t for c, t in targets.items() if t > counts[c]}
    if over:
        state.notes.append(
            f"{spec.label} cannot add rows: {len(over)} class(es) keep their size instead of the larger target "
            f"({', '.join(f'{c!r} {counts[c]} (asked {t})' for c, t in list(over.items())[:6])})."
        )
        targets = {c: min(t, counts[c]) for c, t in targets.items()}
    targets = _guard_targets(state, spec, int(p[TAIL_GUARD.name]), counts, targets)
    if not any(t < counts[c] for c, t in targets.items()):
        state.notes.append("Every class is already at or under its target; no rows were removed.")
        return targets
    idx_active = np.flatnonzero(np.isin(state.yc, [state.code(c) for c in counts]))
    # imbalanced-learn's 'auto' also names the classes already at their target (all but the
    # minority): they keep every row, and its NearMiss and ClusterCentroids see the same strategy
    strategy = {c: t for c, t in targets.items() if t <= counts[c]}
    minority = min(counts, key=lambda c: (counts[c], c))
    if targets[minority] == counts[minority] and len(strategy) > 1:
        strategy.pop(minority)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kept, reason = pick(state, spec, p, ctx, idx_active, strategy, counts)
    mask = np.ones(len(state.yc), dtype=bool)
    mask[idx_active] = False
    mask[idx_active[np.asarray(kept, dtype=np.int64)]] = True
    state.keep(mask, reason, ctx.rows)
    return targets


def _guard_targets(state: State, spec: StrategySpec, floor: int, counts: Mapping[str, int],
                   targets: dict[str, int]) -> dict[str, int]:
    """Targets raised to ``min(rows, floor)`` (the tail guard), with a note when it changed any."""
    guarded = {c: min(counts[c], floor) for c, t in targets.items() if t < min(counts[c], floor)}
    if not guarded:
        return targets
    kept = sum(n - targets[c] for c, n in guarded.items())
    whole = [c for c in guarded if targets[c] == 0]
    state.notes.append(
        f"{spec.label}: the tail guard (min_class_rows={floor}) kept {kept} row(s) of {len(guarded)} class(es) above "
        f"their target, so no class went below min(its rows, {floor})"
        + (f"; without it {len(whole)} class(es) would have lost every row" if whole else "")
        + ". Set min_class_rows=0 to turn it off."
    )
    return {**targets, **guarded}


def _random_pick(state: State, spec: StrategySpec, p: Mapping[str, Any], ctx: Ctx, idx_active: np.ndarray,
                 strategy: Mapping[str, int], counts: Mapping[str, int]) -> tuple[np.ndarray, str]:
    """Random rows to keep of every class in ``strategy`` (positions in ``idx_active``).

    Each class draws from its own stream (:func:`~core.strategies.state.class_rng`: the seed and the
    class name) among its rows in row order, so the rows it keeps never depend on the other classes
    (imbalanced-learn's RandomUnderSampler draws every class from one stream: same counts, other rows).
    """
    codes = state.yc[idx_active]
    small = codes.astype(np.int16) if len(state.names) < 2**15 else codes
    order = np.argsort(small, kind="stable")  # positions in idx_active, grouped by class, ascending
    bounds = np.searchsorted(small[order], np.arange(len(state.names) + 1))
    parts = []
    for i, c in enumerate(state.names):
        members = order[bounds[i] : bounds[i + 1]]
        if not len(members):
            continue
        if c in strategy and int(strategy[c]) < len(members):
            keep = class_rng(ctx.seed, c).choice(len(members), size=int(strategy[c]), replace=False)
            members = members[np.sort(keep)]
        parts.append(members)
    return (np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)), "random under-sampling"


def _near_miss_k(state: State, spec: StrategySpec, k: int, smallest: int, ctx: Ctx, what: str,
                 short: Mapping[str, int]) -> int:
    """k lowered to ``smallest`` under ``lower_k``; otherwise SmallClassError for the ``short`` classes."""
    if smallest >= k:
        return k
    if ctx.small_classes != "lower_k":
        raise SmallClassError(what, classes=dict(short), needed=k, hint=small_hint(spec))
    return smallest


def _near_miss_pick(state: State, spec: StrategySpec, p: Mapping[str, Any], ctx: Ctx, idx_active: np.ndarray,
                    strategy: Mapping[str, int], counts: Mapping[str, int]) -> tuple[np.ndarray, str]:
    from imblearn.under_sampling import NearMiss

    k, k3, version = int(p["n_neighbors"]), int(p["n_neighbors_ver3"]), int(p["version"])
    smallest = min(counts.values())
    lowered = _near_miss_k(
        state, spec, k, smallest, ctx,
        f"The smallest class has {smallest} rows; NearMiss with n_neighbors={k} needs at least {k}.",
        {c: n for c, n in counts.items() if n < k},
    )
    if lowered < k:
        state.notes.append(f"NearMiss: the smallest class has {smallest} rows, so n_neighbors={lowered} (asked {k}).")
    if version == 3:
        smallest3 = min(counts[c] for c in strategy)
        short = {c: counts[c] for c in strategy if counts[c] < k3}
        lowered3 = _near_miss_k(
            state, spec, k3, smallest3, ctx,
            f"NearMiss-3 with n_neighbors_ver3={k3} needs at least {k3} rows in every class it under-samples; "
            f"{fmt_classes(short)}.",
            short,
        )
        if lowered3 < k3:
            state.notes.append(f"NearMiss-3: a class has {smallest3} rows, so n_neighbors_ver3={lowered3} (asked {k3}).")
        k3 = lowered3
    s = NearMiss(sampling_strategy=dict(strategy), version=version, n_neighbors=lowered, n_neighbors_ver3=k3)
    s.fit_resample(state.X[idx_active], state.labels(idx_active))
    return s.sample_indices_, f"NearMiss-{version} under-sampling"


def _centroids_pick(state: State, spec: StrategySpec, p: Mapping[str, Any], ctx: Ctx, idx_active: np.ndarray,
                    strategy: Mapping[str, int], counts: Mapping[str, int]) -> tuple[np.ndarray, str]:
    from imblearn.under_sampling import ClusterCentroids
    from sklearn.cluster import KMeans

    shrink = {c: t for c, t in strategy.items() if t < counts[c]}
    X, y = state.X[idx_active], state.labels(idx_active)
    s = ClusterCentroids(sampling_strategy=shrink, random_state=ctx.seed, voting="hard",
                         estimator=KMeans(n_init=1, random_state=ctx.seed))
    X_res, y_res = s.fit_resample(X, y)
    return _match_rows(X, y, X_res, np.asarray(y_res).astype(str)), "not a cluster centroid"


def _match_rows(X: np.ndarray, y: np.ndarray, X_res: np.ndarray, y_res: np.ndarray) -> np.ndarray:
    """Positions in X of rows of X_res (exact match, same class; duplicates take distinct rows)."""
    used = np.zeros(len(X), dtype=bool)
    out = np.empty(len(X_res), dtype=np.int64)
    for c in np.unique(y_res):
        idx = np.flatnonzero(y == c)
        sel = np.flatnonzero(y_res == c)
        d, nn = kneighbors(X[idx], min(len(idx), 16), query=X_res[sel])
        for j, i in enumerate(sel):
            for t in range(nn.shape[1]):
                cand = idx[nn[j, t]]
                if not used[cand] and d[j, t] <= 1e-9 * (1 + np.abs(X_res[i]).max()):
                    used[cand] = True
                    out[i] = cand
                    break
            else:
                raise RuntimeError("Cluster centroids returned a row that is not a real row (hard voting keeps real rows).")
    return out


register(StrategySpec(
    "random_under",
    "Random under-sampling",
    "under",
    "Drop random rows of large classes down to their target.",
    (TAIL_GUARD,),
    uses_targets=True,
    imblearn="imblearn.under_sampling:RandomUnderSampler",
    runner=partial(undersample, pick=_random_pick),
    seeded=True,
))
register(StrategySpec(
    "near_miss",
    "NearMiss",
    "under",
    "Keep the rows of large classes that are closest to the smallest class (version 1: to its nearest rows, "
    "2: to its farthest rows, 3: a fixed number per small-class row).",
    (
        ParamSpec("version", "int", 1, 1, 3, help="NearMiss version 1, 2 or 3."),
        ParamSpec("n_neighbors", "int", 3, 1, 100, help="Neighbours in the smallest class used for the mean distance."),
        ParamSpec("n_neighbors_ver3", "int", 3, 1, 100, help="Version 3 only: neighbours kept per small-class row."),
        TAIL_GUARD,
    ),
    uses_targets=True,
    k_param="n_neighbors",
    k_extra=0,
    imblearn="imblearn.under_sampling:NearMiss",
    reference="Mani & Zhang 2003",
    runner=partial(undersample, pick=_near_miss_pick),
))
register(StrategySpec(
    "cluster_centroids",
    "Cluster centroids",
    "under",
    "Replace large classes by k-means centroids, keeping the real row nearest to each centroid (hard voting), "
    "so every kept row is a real row.",
    (TAIL_GUARD,),
    uses_targets=True,
    imblearn="imblearn.under_sampling:ClusterCentroids",
    reference="imbalanced-learn ClusterCentroids",
    runner=partial(undersample, pick=_centroids_pick),
    seeded=True,
    snippet_kwargs=lambda p: {"voting": "hard"},
))
