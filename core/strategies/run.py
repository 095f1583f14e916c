"""Run a strategy (or a pipeline of strategies) on a feature space, with full provenance.

:func:`resample` returns a :class:`~core.strategies.result.ResampleResult`: kept original rows
first (in row-id order), then synthetic rows. Every synthetic row knows its seed row, its
neighbour and the interpolation weight where the method has them; every removed original row has
a reason. Each step is run by its spec's ``runner`` (see the family modules); SMOTE, Tomek links,
ENN and NCR give the same rows as imbalanced-learn with the same seed; random over- and
under-sampling draw each class from its own stream (:func:`core.strategies.state.class_seed`):
imbalanced-learn's counts, other rows.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from core.data.features import FeatureSpace
from core.errors import SchemaError
from core.params import SEED, Choice, check
from core.strategies.result import ResampleResult
from core.strategies.smallclass import SMALL_CLASS_CHOICES, plan_small_classes
from core.strategies.spec import REGISTRY, parse_pipeline, validate_params
from core.strategies.state import Ctx, Progress, State, encode
from core.strategies.targets import TargetSpec, coerce_target

__all__ = ["resample"]


def resample(
    space: FeatureSpace,
    strategy: str,
    *,
    params: Mapping[str, Any] | None = None,
    target: str | TargetSpec | Mapping[str, int] = "auto",
    small_classes: str = "error",
    seed: int = 0,
    progress: Progress | None = None,
) -> ResampleResult:
    """Apply a strategy or pipeline to a feature space.

    Parameters
    ----------
    space : FeatureSpace
    strategy : str
        A registry name or a pipeline ``a+b+c``.
    params : mapping, optional
        Strategy parameters (see :func:`core.strategies.validate_params`).
    target : str, TargetSpec or mapping
        Rows per class for strategies that take a target (see :mod:`core.strategies.targets`).
    small_classes : str
        What to do with classes too small for a per-class k-NN: ``error`` (raise
        SmallClassError), ``lower_k``, ``random_over``, ``merge`` (into ``"Other"``) or ``drop``
        (leave them out of resampling). Every such decision is written to ``notes``.
    seed : int
        Seed of every random draw (0 .. 2**32 - 1).
    progress : callable(fraction, message), optional

    Returns
    -------
    ResampleResult

    Raises
    ------
    ParameterError, SmallClassError, SchemaError
    """
    t0 = time.perf_counter()
    names = parse_pipeline(strategy)
    checked = validate_params(strategy, params)
    per_step = {names[0]: checked} if len(names) == 1 else checked
    tgt = coerce_target(target)
    small_classes = check(small_classes, Choice(SMALL_CLASS_CHOICES), name="small_classes")
    seed = check(seed, SEED, name="seed")
    if space.n_rows == 0:
        raise SchemaError("The feature space has no rows.")

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(float(min(max(fraction, 0.0), 1.0)), message)

    report(0.0, f"starting {strategy}")
    yc, class_names = encode(space.y)
    state = State(
        X=space.X,  # never written in place; steps replace it
        yc=yc,
        names=class_names,
        pos=np.arange(space.n_rows, dtype=np.int64),
        seed_row=np.full(space.n_rows, -1, dtype=np.int64),
        neighbor_row=np.full(space.n_rows, -1, dtype=np.int64),
        alpha=np.full(space.n_rows, np.nan),
        space_rows=space.rows,
    )
    counts_before = state.counts()
    excluded = plan_small_classes(state, names, per_step, tgt, small_classes)
    ctx = Ctx(rows=space.rows, seed=seed, target=tgt, small_classes=small_classes, space=space, excluded=frozenset(excluded))
    targets_used: dict[str, int] | None = None
    for i, name in enumerate(names):
        spec = REGISTRY[name]
        report(i / len(names), f"{spec.label}")
        used = spec.runner(state, spec, dict(per_step[name]), ctx)
        if used is not None:
            targets_used = used
    report(1.0, "done")
    return _result(state, space, counts_before, targets_used, t0,
                   strategy=strategy, params=checked, seed=seed, target=tgt.to_text(), small_classes=small_classes)


def _result(state: State, space: FeatureSpace, counts_before: dict[str, int], targets: dict[str, int] | None,
            t0: float, **run: Any) -> ResampleResult:
    """The result of a finished run: kept originals by row id, then synthetic rows in the order made."""
    # steps keep rows in order and append synthetic rows at the end, so this is nearly always as is
    pos = state.pos
    is_orig = pos >= 0
    n_orig = int(is_orig.sum())
    if is_orig[:n_orig].all() and np.all(pos[1:n_orig] > pos[: max(n_orig - 1, 0)]):
        order = None
    else:
        orig_idx = np.flatnonzero(is_orig)
        orig_idx = orig_idx[np.argsort(pos[orig_idx], kind="stable")]
        order = np.concatenate([orig_idx, np.flatnonzero(~is_orig)])

    def out(a: np.ndarray) -> np.ndarray:
        return a if order is None else a[order]

    pos_o = out(pos)
    row = np.full(len(pos_o), -1, dtype=np.int64)
    row[:n_orig] = space.rows[pos_o[:n_orig]]
    if state.removed_rows:
        removed_all = np.concatenate(state.removed_rows)
        by_row = np.argsort(removed_all, kind="stable")
        removed_rows = removed_all[by_row]
        reasons = np.concatenate(state.removed_reasons)[by_row]
    else:
        removed_rows, reasons = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    yc_out = out(state.yc)
    X_out = out(state.X)
    if X_out is space.X:
        X_out = X_out.copy()
    n_after = np.bincount(yc_out, minlength=len(state.names))
    return ResampleResult(
        X=np.ascontiguousarray(X_out, dtype=np.float64),
        y_code=yc_out,
        classes=tuple(state.names),
        row=row,
        seed_row=out(state.seed_row),
        neighbor_row=out(state.neighbor_row),
        alpha=out(state.alpha),
        sample_weight=None if state.weight is None else out(state.weight),
        removed_rows=removed_rows,
        removed_reason=reasons,
        runtime_s=time.perf_counter() - t0,
        notes=tuple(state.notes),
        counts_before=counts_before,
        counts_after={state.names[i]: int(n_after[i]) for i in np.flatnonzero(n_after)},
        targets=targets,
        **run,
    )
