from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.data.features import FeatureConfig, build_features
from core.data.io import load_table
from core.data.schema import detect_separator, infer_roles, label_values
from core.errors import ParameterError, SchemaError
from tests.paths import DATASETS

DATA = f"{DATASETS}/"


def _frame():
    return pd.DataFrame(
        {
            "price": ["£1,200.50", "3", "", "7", "10", "12", "2", "5"],
            "count": ["1", "2", "3", "4", "5", "6", "7", "8"],
            "color": ["red", "red", "blue", "", "green", "red", "blue", "pink"],
            "title": ["red ball toy", "blue ball", "green car toy", "car", "toy car", "ball toy", "red car", "pink toy"],
            "cat": ["A", "A", "B", "B", None, "A", "B", "B"],
        }
    )


def _space(**kw):
    frame = _frame()
    labels = label_values(frame, "cat")
    cfg = FeatureConfig(numeric=("price", "count"), categorical=("color",), text=("title",), **kw)
    return frame, build_features(frame, labels, cfg)


def test_labelled_rows_only_and_shapes():
    _, sp = _space(text_dim=2, max_categories=2)
    assert sp.rows.tolist() == [0, 1, 2, 3, 5, 6, 7]
    assert sp.y.tolist() == ["A", "A", "B", "B", "A", "B", "B"]
    assert sp.X.dtype == np.float64 and sp.X.shape[0] == 7
    assert sp.blocks["price"] == slice(0, 1)
    # 2 top categories + other bucket
    assert sp.blocks["color"].stop - sp.blocks["color"].start == 3
    assert sp.feature_names[2:5] == ("color=red", "color=blue", "color=(other)")
    # numeric standardized, missing imputed by median
    assert np.isclose(sp.X[:, 0].mean(), 0) and np.isclose(sp.X[:, 0].std(), 1)


def test_to_original_roundtrip_units_and_clipping():
    frame, sp = _space(text_dim=2, max_categories=5)
    back = sp.to_original(sp.X, sp.y)
    assert back["count"].tolist() == [1, 2, 3, 4, 6, 7, 8]  # integral column rounded, Int64
    assert str(back["count"].dtype) == "Int64"
    assert back["price"].iloc[0] == pytest.approx(1200.5)
    # the imputed cell (row 2, class B) comes back as the median, clipped to class B's range
    assert back["color"].tolist() == ["red", "red", "blue", "", "red", "blue", "pink"]
    assert (back["title"] == "").all()
    # values far outside are clipped to the class range
    far = sp.X[:2].copy()
    far[:, 1] = 1e6
    out = sp.to_original(far, np.array(["A", "B"], dtype=object))
    assert out["count"].tolist() == [6, 8]


def test_to_original_never_other_bucket():
    _, sp = _space(text_dim=2, max_categories=1)
    block = sp.blocks["color"]
    x = sp.X[:1].copy()
    x[0, block] = 0
    x[0, block.stop - 1] = 1.0  # only the "other" bucket
    out = sp.to_original(x, np.array(["B"], dtype=object))
    assert out["color"].iloc[0] in {"red", "blue", "green", "pink", ""}
    assert out["color"].iloc[0] != "(other)"


def test_subset_keeps_row_ids():
    _, sp = _space(text_dim=2)
    sub = sp.subset([4, 0, 2])
    assert sub.rows.tolist() == [0, 2, 5]
    assert np.array_equal(sub.X, sp.X[[0, 2, 4]])


