"""Over-samplers: random copies, SMOTE (Skewlab's own, imbalanced-learn's exact rows) and the
SMOTE variants run through imbalanced-learn with provenance recovered from the geometry.

Every over-sampler runs :func:`oversample`: resolve targets (an over-sampler only adds rows: the
cap of a target applies to under-sampling only; a pipeline such as ``random_under+smote`` caps
and lifts), pick k per class (the small-class policy), then the spec's ``generate`` function
makes the rows.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np

from core.neighbors import npkernels
from core.neighbors.knn import sklearn_kneighbors, sklearn_kneighbors_rows
from core.strategies.provenance import segment_parents
from core.strategies.smallclass import k_for_class
from core.strategies.spec import Code, ParamSpec, StrategySpec, register
from core.strategies.state import Ctx, State, active_counts, class_rng, row_ids, run_by_class
from core.strategies.targets import cap_note, resolve_targets

__all__ = ["Generate", "imblearn_rows", "oversample", "random_copies", "smote_rows"]

#: ``generate(state, spec, params, need, k_of, ctx)`` makes ``need[c]`` rows of every class ``c``
#: (with k ``k_of[c]`` where the method has a k).
Generate = Callable[..., None]


def oversample(state: State, spec: StrategySpec, p: Mapping[str, Any], ctx: Ctx, *, generate: Generate) -> dict[str, int]:
    """Lift every class below its target to it with ``generate``; classes too small for its k-NN
    follow the small-class policy (lower k, or copies). No row is removed: a class above its
    target (the cap of ``cap:M`` / ``hybrid:M:N``) keeps its size, and a note says so."""
    counts = active_counts(state, ctx)
    targets = resolve_targets(counts, ctx.target, family=spec.family)  # never below a class's size
    note = cap_note(spec.label, counts, ctx.target, family=spec.family)
    if note:
        state.notes.append(note)
    need = {c: targets[c] - counts[c] for c in sorted(targets) if targets[c] > counts[c]}
    if not need:
        state.notes.append("Every class already meets its target; no synthetic rows were made.")
        return targets
    if spec.k_param is None:  # no k-NN: every class can take it
        generate(state, spec, p, need, {}, ctx)
        return targets
    k = int(p[spec.k_param])
    n_of = state.bincount()
    k_of = {c: k_for_class(spec, k, int(n_of[state.code(c)]), state, ctx.small_classes, c) for c in need}
    copies = {c: need[c] for c, kk in k_of.items() if kk is None}
    interp = {c: need[c] for c, kk in k_of.items() if kk is not None}
    generate(state, spec, p, interp, {c: k_of[c] for c in interp}, ctx)
    if copies:
        random_copies(state, copies, ctx, shrinkage=0.0)
    return targets


# ------------------------------------------------------------------------------------- SMOTE


def smote_rows(state: State, spec: StrategySpec, p: Mapping[str, Any], need: Mapping[str, int],
               k_of: Mapping[str, int], ctx: Ctx) -> None:
    """``generate`` of plain SMOTE."""
    smote(state, need, k_of, ctx.seed)


def smote(state: State, need: Mapping[str, int], k_of: Mapping[str, int], seed: int) -> None:
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
    npkernels.load_for(sum(float(len(job[1])) ** 2 for job in jobs) * (state.X.shape[1] + 2))

    def one(job, threads):
        c, idx, m, k, at = job
        rs = np.random.RandomState(seed)
        draws = rs.randint(low=0, high=len(idx) * k, size=m)  # seed row * k + neighbour column
        steps = rs.uniform(size=m)
        # the draws only need the size of the neighbour table, so draw first and find the
        # neighbours (in scikit-learn's order, ties included, as imbalanced-learn takes them)
        # of the drawn seed rows only
        hit = npkernels.smote_hits(draws, k, len(idx))
        Xc = state.X[idx]
        if hit.all():
            nn = sklearn_kneighbors(Xc, k + 1, threads=threads)
            at_row = np.arange(len(idx))  # seed row -> its row of nn
        else:
            nn = sklearn_kneighbors_rows(Xc, k + 1, np.flatnonzero(hit), threads=threads)
            at_row = np.cumsum(hit) - 1
        state.yc[at : at + m] = state.code(c)
        # interpolation (imbalanced-learn's bits) and provenance; numba's kernel in one pass
        # where the search loaded it, else numpy's (the same bits)
        if npkernels.numba_loaded():
            from core.neighbors.kernels import smote_fill
        else:
            smote_fill = npkernels.smote_fill
        smote_fill(state.X, at, idx, draws, k, np.ascontiguousarray(nn, dtype=np.int64), at_row, steps,
                   state.pos, state.space_rows, state.seed_row, state.neighbor_row, state.alpha)

    run_by_class(jobs, one, size=lambda job: len(job[1]))


# ------------------------------------------------------------------------------------- random copies


def random_copies(state: State, need: Mapping[str, int], ctx: Ctx, *, shrinkage: float) -> None:
    """Random over-sampling, each class drawing from its own stream (:func:`~core.strategies.state.class_rng`).

    A class's copies depend on its own rows, the seed and its name only, never on the other classes
    (imbalanced-learn's RandomOverSampler draws every class from one stream, so its rows differ).
    With ``shrinkage`` > 0 the copies get imbalanced-learn's smoothed-bootstrap noise, scaled by the
    class's spread and by the rows of the whole run (``ctx.rows_total`` when a cluster run holds only
    some classes of it).
    """
    n_samples, n_features = state.X.shape
    n_samples = int(getattr(ctx, "rows_total", None) or n_samples)
    real = state.positions()
    boots = []
    for c in sorted(need):
        m = int(need[c])
        idx = real.get(c, np.zeros(0, dtype=np.int64))  # real rows only
        if m <= 0 or not len(idx):
            continue
        rng = class_rng(ctx.seed, c)
        boot = idx[rng.integers(0, len(idx), size=m)]
        noise = rng.standard_normal((m, n_features)) if shrinkage > 0 else None
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
            np.take(src, boot, axis=0, out=dest, mode="clip")  # valid rows; "raise" buffers all of out
        state.yc[at : at + m] = state.code(c)
        state.seed_row[at : at + m] = row_ids(state, boot)
        at += m


def _random_over_rows(state: State, spec: StrategySpec, p: Mapping[str, Any], need: Mapping[str, int],
                      k_of: Mapping[str, int], ctx: Ctx) -> None:
    random_copies(state, need, ctx, shrinkage=float(p["shrinkage"]))


# ------------------------------------------------------------------------------------- imbalanced-learn


#: ``kwargs(params, k, seed, n_rows) -> dict``: the estimator's own arguments (sampling_strategy
#: and random_state are added by :func:`imblearn_rows`).
Kwargs = Callable[[Mapping[str, Any], int, int, int], dict[str, Any]]
#: ``encode(state, ctx) -> (X, extra kwargs, decode)``: the matrix the estimator sees.
Encode = Callable[[State, Ctx], tuple[np.ndarray, dict[str, Any], Callable[[np.ndarray], np.ndarray]]]


def _plain(state: State, ctx: Ctx):
    return state.X, {}, lambda Z: np.asarray(Z, dtype=np.float64)


def imblearn_rows(state: State, spec: StrategySpec, p: Mapping[str, Any], need: Mapping[str, int],
                  k_of: Mapping[str, int], ctx: Ctx, *, kwargs: Kwargs, encode: Encode = _plain) -> None:
    """``generate`` through the spec's imbalanced-learn estimator, exact counts; seed, neighbour and
    weight recovered from the geometry (core.strategies.provenance), nearest real row where no line fits."""
    if not need:
        return
    made = _imblearn_made(state, spec, p, need, k_of, ctx, kwargs=kwargs, encode=encode)
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
    _append_with_parents(state, spec, need, X_new, y_new)
    if fill:
        smote(state, fill, {c: k_of[c] for c in fill}, ctx.seed)


def _imblearn_made(state: State, spec: StrategySpec, p: Mapping[str, Any], need: Mapping[str, int],
                   k_of: Mapping[str, int], ctx: Ctx, *, kwargs: Kwargs, encode: Encode) -> dict[str, list[np.ndarray]]:
    """The estimator's new rows per class, one fit per distinct k (a class it fails on gets none)."""
    module, name = spec.imblearn.split(":")
    estimator = getattr(importlib.import_module(module), name)
    y_str = state.labels()
    groups: dict[int, dict[str, int]] = {}
    for c, m in need.items():
        groups.setdefault(int(k_of[c]), {})[c] = int(m)
    made: dict[str, list[np.ndarray]] = {c: [] for c in need}
    X_in, extra, decode = encode(state, ctx)
    for k, group in sorted(groups.items()):
        target_counts = {c: int((y_str == c).sum()) + m for c, m in group.items()}
        args = {**kwargs(p, k, ctx.seed, len(y_str)), **extra, "sampling_strategy": target_counts}
        if spec.seeded:
            args["random_state"] = ctx.seed
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                X_res, y_res = estimator(**args).fit_resample(X_in, y_str)
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
    return made


