"""A bounded, content-keyed cache for heavy results, shared by every session of the server.

``st.cache_resource`` cannot show progress on a miss without replaying UI calls on a hit, and it
bounds only the number of entries. This cache bounds entries and bytes, lets the caller show
progress while computing, and is keyed by content only (the same inputs give the same result,
whoever asks), so sessions never see each other's data unless they uploaded the same bytes.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import fields, is_dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st


def size_of(obj: Any, _depth: int = 0) -> int:
    """Rough bytes held by ``obj`` (arrays, frames, dataclasses, containers)."""
    if _depth > 4:
        return 0
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes) + (int(obj.size) * 48 if obj.dtype == object else 0)
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        # deep: text cells are most of a catalog (pyarrow-backed strings make this cheap)
        return int(obj.memory_usage(deep=True).sum() if isinstance(obj, pd.DataFrame) else obj.memory_usage(deep=True))
    if isinstance(getattr(type(obj), "nbytes", None), property):  # objects that know their size
        return int(obj.nbytes)
    if is_dataclass(obj) and not isinstance(obj, type):
        return sum(size_of(getattr(obj, f.name), _depth + 1) for f in fields(obj))
    if isinstance(obj, dict):
        return sum(size_of(v, _depth + 1) + 64 for v in list(obj.values())[:10_000])
    if isinstance(obj, (list, tuple)):
        return sum(size_of(v, _depth + 1) for v in obj[:10_000])
    return sys.getsizeof(obj)


class BoundedCache:
    """LRU by entries and bytes; thread-safe; computes outside the lock."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._data: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(n for _, n in self._data.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key][0]
            self.misses += 1
        value = compute()
        nbytes = size_of(value)
        with self._lock:
            if nbytes <= self.max_bytes:
                self._data[key] = (value, nbytes)
                self._data.move_to_end(key)
                total = sum(n for _, n in self._data.values())
                while self._data and (len(self._data) > self.max_entries or total > self.max_bytes):
                    _, (_, n) = self._data.popitem(last=False)
                    total -= n
        return value


@st.cache_resource(show_spinner=False)
def results_cache() -> BoundedCache:
    """Strategy results of every session: at most 48 entries and 2 GB."""
    return BoundedCache(max_entries=48, max_bytes=2 * 1024**3)


@st.cache_resource(show_spinner=False)
def heavy_cache() -> BoundedCache:
    """Feature spaces, maps and evaluations: at most 24 entries and 3 GB."""
    return BoundedCache(max_entries=24, max_bytes=3 * 1024**3)


@st.cache_resource(show_spinner=False)
def table_cache() -> BoundedCache:
    """Loaded catalogs: at most 8 entries and 4 GB."""
    return BoundedCache(max_entries=8, max_bytes=4 * 1024**3)
