"""The compiled Isolation Forest: the same numbers as a plain-Python reading of the paper with the same
random draws, the same outliers as scikit-learn's on planted data, and per-class seeding."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.ensemble import IsolationForest

from core.data import FeatureConfig, build_features
from core.strategies import resample
from core.strategies.iforest import MAX_SAMPLES, _mean_path, anomaly_scores, average_path


def _c(m):
    return 0.0 if m <= 1 else 1.0 if m == 2 else 2 * (math.log(m - 1) + 0.5772156649015329) - 2 * (m - 1) / m


def _reference_tree(X, rows, Ut, limit):
    """One tree of Liu et al. 2008 in plain Python: node -> (feature, threshold, left, right) or ("leaf", size)."""
    d = X.shape[1]
    tree, counter = {}, [1]

    def grow(node, rows, depth):
        if len(rows) <= 1 or depth >= limit:
            tree[node] = ("leaf", len(rows))
            return
        first = min(int(Ut[node, 0] * d), d - 1)
        for j in range(d):
            f = (first + j) % d
            lo, hi = min(X[r, f] for r in rows), max(X[r, f] for r in rows)
            if hi > lo:
                break
        else:
            tree[node] = ("leaf", len(rows))
            return
        thr = lo + Ut[node, 1] * (hi - lo)
        thr = lo if thr >= hi else thr
        left, right = counter[0], counter[0] + 1
        counter[0] += 2
        tree[node] = (f, thr, left, right)
        # the compiled code keeps a stack and so grows the right child (and its subtree) first: the same
        # order here numbers the nodes, and so picks their draws, the same way
        grow(right, [r for r in rows if X[r, f] > thr], depth + 1)
        grow(left, [r for r in rows if X[r, f] <= thr], depth + 1)

    grow(0, list(rows), 0)
    return tree


def _reference_mean_path(X, samples, U, limit):
    total = np.zeros(X.shape[0])
    for t in range(samples.shape[0]):
        tree = _reference_tree(X, samples[t], U[t], limit)
        for i in range(X.shape[0]):
            node, depth = 0, 0
            while tree[node][0] != "leaf":
                f, thr, left, right = tree[node]
                node = left if X[i, f] <= thr else right
                depth += 1
            total[i] += depth + _c(tree[node][1])
    return total / samples.shape[0]


def test_compiled_forest_equals_the_plain_reading_of_the_paper():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(size=(40, 3)), [[6, 6, 6]]])
    X[:, 2] = np.round(X[:, 2])  # ties and a column that is often constant in small nodes
    X[:5, 1] = 0.0
    samples = np.stack([rng.choice(len(X), 32, replace=False) for _ in range(7)]).astype(np.int64)
    U = rng.random((7, 64, 2))
    limit = 5
    np.testing.assert_allclose(_mean_path(X, samples, U, limit), _reference_mean_path(X, samples, U, limit), rtol=0, atol=1e-12)


def test_average_path_is_the_papers_c():
    assert list(average_path([0, 1, 2])) == [0.0, 0.0, 1.0]
    assert average_path(256) == pytest.approx(2 * (math.log(255) + 0.5772156649015329) - 2 * 255 / 256)


def test_planted_outliers_found_as_scikit_learn_finds_them():
    rng = np.random.default_rng(2)
    inliers = rng.normal(size=(300, 8))
    far = rng.normal(size=(6, 8)) + 9.0
    X = np.vstack([inliers, far])
    ours = anomaly_scores(X, n_estimators=200, seed=0)
    theirs = -IsolationForest(n_estimators=200, random_state=0).fit(X).score_samples(X)
    assert set(np.argsort(-ours)[:6]) == set(range(300, 306)) == set(np.argsort(-theirs)[:6])
    assert spearmanr(ours, theirs).statistic > 0.9  # the same algorithm: the same ordering, up to the draws
    assert 0 < ours.min() and ours.max() <= 1


def test_seeded_per_class_and_repeatable():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 4))
    assert np.array_equal(anomaly_scores(X, seed=5), anomaly_scores(X, seed=5))
    assert not np.array_equal(anomaly_scores(X, seed=5), anomaly_scores(X, seed=6))
    assert MAX_SAMPLES == 256 and anomaly_scores(X[:1]).tolist() == [0.5]


def test_a_class_gets_the_same_rows_whatever_else_is_in_the_catalog():
    rng = np.random.default_rng(4)
    Xa, Xb, Xc = rng.normal(size=(60, 5)), rng.normal(size=(40, 5)) + 3, rng.normal(size=(50, 5)) - 3
    def space(X, y):
        frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(5)]).assign(category=y)
        return build_features(frame, pd.Series(y, dtype="string"), FeatureConfig(numeric=tuple(f"f{j}" for j in range(5))))

    y3 = np.array(["a"] * 60 + ["b"] * 40 + ["c"] * 50)
    two = resample(space(np.vstack([Xa, Xb]), y3[:100]), "isolation_forest", params={"contamination": 0.1})
    three = resample(space(np.vstack([Xa, Xb, Xc]), y3), "isolation_forest", params={"contamination": 0.1})
    gone2, gone3 = set(two.removed_rows.tolist()), set(three.removed_rows.tolist())
    assert len(gone2) == 6 + 4 and len(gone3) == 6 + 4 + 5  # floor(0.1 x rows) per class
    # the same rows of 'a' and 'b' go (scaling the features over more rows moves no threshold's cut)
    assert gone2 == {r for r in gone3 if r < 100}
