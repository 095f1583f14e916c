"""How many rows each class should have after resampling.

One :class:`TargetSpec` says it for every strategy: ``auto`` (imbalanced-learn's default),
``balanced``, ``floor:N`` (every class at least N), ``cap:M`` (no class above M), ``hybrid:M:N``
(cap the head at M, lift the tail to N) or an explicit per-class table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from core.errors import ParameterError
from core.strategies.spec import GENERATING

KINDS: tuple[str, ...] = ("auto", "balanced", "floor", "cap", "hybrid", "table")
FORMS = "'auto', 'balanced', 'floor:N', 'cap:M', 'hybrid:M:N' (cap M, floor N) or a table {class: rows}"
#: Families whose samplers remove rows to reach a target.
UNDER_FAMILIES = ("under",)


def _positive_int(text: str, what: str, raw: str) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise ParameterError(f"Target {raw!r}: {what} {text!r} is not a whole number.", hint=f"Use one of {FORMS}.") from None
    if value < 1:
        raise ParameterError(f"Target {raw!r}: {what} must be 1 or more, got {value}.", hint=f"Use one of {FORMS}.")
    return value


@dataclass(frozen=True)
class TargetSpec:
    """Desired class sizes, independent of the data.

    Attributes
    ----------
    kind : str
        One of ``auto balanced floor cap hybrid table``.
    floor : int or None
        Every class at least this many rows (floor, hybrid).
    cap : int or None
        No class above this many rows (cap, hybrid).
    table : tuple of (class, rows)
        Explicit sizes (table); classes not listed keep their size.
    """

    kind: str = "auto"
    floor: int | None = None
    cap: int | None = None
    table: tuple[tuple[str, int], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ParameterError(f"Target kind {self.kind!r} is unknown.", hint=f"Use one of {FORMS}.")
        if self.kind in ("floor", "hybrid") and (self.floor is None or self.floor < 1):
            raise ParameterError(f"Target {self.kind!r} needs a floor of 1 or more, got {self.floor}.")
        if self.kind in ("cap", "hybrid") and (self.cap is None or self.cap < 1):
            raise ParameterError(f"Target {self.kind!r} needs a cap of 1 or more, got {self.cap}.")
        if self.kind == "hybrid" and self.floor > self.cap:
            raise ParameterError(
                f"Target 'hybrid:{self.cap}:{self.floor}': the floor {self.floor} is above the cap {self.cap}.",
                hint="Write hybrid:CAP:FLOOR with FLOOR <= CAP.",
            )

    @classmethod
    def parse(cls, text: str | TargetSpec) -> TargetSpec:
        """Read ``auto``, ``balanced``, ``floor:N``, ``cap:M`` or ``hybrid:M:N``.

        Raises
        ------
        ParameterError
            Naming the allowed forms.
        """
        if isinstance(text, TargetSpec):
            return text
        if not isinstance(text, str):
            raise ParameterError(f"Target {text!r} is not text.", hint=f"Use one of {FORMS}.")
        raw = text
        parts = [p.strip() for p in text.strip().lower().split(":")]
        kind = parts[0]
        if kind in ("auto", "balanced") and len(parts) == 1:
            return cls(kind=kind)
        if kind == "floor" and len(parts) == 2:
            return cls(kind="floor", floor=_positive_int(parts[1], "the floor", raw))
        if kind == "cap" and len(parts) == 2:
            return cls(kind="cap", cap=_positive_int(parts[1], "the cap", raw))
        if kind == "hybrid" and len(parts) == 3:
            return cls(kind="hybrid", cap=_positive_int(parts[1], "the cap", raw), floor=_positive_int(parts[2], "the floor", raw))
        raise ParameterError(f"Target {raw!r} is not understood.", hint=f"Use one of {FORMS}.")

    @classmethod
    def from_table(cls, mapping: Mapping[str, int]) -> TargetSpec:
        """Explicit rows per class (see :meth:`table`)."""
        return cls.table_of(mapping)

    @classmethod
    def table_of(cls, mapping: Mapping[str, int]) -> TargetSpec:
        """Explicit rows per class; every value a whole number >= 1."""
        if not isinstance(mapping, Mapping) or not mapping:
            raise ParameterError("A target table needs at least one {class: rows} entry.")
        items = []
        for key, value in mapping.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
                raise ParameterError(f"Target table: rows for class {key!r} must be a whole number, got {value!r}.")
            if int(value) < 1:
                raise ParameterError(f"Target table: rows for class {key!r} must be 1 or more, got {value}.")
            items.append((str(key), int(value)))
        return cls(kind="table", table=tuple(sorted(items)))

    def to_text(self) -> str:
        """The short form (a table as JSON)."""
        if self.kind in ("auto", "balanced"):
            return self.kind
        if self.kind == "floor":
            return f"floor:{self.floor}"
        if self.kind == "cap":
            return f"cap:{self.cap}"
        if self.kind == "hybrid":
            return f"hybrid:{self.cap}:{self.floor}"
        return json.dumps(dict(self.table), ensure_ascii=False, sort_keys=True)

    def to_dict(self) -> dict:
        """Plain JSON-able dict (``from_dict`` reads it back)."""
        out: dict = {"kind": self.kind}
        if self.floor is not None:
            out["floor"] = self.floor
        if self.cap is not None:
            out["cap"] = self.cap
        if self.kind == "table":
            out["table"] = dict(self.table)
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> TargetSpec:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(data, Mapping) or "kind" not in data:
            raise ParameterError(f"A target dict needs a 'kind' key; got {data!r}.", hint=f"Use one of {FORMS}.")
        kind = data["kind"]
        if kind == "table":
            return cls.table_of(data.get("table") or {})
        unknown = set(data) - {"kind", "floor", "cap"}
        if unknown:
            raise ParameterError(f"Target dict has unknown keys {sorted(unknown)}.", hint="Allowed: kind, floor, cap, table.")
        return cls(kind=str(kind), floor=data.get("floor"), cap=data.get("cap"))

    def __str__(self) -> str:
        return self.to_text()


# ``TargetSpec.table(mapping)`` reads naturally but ``table`` is also the field; the classmethod
# is reachable as ``TargetSpec.table`` only on the class, so expose it via a descriptor.
class _TableDescriptor:
    def __get__(self, obj, owner):
        if obj is None:
            return owner.table_of
        return obj.__dict__.get("table", ())


def coerce_target(target: str | TargetSpec | Mapping[str, int]) -> TargetSpec:
    """A TargetSpec from a spec, its text, or a {class: rows} mapping."""
    if isinstance(target, TargetSpec):
        return target
    if isinstance(target, Mapping):
        if "kind" in target:
            return TargetSpec.from_dict(target)
        return TargetSpec.table_of(target)
    return TargetSpec.parse(target)


def resolve_targets(counts: Mapping[str, int], spec: str | TargetSpec | Mapping[str, int], *, family: str = "over") -> dict[str, int]:
    """Desired rows per class.

    Parameters
    ----------
    counts : mapping of class to rows
        Current class sizes.
    spec : TargetSpec or its text
        The target.
    family : str
        The sampler's family. ``auto`` and ``balanced`` follow imbalanced-learn: an over-sampler
        (``over``, ``combined``) lifts every class to the majority; an under-sampler (``under``)
        brings every class down to the minority; other families keep sizes. An over-sampler never
        removes rows: the cap part of a target (``cap``, ``hybrid``, a table entry below a class's
        size) does not apply to it, those classes keep their size (:func:`capped_classes` names them).

    Returns
    -------
    dict
        ``{class: rows}`` for every class in ``counts`` (sorted by class).

    Raises
    ------
    ParameterError
        An unknown form, or a table naming a class that is not in the data.
    """
    asked = _asked(counts, spec, family)
    if family in GENERATING:
        sizes = {str(c): int(n) for c, n in counts.items()}
        return {c: max(t, sizes[c]) for c, t in asked.items()}
    return asked


def capped_classes(counts: Mapping[str, int], spec: str | TargetSpec | Mapping[str, int], *, family: str) -> dict[str, int]:
    """Classes whose target is below their size but which ``family`` cannot shrink: ``{class: asked rows}``.

    Over-samplers only add rows, so for them the cap part of a target does not apply.
    """
    if family not in GENERATING:
        return {}
    sizes = {str(c): int(n) for c, n in counts.items()}
    return {c: t for c, t in _asked(counts, spec, family).items() if t < sizes[c]}


def cap_note(label: str, counts: Mapping[str, int], spec: str | TargetSpec | Mapping[str, int], *, family: str) -> str | None:
    """The note an over-sampler leaves when the target asks classes to shrink (None when none is)."""
    capped = capped_classes(counts, spec, family=family)
    if not capped:
        return None
    sizes = {str(c): int(n) for c, n in counts.items()}
    shown = ", ".join(f"{c!r} {sizes[c]} (asked {t})" for c, t in list(capped.items())[:6])
    return (
        f"{label} only adds rows: the cap of the target {coerce_target(spec).to_text()!r} applies only to strategies "
        f"that remove rows (under-sampling), so {len(capped)} class(es) above it keep their size "
        f"({shown}{'...' if len(capped) > 6 else ''}). To cap the head and lift the tail, run a pipeline such as "
        "random_under+smote (under-sampling first, then over-sampling)."
    )


def _asked(counts: Mapping[str, int], spec: str | TargetSpec | Mapping[str, int], family: str) -> dict[str, int]:
    """The sizes the target asks for, before the family's rule (an over-sampler cannot shrink)."""
    target = coerce_target(spec)
    counts = {str(c): int(n) for c, n in sorted(counts.items())}
    if not counts:
        raise ParameterError("There are no classes to resolve targets for.")
    hi, lo = max(counts.values()), min(counts.values())
    if target.kind in ("auto", "balanced"):
        if family in GENERATING:
            return {c: hi for c in counts}
        if family in UNDER_FAMILIES:
            return {c: lo for c in counts}
        return dict(counts)
    if target.kind == "floor":
        return {c: max(n, target.floor) for c, n in counts.items()}
    if target.kind == "cap":
        return {c: min(n, target.cap) for c, n in counts.items()}
    if target.kind == "hybrid":
        return {c: min(max(n, target.floor), target.cap) for c, n in counts.items()}
    table = dict(target.table)
    unknown = sorted(set(table) - set(counts))
    if unknown:
        raise ParameterError(
            f"The target table names class(es) {unknown[:5]} that are not in the data.",
            hint=f"Classes: {', '.join(list(counts)[:10])}{'...' if len(counts) > 10 else ''}.",
        )
    return {c: table.get(c, n) for c, n in counts.items()}


