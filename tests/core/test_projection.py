"""One map for all strategies: stratified fit sample, transform placement, shared coordinates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data.features import FeatureConfig, build_features
from core.errors import ParameterError
from core.mapping.projection import fit_sample, project
from core.strategies import SYNTHETIC, resample
from tests.paths import DATASETS

DATA = f"{DATASETS}/"


@pytest.fixture(scope="module")
def yeast():
    frame = pd.read_csv(DATA + "yeast.csv", dtype=str, keep_default_na=False)
    numeric = tuple(c for c in frame.columns if c not in ("sequence_name", "class"))
    space = build_features(frame, frame["class"].astype(object), FeatureConfig(numeric=numeric))
    smote = resample(space, "smote", target="balanced", small_classes="lower_k", seed=0)
    under = resample(space, "random_under", target="auto", seed=0)
    return space, smote, under


def _median_seed_distance(proj, result, idx):
    syn = result.origin == SYNTHETIC
    seed_xy = proj.xy_of(result.seed_row[syn])
    return float(np.median(np.linalg.norm(proj.synthetic_xy[idx] - seed_xy, axis=1)))


def _median_cross_class_distance(space, proj, n=4000, seed=1):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, space.n_rows, n), rng.integers(0, space.n_rows, n)
    other = space.y[a] != space.y[b]
    return float(np.median(np.linalg.norm(proj.xy[a[other]] - proj.xy[b[other]], axis=1)))


@pytest.mark.parametrize("method", ["umap", "pca"])
def test_synthetic_rows_land_near_their_seed_rows(yeast, method):
    space, smote, under = yeast
    proj = project(space, [smote, under], method=method, seed=0)
    assert proj.strategies == ("smote", "random_under")
    assert proj.synthetic_xy[0].shape == (smote.n_synthetic, 2) and smote.n_synthetic > 500
    assert proj.synthetic_xy[1].shape == (0, 2)
    assert np.isfinite(proj.xy).all() and np.isfinite(proj.synthetic_xy[0]).all()
    near = _median_seed_distance(proj, smote, 0)
    far = _median_cross_class_distance(space, proj)
    assert near < far, (near, far)
    assert near < 0.5 * far, (near, far)
    # removed rows of the under-sampler reuse real coordinates
    assert proj.xy_of(under.removed_rows).shape == (under.n_removed, 2)


def test_real_rows_are_transformed_like_synthetic_ones_when_sampled(yeast):
    space, smote, _ = yeast
    proj = project(space, [smote], method="pca", cap=600, head_min=100, seed=0)
    counts = space.class_counts()
    assert proj.is_sample and proj.n_fit == 600 and not proj.notes
    small = [c for c, n in counts.items() if n <= 100]
    # every row of a class with <= 100 rows is in the fit sample
    assert proj.sampled[np.isin(space.y, small)].all()
    assert not proj.sampled.all()
    assert "of 1,484 real rows" in proj.sample_note() and "head classes sampled" in proj.sample_note()
    # rows left out of the fit are placed by transform: for PCA that is the same linear map
    assert np.isfinite(proj.xy[~proj.sampled]).all() and np.ptp(proj.xy[~proj.sampled][:, 0]) > 0
    full = project(space, [], method="pca", cap=100_000, seed=0)
    assert not full.is_sample and "all 1,484 real rows" in full.sample_note()


def test_umap_map_is_reproducible(yeast):
    space, smote, _ = yeast
    a = project(space, [smote], method="umap", cap=800, seed=3)
    b = project(space, [smote], method="umap", cap=800, seed=3)
    np.testing.assert_allclose(a.xy, b.xy)
    np.testing.assert_allclose(a.synthetic_xy[0], b.synthetic_xy[0])
    assert a.is_sample and a.n_fit < space.n_rows


def test_fit_sample_keeps_small_classes_and_caps_head():
    y = np.array(["big"] * 5000 + ["mid"] * 900 + ["small"] * 80 + ["tiny"] * 3, dtype=object)
    pos = fit_sample(y, cap=1000, head_min=100, seed=0)
    kept = pd.Series(y[pos]).value_counts()
    assert kept["small"] == 80 and kept["tiny"] == 3
    assert len(pos) == 1000
    assert kept["big"] > kept["mid"] >= 100  # proportional, floor of head_min
    assert np.array_equal(pos, np.sort(pos)) and len(set(pos.tolist())) == len(pos)
    assert np.array_equal(fit_sample(y, cap=10_000), np.arange(len(y)))
    # the small classes alone exceed the cap: all are kept anyway, heads keep head_min
    pos = fit_sample(y, cap=150, head_min=100, seed=0)
    kept = pd.Series(y[pos]).value_counts()
    assert kept["small"] == 80 and kept["big"] == 100 and kept["mid"] == 100


def test_bad_inputs_are_refused(yeast):
    space, smote, _ = yeast
    with pytest.raises(ParameterError, match="method"):
        project(space, [smote], method="tsne")
    with pytest.raises(ParameterError, match=r"^map: cap=10 is not allowed; it must be a whole number of at least 100\.$"):
        project(space, [smote], cap=10)
    with pytest.raises(ParameterError, match=r"^map: seed=-1 is not allowed"):
        project(space, [smote], method="pca", seed=-1)
    other = build_features(
        pd.DataFrame({"a": ["1", "2", "3", "4", "5", "6"], "b": ["1", "2", "3", "4", "5", "7"]}),
        pd.Series(["x", "x", "x", "y", "y", "y"], dtype=object),
        FeatureConfig(numeric=("a", "b")),
    )
    with pytest.raises(ParameterError, match="another feature space"):
        project(other, [smote], method="pca")


def test_a_strategy_lands_in_the_same_place_whatever_runs_beside_it(yeast):
    from core.mapping.projection import fit_base, place

    space, smote, under = yeast
    over = resample(space, "random_over", target="balanced", seed=0)
    base = fit_base(space, method="umap", cap=800, seed=0)
    alone = place(base, smote)
    assert len(alone) == int((smote.origin == SYNTHETIC).sum()) > 0
    np.testing.assert_array_equal(place(base, smote), alone)
    together = project(space, [over, smote, under], method="umap", cap=800, seed=0)
    np.testing.assert_array_equal(together.synthetic_xy[1], alone)
    np.testing.assert_array_equal(together.xy, base.xy)
    assert together.strategies == ("random_over", "smote", "random_under")
    assert len(together.synthetic_xy[2]) == 0  # under-sampling adds nothing to place


def test_unsampled_real_rows_sit_at_the_weighted_mean_of_their_nearest_fitted_rows(yeast):
    from core.mapping.projection import N_NEIGHBORS, fit_base

    space, _, _ = yeast
    base = fit_base(space, method="umap", cap=800, seed=0)
    rest = np.flatnonzero(~base.sampled)
    assert len(rest) == space.n_rows - base.n_fit > 0
    fitted = np.flatnonzero(base.sampled)
    # independent: brute-force distances in the space UMAP was fitted in (no PCA below 50 features)
    d = np.linalg.norm(space.X[rest][:, None, :] - space.X[fitted][None, :, :], axis=2)
    idx = np.argsort(d, axis=1, kind="stable")[:, :N_NEIGHBORS]
    dist = np.take_along_axis(d, idx, axis=1)
    gap = dist - dist[:, :1]
    w = np.exp(-gap / gap.mean(axis=1, keepdims=True))
    expected = (w[:, :, None] * base.xy[fitted][idx]).sum(axis=1) / w.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(base.xy[rest], expected, atol=1e-6)
    note = project(space, [], method="umap", cap=800, seed=0).sample_note()
    assert note.endswith(f"the other {len(rest):,} real rows placed at the weighted mean of the map positions of their "
                         "15 nearest fitted rows (where UMAP's transform starts, without its optimisation).")


def test_above_umaps_small_data_size_the_graph_is_the_exact_knn_and_transform_still_works():
    """Above 4,096 fitted rows UMAP gets the exact k-NN graph (not its approximate NN-descent, which
    compiles for ~40 s in a fresh process) and a PCA start; its transform queries an exact index."""
    from sklearn.neighbors import NearestNeighbors

    from core.mapping.projection import N_NEIGHBORS, UMAP_SMALL_DATA, fit_base, place

    rng = np.random.default_rng(4)
    n = UMAP_SMALL_DATA + 300
    y = rng.integers(0, 40, n)
    centres = rng.normal(0, 4, (40, 6))
    X = centres[y] + rng.normal(0, 1, (n, 6))
    frame = pd.DataFrame({f"f{j}": X[:, j].round(4).astype(str) for j in range(6)} | {"cls": [f"c{v}" for v in y]})
    space = build_features(frame, frame["cls"].astype(object), FeatureConfig(numeric=tuple(f"f{j}" for j in range(6))))
    base = fit_base(space, method="umap", cap=n, seed=0)
    model = base.reducer.model
    assert base.n_fit == n and base.reducer.pre is None and model.init == "pca"
    knn_idx, knn_dist = model.precomputed_knn[0], model.precomputed_knn[1]
    dist, idx = NearestNeighbors(n_neighbors=N_NEIGHBORS).fit(space.X).kneighbors(space.X)
    np.testing.assert_allclose(knn_dist, dist, rtol=1e-5, atol=1e-5)
    assert (knn_idx[:, 0] == np.arange(n)).mean() > 0.99  # each row first among its neighbours
    assert np.isfinite(base.xy).all()
    # rows placed by UMAP's own transform: through the exact index, finite, near their seed rows
    r = resample(space, "smote", target="balanced", seed=0)
    xy = place(base, r, space=space, placement="transform", cap=500)
    drawn = xy[np.isfinite(xy[:, 0])]
    assert len(drawn) == 500
    syn = np.flatnonzero(r.origin == SYNTHETIC)
    seeds = base.xy[space.position_of(r.seed_row[syn])]
    spread = np.median(np.linalg.norm(base.xy - base.xy.mean(axis=0), axis=1))
    near = np.linalg.norm(xy[np.isfinite(xy[:, 0])] - seeds[np.isfinite(xy[:, 0])], axis=1)
    assert np.median(near) < 0.5 * spread
