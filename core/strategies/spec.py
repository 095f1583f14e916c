"""The strategy registry: every imbalance strategy as one object.

A :class:`StrategySpec` holds what the analyst sees (name, label, family, summary, parameter
specs) and what makes it work: its ``runner`` (the step on a run's rows), the imbalanced-learn /
scikit-learn estimator it equals (``imblearn``), whether it draws random numbers (``seeded``),
how it reads as code (``snippet``), and cross-parameter rules (``check``). The family modules
(:mod:`.baseline`, :mod:`.over`, :mod:`.under`, :mod:`.clean`, :mod:`.combined`,
:mod:`.outlier`, :mod:`.reweight`) declare their specs and :func:`register` them; forms,
validation, recipes, the CLI listing and the "copy as code" snippet all read :data:`REGISTRY`.
Pipelines are names joined by ``+`` (``isolation_forest+smote+enn``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import ParameterError
from core.params import Boolean, Choice, Constraint, Interval, check

__all__ = [
    "FAMILIES", "GENERATING", "Code", "PARAM_KINDS", "REGISTRY", "ParamSpec", "StrategySpec", "get_spec",
    "parse_pipeline", "register", "strategies_table", "unregister", "validate_params",
]

FAMILIES: tuple[str, ...] = ("baseline", "over", "under", "clean", "combined", "outlier", "reweight")
PARAM_KINDS: tuple[str, ...] = ("int", "float", "bool", "choice")
#: Families whose step makes synthetic rows.
GENERATING: tuple[str, ...] = ("over", "combined")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a strategy.

    Attributes
    ----------
    name : str
    kind : str
        ``int``, ``float``, ``bool`` or ``choice``.
    default : Any
    low, high : float or None
        Inclusive range of int / float parameters.
    choices : tuple
        Allowed values of a choice parameter.
    help : str
    """

    name: str
    kind: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    help: str = ""

    @property
    def constraint(self) -> Constraint:
        """The allowed values as a :mod:`core.params` constraint."""
        if self.kind == "choice":
            return Choice(tuple(self.choices))
        if self.kind == "bool":
            return Boolean()
        return Interval(self.kind, self.low, self.high)

    def range_text(self) -> str:
        """The allowed values in words."""
        return self.constraint.describe()

    def coerce(self, value: Any, *, strategy: str = "") -> Any:
        """Return ``value`` as this parameter's type, or raise ParameterError naming the range."""
        where = f"{strategy}: " if strategy else ""
        return check(value, self.constraint, name=self.name, where=where, strict=False, hint=self.help)


class Code(str):
    """Text that a snippet writes as code, not as a quoted value (``SEED``, ``MiniBatchKMeans(...)``)."""


#: ``runner(state, spec, params, ctx) -> targets or None``: one step on a run's rows (see .state).
Runner = Callable[..., "dict[str, int] | None"]


@dataclass(frozen=True)
class StrategySpec:
    """One strategy: what the analyst sees and what runs it.

    Attributes
    ----------
    name : str
        Registry key (``smote``).
    label : str
        Display name (``SMOTE``).
    family : str
        One of :data:`FAMILIES`.
    summary : str
        One or two sentences for the analyst.
    params : tuple of ParamSpec
    uses_targets : bool
        Whether the per-class target applies.
    k_param : str or None
        The parameter that sets k of a per-class k-NN (classes need more rows than that).
    k_extra : int
        A class needs ``k + k_extra`` rows (1 for SMOTE-like methods).
    imblearn : str
        ``module:Class`` of the equivalent imbalanced-learn / scikit-learn estimator ("" if none).
    reference : str
        Paper or documentation.
    runner : callable
        ``runner(state, spec, params, ctx)``: applies the step; returns the targets it used.
    seeded : bool
        Whether the estimator takes ``random_state`` (the snippet passes the seed).
    snippet : callable or None
        ``snippet(params, target) -> lines`` of code for the step; None: one call of the
        ``imblearn`` estimator with ``snippet_kwargs(params)`` (default: the parameters as
        keyword arguments, ``classes`` as ``sampling_strategy``).
    snippet_kwargs : callable or None
    snippet_imports : tuple of str
        ``module:Name`` the snippet needs besides ``imblearn``.
    snippet_setup : tuple of str
        Lines the snippet needs before its steps (names the analyst fills in).
    check : callable or None
        ``check(params)`` raises ParameterError for values that are wrong together.
    """

    name: str
    label: str
    family: str
    summary: str
    params: tuple[ParamSpec, ...] = ()
    uses_targets: bool = False
    k_param: str | None = None
    k_extra: int = 1
    imblearn: str = ""
    reference: str = ""
    runner: Runner | None = None
    seeded: bool = False
    #: Much slower than its family (left out of the search's default space).
    slow: bool = False
    snippet: Callable[..., list[str]] | None = None
    snippet_kwargs: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    snippet_imports: tuple[str, ...] = ()
    snippet_setup: tuple[str, ...] = ()
    check: Callable[[Mapping[str, Any]], None] | None = None

    def param(self, name: str) -> ParamSpec:
        """The parameter called ``name``."""
        for p in self.params:
            if p.name == name:
                return p
        raise ParameterError(
            f"{self.name} has no parameter {name!r}.",
            hint=f"Parameters: {', '.join(p.name for p in self.params) or 'none'}.",
        )

    def defaults(self) -> dict[str, Any]:
        """Every parameter at its default."""
        return {p.name: p.default for p in self.params}

    @property
    def generates(self) -> bool:
        """Whether it makes synthetic rows."""
        return self.family in GENERATING


