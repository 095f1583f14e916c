"""Run a strategy (or a pipeline of strategies) on a feature space, with full provenance.

:func:`resample` returns a :class:`ResampleResult`: kept original rows first (in row-id order),
then synthetic rows. Every synthetic row knows its seed row, its neighbour and the interpolation
weight where the method has them; every removed original row has a reason. SMOTE, random
over-sampling, Tomek links, ENN and NCR are implemented here over exact k-NN
(:mod:`core.neighbors.knn`) and give the same rows as imbalanced-learn with the same seed; the other
methods call imbalanced-learn / scikit-learn and then recover provenance.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from core.neighbors import knn32
from core.errors import ParameterError, SchemaError, SmallClassError
from core.data.features import FeatureSpace
from core.neighbors.knn import kneighbors, sklearn_kneighbors, sklearn_kneighbors_rows
from core.strategies.provenance import segment_parents
from core.strategies.spec import REGISTRY, StrategySpec, parse_pipeline, validate_params
from core.strategies.targets import TargetSpec, coerce_target, resolve_targets

SMALL_CLASS_CHOICES: tuple[str, ...] = ("error", "lower_k", "random_over", "merge", "drop")
OTHER_CLASS = "Other"
ORIGINAL, SYNTHETIC = "original", "synthetic"

Progress = Callable[[float, str], None]


# ------------------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class ResampleResult:
    """What a strategy did to a feature space.

    Output rows are the kept original rows first (row-id order), then synthetic rows.

    Attributes
    ----------
    X : ndarray (m, d) float64
    y_code : ndarray (m,) int, each row's class as an index into ``classes``
    classes : tuple of str, class names (sorted)
    y : ndarray (m,) object, class names (built from ``y_code`` on first use, then kept)
    origin : ndarray (m,) object, ``"original"`` or ``"synthetic"`` (built from ``row`` on first
        use, then kept: a row is synthetic exactly when ``row`` is -1)
    row : ndarray (m,) int64, original row id (-1 for synthetic rows)
    seed_row, neighbor_row : ndarray (m,) int64, original row ids (-1 when not applicable)
    alpha : ndarray (m,) float64, interpolation weight (NaN when not applicable)
    sample_weight : ndarray (m,) float64 or None (only reweighting sets it)
    removed_rows : ndarray int64, row ids of removed original rows (ascending)
    removed_reason : ndarray object, one reason per removed row
    runtime_s : float
    notes : tuple of str, every decision the analyst should know about
    counts_before, counts_after : dict class -> rows
    targets : dict class -> rows, or None when the strategy takes no target
    strategy : str
    params : dict (validated; ``{step: {...}}`` for a pipeline)
    seed : int
    target : str (the target's text form)
    small_classes : str
    """

    X: np.ndarray
    y_code: np.ndarray
    classes: tuple[str, ...]
    row: np.ndarray
    seed_row: np.ndarray
    neighbor_row: np.ndarray
    alpha: np.ndarray
    sample_weight: np.ndarray | None
    removed_rows: np.ndarray
    removed_reason: np.ndarray
    runtime_s: float
    notes: tuple[str, ...]
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    targets: dict[str, int] | None
    strategy: str
    params: dict
    seed: int
    target: str = "auto"
    small_classes: str = "error"

    # y and origin are views of y_code and row that most callers never need in full: building
    # two object arrays of every output row costs more than some strategies themselves
    @cached_property
    def y(self) -> np.ndarray:
        """Class name of every output row (object array)."""
        return np.array(self.classes, dtype=object).take(self.y_code)

    @cached_property
    def origin(self) -> np.ndarray:
        """``"original"`` or ``"synthetic"`` for every output row (object array)."""
        return np.array([ORIGINAL, SYNTHETIC], dtype=object).take((self.row < 0).view(np.int8))

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays held, counting ``y`` and ``origin`` as built (a pointer per row)."""
        arrays = (self.X, self.y_code, self.row, self.seed_row, self.neighbor_row, self.alpha, self.sample_weight,
                  self.removed_rows, self.removed_reason)
        return sum(int(a.nbytes) for a in arrays if a is not None) + 2 * 8 * len(self.row)

    @property
    def n_synthetic(self) -> int:
        """Synthetic rows."""
        return int((self.row < 0).sum())

    @property
    def n_removed(self) -> int:
        """Removed original rows."""
        return int(len(self.removed_rows))

    def provenance(self) -> pd.DataFrame:
        """One row per output row: the ``skewlab_*`` provenance columns."""
        weight = self.sample_weight if self.sample_weight is not None else np.full(len(self.row), np.nan)
        return pd.DataFrame(
            {
                "skewlab_origin": pd.array(self.origin.astype(str), dtype="string"),
                "skewlab_row": _int64_na(self.row),
                "skewlab_seed_row": _int64_na(self.seed_row),
                "skewlab_neighbor_row": _int64_na(self.neighbor_row),
                "skewlab_alpha": self.alpha.astype(np.float64),
                "skewlab_strategy": pd.array([self.strategy] * len(self.row), dtype="string"),
                "skewlab_sample_weight": np.asarray(weight, dtype=np.float64),
            }
        )

    def removed(self) -> pd.DataFrame:
        """Removed original rows and why: ``skewlab_row``, ``skewlab_reason``."""
        return pd.DataFrame(
            {
                "skewlab_row": pd.array(self.removed_rows.astype(np.int64), dtype="Int64"),
                "skewlab_reason": pd.array(self.removed_reason.astype(str), dtype="string"),
            }
        )


def _int64_na(a: np.ndarray) -> pd.arrays.IntegerArray:
    a = np.asarray(a, dtype=np.int64)
    return pd.arrays.IntegerArray(np.where(a >= 0, a, 0), a < 0)


# ------------------------------------------------------------------------------------- state


@dataclass
class _State:
    """Rows during a run. ``pos`` = position in the space for original rows, -1 for synthetic.

    Classes are carried as integer codes ``yc`` into ``names`` (class names in sorted order, so
    code order is name order, the order imbalanced-learn walks classes in); names are only
    materialised when the result is built or a method needs text labels.
    """

    X: np.ndarray
    yc: np.ndarray
    names: list[str]
    pos: np.ndarray
    seed_row: np.ndarray
    neighbor_row: np.ndarray
    alpha: np.ndarray
    space_rows: np.ndarray  # row id of each space position
    removed_rows: list[np.ndarray] = field(default_factory=list)  # row ids, one array per removal
    removed_reasons: list[np.ndarray] = field(default_factory=list)  # object arrays, aligned
    notes: list[str] = field(default_factory=list)
    weight: np.ndarray | None = None

    def __post_init__(self) -> None:
        self._index = {c: i for i, c in enumerate(self.names)}

    def code(self, cls: str) -> int:
        """Code of a class name (-1 when no row ever had it)."""
        return self._index.get(cls, -1)

    def bincount(self) -> np.ndarray:
        return np.bincount(self.yc, minlength=len(self.names))

    def counts(self) -> dict[str, int]:
        """Rows per class present, sorted by class name."""
        n = self.bincount()
        return {self.names[i]: int(n[i]) for i in np.flatnonzero(n)}

    def names_array(self) -> np.ndarray:
        """Class names as an object array (index = code)."""
        return np.array(self.names, dtype=object)

    def labels(self, idx: np.ndarray | None = None) -> np.ndarray:
        """Class names (fixed-width str, as ``y.astype(str)`` gives) of the rows ``idx`` (default all)."""
        yc = self.yc if idx is None else self.yc[idx]
        return np.array(self.names, dtype=str)[yc]

    def set_labels(self, y: np.ndarray) -> None:
        """Replace every row's class by name (re-codes; rare paths only)."""
        self.yc, self.names = _encode(y)
        self.__post_init__()

    def positions(self, *, real: bool = True) -> dict[str, np.ndarray]:
        """Ascending positions of the rows (real rows only by default) of every class, in one pass."""
        sel = np.flatnonzero(self.pos >= 0) if real else np.arange(len(self.yc))
        codes = self.yc[sel]
        if len(self.names) < 2**15:
            codes = codes.astype(np.int16)  # radix sort
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(self.names) + 1))
        return {self.names[i]: sel[order[bounds[i] : bounds[i + 1]]] for i in range(len(self.names)) if bounds[i + 1] > bounds[i]}

    def keep(self, mask: np.ndarray, reasons: str | Mapping[int, str], rows: np.ndarray) -> None:
        """Keep rows where ``mask``; removed original rows get ``reasons`` (one for all, or by state index)."""
        gone = np.flatnonzero(~mask)
        gone = gone[self.pos[gone] >= 0]
        if len(gone):
            self.removed_rows.append(rows[self.pos[gone]].astype(np.int64))
            if isinstance(reasons, str):
                why = np.empty(len(gone), dtype=object)
                why.fill(reasons)  # one shared str (np.full would make one str per row)
                self.removed_reasons.append(why)
            else:
                self.removed_reasons.append(np.array([reasons.get(int(i), "removed") for i in gone.tolist()] or [], dtype=object))
        kept = np.flatnonzero(mask)
        for name in ("X", "yc", "pos", "seed_row", "neighbor_row", "alpha"):
            setattr(self, name, getattr(self, name).take(kept, axis=0))
        if self.weight is not None:
            self.weight = self.weight.take(kept)

    def extend(self, m: int) -> int:
        """Room for ``m`` synthetic rows at the end; returns where they start (caller fills X, yc, provenance)."""
        n = len(self.yc)
        if m <= 0:
            return n
        X = np.empty((n + m, self.X.shape[1]), dtype=np.float64)
        X[:n] = self.X
        self.X = X
        for name, fill, dtype in (("yc", None, self.yc.dtype), ("pos", -1, np.int64), ("seed_row", -1, np.int64),
                                  ("neighbor_row", -1, np.int64), ("alpha", np.nan, np.float64)):
            old = getattr(self, name)
            new = np.empty(n + m, dtype=dtype)
            new[:n] = old
            if fill is not None:
                new[n:] = fill
            setattr(self, name, new)
        return n

    def append(self, X: np.ndarray, yc: np.ndarray, seed_row: np.ndarray, neighbor_row: np.ndarray, alpha: np.ndarray) -> None:
        m = len(X)
        if m == 0:
            return
        at = self.extend(m)
        self.X[at:] = X
        self.yc[at:] = yc
        self.seed_row[at:] = seed_row
        self.neighbor_row[at:] = neighbor_row
        self.alpha[at:] = alpha