def _append_with_parents(state: State, spec: StrategySpec, need: Mapping[str, int], X_new: np.ndarray,
                         y_new: np.ndarray) -> None:
    """Append rows a library made, their seed, neighbour and weight recovered from the geometry."""
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
            seeds[sel] = row_ids(state, idx[seed_pos])
            nbrs[sel[found]] = row_ids(state, idx[nbr_pos[found]])
            alphas[sel[found]] = alpha[found]
            lost += int((~found).sum())
    if lost:
        state.notes.append(
            f"{spec.label}: {lost:,} of {len(X_new):,} synthetic rows lie on no line through two real rows of their class "
            "(categorical votes or extrapolation); their seed is their nearest real row, neighbour and weight unknown."
        )
    state.append(X_new, y_new, seeds, nbrs, alphas)


def _categorical_input(state: State, ctx: Ctx):
    """SMOTE-NC's matrix: continuous columns, then one code column per categorical feature."""
    space = ctx.space
    cat_slices = [space.blocks[c] for c in space.config.categorical]
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

    return X_in, {"categorical_features": list(range(n_cont, n_cont + len(cat_slices)))}, decode


def _smote_nc_rows(state: State, spec: StrategySpec, p: Mapping[str, Any], need: Mapping[str, int],
                   k_of: Mapping[str, int], ctx: Ctx) -> None:
    if not ctx.space.config.categorical:
        state.notes.append("SMOTE-NC: the features hold no categorical columns, so this is plain SMOTE.")
        smote(state, need, k_of, ctx.seed)
        return
    imblearn_rows(state, spec, p, need, k_of, ctx, kwargs=lambda p, k, seed, n: {"k_neighbors": k},
                  encode=_categorical_input)