def test_errors():
    frame = _frame()
    labels = label_values(frame, "cat")
    with pytest.raises(SchemaError, match="no feature columns"):
        build_features(frame, labels, FeatureConfig())
    one = pd.Series(["A"] * len(frame), dtype="string")
    with pytest.raises(SchemaError, match="at least 2"):
        build_features(frame, one, FeatureConfig(numeric=("count",)))
    with pytest.raises(SchemaError, match="'nope'"):
        build_features(frame, labels, FeatureConfig(numeric=("nope",)))
    with pytest.raises(ParameterError, match=r"^features: text_dim=0 is not allowed; it must be a whole number in 1\.\.512\.$"):
        build_features(frame, labels, FeatureConfig(numeric=("count",), text_dim=0))
    with pytest.raises(ParameterError, match=r"^features: max_categories=1001 is not allowed"):
        build_features(frame, labels, FeatureConfig(numeric=("count",), max_categories=1001))
    with pytest.raises(ParameterError, match=r"^features: seed=-1 is not allowed"):
        build_features(frame, labels, FeatureConfig(numeric=("count",), seed=-1))


def test_from_roles_and_real_catalog():
    table = load_table(DATA + "amazon_uk_toys_catalog.csv")
    label = "amazon_category_and_sub_category"
    roles = infer_roles(table.frame, label=label)
    cfg = FeatureConfig.from_roles(roles, text_dim=8)
    assert "price" in cfg.numeric and "product_name" in cfg.text and "uniq_id" not in cfg.columns
    frame = table.frame.iloc[:1500]
    labels = label_values(frame, label, level=1, separator=detect_separator(frame[label]))
    sp = build_features(frame, labels, cfg)
    assert sp.X.shape[0] == int(labels.notna().sum())
    assert np.isfinite(sp.X).all()
    # the default text encoder (minilm-static) gives unit vectors of fixed weights, scaled by a constant:
    # every title with a known token has squared length TEXT_BLOCK_VARIANCE (4), whatever the catalog
    text = sp.X[:, sp.blocks["(text)"]]
    assert text.shape[1] == 256
    assert np.allclose((text**2).sum(axis=1), 4.0, rtol=1e-5)
    # TF-IDF is fitted on the catalog: centred, total variance 4
    sp = build_features(frame, labels, replace(cfg, text_encoder="tfidf"))
    text = sp.X[:, sp.blocks["(text)"]]
    assert text.shape[1] == 8
    assert text.var(axis=0).sum() == pytest.approx(4.0, rel=1e-6)


def test_text_encoder_above_its_sample_size_fits_on_a_seeded_sample_and_encodes_every_row():
    """Above ``sample_above`` documents, terms, weights and SVD come from ``fit_rows`` of them (seeded)
    and every document is encoded with them: equal to scikit-learn fitted by hand on those rows."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    from core.data.features import TfidfSvdEncoder

    rng = np.random.default_rng(2)
    words = np.array([f"w{i}" for i in range(300)])
    docs = [" ".join(rng.choice(words, size=rng.integers(3, 9))) for _ in range(1200)]
    enc = TfidfSvdEncoder(dim=8, seed=5, sample_above=1000, fit_rows=400)
    got = enc.fit_transform(docs)
    rows = np.sort(np.random.default_rng(5).choice(len(docs), size=400, replace=False))
    vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_features=20_000).fit([docs[i] for i in rows])
    tfidf = vec.transform(docs)
    svd = TruncatedSVD(n_components=8, random_state=5, algorithm="randomized", n_iter=5).fit(tfidf[rows])
    np.testing.assert_allclose(got, svd.transform(tfidf), atol=1e-10)
    np.testing.assert_array_equal(got, enc.fit_transform(docs))  # a replay gives the same features
    assert enc.sample_note(1200) == ("Text: the TF-IDF terms and weights and their SVD were fitted on a random sample of "
                                     "400 of the 1,200 rows (seeded, so a replay gives the same features); every row is "
                                     "encoded with them.")
    assert enc.sample_note(1000) is None
    small = TfidfSvdEncoder(dim=8, seed=5)  # below the default 200,000: fitted on every row, as before
    full_vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_features=20_000)
    full = TruncatedSVD(n_components=8, random_state=5, algorithm="randomized", n_iter=5).fit_transform(
        full_vec.fit_transform(docs))
    np.testing.assert_allclose(small.fit_transform(docs), full, atol=1e-10)
