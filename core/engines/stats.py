"""The feature space's statistics from a catalog split over many workers, equal to the single-machine ones.

:func:`core.data.build_features` standardizes every numeric column with its median (empty cells),
mean and standard deviation, and one-hot encodes every categorical column's most frequent values,
all over the labelled rows of the whole catalog. A cluster run computes the same numbers from its
files, each worker keeping a :class:`Compact` of its file (labelled rows in row order):

- counts, minimum, maximum, whole numbers, value counts: exact sums and extremes (pass 1);
- the median: an exact selection, a window of candidates bracketed by samples (pass 2, with each
  class's most frequent kept value);
- mean and standard deviation: numpy's own pairwise sums (:mod:`core.engines.exact`), leaf by leaf
  over the labelled rows in row order (passes 3 and 4);
- text: only with an encoder of fixed weights (each text's vector is the same in any catalog, scaled
  by a constant), so nothing is fitted on the text.

:func:`space_for` then builds a group's feature space with these statistics: each class's rows
equal its rows of the single-machine space, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data import MISSING, OTHER, TEXT_BLOCK_VARIANCE, FeatureConfig, FeatureSpace, is_missing_label, parse_numeric
from core.data.features import _CategoryStats, _NumericStats  # the space's own statistics records
from core.engines.exact import LeafParts, leaf_parts, merge_parts

__all__ = ["Compact", "FeatureStats", "NumericScan", "compact_of", "feature_stats", "fixed_text_block", "mean_parts",
           "median_bounds", "median_of", "median_window", "mode_counts", "scan_features", "space_for",
           "text_encoder_of", "var_parts"]

#: Values a file's sample holds per numeric column (for bracketing the median).
SAMPLE_SIZE = 1024


@dataclass
class Compact:
    """What a worker keeps of one file: its labelled rows' classes and feature cells, in row order."""

    classes: list[str]
    codes: np.ndarray
    raw: dict[str, np.ndarray] = field(default_factory=dict)
    sorted_ok: dict[str, np.ndarray] = field(default_factory=dict)
    categories: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.codes)


def category_values(cells: pd.Series) -> np.ndarray:
    """A categorical column's values as the feature space reads them (stripped text; MISSING for no value)."""
    miss = is_missing_label(cells).to_numpy()
    text = cells.astype("string").str.strip().fillna("").to_numpy(dtype=object)
    return np.where(miss, MISSING, text).astype(object)


def compact_of(frame: pd.DataFrame, labels: pd.Series, config: FeatureConfig) -> Compact:
    """The :class:`Compact` of a file (``labels``: every row's class, NA = no label)."""
    mask = labels.notna().to_numpy()
    codes, classes = pd.factorize(labels[mask].astype(str).to_numpy(dtype=object), sort=True)
    sub = frame[mask]
    out = Compact(classes=[str(c) for c in classes], codes=codes.astype(np.int32))
    for col in config.numeric:
        raw = parse_numeric(sub[col]).to_numpy(dtype=np.float64, na_value=np.nan)
        out.raw[col] = raw
        out.sorted_ok[col] = np.sort(raw[~np.isnan(raw)])
    for col in config.categorical:
        values = category_values(sub[col])
        cat_codes, uniques = pd.factorize(values)
        out.categories[col] = (cat_codes.astype(np.int64), [str(u) for u in uniques])
    return out


@dataclass
class NumericScan:
    """Pass 1 of one numeric column in one file."""

    n_ok: int
    lo: float
    hi: float
    integral: bool
    class_lo: dict[str, float]
    class_hi: dict[str, float]
    sample: np.ndarray
    step: int


