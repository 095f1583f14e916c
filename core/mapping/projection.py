"""One 2-D map for every strategy: fit once on real rows, place everything else on it.

:func:`project` fits UMAP (or PCA, the fast alternative) once on a stratified sample of the real
rows of a feature space: every row of a medium or tail class (``<= head_min`` rows) is kept and
head classes are sampled so the sample holds at most ``cap`` rows. The real rows left out of the
sample are placed near their nearest fitted rows (:meth:`_Reducer.place_near`; PCA: ``transform``),
so the panels of all strategies share one coordinate system. Removed rows are real rows: they reuse their real coordinates (the page draws
them as ghosts).

Synthetic rows are placed from their parents (:func:`place`): a row SMOTE made on the line from
its seed to its neighbour at weight alpha is drawn on the line between their map positions at
the same weight, a copy on the row it copies. That costs nothing per row (UMAP's ``transform``
costs about as much as the fit per row), so the map's cost does not grow with the synthetic rows;
it shows what the row is made of, not where UMAP would have put it. The other synthetic rows go
through ``transform``, at most ``PLACE_CAP`` per strategy, sampled by class with every class kept.

Every real row gets coordinates; :attr:`Projection.sampled` says which ones the map was fitted
on, and :meth:`Projection.sample_note` says so in words for the page.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from core.data import GROUP_BOUND, HEAD_MIN, FeatureSpace
from core.errors import ParameterError, SchemaError
from core.mapping.sampling import capped_sample, fit_sample
from core.neighbors import kneighbors
from core.params import SEED, Choice, Interval, check
from core.strategies import SYNTHETIC, ResampleResult

Progress = Callable[[float, str], None]

METHODS: tuple[str, ...] = ("umap", "pca")
#: Dimensions the features are reduced to (PCA) before UMAP when the space is wider.
PRE_PCA_DIM = 50
#: Smallest cap allowed.
MIN_CAP = 100
#: The cap of the fit sample: real rows at most.
CAP = Interval("int", MIN_CAP, None)
#: How the map's parameters are named in messages.
WHERE = "map: "
#: UMAP settings (fixed: the map must be reproducible from the run config).
N_NEIGHBORS = 15
MIN_DIST = 0.1
#: Optimisation epochs. umap-learn uses 500 below 10,000 rows and 200 above; 200 everywhere keeps a
#: 10k-row map as fast as a 20k-row one with no visible loss on these maps.
N_EPOCHS = 200
#: Start of UMAP's layout: the first two principal components. Its default, a spectral layout, lays out
#: every connected component of the k-NN graph on its own: with hundreds of classes that is hundreds of
#: components and 30-40 s at 20,000 rows, against well under a second for PCA.
INIT = "pca"
#: Rows up to which umap-learn compares every pair of rows itself (above: the exact k-NN graph is given).
UMAP_SMALL_DATA = 4096
#: How synthetic rows are placed: between their parents' map positions, or by the model's transform.
PLACEMENTS: tuple[str, ...] = ("interpolate", "transform")
#: Synthetic rows of one strategy placed with ``transform`` at most (the others are not drawn).
PLACE_CAP = 5_000
#: How one synthetic row was placed (:func:`placement_kinds`).
INTERPOLATED, AT_SEED, TRANSFORMED = "interpolated", "at its seed", "transformed"


@dataclass(frozen=True, eq=False)
class Projection:
    """2-D coordinates of the real rows of a space and of the synthetic rows of each strategy.

    Attributes
    ----------
    rows : ndarray (n,) int64
        Original row ids of the real rows (ascending, as ``FeatureSpace.rows``).
    xy : ndarray (n, 2) float64
        Coordinates of the real rows, aligned with ``rows``.
    sampled : ndarray (n,) bool
        True for the rows the model was fitted on; the others were placed near their nearest fitted
        rows (UMAP) or with ``transform`` (PCA).
    strategies : tuple of str
        Strategy name of each projected result, in the order given to :func:`project`.
    synthetic_xy : tuple of ndarray (m_i, 2)
        Per result, coordinates of its synthetic rows, in the order they appear in the result
        (``result.X[result.origin == "synthetic"]``).
    n_fit : int
        Rows the model was fitted on.
    method : str
        ``"umap"`` or ``"pca"``.
    cap : int
        Cap of the fit sample asked for.
    seed : int
    runtime_s : float
        Wall time of :func:`project`.
    timings : dict[str, float]
        Seconds per stage (``sample``, ``reduce``, ``fit``, ``place_real``, ``place_synthetic``).
    notes : tuple of str
        What the analyst should know (sample exceeding the cap, reduced dimensions...).
    """

    rows: np.ndarray
    xy: np.ndarray
    sampled: np.ndarray
    strategies: tuple[str, ...]
    synthetic_xy: tuple[np.ndarray, ...]
    n_fit: int
    method: str
    cap: int
    seed: int
    runtime_s: float
    timings: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def n_real(self) -> int:
        """Real rows with coordinates."""
        return int(len(self.rows))

    @property
    def is_sample(self) -> bool:
        """True when the model was fitted on part of the real rows only."""
        return self.n_fit < self.n_real

    def xy_of(self, row_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Coordinates of real rows by original row id (ParameterError for an unknown id)."""
        ids = np.asarray(row_ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, 2))
        pos = np.clip(np.searchsorted(self.rows, ids), 0, len(self.rows) - 1)
        if not np.array_equal(self.rows[pos], ids):
            bad = ids[self.rows[pos] != ids][:5].tolist()
            raise ParameterError(f"Row ids {bad} are not real rows of this map.")
        return self.xy[pos]

    def sample_note(self) -> str:
        """One sentence saying what the map was fitted on."""
        name = "UMAP" if self.method == "umap" else "PCA"
        if not self.is_sample:
            return f"{name} fitted on all {self.n_real:,} real rows."
        return (
            f"{name} fitted on {self.n_fit:,} of {self.n_real:,} real rows: all medium and tail rows, head classes "
            f"sampled; the other {self.n_real - self.n_fit:,} real rows placed "
            + ("with transform." if self.method == "pca" else
               f"at the weighted mean of the map positions of their {N_NEIGHBORS} nearest fitted rows "
               "(where UMAP's transform starts, without its optimisation).")
        )


