"""What a search returns: every trial, the winner, its confirmation, and how the search ended."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.evaluation import METRICS
from core.evaluation.metrics import finite_or_none
from core.search.confirm import CONFIRMED, Confirmation
from core.search.objective import Objective
from core.search.space import Candidate
from core.search.trials import COMPLETE

__all__ = ["OPTIMISTIC", "SearchResult", "TrialResult", "pareto_front"]

#: What the pages and the CLI say about the two scores.
OPTIMISTIC = ("The search score is optimistic: it is the best of many configurations tried on the same folds, so "
              "part of its lead is luck. The confirmation is not: the winner and no resampling were fitted on the "
              "search part and scored once on rows that no trial saw.")


@dataclass(frozen=True, eq=False)
class TrialResult:
    """One trial of the search.

    Attributes
    ----------
    number : int
        Order of the trial (0 and 1 are the baselines).
    candidate : Candidate
        Strategy, parameters and target.
    state : str
        ``complete``, ``pruned`` (stopped after some folds), ``failed``, ``skipped`` (over a budget before it
        ran) or ``duplicate`` (a configuration tried before: its scores are reused, nothing runs again).
    value : float or None
        The objective (None unless complete or a duplicate of a complete trial).
    metrics : dict
        Means over the folds run.
    folds_run : int
    seconds : float
    note : str
        Why it failed, was pruned or skipped; which trial it repeats.
    rows_seen : ndarray or None
        Row ids the trial touched (test rows, training input, parents), with ``keep_rows=True``.
    """

    number: int
    candidate: Candidate
    state: str
    value: float | None
    metrics: dict[str, float]
    folds_run: int
    seconds: float
    note: str = ""
    notes: tuple[str, ...] = ()
    rows_seen: np.ndarray | None = None
    feasible: bool = True

    @property
    def scored(self) -> bool:
        return self.value is not None and self.state == COMPLETE

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "strategy": self.candidate.strategy, "label": self.candidate.describe(),
                "params": self.candidate.params, "target": self.candidate.target, "state": self.state,
                "value": finite_or_none(self.value), "feasible": self.feasible,
                "metrics": {m: finite_or_none(v) for m, v in self.metrics.items()}, "folds_run": self.folds_run,
                "seconds": round(self.seconds, 3), "note": self.note}


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both coordinates (ties kept), by the first coordinate."""
    front = []
    for i, (a, b) in enumerate(points):
        if math.isnan(a) or math.isnan(b):
            continue
        if not any((c >= a and d >= b and (c > a or d > b)) for j, (c, d) in enumerate(points)
                   if j != i and not (math.isnan(c) or math.isnan(d))):
            front.append(i)
    return sorted(front, key=lambda i: points[i][0])


