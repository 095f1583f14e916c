"""The downstream classifiers of the evaluation, with defaults that hold up on long tails.

Every classifier is one :class:`ClassifierSpec`: its name, label, the settings it uses (shown on
the Evaluate page and in the CLI's JSON), whether ``fit`` takes ``sample_weight`` and how it
scores classes (``predict_proba`` or ``decision_function``, for PR-AUC).

Defaults were chosen so that none collapses on long-tailed data (see
``tests/core/test_classifiers.py``, which checks macro F1 on the sample catalog and the shared
datasets). The one that needs care is histogram gradient boosting: with library defaults
(learning rate 0.1, no L2 penalty) it over-fits the first trees to the tiny classes and its
multinomial loss diverges, so macro F1 collapses on many-class long tails; a learning rate of
0.05 with ``l2_regularization=1`` keeps it stable. Its early stopping is off: the internal
stratified validation split fails on classes with one training row and would take rows away
from the tail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.neighbors import NearestNeighbors

from core.errors import ParameterError

DEFAULT_CLASSIFIER = "logreg"


class WeightedKNN(ClassifierMixin, BaseEstimator):
    """k nearest neighbours whose votes can carry class weights.

    scikit-learn's ``KNeighborsClassifier`` takes neither ``sample_weight`` nor ``class_weight``,
    so reweighting strategies would be silently ignored. Here each neighbour votes with
    ``class_weight[its class]`` (times ``1 / distance`` when ``weights="distance"``).

    Parameters
    ----------
    n_neighbors : int
        Neighbours that vote (fewer when the training set is smaller).
    weights : {"uniform", "distance"}
    class_weight : dict, "balanced" or None
    """

    def __init__(self, n_neighbors: int = 5, weights: str = "distance", class_weight: Any = None) -> None:
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.class_weight = class_weight

    def fit(self, X: np.ndarray, y: np.ndarray) -> WeightedKNN:
        """Remember the training rows and the vote weight of every class."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        self.classes_, self._codes = np.unique(y, return_inverse=True)
        counts = np.bincount(self._codes, minlength=len(self.classes_)).astype(np.float64)
        if self.class_weight is None:
            vote = np.ones(len(self.classes_))
        elif isinstance(self.class_weight, str) and self.class_weight == "balanced":
            vote = len(y) / (len(self.classes_) * counts)
        else:
            vote = np.array([float(self.class_weight.get(c, 1.0)) for c in self.classes_.tolist()])
        self._vote = vote
        self._k = int(min(self.n_neighbors, len(X)))
        self._nn = NearestNeighbors(n_neighbors=self._k).fit(X)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Weighted vote share of every class (columns in ``classes_`` order)."""
        dist, idx = self._nn.kneighbors(np.asarray(X, dtype=np.float64), n_neighbors=self._k)
        w = np.ones_like(dist) if self.weights == "uniform" else 1.0 / np.maximum(dist, 1e-12)
        codes = self._codes[idx]
        w = w * self._vote[codes]
        out = np.zeros((len(idx), len(self.classes_)))
        np.add.at(out, (np.repeat(np.arange(len(idx)), idx.shape[1]), codes.ravel()), w.ravel())
        total = out.sum(axis=1, keepdims=True)
        return out / np.where(total > 0, total, 1.0)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The class with the largest weighted vote."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


@dataclass(frozen=True)
class ClassifierSpec:
    """One downstream classifier.

    Attributes
    ----------
    name : str
        Registry key (``logreg``).
    label : str
        Display name.
    settings : dict
        The constructor arguments used (besides ``random_state`` and ``class_weight``).
    sample_weight : bool
        Whether ``fit`` takes ``sample_weight``; when not, reweighting strategies reach the
        classifier as ``class_weight``.
    scores : str
        ``"proba"`` (``predict_proba``) or ``"decision"`` (``decision_function``).
    summary : str
    """

    name: str
    label: str
    settings: dict = field(default_factory=dict)
    sample_weight: bool = True
    scores: str = "proba"
    summary: str = ""
    _factory: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    seeded: bool = True

    def make(self, *, seed: int = 0, class_weight: Mapping[str, float] | str | None = None) -> Any:
        """A fresh, unfitted estimator with these settings."""
        kw: dict[str, Any] = dict(self.settings)
        if self.seeded:
            kw["random_state"] = int(seed)
        if class_weight is not None:
            kw["class_weight"] = dict(class_weight) if isinstance(class_weight, Mapping) else class_weight
        return self._factory(**kw)

    def describe(self) -> str:
        """``label (key=value, ...)`` as shown to the analyst."""
        return f"{self.label} ({', '.join(f'{k}={v}' for k, v in self.settings.items())})"


def _logreg(**kw):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(**kw)


def _hgb(**kw):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**kw)


def _forest(**kw):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(**kw)


def _svm(**kw):
    from sklearn.svm import LinearSVC

    return LinearSVC(**kw)


_SPECS = (
    ClassifierSpec(
        "logreg", "Logistic regression",
        settings={"C": 1.0, "max_iter": 2000, "solver": "lbfgs"},
        summary="Multinomial logistic regression (L2, C=1). Fast, calibrated scores, strong on long tails.",
        _factory=_logreg, seeded=False,
    ),
    ClassifierSpec(
        "hgb", "Histogram gradient boosting",
        settings={"learning_rate": 0.05, "l2_regularization": 1.0, "max_iter": 100, "max_leaf_nodes": 15,
                  "min_samples_leaf": 5, "early_stopping": False},
        summary="Gradient boosting with a slower learning rate and an L2 penalty: the library defaults "
                "(0.1, no penalty) collapse on many-class long tails.",
        _factory=_hgb,
    ),
    ClassifierSpec(
        "random_forest", "Random forest",
        settings={"n_estimators": 200, "min_samples_leaf": 1, "max_features": "sqrt", "n_jobs": 1},
        summary="200 trees; each leaf may hold a single row so tiny classes can still be predicted.",
        _factory=_forest,
    ),
    ClassifierSpec(
        "linear_svm", "Linear SVM",
        settings={"C": 0.5, "max_iter": 5000, "dual": "auto"},
        scores="decision",
        summary="One-vs-rest linear SVM; decision scores (not probabilities) feed PR-AUC.",
        _factory=_svm,
    ),
    ClassifierSpec(
        "knn", "k nearest neighbours",
        settings={"n_neighbors": 5, "weights": "distance"},
        sample_weight=False,
        summary="Distance-weighted 5-NN; it takes no sample weights, so reweighting strategies become "
                "class weights on its votes.",
        _factory=WeightedKNN, seeded=False,
    ),
)

#: name -> spec, in display order (the default first).
CLASSIFIERS: dict[str, ClassifierSpec] = {s.name: s for s in _SPECS}


def get_classifier(name: str) -> ClassifierSpec:
    """The spec of ``name`` (ParameterError naming the choices when unknown)."""
    key = str(name).strip()
    if key not in CLASSIFIERS:
        raise ParameterError(
            f"Unknown classifier {name!r}.", hint=f"Classifiers: {', '.join(CLASSIFIERS)}."
        )
    return CLASSIFIERS[key]


def class_scores(estimator: Any, spec: ClassifierSpec, X: np.ndarray, classes: list[str]) -> np.ndarray | None:
    """Scores of ``classes`` (columns in that order) for PR-AUC; ``None`` if the model gives none.

    A class the fitted model never saw (every training row of it removed) gets a score below
    every other (decision) or 0 (probability) for every row.
    """
    if spec.scores == "decision" and hasattr(estimator, "decision_function"):
        raw = np.asarray(estimator.decision_function(X), dtype=np.float64)
        fill = float(raw.min()) - 1.0 if raw.size else -1.0
    elif hasattr(estimator, "predict_proba"):
        raw = np.asarray(estimator.predict_proba(X), dtype=np.float64)
        fill = 0.0
    else:
        return None
    seen = [str(c) for c in estimator.classes_]
    if raw.ndim == 1:  # binary decision_function: score of classes_[1]
        raw = np.column_stack([-raw, raw])
    out = np.full((len(X), len(classes)), fill)
    index = {c: i for i, c in enumerate(seen)}
    for j, c in enumerate(classes):
        if c in index:
            out[:, j] = raw[:, index[c]]
    return out