def _encode(y: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Integer codes of class names and the names in sorted order (code order = name order)."""
    codes, uniq = pd.factorize(np.asarray(y, dtype=object))
    if not all(isinstance(u, str) for u in uniq) or (len(codes) and codes.min() < 0):
        codes, uniq = pd.factorize(np.asarray(y).astype(str).astype(object))
    uniq = [str(u) for u in uniq]
    order = sorted(range(len(uniq)), key=uniq.__getitem__)
    rank = np.empty(len(uniq), dtype=np.intp)
    rank[order] = np.arange(len(uniq))
    return rank[codes], [uniq[i] for i in order]


@dataclass(frozen=True)
class _Ctx:
    rows: np.ndarray  # space row ids by position
    seed: int
    target: TargetSpec
    small_classes: str
    space: FeatureSpace
    excluded: frozenset  # classes left out of resampling (drop)


def _fmt_classes(classes: Mapping[str, int], limit: int = 6) -> str:
    items = [f"{c!r} has {n} row{'s' if n != 1 else ''}" for c, n in list(classes.items())[:limit]]
    more = f" and {len(classes) - limit} more" if len(classes) > limit else ""
    return "; ".join(items) + more


def _small_hint(spec: StrategySpec) -> str:
    return (
        "Choose what to do with them: small_classes='lower_k' (k = rows - 1 for those classes), 'random_over' "
        "(random over-sampling instead), 'merge' (into one class 'Other'), or 'drop' (leave them out of resampling)."
    )


# ------------------------------------------------------------------------------------- public


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
        Strategy parameters (see :func:`core.strategies.spec.validate_params`).
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
    if small_classes not in SMALL_CLASS_CHOICES:
        raise ParameterError(
            f"small_classes={small_classes!r} is not allowed; it must be one of {', '.join(SMALL_CLASS_CHOICES)}."
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**32:
        raise ParameterError(f"seed={seed!r} is not allowed; it must be a whole number in 0..{2**32 - 1}.")
    seed = int(seed)
    if space.n_rows == 0:
        raise SchemaError("The feature space has no rows.")

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(float(min(max(fraction, 0.0), 1.0)), message)

    report(0.0, f"starting {strategy}")
    yc, class_names = _encode(space.y)
    state = _State(
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
    excluded = _plan_small_classes(state, names, per_step, tgt, small_classes)
    ctx = _Ctx(rows=space.rows, seed=seed, target=tgt, small_classes=small_classes, space=space, excluded=frozenset(excluded))
    targets_used: dict[str, int] | None = None
    for i, name in enumerate(names):
        spec = REGISTRY[name]
        report(i / len(names), f"{spec.label}")
        t = _run_step(state, spec, dict(per_step[name]), ctx)
        if t is not None:
            targets_used = t
    report(1.0, "done")
    # order: kept originals by row id, then synthetic rows in the order they were made; steps
    # keep rows in order and append synthetic rows at the end, so this is nearly always as is
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
        targets=targets_used,
        strategy=strategy,
        params=checked,
        seed=seed,
        target=tgt.to_text(),
        small_classes=small_classes,
    )


# ------------------------------------------------------------------------------------- small classes


def _needed_rows(spec: StrategySpec, params: Mapping[str, Any]) -> int | None:
    if spec.k_param is None:
        return None
    return int(params[spec.k_param]) + spec.k_extra


def _classes_needing_knn(spec: StrategySpec, counts: Mapping[str, int], target: TargetSpec) -> dict[str, int]:
    """Classes the step runs its per-class k-NN on."""
    if spec.family in ("over", "combined"):
        want = resolve_targets(counts, target, family=spec.family)
        return {c: n for c, n in counts.items() if want[c] > n}
    return dict(counts)


def _plan_small_classes(state: _State, names, per_step, target: TargetSpec, choice: str) -> set[str]:
    """Find classes too small for a k-NN step; apply ``merge``; raise for ``error``; return dropped classes."""
    counts = state.counts()
    small: dict[str, int] = {}
    first_spec = None
    needed_max = 0
    for name in names:
        spec = REGISTRY[name]
        needed = _needed_rows(spec, per_step[name])
        if needed is None:
            continue
        for c, n in _classes_needing_knn(spec, counts, target).items():
            if n < needed:
                small[c] = n
        if needed > needed_max:
            needed_max, first_spec = needed, spec
    if not small:
        return set()
    small = dict(sorted(small.items(), key=lambda kv: (kv[1], kv[0])))
    spec = first_spec
    k = needed_max - spec.k_extra
    desc = f"{spec.label} with {spec.k_param}={k} needs at least {needed_max}"
    if choice == "error":
        raise SmallClassError(
            f"{len(small)} class{'es are' if len(small) > 1 else ' is'} too small: {_fmt_classes(small)}; {desc}.",
            classes=small,
            needed=needed_max,
            hint=_small_hint(spec),
        )
    if choice == "merge":
        existing = OTHER_CLASS in counts and OTHER_CLASS not in small
        merged_rows = sum(small.values()) + (counts[OTHER_CLASS] if existing else 0)
        y_names = state.names_array().take(state.yc)
        state.set_labels(np.where(np.isin(y_names.astype(str), list(small)), OTHER_CLASS, y_names).astype(object))
        state.notes.append(
            f"Merged {len(small)} small class(es) ({', '.join(map(repr, list(small)[:10]))}{'...' if len(small) > 10 else ''}) "
            f"into {OTHER_CLASS!r}{' (which already existed)' if existing else ''}: {merged_rows} rows."
        )
        if len(state.counts()) < 2:
            raise SmallClassError(
                "Merging the small classes leaves a single class; resampling needs at least 2.",
                classes=small, needed=needed_max, hint="Use small_classes='lower_k' or 'random_over' instead.",
            )
        if merged_rows < needed_max:
            raise SmallClassError(
                f"Merged into {OTHER_CLASS!r} the small classes make {merged_rows} rows; {desc}.",
                classes=small, needed=needed_max, hint="Use small_classes='lower_k', 'random_over' or 'drop' instead.",
            )
        return set()
    if choice == "random_over" and spec.family == "under":
        state.notes.append(
            f"Random over-sampling does not apply to the under-sampler {spec.label}; {len(small)} class(es) too small for it "
            f"pass through unchanged: {_fmt_classes(small)}."
        )
        return set(small)
    if choice == "drop":
        state.notes.append(
            f"Left {len(small)} class(es) too small for {spec.label} out of resampling (their rows pass through unchanged): "
            f"{_fmt_classes(small)}."
        )
        return set(small)
    # lower_k and random_over are applied inside the steps (per class)
    return set()


def _k_for_class(spec: StrategySpec, k: int, n: int, state: _State, small_classes: str, cls: str) -> int | None:
    """k for one class, or None when the class must be randomly over-sampled instead."""
    if n >= k + spec.k_extra:
        return k
    if small_classes == "lower_k":
        if n - spec.k_extra >= 1:
            state.notes.append(f"Class {cls!r} has {n} rows: {spec.label} uses {spec.k_param}={n - spec.k_extra} for it (asked {k}).")
            return n - spec.k_extra
        state.notes.append(f"Class {cls!r} has {n} row: too few for any k-NN, so it is randomly over-sampled (copies).")
        return None
    if small_classes == "random_over":
        state.notes.append(f"Class {cls!r} has {n} rows (fewer than {k + spec.k_extra}): randomly over-sampled instead of {spec.label}.")
        return None
    raise SmallClassError(  # pragma: no cover - planned earlier
        f"Class {cls!r} has {n} rows; {spec.label} with {spec.k_param}={k} needs at least {k + spec.k_extra}.",
        classes={cls: n}, needed=k + spec.k_extra, hint=_small_hint(spec),
    )


# ------------------------------------------------------------------------------------- steps


def _run_step(state: _State, spec: StrategySpec, p: dict, ctx: _Ctx) -> dict[str, int] | None:
    if spec.family == "baseline":
        return None
    if spec.family == "reweight":
        _reweight(state, spec, p)
        return None
    if spec.family == "outlier":
        _outliers(state, spec, p, ctx)
        return None
    if spec.family == "clean":
        _clean(state, spec.name, p, ctx, classes_choice=p.get("classes", "not minority"))
        return None
    if spec.family == "under":
        return _under(state, spec, p, ctx)
    # over / combined
    targets = _over(state, spec, p, ctx)
    if spec.name == "smote_enn":
        _clean(state, "enn", {"n_neighbors": p["n_neighbors"], "kind_sel": p["kind_sel"]}, ctx, classes_choice="all")
    elif spec.name == "smote_tomek":
        _clean(state, "tomek_links", {}, ctx, classes_choice="all")
    return targets


def _active_counts(state: _State, ctx: _Ctx) -> dict[str, int]:
    return {c: n for c, n in state.counts().items() if c not in ctx.excluded}


# ---- over-sampling


def _over(state: _State, spec: StrategySpec, p: dict, ctx: _Ctx) -> dict[str, int]:
    counts = _active_counts(state, ctx)
    targets = resolve_targets(counts, ctx.target, family=spec.family)
    # head cap: classes asked to shrink are randomly under-sampled first
    shrink = {c: t for c, t in targets.items() if t < counts[c]}
    if shrink:
        rng = np.random.default_rng(ctx.seed)
        mask = np.ones(len(state.yc), dtype=bool)
        at = state.positions(real=False)
        for c in sorted(shrink):
            idx = at[c]
            drop = rng.choice(idx, size=len(idx) - shrink[c], replace=False)
            mask[drop] = False
        state.keep(mask, "head cap", ctx.rows)
        state.notes.append(
            f"Head cap: {len(shrink)} class(es) randomly under-sampled to their target "
            f"({', '.join(f'{c!r} {counts[c]}->{t}' for c, t in list(shrink.items())[:6])}{'...' if len(shrink) > 6 else ''})."
        )
    need = {c: targets[c] - counts[c] for c in sorted(targets) if targets[c] > counts[c]}
    if not need:
        state.notes.append("Every class already meets its target; no synthetic rows were made.")
        return targets
    if spec.name == "random_over":
        _random_over(state, need, ctx, shrinkage=float(p["shrinkage"]))
        return targets
    k = int(p[spec.k_param])
    per_class_k: dict[str, int | None] = {}
    n_of = state.bincount()
    for c, m in need.items():
        n = int(n_of[state.code(c)])
        per_class_k[c] = _k_for_class(spec, k, n, state, ctx.small_classes, c)
    copies = {c: need[c] for c, kk in per_class_k.items() if kk is None}
    interp = {c: need[c] for c, kk in per_class_k.items() if kk is not None}
    if spec.name in ("smote", "smote_enn", "smote_tomek") or (spec.name == "smote_nc" and not _has_categorical(ctx.space)):
        if spec.name == "smote_nc":
            state.notes.append("SMOTE-NC: the features hold no categorical columns, so this is plain SMOTE.")
        _smote(state, interp, {c: per_class_k[c] for c in interp}, ctx.seed)
    else:
        _imblearn_over(state, spec, p, interp, {c: per_class_k[c] for c in interp}, ctx)
    if copies:
        _random_over(state, copies, ctx, shrinkage=0.0)
    return targets


def _smote(state: _State, need: Mapping[str, int], k_of: Mapping[str, int], seed: int, *, rows: np.ndarray | None = None) -> None:
    """SMOTE as imbalanced-learn draws it (same RandomState per class), with provenance."""
    if not need:
        return
    real = state.positions()
    jobs, at = [], len(state.yc)
    for c in sorted(need):
        m, k = int(need[c]), int(k_of[c])
        if m > 0:
            jobs.append((c, real.get(c, np.zeros(0, dtype=np.int64)), m, k, at))  # real rows only
            at += m
    state.extend(at - len(state.yc))

    from core.neighbors.kernels import smote_fill, smote_hits

    def one(job, threads):
        c, idx, m, k, at = job
        rs = np.random.RandomState(seed)
        draws = rs.randint(low=0, high=len(idx) * k, size=m)  # seed row * k + neighbour column
        steps = rs.uniform(size=m)
        # the draws only need the size of the neighbour table, so draw first and find the
        # neighbours (in scikit-learn's order, ties included, as imbalanced-learn takes them)
        # of the drawn seed rows only
        hit = smote_hits(draws, k, len(idx))
        Xc = state.X[idx]
        if hit.all():
            nn = sklearn_kneighbors(Xc, k + 1, threads=threads)
            at_row = np.arange(len(idx))  # seed row -> its row of nn
        else:
            nn = sklearn_kneighbors_rows(Xc, k + 1, np.flatnonzero(hit), threads=threads)
            at_row = np.cumsum(hit) - 1
        state.yc[at : at + m] = state.code(c)
        # interpolation (imbalanced-learn's bits) and provenance in one pass, no temporaries
        smote_fill(state.X, at, idx, draws, k, np.ascontiguousarray(nn, dtype=np.int64), at_row, steps,
                   state.pos, state.space_rows, state.seed_row, state.neighbor_row, state.alpha)

    _run_by_class(jobs, one, size=lambda job: len(job[1]))


#: k-NN work (the sum over classes of rows squared) below which classes run one after another:
#: handing small jobs between threads (and the GIL between them) costs more than it saves.
PARALLEL_MIN_WORK = 8_000_000


def _run_by_class(jobs: list, fn, *, size) -> None:
    """Run ``fn(job, threads)`` for every job (each writes its own rows), classes in parallel.

    Classes go to a pool of ``knn32.worker_threads()`` threads, largest first, one thread each
    (below ``PARALLEL_MIN_WORK``, one after another)
    (numpy and the k-NN kernels release the GIL). A class with at least half of all the k-NN
    work (size squared) runs first, alone, on every thread.
    """
    workers = knn32.worker_threads()
    if workers < 2 or len(jobs) < 2 or sum(float(size(j)) ** 2 for j in jobs) < PARALLEL_MIN_WORK:
        for job in jobs:
            fn(job, None)
        return
    jobs = sorted(jobs, key=lambda j: -size(j))
    work = [float(size(j)) ** 2 for j in jobs]
    if work[0] >= 0.5 * sum(work):
        fn(jobs[0], None)
        jobs = jobs[1:]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for fut in [pool.submit(fn, job, 1) for job in jobs]:
            fut.result()


def _row_ids(state: _State, positions: np.ndarray) -> np.ndarray:
    """Original row ids of state positions (-1 for synthetic ones)."""
    pos = state.pos[positions]
    return np.where(pos >= 0, state.space_rows[np.maximum(pos, 0)], -1).astype(np.int64)


def _random_over(state: _State, need: Mapping[str, int], ctx: _Ctx, *, shrinkage: float) -> None:
    """Random over-sampling as imbalanced-learn draws it (one RandomState over classes in order)."""
    rs = np.random.RandomState(ctx.seed)
    n_samples, n_features = state.X.shape
    real = state.positions()
    boots = []
    for c in sorted(need):
        m = int(need[c])
        idx = real.get(c, np.zeros(0, dtype=np.int64))  # real rows only
        boot = rs.choice(idx, size=m, replace=True)
        noise = rs.randn(m, n_features) if shrinkage > 0 else None
        boots.append((c, boot, noise))
    total = sum(len(b) for _, b, _ in boots)
    if not boots or total == 0:
        return
    src = state.X
    at = state.extend(total)
    for c, boot, noise in boots:
        m = len(boot)
        dest = state.X[at : at + m]
        if noise is not None:
            smoothing = (4 / ((n_features + 2) * n_samples)) ** (1 / (n_features + 4))
            scale = np.std(src[real[c]], axis=0)
            dest[...] = noise.dot(np.diagflat(shrinkage * smoothing * scale)) + src[boot]
        else:
            np.take(src, boot, axis=0, out=dest)
        state.yc[at : at + m] = state.code(c)
        state.seed_row[at : at + m] = _row_ids(state, boot)
        at += m


def _has_categorical(space: FeatureSpace) -> bool:
    return bool(space.config.categorical)


def _imblearn_over(state: _State, spec: StrategySpec, p: dict, need: Mapping[str, int], k_of: Mapping[str, int], ctx: _Ctx) -> None:
    """Borderline / SVM / KMeans SMOTE, ADASYN, SMOTE-NC via imbalanced-learn, exact counts; seed, neighbour and
    weight recovered from the geometry (core.strategies.provenance), nearest real row where no line fits."""
    if not need:
        return
    y_str = state.labels()
    groups: dict[int, dict[str, int]] = {}
    for c, m in need.items():
        groups.setdefault(int(k_of[c]), {})[c] = int(m)
    made: dict[str, list[np.ndarray]] = {c: [] for c in need}
    X_in, decode = _imblearn_input(state, spec, ctx)
    for k, group in sorted(groups.items()):
        target_counts = {c: int((y_str == c).sum()) + m for c, m in group.items()}
        try:
            X_res, y_res = _imblearn_call(spec, p, k, target_counts, ctx, X_in, y_str)
        except (RuntimeError, ValueError) as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            state.notes.append(
                f"{spec.label} could not run for {', '.join(map(repr, sorted(group)))} ({msg[:160]}); plain SMOTE made those rows."
            )
            continue
        n_in = len(state.X)
        new_X, new_y = X_res[n_in:], np.asarray(y_res[n_in:]).astype(str)
        for c in group:
            made[c].append(decode(new_X[new_y == c]))
    fill: dict[str, int] = {}
    out_X, out_y = [], []
    for c in sorted(need):
        got = np.concatenate(made[c]) if made[c] else np.empty((0, state.X.shape[1]))
        m = int(need[c])
        if len(got) > m:
            state.notes.append(f"{spec.label} made {len(got)} rows for {c!r}; the first {m} are kept to hit the target.")
            got = got[:m]
        elif len(got) < m:
            if made[c]:
                state.notes.append(f"{spec.label} made {len(got)} rows for {c!r}; plain SMOTE made the other {m - len(got)} to hit the target.")
            fill[c] = m - len(got)
        out_X.append(got)
        out_y.append(np.full(len(got), state.code(c), dtype=state.yc.dtype))
    X_new = np.concatenate(out_X) if out_X else np.empty((0, state.X.shape[1]))
    y_new = np.concatenate(out_y) if out_y else np.empty(0, dtype=state.yc.dtype)
    seeds = np.full(len(X_new), -1, dtype=np.int64)
    nbrs = np.full(len(X_new), -1, dtype=np.int64)
    alphas = np.full(len(X_new), np.nan)
    real = state.positions()
    lost = 0
    for c in sorted(need):
        sel = np.flatnonzero(y_new == state.code(c))
        if len(sel):
            idx = real[c]
            # the library does not say which rows it interpolated: recover them from the geometry
            seed_pos, nbr_pos, alpha, found = segment_parents(state.X[idx], X_new[sel])
            seeds[sel] = _row_ids(state, idx[seed_pos])
            nbrs[sel[found]] = _row_ids(state, idx[nbr_pos[found]])
            alphas[sel[found]] = alpha[found]
            lost += int((~found).sum())
    if lost:
        state.notes.append(
            f"{spec.label}: {lost:,} of {len(X_new):,} synthetic rows lie on no line through two real rows of their class "
            "(categorical votes or extrapolation); their seed is their nearest real row, neighbour and weight unknown."
        )
    state.append(X_new, y_new, seeds, nbrs, alphas)
    if fill:
        _smote(state, fill, {c: k_of[c] for c in fill}, ctx.seed)


def _imblearn_input(state: _State, spec: StrategySpec, ctx: _Ctx):
    """Matrix given to imbalanced-learn and the function mapping its rows back to our space."""
    if spec.name != "smote_nc":
        return state.X, lambda Z: np.asarray(Z, dtype=np.float64)
    space = ctx.space
    cat_cols = list(space.config.categorical)
    cat_slices = [space.blocks[c] for c in cat_cols]
    in_cat = np.zeros(state.X.shape[1], dtype=bool)
    for s in cat_slices:
        in_cat[s] = True
    cont = np.flatnonzero(~in_cat)
    codes = np.column_stack([state.X[:, s].argmax(axis=1) for s in cat_slices]).astype(np.float64)
    X_in = np.hstack([state.X[:, cont], codes])
    n_cont = len(cont)

    def decode(Z: np.ndarray) -> np.ndarray:
        Z = np.asarray(Z, dtype=np.float64)
        out = np.zeros((len(Z), state.X.shape[1]))
        out[:, cont] = Z[:, :n_cont]
        for j, s in enumerate(cat_slices):
            code = np.rint(Z[:, n_cont + j]).astype(int)
            out[np.arange(len(Z)), s.start + code] = 1.0
        return out

    return (X_in, n_cont, len(cat_slices)), decode


def _imblearn_call(spec: StrategySpec, p: dict, k: int, target_counts: dict, ctx: _Ctx, X_in, y: np.ndarray):
    from imblearn import over_sampling as ov

    seed = ctx.seed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if spec.name == "borderline_smote":
            s = ov.BorderlineSMOTE(sampling_strategy=target_counts, random_state=seed, k_neighbors=k, m_neighbors=p["m_neighbors"], kind=p["kind"])
        elif spec.name == "svm_smote":
            s = ov.SVMSMOTE(sampling_strategy=target_counts, random_state=seed, k_neighbors=k, m_neighbors=p["m_neighbors"], out_step=p["out_step"])
        elif spec.name == "kmeans_smote":
            from sklearn.cluster import MiniBatchKMeans

            n_clusters = max(1, min(int(p["n_clusters"]), len(y)))
            s = ov.KMeansSMOTE(
                sampling_strategy=target_counts, random_state=seed, k_neighbors=k,
                kmeans_estimator=MiniBatchKMeans(n_clusters=n_clusters, n_init=1, random_state=seed),
                cluster_balance_threshold=p["cluster_balance_threshold"] or "auto",
            )
        elif spec.name == "adasyn":
            s = ov.ADASYN(sampling_strategy=target_counts, random_state=seed, n_neighbors=k)
        elif spec.name == "smote_nc":
            X_mat, n_cont, n_cat = X_in
            s = ov.SMOTENC(categorical_features=list(range(n_cont, n_cont + n_cat)), sampling_strategy=target_counts, random_state=seed, k_neighbors=k)
            return s.fit_resample(X_mat, y)
        else:  # pragma: no cover
            raise ParameterError(f"{spec.name} is not an imbalanced-learn over-sampler here.")
        X_mat = X_in[0] if isinstance(X_in, tuple) else X_in
        return s.fit_resample(X_mat, y)


# ---- under-sampling


def _under(state: _State, spec: StrategySpec, p: dict, ctx: _Ctx) -> dict[str, int]:
    from imblearn import under_sampling as us

    counts = _active_counts(state, ctx)
    targets = resolve_targets(counts, ctx.target, family="under")
    over = {c: t for c, t in targets.items() if t > counts[c]}
    if over:
        state.notes.append(
            f"{spec.label} cannot add rows: {len(over)} class(es) keep their size instead of the larger target "
            f"({', '.join(f'{c!r} {counts[c]} (asked {t})' for c, t in list(over.items())[:6])})."
        )
        targets = {c: min(t, counts[c]) for c, t in targets.items()}
    shrink = {c: t for c, t in targets.items() if t < counts[c]}
    if not shrink:
        state.notes.append("Every class is already at or under its target; no rows were removed.")
        return targets
    idx_active = np.flatnonzero(np.isin(state.yc, [state.code(c) for c in counts]))
    # imbalanced-learn's 'auto' also draws for classes already at their target (all but the
    # minority); passing them keeps the random draws, and so the kept rows, identical
    strategy = {c: t for c, t in targets.items() if t <= counts[c]}
    minority = min(counts, key=lambda c: (counts[c], c))
    if targets[minority] == counts[minority] and len(strategy) > 1:
        strategy.pop(minority)
    X, y = (None, None) if spec.name == "random_under" else (state.X[idx_active], state.labels(idx_active))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if spec.name == "random_under":
            # the same draws as imbalanced-learn's RandomUnderSampler, on class codes
            kept = _random_under_indices(state, idx_active, strategy, ctx.seed)
            reason = "random under-sampling"
        elif spec.name == "near_miss":
            k = int(p["n_neighbors"])
            smallest = min(counts.values())
            if smallest < k:
                if ctx.small_classes == "lower_k":
                    state.notes.append(f"NearMiss: the smallest class has {smallest} rows, so n_neighbors={smallest} (asked {k}).")
                    k = smallest
                else:
                    raise SmallClassError(
                        f"The smallest class has {smallest} rows; NearMiss with n_neighbors={k} needs at least {k}.",
                        classes={c: n for c, n in counts.items() if n < k}, needed=k, hint=_small_hint(spec),
                    )
            k3 = int(p["n_neighbors_ver3"])
            if int(p["version"]) == 3:
                smallest3 = min(counts[c] for c in strategy)
                if smallest3 < k3:
                    if ctx.small_classes != "lower_k":
                        raise SmallClassError(
                            f"NearMiss-3 with n_neighbors_ver3={k3} needs at least {k3} rows in every class it under-samples; "
                            f"{_fmt_classes({c: counts[c] for c in strategy if counts[c] < k3})}.",
                            classes={c: counts[c] for c in strategy if counts[c] < k3}, needed=k3, hint=_small_hint(spec),
                        )
                    state.notes.append(f"NearMiss-3: a class has {smallest3} rows, so n_neighbors_ver3={smallest3} (asked {k3}).")
                    k3 = smallest3
            s = us.NearMiss(sampling_strategy=strategy, version=int(p["version"]), n_neighbors=k, n_neighbors_ver3=k3)
            s.fit_resample(X, y)
            kept = s.sample_indices_
            reason = f"NearMiss-{int(p['version'])} under-sampling"
        elif spec.name == "cluster_centroids":
            from sklearn.cluster import KMeans

            s = us.ClusterCentroids(sampling_strategy=dict(shrink), random_state=ctx.seed, voting="hard",
                                    estimator=KMeans(n_init=1, random_state=ctx.seed))
            X_res, y_res = s.fit_resample(X, y)
            kept = _match_rows(X, y, X_res, np.asarray(y_res).astype(str))
            reason = "not a cluster centroid"
        else:  # pragma: no cover
            raise ParameterError(f"{spec.name} is not an under-sampler.")
    mask = np.ones(len(state.yc), dtype=bool)
    mask[idx_active] = False
    mask[idx_active[np.asarray(kept, dtype=np.int64)]] = True
    state.keep(mask, reason, ctx.rows)
    return targets


def _random_under_indices(state: _State, idx_active: np.ndarray, strategy: Mapping[str, int], seed: int) -> np.ndarray:
    """``RandomUnderSampler(sampling_strategy=strategy, random_state=seed).sample_indices_`` on the active rows.

    The same draws (one RandomState, classes in sorted order, ``choice`` without replacement
    among each class's rows in row order), on class codes instead of text labels.
    """
    rs = np.random.RandomState(seed)
    codes = state.yc[idx_active]
    small = codes.astype(np.int16) if len(state.names) < 2**15 else codes
    order = np.argsort(small, kind="stable")  # positions in idx_active, grouped by class, ascending
    bounds = np.searchsorted(small[order], np.arange(len(state.names) + 1))
    parts = []
    for i, c in enumerate(state.names):
        members = order[bounds[i] : bounds[i + 1]]
        if not len(members):
            continue
        if c in strategy:
            members = members[rs.choice(len(members), size=int(strategy[c]), replace=False)]
        parts.append(members)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _match_rows(X: np.ndarray, y: np.ndarray, X_res: np.ndarray, y_res: np.ndarray) -> np.ndarray:
    """Positions in X of rows of X_res (exact match, same class; duplicates take distinct rows)."""
    used = np.zeros(len(X), dtype=bool)
    out = np.empty(len(X_res), dtype=np.int64)
    for c in np.unique(y_res):
        idx = np.flatnonzero(y == c)
        sel = np.flatnonzero(y_res == c)
        d, nn = kneighbors(X[idx], min(len(idx), 16), query=X_res[sel])
        for j, i in enumerate(sel):
            for t in range(nn.shape[1]):
                cand = idx[nn[j, t]]
                if not used[cand] and d[j, t] <= 1e-9 * (1 + np.abs(X_res[i]).max()):
                    used[cand] = True
                    out[i] = cand
                    break
            else:
                raise ParameterError("Cluster centroids returned a row that is not a real row; this is a bug.")
    return out


# ---- cleaning


def _clean_classes(counts: Mapping[str, int], choice: str) -> set[str]:
    hi, lo = max(counts.values()), min(counts.values())
    majority = min(c for c, n in counts.items() if n == hi)
    minority = min(c for c, n in counts.items() if n == lo)
    # imbalanced-learn picks the first class of np.unique order among ties (sorted); match it
    if choice == "all":
        return set(counts)
    if choice == "majority":
        return {majority}
    if choice == "not majority":
        return set(counts) - {majority}
    return set(counts) - {minority}


def _clean(state: _State, name: str, p: Mapping[str, Any], ctx: _Ctx, *, classes_choice: str) -> None:
    counts = _active_counts(state, ctx)
    if len(counts) < 2:
        state.notes.append("Cleaning needs at least 2 classes; nothing was removed.")
        return
    active = np.flatnonzero(np.isin(state.yc, [state.code(c) for c in counts]))
    X, y = state.X[active], state.labels(active)
    clean = _clean_classes(counts, classes_choice)
    if name == "tomek_links":
        remove, reasons = _tomek(X, y, clean)
    elif name == "enn":
        remove, reasons = _enn(X, y, clean, int(p["n_neighbors"]), str(p["kind_sel"]))
    elif name == "ncr":
        remove, reasons = _ncr(X, y, clean, counts, int(p["n_neighbors"]), float(p["threshold_cleaning"]))
    elif name == "oss":
        remove, reasons = _oss(X, y, clean, p, ctx.seed, state.notes)
    else:  # pragma: no cover
        raise ParameterError(f"{name} is not a cleaning method.")
    mask = np.ones(len(state.yc), dtype=bool)
    mask[active[remove]] = False
    uniform = len(set(reasons)) == 1
    state.keep(mask, reasons[0] if uniform else {int(active[i]): r for i, r in zip(remove.tolist(), reasons)}, ctx.rows)


def _check_k(k: int, n: int, what: str) -> None:
    if k + 1 > n:
        raise ParameterError(f"{what} with n_neighbors={k} needs more than {k} rows; there are {n}.", hint=f"Use n_neighbors <= {n - 1}.")


def _tomek(X: np.ndarray, y: np.ndarray, clean: set[str]) -> tuple[np.ndarray, list[str]]:
    _check_k(1, len(X), "Tomek links")
    nn1 = sklearn_kneighbors(X, 2)[:, 1]
    link = (y[nn1] != y) & (nn1[nn1] == np.arange(len(y))) & np.isin(y, list(clean))
    remove = np.flatnonzero(link)
    return remove, ["tomek link"] * len(remove)


def _enn_keep(y: np.ndarray, query_y: np.ndarray, nbr: np.ndarray, kind: str) -> np.ndarray:
    """Whether each query row's neighbours (all, or their mode) share its class.

    The mode breaks ties towards the smallest class name, as scipy's ``mode`` and
    scikit-learn's ``KNeighborsClassifier`` do.
    """
    labels = y[nbr]
    if kind == "all":
        return np.all(labels == query_y[:, None], axis=1)
    classes, codes = np.unique(labels, return_inverse=True)
    codes = codes.reshape(labels.shape)
    counts = np.zeros((len(query_y), len(classes)), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(len(query_y)), labels.shape[1]), codes.ravel()), 1)
    return classes[counts.argmax(axis=1)] == query_y


def _enn(X: np.ndarray, y: np.ndarray, clean: set[str], k: int, kind: str) -> tuple[np.ndarray, list[str]]:
    _check_k(k, len(X), "ENN")
    nn = sklearn_kneighbors(X, k + 1)
    keep = _enn_keep(y, y, nn[:, 1:], kind)
    remove = np.flatnonzero(~keep & np.isin(y, list(clean)))
    why = "edited nearest neighbours (" + ("not all" if kind == "all" else "most") + f" of {k} neighbours of another class)"
    return remove, [why] * len(remove)


def _ncr(X: np.ndarray, y: np.ndarray, clean: set[str], counts: Mapping[str, int], k: int, threshold: float) -> tuple[np.ndarray, list[str]]:
    _check_k(k, len(X), "NCR")
    nn = sklearn_kneighbors(X, k + 1)
    a1 = ~_enn_keep(y, y, nn[:, 1:], "mode") & np.isin(y, list(clean))
    lo = min(counts.values())
    # imbalanced-learn takes the minority from Counter(y): the first tied class in row order
    _, first = np.unique(y, return_index=True)
    tied = [c for c, n in counts.items() if n == lo]
    minority = min(tied, key=lambda c: int(first[np.searchsorted(np.unique(y), c)]))
    to_clean = {c for c, n in counts.items() if c in clean and n > counts[minority] * threshold}
    mino = np.flatnonzero(y == minority)
    pred_ok = _enn_keep(y, y[mino], nn[mino, :k], "mode") if len(mino) else np.zeros(0, dtype=bool)
    # KNeighborsClassifier.predict on training rows votes with the k nearest including the row itself
    mis = mino[~pred_ok]
    a2 = np.zeros(len(y), dtype=bool)
    if len(mis):
        cand = np.unique(nn[mis, 1:].ravel())
        cand = cand[np.isin(y[cand], list(to_clean))]
        a2[cand] = True
    remove = np.flatnonzero(a1 | a2)
    reasons = ["neighbourhood cleaning (edited nearest neighbours)" if a1[i] else "neighbourhood cleaning (near a misclassified minority row)" for i in remove]
    return remove, reasons


def _oss(X: np.ndarray, y: np.ndarray, clean: set[str], p: Mapping[str, Any], seed: int, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    from imblearn.under_sampling import OneSidedSelection

    seeds = int(p["n_seeds_S"])
    counts = Counter(y.tolist())
    whole = sorted(c for c in clean if counts[c] <= seeds)
    clean = {c for c in clean if counts[c] > seeds}
    if whole:
        notes.append(
            f"One-sided selection keeps {len(whole)} class(es) whole: they have no more rows than n_seeds_S={seeds} "
            f"({', '.join(map(repr, whole[:6]))}{'...' if len(whole) > 6 else ''})."
        )
    if not clean:
        return np.zeros(0, dtype=np.int64), []
    s = OneSidedSelection(sampling_strategy=sorted(clean) if len(clean) < len(counts) else "all",
                          random_state=seed, n_neighbors=int(p["n_neighbors"]), n_seeds_S=int(p["n_seeds_S"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.fit_resample(X, y)
    keep = np.zeros(len(y), dtype=bool)
    keep[s.sample_indices_] = True
    remove = np.flatnonzero(~keep)
    return remove, ["one-sided selection"] * len(remove)


# ---- outliers


def _outliers(state: _State, spec: StrategySpec, p: dict, ctx: _Ctx) -> None:
    guard = int(p["min_class_rows"])
    counts = _active_counts(state, ctx)
    guarded = {c: n for c, n in counts.items() if n < max(guard, 2)}
    if guarded:
        state.notes.append(
            f"{spec.label}: {len(guarded)} class(es) with fewer than {max(guard, 2)} rows are left alone (tail guard min_class_rows={guard})."
        )
    mask = np.ones(len(state.yc), dtype=bool)
    reasons: dict[int, str] = {}
    at = state.positions(real=False)
    for c in sorted(counts):
        if c in guarded:
            continue
        idx = at[c]
        Xc = state.X[idx]
        flag, why = _outlier_flags(spec.name, Xc, p, ctx.seed, state, c)
        mask[idx[flag]] = False
        for i, w in zip(idx[flag].tolist(), why):
            reasons[int(i)] = w
    state.keep(mask, reasons, ctx.rows)


def _outlier_flags(name: str, Xc: np.ndarray, p: Mapping[str, Any], seed: int, state: _State, cls: str) -> tuple[np.ndarray, list[str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "isolation_forest":
            from sklearn.ensemble import IsolationForest

            est = IsolationForest(n_estimators=int(p["n_estimators"]), contamination=float(p["contamination"]), random_state=seed)
            flag = est.fit_predict(Xc) == -1
            score = est.decision_function(Xc)
            return flag, [f"isolation forest outlier (score {s:.3f})" for s in score[flag]]
        if name == "lof":
            from sklearn.neighbors import LocalOutlierFactor

            k = min(int(p["n_neighbors"]), len(Xc) - 1)
            if k < int(p["n_neighbors"]):
                state.notes.append(f"LOF: class {cls!r} has {len(Xc)} rows, so n_neighbors={k} for it.")
            est = LocalOutlierFactor(n_neighbors=k, contamination=float(p["contamination"]))
            flag = est.fit_predict(Xc) == -1
            factor = -est.negative_outlier_factor_
            return flag, [f"LOF outlier (factor {f:.2f})" for f in factor[flag]]
    dist = np.sqrt(((Xc - Xc.mean(axis=0)) ** 2).sum(axis=1))
    thr = float(p["threshold"])
    if p["mode"] == "quantile":
        cut = float(np.quantile(dist, thr))
        flag = dist > cut
        return flag, [f"far from class centroid (distance {d:.3f} > {thr:g} quantile {cut:.3f})" for d in dist[flag]]
    med = float(np.median(dist))
    mad = float(np.median(np.abs(dist - med)))
    if mad == 0:
        state.notes.append(f"Distance to centroid: class {cls!r} has a zero MAD of distances; no row is removed from it.")
        return np.zeros(len(dist), dtype=bool), []
    z = (dist - med) / (1.4826 * mad)
    flag = z > thr
    return flag, [f"far from class centroid (distance {d:.3f}, robust z {zz:.2f} > {thr:g})" for d, zz in zip(dist[flag], z[flag])]


# ---- reweighting


def _reweight(state: _State, spec: StrategySpec, p: Mapping[str, Any]) -> None:
    counts = state.counts()
    n, K = len(state.yc), len(counts)
    if spec.name == "balanced_weights":
        w = {c: n / (K * m) for c, m in counts.items()}
    else:
        beta = float(p["beta"])
        raw = {c: (1 - beta) / (1 - beta**m) if beta > 0 else 1.0 for c, m in counts.items()}
        norm = n / sum(raw[c] * m for c, m in counts.items())
        w = {c: v * norm for c, v in raw.items()}
    per_code = np.array([w.get(c, np.nan) for c in state.names], dtype=np.float64)
    state.weight = per_code[state.yc]


# ------------------------------------------------------------------------------------- output table


def build_output_table(
    table: Any,
    labels: pd.Series,
    roles: Mapping[str, str],
    result: ResampleResult,
    space: FeatureSpace,
) -> pd.DataFrame:
    """The full resampled table: original columns plus ``skewlab_*`` provenance.

    Kept original rows keep every cell exactly as loaded; rows without a label pass through
    untouched (origin ``original``); synthetic rows get their feature columns from
    :meth:`FeatureSpace.to_original`, the label column set to their class, and every other column
    empty. Order: original rows (labelled and unlabelled) by row id, then synthetic rows.

    Parameters
    ----------
    table : LoadedTable or pandas.DataFrame
        The table as loaded.
    labels : pandas.Series
        Class per row (NA = no label), as used to build ``space``.
    roles : mapping column -> role
        The label column is the one with role ``label``.
    result : ResampleResult
    space : FeatureSpace

    Returns
    -------
    pandas.DataFrame
    """
    frame: pd.DataFrame = getattr(table, "frame", table)
    label_cols = [c for c, r in roles.items() if r == "label"]
    if len(label_cols) != 1:
        raise SchemaError(f"The roles name {len(label_cols)} label columns; exactly one is needed.")
    label_col = label_cols[0]
    if len(labels) != len(frame):
        raise SchemaError(f"There are {len(labels)} labels for {len(frame)} rows; they must match.")
    prov = result.provenance()
    is_orig = result.origin == ORIGINAL
    unlabelled = np.flatnonzero(pd.Series(labels).reset_index(drop=True).isna().to_numpy())
    kept = result.row[is_orig]
    orig_rows = np.sort(np.concatenate([kept, unlabelled]))
    orig_part = frame.iloc[orig_rows].reset_index(drop=True)
    # provenance of originals: from the result for labelled rows, plain for unlabelled
    prov_orig = prov[is_orig].set_index(pd.Index(kept))
    filler = pd.DataFrame(
        {
            "skewlab_origin": pd.array([ORIGINAL] * len(unlabelled), dtype="string"),
            "skewlab_row": pd.array(unlabelled, dtype="Int64"),
            "skewlab_seed_row": pd.array([pd.NA] * len(unlabelled), dtype="Int64"),
            "skewlab_neighbor_row": pd.array([pd.NA] * len(unlabelled), dtype="Int64"),
            "skewlab_alpha": np.full(len(unlabelled), np.nan),
            "skewlab_strategy": pd.array([result.strategy] * len(unlabelled), dtype="string"),
            "skewlab_sample_weight": np.full(len(unlabelled), np.nan),
        },
        index=pd.Index(unlabelled),
    )
    prov_all = pd.concat([prov_orig, filler]).loc[orig_rows].reset_index(drop=True)
    synth = ~is_orig
    n_syn = int(synth.sum())
    syn_part = pd.DataFrame(index=pd.RangeIndex(n_syn))
    if n_syn:
        feats = space.to_original(result.X[synth], result.y[synth])
        for col in frame.columns:
            src = frame[col]
            if col == label_col:
                values = pd.Series(result.y[synth].astype(str))
            elif col in feats.columns:
                values = feats[col]
            else:
                values = None
            syn_part[col] = _cells_like(src, values, n_syn)
    else:
        for col in frame.columns:
            syn_part[col] = frame[col].iloc[:0].reset_index(drop=True)
    syn_prov = prov[synth].reset_index(drop=True)
    out_orig = pd.concat([orig_part, prov_all], axis=1)
    out_syn = pd.concat([syn_part, syn_prov], axis=1)
    if n_syn == 0:
        return out_orig
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return pd.concat([out_orig, out_syn], ignore_index=True)


def _cells_like(src: pd.Series, values: pd.Series | None, n: int) -> pd.Series:
    """Synthetic cells shaped like the original column (text columns get text, numbers numbers)."""
    textual = pd.api.types.is_string_dtype(src.dtype) or src.dtype == object
    if values is None:
        if textual:
            return pd.Series([""] * n, dtype=src.dtype if pd.api.types.is_string_dtype(src.dtype) else object)
        return pd.Series([pd.NA] * n, dtype=src.dtype if pd.api.types.is_extension_array_dtype(src.dtype) else "float64").astype(
            src.dtype if pd.api.types.is_extension_array_dtype(src.dtype) else "float64"
        )
    values = pd.Series(values).reset_index(drop=True)
    if textual:
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            integer = pd.api.types.is_integer_dtype(values.dtype)
            text = ["" if pd.isna(v) else (str(int(v)) if integer else _num_text(float(v))) for v in values]
        else:
            text = ["" if pd.isna(v) else str(v) for v in values]
        return pd.Series(text, dtype=src.dtype if pd.api.types.is_string_dtype(src.dtype) else object)
    if pd.api.types.is_numeric_dtype(src.dtype) and not pd.api.types.is_bool_dtype(src.dtype):
        num = pd.to_numeric(values, errors="coerce")
        if pd.api.types.is_integer_dtype(src.dtype):
            return num.round().astype("Int64") if num.isna().any() else num.round().astype(src.dtype)
        return num.astype("float64")
    return values.astype(object)


def _num_text(v: float) -> str:
    """A float as short text (12 significant digits): ``3`` for 3.0, ``2.5`` for 2.5."""
    return format(v, ".12g")