@dataclass(frozen=True, eq=False)
class SearchResult:
    """A finished search.

    Attributes
    ----------
    trials : tuple of TrialResult
    winner, baseline : TrialResult
        The best complete trial (the objective; values equal to 9 decimals are a tie, won by the earlier) and
        no resampling.
    confirmation : Confirmation
    objective : Objective
    stopped : str
        Why the search ended (trial count, budget, stop, space exhausted).
    confirm_rows, search_rows : ndarray
        Row ids of the held-out part and of the search part.
    """

    trials: tuple[TrialResult, ...]
    winner: TrialResult
    baseline: TrialResult
    confirmation: Confirmation
    objective: Objective
    classifier: str
    folds: int
    seed: int
    small_classes: str
    budget_s: float
    n_trials: int | None
    stopped: str
    confirm_rows: np.ndarray
    search_rows: np.ndarray
    trial_rows: int
    space: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    search_s: float = 0.0
    confirm_s: float = 0.0

    @property
    def n_run(self) -> int:
        """Trials that ran folds (complete, pruned or failed on a fold); duplicates and skips did not."""
        return sum(1 for t in self.trials if t.folds_run > 0)

    def pareto(self) -> list[int]:
        """Trial numbers on the head recall / tail recall Pareto front (complete trials)."""
        done = [t for t in self.trials if t.scored]
        pts = [(t.metrics.get("head_recall", math.nan), t.metrics.get("tail_recall", math.nan)) for t in done]
        return [done[i].number for i in pareto_front(pts)]

    def table(self, top: int | None = None) -> pd.DataFrame:
        """One row per trial, best objective first (trials without a value last, by number)."""
        front = set(self.pareto())
        rows = []
        for t in self.trials:
            row = {"trial": t.number, "configuration": t.candidate.describe(), "state": t.state,
                   "objective": t.value if t.value is not None else math.nan}
            for m in ("macro_f1", "head_recall", "tail_recall", "balanced_accuracy"):
                row[METRICS[m]] = t.metrics.get(m, math.nan)
            row["Pareto"] = t.number in front
            row["seconds"] = t.seconds
            row["note"] = t.note
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame["_has"] = frame["objective"].notna()
        frame = frame.sort_values(["_has", "objective", "trial"], ascending=[False, False, True], kind="stable")
        frame = frame.drop(columns="_has").reset_index(drop=True)
        return frame.head(top) if top else frame

    def timing_note(self) -> str:
        """How many trials ran and whether the same seed gives them again (not when the budget ended the run)."""
        if self.n_trials is not None and len(self.trials) >= self.n_trials:
            return (f"{len(self.trials)} trials (asked {self.n_trials}) in {self.search_s:,.0f} s; the same seed and "
                    "count give the same trials and winner.")
        asked = f" of the {self.n_trials} asked" if self.n_trials is not None else ""
        return (f"{len(self.trials)} trials{asked} in {self.search_s:,.0f} s of a {self.budget_s:,.0f} s budget: when "
                "the time budget ends a search, the number of trials depends on this machine's speed and load; give "
                "a trial count within the budget (with the same seed) for the same trials and winner on any machine.")

    def confirmation_rows(self) -> list[dict[str, Any]]:
        """The confirmation as rows: metric, winner and baseline with intervals, gain with its interval."""
        c = self.confirmation
        out = []
        for m in CONFIRMED:
            w, b = c.winner.metrics.get(m, math.nan), c.baseline.metrics.get(m, math.nan)
            if math.isnan(w) and math.isnan(b):
                continue
            out.append({"metric": METRICS[m], "key": m, "winner": w, "winner_low": c.winner.low[m],
                        "winner_high": c.winner.high[m], "baseline": b, "baseline_low": c.baseline.low[m],
                        "baseline_high": c.baseline.high[m], "gain": w - b, "gain_low": c.gain_low[m],
                        "gain_high": c.gain_high[m]})
        return out

    def summary(self) -> list[str]:
        """The result in a few lines (the CLI's text output, the page's headline)."""
        w, c = self.winner, self.confirmation
        m = self.objective.metric if self.objective.kind == "metric" else "tail_recall"
        first = next(r for r in self.confirmation_rows() if r["key"] == m) if m in CONFIRMED else None
        if w.number == self.baseline.number:
            lines = [f"Winner: no resampling (trial 0): no configuration tried beat it on {self.objective.describe()} "
                     f"({w.value:.3f} in cross-validation on the search part)."]
        else:
            lines = [f"Winner: {w.candidate.describe()} (trial {w.number}): {w.value:.3f} against "
                     f"{self.baseline.value:.3f} for no resampling in cross-validation on the search part "
                     f"({self.objective.describe()})."]
        if first:
            lines.append(f"Confirmed on {c.n_rows:,} held-out rows: {first['metric']} {first['winner']:.3f} "
                         f"[{first['winner_low']:.3f}, {first['winner_high']:.3f}] against {first['baseline']:.3f} "
                         f"[{first['baseline_low']:.3f}, {first['baseline_high']:.3f}] for no resampling; gain "
                         f"{first['gain']:+.3f} [{first['gain_low']:+.3f}, {first['gain_high']:+.3f}] (95% bootstrap).")
        lines.append(self.timing_note() + f" Stopped: {self.stopped}.")
        return lines

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: settings, every trial, the winner, the confirmation, notes."""
        c = self.confirmation
        return {
            "objective": self.objective.text, "objective_text": self.objective.describe(),
            "classifier": self.classifier, "folds": self.folds, "seed": self.seed,
            "small_classes": self.small_classes, "budget_s": self.budget_s, "n_trials_asked": self.n_trials,
            "trials_run": self.n_run, "trials": [t.to_dict() for t in self.trials], "stopped": self.stopped,
            "winner": self.winner.to_dict(), "baseline": self.baseline.to_dict(), "pareto": self.pareto(),
            "confirmation": {"rows": c.n_rows, "fit_rows": c.n_fit_rows, "classes": len(c.classes),
                             "bootstrap": c.bootstrap, "note": c.note(),
                             "interval": "95% percentile bootstrap over the held-out rows, drawn within each class",
                             "metrics": [{k: finite_or_none(v) if isinstance(v, float) else v for k, v in r.items()}
                                         for r in self.confirmation_rows()]},
            "search_rows": int(len(self.search_rows)), "confirm_rows": int(len(self.confirm_rows)),
            "trial_rows": self.trial_rows, "space": self.space, "notes": list(self.notes),
            "timing": self.timing_note(), "optimistic": OPTIMISTIC,
            "search_s": round(self.search_s, 2), "confirm_s": round(self.confirm_s, 2),
        }
