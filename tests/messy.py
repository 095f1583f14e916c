"""A generated messy product catalog for the tests: deterministic, small, and as untidy as real ones.

- ``sku``: an id per row;
- ``title``: a few words, drawn per type (text);
- ``category`` / ``sub_category`` / ``type``: a three-level hierarchy; ``sub_category`` is the label,
  with Zipf class sizes down to singletons;
- ``brand``: hundreds of brands (high cardinality, many seen once), some empty;
- ``price``: money text (``£1,299.00``, ``12.5``, ``£7``) with about 20% empty cells;
- ``rating``: whole numbers 1..5 with empty cells.

Every cell is text; :func:`messy_csv` gives the bytes to load with :func:`core.data.load_table`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["LABEL", "messy_catalog", "messy_csv"]

LABEL = "sub_category"
WORDS = ("wooden", "magnetic", "deluxe", "mini", "giant", "classic", "racing", "puzzle", "robot", "doll",
         "castle", "farm", "space", "pirate", "train", "glitter", "musical", "soft", "retro", "pocket")


def messy_catalog(n_rows: int = 3000, *, n_classes: int = 40, n_brands: int = 400, seed: int = 7) -> pd.DataFrame:
    """The catalog: ``n_rows`` rows, ``n_classes`` sub-categories of Zipf sizes (the last ones singletons)."""
    rng = np.random.default_rng(seed)
    # Zipf sizes, largest first; the tail ends in singletons
    raw = 1.0 / np.arange(1, n_classes + 1) ** 1.6
    sizes = np.maximum(1, np.floor(raw / raw.sum() * n_rows)).astype(int)
    sizes[-4:] = 1
    sizes[0] += n_rows - sizes.sum()
    subs = [f"sub {i:02d}" for i in range(n_classes)]
    cat_of = {s: f"category {i % 6}" for i, s in enumerate(subs)}
    types_of = {s: [f"{s} type {j}" for j in range(1 + i % 4)] for i, s in enumerate(subs)}
    sub = np.repeat(subs, sizes)
    rng.shuffle(sub)
    n = len(sub)
    kind = np.array([types_of[s][k % len(types_of[s])] for s, k in zip(sub, rng.integers(0, 4, n))], dtype=object)
    # brands: a few big ones and a long tail
    brand_rank = np.minimum(rng.zipf(1.3, n), n_brands) - 1
    brand = np.array([f"Brand {b:03d}" for b in brand_rank], dtype=object)
    brand[rng.random(n) < 0.05] = ""
    # price: level per sub-category, money text in several shapes, ~20% empty
    level = {s: 5 + 40 * (i % 7) for i, s in enumerate(subs)}
    value = np.array([level[s] for s in sub]) * rng.lognormal(0, 0.4, n)
    shape = rng.integers(0, 3, n)
    price = np.array(
        [f"£{v:,.2f}" if k == 0 else (f"{v:.1f}" if k == 1 else f"£{round(v)}") for v, k in zip(value, shape)], dtype=object
    )
    price[rng.random(n) < 0.2] = ""
    rating = rng.integers(1, 6, n).astype(str).astype(object)
    rating[rng.random(n) < 0.12] = ""
    title = np.array(
        [" ".join([t.split(" type ")[0].replace("sub", "toy"), *rng.choice(WORDS, 3, replace=False)]) for t in kind],
        dtype=object,
    )
    frame = pd.DataFrame({
        "sku": [f"SKU-{i:06d}" for i in range(n)],
        "title": title,
        "category": [cat_of[s] for s in sub],
        LABEL: sub,
        "type": kind,
        "brand": brand,
        "price": price,
        "rating": rating,
    })
    return frame


def messy_csv(n_rows: int = 3000, **kw) -> bytes:
    """The catalog as CSV bytes (UTF-8)."""
    return messy_catalog(n_rows, **kw).to_csv(index=False).encode("utf-8")
