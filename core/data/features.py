"""Feature space: the numbers every strategy works on.

A :class:`FeatureSpace` turns the labelled rows of a catalog into a dense float64 matrix:
numeric columns (parsed, median-imputed, standardized), categorical columns (one-hot of the most
frequent values plus an "other" bucket; a missing cell is its own category) and text columns
(TF-IDF then truncated SVD, scaled so the block does not drown the other features). It keeps
what it needs to turn synthetic rows back into the catalog's own units (:meth:`FeatureSpace.to_original`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from core.data.schema import feature_columns, is_missing_label, parse_numeric
from core.errors import ParameterError, SchemaError
from core.params import SEED, Interval, check

#: Name of the one-hot column of rare values, and of the category of missing cells.
OTHER = "(other)"
MISSING = "(missing)"
#: Total variance of the text block per text column (numeric columns have variance 1 each).
TEXT_BLOCK_VARIANCE = 4.0
#: SVD components of the text block, and one-hot columns per categorical column.
TEXT_DIM = Interval("int", 1, 512)
MAX_CATEGORIES = Interval("int", 1, 1000)


@runtime_checkable
class TextEncoder(Protocol):
    """Turns documents into dense vectors: :class:`TfidfSvdEncoder` here, the sentence encoders of
    :mod:`core.text` (``minilm-static``, ``minilm``), or any object with this method.

    An encoder whose class sets ``fixed = True`` gives unit vectors of fixed weights (a text's vector
    is the same in any catalog); its block is scaled by a constant instead of the catalog's statistics.
    """

    def fit_transform(self, documents: list[str]) -> np.ndarray:  # pragma: no cover - protocol
        ...


def _parallel_transform(vec: Any, documents: list[str], chunks: int = 4) -> Any:
    """``vec.transform(documents)`` in ``chunks`` parts on every core (tokenising is pure Python)."""
    import scipy.sparse as sp
    from joblib import Parallel, delayed

    parts = np.array_split(np.arange(len(documents)), chunks)
    jobs = max(1, min(2, os.cpu_count() or 1))
    done = Parallel(n_jobs=jobs, backend="loky")(delayed(vec.transform)([documents[i] for i in p]) for p in parts)
    return sp.vstack(done).tocsr()


@dataclass(frozen=True)
class TfidfSvdEncoder:
    """TF-IDF (sublinear, word 1-2 grams) then truncated SVD to ``dim`` components.

    Above ``sample_above`` documents the terms, their weights and the SVD are fitted on ``fit_rows``
    of them (a seeded random sample) and every document is encoded with them, tokenised on both
    cores: at 1M titles the full fit takes ~85 s on two cores, this ~20 s, and 100,000 titles pin
    down 20,000 terms and 64 directions well. :meth:`sample_note`
    says so for the analyst.
    """

    dim: int = 64
    seed: int = 0
    max_features: int = 20_000
    sample_above: int = 200_000
    fit_rows: int = 100_000

    def sample_note(self, n: int) -> str | None:
        """What the analyst should know about the SVD fit on ``n`` documents (None: fitted on all)."""
        if n <= self.sample_above:
            return None
        return (f"Text: the TF-IDF terms and weights and their SVD were fitted on a random sample of {self.fit_rows:,} "
                f"of the {n:,} rows (seeded, so a replay gives the same features); every row is encoded with them.")

    def fit_transform(self, documents: list[str]) -> np.ndarray:
        """Encode ``documents``; returns float64 ``(len(documents), <= dim)`` (0 columns if no terms)."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        n = len(documents)
        min_df = 2 if n >= 50 else 1
        vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=min_df, max_features=self.max_features)
        rows = None
        try:
            if n <= self.sample_above:
                tfidf = vec.fit_transform(documents)
            else:  # terms and their weights from the sample, every document tokenised on both cores
                rows = np.sort(np.random.default_rng(self.seed).choice(n, size=self.fit_rows, replace=False))
                vec.fit([documents[i] for i in rows])
                tfidf = _parallel_transform(vec, documents)
        except ValueError:  # empty vocabulary
            return np.zeros((n, 0))
        dim = min(self.dim, tfidf.shape[1] - 1, n - 1)
        if dim < 1:
            return np.zeros((n, 0))
        svd = TruncatedSVD(n_components=dim, random_state=self.seed, algorithm="randomized", n_iter=5)
        if rows is None:
            return np.asarray(svd.fit_transform(tfidf), dtype=np.float64)
        svd.fit(tfidf[rows])
        return np.asarray(svd.transform(tfidf), dtype=np.float64)


