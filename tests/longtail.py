"""Synthetic catalogs with a real long tail: thousands of classes, hundreds of singletons.

``make_longtail(n_rows, n_classes)`` gives a product table shaped like the real catalogs of the
issue (22k electronics rows, 706 classes, 157 singletons, 346 classes under 6 rows, 1,229 rows
without a label):

- class sizes: 22% of the classes are singletons and 27% hold 2 to 5 rows (the shares of the
  real catalog); the other classes follow Zipf's law (size ~ rank ** -1.1, at least 6 rows);
- a path label ``Top > Sub > Leaf`` in ``category`` (``hierarchy=False``: the leaf name only),
  every leaf under one sub-category and every sub-category under one top category;
  ``level_columns=True`` adds ``category_top``, ``category_sub`` and ``category_leaf``
  (they repeat the label: leave them out of the features);
- ``title``: 8 to 13 words, class-specific made-up words mixed with words shared by the
  sub-category and common shop words, plus a model number;
- ``brand``: high cardinality (a pool of ``max(100, n_rows // 40)`` names, Zipf-distributed,
  each class favouring a few), about 2,000 distinct at 100k rows;
- ``price`` (2 decimals, class-dependent log-normal) with exactly ``round(0.1 * n_rows)`` empty
  cells, ``rating`` (1-5, one decimal) with ``round(0.15 * n_rows)`` empty cells;
- ``sku`` (unique id) and ``max(1, n_rows // 200)`` rows without a label (their other cells are
  filled like any row's).

Same arguments, same frame. The tests and the benchmarks use this one generator.

    python benchmarks/longtail.py --rows 100000 --classes 2000 --out /tmp/x.csv   # or .parquet
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

LABEL = "category"
SEPARATOR = " > "
LEVEL_COLUMNS = ("category_top", "category_sub", "category_leaf")
#: Shares of the classes that are singletons and that hold 2-5 rows (the real catalog's).
SINGLETON_SHARE = 0.22
SMALL_SHARE = 0.27
ZIPF_EXPONENT = 1.1
BODY_MIN = 6
EMPTY_PRICE_SHARE = 0.10
EMPTY_RATING_SHARE = 0.15

_TOPS = (
    "Computers", "Phones", "TV & Video", "Audio", "Cameras", "Gaming", "Smart Home", "Wearables",
    "Car Electronics", "Office", "Networking", "Components", "Accessories", "Appliances",
)
_SYLLABLES = (
    "ka", "lo", "mi", "ra", "ton", "vel", "sar", "bri", "dun", "pex", "zor", "qui", "fen", "lux",
    "mor", "nap", "oro", "pli", "rin", "sto", "tam", "ulo", "vix", "wen", "yal", "zep", "cor", "dra",
)
_COMMON = (
    "black", "white", "new", "pro", "mini", "max", "plus", "usb", "wireless", "portable", "pack",
    "for", "with", "and", "compatible", "edition", "series", "hd", "smart", "fast", "charger", "cable",
    "case", "kit", "replacement", "original", "2-pack", "compact", "ultra", "slim",
)


def minimum_rows(n_classes: int) -> int:
    """Fewest rows ``make_longtail`` accepts for ``n_classes`` classes."""
    n_single, n_small = _tail_counts(n_classes)
    n_body = n_classes - n_single - n_small
    labelled = n_single + sum(2 + i % 4 for i in range(n_small)) + BODY_MIN * n_body
    n = labelled + 1
    while n - max(1, n // 200) < labelled:
        n += 1
    return n


def _tail_counts(n_classes: int) -> tuple[int, int]:
    n_single = int(round(SINGLETON_SHARE * n_classes))
    n_small = int(round(SMALL_SHARE * n_classes))
    if n_classes - n_single - n_small < 1:
        n_single, n_small = max(0, n_classes - 1 - n_small), min(n_small, n_classes - 1)
    return n_single, n_small


def class_sizes(n_labelled: int, n_classes: int) -> np.ndarray:
    """Rows per class, largest first, summing to ``n_labelled``: a Zipf body (>= 6 rows), then
    classes of 5 to 2 rows, then singletons."""
    n_single, n_small = _tail_counts(n_classes)
    n_body = n_classes - n_single - n_small
    small = np.sort(np.array([2 + i % 4 for i in range(n_small)], dtype=np.int64))[::-1]
    body_rows = n_labelled - n_single - int(small.sum())
    if n_body < 1 or body_rows < BODY_MIN * n_body:
        raise ValueError(f"{n_labelled:,} labelled rows are too few for {n_classes:,} classes")
    w = 1.0 / np.arange(1, n_body + 1) ** ZIPF_EXPONENT
    body = np.maximum(np.floor(w / w.sum() * body_rows).astype(np.int64), BODY_MIN)
    body[0] += body_rows - body.sum()  # the total is fixed on the head class
    if body[0] < body[1:2].max(initial=0):  # few rows: 6 each, the rest shared by Zipf's law
        extra = body_rows - BODY_MIN * n_body
        body = BODY_MIN + np.floor(w / w.sum() * extra).astype(np.int64)
        body[0] += body_rows - body.sum()
    return np.concatenate([body, small, np.ones(n_single, dtype=np.int64)])


def _words(rng: np.random.Generator, n: int, syllables: int = 3) -> list[str]:
    """``n`` distinct made-up words of ``syllables`` syllables (more when there are too few such words)."""
    while len(_SYLLABLES) ** syllables < 4 * n:
        syllables += 1
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        s = rng.integers(0, len(_SYLLABLES), size=syllables)
        word = "".join(_SYLLABLES[i] for i in s)
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def _hierarchy(n_classes: int, rng: np.random.Generator) -> tuple[list[str], list[str], list[str]]:
    """Top, sub and leaf name of every class; each leaf under one sub, each sub under one top."""
    n_sub = max(2, int(round(np.sqrt(n_classes) * 1.5)))
    n_top = min(len(_TOPS), max(2, n_sub // 4))
    sub_names = [w.capitalize() + " " + _COMMON[i % len(_COMMON)].capitalize()
                 for i, w in enumerate(_words(rng, n_sub, 2))]
    sub_top = [_TOPS[j % n_top] for j in range(n_sub)]
    leaf_words = _words(rng, n_classes, 3)
    sub_of = rng.integers(0, n_sub, n_classes)
    sub_of[: min(n_sub, n_classes)] = np.arange(min(n_sub, n_classes))  # every sub has a leaf
    tops = [sub_top[s] for s in sub_of]
    subs = [sub_names[s] for s in sub_of]
    leaves = [w.capitalize() for w in leaf_words]
    return tops, subs, leaves


def _titles(y: np.ndarray, sub_of: np.ndarray, n_classes: int, n_sub: int, rng: np.random.Generator) -> list[str]:
    """8-13 words: 3 from the class's own words, 2 from its sub-category's, the rest common."""
    n = len(y)
    class_vocab = np.array(_words(rng, n_classes * 8, 3), dtype=object).reshape(n_classes, 8)
    sub_vocab = np.array(_words(rng, n_sub * 6, 2), dtype=object).reshape(n_sub, 6)
    common = np.array(_COMMON, dtype=object)
    own = class_vocab[y[:, None], rng.integers(0, 8, (n, 3))]
    shared = sub_vocab[sub_of[y][:, None], rng.integers(0, 6, (n, 2))]
    filler = common[rng.integers(0, len(common), (n, 8))]
    n_filler = rng.integers(3, 9, n)
    model = rng.integers(100, 9999, n)
    return [
        f"{o[0].capitalize()} {s[0]} {o[1]} {' '.join(f[:k])} {s[1]} {o[2]} {m}"
        for o, s, f, k, m in zip(own, shared, filler, n_filler, model)
    ]


def _brands(y: np.ndarray, n_classes: int, n_rows: int, rng: np.random.Generator) -> np.ndarray:
    """Zipf over a pool of ``max(100, n_rows // 40)`` names; 60% of rows take one of their class's 3 brands."""
    pool = max(100, n_rows // 40)
    names = np.array([w.capitalize() + suffix for w, suffix in
                      zip(_words(rng, pool, 3), np.resize(["", "", " Tech", " Audio", " Pro", "X"], pool))],
                     dtype=object)
    p = 1.0 / np.arange(1, pool + 1) ** ZIPF_EXPONENT
    p /= p.sum()
    favourite = rng.integers(0, pool, (n_classes, 3))
    general = rng.choice(pool, size=n_rows, p=p)
    own = favourite[y, rng.integers(0, 3, n_rows)]
    return names[np.where(rng.random(n_rows) < 0.6, own, general)]


def _blank(values: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """``values`` as float with exactly ``round(share * n)`` cells NaN (written as empty cells)."""
    out = values.astype(np.float64)
    out[rng.choice(len(out), size=int(round(share * len(out))), replace=False)] = np.nan
    return out


def make_longtail(n_rows: int, n_classes: int, *, seed: int = 0, hierarchy: bool = True,
                  level_columns: bool = False) -> pd.DataFrame:
    """A long-tail product catalog with exactly ``n_rows`` rows and ``n_classes`` labels.

    Parameters
    ----------
    n_rows : int
        Rows, the unlabelled ones included (at least :func:`minimum_rows`).
    n_classes : int
        Distinct labels (at least 2).
    seed : int
        Same seed, same frame.
    hierarchy : bool
        Label ``Top > Sub > Leaf`` (True) or the leaf name alone (False).
    level_columns : bool
        Add ``category_top``, ``category_sub``, ``category_leaf`` (empty where the label is).

    Returns
    -------
    pandas.DataFrame
        ``sku``, ``title``, ``brand``, ``price``, ``rating``, ``category`` (None = no label)
        and, when asked, the level columns.
    """
    if n_classes < 2:
        raise ValueError("n_classes must be at least 2")
    if n_rows < minimum_rows(n_classes):
        raise ValueError(f"n_rows={n_rows:,} is too small for {n_classes:,} classes "
                         f"(need at least {minimum_rows(n_classes):,})")
    rng = np.random.default_rng(seed)
    n_unlabelled = max(1, n_rows // 200)
    sizes = class_sizes(n_rows - n_unlabelled, n_classes)
    tops, subs, leaves = _hierarchy(n_classes, rng)
    sub_index = {s: i for i, s in enumerate(dict.fromkeys(subs))}
    sub_of = np.array([sub_index[s] for s in subs], dtype=np.int64)
    # unlabelled rows look like rows of some class (their class is just not known)
    y = np.concatenate([np.repeat(np.arange(n_classes), sizes), rng.integers(0, n_classes, n_unlabelled)])
    labelled = np.concatenate([np.ones(n_rows - n_unlabelled, bool), np.zeros(n_unlabelled, bool)])
    order = rng.permutation(n_rows)
    y, labelled = y[order], labelled[order]

    paths = np.array([f"{t}{SEPARATOR}{s}{SEPARATOR}{leaf}" if hierarchy else leaf
                      for t, s, leaf in zip(tops, subs, leaves)], dtype=object)
    price_mu = rng.uniform(1.5, 6.0, n_classes)
    rating_mu = rng.uniform(3.0, 4.9, n_classes)
    cols: dict[str, object] = {
        "sku": np.char.add("SKU-", np.char.zfill((rng.permutation(n_rows) + 1).astype(str), 8)).astype(object),
        "title": _titles(y, sub_of, n_classes, len(sub_index), rng),
        "brand": _brands(y, n_classes, n_rows, rng),
        "price": _blank(np.round(np.exp(rng.normal(price_mu[y], 0.6)), 2), EMPTY_PRICE_SHARE, rng),
        "rating": _blank(np.clip(np.round(rng.normal(rating_mu[y], 0.4), 1), 1.0, 5.0), EMPTY_RATING_SHARE, rng),
        LABEL: np.where(labelled, paths[y], None),
    }
    if level_columns:
        for name, values in zip(LEVEL_COLUMNS, (tops, subs, leaves)):
            cols[name] = np.where(labelled, np.array(values, dtype=object)[y], None)
    return pd.DataFrame(cols)


def write(frame: pd.DataFrame, path: str) -> None:
    """CSV, or Parquet when the name ends in .parquet / .pq."""
    if path.endswith((".parquet", ".pq")):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--classes", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--flat", action="store_true", help="label = the leaf name, not the Top > Sub > Leaf path")
    ap.add_argument("--level-columns", action="store_true", help="add category_top / category_sub / category_leaf")
    ap.add_argument("--out", required=True, help="output file: .csv, or .parquet / .pq")
    args = ap.parse_args(argv)
    frame = make_longtail(args.rows, args.classes, seed=args.seed, hierarchy=not args.flat,
                          level_columns=args.level_columns)
    write(frame, args.out)
    counts = frame[LABEL].value_counts()
    print(f"{args.out}: {len(frame):,} rows, {len(counts):,} classes, {int((counts == 1).sum()):,} singletons, "
          f"{int((counts < 6).sum()):,} classes under 6 rows, {int(frame[LABEL].isna().sum()):,} unlabelled, "
          f"{frame['brand'].nunique():,} brands, {int(frame['price'].isna().sum()):,} empty prices")


if __name__ == "__main__":
    main()
