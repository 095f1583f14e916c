"""What a strategy did to a feature space: :class:`ResampleResult`, with full provenance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

__all__ = ["COPY", "LINE", "NO_PARENT", "ORIGINAL", "SEED_ONLY", "SYNTHETIC", "ResampleResult"]

ORIGINAL, SYNTHETIC = "original", "synthetic"
#: How a synthetic row relates to its real parents (:meth:`ResampleResult.parent_kinds`):
#: on the line from its seed to its neighbour (weight known), an exact copy of its seed, near
#: its seed only (neighbour unknown: noisy copies, library rows on no line), no parent known.
LINE, COPY, SEED_ONLY, NO_PARENT = "line", "copy", "seed only", "no parent"

@dataclass(frozen=True, eq=False)
class ResampleResult:
    """What a strategy did to a feature space.

    Output rows are the kept original rows first (row-id order), then synthetic rows.

    Attributes
    ----------
    X : ndarray (m, d) float64
    y_code : ndarray (m,) int, each row's class as an index into ``classes``
    classes : tuple of str, class names (sorted)
    y : ndarray (m,) object, class names (built from ``y_code`` on first use, then kept)
    origin : ndarray (m,) object, ``"original"`` or ``"synthetic"`` (built from ``row`` on first
        use, then kept: a row is synthetic exactly when ``row`` is -1)
    row : ndarray (m,) int64, original row id (-1 for synthetic rows)
    seed_row, neighbor_row : ndarray (m,) int64, original row ids (-1 when not applicable)
    alpha : ndarray (m,) float64, interpolation weight (NaN when not applicable)
    sample_weight : ndarray (m,) float64 or None (only reweighting sets it)
    removed_rows : ndarray int64, row ids of removed original rows (ascending)
    removed_reason : ndarray object, one reason per removed row
    runtime_s : float
    notes : tuple of str, every decision the analyst should know about
    counts_before, counts_after : dict class -> rows
    targets : dict class -> rows, or None when the strategy takes no target
    strategy : str
    params : dict (validated; ``{step: {...}}`` for a pipeline)
    seed : int
    target : str (the target's text form)
    small_classes : str
    """

    X: np.ndarray
    y_code: np.ndarray
    classes: tuple[str, ...]
    row: np.ndarray
    seed_row: np.ndarray
    neighbor_row: np.ndarray
    alpha: np.ndarray
    sample_weight: np.ndarray | None
    removed_rows: np.ndarray
    removed_reason: np.ndarray
    runtime_s: float
    notes: tuple[str, ...]
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    targets: dict[str, int] | None
    strategy: str
    params: dict
    seed: int
    target: str = "auto"
    small_classes: str = "error"

    # y and origin are views of y_code and row that most callers never need in full: building
    # two object arrays of every output row costs more than some strategies themselves
    @cached_property
    def y(self) -> np.ndarray:
        """Class name of every output row (object array)."""
        return np.array(self.classes, dtype=object).take(self.y_code)

    @cached_property
    def origin(self) -> np.ndarray:
        """``"original"`` or ``"synthetic"`` for every output row (object array)."""
        return np.array([ORIGINAL, SYNTHETIC], dtype=object).take((self.row < 0).view(np.int8))

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays held, counting ``y`` and ``origin`` as built (a pointer per row)."""
        arrays = (self.X, self.y_code, self.row, self.seed_row, self.neighbor_row, self.alpha, self.sample_weight,
                  self.removed_rows, self.removed_reason)
        return sum(int(a.nbytes) for a in arrays if a is not None) + 2 * 8 * len(self.row)

    @property
    def n_synthetic(self) -> int:
        """Synthetic rows."""
        return int((self.row < 0).sum())

    @property
    def n_removed(self) -> int:
        """Removed original rows."""
        return int(len(self.removed_rows))

    def parent_kinds(self, space_X: np.ndarray, space_rows: np.ndarray) -> np.ndarray:
        """How every synthetic row (in output order) relates to its parents: :data:`LINE`,
        :data:`COPY`, :data:`SEED_ONLY` or :data:`NO_PARENT` (object array).

        A row is on a line when it has a neighbour and a weight; otherwise it is a copy when its
        features equal its seed row's exactly (random over-sampling without noise, copies made
        for small classes), and near its seed only when they differ (noisy copies, rows a library
        made on no line through two real rows).

        Parameters
        ----------
        space_X : ndarray (n, d)
            The features of the space the strategy ran on (``FeatureSpace.X``).
        space_rows : ndarray (n,) int64
            Its row ids, ascending (``FeatureSpace.rows``).
        """
        syn = np.flatnonzero(self.row < 0)
        seed, nbr, alpha = self.seed_row[syn], self.neighbor_row[syn], self.alpha[syn]
        line = (nbr >= 0) & np.isfinite(alpha)
        has_seed = seed >= 0
        n = len(space_rows)
        if n and space_rows[0] == 0 and space_rows[-1] == n - 1:  # ascending unique ids 0..n-1: id = position
            pos = seed
            known = has_seed & (seed < n)
        else:
            pos = np.searchsorted(space_rows, seed).clip(0, max(n - 1, 0))
            known = has_seed & (n > 0)
            known[known] &= space_rows[pos[known]] == seed[known]
        code = np.full(len(syn), 3, dtype=np.int8)  # no parent
        code[has_seed] = 2  # seed only, unless a copy or on a line
        test = np.flatnonzero(known & ~line)
        if len(test):
            code[test[_rows_equal(self.X, syn[test], space_X, pos[test])]] = 1
        code[line] = 0
        return np.array([LINE, COPY, SEED_ONLY, NO_PARENT], dtype=object)[code]  # one take, no per-row string

    def with_notes(self, notes: tuple[str, ...] | list[str]) -> ResampleResult:
        """The same result with ``notes`` added after its own (those it already has are not repeated)."""
        extra = tuple(n for n in dict.fromkeys(notes) if n not in self.notes)
        return replace(self, notes=self.notes + extra) if extra else self

    def provenance(self) -> pd.DataFrame:
        """One row per output row: the ``skewlab_*`` provenance columns."""
        weight = self.sample_weight if self.sample_weight is not None else np.full(len(self.row), np.nan)
        return pd.DataFrame(
            {
                "skewlab_origin": text_codes((self.row < 0).astype(np.int32), (ORIGINAL, SYNTHETIC)),
                "skewlab_row": _int64_na(self.row),
                "skewlab_seed_row": _int64_na(self.seed_row),
                "skewlab_neighbor_row": _int64_na(self.neighbor_row),
                "skewlab_alpha": self.alpha.astype(np.float64),
                "skewlab_strategy": text_codes(np.zeros(len(self.row), dtype=np.int32), (self.strategy,)),
                "skewlab_sample_weight": np.asarray(weight, dtype=np.float64),
            }
        )

    def removed(self) -> pd.DataFrame:
        """Removed original rows and why: ``skewlab_row``, ``skewlab_reason``."""
        return pd.DataFrame(
            {
                "skewlab_row": pd.array(self.removed_rows.astype(np.int64), dtype="Int64"),
                "skewlab_reason": pd.array(self.removed_reason.astype(str), dtype="string"),
            }
        )


def text_codes(codes: np.ndarray, names: Sequence[str], missing: np.ndarray | None = None) -> pd.arrays.ArrowStringArray:
    """A text column (pandas ``string``, Arrow-backed) of ``names[code]`` per row (NA where
    ``missing``), built by Arrow from the codes: no Python string per row (8.6M provenance cells
    took ~3 s one by one)."""
    import pyarrow as pa

    mask = None if missing is None or not np.any(missing) else np.asarray(missing, dtype=bool)
    arr = pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32), mask=mask),
                                         pa.array(list(names), type=pa.large_string())).cast(pa.large_string())
    return pd.arrays.ArrowStringArray(pa.chunked_array([arr]), dtype=pd.StringDtype("pyarrow"))


def _rows_equal(a: np.ndarray, at_a: np.ndarray, b: np.ndarray, at_b: np.ndarray, chunk: int = 1 << 15) -> np.ndarray:
    """Whether row ``at_a[i]`` of ``a`` equals row ``at_b[i]`` of ``b`` in every column, in chunks
    (bounded temporaries; numpy alone, so a job that compiles nothing never loads numba)."""
    out = np.empty(len(at_a), dtype=bool)
    for s in range(0, len(at_a), chunk):
        out[s : s + chunk] = (a[at_a[s : s + chunk]] == b[at_b[s : s + chunk]]).all(axis=1)
    return out


def _int64_na(a: np.ndarray) -> pd.arrays.IntegerArray:
    a = np.asarray(a, dtype=np.int64)
    return pd.arrays.IntegerArray(np.where(a >= 0, a, 0), a < 0)

