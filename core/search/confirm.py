"""Confirmation: the winner and no resampling fitted on the whole search part, scored on the rows held out.

Both go through :func:`core.evaluation.runner.run_task` with the search part as the training part and
the held-out rows as the test part, so the winner is resampled on search rows only and the held-out
rows are scored as they are. Intervals are percentile intervals of a seeded bootstrap over the
held-out rows (:data:`BOOTSTRAP` resamples, drawn within each class; the same resamples for both, so the gain has its own
paired interval). The point values are :func:`core.evaluation.metrics.fold_metrics` on the held-out
rows; a bootstrap resample (stratified: within each class, :func:`stratified_weights`) computes the same
formulas from weighted counts (:func:`weighted_metrics`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from core.data.features import FeatureSpace
from core.evaluation.metrics import GMEAN_ZERO_RECALL
from core.evaluation.runner import Shared, Task, run_task
from core.search.space import Candidate
from core.strategies import NO_RESAMPLING, validate_params

__all__ = ["BOOTSTRAP", "CONFIRMED", "Confirmation", "Scored", "confirm", "stratified_weights", "weighted_metrics"]

#: Bootstrap resamples of the held-out rows.
BOOTSTRAP = 1000
#: Classes with fewer held-out rows than this are named under the intervals.
FEW = 5
#: Metrics confirmed with an interval (PR-AUC needs scores, not only predictions: point value only).
CONFIRMED = ("macro_f1", "balanced_accuracy", "weighted_f1", "g_mean", "mcc", "head_recall", "medium_recall",
             "tail_recall")


@dataclass(frozen=True, eq=False)
class Scored:
    """One configuration on the held-out rows: point metrics, bootstrap intervals, predictions."""

    strategy: str
    label: str
    metrics: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    predictions: np.ndarray
    notes: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Confirmation:
    """The winner against no resampling on the held-out part.

    Attributes
    ----------
    winner, baseline : Scored
    gain_low, gain_high : dict
        Percentile interval of (winner - baseline) over the same bootstrap resamples.
    n_rows : int
        Held-out rows scored.
    n_fit_rows : int
        Rows of the search part both were fitted on (before resampling).
    classes : tuple of str
        Classes scored (those with a held-out row).
    bootstrap : int
    """

    winner: Scored
    baseline: Scored
    gain_low: dict[str, float]
    gain_high: dict[str, float]
    n_rows: int
    n_fit_rows: int
    classes: tuple[str, ...]
    bootstrap: int
    few: dict[str, int] = field(default_factory=dict)

    def note(self) -> str:
        """What the intervals cannot show: classes with few held-out rows (empty when none)."""
        if not self.few:
            return ""
        shown = ", ".join(f"{c!r} ({n})" for c, n in list(self.few.items())[:8])
        return (f"{len(self.few)} of the {len(self.classes)} confirmed classes have fewer than {FEW} held-out rows "
                f"({shown}{' …' if len(self.few) > 8 else ''}): each resample keeps every class's rows, so their "
                "recall moves little inside the intervals, and one row decides it; read their share of a gain with care.")

    def gain(self, metric: str) -> float:
        return self.winner.metrics[metric] - self.baseline.metrics[metric]


def weighted_metrics(t: np.ndarray, p: np.ndarray, w: np.ndarray, k: int, group_idx: Mapping[str, np.ndarray]
                     ) -> dict[str, float]:
    """:data:`CONFIRMED` metrics from class codes and row weights ``w`` (bootstrap counts).

    ``t`` holds true classes in 0..k-1 (the classes scored), ``p`` predictions (codes from k up: other
    classes). With unit weights the values equal :func:`core.evaluation.metrics.fold_metrics`'.
    """
    kk = int(max(t.max(initial=0), p.max(initial=0))) + 1
    sup = np.bincount(t, weights=w, minlength=kk)
    pred = np.bincount(p, weights=w, minlength=kk)
    hit = t == p
    tp = np.bincount(t[hit], weights=w[hit], minlength=kk)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(sup[:k] + pred[:k] > 0, 2 * tp[:k] / (sup[:k] + pred[:k]), 0.0)
        rec = np.where(sup[:k] > 0, tp[:k] / sup[:k], 0.0)
    present = sup[:k] > 0
    n = float(w.sum())
    cov_tp = float(tp.sum()) * n - float(sup @ pred)
    cov_pp, cov_tt = n * n - float(pred @ pred), n * n - float(sup @ sup)
    out = {
        "macro_f1": float(f1.mean()),
        "balanced_accuracy": float(rec[present].mean()) if present.any() else math.nan,
        "weighted_f1": float(f1 @ sup[:k] / sup[:k].sum()) if sup[:k].sum() > 0 else 0.0,
        "g_mean": float(np.exp(np.mean(np.log(np.where(rec[present] == 0, GMEAN_ZERO_RECALL, rec[present])))))
        if present.any() else math.nan,
        "mcc": 0.0 if cov_pp * cov_tt == 0 else float(cov_tp / math.sqrt(cov_pp * cov_tt)),
    }
    for g, idx in group_idx.items():
        idx = idx[present[idx]]
        out[f"{g}_recall"] = float(rec[idx].mean()) if len(idx) else math.nan
    return out


def stratified_weights(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap counts of every row, drawn within its class: each class keeps its held-out size, so a class
    with one held-out row is in every resample (a plain bootstrap drops it from a third of them)."""
    order = np.argsort(t, kind="stable")
    sizes = np.bincount(t)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    cls = t[order]
    pick = starts[cls] + np.floor(rng.random(len(t)) * sizes[cls]).astype(np.int64)
    return np.bincount(order[pick], minlength=len(t)).astype(np.float64)