#: Every strategy by name, in registration order (the family modules register theirs).
REGISTRY: dict[str, StrategySpec] = {}


def register(spec: StrategySpec) -> StrategySpec:
    """Add a strategy to the registry (its name must be new) and return it."""
    if not spec.name or "+" in spec.name or spec.name != spec.name.strip():
        raise ValueError(f"A strategy name must be non-empty, without '+' or surrounding spaces: {spec.name!r}")
    if spec.name in REGISTRY:
        raise ValueError(f"A strategy named {spec.name!r} is registered already")
    if spec.family not in FAMILIES:
        raise ValueError(f"Strategy {spec.name!r}: family {spec.family!r} is not one of {FAMILIES}")
    if spec.runner is None:
        raise ValueError(f"Strategy {spec.name!r} has no runner")
    for p in spec.params:
        if p.kind not in PARAM_KINDS:
            raise ValueError(f"Strategy {spec.name!r}: parameter {p.name!r} has kind {p.kind!r}")
    REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a strategy (for tests that register a throwaway one)."""
    REGISTRY.pop(name, None)


def get_spec(name: str) -> StrategySpec:
    """The spec of one strategy (ParameterError listing the names when unknown)."""
    try:
        return REGISTRY[str(name).strip()]
    except KeyError:
        raise ParameterError(
            f"There is no strategy named {name!r}.",
            hint=f"Strategies: {', '.join(REGISTRY)}; join several with '+'.",
        ) from None


def parse_pipeline(text: str) -> tuple[str, ...]:
    """Split ``a+b+c`` into strategy names and check the order makes sense.

    Rules: the baseline stands alone; at most one step makes synthetic rows; a reweighting step
    comes last; no step appears twice.

    Raises
    ------
    ParameterError
    """
    if not isinstance(text, str) or not text.strip():
        raise ParameterError(f"Strategy {text!r} is empty.", hint=f"Strategies: {', '.join(REGISTRY)}.")
    names = tuple(p.strip() for p in text.strip().split("+"))
    specs = [get_spec(n) for n in names]
    if len(names) > 1:
        for s in specs:
            if s.family == "baseline":
                raise ParameterError(f"Pipeline {text!r}: {s.name!r} cannot be combined with other steps.")
        if len(set(names)) != len(names):
            raise ParameterError(f"Pipeline {text!r} names a step twice.")
        if sum(s.generates for s in specs) > 1:
            raise ParameterError(
                f"Pipeline {text!r} has {sum(s.generates for s in specs)} steps that make synthetic rows; at most one is allowed."
            )
        for s in specs[:-1]:
            if s.family == "reweight":
                raise ParameterError(f"Pipeline {text!r}: the reweighting step {s.name!r} must come last.")
    return names


def validate_params(name: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check and complete parameters.

    Parameters
    ----------
    name : str
        A strategy or a pipeline (``a+b``).
    params : mapping, optional
        For one strategy ``{param: value}``. For a pipeline ``{step: {param: value}}`` or dotted
        keys ``{"step.param": value}``.

    Returns
    -------
    dict
        Defaults filled in and values coerced; for a pipeline ``{step: {...}}`` for every step.

    Raises
    ------
    ParameterError
        Unknown parameter, wrong type or value out of range (naming the allowed range).
    """
    names = parse_pipeline(name)
    params = dict(params or {})
    if len(names) == 1 and not any(k in names for k in params) and not any("." in str(k) for k in params):
        return _validate_one(names[0], params)
    per_step: dict[str, dict] = {n: {} for n in names}
    for key, value in params.items():
        key = str(key)
        if key in per_step:
            if not isinstance(value, Mapping):
                raise ParameterError(f"Parameters of step {key!r} must be a mapping, got {value!r}.")
            per_step[key].update(value)
        elif "." in key:
            step, pname = key.split(".", 1)
            if step not in per_step:
                raise ParameterError(f"{key!r} names step {step!r}, which is not in the pipeline {name!r}.")
            per_step[step][pname] = value
        else:
            owners = [n for n in names if any(p.name == key for p in REGISTRY[n].params)]
            if len(owners) != 1:
                raise ParameterError(
                    f"Parameter {key!r} is {'ambiguous' if owners else 'unknown'} in pipeline {name!r}.",
                    hint="Write it as STEP.PARAM, e.g. smote.k_neighbors=3.",
                )
            per_step[owners[0]][key] = value
    out = {n: _validate_one(n, p) for n, p in per_step.items()}
    return out[names[0]] if len(names) == 1 else out


def _validate_one(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    spec = get_spec(name)
    out = spec.defaults()
    for key, value in params.items():
        out[key] = spec.param(str(key)).coerce(value, strategy=name)
    if spec.check is not None:
        spec.check(out)
    return out


def strategies_table() -> list[dict[str, Any]]:
    """The registry as plain dicts (for ``python -m core strategies --format json`` and forms)."""
    return [
        {
            "name": s.name,
            "label": s.label,
            "family": s.family,
            "summary": s.summary,
            "uses_targets": s.uses_targets,
            "k_param": s.k_param,
            "imblearn": s.imblearn,
            "reference": s.reference,
            "params": [
                {"name": p.name, "kind": p.kind, "default": p.default, "low": p.low, "high": p.high,
                 "choices": list(p.choices), "help": p.help}
                for p in s.params
            ],
        }
        for s in REGISTRY.values()
    ]