TargetSpec.table = _TableDescriptor()  # type: ignore[assignment]  # TargetSpec.table({...}) builds a table spec


#: The default tail floor: at most this many rows per class ...
DEFAULT_FLOOR = 100
#: ... and no more synthetic rows than this share of the catalog (a thousand-class tail would otherwise
#: multiply it: 706 classes lifted to 100 rows add ~57,000 rows to a 22,000-row catalog).
DEFAULT_GROWTH = 0.5


def default_floor(counts: Mapping[str, int], *, at_most: int = DEFAULT_FLOOR, growth: float = DEFAULT_GROWTH) -> int:
    """The largest floor up to ``at_most`` (and the largest class) whose lifting adds at most ``growth`` x rows.

    Lifting every class below ``f`` to ``f`` adds ``sum(max(f - n, 0))`` rows, which grows with ``f``, so
    the floor is found by bisection. It is at least 1 (a floor of 1 adds nothing).
    """
    sizes = np.asarray([int(n) for n in counts.values() if int(n) > 0], dtype=np.int64)
    if sizes.size == 0:
        return 1
    budget = growth * sizes.sum()
    lo, hi = 1, int(min(at_most, sizes.max()))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if np.maximum(mid - sizes, 0).sum() <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def default_cap(counts: Mapping[str, int], floor: int) -> int:
    """The default head cap of a hybrid target: five times the floor, at least 500, at most the largest class."""
    largest = max((int(n) for n in counts.values()), default=1)
    return int(min(largest, max(500, 5 * floor)))
