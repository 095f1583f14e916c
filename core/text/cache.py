"""Text vectors cached by (encoder id, weights sha256, text) for the life of the process.

Changing a column's role, revisiting a page or running another strategy builds the feature space
again; the text of every row it has seen is not embedded again. Each distinct text is embedded
once per call too (catalogs repeat titles). An encoder's row depends only on its own text, so a
cached row has exactly the bits a fresh one would have.

The cache keeps at most ``SKEWLAB_EMBED_CACHE_MB`` megabytes of vectors (default 1024; 0 turns
it off), least recently used dropped first.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["EmbeddingCache", "clear", "default_cache", "embed_cached", "text_key"]

#: Bytes of bookkeeping per cached row, beside the vector itself (key, array header, dict slot).
ROW_OVERHEAD = 200


def text_key(text: str) -> bytes:
    """16-byte digest of a text (the cache does not keep the texts themselves)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class EmbeddingCache:
    """LRU of vector rows by bytes; thread-safe; computes outside the lock."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self._rows: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
            self._bytes = 0

    def get_rows(self, encoder: tuple[str, str], digests: Sequence[bytes], out: np.ndarray) -> list[int]:
        """Fill ``out[i]`` for every cached digest; return the positions that are not cached."""
        missing = []
        with self._lock:
            for i, d in enumerate(digests):
                row = self._rows.get((encoder, d))
                if row is None:
                    missing.append(i)
                else:
                    self._rows.move_to_end((encoder, d))
                    out[i] = row
            self.hits += len(digests) - len(missing)
            self.misses += len(missing)
        return missing

    def put_rows(self, encoder: tuple[str, str], digests: Sequence[bytes], rows: np.ndarray) -> None:
        """Keep ``rows[i]`` under ``digests[i]`` (copies), then drop the oldest rows over the byte bound."""
        if self.max_bytes <= 0:
            return
        per_row = rows.shape[1] * rows.itemsize + ROW_OVERHEAD if rows.ndim == 2 else ROW_OVERHEAD
        with self._lock:
            for d, row in zip(digests, rows):
                key = (encoder, d)
                if key not in self._rows:
                    self._bytes += per_row
                self._rows[key] = row.copy()
                self._rows.move_to_end(key)
            while self._rows and self._bytes > self.max_bytes:
                _, old = self._rows.popitem(last=False)
                self._bytes -= old.size * old.itemsize + ROW_OVERHEAD


_DEFAULT: EmbeddingCache | None = None
_DEFAULT_LOCK = threading.Lock()


def default_cache() -> EmbeddingCache:
    """The process's cache (bounded by ``SKEWLAB_EMBED_CACHE_MB``)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            try:
                mb = float(os.environ.get("SKEWLAB_EMBED_CACHE_MB", "1024"))
            except ValueError:
                mb = 1024.0
            _DEFAULT = EmbeddingCache(int(max(mb, 0) * 1024**2))
        return _DEFAULT


def clear() -> None:
    """Empty the process's cache."""
    default_cache().clear()


def embed_cached(encoder: tuple[str, str], texts: Sequence[str], compute: Callable[[list[str]], np.ndarray], *,
                 dim: int, cache: EmbeddingCache | None = None) -> np.ndarray:
    """Vectors of ``texts``: each distinct text once, cached ones from the cache, the rest from ``compute``.

    Parameters
    ----------
    encoder : (id, weights sha256)
        Whose vectors these are.
    texts : sequence of str
    compute : callable(list of str) -> ndarray (m, dim)
        Embeds texts that are not cached (each row must depend only on its own text).
    dim : int
    cache : EmbeddingCache, optional
        Default: :func:`default_cache`.

    Returns
    -------
    ndarray (len(texts), dim), float32
    """
    cache = cache if cache is not None else default_cache()
    index: dict[str, int] = {}
    inverse = np.fromiter((index.setdefault(t, len(index)) for t in texts), dtype=np.int64, count=len(texts))
    unique = list(index)
    digests = [text_key(t) for t in unique]
    rows = np.empty((len(unique), dim), dtype=np.float32)
    missing = cache.get_rows(encoder, digests, rows)
    if missing:
        new = np.asarray(compute([unique[i] for i in missing]), dtype=np.float32)
        if new.shape != (len(missing), dim):
            raise RuntimeError(f"The encoder {encoder[0]} returned shape {new.shape}; expected ({len(missing)}, {dim}).")
        rows[missing] = new
        cache.put_rows(encoder, [digests[i] for i in missing], new)
    return rows[inverse]
