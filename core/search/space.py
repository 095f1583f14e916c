"""What the search may try: strategies, their parameter ranges (from the registry), targets and pipelines.

A :class:`SearchSpace` names the strategies of each slot of a pipeline ``outlier removal -> sampler ->
cleaner`` and the target kinds. Parameter ranges are not declared here: each comes from the strategy's
:class:`~core.strategies.ParamSpec` (its kind, range and choices), narrowed to a window around the
default (:func:`param_range`), so a new strategy in the registry is searchable without touching this
module. The tail guard (``min_class_rows``) keeps its default: the search never trades tail rows away.

Targets are searched in rows of the catalog being searched (:class:`TargetBounds`): a tail floor for
over-samplers (at most the floor whose lifting adds ``max_growth`` times the rows, so no trial drowns
the catalog in synthetic rows), a head cap for under-samplers, and a hybrid target (cap the head with
:attr:`SearchSpace.head_cap_step`, then lift the tail) for over-samplers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import ParameterError
from core.evaluation import BASELINES
from core.strategies import REGISTRY, ParamSpec, StrategySpec, get_spec, parse_pipeline, validate_params
from core.strategies.cost import GUARD
from core.strategies.targets import default_floor

__all__ = ["BASELINE_CHOICES", "SAMPLER_FAMILIES", "TARGET_KINDS", "Candidate", "SearchSpace",
           "TargetBounds", "baseline", "default_space", "param_range", "suggest"]

#: Families that can fill the sampler slot; the outlier and cleaner slots take these families.
SAMPLER_FAMILIES: tuple[str, ...] = ("over", "under", "combined")
OUTLIER_FAMILY = "outlier"
CLEANER_FAMILY = "clean"
TARGET_KINDS: tuple[str, ...] = ("floor", "cap", "hybrid")
#: Numeric parameters are searched within this factor of their default (inside the spec's range).
WINDOW = 4.0
#: The baselines, always tried first (no resampling, balanced class weights): the evaluation's.
BASELINE_CHOICES: tuple[str, ...] = BASELINES


@dataclass(frozen=True)
class SearchSpace:
    """The strategies, pipelines and targets a search may try.

    Attributes
    ----------
    samplers : tuple of str
        Strategies of the sampler slot (over, under or combined).
    outliers, cleaners : tuple of str
        Optional steps before / after the sampler (whether a slot is used is searched too; empty: never).
    targets : tuple of str
        Target kinds among ``floor``, ``cap``, ``hybrid``.
    head_cap_step : str or None
        The under-sampler put before an over-sampler for a hybrid target (None: no hybrid).
    max_growth : float
        A floor adds at most this many times the catalog's rows.
    fixed : dict
        ``{"step.param": value}`` held fixed instead of searched (the tail guard always is).
    """

    samplers: tuple[str, ...]
    outliers: tuple[str, ...] = ()
    cleaners: tuple[str, ...] = ()
    targets: tuple[str, ...] = TARGET_KINDS
    head_cap_step: str | None = "random_under"
    max_growth: float = 1.0
    fixed: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for slot in ("samplers", "outliers", "cleaners"):
            for name in getattr(self, slot):
                spec = get_spec(name)
                if spec.family in ("baseline", "reweight"):
                    raise ParameterError(f"Search space: {name!r} ({spec.family}) cannot fill the {slot[:-1]} slot; "
                                         "the baselines and class weights are always tried anyway.")
        if not self.samplers:
            raise ParameterError("The search space has no sampler.", hint="Name at least one, e.g. smote.")
        unknown = [k for k in self.targets if k not in TARGET_KINDS]
        if unknown or not self.targets:
            raise ParameterError(f"Search space: target kinds {list(self.targets)!r} are not allowed.",
                                 hint=f"Use one or more of {', '.join(TARGET_KINDS)}.")
        if self.head_cap_step is not None:
            get_spec(self.head_cap_step)
        if not (isinstance(self.max_growth, (int, float)) and 0 < float(self.max_growth) <= 20):
            raise ParameterError(f"Search space: max_growth={self.max_growth!r} must be a number in (0, 20].")

    def to_dict(self) -> dict[str, Any]:
        return {"samplers": list(self.samplers), "outliers": list(self.outliers), "cleaners": list(self.cleaners),
                "targets": list(self.targets), "head_cap_step": self.head_cap_step,
                "max_growth": float(self.max_growth), "fixed": dict(self.fixed)}


def default_space() -> SearchSpace:
    """Every registered strategy of the sampler families, outlier removal and cleaning (registry order).

    A spec that says it is slow (an attribute ``slow`` set to True) is left out.
    """
    specs = [s for s in REGISTRY.values() if not getattr(s, "slow", False)]
    return SearchSpace(
        samplers=tuple(s.name for s in specs if s.family in SAMPLER_FAMILIES),
        outliers=tuple(s.name for s in specs if s.family == OUTLIER_FAMILY),
        cleaners=tuple(s.name for s in specs if s.family == CLEANER_FAMILY),
    )


# ------------------------------------------------------------------------------------ parameters


@dataclass(frozen=True)
class Range:
    """How one parameter is searched: ``kind`` int / float (``low..high``, ``log``) or choice."""

    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()


def param_range(p: ParamSpec, spec: StrategySpec | None = None) -> Range | None:
    """The searched range of a parameter, from its spec; None when it keeps its default.

    Choices and true/false are searched as they are, less those the strategy's own check refuses with
    every other parameter at its default (``spec``; e.g. a mode whose threshold must then lie elsewhere).
    An int or float is searched between its default
    divided and multiplied by :data:`WINDOW`, inside its spec's range (a default of 0: the first tenth
    of the range); on a log scale when the range starts above 0. The tail guard keeps its default.
    """
    if p.name == GUARD:
        return None
    if p.kind in ("choice", "bool"):
        choices = tuple(p.choices) if p.kind == "choice" else (False, True)
        ok = tuple(c for c in choices if _allowed(spec, p.name, c))
        return Range("choice", choices=ok) if len(ok) > 1 else None
    low = -math.inf if p.low is None else float(p.low)
    high = math.inf if p.high is None else float(p.high)
    d = float(p.default)
    if d > 0:
        lo, hi = max(low, d / WINDOW), min(high, d * WINDOW)
    else:
        lo = max(low, 0.0)
        hi = min(high, lo + (high - lo) / 10 if math.isfinite(high) else lo + 1.0)
    if p.kind == "int":
        lo, hi = float(math.ceil(lo)), float(math.floor(hi))
    if hi <= lo:
        return None
    return Range(p.kind, lo, hi, log=lo > 0)


def _allowed(spec: StrategySpec | None, name: str, value: Any) -> bool:
    if spec is None or spec.check is None:
        return True
    try:
        spec.check({**spec.defaults(), name: value})
    except ParameterError:
        return False
    return True


# ------------------------------------------------------------------------------------ targets


@dataclass(frozen=True)
class TargetBounds:
    """Rows a searched floor and cap may take, from the class sizes of the rows searched."""

    floor_low: int
    floor_high: int
    cap_low: int
    cap_high: int

    @classmethod
    def of(cls, counts: Mapping[str, int], max_growth: float) -> TargetBounds:
        sizes = np.asarray(sorted(int(n) for n in counts.values()), dtype=np.int64)
        largest = int(sizes.max())
        high = default_floor(counts, at_most=largest, growth=float(max_growth))
        low = min(high, max(2, int(sizes.min()) + 1))
        cap_low = max(2, int(np.median(sizes)))
        return cls(low, max(high, low), min(cap_low, largest), largest)


# ------------------------------------------------------------------------------------ one trial


@dataclass(frozen=True)
class Candidate:
    """One configuration to try: a strategy or pipeline, its validated parameters and its target."""

    strategy: str
    params: dict[str, Any]
    target: str

    @property
    def key(self) -> str:
        """Same key, same configuration (the search runs it once)."""
        import json

        return json.dumps([self.strategy, self.params, self.target], sort_keys=True, default=str)

    @property
    def label(self) -> str:
        return " → ".join(REGISTRY[n].label for n in parse_pipeline(self.strategy))

    def describe(self) -> str:
        """``SMOTE (k_neighbors=7) · floor:42``, as the pages and the CLI show it."""
        per_step = {self.strategy: self.params} if "+" not in self.strategy else self.params
        shown = []
        for step, values in per_step.items():
            spec = REGISTRY[step]
            changed = {k: v for k, v in values.items() if spec.param(k).default != v}
            if changed:
                inner = ", ".join(f"{k}={_fmt(v)}" for k, v in changed.items())
                shown.append(f"{spec.label}: {inner}" if "+" in self.strategy else inner)
        text = self.label + (f" ({'; '.join(shown)})" if shown else "")
        return text + ("" if self.target == "auto" else f" · {self.target}")


def _fmt(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def _suggest_params(trial: Any, step: str, fixed: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in REGISTRY[step].params:
        key = f"{step}.{p.name}"
        if key in fixed:
            out[p.name] = fixed[key]
            continue
        r = param_range(p, REGISTRY[step])
        if r is None:
            continue
        if r.kind == "choice":
            out[p.name] = trial.suggest_categorical(key, list(r.choices))
        elif r.kind == "int":
            out[p.name] = trial.suggest_int(key, int(r.low), int(r.high), log=r.log)
        else:
            out[p.name] = trial.suggest_float(key, r.low, r.high, log=r.log)
    return out


def _target(trial: Any, family: str, space: SearchSpace, bounds: TargetBounds) -> tuple[str, bool]:
    """``(target text, whether the head cap step goes first)`` for a sampler of ``family``."""
    if family == "under":
        return f"cap:{trial.suggest_int('cap', bounds.cap_low, bounds.cap_high, log=True)}", False
    kinds = [k for k in ("floor", "hybrid") if k in space.targets and (k == "floor" or space.head_cap_step)]
    kind = trial.suggest_categorical("target", kinds) if len(kinds) > 1 else kinds[0]
    floor = trial.suggest_int("floor", bounds.floor_low, bounds.floor_high, log=True)
    if kind == "floor":
        return f"floor:{floor}", False
    cap = max(trial.suggest_int("cap", bounds.cap_low, bounds.cap_high, log=True), floor)
    return f"hybrid:{cap}:{floor}", True


def sampler_choices(space: SearchSpace) -> list[str]:
    """The sampler slot's choices: the samplers some allowed target kind suits (the baselines run apart)."""
    over_ok = "floor" in space.targets or ("hybrid" in space.targets and space.head_cap_step)
    under_ok = "cap" in space.targets or "hybrid" in space.targets
    ok = [s for s in space.samplers if (REGISTRY[s].family == "under" and under_ok)
          or (REGISTRY[s].family != "under" and over_ok)]
    if not ok:
        raise ParameterError(f"No sampler of the search space suits the target kinds {list(space.targets)}.",
                             hint="Over-samplers take a floor or hybrid target, under-samplers a cap.")
    return ok