def scan_features(compact: Compact) -> tuple[dict[str, NumericScan], dict[str, dict[str, int]]]:
    """Pass 1 of a file's feature columns: numeric summaries and categorical value counts."""
    numeric = {}
    for col, raw in compact.raw.items():
        ok = ~np.isnan(raw)
        values, codes = raw[ok], compact.codes[ok]
        frame = pd.DataFrame({"v": values, "c": codes})
        grp = frame.groupby("c")["v"]
        srt = compact.sorted_ok[col]
        step = max(1, math.ceil(len(srt) / SAMPLE_SIZE))
        numeric[col] = NumericScan(
            n_ok=int(ok.sum()), lo=float(srt[0]) if len(srt) else math.inf, hi=float(srt[-1]) if len(srt) else -math.inf,
            integral=bool(np.all(np.mod(values, 1) == 0)),
            class_lo={compact.classes[k]: float(v) for k, v in grp.min().items()},
            class_hi={compact.classes[k]: float(v) for k, v in grp.max().items()},
            sample=srt[::step].copy(), step=step,
        )
    categorical = {}
    for col, (codes, uniques) in compact.categories.items():
        counts = np.bincount(codes, minlength=len(uniques))
        categorical[col] = {u: int(n) for u, n in zip(uniques, counts.tolist())}
    return numeric, categorical


