"""Cached core calls of the Map page: the projection, the audits and the hover texts.

Everything is keyed by content (the catalog, label, roles, text_dim and the run configuration),
so changing the highlighted class or a display toggle reruns the page without refitting. A
synthetic row's hover names its seed and neighbour rows with their titles (``core.mapping.hover``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from core.charts import real_hover_text
from core.data import FeatureSpace
from core.mapping import TRANSFORMED, Projection, assemble, fit_base, fit_bytes, place, placement_kinds, placement_note
from core.mapping.audit import Audit, audit
from core.mapping.hover import synthetic_hover_text
from ui import admission, cache, runs
from ui.runs import RunOutcome


def outcome_key(o: RunOutcome) -> tuple:
    """Content key of one strategy of the run."""
    return (o.name, json.dumps(o.params, sort_keys=True, default=str))


def run_key(table, choice, cfg: dict, outcomes: Sequence[RunOutcome]) -> tuple:
    """Content key of the run: the feature space, the strategies that have a result, target, seed."""
    text_dim = int(cfg.get("text_dim", 64))
    return (runs.space_key(table, choice, text_dim), tuple(outcome_key(o) for o in outcomes),
            str(cfg.get("target")), str(cfg.get("small_classes")), int(cfg.get("seed", 0)))


def projection(key: tuple, space: FeatureSpace, outcomes: Sequence[RunOutcome], *, method: str, cap: int, seed: int,
               head_min: int, placement: str = "interpolate", progress: Callable | None = None) -> Projection:
    """The shared map of the run: the fitted base once per feature space, method, cap, seed and
    head bound; each strategy's synthetic rows placed on it once per strategy result.

    Adding or removing a strategy therefore costs only the placement of its own rows, and a
    strategy's points do not move because of the others. ``progress`` is called only for work
    that is computed (``ui.cache`` runs it outside any ``st.cache_*`` function, so a progress bar
    does not break replays).
    """
    heavy = cache.heavy_cache()
    base_key = ("map-base", key[0], method, int(cap), int(seed), int(head_min))
    computed = base_key not in heavy
    def fit():
        with admission.heavy("Map", memory=fit_bytes(space.n_rows, space.X.shape[1], cap),
                             smaller="Fit the map on fewer real rows (Fit on at most … real rows) or use PCA"):
            return fit_base(space, method=method, cap=int(cap), seed=int(seed), head_min=int(head_min), progress=progress)

    base = heavy.get(base_key, fit)
    t = time.perf_counter()
    placed = []
    for o in outcomes:
        pkey = ("map-place", base_key, outcome_key(o), key[2:], placement)
        if pkey not in heavy:
            computed = True
            if progress is not None:
                n = int((o.result.origin == "synthetic").sum())
                progress(0.9, f"placing {n:,} synthetic rows of {o.label}")
        placed.append(heavy.get(pkey, lambda o=o: place(base, o.result, space=space, placement=placement)))
    if computed and progress is not None:
        progress(1.0, "map ready")
    return assemble(base, [o.result for o in outcomes], placed, place_s=time.perf_counter() - t)


def placement_notes(proj: Projection, space: FeatureSpace, outcomes: Sequence[RunOutcome], *,
                    placement: str) -> list[str]:
    """Per strategy with synthetic rows: how they were placed (``core.mapping.placement_note``)."""
    notes = []
    for i, o in enumerate(outcomes):
        r = o.result
        if not r.n_synthetic:
            continue
        kinds = (placement_kinds(proj, r, space=space) if placement == "interpolate"
                 else np.full(r.n_synthetic, TRANSFORMED, dtype=object))
        notes.append(f"{o.label}: {placement_note(kinds, proj.synthetic_xy[i])}")
    return notes


@st.cache_resource(max_entries=48, show_spinner=False)
def _audit(key: tuple, strategy_key: tuple, head_min: int, tail_max: int, _space: FeatureSpace, _result) -> Audit:
    return audit(_space, _result, head_min=head_min, tail_max=tail_max)


def audits(key: tuple, space: FeatureSpace, outcomes: Sequence[RunOutcome], *, head_min: int, tail_max: int) -> list[Audit]:
    return [_audit(key[0], (outcome_key(o),) + key[2:], int(head_min), int(tail_max), space, o.result) for o in outcomes]


def hover_columns(frame: pd.DataFrame, roles: dict) -> tuple[str | None, tuple[str, ...]]:
    """First text column (the product title) and up to three numeric columns, in table order."""
    text = [str(c) for c in frame.columns if roles.get(str(c)) == "text"]
    numeric = tuple(str(c) for c in frame.columns if roles.get(str(c)) == "numeric")[:3]
    return (text[0] if text else None), numeric


@st.cache_resource(max_entries=6, show_spinner=False)
def _real_hover(space_key: tuple, title: str | None, numeric: tuple, _frame: pd.DataFrame,
                _space: FeatureSpace) -> np.ndarray:
    return real_hover_text(_frame, _space.rows, _space.y, title=title, numeric=numeric)


def real_hover(key: tuple, frame: pd.DataFrame, space: FeatureSpace, title: str | None, numeric: tuple) -> np.ndarray:
    return _real_hover(key[0], title, numeric, frame, space)


@st.cache_resource(max_entries=48, show_spinner=False)
def _synthetic_hover(key: tuple, title: str | None, numeric: tuple, _space: FeatureSpace, _result,
                     _frame: pd.DataFrame) -> np.ndarray:
    return synthetic_hover_text(_space, _result, _frame, title=title, numeric=numeric)


def synthetic_hover(key: tuple, o: RunOutcome, frame: pd.DataFrame, space: FeatureSpace, title: str | None,
                    numeric: tuple) -> np.ndarray:
    return _synthetic_hover((key[0], outcome_key(o)) + key[2:], title, numeric, space, o.result, frame)
