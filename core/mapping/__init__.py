"""The 2-D map shared by every strategy (:mod:`~core.mapping.projection`) and the audit of a strategy's
rows (:mod:`~core.mapping.audit`).

``core.mapping.audit`` stays the module (pages import it as one): the function is
``core.mapping.audit.audit``.
"""

from core.mapping.audit import Audit, near_copy_threshold, summary_table
from core.mapping.projection import (
    AT_SEED,
    CAP,
    INTERPOLATED,
    METHODS,
    MIN_CAP,
    PLACE_CAP,
    PLACEMENTS,
    TRANSFORMED,
    BaseMap,
    Projection,
    assemble,
    capped_sample,
    fit_base,
    fit_bytes,
    fit_sample,
    place,
    placement_kinds,
    placement_note,
    project,
)

__all__ = [
    "AT_SEED", "CAP", "INTERPOLATED", "METHODS", "MIN_CAP", "PLACEMENTS", "PLACE_CAP", "TRANSFORMED", "Audit",
    "BaseMap", "Projection", "assemble", "capped_sample", "fit_base", "fit_bytes", "fit_sample", "near_copy_threshold", "place",
    "placement_kinds", "placement_note", "project", "summary_table",
]