def _codes(values: np.ndarray, index: Mapping[str, int]) -> np.ndarray:
    return np.array([index[str(v)] for v in values], dtype=np.int64)


def _score(space: FeatureSpace, cand: Candidate, search: np.ndarray, confirm_pos: np.ndarray, shared: Shared
           ) -> tuple[dict[str, float], np.ndarray, tuple[str, ...]]:
    task = Task(cand.key, cand.strategy, cand.label, cand.params, 0, 0, search, confirm_pos, must_succeed=True)
    out = run_task(space, task, shared)
    score, pred = out["scores"][0]
    return dict(score.metrics), np.asarray(pred).astype(str), tuple(out["notes"])


def confirm(space: FeatureSpace, winner: Candidate, *, search: np.ndarray, confirm_pos: np.ndarray,
            groups: Mapping[str, str], classifier: str, small_classes: str, seed: int,
            bootstrap: int = BOOTSTRAP) -> Confirmation:
    """Fit the winner and no resampling on the search part, score both on the held-out part.

    Raises
    ------
    SkewlabError
        The winner fails on the whole search part (its error, saying where).
    """
    y_test = space.y[confirm_pos].astype(str)
    classes = tuple(sorted(set(y_test.tolist())))
    shared = Shared((classifier,), list(classes), dict(groups), winner.target, small_classes, int(seed), False)
    base = Candidate(NO_RESAMPLING, validate_params(NO_RESAMPLING, {}), "auto")
    results = {}
    for role, cand in (("winner", winner), ("baseline", base)):
        sh = shared if role == "winner" else Shared(shared.classifiers, shared.labels, shared.groups, "auto",
                                                   small_classes, int(seed), False)
        results[role] = _score(space, cand, search, confirm_pos, sh)
    others = sorted({str(v) for _, pred, _ in results.values() for v in pred} - set(classes))
    index = {c: i for i, c in enumerate(list(classes) + others)}
    t = _codes(y_test, index)
    k = len(classes)
    group_idx = {g: np.array([i for i, c in enumerate(classes) if groups[c] == g], dtype=np.int64)
                 for g in ("head", "medium", "tail")}
    p = {role: _codes(pred, index) for role, (_, pred, _) in results.items()}
    rng = np.random.default_rng(int(seed))
    boot = {role: {m: np.empty(bootstrap) for m in CONFIRMED} for role in results}
    for b in range(bootstrap):
        w = stratified_weights(t, rng)
        for role in results:
            for m, v in weighted_metrics(t, p[role], w, k, group_idx).items():
                boot[role][m][b] = v
    scored = {role: _scored(cand, results[role], boot[role])
              for role, cand in (("winner", winner), ("baseline", base))}
    diff = {m: boot["winner"][m] - boot["baseline"][m] for m in CONFIRMED}
    sizes = dict(zip(*np.unique(y_test, return_counts=True)))
    few = {c: int(sizes[c]) for c in sorted(classes, key=lambda c: (sizes[c], c)) if sizes[c] < FEW}
    return Confirmation(scored["winner"], scored["baseline"], _pct(diff, 2.5), _pct(diff, 97.5), len(t), len(search),
                        classes, int(bootstrap), few)


def _pct(values: Mapping[str, np.ndarray], q: float) -> dict[str, float]:
    out = {}
    for m, v in values.items():
        v = v[~np.isnan(v)]
        out[m] = float(np.percentile(v, q)) if len(v) else math.nan
    return out


def _scored(cand: Candidate, result: tuple[dict[str, float], np.ndarray, tuple[str, ...]],
            boot: Mapping[str, np.ndarray]) -> Scored:
    metrics, pred, notes = result
    return Scored(cand.strategy, cand.label, metrics, _pct(boot, 2.5), _pct(boot, 97.5), pred, notes)
