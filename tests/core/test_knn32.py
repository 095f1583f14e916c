"""knn32: float32-found, float64-proven k-NN must equal scikit-learn's, row for row, ties included."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.neighbors import NearestNeighbors

from core.neighbors import knn, knn32, npkernels

#: Tests whose searches run once on numpy's kernels (a process that has not loaded numba, a small
#: job) and once on numba's (a large job, or the app once warmed up): the answers must not differ.
#: The others test one backend's piece directly, or what does not depend on it (numba's).
BOTH = {"test_any_units_are_searched_in_float32", "test_full_query_equals_sklearn", "test_query_rows_equal_sklearn",
        "test_ties_go_to_sklearn_and_clean_rows_do_not", "test_threads_do_not_change_the_answer",
        "test_property_equals_sklearn", "test_resamplers_equal_imbalanced_learn_on_wide_data",
        "test_resamplers_equal_imbalanced_learn_on_the_sample_catalog", "test_smote_interpolation_same_bits",
        "test_thin_margins_are_proven_another_way", "test_twin_rows_match_pandas_duplicated",
        "test_one_outlier_does_not_spoil_every_proof"}


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["numpy", "numba"] if metafunc.function.__name__ in BOTH else ["numba"],
                             indirect=True)


@pytest.fixture(autouse=True)
def backend(request, monkeypatch):
    """The kernels a test's searches run on (:data:`BOTH`)."""
    on = request.param == "numba"
    monkeypatch.setattr(npkernels, "use_numba", lambda cells: on)
    monkeypatch.setattr(npkernels, "numba_loaded", lambda: on)
    return request.param


def _sk(X: np.ndarray, K: int) -> np.ndarray:
    return NearestNeighbors(n_neighbors=K).fit(X).kneighbors(X, return_distance=False)


def _blobs(n: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.5, size=(8, d))
    return centres[rng.integers(0, 8, n)] + rng.standard_normal((n, d))