class _ExactIndex:
    """The search index UMAP's ``transform`` queries, answered exactly (``query(X, k) -> (indices, dists)``)."""

    _angular_trees = False

    def __init__(self, X: np.ndarray) -> None:
        self.X = np.asarray(X, dtype=np.float64)

    def query(self, X: np.ndarray, k: int = N_NEIGHBORS, epsilon: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        dist, idx = kneighbors(self.X, min(int(k), len(self.X)), query=np.asarray(X, dtype=np.float64))
        return idx.astype(np.int32), dist.astype(np.float32)


class _Reducer:
    """Optional PCA to ``PRE_PCA_DIM`` dims, then the 2-D method; fitted on the sample only."""

    def __init__(self, method: str, seed: int) -> None:
        self.method = method
        self.seed = seed
        self.pre = None
        self.model = None

    def fit(self, X: np.ndarray, report: Callable[[float, str], None]) -> np.ndarray:
        from sklearn.decomposition import PCA

        if X.shape[1] > PRE_PCA_DIM and self.method == "umap":
            report(0.08, f"reducing {X.shape[1]} features to {PRE_PCA_DIM} dimensions (PCA)")
            self.pre = PCA(n_components=min(PRE_PCA_DIM, X.shape[0]), random_state=self.seed).fit(X)
            X = self.pre.transform(X)
        if self.method == "pca":
            report(0.15, f"fitting PCA on {len(X):,} real rows")
            self.model = PCA(n_components=min(2, X.shape[1], X.shape[0]), random_state=self.seed)
            emb = self.model.fit_transform(X)
            return _pad2(emb)
        import umap

        k = min(N_NEIGHBORS, len(X) - 1)
        extra = {}
        if len(X) > UMAP_SMALL_DATA:
            # UMAP's own neighbour search (NN-descent) compiles for ~40 s in every fresh process and is
            # approximate; the exact k-NN graph takes a second or two at 20,000 rows
            report(0.12, f"finding the {k} nearest neighbours of {len(X):,} real rows (exact)")
            dist, idx = kneighbors(X, k)
            extra["precomputed_knn"] = (idx.astype(np.int32), dist.astype(np.float32), _ExactIndex(X))
        report(0.15, f"fitting UMAP on {len(X):,} real rows (no progress from UMAP itself; this is the long step)")
        self.model = umap.UMAP(
            n_neighbors=k, min_dist=MIN_DIST, n_components=2, random_state=self.seed, n_epochs=N_EPOCHS, init=INIT,
            **extra,
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*n_jobs.*overridden.*")
            warnings.filterwarnings("ignore", category=UserWarning, module="umap")
            return np.asarray(self.model.fit_transform(X), dtype=np.float64)

    @property
    def nbytes(self) -> int:
        """Rough bytes held by the fitted models (for caches that bound memory)."""
        total = 0
        for arr in (getattr(self.model, "_raw_data", None), getattr(self.model, "embedding_", None)):
            total += int(getattr(arr, "nbytes", 0))
        graph = getattr(self.model, "graph_", None)
        total += 12 * int(getattr(graph, "nnz", 0))
        total += 2 * int(getattr(getattr(self.model, "_raw_data", None), "nbytes", 0))  # the k-NN search index
        if self.pre is not None:
            total += int(self.pre.components_.nbytes)
        return total

    def place_near(self, X: np.ndarray) -> np.ndarray:
        """Rows at the weighted mean of the map positions of their nearest fitted rows.

        UMAP: the :data:`N_NEIGHBORS` nearest fitted rows in the space UMAP was fitted in (exact),
        weighted by ``exp(-(d - d_nearest) / mean(d - d_nearest))``: the start UMAP's own
        ``transform`` optimises from, without the optimisation, which is most of its cost. PCA:
        ``transform`` (already cheap and exact).
        """
        if len(X) == 0 or self.method == "pca":
            return self.transform(X)

        if self.pre is not None:
            X = self.pre.transform(X)
        raw, emb = np.asarray(self.model._raw_data), np.asarray(self.model.embedding_, dtype=np.float64)
        k = min(N_NEIGHBORS, len(raw))
        dist, idx = kneighbors(np.asarray(raw, dtype=np.float64), k, query=np.asarray(X, dtype=np.float64))
        gap = dist - dist[:, :1]
        scale = gap.mean(axis=1, keepdims=True)
        w = np.exp(-gap / np.where(scale > 0, scale, 1.0))
        w /= w.sum(axis=1, keepdims=True)
        return np.einsum("ij,ijk->ik", w, emb[idx])

    def transform(self, X: np.ndarray) -> np.ndarray:
        if len(X) == 0:
            return np.zeros((0, 2))
        if self.pre is not None:
            X = self.pre.transform(X)
        if self.method == "pca":
            return _pad2(self.model.transform(X))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning)
            return np.asarray(self.model.transform(X), dtype=np.float64)


def _pad2(emb: np.ndarray) -> np.ndarray:
    emb = np.asarray(emb, dtype=np.float64)
    if emb.shape[1] < 2:
        emb = np.hstack([emb, np.zeros((len(emb), 2 - emb.shape[1]))])
    return emb


@dataclass(frozen=True, eq=False)
class BaseMap:
    """A fitted map of the real rows of a space (no strategy yet): :func:`fit_base`.

    ``place`` puts the synthetic rows of any strategy on it (:func:`place`), so a strategy added
    to a run costs one ``transform`` of its own rows, and its points never move because other
    strategies were run alongside it.
    """

    reducer: _Reducer
    rows: np.ndarray
    xy: np.ndarray
    sampled: np.ndarray
    n_features: int
    n_fit: int
    method: str
    cap: int
    seed: int
    runtime_s: float
    timings: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _check(method: str, cap: int, seed: int, head_min: int) -> int:
    """The map's parameters checked; returns ``cap`` as an int."""
    check(method, Choice(METHODS), name="method", where=WHERE)
    cap = check(cap, CAP, name="cap", where=WHERE)
    check(seed, SEED, name="seed", where=WHERE)
    check(head_min, GROUP_BOUND, name="head_min", where=WHERE)
    return cap


def _check_width(r: ResampleResult, n_features: int) -> None:
    if r.X.ndim != 2 or r.X.shape[1] != n_features:
        raise ParameterError(
            f"Strategy {r.strategy!r} has {r.X.shape[1]} features, the space {n_features}: "
            "it was run on another feature space. Run the strategies again."
        )


def fit_bytes(n_rows: int, n_features: int, cap: int, *, neighbours: int = 15) -> int:
    """Peak memory of :func:`fit_base`, roughly: the rows it fits on (at most ``cap``) a few times over
    (scaled and reduced copies, the embedding's optimisation), their k-NN graph (indices, distances and
    the fuzzy graph), and the other real rows placed afterwards in batches (their matrix and coordinates)."""
    fitted = min(int(n_rows), int(cap))
    d = max(int(n_features), 1)
    return int(fitted * (4 * d + 6 * neighbours) * 8 + int(n_rows) * (d + 4) * 8)


def fit_base(
    space: FeatureSpace,
    *,
    method: str = "umap",
    cap: int = 20_000,
    seed: int = 0,
    head_min: int = HEAD_MIN,
    progress: Progress | None = None,
) -> BaseMap:
    """Fit the map on a stratified sample of the real rows and place the other real rows.

    Parameters are those of :func:`project` (without the results).
    """
    t0 = time.perf_counter()
    cap = _check(method, cap, seed, head_min)
    if space.n_rows < 4:
        raise SchemaError(f"The feature space has {space.n_rows} rows; a map needs at least 4.")

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(float(min(max(fraction, 0.0), 1.0)), message)

    timings: dict[str, float] = {}
    notes: list[str] = []
    t = time.perf_counter()
    report(0.0, "choosing the real rows to fit on")
    pos = fit_sample(space.y, cap=cap, head_min=head_min, seed=seed)
    sampled = np.zeros(space.n_rows, dtype=bool)
    sampled[pos] = True
    if len(pos) > cap:
        notes.append(
            f"The fit sample holds {len(pos):,} rows, more than the cap of {cap:,}: every row of a class with at most "
            f"{head_min} rows is kept, and each head class keeps at least {head_min}. Raise the cap or the head bound."
        )
    timings["sample"] = time.perf_counter() - t

    t = time.perf_counter()
    reducer = _Reducer(method, seed)
    xy = np.zeros((space.n_rows, 2), dtype=np.float64)
    xy[pos] = reducer.fit(space.X[pos], report)
    timings["fit"] = time.perf_counter() - t
    if reducer.pre is not None:
        notes.append(f"The {space.X.shape[1]} features were reduced to {PRE_PCA_DIM} dimensions with PCA before UMAP.")

    t = time.perf_counter()
    rest = np.flatnonzero(~sampled)
    if len(rest):
        report(0.6, f"placing the other {len(rest):,} real rows near their nearest fitted rows")
        xy[rest] = reducer.place_near(space.X[rest])
    timings["place_real"] = time.perf_counter() - t
    report(0.8, "real rows placed")
    return BaseMap(reducer=reducer, rows=space.rows.copy(), xy=xy, sampled=sampled, n_features=int(space.X.shape[1]),
                   n_fit=int(len(pos)), method=method, cap=cap, seed=int(seed), runtime_s=time.perf_counter() - t0,
                   timings=timings, notes=tuple(notes))


def placement_kinds(base: BaseMap, result: ResampleResult, *, space: FeatureSpace | None = None) -> np.ndarray:
    """How each synthetic row of ``result`` (in result order) is placed on ``base`` (object array).

    :data:`INTERPOLATED`: the row lies on the line from its seed row to its neighbour row at
    weight alpha (SMOTE and its kin), and both are on the map; :data:`AT_SEED`: an exact copy of its
    seed row (random over-sampling; needs ``space`` to check the copy); :data:`TRANSFORMED`: every
    other row (noisy copies, rows with no known parents).
    """
    syn = np.flatnonzero(result.row < 0)
    seed, nbr, alpha = result.seed_row[syn], result.neighbor_row[syn], result.alpha[syn]
    on_map = _on_map(base.rows, seed)
    line = on_map & _on_map(base.rows, nbr) & np.isfinite(alpha)
    copy = np.zeros(len(syn), dtype=bool)
    if space is not None:
        test = np.flatnonzero(on_map & ~line)
        if len(test):
            pos = np.searchsorted(space.rows, seed[test])
            copy[test] = (result.X[syn[test]] == space.X[pos]).all(axis=1)
    return np.select([line, copy], [INTERPOLATED, AT_SEED], TRANSFORMED).astype(object)


def _on_map(rows: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """True where a row id (>= 0) is a real row of the map."""
    ok = ids >= 0
    if not len(rows):
        return np.zeros(len(ids), dtype=bool)
    pos = np.clip(np.searchsorted(rows, ids), 0, len(rows) - 1)
    return ok & (rows[pos] == ids)


def place(base: BaseMap, result: ResampleResult, *, space: FeatureSpace | None = None,
          placement: str = "interpolate", cap: int = PLACE_CAP) -> np.ndarray:
    """Coordinates of the synthetic rows of one result on ``base`` (in result order).

    ``placement="interpolate"`` (the default): a row made on the line between two real rows is
    drawn on the line between their map positions at the same weight alpha, an exact copy of a
    real row at that row's position (:func:`placement_kinds`); only the other rows go through
    the model's ``transform``. ``placement="transform"``: every row goes through ``transform``.
    Either way at most ``cap`` rows are transformed per strategy (:func:`capped_sample`: stratified
    by class, every class keeps rows); the rows left out have NaN coordinates and are not drawn.

    Each strategy is placed on its own, so its coordinates depend only on the base map and its
    own rows (UMAP's transform is seeded; the same rows always land in the same places).
    """
    _check_width(result, base.n_features)
    check(placement, Choice(PLACEMENTS), name="placement", where=WHERE)
    cap = check(cap, CAP, name="placement cap", where=WHERE)
    syn = np.flatnonzero(result.row < 0)
    xy = np.full((len(syn), 2), np.nan)
    if placement == "transform":
        kinds = np.full(len(syn), TRANSFORMED, dtype=object)
    else:
        kinds = placement_kinds(base, result, space=space)
        line = np.flatnonzero(kinds == INTERPOLATED)
        a = result.alpha[syn[line]][:, None]
        s, n = base_xy(base, result.seed_row[syn[line]]), base_xy(base, result.neighbor_row[syn[line]])
        xy[line] = s + a * (n - s)
        at_seed = np.flatnonzero(kinds == AT_SEED)
        xy[at_seed] = base_xy(base, result.seed_row[syn[at_seed]])
    rest = np.flatnonzero(kinds == TRANSFORMED)
    if len(rest):
        rest = rest[capped_sample(result.y_code[syn[rest]], cap, seed=base.seed)]
        xy[rest] = base.reducer.transform(result.X[syn[rest]])
    return xy


def base_xy(base: BaseMap, row_ids: np.ndarray) -> np.ndarray:
    """Coordinates of real rows of ``base`` by row id (the ids must be on the map)."""
    return base.xy[np.searchsorted(base.rows, np.asarray(row_ids, dtype=np.int64))]


def placement_note(kinds: np.ndarray, xy: np.ndarray, *, cap: int = PLACE_CAP) -> str:
    """One sentence saying how a strategy's synthetic rows were placed (the page shows it)."""
    kinds = np.asarray(kinds, dtype=object)
    if not len(kinds):
        return "No synthetic rows."
    drawn = np.isfinite(np.asarray(xy, dtype=np.float64)).all(axis=1)
    parts = []
    for kind, words in ((INTERPOLATED, "between their two parents' map positions, at the weight they were made with"),
                        (AT_SEED, "on the real row they copy"), (TRANSFORMED, "with transform")):
        n = int(((kinds == kind) & drawn).sum())
        if n:
            parts.append(f"{n:,} {words}")
    text = f"{len(kinds):,} synthetic rows: " + "; ".join(parts) if parts else f"{len(kinds):,} synthetic rows"
    left = int((~drawn).sum())
    if left:
        text += (f"; {left:,} not drawn (at most {cap:,} rows per strategy go through transform, sampled by class, "
                 "every class keeps rows)")
    return text + "."


def assemble(base: BaseMap, results: Sequence[ResampleResult], placed: Sequence[np.ndarray],
             *, place_s: float = 0.0) -> Projection:
    """The :class:`Projection` of ``base`` with each result's placed synthetic rows."""
    timings = dict(base.timings)
    timings["place_synthetic"] = float(place_s)
    return Projection(
        rows=base.rows, xy=base.xy, sampled=base.sampled, strategies=tuple(r.strategy for r in results),
        synthetic_xy=tuple(placed), n_fit=base.n_fit, method=base.method, cap=base.cap, seed=base.seed,
        runtime_s=base.runtime_s + float(place_s), timings=timings, notes=base.notes,
    )


def project(
    space: FeatureSpace,
    results: Sequence[ResampleResult],
    *,
    method: str = "umap",
    cap: int = 20_000,
    seed: int = 0,
    head_min: int = HEAD_MIN,
    placement: str = "interpolate",
    place_cap: int = PLACE_CAP,
    progress: Progress | None = None,
) -> Projection:
    """Fit one 2-D map on real rows and place the synthetic rows of every result on it.

    :func:`fit_base`, then :func:`place` for each result, then :func:`assemble`.

    Parameters
    ----------
    space : FeatureSpace
        The space every result was computed on.
    results : sequence of ResampleResult
        Strategies to place (their synthetic rows; removed rows reuse real coordinates).
    method : {"umap", "pca"}
        UMAP (``n_neighbors=15, min_dist=0.1, random_state=seed``; spaces wider than 50 features
        are first reduced to 50 with PCA) or plain 2-component PCA (fast).
    cap : int
        Real rows the model is fitted on at most (>= 100); see :func:`fit_sample`.
    seed : int
        Seed of the sample, the PCA and UMAP. A seed makes UMAP single-threaded (reproducible).
    head_min : int
        Classes with more rows than this are sampled; smaller ones are kept whole.
    placement : {"interpolate", "transform"}
        How synthetic rows are placed (:func:`place`).
    place_cap : int
        Synthetic rows of one strategy placed with ``transform`` at most (NaN coordinates beyond).
    progress : callable(fraction, message), optional
        Called at the start of each stage (UMAP gives no progress of its own).

    Returns
    -------
    Projection

    Raises
    ------
    ParameterError
        Unknown method, cap below 100, a seed or head bound out of range, or a result of another
        feature space.
    SchemaError
        Fewer than 4 real rows.
    """
    _check(method, cap, seed, head_min)
    check(placement, Choice(PLACEMENTS), name="placement", where=WHERE)
    check(place_cap, CAP, name="placement cap", where=WHERE)
    for r in results:  # before the fit, not after it
        _check_width(r, space.X.shape[1])
    base = fit_base(space, method=method, cap=cap, seed=seed, head_min=head_min, progress=progress)
    t = time.perf_counter()
    n_syn = sum(int((r.origin == SYNTHETIC).sum()) for r in results)
    if n_syn and progress is not None:
        progress(0.8, f"placing {n_syn:,} synthetic rows of {len(results)} strategies")
    placed = [place(base, r, space=space, placement=placement, cap=place_cap) for r in results]
    proj = assemble(base, results, placed, place_s=time.perf_counter() - t)
    if progress is not None:
        progress(1.0, "map ready")
    return proj
