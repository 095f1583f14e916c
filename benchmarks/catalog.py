"""Synthetic long-tail catalogs for benchmarks.

``make_catalog`` gives a table shaped like the built-in sample (``data/amazon_uk_toys_catalog.csv``):
a hierarchical ``"Top > Sub"`` category path with Zipf-like class sizes, a product title drawn
from class-specific word lists, brand, price (2 decimals), stock text, review and answered-question
counts (ints) and a rating (1-5, one decimal). Numeric distributions depend on the class, so the
classes are learnable from the columns.

``make_features`` gives dense ``(X, y)`` (class-dependent Gaussian blobs, Zipf-like class sizes)
for resampler benchmarks that do not need the text pipeline.

Everything is deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LABEL = "amazon_category_and_sub_category"

_TOPS = (
    "Hobbies", "Games", "Arts & Crafts", "Baby & Toddler", "Figures & Playsets", "Sports",
    "Dolls & Accessories", "Vehicles", "Puzzles", "Party Supplies", "Garden", "Electronic Toys",
)
_SUBS = (
    "Model Trains", "Board Games", "Card Games", "Painting", "Beads", "Rattles", "Soft Toys",
    "Action Figures", "Playsets", "Balls", "Outdoor", "Fashion Dolls", "Doll Houses", "Cars",
    "Aircraft", "Jigsaws", "3D Puzzles", "Balloons", "Costumes", "Sandpits", "Robots", "Drones",
    "Kites", "Trains", "Rockets", "Magnets", "Stickers", "Clay", "Science Kits", "Blocks",
)
_SYLLABLES = (
    "ka", "lo", "mi", "ra", "ton", "vel", "sar", "bri", "dun", "pex", "zor", "qui", "fen", "lux",
    "mor", "nap", "oro", "pli", "rin", "sto", "tam", "ulo", "vix", "wen", "yal", "zep",
)
_COMMON = (
    "set", "pack", "kids", "toy", "new", "edition", "deluxe", "mini", "large", "classic", "red",
    "blue", "green", "gift", "with", "and", "for", "boys", "girls", "age", "3+", "series",
)
_BRANDS = ("Hornby", "Lego", "Mattel", "Hasbro", "Bachmann", "Generic", "Playmobil", "Ravensburger",
           "Melissa & Doug", "Vtech", "Corgi", "Kato", "Schleich", "Crayola", "Airfix")


def class_sizes(n_rows: int, n_classes: int = 50, *, exponent: float = 1.1) -> np.ndarray:
    """Zipf-like class sizes summing to ``n_rows``, largest first, every class >= 6 rows."""
    if n_rows < 6 * n_classes:
        raise ValueError(f"n_rows={n_rows} too small for {n_classes} classes (need >= {6 * n_classes})")
    w = 1.0 / np.arange(1, n_classes + 1) ** exponent
    sizes = np.maximum(np.floor(w / w.sum() * n_rows).astype(np.int64), 6)
    # fix the total on the head class
    sizes[0] += n_rows - sizes.sum()
    return sizes


def class_names(n_classes: int = 50) -> list[str]:
    """``"Top > Sub"`` labels, unique, deterministic."""
    names = []
    for i in range(n_classes):
        top = _TOPS[i % len(_TOPS)]
        sub = _SUBS[(i * 7) % len(_SUBS)]
        name = f"{top} > {sub}"
        if name in names:
            name = f"{top} > {sub} {i}"
        names.append(name)
    return names


def _labels(sizes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    y = np.repeat(np.arange(len(sizes)), sizes)
    rng.shuffle(y)
    return y


def make_catalog(
    n_rows: int,
    n_classes: int = 50,
    seed: int = 0,
    n_numeric: int = 4,
    with_text: bool = True,
) -> pd.DataFrame:
    """A synthetic long-tail product catalog shaped like the built-in sample.

    Parameters
    ----------
    n_rows : int
        Number of rows.
    n_classes : int
        Number of category paths (Zipf-like sizes, largest first).
    seed : int
        Seed; same seed, same frame.
    n_numeric : int
        Numeric columns: 4 gives price, number_of_reviews, number_of_answered_questions and
        average_rating; more adds ``feature_<i>`` float columns (class-dependent).
    with_text : bool
        Include ``uniq_id``, ``product_name``, ``manufacturer`` and the stock text column.

    Returns
    -------
    pandas.DataFrame
        Columns like the sample; the label column is ``amazon_category_and_sub_category``.
    """
    rng = np.random.default_rng(seed)
    sizes = class_sizes(n_rows, n_classes)
    names = np.array(class_names(n_classes), dtype=object)
    y = _labels(sizes, rng)

    # class-dependent parameters
    price_mu = rng.uniform(1.5, 4.5, n_classes)          # log-price centre
    review_lam = rng.uniform(0.5, 30.0, n_classes)
    answer_lam = rng.uniform(0.2, 5.0, n_classes)
    rating_mu = rng.uniform(3.2, 4.9, n_classes)

    cols: dict[str, object] = {}
    if with_text:
        ids = rng.integers(0, 2**63 - 1, size=(n_rows, 2), dtype=np.int64)
        cols["uniq_id"] = [f"{a:016x}{b:016x}" for a, b in ids]
        # class-specific vocabulary: 12 made-up words per class
        vocab = []
        for _class in range(n_classes):
            syl = rng.integers(0, len(_SYLLABLES), size=(12, 3))
            vocab.append(["".join(_SYLLABLES[s] for s in row).capitalize() for row in syl])
        vocab_arr = np.array(vocab, dtype=object)            # (n_classes, 12)
        common = np.array(_COMMON, dtype=object)
        w1 = rng.integers(0, 12, n_rows)
        w2 = rng.integers(0, 12, n_rows)
        c1 = rng.integers(0, len(common), n_rows)
        c2 = rng.integers(0, len(common), n_rows)
        num = rng.integers(1, 999, n_rows)
        cols["product_name"] = [
            f"{vocab_arr[k, a]} {common[p]} {vocab_arr[k, b]} {common[q]} {m}"
            for k, a, b, p, q, m in zip(y, w1, w2, c1, c2, num)
        ]
    cols[LABEL] = names[y]
    if with_text:
        brand_of_class = rng.integers(0, len(_BRANDS), n_classes)
        other = rng.integers(0, len(_BRANDS), n_rows)
        pick = np.where(rng.random(n_rows) < 0.6, brand_of_class[y], other)
        cols["manufacturer"] = np.array(_BRANDS, dtype=object)[pick]
    price = np.round(np.exp(rng.normal(price_mu[y], 0.5)), 2)
    cols["price"] = price
    if with_text:
        stock = rng.integers(1, 40, n_rows)
        has = rng.random(n_rows) < 0.7
        cols["number_available_in_stock"] = np.where(
            has, np.char.add(stock.astype(str), " new").astype(object), "")
    cols["number_of_reviews"] = rng.poisson(review_lam[y]).astype(np.int64) + 1
    if n_numeric >= 3:
        cols["number_of_answered_questions"] = rng.poisson(answer_lam[y]).astype(np.int64) + 1
    if n_numeric >= 4:
        cols["average_rating"] = np.clip(np.round(rng.normal(rating_mu[y], 0.3), 1), 1.0, 5.0)
    for i in range(max(0, n_numeric - 4)):
        centre = rng.normal(0.0, 2.0, n_classes)
        cols[f"feature_{i}"] = rng.normal(centre[y], 1.0)
    return pd.DataFrame(cols)


def make_features(
    n_rows: int,
    n_features: int,
    n_classes: int = 50,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Dense class-dependent Gaussian blobs with Zipf-like class sizes.

    Returns
    -------
    X : ndarray of shape (n_rows, n_features), float64
    y : ndarray of shape (n_rows,), int64 class ids 0..n_classes-1 (0 is the largest)
    """
    rng = np.random.default_rng(seed)
    sizes = class_sizes(n_rows, n_classes)
    y = _labels(sizes, rng)
    centres = rng.normal(0.0, 1.5, size=(n_classes, n_features))
    X = rng.standard_normal((n_rows, n_features))
    X += centres[y]
    return X, y.astype(np.int64)


if __name__ == "__main__":  # pragma: no cover
    df = make_catalog(10_000)
    print(df.head())
    print(df[LABEL].value_counts().head(), df[LABEL].value_counts().tail())
    X, y = make_features(10_000, 20)
    print(X.shape, np.bincount(y)[:5], np.bincount(y)[-5:])