def baseline(name: str) -> Candidate:
    """A baseline trial (no resampling, balanced class weights): no parameters, no target."""
    return Candidate(name, validate_params(name, {}), "auto")


def suggest(trial: Any, space: SearchSpace, bounds: TargetBounds) -> Candidate:
    """The configuration an optuna trial asks for (define-by-run: each sampler has its own parameters).

    Raises
    ------
    ParameterError
        The parameters are wrong together (the spec's own check).
    """
    sampler = trial.suggest_categorical("sampler", sampler_choices(space))
    family = REGISTRY[sampler].family
    target, head_cap = _target(trial, family, space, bounds)
    steps: list[str] = []
    if space.outliers and trial.suggest_categorical("outlier removal", [False, True]):
        steps.append(trial.suggest_categorical("outlier", list(space.outliers)))
    if head_cap:
        steps.append(space.head_cap_step)
    steps.append(sampler)
    if space.cleaners and family != "combined" and trial.suggest_categorical("cleaning", [False, True]):
        steps.append(trial.suggest_categorical("cleaner", list(space.cleaners)))
    params = {s: _suggest_params(trial, s, space.fixed) for s in steps}
    name = "+".join(parse_pipeline("+".join(steps)))
    return Candidate(name, validate_params(name, params if len(steps) > 1 else params[steps[0]]), target)


def search_space_of(value: SearchSpace | Mapping[str, Any] | Sequence[str] | None) -> SearchSpace:
    """A SearchSpace from itself, a dict of its fields, a list of samplers, or None (the default)."""
    if value is None:
        return default_space()
    if isinstance(value, SearchSpace):
        return value
    if isinstance(value, Mapping):
        data = dict(value)
        for k in ("samplers", "outliers", "cleaners", "targets"):
            if k in data:
                data[k] = tuple(data[k])
        return SearchSpace(**data)
    return SearchSpace(samplers=tuple(value))