def _ranks(n_ok: int) -> list[int]:
    """Positions (0-based, sorted order) whose values make np.median of ``n_ok`` values."""
    return [n_ok // 2] if n_ok % 2 else [n_ok // 2 - 1, n_ok // 2]


def median_bounds(scans: Sequence[NumericScan]) -> tuple[float, float]:
    """Values ``lo <= hi`` between which the median's values surely lie, from the files' samples."""
    n_ok = sum(s.n_ok for s in scans)
    ks = _ranks(n_ok)
    values = np.concatenate([s.sample for s in scans])
    weights = np.concatenate([np.full(len(s.sample), s.step) for s in scans])
    order = np.argsort(values, kind="stable")
    v, cum = values[order], np.cumsum(weights[order])
    margin = sum(s.step for s in scans) + len(scans)
    i = int(np.searchsorted(cum, min(ks) - margin, side="right")) - 1
    j = int(np.searchsorted(cum, max(ks) + 1 + margin, side="left"))
    return (float(v[i]) if i >= 0 else -math.inf), (float(v[j]) if j < len(v) else math.inf)


def median_window(compact: Compact, bounds: Mapping[str, tuple[float, float]]) -> dict[str, tuple[int, np.ndarray]]:
    """Pass 2: per numeric column, the count of values below ``lo`` and the values in ``[lo, hi]``."""
    out = {}
    for col, (lo, hi) in bounds.items():
        srt = compact.sorted_ok[col]
        a, b = int(np.searchsorted(srt, lo, side="left")), int(np.searchsorted(srt, hi, side="right"))
        out[col] = (a, srt[a:b].copy())
    return out


def median_of(n_ok: int, windows: Sequence[tuple[int, np.ndarray]]) -> float | None:
    """np.median of the column's ``n_ok`` values from the files' windows; None when the window missed it."""
    below = sum(w[0] for w in windows)
    values = np.sort(np.concatenate([w[1] for w in windows])) if windows else np.zeros(0)
    ks = _ranks(n_ok)
    if below > min(ks) or below + len(values) < max(ks) + 1:
        return None
    picked = [float(values[k - below]) for k in ks]
    if len(picked) == 1:
        return float(np.float64(-0.0) + picked[0])
    return float((np.float64(-0.0) + picked[0] + picked[1]) / 2)


def mode_counts(compact: Compact, tops: Mapping[str, Sequence[str]]) -> dict[str, dict[tuple[str, str], int]]:
    """Pass 2: per categorical column, rows of each (class, kept value) pair."""
    out = {}
    for col, top in tops.items():
        codes, uniques = compact.categories[col]
        kept = np.isin(np.asarray(uniques, dtype=object), np.asarray(list(top), dtype=object))
        sel = kept[codes] if len(codes) else np.zeros(0, dtype=bool)
        pairs = pd.DataFrame({"c": compact.codes[sel], "v": codes[sel]}).value_counts()
        out[col] = {(compact.classes[c], uniques[v]): int(n) for (c, v), n in pairs.items()}
    return out


def _filled(compact: Compact, col: str, median: float) -> np.ndarray:
    raw = compact.raw[col]
    return np.where(~np.isnan(raw), raw, median)


def mean_parts(compact: Compact, medians: Mapping[str, float], offset: int, n: int) -> dict[str, LeafParts]:
    """Pass 3: this file's leaves of each numeric column's sum (labelled rows ``offset ..`` of ``n``)."""
    return {col: leaf_parts(_filled(compact, col, med), offset, n) for col, med in medians.items()}


def var_parts(compact: Compact, medians: Mapping[str, float], means: Mapping[str, float], offset: int,
              n: int) -> dict[str, LeafParts]:
    """Pass 4: this file's leaves of each numeric column's sum of squared deviations from the mean."""
    out = {}
    for col, med in medians.items():
        dev = _filled(compact, col, med) - means[col]
        out[col] = leaf_parts(dev * dev, offset, n)
    return out


@dataclass(frozen=True)
class FeatureStats:
    """Every statistic of the feature space, for :func:`space_for`."""

    config: FeatureConfig
    numeric: dict[str, _NumericStats]
    categorical: dict[str, _CategoryStats]
    notes: tuple[str, ...]

    @property
    def width(self) -> int:
        return len(self.numeric) + sum(len(s.values) for s in self.categorical.values())


def _merge_numeric(col: str, scans: Sequence[NumericScan], median: float, mean: float, std: float,
                   n: int, notes: list[str]) -> _NumericStats:
    n_ok = sum(s.n_ok for s in scans)
    if not n_ok:
        notes.append(f"Numeric column {col!r} holds no numbers among labelled rows; it is all 0 here.")
        lo = hi = 0.0
    else:
        lo, hi = min(s.lo for s in scans), max(s.hi for s in scans)
        if n - n_ok:
            notes.append(f"Numeric column {col!r}: {n - n_ok:,} empty or non-numeric cells set to the median {median:g}.")
    class_lo: dict[str, float] = {}
    class_hi: dict[str, float] = {}
    for s in scans:
        for c, v in s.class_lo.items():
            class_lo[c] = min(v, class_lo.get(c, math.inf))
        for c, v in s.class_hi.items():
            class_hi[c] = max(v, class_hi.get(c, -math.inf))
    integral = all(s.integral for s in scans)
    return _NumericStats(median, mean, std if std > 0 else 1.0, integral, lo, hi, dict(sorted(class_lo.items())),
                         dict(sorted(class_hi.items())))


def category_order(counts: Sequence[Mapping[str, int]]) -> list[tuple[str, int]]:
    """A categorical column's values with their rows, most frequent first (ties by value), over every file."""
    total: dict[str, int] = {}
    for part in counts:
        for v, n in part.items():
            total[v] = total.get(v, 0) + n
    return sorted(total.items(), key=lambda kv: (-kv[1], str(kv[0])))


def _merge_category(col: str, order: list[tuple[str, int]], max_categories: int,
                    pairs: Sequence[Mapping[tuple[str, str], int]], notes: list[str]) -> _CategoryStats:
    top = [str(v) for v, _ in order[:max_categories]]
    has_other = len(order) > len(top)
    total: dict[tuple[str, str], int] = {}
    for part in pairs:
        for key, n in part.items():
            total[key] = total.get(key, 0) + n
    best: dict[str, tuple[int, str]] = {}
    for (c, v), n in total.items():
        if c not in best or (-n, v) < (-best[c][0], best[c][1]):
            best[c] = (n, v)
    if has_other:
        notes.append(f"Categorical column {col!r}: {len(order):,} values; the {len(top)} most frequent are kept, "
                     f"the rest share the {OTHER} bucket.")
    return _CategoryStats(tuple(top + ([OTHER] if has_other else [])), has_other,
                          {c: v for c, (_, v) in sorted(best.items())}, top[0])


def feature_stats(config: FeatureConfig, n: int, numeric: Mapping[str, Sequence[NumericScan]],
                  moments: Mapping[str, tuple[float, float, float]], categories: Mapping[str, Sequence[Mapping[str, int]]],
                  pairs: Mapping[str, Sequence[Mapping[tuple[str, str], int]]]) -> FeatureStats:
    """The statistics from every file's passes (``moments``: median, mean, std per numeric column)."""
    notes: list[str] = []
    num = {col: _merge_numeric(col, numeric[col], *moments[col], n, notes) for col in config.numeric}
    cat = {col: _merge_category(col, category_order(categories[col]), int(config.max_categories), pairs[col], notes)
           for col in config.categorical}
    return FeatureStats(config, num, cat, tuple(notes))


def merged_sum(parts: Sequence[LeafParts], n: int) -> float:
    """numpy's sum of ``n`` values from their files' leaves."""
    return merge_parts(list(parts), n)


def text_encoder_of(config: FeatureConfig):
    """The config's text encoder when its vectors have fixed weights (a text's vector is the same in any
    catalog: nothing is fitted on the text), else None (TF-IDF + SVD is fitted on every row at once)."""
    try:
        from core.text import make_encoder
    except ImportError:  # a Skewlab without the text encoder registry: TF-IDF only
        return None
    encoder = make_encoder(getattr(config, "text_encoder", "tfidf"), dim=int(config.text_dim), seed=int(config.seed))
    return encoder if getattr(encoder, "fixed", False) else None


def fixed_text_block(frame: pd.DataFrame, config: FeatureConfig) -> np.ndarray | None:
    """The text block of a partition's rows with a fixed-weight encoder, as the single-machine feature
    space builds it: each row's unit vector times a constant (None: the encoder gives no columns)."""
    cells = [frame[c].astype("string").fillna("").tolist() for c in config.text]
    docs = cells[0] if len(cells) == 1 else [" ".join(row) for row in zip(*cells)]
    emb = np.asarray(text_encoder_of(config).fit_transform([str(d) for d in docs]), dtype=np.float64)
    if emb.ndim != 2 or emb.shape[1] == 0:
        return None
    return emb * np.sqrt(TEXT_BLOCK_VARIANCE * len(config.text))


def space_for(frame: pd.DataFrame, labels: pd.Series, stats: FeatureStats) -> FeatureSpace:
    """The feature space of a partition's rows (every row labelled) with the catalog's statistics."""
    config = stats.config
    y = np.asarray([str(v) for v in labels.tolist()], dtype=object)
    n = len(y)
    matrices, names, blocks, width = [], [], {}, 0
    for col in config.numeric:
        st = stats.numeric[col]
        raw = parse_numeric(frame[col]).to_numpy(dtype=np.float64, na_value=np.nan)
        filled = np.where(~np.isnan(raw), raw, st.median)
        matrices.append(((filled - st.mean) / st.std)[:, None])
        names.append(col)
        blocks[col] = slice(width, width + 1)
        width += 1
    for col in config.categorical:
        cs = stats.categorical[col]
        n_top = len(cs.values) - (1 if cs.has_other else 0)
        index = {v: i for i, v in enumerate(cs.values[:n_top])}
        codes = np.array([index.get(v, n_top) for v in category_values(frame[col])], dtype=np.int64)
        onehot = np.zeros((n, len(cs.values)), dtype=np.float64)
        onehot[np.arange(n), codes] = 1.0
        matrices.append(onehot)
        names += [f"{col}={v}" for v in cs.values]
        blocks[col] = slice(width, width + len(cs.values))
        width += len(cs.values)
    if config.text:
        emb = fixed_text_block(frame, config)
        if emb is not None:
            matrices.append(emb)
            names += [f"text:{i}" for i in range(emb.shape[1])]
            blocks["(text)"] = slice(width, width + emb.shape[1])
    X = np.ascontiguousarray(np.hstack(matrices) if matrices else np.zeros((n, 0)), dtype=np.float64)
    return FeatureSpace(X=X, y=y, rows=np.arange(n, dtype=np.int64), feature_names=tuple(names), config=config,
                        blocks=blocks, n_frame_rows=n, notes=stats.notes, _numeric=dict(stats.numeric),
                        _categorical=dict(stats.categorical))