def _duplicates(n: int, d: int) -> np.ndarray:
    X = _blobs(n, d, seed=1)
    rng = np.random.default_rng(2)
    X[rng.choice(n, n // 3, replace=False)] = X[rng.choice(n, n // 3, replace=True)]
    return X


def _near_ties(n: int, d: int) -> np.ndarray:
    X = _blobs(n, d, seed=3)
    # pairs of rows mirrored around a centre row: equal distances up to rounding
    for i in range(0, n - 3, 40):
        e = np.zeros(d)
        e[i % d] = 0.01
        X[i + 1], X[i + 2] = X[i] + e, X[i] - e
    return X


def _integers(n: int, d: int) -> np.ndarray:
    return np.random.default_rng(4).integers(0, 3, size=(n, d)).astype(np.float64)


def _offset(n: int, d: int) -> np.ndarray:
    return _blobs(n, d, seed=5) * 1e-3 + 1e6  # float32 cannot tell these rows apart


def _huge(n: int, d: int) -> np.ndarray:
    return _blobs(n, d, seed=13) * 1e25  # squares overflow float32 unless the search rescales


def _tiny(n: int, d: int) -> np.ndarray:
    return _blobs(n, d, seed=14) * 1e-30  # squares underflow float32 unless the search rescales


CASES = {"blobs": _blobs, "duplicates": _duplicates, "near_ties": _near_ties, "integers": _integers,
         "offset": _offset, "huge": _huge, "tiny": _tiny}


@pytest.mark.parametrize("case", ["huge", "tiny"])
def test_any_units_are_searched_in_float32(case):
    X = CASES[case](3000, 20)
    nbr, unproven = knn32.kneighbors(X, 4)
    assert len(unproven) == 0
    np.testing.assert_array_equal(nbr, _sk(X, 4))


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("K", [2, 4, 6])
def test_full_query_equals_sklearn(case, K, monkeypatch):
    X = CASES[case](3000, 20)
    used = []
    real = knn32.kneighbors
    monkeypatch.setattr(knn32, "kneighbors", lambda *a, **k: used.append(1) or real(*a, **k))
    got = knn.sklearn_kneighbors(X, K)
    # twins spread over every chunk: scikit-learn must order their ties, so it answers directly
    assert bool(used) == (case != "duplicates")
    np.testing.assert_array_equal(got, _sk(X, K))


def test_a_few_twins_still_take_the_fast_search(monkeypatch):
    X = _blobs(3000, 20, seed=6)
    X[10:20] = X[40:50]  # ten twins, all in scikit-learn's first query chunk
    used = []
    real = knn32.kneighbors
    monkeypatch.setattr(knn32, "kneighbors", lambda *a, **k: used.append(1) or real(*a, **k))
    for K in (2, 4):
        np.testing.assert_array_equal(knn.sklearn_kneighbors(X, K), _sk(X, K))
        rows = np.arange(0, 3000, 3)
        np.testing.assert_array_equal(knn.sklearn_kneighbors_rows(X, K, rows), _sk(X, K)[rows])
    assert len(used) == 4


@pytest.mark.parametrize("case", sorted(CASES))
def test_query_rows_equal_sklearn(case):
    X = CASES[case](2600, 18)
    full = _sk(X, 6)
    rng = np.random.default_rng(7)
    for rows in (np.sort(rng.choice(len(X), 300, replace=False)), np.arange(0, len(X), 2)):
        np.testing.assert_array_equal(knn.sklearn_kneighbors_rows(X, 6, rows), full[rows])


def test_ties_go_to_sklearn_and_clean_rows_do_not():
    X = _duplicates(3000, 20)
    nbr, unproven = knn32.kneighbors(X, 4)
    dup = np.array([np.sum(np.all(X == X[i], axis=1)) > 1 for i in range(len(X))])
    # every row with an exact twin is tied at distance 0: left to scikit-learn
    assert set(np.flatnonzero(dup)) <= set(unproven.tolist())
    proven = np.setdiff1d(np.arange(len(X)), unproven)
    assert len(proven) > 500  # rows near no twin (a twin among the neighbours is a tie too)
    np.testing.assert_array_equal(nbr[proven], _sk(X, 4)[proven])


def test_offset_rows_fall_back_not_misorder():
    X = _offset(3000, 20)
    _, unproven = knn32.kneighbors(X, 4)
    assert len(unproven) == len(X)  # float32 sees one point: nothing can be proven
    np.testing.assert_array_equal(knn.sklearn_kneighbors(X, 4), _sk(X, 4))


def test_error_bound_holds():
    for X in (_blobs(3000, 24, seed=9), _blobs(3000, 24, seed=9) * 50 + 300, _huge(3000, 24)):
        vals, cand, norms, u = knn32.candidates(X, 8)
        med = knn32.centre(X)
        assert np.array_equal(med, np.median(X[:: -(-len(X) // knn32.CENTRE_ROWS)], axis=0))
        assert u == knn32.unit(X - med)
        np.testing.assert_allclose(norms, np.linalg.norm((X - med) * u, axis=1))
        exact = np.einsum("ijk,ijk->ij", X[cand] - X[:, None, :], X[cand] - X[:, None, :]) * u * u
        err = np.abs(vals.astype(np.float64) - exact)
        bound = knn32.error_bound(norms[:, None], norms[cand], X.shape[1])
        assert np.all(err <= bound), float((err / bound).max())
        assert np.all(np.diff(vals, axis=1) >= 0)


def test_threads_do_not_change_the_answer():
    X = _near_ties(5000, 20)
    one, u1 = knn32.kneighbors(X, 6, threads=1)
    two, u2 = knn32.kneighbors(X, 6, threads=2)
    np.testing.assert_array_equal(u1, u2)
    ok = np.setdiff1d(np.arange(len(X)), u1)
    np.testing.assert_array_equal(one[ok], two[ok])


def _blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_blas_runs_on_one_thread_after_overlapping_searches():
    """The first search sets BLAS to one thread for good (see single_threaded_blas); overlapping
    searches, and scikit-learn's own limits in between, leave it there and the answers right."""
    X = _blobs(6000, 20)
    want = _sk(X, 3)
    got, errors = [], []

    def run():
        try:
            got.append(knn.sklearn_kneighbors(X, 3))
            knn.sklearn_kneighbors_rows(X[:3000], 3, np.arange(0, 3000, 7))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for _ in range(2):
        pool = [threading.Thread(target=run) for _ in range(3)]
        for th in pool:
            th.start()
        for th in pool:
            th.join()
        assert not errors
        assert _blas_threads() and set(_blas_threads()) == {1}
    assert len(got) == 6 and all(np.array_equal(g, want) for g in got)


def test_does_not_apply_where_sklearn_uses_a_tree():
    assert not knn32.applies(_blobs(3000, 15), 4)  # kd-tree territory: scikit-learn answers
    assert not knn32.applies(_blobs(knn32.MIN_ROWS - 1, 20), 4)
    assert knn32.applies(_blobs(3000, 16), 4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(knn32.MIN_ROWS, 400), d=st.integers(16, 24), K=st.integers(1, 7), dup=st.floats(0, 0.5),
       scale=st.sampled_from([1e-3, 1.0, 1e3]), seed=st.integers(0, 2**16))
def test_property_equals_sklearn(n, d, K, dup, scale, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * scale
    k = int(dup * n)
    if k:
        X[rng.choice(n, k, replace=False)] = X[rng.choice(n, k, replace=True)]
    np.testing.assert_array_equal(knn.sklearn_kneighbors(X, K), _sk(X, K))
    rows = np.sort(rng.choice(n, max(1, n // 3), replace=False))
    np.testing.assert_array_equal(knn.sklearn_kneighbors_rows(X, K, rows), _sk(X, K)[rows])


# ------------------------------------------------------------------ through the resamplers


def _space(X: np.ndarray, y: np.ndarray):
    from core.data.features import FeatureConfig, FeatureSpace

    names = tuple(f"f{i}" for i in range(X.shape[1]))
    labels = np.array([f"c{int(v):02d}" for v in range(int(y.max()) + 1)], dtype=object)[y]
    return FeatureSpace(X=np.ascontiguousarray(X), y=labels, rows=np.arange(len(X), dtype=np.int64),
                        feature_names=names, config=FeatureConfig(numeric=names),
                        blocks={n: slice(i, i + 1) for i, n in enumerate(names)}, n_frame_rows=len(X))


def _long_tail(n: int, d: int, dup: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    sizes = np.maximum((n / np.arange(1, 9) ** 1.2 / np.sum(1 / np.arange(1, 9) ** 1.2)).astype(int), 8)
    y = np.repeat(np.arange(8), sizes)
    X = rng.normal(0, 1.5, (8, d))[y] + rng.standard_normal((len(y), d))
    k = int(dup * len(y))
    if k:  # twins within a class (same features, same label), as catalogs have them
        src = rng.choice(len(y), k)
        for cls in range(8):
            pos = np.flatnonzero(y == cls)
            s = src[y[src] == cls]
            X[rng.choice(pos, min(len(s), len(pos)), replace=False)[: len(s)]] = X[s[: len(pos)]]
    return X, y


def guard_off(name: str) -> dict:
    """Skewlab's tail guard off where the strategy has it: imbalanced-learn has none."""
    from core.strategies import REGISTRY

    return {"min_class_rows": 0} if "min_class_rows" in REGISTRY[name].defaults() else {}


@pytest.mark.parametrize("dup", [0.0, 0.1])
def test_resamplers_equal_imbalanced_learn_on_wide_data(dup):
    import warnings

    from imblearn.combine import SMOTEENN, SMOTETomek
    from imblearn.over_sampling import SMOTE
    from imblearn.under_sampling import EditedNearestNeighbours, TomekLinks

    from core.strategies import resample

    X, y = _long_tail(4000, 20, dup)
    sp = _space(X, y)
    assert knn32.applies(X, 2)
    cases = [("smote", SMOTE(random_state=0)), ("tomek_links", TomekLinks()), ("enn", EditedNearestNeighbours()),
             ("smote_enn", SMOTEENN(random_state=0)), ("smote_tomek", SMOTETomek(random_state=0))]
    for name, est in cases:
        r = resample(sp, name, params=guard_off(name), seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Xi, yi = est.fit_resample(X, y)
        assert r.counts_after == {f"c{int(c):02d}": int(v) for c, v in zip(*np.unique(yi, return_counts=True))}, name
        if name == "smote":
            np.testing.assert_array_equal(r.X[r.origin == "synthetic"], Xi[len(X):])
        elif name in ("tomek_links", "enn"):
            np.testing.assert_array_equal(r.row, np.sort(est.sample_indices_))
        else:
            a, b = r.X[np.lexsort(r.X.T[::-1])], Xi[np.lexsort(Xi.T[::-1])]
            np.testing.assert_array_equal(a, b)


def test_resamplers_equal_imbalanced_learn_on_the_sample_catalog():
    """The toys sample with its text features (82 columns): real duplicates and ties."""
    import sys
    import warnings
    from pathlib import Path

    from imblearn.over_sampling import SMOTE
    from imblearn.under_sampling import EditedNearestNeighbours, TomekLinks

    from core.strategies import resample

    sys.path.insert(0, str(Path(__file__).parent))
    from test_resample import space

    sp = space("toys")
    keep = np.isin(sp.y, [c for c, n in sp.class_counts().items() if n >= 6])
    X = sp.X[keep]
    classes, y = np.unique(sp.y[keep].astype(str), return_inverse=True)
    sub = _space(X, y)
    assert knn32.applies(X, 2) and X.shape[1] > 15
    for name, est in [("smote", SMOTE(random_state=0)), ("tomek_links", TomekLinks()), ("enn", EditedNearestNeighbours())]:
        r = resample(sub, name, params=guard_off(name), seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Xi, yi = est.fit_resample(X, y)
        if name == "smote":
            np.testing.assert_array_equal(r.X[r.origin == "synthetic"], Xi[len(X):])
        else:
            np.testing.assert_array_equal(r.row, np.sort(est.sample_indices_))


def test_smote_interpolation_same_bits():
    import warnings

    from imblearn.over_sampling import SMOTE

    from core.strategies import run as rs

    X, y = _long_tail(3000, 20, 0.0)
    X = X * 1e3 + 7.0  # values whose rounding differs if any operation were fused or reordered
    r = rs.resample(_space(X, y), "smote", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Xi, _ = SMOTE(random_state=0).fit_resample(X, y)
    np.testing.assert_array_equal(r.X[r.origin == "synthetic"], Xi[len(X):])


def _segments(n: int, d: int) -> np.ndarray:
    """Rows on segments between a few parents, as SMOTE makes them: dense, thin float32 margins."""
    rng = np.random.default_rng(12)
    parents = rng.standard_normal((40, d)) * 3 + 10
    a, b = rng.integers(0, 40, n), rng.integers(0, 40, n)
    return parents[a] + rng.uniform(size=(n, 1)) * (parents[b] - parents[a])


@pytest.mark.parametrize("cells", [1, knn32.EXACT_ALL_CELLS])  # second round, or all distances
def test_thin_margins_are_proven_another_way(cells, monkeypatch):
    X = _segments(4000, 20)
    rounds = []
    real = knn32.candidates
    monkeypatch.setattr(knn32, "candidates", lambda *a, **k: rounds.append(a[1]) or real(*a, **k))
    monkeypatch.setattr(knn32, "EXACT_ALL_CELLS", cells)
    nbr, unproven = knn32.kneighbors(X, 4)
    assert len(unproven) < 0.05 * len(X)
    ok = np.setdiff1d(np.arange(len(X)), unproven)
    np.testing.assert_array_equal(nbr[ok], _sk(X, 4)[ok])
    assert len(rounds) == (2 if cells == 1 else 1)
    np.testing.assert_array_equal(knn.sklearn_kneighbors(X, 4), _sk(X, 4))


def test_twin_rows_match_pandas_duplicated():
    import pandas as pd

    X = _duplicates(3000, 20)
    X[5, 3] = -0.0
    X[6] = X[5]
    X[6, 3] = 0.0  # -0.0 and 0.0 differ in bits: not twins (a tie, found later, not here)
    np.testing.assert_array_equal(knn._twin_rows(X), pd.DataFrame(X.view(np.int64)).duplicated(keep=False).to_numpy())
    assert knn._twin_rows(X[:1]).tolist() == [False]
    Z = _integers(3000, 20)  # small integers: the bits differ only in a few high bits
    np.testing.assert_array_equal(knn._twin_rows(Z), pd.DataFrame(Z).duplicated(keep=False).to_numpy())


def test_one_outlier_does_not_spoil_every_proof():
    """Bounds are per row: a single far row (a price typo, say) must not make all rows unprovable."""
    X = _blobs(3000, 20, seed=15)
    X[7] *= 1e6
    nbr, unproven = knn32.kneighbors(X, 4)
    assert len(unproven) < 30, len(unproven)
    ok = np.setdiff1d(np.arange(len(X)), unproven)
    np.testing.assert_array_equal(nbr[ok], _sk(X, 4)[ok])
    np.testing.assert_array_equal(knn.sklearn_kneighbors(X, 4), _sk(X, 4))


@pytest.mark.parametrize("L", [3, 8, 24, 70])
@pytest.mark.parametrize("both", [False, True])
@pytest.mark.parametrize("ties", [False, True])
def test_scan_tile_keeps_the_smallest_values(L, both, ties):
    """Every list ends with the L smallest of what it held and what the tile offered it: cold
    lists (seeded from the tile's own values), warm ones, hints, ties and padded columns."""
    from core.neighbors.kernels import scan_tile

    rng = np.random.default_rng(L + 2 * both + 4 * ties)
    m, n, n_real = 96, 192, 150  # 42 padded columns, as the search pads to a multiple of 64
    tile = rng.standard_normal((m, n)).astype(np.float32)
    if ties:
        tile = np.round(tile * 2) / 2  # a few distinct values, many ties at every threshold
    tile[:, n_real:] = 1e30
    r0, c0 = 0, m if both else 0
    size = c0 + n
    bv = np.full((size, L), np.inf, dtype=np.float32)
    bi = np.full((size, L), -1, dtype=np.int64)
    warm = rng.random(size) < 0.5  # half the lists already hold values from another tile
    for r in np.flatnonzero(warm):
        bv[r] = np.sort(rng.standard_normal(L).astype(np.float32)) - 1.0
        bi[r] = 10_000 + np.arange(L)
    hint = np.full(size, np.inf, dtype=np.float32)
    hint[::7] = np.float32(-0.5)  # another thread's bound: nothing above it may enter
    before_v = bv.copy()
    scan_tile(tile, r0, c0, bv, bi, both, hint)

    def expect(r, offered):
        vals = np.concatenate([before_v[r], offered])
        vals = np.sort(vals[vals < min(hint[r], np.inf)] if np.isfinite(hint[r]) else vals)[:L]
        return np.concatenate([vals, np.full(L - len(vals), np.inf, dtype=np.float32)])

    for a in range(m):  # row lists: row a of the tile
        got = bv[r0 + a]
        want = expect(r0 + a, tile[a])
        np.testing.assert_array_equal(got[np.isfinite(want)], want[np.isfinite(want)])
        for p in np.flatnonzero(np.isfinite(got) & (bi[r0 + a] < 10_000)):
            assert tile[a, bi[r0 + a, p] - c0] == got[p]  # each index points at its value
    if both:
        for j in range(n):  # column lists: column j of the tile
            got = bv[c0 + j]
            want = expect(c0 + j, tile[:, j])
            np.testing.assert_array_equal(got[np.isfinite(want)], want[np.isfinite(want)])
            for p in np.flatnonzero(np.isfinite(got) & (bi[c0 + j] < 10_000)):
                assert tile[bi[c0 + j, p] - r0, j] == got[p]


@pytest.mark.parametrize("n", [8, 60, 256])
def test_one_thread_on_one_chunk_breaks_ties_as_the_thread_pool_does(n):
    # rows with exact twins (ties scikit-learn must order) go to scikit-learn, here on one thread
    rng = np.random.default_rng(n)
    X = np.round(rng.normal(size=(n, 20)), 1)
    X[n // 3: n // 3 + 4] = X[0]
    X[-3:] = X[1]
    from threadpoolctl import threadpool_info

    assert any(p["user_api"] == "openmp" for p in threadpool_info())  # the limit has something to limit
    expected = NearestNeighbors(n_neighbors=6).fit(X).kneighbors(X, return_distance=False)
    assert np.array_equal(knn.sklearn_kneighbors(X, 6), expected)
    assert np.array_equal(knn.sklearn_kneighbors_rows(X, 6, np.arange(0, n, 3)), expected[::3])
    with knn._one_thread_if_one_chunk(n):
        assert [p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"] == [1] * sum(
            p["user_api"] == "openmp" for p in threadpool_info())


def test_numpy_kernels_give_the_numba_kernels_bits():
    from core.neighbors import kernels

    rng = np.random.default_rng(21)
    X = np.vstack([rng.standard_normal((300, 20)) * 1e3 + 7.0, np.zeros((500, 20))])
    idx = rng.permutation(300)[:120].astype(np.int64)
    nn = rng.integers(0, 120, size=(120, 6)).astype(np.int64)
    draws = rng.integers(0, 120 * 5, size=500).astype(np.int64)
    steps = rng.uniform(size=500)
    pos = np.where(np.arange(800) % 7 == 0, -1, np.arange(800)).astype(np.int64)  # some rows synthetic
    rows = np.arange(800, dtype=np.int64) * 3
    outs = []
    for fill in (kernels.smote_fill, npkernels.smote_fill):
        Xo, prov = X.copy(), [np.full(800, -9, dtype=np.int64), np.full(800, -9, dtype=np.int64), np.zeros(800)]
        fill(Xo, 300, idx, draws, 5, nn, np.arange(120, dtype=np.int64), steps, pos, rows, *prov)
        outs.append((Xo, *prov))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    assert (outs[0][1][300:800] == -1).any() and (outs[0][1][300:800] >= 0).any()
    bits = np.ascontiguousarray(X[:300]).view(np.uint64)
    mix = knn._MIX[:20].copy()
    np.testing.assert_array_equal(npkernels.row_hash(bits, mix), kernels.row_hash(bits, mix))
    q, cand = np.arange(50, dtype=np.int64), rng.integers(0, 300, size=(50, 9)).astype(np.int64)
    a, b = np.empty((50, 9)), np.empty((50, 9))
    kernels.sq_dists(X, q, cand, a)
    npkernels.sq_dists(X, q, cand, b)
    np.testing.assert_array_equal(a, b)
    hit = npkernels.smote_hits(draws, 5, 120)
    np.testing.assert_array_equal(hit, kernels.smote_hits(draws, 5, 120))


@pytest.mark.parametrize("n", [40, 1500])  # the bound from every column, or from the first 1,024
@pytest.mark.parametrize("threads", [1, 2])
def test_numpy_candidates_are_each_rows_smallest_values(n, threads, monkeypatch):
    rng = np.random.default_rng(n)
    A = rng.integers(-3, 4, size=(700, 6)).astype(np.float32)  # whole numbers: many tied values
    B = rng.integers(-3, 4, size=(6, n)).astype(np.float32)
    monkeypatch.setattr(npkernels, "BLOCK_CELLS", 64 * n)  # 64 rows per block: several blocks
    monkeypatch.setattr(npkernels, "COL_CHUNK", 256)  # chunks of 1,024 columns (the bound's): two at 1,500
    L = 7
    vals, cols = npkernels.candidates(A, np.ascontiguousarray(B.T), L, threads=threads)
    T = A @ B  # small whole numbers: exact in any block shape
    np.testing.assert_array_equal(vals, np.sort(T, axis=1)[:, :L])
    np.testing.assert_array_equal(np.take_along_axis(T, cols, axis=1), vals)
    assert all(len(set(r)) == L for r in cols.tolist())  # L distinct columns per row


def test_a_small_job_does_not_load_numba_and_a_large_one_does():
    """numba's start costs more than a small job's search: a fresh process runs SMOTE on 3,000 rows
    without it, and with it once the job counts as large, also when each class's search alone
    is under the threshold but their sum is not; the synthetic rows are the same."""
    import subprocess
    import sys
    from pathlib import Path

    script = """
import sys, hashlib
import numpy as np
sys.path[:0] = [{tests!r}, {root!r}]
from core.neighbors import npkernels
from test_knn32 import _long_tail, _space
from core.strategies import resample
X, y = _long_tail(3000, 20, 0.0)
minority = sorted(np.bincount(y).tolist())[:-1]  # SMOTE searches every class but the largest
npkernels.NUMBA_MIN_WORK = {cells} if {cells} else sum(n * n for n in minority) * 22
assert {cells} or max(minority) ** 2 * 22 < npkernels.NUMBA_MIN_WORK  # each class alone: small
r = resample(_space(X, y), "smote", seed=0)
print("numba" in sys.modules, hashlib.sha256(r.X[r.origin == "synthetic"].tobytes()).hexdigest(), r.n_synthetic)
"""
    here = Path(__file__).resolve()
    got = []
    for cells in (npkernels.NUMBA_MIN_WORK, 1, 0):  # default; every search large; the classes' sum
        code = script.format(tests=str(here.parent), root=str(here.parents[2]), cells=cells)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        got.append(out.stdout.split())
    assert [g[0] for g in got] == ["False", "True", "True"]
    assert got[0][1:] == got[1][1:] == got[2][1:] and int(got[0][2]) > 1000


def _exact_k(X: np.ndarray, Q: np.ndarray, k: int, qi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference: every float64 distance, features summed in order, sorted by (distance, index)."""
    D = np.zeros((len(Q), len(X)))
    for f in range(X.shape[1]):
        diff = X[:, f][None, :] - Q[:, f][:, None]
        D += diff * diff
    if qi is not None:
        D[np.arange(len(Q)), qi] = np.inf
    order = np.lexsort((np.broadcast_to(np.arange(len(X)), D.shape), D), axis=1)[:, : k + 1]
    Ds = np.take_along_axis(D, order, axis=1)
    return np.sqrt(Ds[:, :k]), order[:, :k], Ds[:, k - 1] < Ds[:, k]  # the last: no tie at the boundary


@pytest.mark.parametrize("case", ["blobs", "duplicates", "near_ties", "integers", "offset"])
@pytest.mark.parametrize("exclude_self", [False, True])
def test_queries_of_a_large_set_are_the_exact_nearest(case, exclude_self, monkeypatch):
    """kneighbors on 4,000+ fitted rows: candidates from the proven float32 search (rows it cannot
    prove from scikit-learn), then exact re-scoring: the k exactly nearest rows."""
    X = CASES[case](4200, 20)
    rng = np.random.default_rng(9)
    if exclude_self:
        qi = np.sort(rng.choice(len(X), 250, replace=False))
        Q = X[qi]
    else:  # rows outside the set, as the map's synthetic rows are
        qi, Q = None, X[rng.choice(len(X), 250)] + rng.normal(0, 0.05, (250, 20)) * X.std(axis=0)
    proven, fallback = [], []
    real_q = knn32.query_candidates
    monkeypatch.setattr(knn32, "query_candidates",
                        lambda *a, **kw: (lambda r: proven.append(int(r[1].sum())) or r)(real_q(*a, **kw)))
    import sklearn.neighbors

    real_nn = sklearn.neighbors.NearestNeighbors
    monkeypatch.setattr(sklearn.neighbors, "NearestNeighbors", lambda **kw: fallback.append(1) or real_nn(**kw))
    dist, idx = knn.kneighbors(X, 5, query=Q, query_index=qi, exclude_self=exclude_self)
    want_d, want_i, clear = _exact_k(X, Q, 5, qi)
    np.testing.assert_allclose(dist, want_d, rtol=0, atol=0)
    np.testing.assert_array_equal(idx[clear], want_i[clear])
    assert clear.sum() > 50  # rows whose k-th and (k+1)-th distances differ: their k rows are fixed
    assert len(proven) == 1 and fallback == ([] if proven[0] == 250 else [1])  # scikit-learn for the rest only
    if case in ("blobs", "near_ties", "offset"):  # centred and rescaled first: even the offset rows are proven
        assert proven == [250]
    else:  # exact twins and whole numbers: rows tied past their list go to scikit-learn
        assert proven[0] >= 150


def test_queries_tied_past_their_list_go_to_sklearn(monkeypatch):
    X = _blobs(4200, 20, seed=15)
    X[100:140] = X[7]  # 41 identical rows: a query next to them has 41 rows at one distance
    Q = np.vstack([X[7] + 1e-3, X[3000:3010] + 0.01])
    fallback = []
    import sklearn.neighbors

    real_nn = sklearn.neighbors.NearestNeighbors
    monkeypatch.setattr(sklearn.neighbors, "NearestNeighbors", lambda **kw: fallback.append(kw) or real_nn(**kw))
    cand, ok = knn32.query_candidates(X, Q, 5, 9)
    assert not ok[0] and ok[1:].all()
    dist, idx = knn.kneighbors(X, 5, query=Q)
    want_d, want_i, _ = _exact_k(X, Q, 5, None)
    np.testing.assert_allclose(dist, want_d, rtol=0, atol=0)
    np.testing.assert_array_equal(idx[1:], want_i[1:])
    assert set(idx[0]) <= {7, *range(100, 140)} and fallback == [{"n_neighbors": 9}]
