"""What the search maximizes: one metric, or tail recall as long as head recall holds.

``Objective.parse`` reads the text forms the CLI and the page use:

* a metric of :data:`core.evaluation.METRICS` (``macro_f1``, ``balanced_accuracy``...): maximize it;
* ``tail:DROP`` (``tail:0.02``): maximize tail recall subject to head recall at most ``DROP`` below
  that of no resampling on the same folds. A trial that breaks the condition scores
  ``tail recall - 1 - shortfall``, below every trial that keeps it, so the search moves back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from core.errors import ParameterError
from core.evaluation import METRICS
from core.params import Choice, Interval, check

__all__ = ["KINDS", "Objective"]

KINDS = ("metric", "tail")
_DROP = Interval("float", 0.0, 1.0)


@dataclass(frozen=True)
class Objective:
    """What a trial scores.

    Attributes
    ----------
    kind : str
        ``metric`` or ``tail``.
    metric : str
        The metric maximized (``kind="metric"``).
    max_head_drop : float
        How far head recall may fall below no resampling's (``kind="tail"``).
    """

    kind: str = "metric"
    metric: str = "macro_f1"
    max_head_drop: float = 0.02

    def __post_init__(self) -> None:
        check(self.kind, Choice(KINDS), name="objective")
        check(self.metric, Choice(tuple(METRICS)), name="metric")
        object.__setattr__(self, "max_head_drop", check(self.max_head_drop, _DROP, name="max_head_drop"))

    @classmethod
    def parse(cls, value: str | Objective | None, *, metric: str = "macro_f1") -> Objective:
        """An objective from its text (``macro_f1``, ``tail:0.02``), itself, or None (maximize ``metric``)."""
        if isinstance(value, Objective):
            return value
        if value is None or not str(value).strip():
            return cls("metric", metric)
        text = str(value).strip()
        if text.startswith("tail:"):
            try:
                drop = float(text.split(":", 1)[1])
            except ValueError:
                raise ParameterError(f"Objective {text!r}: the head recall drop is not a number.",
                                     hint="Write tail:0.02 (head recall at most 0.02 below no resampling's).") from None
            return cls("tail", "tail_recall", drop)
        if text not in METRICS:
            raise ParameterError(f"Objective {text!r} is not understood.",
                                 hint=f"Use a metric ({', '.join(METRICS)}) or tail:DROP, e.g. tail:0.02.")
        return cls("metric", text)

    @property
    def text(self) -> str:
        """The short form (what :meth:`parse` reads)."""
        return self.metric if self.kind == "metric" else f"tail:{self.max_head_drop:g}"

    def describe(self) -> str:
        if self.kind == "metric":
            return METRICS[self.metric]
        return (f"tail recall, with head recall at most {self.max_head_drop:g} below no resampling's")

    @property
    def needs_head(self) -> bool:
        return self.kind == "tail"

    def value(self, metrics: Mapping[str, float], baseline_head: float | None = None) -> float:
        """The score of a trial's metrics (NaN when the metric is undefined for it).

        Parameters
        ----------
        metrics : mapping
            Mean metrics of the trial (over the folds it ran).
        baseline_head : float, optional
            Head recall of no resampling on the same folds (``kind="tail"``).
        """
        if self.kind == "metric":
            return float(metrics.get(self.metric, math.nan))
        tail = float(metrics.get("tail_recall", math.nan))
        head = float(metrics.get("head_recall", math.nan))
        if baseline_head is None or math.isnan(baseline_head) or math.isnan(head):
            return tail  # no head class: nothing to hold
        shortfall = (baseline_head - self.max_head_drop) - head
        return tail if shortfall <= 1e-12 else tail - 1.0 - shortfall

    def feasible(self, metrics: Mapping[str, float], baseline_head: float | None) -> bool:
        """Whether a trial keeps the head-recall condition (always, for a metric)."""
        if self.kind == "metric":
            return True
        v = self.value(metrics, baseline_head)
        return not math.isnan(v) and v >= float(metrics.get("tail_recall", math.nan)) - 1e-12
