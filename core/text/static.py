"""``minilm-static``: a static token table distilled from all-MiniLM-L6-v2 (model2vec's method).

A text's vector is the mean of its tokens' rows of the table (special tokens left out), L2
normalised: a tokenizer (:mod:`core.text.wordpiece`, pure Python) and one sparse matrix product,
no fitting. The same title gets the same vector in any catalog, so a recipe replays bit for bit.

The table (``assets/minilm_static.npz``: ``table`` int8 ``(30522, 256)`` and ``scale`` float32,
one per row) and the vocabulary are committed with their sha256 in ``assets/manifest.json`` and
checked when loaded; ``scripts/distill_minilm_static.py`` rebuilds the table (see
``assets/ATTRIBUTION.md`` for the model, its license and the method).
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import ClassVar

import numpy as np

from core.text.cache import embed_cached
from core.text.wordpiece import WordPiece, load_vocab

ASSETS = Path(__file__).resolve().parent / "assets"
MANIFEST = ASSETS / "manifest.json"
#: Texts embedded per step (progress is reported between steps).
CHUNK = 50_000
#: Fixed timestamp of the table's zip members, so the same arrays give the same file bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def manifest() -> dict:
    """The manifest of the committed assets (ids, versions, sha256s, source and method)."""
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def quantize_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Int8 rows and one float32 scale per row (``row ≈ q * scale``; an all-zero row has scale 1)."""
    table = np.asarray(table, dtype=np.float32)
    peak = np.abs(table).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(table / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


def table_bytes(q: np.ndarray, scale: np.ndarray) -> bytes:
    """The table file: an ``.npz`` (``table``, ``scale``) written with fixed zip metadata."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, arr in (("table.npy", q), ("scale.npy", scale)):
            body = io.BytesIO()
            np.lib.format.write_array(body, np.ascontiguousarray(arr), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), body.getvalue())
    return buf.getvalue()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def load_table() -> np.ndarray:
    """The token table as float32 ``(vocab, 256)``, after checking the file's sha256 (RuntimeError if it differs:
    the repository's copy is damaged)."""
    info = manifest()["table"]
    path = ASSETS / info["file"]
    if _sha256(path) != info["sha256"]:
        raise RuntimeError(f"{path} does not have the sha256 of core/text/assets/manifest.json; restore it from git.")
    with np.load(path, allow_pickle=False) as npz:
        return npz["table"].astype(np.float32) * npz["scale"][:, None]


@lru_cache(maxsize=1)
def tokenizer() -> WordPiece:
    """The model's WordPiece tokenizer (vocabulary checked against the manifest)."""
    info = manifest()["vocab"]
    path = ASSETS / info["file"]
    if _sha256(path) != info["sha256"]:
        raise RuntimeError(f"{path} does not have the sha256 of core/text/assets/manifest.json; restore it from git.")
    return WordPiece(load_vocab(path))


def static_vectors(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors ``(len(texts), 256)`` float32: the mean of each text's token rows, L2-normalised
    (zeros for a text without tokens). Each row depends only on its own text."""
    import scipy.sparse as sp

    wp, table = tokenizer(), load_table()
    ids = wp.batch_ids(texts)
    flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64)
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    row = np.repeat(np.arange(len(ids)), lengths)
    keep = ~np.isin(flat, np.fromiter(wp.special_ids, dtype=np.int64))
    counts = np.bincount(row[keep], minlength=len(ids))
    indptr = np.concatenate([[0], np.cumsum(counts)])
    tokens = sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.float32), flat[keep], indptr),
                           shape=(len(ids), table.shape[0]))
    sums = np.asarray(tokens @ table, dtype=np.float32)
    norms = np.sqrt((sums * sums).sum(axis=1))
    return np.divide(sums, norms[:, None], out=np.zeros_like(sums), where=norms[:, None] > 0)


@dataclass(frozen=True)
class StaticEncoder:
    """The ``minilm-static`` text encoder (the :class:`core.data.features.TextEncoder` protocol).

    Parameters
    ----------
    progress : callable(fraction, message), optional
        Called between steps of :data:`CHUNK` texts with the time left.
    """

    #: Unit vectors of fixed weights: the feature space scales them by a constant (no catalog statistics).
    fixed: ClassVar[bool] = True
    progress: Callable[[float, str], None] | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        """Cache key of the encoder: id and the table's sha256."""
        return ("minilm-static", manifest()["table"]["sha256"])

    def fit_transform(self, documents: list[str]) -> np.ndarray:
        """Unit vectors of ``documents`` (nothing is fitted: each row depends only on its text)."""
        return embed_cached(self.key, documents, self._compute, dim=int(manifest()["table"]["shape"][1]))

    def transform(self, documents: list[str]) -> np.ndarray:
        """Same as :meth:`fit_transform`."""
        return self.fit_transform(documents)

    def _compute(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), int(manifest()["table"]["shape"][1])), dtype=np.float32)
        t0 = time.perf_counter()
        for start in range(0, len(texts), CHUNK):
            out[start:start + CHUNK] = static_vectors(texts[start:start + CHUNK])
            done = min(start + CHUNK, len(texts))
            if self.progress is not None and done < len(texts):
                left = (time.perf_counter() - t0) / done * (len(texts) - done)
                self.progress(done / len(texts), f"text vectors of {done:,} of {len(texts):,} texts, about {left:,.0f} s left")
        return out
