"""Outlier removal per class: Isolation Forest, local outlier factor and distance to the class
centroid. Classes under the tail guard (``min_class_rows``) are left alone.

Every outlier remover runs :func:`remove_outliers` with its ``flags`` function:
``flags(Xc, params, seed, cls, notes) -> (is outlier, reasons)`` for the rows of class ``cls``.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np

from core.errors import ParameterError
from core.strategies.spec import ParamSpec, StrategySpec, register
from core.strategies.state import Ctx, State, active_counts

__all__ = ["Flags", "remove_outliers", "share_of"]

Flags = Callable[..., tuple[np.ndarray, list[str]]]


def remove_outliers(state: State, spec: StrategySpec, p: Mapping[str, Any], ctx: Ctx, *, flags: Flags) -> None:
    """Remove the rows ``flags`` finds in every class at or above the tail guard."""
    guard = int(p["min_class_rows"])
    counts = active_counts(state, ctx)
    guarded = {c: n for c, n in counts.items() if n < max(guard, 2)}
    if guarded:
        state.notes.append(
            f"{spec.label}: {len(guarded)} class(es) with fewer than {max(guard, 2)} rows are left alone (tail guard min_class_rows={guard})."
        )
    mask = np.ones(len(state.yc), dtype=bool)
    reasons: dict[int, str] = {}
    at = state.positions(real=False)
    for c in sorted(counts):
        if c in guarded:
            continue
        idx = at[c]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flag, why = flags(state.X[idx], p, ctx.seed, c, state.notes)
        mask[idx[flag]] = False
        for i, w in zip(idx[flag].tolist(), why):
            reasons[int(i)] = w
    state.keep(mask, reasons, ctx.rows)


def share_of(n: int, share: float) -> int:
    """Rows an outlier share takes from a class of ``n`` rows: ``floor(share * n)`` (exact, known before the run)."""
    return math.floor(float(share) * n + 1e-9)


def _lowest(score: np.ndarray, share: float) -> np.ndarray:
    """The ``share_of`` rows with the lowest scores (ties broken by row order): exactly that many, whatever the ties."""
    flag = np.zeros(len(score), dtype=bool)
    flag[np.argsort(score, kind="stable")[:share_of(len(score), share)]] = True
    return flag


def _isolation_flags(Xc: np.ndarray, p: Mapping[str, Any], seed: int, cls: str, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    from core.strategies.iforest import anomaly_scores  # numba: compiled on first use

    # seeded by (seed, class name): a class gets the same trees whatever else is in the catalog
    score = anomaly_scores(Xc, n_estimators=int(p["n_estimators"]),
                           seed=np.random.SeedSequence([int(seed), zlib.crc32(str(cls).encode())]))
    flag = _lowest(-score, p["contamination"])
    return flag, [f"isolation forest outlier (anomaly score {s:.3f})" for s in score[flag]]


def _lof_flags(Xc: np.ndarray, p: Mapping[str, Any], seed: int, cls: str, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    from sklearn.neighbors import LocalOutlierFactor

    k = min(int(p["n_neighbors"]), len(Xc) - 1)
    if k < int(p["n_neighbors"]):
        notes.append(f"LOF: class {cls!r} has {len(Xc)} rows, so n_neighbors={k} for it.")
    est = LocalOutlierFactor(n_neighbors=k).fit(Xc)
    flag = _lowest(est.negative_outlier_factor_, p["contamination"])
    factor = -est.negative_outlier_factor_
    return flag, [f"LOF outlier (factor {f:.2f})" for f in factor[flag]]


def _centroid_flags(Xc: np.ndarray, p: Mapping[str, Any], seed: int, cls: str, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    dist = np.sqrt(((Xc - Xc.mean(axis=0)) ** 2).sum(axis=1))
    thr = float(p["threshold"])
    if p["mode"] == "quantile":
        cut = float(np.quantile(dist, thr))
        flag = dist > cut
        return flag, [f"far from class centroid (distance {d:.3f} > {thr:g} quantile {cut:.3f})" for d in dist[flag]]
    med = float(np.median(dist))
    mad = float(np.median(np.abs(dist - med)))
    if mad == 0:
        notes.append(f"Distance to centroid: class {cls!r} has a zero MAD of distances; no row is removed from it.")
        return np.zeros(len(dist), dtype=bool), []
    z = (dist - med) / (1.4826 * mad)
    flag = z > thr
    return flag, [f"far from class centroid (distance {d:.3f}, robust z {zz:.2f} > {thr:g})" for d, zz in zip(dist[flag], z[flag])]


def _check_centroid(p: Mapping[str, Any]) -> None:
    if p["mode"] == "quantile" and not 0 < p["threshold"] < 1:
        raise ParameterError(
            f"centroid_distance: threshold={p['threshold']:g} with mode 'quantile' must lie in (0, 1), e.g. 0.95.",
        )


def _snippet(make: Callable[[Mapping[str, Any]], str] | None, flag: Callable[[Mapping[str, Any]], str]):
    """The step's code: the same per-class loop with the tail guard, ``make`` building the estimator."""

    def lines(p: Mapping[str, Any], target: Any) -> list[str]:
        out = ["keep = np.ones(len(y), dtype=bool)", "for c in np.unique(y):", "    idx = np.flatnonzero(y == c)",
               f"    if len(idx) < max({p['min_class_rows']}, 2):  # tail guard", "        continue", "    Xc = X[idx]"]
        if make is not None:
            out.append(f"    est = {make(p)}")
        return out + [f"    keep[idx[{flag(p)}]] = False", "X, y = X[keep], y[keep]"]

    return lines


