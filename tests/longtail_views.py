"""A deterministic long-tail catalog for the tail views: hundreds to thousands of classes.

``make_longtail(n_rows, n_classes, seed=0)`` gives a product table shaped like a real electronics
catalog: a ``"Department > Family > Type"`` category (Zipf-like sizes, many single-row classes),
a title built from class-specific words, a brand, a model code and a price. The classes are
learnable from the title and the price. ``sizes(n_rows, n_classes)`` are the class sizes alone.

Same arguments, same table (no global random state).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LABEL = "category"
DEPARTMENTS = ("Electronics", "Computers", "Audio", "Cameras", "Phones", "Home", "Gaming", "Cables")
FAMILIES = ("Accessories", "Parts", "Devices", "Kits", "Adapters", "Storage", "Power", "Mounts", "Cases")
SYLLABLES = ("ka", "lo", "mi", "ra", "ton", "vel", "sar", "bri", "dun", "pex", "zor", "qui", "fen", "lux",
             "mor", "nap", "oro", "pli", "rin", "sto", "tam", "ulo", "vix", "wen", "yal", "zep")
BRANDS = ("Sony", "Anker", "Belkin", "Logitech", "Samsung", "Philips", "Generic", "TP-Link", "Ugreen", "JBL")
COMMON = ("pro", "mini", "usb", "black", "white", "2m", "pack", "new", "for", "with", "hd", "wireless")
#: Zipf exponent: at 700 classes and 22,000 rows about a fifth of the classes have one row.
EXPONENT = 1.25


def sizes(n_rows: int, n_classes: int, *, exponent: float = EXPONENT) -> np.ndarray:
    """Class sizes, largest first, summing to ``n_rows``; every class has at least one row."""
    if n_rows < 2 * n_classes:
        raise ValueError(f"n_rows={n_rows} is too small for {n_classes} classes (need at least {2 * n_classes})")
    w = 1.0 / np.arange(1, n_classes + 1) ** exponent
    out = np.maximum(np.floor(w / w.sum() * n_rows).astype(np.int64), 1)
    out[0] += n_rows - int(out.sum())
    return out


def class_names(n_classes: int) -> list[str]:
    """Unique three-level names, deterministic."""
    names = []
    for i in range(n_classes):
        word = SYLLABLES[i % len(SYLLABLES)] + SYLLABLES[(i // len(SYLLABLES)) % len(SYLLABLES)]
        names.append(f"{DEPARTMENTS[i % len(DEPARTMENTS)]} > {FAMILIES[(i * 5) % len(FAMILIES)]} > {word.title()} {i:04d}")
    return names


def make_longtail(n_rows: int = 22_000, n_classes: int = 700, *, seed: int = 0) -> pd.DataFrame:
    """The catalog: ``title``, ``brand``, ``model``, ``price`` (strings as in a CSV) and ``category``.

    Rows are shuffled, so a class's rows are spread over the table.
    """
    rng = np.random.default_rng(seed)
    n = sizes(n_rows, n_classes)
    names = class_names(n_classes)
    code = np.repeat(np.arange(n_classes), n)
    rng.shuffle(code)
    syl = np.array(SYLLABLES)
    own = np.array([syl[(i * 3) % len(syl)] + syl[(i * 7 + 1) % len(syl)] for i in range(n_classes)])
    other = syl[rng.integers(0, len(syl), (n_rows, 2))]
    common = np.array(COMMON)[rng.integers(0, len(COMMON), (n_rows, 2))]
    titles = [f"{own[c]} {a}{b} {x} {y}" for c, (a, b), (x, y) in zip(code.tolist(), other.tolist(), common.tolist())]
    base_price = np.exp(1.5 + 4.0 * ((np.arange(n_classes) * 0.618) % 1.0))
    price = np.round(base_price[code] * np.exp(rng.normal(0, 0.15, n_rows)), 2)
    brand = np.array(BRANDS)[(code * 3 + rng.integers(0, 3, n_rows)) % len(BRANDS)]
    model = [f"M{c % 97:02d}-{v:04d}" for c, v in zip(code.tolist(), rng.integers(0, 10_000, n_rows).tolist())]
    return pd.DataFrame({
        "title": titles, "brand": brand, "model": model, "price": [f"{p:.2f}" for p in price],
        LABEL: np.array(names, dtype=object)[code],
    })
