"""One way to declare and check a parameter.

A constraint says what values a parameter takes (:class:`Interval`, :class:`Choice`,
:class:`Boolean`, in the spirit of scikit-learn's ``_param_validation``); :func:`check` checks
a value against it and raises with one message shape everywhere::

    smote: k_neighbors=0 is not allowed; it must be a whole number in 1..100.
    Recipe field 'seed'=-1 is not allowed; it must be a whole number in 0..4294967295.

Strategies, evaluation, the map, the audit and the recipe all check their parameters here.
``strict`` checking (recipes, Python callers) takes values of the right type only; loose
checking (command-line and form text) also reads ``"3"``, ``"true"`` and the like.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.errors import ParameterError, SkewlabError

__all__ = ["Boolean", "Choice", "Constraint", "Interval", "SEED", "check", "shown"]


class _Bad(Exception):
    """A value does not meet a constraint (turned into the caller's error by :func:`check`)."""


def _num(value: float) -> str:
    """A bound as people write it: 4294967295, 0.5, 1e-06."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


@dataclass(frozen=True)
class Interval:
    """A whole number (``kind="int"``) or a real number (``kind="float"``) in ``low..high``
    (inclusive; ``None`` = unbounded)."""

    kind: str
    low: float | None = None
    high: float | None = None

    def describe(self) -> str:
        what = "a whole number" if self.kind == "int" else "a number"
        if self.low is None and self.high is None:
            return what
        if self.high is None:
            return f"{what} of at least {_num(self.low)}"
        if self.low is None:
            return f"{what} of at most {_num(self.high)}"
        return f"{what} in {_num(self.low)}..{_num(self.high)}"

    def coerce(self, value: Any, *, strict: bool) -> float | int:
        if isinstance(value, bool):
            raise _Bad
        if isinstance(value, str) and not strict:
            try:
                value = float(value.strip())
            except ValueError:
                raise _Bad from None
        if not isinstance(value, (int, float, np.integer, np.floating)):
            raise _Bad
        if self.kind == "int" and strict and not isinstance(value, (int, np.integer)):
            raise _Bad
        number = float(value) if not isinstance(value, (int, np.integer)) else int(value)
        if isinstance(number, float) and not math.isfinite(number):
            raise _Bad
        if self.kind == "int":
            if number != int(number):
                raise _Bad
            number = int(number)
        else:
            number = float(number)
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            raise _Bad
        return number


@dataclass(frozen=True)
class Choice:
    """One of ``values``."""

    values: tuple

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)

    def coerce(self, value: Any, *, strict: bool) -> Any:
        for choice in self.values:
            if type(value) is type(choice) and value == choice:
                return choice
        if not strict:
            for choice in self.values:
                if str(value).strip() == str(choice):
                    return choice
        raise _Bad


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


@dataclass(frozen=True)
class Boolean:
    """True or false."""

    def describe(self) -> str:
        return "true or false"

    def coerce(self, value: Any, *, strict: bool) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if not strict:
            if isinstance(value, (int, float)) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
                return value.strip().lower() in _TRUE
        raise _Bad


Constraint = Interval | Choice | Boolean

#: Every seed: a whole number numpy's RandomState takes.
SEED = Interval("int", 0, 2**32 - 1)


def shown(value: Any, limit: int = 40, *, typed: bool = True) -> str:
    """A value as the messages show it, cut short: text the analyst typed as typed (``typed``),
    anything else (text in a file included, where its quotes matter) as its repr."""
    text = value if isinstance(value, str) and typed else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check(
    value: Any,
    constraint: Constraint,
    *,
    name: str,
    where: str = "",
    strict: bool = True,
    error: type[SkewlabError] = ParameterError,
    hint: str = "",
) -> Any:
    """Return ``value`` as the constraint's type, or raise ``error`` naming what is allowed.

    Parameters
    ----------
    value : Any
    constraint : Interval, Choice or Boolean
    name : str
        The parameter as the analyst knows it (``k_neighbors``, ``'seed'``).
    where : str
        What it belongs to, put before the name (``"smote: "``, ``"Recipe field "``).
    strict : bool
        Take values of the right type only (no text such as ``"3"``); messages then quote text.
    error : SkewlabError subclass
    hint : str
        The way forward, added to the message.
    """
    try:
        return constraint.coerce(value, strict=strict)
    except _Bad:
        raise error(
            f"{where}{name}={shown(value, typed=not strict)} is not allowed; it must be {constraint.describe()}.",
            hint=hint,
        ) from None
