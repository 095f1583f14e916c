"""Cleaning under-samplers: Tomek links, edited nearest neighbours, the neighbourhood cleaning
rule and one-sided selection. Tomek, ENN and NCR run here over exact k-NN and remove the same
rows as imbalanced-learn; one-sided selection calls imbalanced-learn.

Every cleaner runs :func:`clean` with its ``rule``: ``rule(X, y, clean, counts, params, seed,
notes) -> (positions to remove, reasons)`` over the active rows.

The tail guard (:data:`TAIL_GUARD`, ``min_class_rows``, shared with the under-samplers and the
cleaning half of SMOTE + ENN / Tomek) keeps ``min(real rows, min_class_rows)`` real rows of every
class: classes with fewer real rows lose none, larger ones stop at ``min_class_rows``; synthetic
rows are not protected (:func:`guard_removals`). Any value of 1 or more therefore never deletes a
whole class; 0 turns the guard off, and then the rows removed are imbalanced-learn's. One parameter
rather than a separate "never empty a class" rule: ``min_class_rows=1`` is that rule, and the
outlier removers already call their guard so.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np

from core.data.skew import TAIL_MAX
from core.errors import ParameterError
from core.neighbors.knn import sklearn_kneighbors
from core.strategies.spec import ParamSpec, StrategySpec, register
from core.strategies.state import Ctx, State, active_counts

__all__ = ["CLASSES_PARAM", "TAIL_GUARD", "Rule", "clean", "cleanable_classes", "enn_rule", "guard_note", "guard_removals", "run_cleaner",
           "tomek_rule"]

Rule = Callable[..., tuple[np.ndarray, list[str]]]


#: The tail guard of every cleaner and under-sampler (see the module docstring).
TAIL_GUARD = ParamSpec(
    "min_class_rows", "int", TAIL_MAX, 0, 1_000_000,
    help="Tail guard: no class loses real rows below this many (classes with fewer rows are left alone, no "
         "class is deleted); 0 = off, the rows imbalanced-learn removes.",
)


def guard_removals(y: np.ndarray, remove: np.ndarray, floor: int,
                   real: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, int]]:
    """The positions of ``remove`` the guard lets go, and the rows it kept back per class.

    Each class of ``y`` keeps at least ``min(its real rows, floor)`` real rows (``real``: which
    rows are real catalog rows; default all): when a rule would take it lower, the first real rows
    (in row order) of those it picked stay. Synthetic rows are never kept back. ``floor`` 0:
    nothing kept back.
    """
    if floor <= 0 or not len(remove):
        return remove, {}
    real = np.ones(len(y), dtype=bool) if real is None else np.asarray(real, dtype=bool)
    remove = np.sort(remove)
    classes, codes = np.unique(y, return_inverse=True)
    size = np.bincount(codes[real], minlength=len(classes))
    cand = remove[real[remove]]  # real rows the rule picked
    lose = np.bincount(codes[cand], minlength=len(classes))
    spare = np.maximum(np.minimum(size, floor) - (size - lose), 0)  # rows to keep back per class
    rc = codes[cand]
    order = np.argsort(rc, kind="stable")  # removals grouped by class, row order within
    rank = np.empty(len(cand), dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lose)[:-1]])
    rank[order] = np.arange(len(cand)) - np.repeat(starts, lose)
    back = cand[rank < spare[rc]]
    return np.setdiff1d(remove, back), {str(classes[i]): int(spare[i]) for i in np.flatnonzero(spare)}


def guard_note(label: str, floor: int, kept: Mapping[str, int], sizes: Mapping[str, int]) -> str:
    """The note of a guard that kept rows: how many classes and rows, and which classes it saved whole
    (``sizes``: the rows each class had)."""
    saved = sorted(c for c, n in kept.items() if n >= sizes[c])
    whole = (f"; without it {len(saved)} class(es) would have lost every row "
             f"({', '.join(map(repr, saved[:6]))}{'...' if len(saved) > 6 else ''})") if saved else ""
    return (f"{label}: the tail guard (min_class_rows={floor}) kept {sum(kept.values())} row(s) of {len(kept)} "
            f"class(es), so no class went below min(its rows, {floor}){whole}. Set min_class_rows=0 to turn it off.")


def clean(state: State, ctx: Ctx, rule: Rule, p: Mapping[str, Any], *, classes_choice: str, floor: int = 0,
          label: str = "Cleaning") -> None:
    """Remove the rows ``rule`` finds among the classes ``classes_choice`` lets lose rows, but no real
    row that would take a class below ``min(its real rows, floor)`` (the tail guard; 0 = off)."""
    counts = active_counts(state, ctx)
    if len(counts) < 2:
        state.notes.append("Cleaning needs at least 2 classes; nothing was removed.")
        return
    active = np.flatnonzero(np.isin(state.yc, [state.code(c) for c in counts]))
    X, y = state.X[active], state.labels(active)
    remove, reasons = rule(X, y, cleanable_classes(counts, classes_choice), counts, p, ctx.seed, state.notes)
    remove = np.asarray(remove, dtype=np.int64)
    why = dict(zip(remove.tolist(), reasons))
    real = state.pos[active] >= 0
    remove, kept = guard_removals(y, remove, floor, real)
    if kept:
        real_counts = dict(zip(*np.unique(y[real], return_counts=True)))
        state.notes.append(guard_note(label, floor, kept, {str(c): int(n) for c, n in real_counts.items()}))
    reasons = [why[i] for i in remove.tolist()]
    mask = np.ones(len(state.yc), dtype=bool)
    mask[active[remove]] = False
    uniform = len(set(reasons)) == 1
    state.keep(mask, reasons[0] if uniform else {int(active[i]): r for i, r in zip(remove.tolist(), reasons)}, ctx.rows)


def run_cleaner(state: State, spec: StrategySpec, p: Mapping[str, Any], ctx: Ctx, *, rule: Rule) -> None:
    clean(state, ctx, rule, p, classes_choice=p.get("classes", "not minority"), floor=int(p[TAIL_GUARD.name]),
          label=spec.label)


def cleanable_classes(counts: Mapping[str, int], choice: str) -> set[str]:
    """The classes a cleaner may take rows from (imbalanced-learn's sampling_strategy choice)."""
    hi, lo = max(counts.values()), min(counts.values())
    majority = min(c for c, n in counts.items() if n == hi)
    minority = min(c for c, n in counts.items() if n == lo)
    # imbalanced-learn picks the first class of np.unique order among ties (sorted); match it
    if choice == "all":
        return set(counts)
    if choice == "majority":
        return {majority}
    if choice == "not majority":
        return set(counts) - {majority}
    return set(counts) - {minority}



def _check_k(k: int, n: int, what: str) -> None:
    if k + 1 > n:
        raise ParameterError(f"{what} with n_neighbors={k} needs more than {k} rows; there are {n}.", hint=f"Use n_neighbors <= {n - 1}.")


def tomek_rule(X: np.ndarray, y: np.ndarray, clean: set[str], counts: Mapping[str, int], p: Mapping[str, Any],
               seed: int, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    """Rows in a Tomek link (each other's nearest neighbour, different classes)."""
    _check_k(1, len(X), "Tomek links")
    nn1 = sklearn_kneighbors(X, 2)[:, 1]
    link = (y[nn1] != y) & (nn1[nn1] == np.arange(len(y))) & np.isin(y, list(clean))
    remove = np.flatnonzero(link)
    return remove, ["tomek link"] * len(remove)


def _enn_keep(y: np.ndarray, query_y: np.ndarray, nbr: np.ndarray, kind: str) -> np.ndarray:
    """Whether each query row's neighbours (all, or their mode) share its class.

    The mode breaks ties towards the smallest class name, as scipy's ``mode`` and
    scikit-learn's ``KNeighborsClassifier`` do.
    """
    labels = y[nbr]
    if kind == "all":
        return np.all(labels == query_y[:, None], axis=1)
    classes, codes = np.unique(labels, return_inverse=True)
    codes = codes.reshape(labels.shape)
    counts = np.zeros((len(query_y), len(classes)), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(len(query_y)), labels.shape[1]), codes.ravel()), 1)
    return classes[counts.argmax(axis=1)] == query_y