@dataclass(frozen=True)
class FeatureConfig:
    """Which columns make the features, and how.

    Attributes
    ----------
    numeric, categorical, text : tuple of str
        Feature columns by role.
    text_dim : int
        SVD components of the text block (1-512).
    max_categories : int
        One-hot columns per categorical column before the "other" bucket (1-1000).
    seed : int
        Seed of the SVD.
    text_encoder : str
        Id of the text encoder in :data:`core.text.ENCODERS`: ``minilm-static`` (default, a static
        table distilled from all-MiniLM-L6-v2), ``minilm`` (the full model, optional) or ``tfidf``
        (TF-IDF + SVD with ``text_dim`` components). Checked when the text block is built
        (:meth:`check_text_encoder`).
    """

    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    text_dim: int = 64
    max_categories: int = 30
    seed: int = 0
    text_encoder: str = "minilm-static"

    def check_text_encoder(self) -> None:
        """ParameterError unless ``text_encoder`` is a known id (EncoderUnavailableError when it cannot run here)."""
        from core.text import require

        require(self.text_encoder)

    @classmethod
    def from_roles(cls, roles: Mapping[str, str], **kw) -> FeatureConfig:
        """Config from column roles (``core.data.schema.infer_roles``); ``kw`` sets the other fields."""
        cols = feature_columns(roles)
        return cls(numeric=cols["numeric"], categorical=cols["categorical"], text=cols["text"], **kw)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every feature column."""
        return self.numeric + self.categorical + self.text


@dataclass(frozen=True)
class _NumericStats:
    median: float
    mean: float
    std: float
    integral: bool
    lo: float
    hi: float
    class_lo: dict
    class_hi: dict


@dataclass(frozen=True)
class _CategoryStats:
    values: tuple[str, ...]  # one-hot columns in order (OTHER last when present)
    has_other: bool
    class_mode: dict  # class -> most frequent real value
    global_mode: str


@dataclass(frozen=True, eq=False)
class FeatureSpace:
    """Labelled rows as a dense matrix.

    Attributes
    ----------
    X : ndarray of shape (n, d), float64
    y : ndarray of shape (n,), object (class names as str)
    rows : ndarray of shape (n,), int64
        Original row ids (0-based positions in the frame), ascending.
    feature_names : tuple of str
    config : FeatureConfig
    blocks : dict[str, slice]
        Columns of ``X`` that belong to each feature column (the text block is ``"(text)"``).
    n_frame_rows : int
        Rows of the frame, labelled or not.
    notes : tuple of str
        What the analyst should know about how features were made.
    """

    X: np.ndarray
    y: np.ndarray
    rows: np.ndarray
    feature_names: tuple[str, ...]
    config: FeatureConfig
    blocks: dict[str, slice]
    n_frame_rows: int
    notes: tuple[str, ...] = ()
    _numeric: dict = field(default_factory=dict, repr=False)
    _categorical: dict = field(default_factory=dict, repr=False)

    @property
    def n_rows(self) -> int:
        """Rows in the space."""
        return int(len(self.y))

    @property
    def classes(self) -> tuple[str, ...]:
        """Class names, sorted."""
        return tuple(sorted(set(self.y.tolist())))

    def class_counts(self) -> dict[str, int]:
        """Rows per class, sorted by class name."""
        names, counts = np.unique(self.y.astype(str), return_counts=True)
        return {str(c): int(n) for c, n in zip(names, counts)}

    def position_of(self, row_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Positions in ``X`` of original row ids (ParameterError when one is not in the space)."""
        ids = np.asarray(row_ids, dtype=np.int64)
        pos = np.searchsorted(self.rows, ids)
        pos = np.clip(pos, 0, max(len(self.rows) - 1, 0))
        if len(ids) and (len(self.rows) == 0 or not np.array_equal(self.rows[pos], ids)):
            bad = ids[self.rows[pos] != ids][:5] if len(self.rows) else ids[:5]
            raise ParameterError(f"Row ids {bad.tolist()} are not labelled rows of this feature space.")
        return pos

    def subset(self, positions: Sequence[int] | np.ndarray) -> FeatureSpace:
        """The space restricted to ``positions`` (sorted so row ids stay ascending).

        Encoders and statistics stay those of the full space.
        """
        pos = np.unique(np.asarray(positions, dtype=np.int64))
        if len(pos) and (pos[0] < 0 or pos[-1] >= self.n_rows):
            raise ParameterError(f"Positions must lie in 0..{self.n_rows - 1}.")
        return replace(self, X=self.X[pos], y=self.y[pos], rows=self.rows[pos])

    def to_original(self, X_new: np.ndarray, y_new: Sequence[str] | np.ndarray) -> pd.DataFrame:
        """Feature columns of rows of ``X_new`` in the catalog's own units.

        Numeric columns are un-standardized, clipped to the observed range of the row's class
        (the global range when the class has no value), and rounded when every observed value is
        an integer (then dtype ``Int64``). Categorical columns take the real category with the
        largest one-hot weight (the class's most frequent value when only the "other" bucket has
        weight); a missing category gives an empty cell. Text columns are empty.

        Parameters
        ----------
        X_new : ndarray of shape (m, d)
        y_new : sequence of str, length m

        Returns
        -------
        pandas.DataFrame
            One column per feature column, in the config's order (numeric, categorical, text).
        """
        X_new = np.asarray(X_new, dtype=np.float64)
        y_new = np.asarray(y_new, dtype=object)
        if X_new.ndim != 2 or X_new.shape[1] != self.X.shape[1] or len(y_new) != len(X_new):
            raise ParameterError(
                f"to_original needs X of shape (m, {self.X.shape[1]}) and m labels; got {X_new.shape} and {len(y_new)}."
            )
        out: dict[str, object] = {}
        # each distinct class once (a lookup per class, not per row)
        inverse, uniques = pd.factorize(pd.Series(y_new, dtype=object), use_na_sentinel=False)
        names = np.asarray(uniques, dtype=object)
        for col in self.config.numeric:
            st: _NumericStats = self._numeric[col]
            vals = X_new[:, self.blocks[col].start] * st.std + st.mean
            lo = np.array([st.class_lo.get(c, st.lo) for c in names.tolist()], dtype=np.float64)[inverse]
            hi = np.array([st.class_hi.get(c, st.hi) for c in names.tolist()], dtype=np.float64)[inverse]
            vals = np.clip(vals, lo, hi) if len(vals) else vals
            if st.integral:
                out[col] = pd.array(np.round(vals).astype(np.int64) if len(vals) else [], dtype="Int64")
            else:
                out[col] = vals
        for col in self.config.categorical:
            cs: _CategoryStats = self._categorical[col]
            block = X_new[:, self.blocks[col]]
            n_real = len(cs.values) - (1 if cs.has_other else 0)
            real = np.ascontiguousarray(block[:, :n_real])  # argmax along rows of a strided view is ~8x slower
            best = real.argmax(axis=1) if n_real else np.zeros(len(block), dtype=int)
            has_weight = real.max(axis=1) > 0 if n_real else np.zeros(len(block), dtype=bool)
            # each row's value as a code into [the space's values..., each class's most frequent value...]
            modes = [cs.class_mode.get(c, cs.global_mode) for c in names.tolist()]
            choices = ["" if v == MISSING else v for v in list(cs.values) + modes]
            codes = np.where(has_weight, best, len(cs.values) + inverse) if len(inverse) else np.zeros(0, dtype=np.int64)
            out[col] = _text_array(choices, codes)
        for col in self.config.text:
            out[col] = _text_array([""], np.zeros(len(X_new), dtype=np.int64))
        return pd.DataFrame(out, index=pd.RangeIndex(len(X_new)))


