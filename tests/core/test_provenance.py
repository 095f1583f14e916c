"""Parents recovered from geometry for library-made synthetic rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import ADASYN, BorderlineSMOTE

from core.strategies.provenance import segment_parents


def test_recovers_known_segments_and_reports_the_nearer_end():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6))
    # as SMOTE does: the neighbour is one of the seed's 5 nearest rows
    d = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nn = np.argsort(d, axis=1)[:, :5]
    i = rng.integers(0, 40, 200)
    j = nn[i, rng.integers(0, 5, 200)]
    t = rng.uniform(0, 1, len(i))
    S = X[i] + t[:, None] * (X[j] - X[i])
    seed, nbr, alpha, found = segment_parents(X, S)
    assert found.all()
    assert np.allclose(X[seed] + alpha[:, None] * (X[nbr] - X[seed]), S, atol=1e-10)
    assert (alpha <= 0.5 + 1e-12).all() and (alpha >= -1e-12).all()
    same = ((seed == i) & (nbr == j)) | ((seed == j) & (nbr == i))
    assert same.mean() > 0.95  # a third point on the same line is possible, exact ties are not


def test_a_point_on_no_line_keeps_only_its_nearest_row():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    seed, nbr, alpha, found = segment_parents(X, np.array([[0.9, 0.9]]))
    assert not found[0] and nbr[0] == -1 and np.isnan(alpha[0])
    assert seed[0] in (1, 2)


@pytest.mark.parametrize("sampler", [BorderlineSMOTE(random_state=0), ADASYN(random_state=0)])
def test_imbalanced_learn_rows_lie_on_the_line_of_their_recovered_parents(datasets_dir, sampler):
    frame = pd.read_csv(datasets_dir / "yeast.csv")
    keep = frame["class"].isin(["CYT", "ME2", "ME1", "EXC"])
    X = frame.loc[keep].drop(columns=["sequence_name", "class"]).to_numpy(float)
    y = frame.loc[keep, "class"].to_numpy()
    X_res, y_res = sampler.fit_resample(X, y)
    X_new, y_new = X_res[len(X):], y_res[len(X):]
    assert len(X_new) > 100
    for cls in np.unique(y_new):
        real = X[y == cls]
        syn = X_new[y_new == cls]
        seed, nbr, alpha, found = segment_parents(real, syn)
        assert found.mean() > 0.97, (cls, found.mean())
        on = found
        assert np.allclose(real[seed[on]] + alpha[on, None] * (real[nbr[on]] - real[seed[on]]), syn[on], atol=1e-9)
        assert ((alpha[on] >= -1e-9) & (alpha[on] <= 0.5 + 1e-9)).all()


@pytest.mark.parametrize("strategy", ["borderline_smote", "adasyn", "kmeans_smote", "svm_smote"])
def test_resample_gives_library_rows_their_parents(datasets_dir, strategy):
    from core.data.features import FeatureConfig, build_features
    from core.data.io import load_table
    from core.data.schema import infer_roles, label_values
    from core.strategies import resample

    table = load_table(datasets_dir / "yeast.csv")
    labels = label_values(table.frame, "class")
    space = build_features(table.frame, labels, FeatureConfig.from_roles(infer_roles(table.frame, label="class")))
    r = resample(space, strategy, target="floor:60", small_classes="random_over", seed=0)
    small = [c for c, n in r.counts_before.items() if n < 6]  # randomly over-sampled instead: copies, no neighbour
    syn = (r.origin == "synthetic") & ~np.isin(r.y, small)
    assert small == ["ERL"] and syn.sum() > 50
    has = syn & (r.neighbor_row >= 0)
    assert has.sum() / syn.sum() > 0.9, (strategy, has.sum(), syn.sum())
    pos_seed, pos_nbr = space.position_of(r.seed_row[has]), space.position_of(r.neighbor_row[has])
    a = r.alpha[has][:, None]
    assert np.allclose(space.X[pos_seed] + a * (space.X[pos_nbr] - space.X[pos_seed]), r.X[has], atol=1e-8)
    assert (space.y[pos_seed] == r.y[has]).all() and (space.y[pos_nbr] == r.y[has]).all()