def enn_rule(X: np.ndarray, y: np.ndarray, clean: set[str], counts: Mapping[str, int], p: Mapping[str, Any],
             seed: int, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    """Rows whose neighbours (all, or their mode) are of another class."""
    k, kind = int(p["n_neighbors"]), str(p["kind_sel"])
    _check_k(k, len(X), "ENN")
    nn = sklearn_kneighbors(X, k + 1)
    keep = _enn_keep(y, y, nn[:, 1:], kind)
    remove = np.flatnonzero(~keep & np.isin(y, list(clean)))
    why = "edited nearest neighbours (" + ("not all" if kind == "all" else "most") + f" of {k} neighbours of another class)"
    return remove, [why] * len(remove)


def _ncr_rule(X: np.ndarray, y: np.ndarray, clean: set[str], counts: Mapping[str, int], p: Mapping[str, Any],
              seed: int, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    k, threshold = int(p["n_neighbors"]), float(p["threshold_cleaning"])
    _check_k(k, len(X), "NCR")
    nn = sklearn_kneighbors(X, k + 1)
    a1 = ~_enn_keep(y, y, nn[:, 1:], "mode") & np.isin(y, list(clean))
    lo = min(counts.values())
    # imbalanced-learn takes the minority from Counter(y): the first tied class in row order
    _, first = np.unique(y, return_index=True)
    tied = [c for c, n in counts.items() if n == lo]
    minority = min(tied, key=lambda c: int(first[np.searchsorted(np.unique(y), c)]))
    to_clean = {c for c, n in counts.items() if c in clean and n > counts[minority] * threshold}
    mino = np.flatnonzero(y == minority)
    pred_ok = _enn_keep(y, y[mino], nn[mino, :k], "mode") if len(mino) else np.zeros(0, dtype=bool)
    # KNeighborsClassifier.predict on training rows votes with the k nearest including the row itself
    mis = mino[~pred_ok]
    a2 = np.zeros(len(y), dtype=bool)
    if len(mis):
        cand = np.unique(nn[mis, 1:].ravel())
        cand = cand[np.isin(y[cand], list(to_clean))]
        a2[cand] = True
    remove = np.flatnonzero(a1 | a2)
    reasons = ["neighbourhood cleaning (edited nearest neighbours)" if a1[i] else "neighbourhood cleaning (near a misclassified minority row)" for i in remove]
    return remove, reasons


def _oss_rule(X: np.ndarray, y: np.ndarray, clean: set[str], counts: Mapping[str, int], p: Mapping[str, Any],
              seed: int, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    from imblearn.under_sampling import OneSidedSelection

    seeds = int(p["n_seeds_S"])
    counts = Counter(y.tolist())  # of the rows given (the active ones)
    whole = sorted(c for c in clean if counts[c] <= seeds)
    clean = {c for c in clean if counts[c] > seeds}
    if whole:
        notes.append(
            f"One-sided selection keeps {len(whole)} class(es) whole: they have no more rows than n_seeds_S={seeds} "
            f"({', '.join(map(repr, whole[:6]))}{'...' if len(whole) > 6 else ''})."
        )
    if not clean:
        return np.zeros(0, dtype=np.int64), []
    s = OneSidedSelection(sampling_strategy=sorted(clean) if len(clean) < len(counts) else "all",
                          random_state=seed, n_neighbors=int(p["n_neighbors"]), n_seeds_S=int(p["n_seeds_S"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.fit_resample(X, y)
    keep = np.zeros(len(y), dtype=bool)
    keep[s.sample_indices_] = True
    remove = np.flatnonzero(~keep)
    return remove, ["one-sided selection"] * len(remove)


#: Which classes a cleaner may take rows from (imbalanced-learn's sampling_strategy).
CLASSES_PARAM = ParamSpec(
    "classes",
    "choice",
    "not minority",
    choices=("not minority", "all", "majority", "not majority"),
    help="Which classes may lose rows (imbalanced-learn's sampling_strategy of cleaning methods).",
)


def _as_imblearn(p: Mapping[str, Any]) -> dict[str, Any]:
    """imbalanced-learn's keyword arguments (the tail guard is Skewlab's: the snippet writes it apart)."""
    return {("sampling_strategy" if key == "classes" else key): value for key, value in p.items()
            if key != TAIL_GUARD.name}


register(StrategySpec(
    "tomek_links",
    "Tomek links",
    "clean",
    "Remove rows that form a Tomek link (two rows of different classes that are each other's nearest neighbour).",
    (CLASSES_PARAM, TAIL_GUARD),
    imblearn="imblearn.under_sampling:TomekLinks",
    reference="Tomek 1976",
    runner=partial(run_cleaner, rule=tomek_rule),
    snippet_kwargs=_as_imblearn,
))
register(StrategySpec(
    "enn",
    "Edited nearest neighbours",
    "clean",
    "Remove rows whose nearest neighbours mostly (or all) belong to other classes.",
    (
        ParamSpec("n_neighbors", "int", 3, 1, 100, help="Neighbours that vote."),
        ParamSpec("kind_sel", "choice", "all", choices=("all", "mode"), help="'all': keep a row only if all neighbours agree; 'mode': if most do."),
        CLASSES_PARAM,
        TAIL_GUARD,
    ),
    imblearn="imblearn.under_sampling:EditedNearestNeighbours",
    reference="Wilson 1972",
    runner=partial(run_cleaner, rule=enn_rule),
    snippet_kwargs=_as_imblearn,
))
register(StrategySpec(
    "ncr",
    "Neighbourhood cleaning rule",
    "clean",
    "ENN (mode) plus removal of the neighbours of misclassified rows of the smallest class.",
    (
        ParamSpec("n_neighbors", "int", 3, 1, 100, help="Neighbours that vote."),
        ParamSpec("threshold_cleaning", "float", 0.5, 0.0, 1.0, help="Classes larger than this share of the smallest class are cleaned."),
        CLASSES_PARAM,
        TAIL_GUARD,
    ),
    imblearn="imblearn.under_sampling:NeighbourhoodCleaningRule",
    reference="Laurikkala 2001",
    runner=partial(run_cleaner, rule=_ncr_rule),
    snippet_kwargs=_as_imblearn,
))
register(StrategySpec(
    "oss",
    "One-sided selection",
    "clean",
    "Keep the rows of large classes a 1-NN rule misclassifies, then remove Tomek links.",
    (
        ParamSpec("n_neighbors", "int", 1, 1, 100, help="Neighbours of the k-NN rule."),
        ParamSpec("n_seeds_S", "int", 1, 1, 1000, help="Rows of each large class that seed the kept set."),
        CLASSES_PARAM,
        TAIL_GUARD,
    ),
    imblearn="imblearn.under_sampling:OneSidedSelection",
    reference="Kubat & Matwin 1997",
    runner=partial(run_cleaner, rule=_oss_rule),
    seeded=True,
    snippet_kwargs=_as_imblearn,
))
