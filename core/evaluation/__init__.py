"""Honest comparison: leak-free cross-validation of strategies x downstream classifiers.

:func:`evaluate` (in :mod:`.cv`) runs it and returns an :class:`Evaluation` (:mod:`.result`);
:mod:`.metrics` says what is measured and how it is aggregated and tested; :mod:`.classifiers`
holds the downstream classifiers; :mod:`.runner` runs one fold of one strategy.
"""

from core.evaluation.classifiers import (
    CLASSIFIERS,
    DEFAULT_CLASSIFIER,
    ClassifierSpec,
    SharedCovarianceLDA,
    WeightedKNN,
    class_scores,
    get_classifier,
)
from core.evaluation.cost import EvaluationEstimate, check_budget, fmt_seconds
from core.evaluation.cv import (
    BASELINES,
    FOLDS_RANGE,
    MIN_BUDGET,
    ON_ERROR,
    REPEATS_RANGE,
    Progress,
    budget_sample,
    estimate_evaluation,
    evaluate,
)
from core.evaluation.metrics import (
    ALPHA,
    GMEAN_DESCRIPTION,
    GMEAN_ZERO_RECALL,
    GROUPS,
    METRICS,
    WILCOXON_MIN,
    Interval,
    average_precisions,
    fold_metrics,
    g_mean,
    interval,
    metric_range,
    paired_test,
)
from core.evaluation.pool import EvaluationCancelled
from core.evaluation.result import ComparisonResult, Evaluation, FoldLog, FoldScore, Verdict

__all__ = [
    "EvaluationCancelled", "EvaluationEstimate", "SharedCovarianceLDA", "average_precisions",
    "check_budget", "estimate_evaluation", "fmt_seconds",
    "ALPHA", "BASELINES", "GMEAN_DESCRIPTION", "GMEAN_ZERO_RECALL", "CLASSIFIERS", "DEFAULT_CLASSIFIER", "FOLDS_RANGE", "GROUPS", "METRICS", "MIN_BUDGET",
    "ON_ERROR", "REPEATS_RANGE", "WILCOXON_MIN", "ClassifierSpec", "ComparisonResult", "Evaluation", "FoldLog",
    "FoldScore", "Interval", "Progress", "Verdict", "WeightedKNN", "budget_sample", "class_scores", "evaluate",
    "fold_metrics", "g_mean", "get_classifier", "interval", "metric_range", "paired_test",
]