def _kmeans_kwargs(p: Mapping[str, Any], k: int, seed: int, n_rows: int) -> dict[str, Any]:
    from sklearn.cluster import MiniBatchKMeans

    n_clusters = max(1, min(int(p["n_clusters"]), n_rows))
    return {
        "k_neighbors": k,
        "kmeans_estimator": MiniBatchKMeans(n_clusters=n_clusters, n_init=1, random_state=seed),
        "cluster_balance_threshold": p["cluster_balance_threshold"] or "auto",
    }


# ------------------------------------------------------------------------------------- the specs


def k_param(name: str = "k_neighbors", default: int = 5, help: str = "") -> ParamSpec:
    """The k of a per-class k-NN."""
    return ParamSpec(name, "int", default, 1, 100, help=help or "Nearest neighbours of the same class used to interpolate.")


NEAREST_REAL = (
    " Provenance: imbalanced-learn makes the rows; their two parent rows and the weight are recovered from the "
    "geometry (the nearer parent is the seed); a row on no such line keeps its nearest real row as seed."
)


register(StrategySpec(
    "random_over",
    "Random over-sampling",
    "over",
    "Copy random rows of small classes until they reach their target. With shrinkage > 0 the copies get Gaussian "
    "noise (smoothed bootstrap, scaled like imbalanced-learn's).",
    (ParamSpec("shrinkage", "float", 0.0, 0.0, 10.0, help="Noise of the smoothed bootstrap (0 = exact copies)."),),
    uses_targets=True,
    imblearn="imblearn.over_sampling:RandomOverSampler",
    reference="imbalanced-learn RandomOverSampler",
    runner=partial(oversample, generate=_random_over_rows),
    seeded=True,
    snippet_kwargs=lambda p: {"shrinkage": p["shrinkage"]} if p["shrinkage"] > 0 else {},
))
register(StrategySpec(
    "smote",
    "SMOTE",
    "over",
    "New rows on the segment between a real row and one of its k nearest neighbours of the same class "
    "(exact provenance: seed, neighbour and weight).",
    (k_param(),),
    uses_targets=True,
    k_param="k_neighbors",
    imblearn="imblearn.over_sampling:SMOTE",
    reference="Chawla et al. 2002",
    runner=partial(oversample, generate=smote_rows),
    seeded=True,
))
register(StrategySpec(
    "borderline_smote",
    "Borderline-SMOTE",
    "over",
    "SMOTE seeded only from rows near the class border (in danger of being misclassified)." + NEAREST_REAL,
    (
        k_param(),
        ParamSpec("m_neighbors", "int", 10, 1, 100, help="Neighbours (all classes) that decide whether a row is in danger."),
        ParamSpec("kind", "choice", "borderline-1", choices=("borderline-1", "borderline-2"), help="borderline-2 also interpolates towards other classes."),
    ),
    uses_targets=True,
    k_param="k_neighbors",
    imblearn="imblearn.over_sampling:BorderlineSMOTE",
    reference="Han et al. 2005",
    runner=partial(oversample, generate=partial(imblearn_rows, kwargs=lambda p, k, seed, n: {
        "k_neighbors": k, "m_neighbors": p["m_neighbors"], "kind": p["kind"]})),
    seeded=True,
))
register(StrategySpec(
    "svm_smote",
    "SVM-SMOTE",
    "over",
    "SMOTE seeded from the support vectors of an SVM between the class and the rest." + NEAREST_REAL,
    (
        k_param(),
        ParamSpec("m_neighbors", "int", 10, 1, 100, help="Neighbours (all classes) that decide whether a support vector is in danger."),
        ParamSpec("out_step", "float", 0.5, 0.0, 1.0, help="Step size when extrapolating."),
    ),
    uses_targets=True,
    slow=True,  # an SVM per class: 6.4 s on 4,934 rows x 130 features where SMOTE takes 0.2 s
    k_param="k_neighbors",
    imblearn="imblearn.over_sampling:SVMSMOTE",
    reference="Nguyen et al. 2011",
    runner=partial(oversample, generate=partial(imblearn_rows, kwargs=lambda p, k, seed, n: {
        "k_neighbors": k, "m_neighbors": p["m_neighbors"], "out_step": p["out_step"]})),
    seeded=True,
))
register(StrategySpec(
    "kmeans_smote",
    "KMeans-SMOTE",
    "over",
    "Cluster with k-means, then SMOTE inside the clusters where the class is dense." + NEAREST_REAL
    + " Rows a cluster cannot give are made with plain SMOTE (said in the notes).",
    (
        k_param(default=2),
        ParamSpec("n_clusters", "int", 8, 1, 500, help="k-means clusters."),
        ParamSpec(
            "cluster_balance_threshold", "float", 0.0, 0.0, 1.0,
            help="Least share of the class in a cluster for SMOTE to run there (0 = imbalanced-learn's 'auto').",
        ),
    ),
    uses_targets=True,
    k_param="k_neighbors",
    imblearn="imblearn.over_sampling:KMeansSMOTE",
    reference="Douzas et al. 2018",
    runner=partial(oversample, generate=partial(imblearn_rows, kwargs=_kmeans_kwargs)),
    seeded=True,
    snippet_kwargs=lambda p: {
        "k_neighbors": p["k_neighbors"],
        "kmeans_estimator": Code(f"MiniBatchKMeans(n_clusters={p['n_clusters']}, n_init=1, random_state=SEED)"),
        "cluster_balance_threshold": p["cluster_balance_threshold"] or "auto",
    },
    snippet_imports=("sklearn.cluster:MiniBatchKMeans",),
))
register(StrategySpec(
    "adasyn",
    "ADASYN",
    "over",
    "SMOTE that makes more rows where a class is harder to learn (more other-class neighbours)." + NEAREST_REAL
    + " ADASYN rounds per row; the notes say when rows were trimmed or topped up with SMOTE to hit the target.",
    (k_param("n_neighbors", 5, "Neighbours used both for the difficulty ratio and for interpolation."),),
    uses_targets=True,
    slow=True,  # imbalanced-learn runs it class by class: 3-30 s per search trial on 120 classes
    k_param="n_neighbors",
    imblearn="imblearn.over_sampling:ADASYN",
    reference="He et al. 2008",
    runner=partial(oversample, generate=partial(imblearn_rows, kwargs=lambda p, k, seed, n: {"n_neighbors": k})),
    seeded=True,
))
register(StrategySpec(
    "smote_nc",
    "SMOTE-NC",
    "over",
    "SMOTE for mixed data: numbers interpolated, categorical columns take the most frequent value among the "
    "neighbours." + NEAREST_REAL + " Without categorical columns it is plain SMOTE.",
    (k_param(),),
    uses_targets=True,
    k_param="k_neighbors",
    imblearn="imblearn.over_sampling:SMOTENC",
    reference="Chawla et al. 2002",
    runner=partial(oversample, generate=_smote_nc_rows),
    seeded=True,
    snippet_kwargs=lambda p: {"categorical_features": Code("CATEGORICAL_COLUMNS"), "k_neighbors": p["k_neighbors"]},
    snippet_setup=("CATEGORICAL_COLUMNS = [...]  # positions of the categorical columns in X",),
))
