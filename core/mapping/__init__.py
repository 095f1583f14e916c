"""The 2-D map shared by every strategy (:mod:`~core.mapping.projection`) and the audit of a strategy's
rows (:mod:`~core.mapping.audit`).

``core.mapping.audit`` stays the module (pages import it as one): the function is
``core.mapping.audit.audit``.
"""

from core.mapping.audit import Audit, near_copy_threshold, summary_table
from core.mapping.projection import (
    CAP,
    METHODS,
    MIN_CAP,
    BaseMap,
    Projection,
    assemble,
    fit_base,
    fit_sample,
    place,
    project,
)

__all__ = [
    "CAP", "METHODS", "MIN_CAP", "Audit", "BaseMap", "Projection", "assemble", "fit_base", "fit_sample",
    "near_copy_threshold", "place", "project", "summary_table",
]
