"""Strategy forms generated from the registry (core.strategies): one widget per ParamSpec."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.strategies import REGISTRY, ParamSpec, StrategySpec, parse_pipeline

FAMILY_LABELS = {
    "baseline": "Baseline",
    "over": "Over-sampling",
    "under": "Under-sampling",
    "clean": "Cleaning",
    "combined": "Over-sampling + cleaning",
    "outlier": "Outlier removal",
    "reweight": "Reweighting (no rows change)",
}


def strategy_label(name: str) -> str:
    """Display name of a strategy or pipeline ("Isolation Forest → SMOTE")."""
    try:
        return " → ".join(REGISTRY[n].label for n in parse_pipeline(name))
    except Exception:  # an unknown name shows as typed; validation reports it elsewhere
        return name


def option_label(name: str) -> str:
    spec = REGISTRY.get(name)
    if spec is None:
        return strategy_label(name)
    return f"{spec.label} · {FAMILY_LABELS[spec.family].split(' (')[0].lower()}"


def _key(instance: str, step: str, param: str) -> str:
    return f"p::{instance}::{step}::{param}"


def param_widget(instance: str, step: str, p: ParamSpec) -> Any:
    """One widget for one parameter, state kept under a stable key."""
    key = _key(instance, step, p.name)
    st.session_state.setdefault(key, p.default)
    label = p.name.replace("_", " ")
    help_text = f"{p.help} Allowed: {p.range_text()}. Default: {p.default}."
    if p.kind == "bool":
        return st.checkbox(label, key=key, help=help_text)
    if p.kind == "choice":
        return st.selectbox(label, list(p.choices), key=key, help=help_text)
    if p.kind == "int":
        return st.number_input(label, min_value=int(p.low) if p.low is not None else None,
                               max_value=int(p.high) if p.high is not None else None, step=1, key=key, help=help_text)
    step_size = 0.001 if (p.high is not None and p.high <= 1) else 0.1
    return st.number_input(label, min_value=float(p.low) if p.low is not None else None,
                           max_value=float(p.high) if p.high is not None else None, step=step_size, format="%g",
                           key=key, help=help_text)


def strategy_form(instance: str) -> dict[str, Any]:
    """Widgets for every parameter of a strategy or pipeline; returns the params in the
    shape core.strategies.validate_params accepts (flat for one step, per step for a pipeline)."""
    steps = parse_pipeline(instance)
    out: dict[str, dict[str, Any]] = {}
    for step in steps:
        spec: StrategySpec = REGISTRY[step]
        if len(steps) > 1:
            st.markdown(f"**{spec.label}**")
        st.caption(spec.summary)
        values = {}
        if spec.params:
            cols = st.columns(min(3, len(spec.params)))
            for i, p in enumerate(spec.params):
                with cols[i % len(cols)]:
                    values[p.name] = param_widget(instance, step, p)
        out[step] = values
    return out[steps[0]] if len(steps) == 1 else out


def current_params(instance: str) -> dict[str, Any]:
    """The params of an instance from session state (defaults where its form was never shown)."""
    steps = parse_pipeline(instance)
    out = {}
    for step in steps:
        spec = REGISTRY[step]
        out[step] = {p.name: st.session_state.get(_key(instance, step, p.name), p.default) for p in spec.params}
    return out[steps[0]] if len(steps) == 1 else out


#: Where the Search page leaves its winner for the Strategies page (core.search.handover), and the one taken.
SEARCH_WINNER = "search_winner"
_SEARCH_TAKEN = "search_winner_taken"


def take_search_winner() -> dict[str, Any] | None:
    """Preselect the Search page's winner once (call before the Strategies page's widgets are drawn).

    The first time a new winner is seen, the page's choices become: no resampling and the winner, its
    parameters, target, small-class policy, seed and text dimensions. Returns the winner while it is still
    among the chosen strategies (for the page's caption), else None; the analyst's later changes stay.
    """
    from core.strategies import NO_RESAMPLING, TargetSpec

    winner = st.session_state.get(SEARCH_WINNER)
    if not winner:
        return None
    name = winner["name"]
    if st.session_state.get(_SEARCH_TAKEN) != winner:
        steps = parse_pipeline(name)
        if name not in REGISTRY and name not in st.session_state.get("choice_pipelines", []):
            st.session_state["choice_pipelines"] = [*st.session_state.get("choice_pipelines", []), name]
        st.session_state["choice_strategies"] = list(dict.fromkeys([NO_RESAMPLING, name]))
        per_step = {steps[0]: winner["params"]} if len(steps) == 1 else winner["params"]
        for step, values in per_step.items():
            for param, value in values.items():
                st.session_state[_key(name, step, param)] = value
        target = TargetSpec.parse(winner["target"])
        if target.kind in ("floor", "cap", "hybrid"):
            st.session_state["choice_target_kind"] = target.kind
            if target.floor is not None:
                st.session_state["choice_floor"] = int(target.floor)
            if target.cap is not None:
                st.session_state["choice_cap"] = int(target.cap)
        st.session_state["choice_small_classes"] = winner["small_classes"]
        st.session_state["choice_seed"] = int(winner["seed"])
        if "text_dim" in winner:
            st.session_state["choice_text_dim"] = int(winner["text_dim"])
        st.session_state[_SEARCH_TAKEN] = winner
    return winner if name in st.session_state.get("choice_strategies", []) else None
