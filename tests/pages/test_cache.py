"""The shared result cache is bounded by entries and bytes and keyed by content only."""

from __future__ import annotations

import numpy as np

from ui.cache import BoundedCache, size_of


def test_bounded_by_entries_least_recently_used_first():
    cache = BoundedCache(max_entries=2, max_bytes=10**9)
    calls = []
    for key in ("a", "b", "a", "c"):
        cache.get(key, lambda key=key: calls.append(key) or key.upper())
    assert calls == ["a", "b", "c"]  # 'a' was a hit the second time
    assert len(cache) == 2 and "a" in cache and "c" in cache and "b" not in cache


def test_bounded_by_bytes():
    cache = BoundedCache(max_entries=100, max_bytes=3 * 8_000)
    for i in range(5):
        cache.get(i, lambda: np.zeros(1000))  # 8,000 bytes each
    assert len(cache) == 3
    assert cache.nbytes == 24_000
    big = cache.get("big", lambda: np.zeros(10_000))  # larger than the whole budget: returned, not kept
    assert big.shape == (10_000,) and "big" not in cache


def test_same_content_same_entry_and_size_estimate():
    cache = BoundedCache(max_entries=10, max_bytes=10**9)
    first = cache.get(("sha", "smote", 0), lambda: object())
    assert cache.get(("sha", "smote", 0), lambda: object()) is first
    assert cache.hits == 1 and cache.misses == 1
    assert size_of({"x": np.zeros(100)}) >= 800
