"""A deterministic long-tail product catalog shaped like the real ones (issue 15).

``make_longtail(n_rows, n_classes, seed)``: Zipf-like class sizes with a long tail of tiny
classes (about 22 % singletons and 27 % of classes with 2-5 rows, as in a 22k-row, 706-class
electronics catalog), a ``title`` made of class words, a brand and a model number, a ``brand``
column with about 1,500 distinct values, a ``model`` code and a ``price`` with about 10 % empty
cells. The label column is ``category``. Same arguments, same frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LABEL = "category"
SINGLETON_SHARE = 0.22
SMALL_SHARE = 0.27  # classes of 2-5 rows
N_BRANDS = 1500
PRICE_EMPTY = 0.10

_SYL = ("ka", "lo", "mi", "ra", "ton", "vel", "sar", "bri", "dun", "pex", "zor", "qui", "fen", "lux", "mor",
        "nap", "oro", "pli", "rin", "sto", "tam", "ulo", "vix", "wen", "yal", "zep", "gar", "hul", "jin", "kre")
_COMMON = ("usb", "black", "white", "pro", "mini", "kit", "cable", "wireless", "pack", "new", "for", "with", "and",
           "hd", "2m", "set", "case", "smart", "dual", "compact")


def longtail_sizes(n_rows: int, n_classes: int) -> np.ndarray:
    """Class sizes summing to ``n_rows``, largest first: singletons, 2-5 rows, then a Zipf head."""
    n_single = int(round(SINGLETON_SHARE * n_classes))
    n_small = int(round(SMALL_SHARE * n_classes))
    n_big = n_classes - n_single - n_small
    small = 2 + (np.arange(n_small) * 4) // max(n_small, 1)  # 2, 3, 4, 5 in equal shares
    rest = n_rows - n_single - int(small.sum())
    if n_big < 1 or rest < 6 * n_big:
        raise ValueError(f"{n_rows} rows are too few for {n_classes} classes")
    w = 1.0 / np.arange(1, n_big + 1) ** 1.1
    big = np.maximum(np.floor(w / w.sum() * rest).astype(np.int64), 6)
    big[0] += rest - int(big.sum())
    return np.concatenate([big, np.sort(small)[::-1], np.ones(n_single, dtype=np.int64)]).astype(np.int64)


def _words(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    syl = rng.integers(0, len(_SYL), size=(n, k, 3))
    return np.array([["".join(_SYL[s] for s in w) for w in row] for row in syl], dtype=object)


def make_longtail(n_rows: int, n_classes: int, seed: int = 0) -> pd.DataFrame:
    """The catalog: ``category`` (label), ``title``, ``brand``, ``model``, ``price`` (strings, as a CSV loads)."""
    rng = np.random.default_rng(seed)
    sizes = longtail_sizes(n_rows, n_classes)
    y = np.repeat(np.arange(n_classes), sizes)
    rng.shuffle(y)
    names = np.array([f"Electronics > Group {i % 40:02d} > Type {i:04d}" for i in range(n_classes)], dtype=object)
    vocab = _words(rng, n_classes, 6)  # 6 words of each class
    brands = np.array([f"Brand{i:04d}" for i in range(N_BRANDS)], dtype=object)
    # a brand per class (shared by neighbours), 30 % of rows any brand
    brand_of_class = rng.integers(0, N_BRANDS, n_classes)
    brand = np.where(rng.random(n_rows) < 0.7, brand_of_class[y], rng.integers(0, N_BRANDS, n_rows))
    common = np.array(_COMMON, dtype=object)
    w = rng.integers(0, 6, size=(n_rows, 3))
    c = rng.integers(0, len(common), size=(n_rows, 2))
    model = rng.integers(100, 9999, n_rows)
    title = [f"{brands[b]} {vocab[k, a]} {common[p]} {vocab[k, d]} {common[q]} {vocab[k, e]} M{m}"
             for b, k, (a, d, e), (p, q), m in zip(brand, y, w, c, model)]
    price = np.round(np.exp(rng.normal(rng.uniform(1.5, 6.0, n_classes)[y], 0.6)), 2)
    price_txt = np.array([f"{p:.2f}" for p in price], dtype=object)
    price_txt[rng.random(n_rows) < PRICE_EMPTY] = ""
    return pd.DataFrame({
        "title": title,
        "brand": brands[brand],
        "model": [f"M{m}" for m in model],
        "price": price_txt,
        LABEL: names[y],
    })
