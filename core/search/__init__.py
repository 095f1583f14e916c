"""Which strategy should I use? A budgeted search that answers with a recipe.

:func:`search` (in :mod:`.run`) tries strategies, parameters, targets and pipelines from the registry
(:mod:`.space`) with optuna, cross-validating each on a search part of the catalog with the
evaluation's machinery (:mod:`.trials`), and confirms the winner against no resampling on rows held out
before any trial (:mod:`.split`, :mod:`.confirm`). :func:`winner_recipe` (:mod:`.recipe`) turns the
winner into the recipe the Export page and ``python -m core apply`` use. optuna is imported only when a
search runs.
"""

from core.search.confirm import BOOTSTRAP, CONFIRMED, Confirmation, Scored, weighted_metrics
from core.search.objective import Objective
from core.search.recipe import handover, winner_recipe
from core.search.result import OPTIMISTIC, SearchResult, TrialResult, pareto_front
from core.search.run import BUDGET_RANGE, DEFAULT_MAX_ROWS, search, search_bytes
from core.search.space import Candidate, SearchSpace, TargetBounds, default_space, param_range
from core.search.split import hold_out

__all__ = [
    "BOOTSTRAP", "BUDGET_RANGE", "CONFIRMED", "DEFAULT_MAX_ROWS", "OPTIMISTIC", "Candidate", "Confirmation",
    "Objective", "Scored", "SearchResult", "SearchSpace", "TargetBounds", "TrialResult", "default_space",
    "handover", "hold_out", "param_range", "pareto_front", "search", "search_bytes", "weighted_metrics", "winner_recipe",
]