def _text_array(choices: list[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``choices[codes]`` as a ``string`` array, built from the codes (no Python string per row)."""
    dtype = pd.StringDtype()
    if dtype.storage != "pyarrow":
        return pd.array(np.asarray(choices, dtype=object)[codes], dtype=dtype)
    import pyarrow as pa

    taken = pa.array(choices, type=pa.large_string()).take(pa.array(codes.astype(np.int64)))
    return pd.arrays.ArrowStringArray(pa.chunked_array([taken], type=pa.large_string()), dtype=dtype)


def _check_config(frame: pd.DataFrame, config: FeatureConfig) -> None:
    if not config.columns:
        raise SchemaError(
            "There are no feature columns.",
            hint="Give at least one column the role numeric, categorical or text.",
        )
    for col in config.columns:
        if col not in frame.columns:
            raise SchemaError(f"Feature column {col!r} is not in the table.")
    dup = {c for c in config.columns if config.columns.count(c) > 1}
    if dup:
        raise SchemaError(f"Columns {sorted(dup)} have more than one feature role.")
    check(config.text_dim, TEXT_DIM, name="text_dim", where="features: ")
    check(config.max_categories, MAX_CATEGORIES, name="max_categories", where="features: ")
    check(config.seed, SEED, name="seed", where="features: ")


def build_features(
    frame: pd.DataFrame,
    labels: pd.Series,
    config: FeatureConfig,
    *,
    text_encoder: TextEncoder | None = None,
) -> FeatureSpace:
    """Build the feature space of the labelled rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as loaded (row position = row id).
    labels : pandas.Series
        Class of every row (NA = no label), as from ``core.data.schema.label_values``.
    config : FeatureConfig
        Feature columns and options.
    text_encoder : TextEncoder, optional
        Encoder of the text block (default TF-IDF + SVD with ``config.text_dim`` and ``config.seed``).

    Returns
    -------
    FeatureSpace

    Raises
    ------
    SchemaError
        No feature columns, a missing column, labels of another length, or fewer than 2 classes.
    ParameterError
        ``text_dim``, ``max_categories`` or ``seed`` out of range.
    """
    _check_config(frame, config)
    rows, y = _labelled(frame, labels)
    sub = frame.reset_index(drop=True) if len(rows) == len(frame) else frame.iloc[rows].reset_index(drop=True)
    out = _Blocks()
    numeric: dict[str, _NumericStats] = {}
    categorical: dict[str, _CategoryStats] = {}
    codes, classes = pd.factorize(y, sort=True)
    for col, raw in zip(config.numeric, _parsed_columns(sub, config.numeric)):
        block, numeric[col] = _numeric_block(raw, col, codes, classes.tolist(), out.notes)
        out.add(col, block, [col])
    for col in config.categorical:
        block, categorical[col] = _categorical_block(sub[col], col, y, int(config.max_categories), out.notes)
        out.add(col, block, [f"{col}={v}" for v in categorical[col].values])
    if config.text:
        emb = _text_block(sub, config, text_encoder, out.notes)
        if emb is not None:
            out.add("(text)", emb, [f"text:{i}" for i in range(emb.shape[1])])
    if out.width == 0:
        raise SchemaError("The feature columns give no usable features.", hint="Add a numeric or categorical column.")
    X = np.ascontiguousarray(np.hstack(out.matrices), dtype=np.float64)
    return FeatureSpace(
        X=X,
        y=y,
        rows=rows,
        feature_names=tuple(out.names),
        config=config,
        blocks=out.blocks,
        n_frame_rows=len(frame),
        notes=tuple(out.notes),
        _numeric=numeric,
        _categorical=categorical,
    )


@dataclass
class _Blocks:
    """The feature matrix being built, block by block."""

    matrices: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    blocks: dict[str, slice] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    width: int = 0

    def add(self, key: str, matrix: np.ndarray, names: list[str]) -> None:
        self.matrices.append(matrix)
        self.names.extend(names)
        self.blocks[key] = slice(self.width, self.width + matrix.shape[1])
        self.width += matrix.shape[1]


def _labelled(frame: pd.DataFrame, labels: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Row ids of the labelled rows and their classes (as str); at least 2 classes."""
    if len(labels) != len(frame):
        raise SchemaError(f"There are {len(labels)} labels for {len(frame)} rows; they must match.")
    lab = pd.Series(labels).reset_index(drop=True)
    mask = lab.notna().to_numpy()
    rows = np.flatnonzero(mask).astype(np.int64)
    present = lab[mask]
    if pd.api.types.is_string_dtype(present.dtype) and not present.dtype == object:
        y = present.to_numpy(dtype=object)  # text labels: already str
    else:
        y = np.asarray([str(v) for v in present.tolist()], dtype=object)
    classes = sorted(set(y.tolist()))
    if len(classes) < 2:
        raise SchemaError(
            f"The label has {len(classes)} class(es) among {len(rows)} labelled rows; resampling needs at least 2.",
            hint="Pick another label column or a deeper level of a path label.",
        )
    return rows, y


def _parsed_columns(sub: pd.DataFrame, columns: Sequence[str]) -> list[np.ndarray]:
    """Every numeric column parsed (:func:`parse_numeric`), on two threads when the table is large
    (Arrow's text kernels release the GIL)."""
    def one(col: str) -> np.ndarray:
        return parse_numeric(sub[col]).to_numpy(dtype=np.float64, na_value=np.nan)

    if len(columns) < 2 or len(sub) < PARALLEL_PARSE_ROWS:
        return [one(c) for c in columns]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, columns))


