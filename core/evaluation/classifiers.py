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

DEFAULT_CLASSIFIER = "lda"


def _one_blas_thread():
    """BLAS limited to one thread while a closed-form model computes: its products are small and
    multi-threaded BLAS spin-waits badly on a busy 2-core machine (10x slower measured)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def _class_vote(classes: np.ndarray, counts: np.ndarray, n: int, class_weight: Any) -> np.ndarray:
    """The weight of every class: 1, ``n / (k * count)`` (``"balanced"``) or a dict's value (1 if absent)."""
    if class_weight is None:
        return np.ones(len(classes))
    if isinstance(class_weight, str) and class_weight == "balanced":
        return n / (len(classes) * counts)
    return np.array([float(class_weight.get(c, 1.0)) for c in classes.tolist()])


class SharedCovarianceLDA(ClassifierMixin, BaseEstimator):
    """Linear discriminant analysis with row weights: class means, one shared covariance, one solve.

    With row weights ``w`` (``sample_weight`` times ``class_weight``): the prior of a class is its
    share of the total weight, its mean the weighted mean of its rows, and the covariance the
    weighted within-class scatter divided by the total weight. The decision score of class ``k``
    is ``x' S^+ m_k - m_k' S^+ m_k / 2 + log prior_k`` with ``S^+`` the least-squares solve
    (``scipy.linalg.lstsq``; one-hot blocks make ``S`` singular). One ``d x d`` solve serves every
    class, so the cost grows with rows x features^2 and hardly with the number of classes. With
    unit weights and no shrinkage it is scikit-learn's ``LinearDiscriminantAnalysis(solver="lsqr")``.
    ``shrinkage`` in [0, 1] blends the covariance with its mean variance on the diagonal
    (``(1 - s) S + s * trace(S) / d * I``).
    """

    def __init__(self, shrinkage: float = 0.0, class_weight: Any = None) -> None:
        self.shrinkage = shrinkage
        self.class_weight = class_weight

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> SharedCovarianceLDA:
        """Class means, priors and the shared covariance; the coefficients of every class."""
        with _one_blas_thread():
            return self._fit(X, y, sample_weight)

    def _fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> SharedCovarianceLDA:
        from scipy.linalg import lstsq
        from scipy.sparse import csr_matrix
        from sklearn.utils.validation import check_X_y

        X, y = check_X_y(X, y, dtype=np.float64)
        self.classes_, codes = np.unique(y, return_inverse=True)
        k = len(self.classes_)
        counts = np.bincount(codes, minlength=k).astype(np.float64)
        sw = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).copy()
        sw *= _class_vote(self.classes_, counts, len(X), self.class_weight)[codes]
        onehot = csr_matrix((sw, (codes, np.arange(len(X)))), shape=(k, len(X)))
        class_w = np.asarray(onehot.sum(axis=1)).ravel()
        means = np.asarray(onehot @ X) / class_w[:, None]
        centred = X - means[codes]
        if sample_weight is not None or self.class_weight is not None:
            centred *= np.sqrt(sw)[:, None]
        cov = centred.T @ centred / class_w.sum()
        s = float(self.shrinkage)
        if s:
            cov = (1.0 - s) * cov + s * np.trace(cov) / len(cov) * np.eye(len(cov))
        coef = lstsq(cov, means.T, lapack_driver="gelsd")[0]
        self.priors_ = class_w / class_w.sum()
        self.means_ = means
        self.coef_ = np.ascontiguousarray(coef.T)
        self.intercept_ = -0.5 * np.einsum("kd,kd->k", means, self.coef_) + np.log(self.priors_)
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """``X @ coef_.T + intercept_``: one column per class (in ``classes_`` order)."""
        from sklearn.utils.validation import check_array

        X = check_array(X, dtype=np.float64)
        with _one_blas_thread():
            return X @ self.coef_.T + self.intercept_

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The class with the largest decision score."""
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]


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
        self._vote = _class_vote(self.classes_, counts, len(y), self.class_weight)
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
        "lda", "Linear discriminant analysis",
        settings={"shrinkage": 0.0},
        scores="decision",
        summary="Class means and one shared covariance, solved once for every class: seconds on "
                "thousands of classes. Row weights (reweighting strategies) set the means, covariance "
                "and priors; decision scores feed PR-AUC.",
        _factory=SharedCovarianceLDA, seeded=False,
    ),
    ClassifierSpec(
        "logreg", "Logistic regression",
        settings={"C": 1.0, "max_iter": 2000, "solver": "lbfgs"},
        summary="Multinomial logistic regression (L2, C=1): calibrated scores, but its fit grows with "
                "rows x classes (minutes per fold beyond a few hundred classes).",
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
    index = {c: i for i, c in enumerate(seen)}
    cols = np.array([index.get(c, -1) for c in classes], dtype=np.int64)
    out = raw[:, np.maximum(cols, 0)] if len(cols) else np.zeros((len(X), 0))
    if (cols < 0).any():
        out[:, cols < 0] = fill
    return out
