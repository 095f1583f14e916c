"""The analyst's strategy run, shared by the Strategies, Map, Evaluate and Export pages.

``st.session_state["run_config"]`` holds what the analyst ran (a choice, JSON-able):

    {"strategies": [{"name": "smote", "params": {...}}, ...], "target": "floor:100",
     "small_classes": "error", "seed": 0, "text_dim": 64}

Results are never stored in session state: :func:`current_runs` gets them from a content-keyed
cache (``st.cache_resource``), so revisiting a page costs nothing and a rerun after eviction
recomputes the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from core.data import FeatureConfig, FeatureSpace, build_features
from core.errors import SkewlabError, SmallClassError
from core.strategies import ResampleResult, resample
from core.text import DEFAULT_ENCODER, make_encoder
from ui import admission, cache, nav
from ui import common as ui
from ui.forms import strategy_label

#: The small-class choices in the words of the Strategies page.
SMALL_LABELS = {
    "error": "Stop and tell me (no change)",
    "lower_k": "Lower k for those classes",
    "random_over": "Random over-sample them instead",
    "merge": "Merge them into 'Other'",
    "drop": "Leave them out (rows kept as they are)",
}


@dataclass(frozen=True)
class RunOutcome:
    """One strategy of the run: its result or the message of why it failed."""

    name: str
    label: str
    params: dict
    result: ResampleResult | None
    error: str | None


def roles_key() -> tuple:
    return tuple(sorted(st.session_state["roles"].items()))


def text_encoder() -> str:
    """The text encoder chosen on the Data page (the default until one is chosen)."""
    return str(st.session_state.get("choice_text_encoder", DEFAULT_ENCODER))


def _features(key: tuple, column: str, level, separator, roles: tuple, text_dim: int, encoder: str, frame, labels,
              progress: Callable) -> FeatureSpace:
    config = FeatureConfig.from_roles(dict(roles), text_dim=text_dim, text_encoder=encoder)

    def build() -> FeatureSpace:  # the text encoder reports its progress (the full model takes a while)
        text = make_encoder(encoder, dim=text_dim, seed=config.seed, progress=progress) if config.text else None
        return build_features(frame, labels, config, text_encoder=text)

    return cache.heavy_cache().get(("features", key, column, level, separator, roles, text_dim, encoder), build)


def feature_space(table, choice, *, text_dim: int | None = None) -> FeatureSpace:
    """The feature space of the current catalog, label, roles and text encoder (cached by content); a
    progress bar with the time left while a long text embedding runs."""
    text_dim = int(text_dim if text_dim is not None else st.session_state.get("choice_text_dim", 64))
    labels = ui.current_labels(table, choice)
    holder: dict = {}

    def progress(fraction: float, message: str) -> None:
        if "bar" not in holder:
            holder["bar"] = st.progress(0.0)
        holder["bar"].progress(min(max(fraction, 0.0), 1.0), text=f"Text features: {message}")

    try:
        return _features(ui.table_key(), choice.column, choice.level, choice.separator, roles_key(), text_dim,
                         text_encoder(), table.frame, labels, progress)
    finally:
        if "bar" in holder:
            holder["bar"].empty()


def _resample(space_key: tuple, name: str, params_json: str, target: str, small_classes: str, seed: int,
              space: FeatureSpace, progress: Callable | None = None) -> ResampleResult:
    key = ("resample", space_key, name, params_json, target, small_classes, seed)
    def compute() -> ResampleResult:
        with admission.heavy("Strategy run", memory=_run_bytes(space, name, params_json, target, small_classes),
                             smaller="Use a smaller target (a tail floor such as floor:20) or fewer strategies"):
            return resample(space, name, params=json.loads(params_json), target=target, small_classes=small_classes,
                            seed=seed, progress=progress)

    return cache.results_cache().get(key, compute)


def _run_bytes(space: FeatureSpace, name: str, params_json: str, target: str, small_classes: str) -> int | None:
    """The run's memory estimate (``core.strategies.cost``) for the admission check; None when the
    parameters do not validate (the run then says why)."""
    from core.strategies.cost import estimate

    try:
        return estimate(space.class_counts(), space.X.shape[1], name, target=target, params=json.loads(params_json),
                        small_classes=small_classes).bytes_needed
    except SkewlabError:
        return None


def space_key(table, choice, text_dim: int) -> tuple:
    return (ui.table_key(), choice.column, choice.level, choice.separator, roles_key(), int(text_dim), text_encoder())


def run_cached(table, choice, space: FeatureSpace, name: str, params: dict, *, target: str, small_classes: str,
               seed: int, text_dim: int, progress: Callable | None = None) -> ResampleResult:
    """Run (or fetch from cache) one strategy, under the key :func:`run_one` uses; errors are raised."""
    return _resample(space_key(table, choice, text_dim), name, json.dumps(params, sort_keys=True), target,
                     small_classes, int(seed), space, progress)


def run_one(table, choice, space: FeatureSpace, name: str, params: dict, *, target: str, small_classes: str,
            seed: int, text_dim: int, progress: Callable | None = None) -> RunOutcome:
    """Run (or fetch from cache) one strategy; a failure becomes a message, never an exception."""
    try:
        result = run_cached(table, choice, space, name, params, target=target, small_classes=small_classes,
                            seed=seed, text_dim=text_dim, progress=progress)
        return RunOutcome(name, strategy_label(name), params, result, None)
    except SmallClassError as exc:  # the way forward in the page's words, not the code's
        choices = ", ".join(f"'{SMALL_LABELS[c]}'" for c in SMALL_LABELS if c != "error")
        return RunOutcome(name, strategy_label(name), params, None,
                          f"{exc.message} Choose what to do with them under Small classes: {choices}.")
    except SkewlabError as exc:
        return RunOutcome(name, strategy_label(name), params, None, str(exc))
    except Exception as exc:  # one strategy's crash must not take the others down
        return RunOutcome(name, strategy_label(name), params, None,
                          f"{strategy_label(name)} failed unexpectedly ({type(exc).__name__}: {str(exc)[:200]}).")


def run_config() -> dict | None:
    return st.session_state.get("run_config")


def current_runs(table, choice, *, progress_ui: bool = True) -> list[RunOutcome]:
    """Results of the last run configuration: from the cache when there, else computed with a
    progress bar (which appears only when something is computed)."""
    cfg = run_config()
    if not cfg:
        return []
    space = feature_space(table, choice, text_dim=cfg.get("text_dim", 64))
    out = []
    holder: dict = {}
    n = len(cfg["strategies"])
    for i, item in enumerate(cfg["strategies"]):
        def progress(f: float, msg: str, i=i, label=strategy_label(item["name"])) -> None:
            if not progress_ui:
                return
            if "bar" not in holder:
                holder["bar"] = st.progress(0.0)
            holder["bar"].progress(min((i + f) / n, 1.0), text=f"{label} ({i + 1} of {n}): {msg}")
        out.append(run_one(table, choice, space, item["name"], item["params"], target=cfg["target"],
                           small_classes=cfg["small_classes"], seed=cfg["seed"], text_dim=cfg.get("text_dim", 64),
                           progress=progress))
    if "bar" in holder:
        holder["bar"].empty()
    return out


def require_runs(table, choice) -> list[RunOutcome] | None:
    """Runs for the pages after Strategies; shows the way back when there are none."""
    if not run_config():
        st.info("Run some strategies first on the Strategies page.", icon=":material/tune:")
        nav.link(nav.STRATEGIES, label="Go to Strategies", icon=":material/arrow_back:")
        return None
    return current_runs(table, choice)
