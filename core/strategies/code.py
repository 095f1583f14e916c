""""Copy as code": a runnable imbalanced-learn / scikit-learn snippet doing what a strategy does.

Every line comes from the specs: a step's own ``snippet``, or one call of its ``imblearn``
estimator with ``snippet_kwargs``; the imports are the estimators and ``snippet_imports`` of the
steps used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.strategies.clean import TAIL_GUARD
from core.strategies.spec import REGISTRY, Code, StrategySpec, parse_pipeline, validate_params
from core.strategies.targets import TargetSpec, coerce_target

__all__ = ["code_snippet"]


def _targets_code(target: TargetSpec, spec: StrategySpec) -> list[str]:
    """Lines that set ``sampling_strategy`` for a target (an over-sampler's lifts, an under-sampler's cuts)."""
    if target.kind in ("auto", "balanced"):
        return ['sampling_strategy = "auto"']
    lines = ["counts = Counter(y)"]
    if target.kind == "floor":
        lines.append(f"wanted = {{c: max(n, {target.floor}) for c, n in counts.items()}}")
    elif target.kind == "cap":
        lines.append(f"wanted = {{c: min(n, {target.cap}) for c, n in counts.items()}}")
    elif target.kind == "hybrid":
        lines.append(f"wanted = {{c: min(max(n, {target.floor}), {target.cap}) for c, n in counts.items()}}")
    else:
        lines.append(f"wanted = {{**counts, **{dict(target.table)!r}}}")
    if spec.generates:
        lines += [
            "# over-sampling only adds rows: classes above their target keep their size",
            "# (to cap the head too, under-sample first: a pipeline such as random_under+smote)",
            "sampling_strategy = {c: w for c, w in wanted.items() if w > counts[c]}",
        ]
    else:
        lines.append("sampling_strategy = {c: w for c, w in wanted.items() if w < counts[c]}")
    return lines


def _step_code(spec: StrategySpec, params: Mapping[str, Any], target: TargetSpec) -> list[str]:
    if spec.snippet is not None:
        return spec.snippet(dict(params), target)
    kwargs: dict[str, Any] = spec.snippet_kwargs(params) if spec.snippet_kwargs else dict(params)
    lines: list[str] = []
    if TAIL_GUARD in spec.params:  # Skewlab's own: no imbalanced-learn keyword takes it
        kwargs.pop(TAIL_GUARD.name, None)
        if params[TAIL_GUARD.name]:
            floor = params[TAIL_GUARD.name]
            lines += [f"# tail guard: Skewlab keeps every class at min(its rows, {floor}) (min_class_rows={floor});",
                      "# imbalanced-learn has no such option: the call below removes rows as min_class_rows=0 does"]
    if spec.uses_targets:
        lines += _targets_code(target, spec)
        kwargs["sampling_strategy"] = Code("sampling_strategy")
    if spec.seeded:
        kwargs["random_state"] = Code("SEED")
    args = ", ".join(f"{k}={v if isinstance(v, Code) else repr(v)}" for k, v in kwargs.items())
    return lines + [f"X, y = {spec.imblearn.split(':')[1]}({args}).fit_resample(X, y)"]


def _imports(specs: list[StrategySpec]) -> list[str]:
    """``from module import A, B`` lines for the estimators the steps use."""
    paths = set()
    for spec in specs:
        if spec.imblearn:
            paths.add(spec.imblearn)
        paths.update(spec.snippet_imports)
    by_module: dict[str, set[str]] = {}
    for path in paths:
        module, name = path.split(":")
        by_module.setdefault(module, set()).add(name)
    return [f"from {m} import {', '.join(sorted(names, key=lambda n: (not n.isupper(), n)))}"
            for m, names in sorted(by_module.items())]


def code_snippet(
    name: str, params: Mapping[str, Any] | None = None, target: str | TargetSpec = "auto", seed: int = 0
) -> str:
    """A runnable imbalanced-learn / scikit-learn snippet doing what the strategy does.

    The snippet expects ``X`` (2-D float array, the feature matrix) and ``y`` (1-D array of class
    names) and leaves the resampled ``X``, ``y`` (and ``sample_weight`` for reweighting).
    Skewlab's own SMOTE reproduces imbalanced-learn's draws; provenance and the small-class
    choices are Skewlab's and are not in the snippet.
    """
    names = parse_pipeline(name)
    checked = validate_params(name, params)
    per_step = {names[0]: checked} if len(names) == 1 else checked
    tgt = coerce_target(target)
    specs = [REGISTRY[step] for step in names]
    body: list[str] = []
    for spec in specs:
        body.append(f"# step: {spec.label}")
        body += _step_code(spec, per_step[spec.name], tgt)
    head = [
        f"# Skewlab strategy {name!r}, target {tgt.to_text()!r}, seed {seed}",
        "# X: 2-D float array of features, y: 1-D array of class names",
        "import math",
        "from collections import Counter",
        "",
        "import numpy as np",
        *_imports(specs),
        "",
        f"SEED = {int(seed)}",
        "y = np.asarray(y)",
    ]
    for spec in specs:
        head += spec.snippet_setup
    return "\n".join(head + body) + "\n"