#: Rows from which numeric columns are parsed on two threads.
PARALLEL_PARSE_ROWS = 20_000


def _numeric_block(raw: np.ndarray, col: str, codes: np.ndarray, classes: Sequence[str], notes: list[str]
                   ) -> tuple[np.ndarray, _NumericStats]:
    """One standardized column (``raw``: its parsed cells; empty and non-numeric cells set to the
    median) and its statistics (per class: ``codes`` index ``classes``)."""
    ok = ~np.isnan(raw)
    if not ok.any():
        notes.append(f"Numeric column {col!r} holds no numbers among labelled rows; it is all 0 here.")
        med, lo, hi, integral = 0.0, 0.0, 0.0, True
    else:
        med = float(np.median(raw[ok]))
        lo, hi = float(raw[ok].min()), float(raw[ok].max())
        integral = bool(np.all(np.mod(raw[ok], 1) == 0))
    n_missing = int((~ok).sum())
    if n_missing and ok.any():
        notes.append(f"Numeric column {col!r}: {n_missing:,} empty or non-numeric cells set to the median {med:g}.")
    filled = np.where(ok, raw, med)
    mean, std = float(filled.mean()), float(filled.std())
    std = std if std > 0 else 1.0
    c, v = codes[ok], raw[ok]
    class_min, class_max = np.full(len(classes), np.inf), np.full(len(classes), -np.inf)
    np.minimum.at(class_min, c, v)
    np.maximum.at(class_max, c, v)
    seen = np.flatnonzero(np.bincount(c, minlength=len(classes)))  # classes with a number in this column
    class_lo = {classes[k]: float(class_min[k]) for k in seen}
    class_hi = {classes[k]: float(class_max[k]) for k in seen}
    stats = _NumericStats(med, mean, std, integral, lo, hi, class_lo, class_hi)
    return ((filled - mean) / std)[:, None], stats


