"""The baseline: no resampling. Every comparison needs it."""

from __future__ import annotations

from core.strategies.spec import StrategySpec, register

__all__ = ["NO_RESAMPLING"]

#: The baseline's name (evaluation compares every strategy against it).
NO_RESAMPLING = register(StrategySpec(
    "none",
    "No resampling",
    "baseline",
    "Keep every row as it is: the baseline every comparison needs.",
    runner=lambda state, spec, p, ctx: None,
    snippet=lambda p, target: ["# no resampling: X, y stay as they are"],
)).name
