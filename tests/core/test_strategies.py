from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from core.errors import ParameterError
from core.strategies import FAMILIES, PARAM_KINDS, REGISTRY, code_snippet, parse_pipeline, resample, validate_params
from tests.core.test_resample import space

NAMES = {
    "none", "random_over", "smote", "borderline_smote", "svm_smote", "kmeans_smote", "adasyn", "smote_nc",
    "random_under", "near_miss", "tomek_links", "enn", "ncr", "oss", "cluster_centroids", "smote_enn",
    "smote_tomek", "isolation_forest", "lof", "centroid_distance", "balanced_weights", "effective_number_weights",
}


def test_registry_names_and_specs():
    assert set(REGISTRY) == NAMES
    for name, spec in REGISTRY.items():
        assert spec.name == name and spec.family in FAMILIES and spec.label and spec.summary
        for p in spec.params:
            assert p.kind in PARAM_KINDS and p.help
            # the default validates
            assert validate_params(name, {p.name: p.default})[p.name] == p.default
        if spec.k_param:
            assert spec.k_param in spec.defaults()
    for name in ("isolation_forest", "lof", "centroid_distance"):
        assert REGISTRY[name].param("min_class_rows").default == 20
    for spec in REGISTRY.values():  # the tail guard of every strategy that removes rows by class
        if spec.family in ("clean", "under", "combined"):
            assert spec.param("min_class_rows").default == 20 and spec.param("min_class_rows").low == 0
    assert REGISTRY["effective_number_weights"].param("beta").default == 0.999
    assert REGISTRY["near_miss"].param("version").low == 1 and REGISTRY["near_miss"].param("version").high == 3


def test_validate_coerces_and_rejects():
    assert validate_params("smote", {"k_neighbors": "3"}) == {"k_neighbors": 3}
    assert validate_params("none", {}) == {}
    assert validate_params("random_under", {}) == REGISTRY["random_under"].defaults()  # defaults filled in
    with pytest.raises(ParameterError, match=r"k_neighbors=0 .*1\.\.100"):
        validate_params("smote", {"k_neighbors": 0})
    with pytest.raises(ParameterError, match="k_neighbors=2.5"):
        validate_params("smote", {"k_neighbors": 2.5})
    with pytest.raises(ParameterError, match="no parameter 'k'"):
        validate_params("smote", {"k": 3})
    with pytest.raises(ParameterError, match="'borderline-1', 'borderline-2'"):
        validate_params("borderline_smote", {"kind": "borderline-3"})
    with pytest.raises(ParameterError, match="quantile"):
        validate_params("centroid_distance", {"mode": "quantile"})
    assert validate_params("centroid_distance", {"mode": "quantile", "threshold": 0.9})["threshold"] == 0.9


def test_pipelines():
    assert parse_pipeline("isolation_forest+smote+enn") == ("isolation_forest", "smote", "enn")
    out = validate_params("isolation_forest+smote+enn", {"smote.k_neighbors": 3, "enn": {"kind_sel": "mode"}})
    assert out["smote"]["k_neighbors"] == 3 and out["enn"]["kind_sel"] == "mode"
    assert out["isolation_forest"]["contamination"] == 0.05
    for bad, msg in [("smote+adasyn", "at most one"), ("balanced_weights+smote", "last"), ("none+smote", "none"),
                     ("smote+smoot", "smoot"), ("", "empty")]:
        with pytest.raises(ParameterError, match=msg):
            parse_pipeline(bad)
    with pytest.raises(ParameterError, match="ambiguous"):
        validate_params("smote_enn+lof", {"n_neighbors": 3})


@pytest.mark.parametrize(
    "name,params,target",
    [
        ("smote", {"k_neighbors": 3}, "auto"),
        ("random_over", {"shrinkage": 0.5}, "floor:30"),
        ("random_under", {}, "cap:20"),
        ("enn", {}, "auto"),
        ("isolation_forest+smote_tomek", {}, "hybrid:60:25"),
        ("centroid_distance+balanced_weights", {}, "auto"),
        ("effective_number_weights", {}, "auto"),
        ("lof+near_miss", {}, "auto"),
    ],
)
def test_code_snippet_runs(name, params, target):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (80, 3)), rng.normal(2, 1, (25, 3)), rng.normal(-2, 1, (40, 3))])
    y = np.array(["a"] * 80 + ["b"] * 25 + ["c"] * 40, dtype=object)
    code = code_snippet(name, params, target, 7)
    assert "SEED = 7" in code
    env = {"X": X, "y": y}
    exec(compile(code, "<snippet>", "exec"), env)
    assert len(env["X"]) == len(env["y"])
    if "weights" in name:
        assert len(env["sample_weight"]) == len(env["y"])


@pytest.mark.parametrize("name,params", [("smote", {"k_neighbors": 4}), ("random_over", {})])
def test_over_sampler_snippet_keeps_every_row_and_equals_skewlab_under_a_hybrid_target(name, params):
    sp = space("yeast")  # its smallest class has 5 rows: SMOTE with k=4 runs on every class
    code = code_snippet(name, params, "hybrid:200:60", 0)
    assert "RandomUnderSampler" not in code and "random_under+smote" in code
    env = {"X": sp.X.copy(), "y": sp.y.astype(str)}
    exec(compile(code, "<snippet>", "exec"), env)
    r = resample(sp, name, params=params, target="hybrid:200:60")
    before = sp.class_counts()
    assert dict(Counter(env["y"].tolist())) == r.counts_after == {c: max(n, 60) for c, n in before.items()}
    np.testing.assert_array_equal(env["X"][: sp.n_rows], sp.X)  # no row removed, originals first
    assert env["y"][sp.n_rows :].tolist() == r.y[sp.n_rows :].tolist()
    if name == "smote":
        np.testing.assert_array_equal(env["X"][sp.n_rows :], r.X[sp.n_rows :])  # imbalanced-learn's rows, bit for bit
    else:  # Skewlab draws each class from its own stream: imbalanced-learn's counts, other copies of real rows
        for X_syn, sy in ((env["X"][sp.n_rows :], env["y"][sp.n_rows :]), (r.X[sp.n_rows :], r.y[sp.n_rows :])):
            real = {(c, tuple(x)) for c, x in zip(sp.y.tolist(), sp.X.tolist())}
            assert all((c, tuple(x)) in real for c, x in zip(sy.tolist(), X_syn.tolist()))