def _categorical_block(
    cells: pd.Series, col: str, y: np.ndarray, max_categories: int, notes: list[str]
) -> tuple[np.ndarray, _CategoryStats]:
    """One-hot of the ``max_categories`` most frequent values (the rest in :data:`OTHER`) and its statistics."""
    miss = is_missing_label(cells).to_numpy()
    text = cells.astype("string").str.strip().fillna("").to_numpy(dtype=object)
    values = np.where(miss, MISSING, text).astype(object)
    counts = pd.Series(values).value_counts()
    order = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    top = [str(v) for v, _ in order[:max_categories]]
    has_other = len(order) > len(top)
    cats = tuple(top + ([OTHER] if has_other else []))
    index = {v: i for i, v in enumerate(top)}
    codes = np.array([index.get(v, len(top)) for v in values], dtype=np.int64)
    onehot = np.zeros((len(values), len(cats)), dtype=np.float64)
    onehot[np.arange(len(values)), codes] = 1.0
    real = pd.DataFrame({"v": values, "c": y})
    real = real[real["v"].isin(index)]
    class_mode = {}
    for c, g in real.groupby("c")["v"]:
        vc = g.value_counts()
        class_mode[str(c)] = sorted(vc.items(), key=lambda kv: (-kv[1], str(kv[0])))[0][0]
    if has_other:
        notes.append(
            f"Categorical column {col!r}: {len(order):,} values; the {len(top)} most frequent are kept, "
            f"the rest share the {OTHER} bucket."
        )
    return onehot, _CategoryStats(cats, has_other, class_mode, top[0])


