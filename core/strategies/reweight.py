"""Reweighting: every row kept, each class weighted (balanced, or by its effective number)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np

from core.strategies.spec import ParamSpec, StrategySpec, register
from core.strategies.state import Ctx, State

__all__ = ["class_weights", "reweight"]


def reweight(state: State, spec: StrategySpec, p: Mapping[str, Any], ctx: Ctx, *,
             weights: Callable[[Mapping[str, int], Mapping[str, Any]], dict[str, float]]) -> None:
    """Give every row its class's weight from ``weights(counts, params)``."""
    w = weights(state.counts(), p)
    per_code = np.array([w.get(c, np.nan) for c in state.names], dtype=np.float64)
    state.weight = per_code[state.yc]


def class_weights(spec: StrategySpec, counts: Mapping[str, int], p: Mapping[str, Any]) -> dict[str, float]:
    """The weight of every class of ``counts`` under the reweighting ``spec`` (what its step gives each
    row of a class): for a cluster run, which weighs each class by the catalog's counts, not a part's."""
    return spec.runner.keywords["weights"](counts, p)


def _balanced(counts: Mapping[str, int], p: Mapping[str, Any]) -> dict[str, float]:
    n, K = sum(counts.values()), len(counts)
    return {c: n / (K * m) for c, m in counts.items()}


def _effective_number(counts: Mapping[str, int], p: Mapping[str, Any]) -> dict[str, float]:
    n = sum(counts.values())
    beta = float(p["beta"])
    raw = {c: (1 - beta) / (1 - beta**m) if beta > 0 else 1.0 for c, m in counts.items()}
    norm = n / sum(raw[c] * m for c, m in counts.items())
    return {c: v * norm for c, v in raw.items()}


register(StrategySpec(
    "balanced_weights",
    "Balanced class weights",
    "reweight",
    "Keep every row; weight each row n / (classes x class rows), as scikit-learn's class_weight='balanced'.",
    imblearn="sklearn.utils.class_weight:compute_sample_weight",
    runner=partial(reweight, weights=_balanced),
    snippet=lambda p, target: ['sample_weight = compute_sample_weight("balanced", y)'],
))
register(StrategySpec(
    "effective_number_weights",
    "Effective-number weights",
    "reweight",
    "Keep every row; weight each class by (1 - beta) / (1 - beta^rows), normalized to mean 1 over rows "
    "(Cui et al. 2019).",
    (ParamSpec("beta", "float", 0.999, 0.0, 0.999999, help="Closer to 1 = closer to inverse frequency."),),
    reference="Cui et al. 2019, Class-Balanced Loss Based on Effective Number of Samples",
    runner=partial(reweight, weights=_effective_number),
    snippet=lambda p, target: [
        "counts = Counter(y)",
        f"beta = {p['beta']!r}",
        "class_w = {c: (1 - beta) / (1 - beta ** n) for c, n in counts.items()}",
        "sample_weight = np.array([class_w[c] for c in y])",
        "sample_weight /= sample_weight.mean()",
    ],
))
