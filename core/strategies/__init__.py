"""Strategies: the registry, targets, the run with provenance, and what a run costs and changed.

One module per family declares and registers its strategies (``baseline``, ``over``, ``under``,
``clean``, ``combined``, ``outlier``, ``reweight``); importing this package registers them all,
in that order. To add a strategy, add one :class:`StrategySpec` with its runner to its family's
module (docs/architecture.md says how).
"""

import importlib

from core.strategies.baseline import NO_RESAMPLING
from core.strategies.code import code_snippet
from core.strategies.result import ORIGINAL, SYNTHETIC, ResampleResult
from core.strategies.run import resample
from core.strategies.smallclass import OTHER_CLASS, SMALL_CLASS_CHOICES
from core.strategies.spec import (
    FAMILIES,
    GENERATING,
    PARAM_KINDS,
    REGISTRY,
    Code,
    ParamSpec,
    StrategySpec,
    get_spec,
    parse_pipeline,
    register,
    strategies_table,
    unregister,
    validate_params,
)
from core.strategies.targets import TargetSpec, coerce_target, default_cap, default_floor, resolve_targets

#: The family modules; importing one registers its strategies (the registry keeps this order).
FAMILY_MODULES = ("baseline", "over", "under", "clean", "combined", "outlier", "reweight")
for _module in FAMILY_MODULES:
    importlib.import_module(f"{__name__}.{_module}")

__all__ = [
    "FAMILIES", "FAMILY_MODULES", "GENERATING", "NO_RESAMPLING", "ORIGINAL", "OTHER_CLASS", "PARAM_KINDS", "REGISTRY",
    "SMALL_CLASS_CHOICES", "SYNTHETIC", "Code", "ParamSpec", "ResampleResult", "StrategySpec", "TargetSpec",
    "code_snippet", "coerce_target", "default_cap", "default_floor", "get_spec", "parse_pipeline", "register", "resample", "resolve_targets",
    "strategies_table", "unregister", "validate_params",
]