def _text_block(
    sub: pd.DataFrame, config: FeatureConfig, text_encoder: TextEncoder | None, notes: list[str]
) -> np.ndarray | None:
    """The text columns encoded and scaled to :data:`TEXT_BLOCK_VARIANCE` per column (None: too few words).

    The encoder is ``text_encoder`` when given (its id, when it has one, must be the config's), else
    ``config.text_encoder`` from the registry of :mod:`core.text`. Fitted encoders (TF-IDF) are
    centred and scaled by the catalog's variance; encoders of fixed weights give unit vectors, scaled
    by a constant so a text's features do not depend on the rest of the catalog.
    """
    from core.text import make_encoder

    # the text cells of a row joined by spaces (column by column, not row-wise pandas
    # apply: that took ~25 s at 1M rows)
    text_cols = [sub[c].astype("string").fillna("").tolist() for c in config.text]
    docs = text_cols[0] if len(text_cols) == 1 else [" ".join(cells) for cells in zip(*text_cols)]
    config.check_text_encoder()
    encoder = text_encoder if text_encoder is not None else make_encoder(
        config.text_encoder, dim=int(config.text_dim), seed=int(config.seed))
    key = getattr(encoder, "key", None)
    if key is not None and key[0] != config.text_encoder:
        raise ParameterError(f"The text encoder given is {key[0]!r}, but the feature config asks for {config.text_encoder!r}.")
    emb = np.asarray(encoder.fit_transform([str(d) for d in docs]), dtype=np.float64)
    if emb.ndim != 2 or emb.shape[0] != len(docs):
        raise SchemaError(f"The text encoder returned shape {emb.shape}; it must be ({len(docs)}, dim).")
    if emb.shape[1] == 0:
        notes.append("The text columns hold too few words for a text block; text is left out of the features.")
        return None
    sampled = getattr(encoder, "sample_note", None)
    if callable(sampled) and sampled(len(docs)):
        notes.append(sampled(len(docs)))
    target = TEXT_BLOCK_VARIANCE * len(config.text)
    if getattr(encoder, "fixed", False):
        return emb * np.sqrt(target)
    emb = emb - emb.mean(axis=0)
    total = float(emb.var(axis=0).sum())
    if total > 0:
        emb = emb * np.sqrt(target / total)
    return emb