def _centroid_code(p: Mapping[str, Any]) -> str:
    if p["mode"] == "robust_z":
        return ("(lambda d: (d - np.median(d)) / (1.4826 * np.median(np.abs(d - np.median(d))) or np.inf))"
                f"(np.linalg.norm(Xc - Xc.mean(axis=0), axis=1)) > {p['threshold']!r}")
    return f"(lambda d: d > np.quantile(d, {p['threshold']!r}))(np.linalg.norm(Xc - Xc.mean(axis=0), axis=1))"


_CONTAMINATION = ParamSpec("contamination", "float", 0.05, 0.001, 0.5,
                           help="Share of each class's rows removed as outliers: the floor(share x rows) lowest-scored rows.")
_MIN_CLASS_ROWS = ParamSpec(
    "min_class_rows", "int", 20, 0, 1_000_000,
    help="Tail guard: classes with fewer rows are left alone (0 = treat every class).",
)

register(StrategySpec(
    "isolation_forest",
    "Isolation Forest outliers",
    "outlier",
    "Per class, remove the rows an Isolation Forest finds most isolated.",
    (_CONTAMINATION, ParamSpec("n_estimators", "int", 100, 10, 1000, help="Trees."), _MIN_CLASS_ROWS),
    imblearn="sklearn.ensemble:IsolationForest",
    reference="Liu et al. 2008 (compiled here: core/strategies/iforest.py)",
    runner=partial(remove_outliers, flags=_isolation_flags),
    seeded=True,
    snippet=_snippet(
        lambda p: f"IsolationForest(n_estimators={p['n_estimators']}, random_state=SEED).fit(Xc)"
                  "  # Skewlab grows the same trees compiled, with its own draws: rows may differ",
        lambda p: f"np.argsort(est.score_samples(Xc), kind='stable')[:math.floor({p['contamination']!r} * len(idx) + 1e-9)]",
    ),
))
register(StrategySpec(
    "lof",
    "Local outlier factor",
    "outlier",
    "Per class, remove rows whose local density is much lower than their neighbours'.",
    (ParamSpec("n_neighbors", "int", 20, 1, 500, help="Neighbours (lowered to rows - 1 in small classes)."), _CONTAMINATION, _MIN_CLASS_ROWS),
    imblearn="sklearn.neighbors:LocalOutlierFactor",
    reference="Breunig et al. 2000",
    runner=partial(remove_outliers, flags=_lof_flags),
    snippet=_snippet(
        lambda p: f"LocalOutlierFactor(n_neighbors=min({p['n_neighbors']}, len(idx) - 1)).fit(Xc)",
        lambda p: f"np.argsort(est.negative_outlier_factor_, kind='stable')[:math.floor({p['contamination']!r} * len(idx) + 1e-9)]",
    ),
))
register(StrategySpec(
    "centroid_distance",
    "Distance to class centroid",
    "outlier",
    "Per class, remove rows far from the class mean: robust z-score of the distance above the threshold "
    "(median / 1.4826 MAD), or above the threshold quantile of the distances.",
    (
        ParamSpec("mode", "choice", "robust_z", choices=("robust_z", "quantile"), help="How the threshold reads."),
        ParamSpec("threshold", "float", 3.5, 0.0, 100.0, help="robust_z: z above which a row goes (e.g. 3.5); quantile: in (0, 1), e.g. 0.95."),
        _MIN_CLASS_ROWS,
    ),
    runner=partial(remove_outliers, flags=_centroid_flags),
    snippet=_snippet(None, _centroid_code),
    check=_check_centroid,
))
