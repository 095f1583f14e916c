"""Search -- which strategy, parameters and target help the tail without hurting the head, within a budget."""

import json
import math

import pandas as pd
import streamlit as st

from core.errors import SkewlabError
from core.evaluation import CLASSIFIERS, DEFAULT_CLASSIFIER, METRICS
from core.search import DEFAULT_MAX_ROWS, OPTIMISTIC, default_space, handover, search, search_bytes
from core.search.chart import trials_figure
from core.strategies import SMALL_CLASS_CHOICES
from ui import admission, cache, nav, runs
from ui import common as ui
from ui.forms import SEARCH_WINNER, strategy_label
from ui.stoppable import Asked, Stoppable

table, choice = ui.catalog_page(nav.SEARCH)
cfg = runs.run_config() or {}
st.caption(
    "Tries strategies, their parameters, targets and pipelines (outlier removal → sampler → cleaner) within a time "
    "budget, and answers with the configuration that scores best. A share of every class is **held out before any "
    "trial**; each trial is cross-validated on the rest (resampling only training parts), and the winner is then "
    "confirmed against no resampling on the rows held out. No resampling and balanced class weights are always trials."
)
try:
    space = runs.feature_space(table, choice)
except SkewlabError as exc:
    ui.show_error(exc)
    st.stop()
head_min, tail_max, _ = ui.thresholds()
default = default_space()

# ------------------------------------------------------------------ choose
OBJECTIVES = {"metric": "A metric", "tail": "Tail recall, head recall held"}
st.session_state.setdefault("choice_search_budget", 60)
st.session_state.setdefault("choice_search_trials", 0)
st.session_state.setdefault("choice_search_seed", int(cfg.get("seed", 0)))
st.session_state.setdefault("choice_search_objective", "metric")
st.session_state.setdefault("choice_search_metric", "macro_f1")
st.session_state.setdefault("choice_search_drop", 0.02)
st.session_state.setdefault("choice_search_samplers", list(default.samplers))
st.session_state.setdefault("choice_search_outliers", list(default.outliers))
st.session_state.setdefault("choice_search_cleaners", list(default.cleaners))
st.session_state.setdefault("choice_search_share", 0.2)
st.session_state.setdefault("choice_search_folds", 3)
st.session_state.setdefault("choice_search_small", cfg.get("small_classes", "lower_k")
                            if cfg.get("small_classes", "lower_k") != "error" else "lower_k")
st.session_state.setdefault("choice_search_rows", DEFAULT_MAX_ROWS)

c1, c2, c3 = st.columns(3)
c1.number_input("Budget (seconds)", min_value=5, max_value=3600, step=15, key="choice_search_budget",
                help="No trial starts after this; the trial in progress finishes (or stops when its other folds "
                     "would run past the budget). The confirmation comes after it.")
c2.number_input("Trials (0 = as many as the budget allows)", min_value=0, max_value=5000, step=10,
                key="choice_search_trials",
                help="With a number of trials and a seed, the same trials and winner every time; with the budget "
                     "alone, how many run depends on this machine.")
c3.number_input("Seed", min_value=0, max_value=2**32 - 1, step=1, key="choice_search_seed")
o1, o2 = st.columns([2, 3])
kind = o1.radio("Objective", list(OBJECTIVES), format_func=OBJECTIVES.get, key="choice_search_objective",
                horizontal=True)
if kind == "metric":
    o2.selectbox("Metric to maximize", list(METRICS), format_func=METRICS.get, key="choice_search_metric")
else:
    o2.number_input("Head recall may drop by at most", min_value=0.0, max_value=1.0, step=0.01, format="%.2f",
                    key="choice_search_drop", help="Below no resampling's head recall on the same folds.")
with st.expander("Search space, confirmation and rows"):
    s1, s2, s3 = st.columns(3)
    s1.multiselect("Samplers", list(default.samplers), key="choice_search_samplers", format_func=strategy_label)
    s2.multiselect("Outlier removal (optional step)", list(default.outliers), key="choice_search_outliers",
                   format_func=strategy_label)
    s3.multiselect("Cleaning (optional step)", list(default.cleaners), key="choice_search_cleaners",
                   format_func=strategy_label)
    s4, s5, s6, s7 = st.columns(4)
    s4.slider("Held out to confirm", min_value=0.05, max_value=0.5, step=0.05, key="choice_search_share")
    s5.number_input("Folds per trial", min_value=2, max_value=10, step=1, key="choice_search_folds")
    s6.selectbox("Small classes", [c for c in SMALL_CLASS_CHOICES if c != "error"], key="choice_search_small",
                 format_func=runs.SMALL_LABELS.get, help="Classes too small for k-NN, in every trial and the recipe.")
    s7.number_input("Row budget of the trials", min_value=500, max_value=1_000_000, step=5_000,
                    key="choice_search_rows",
                    help="Above it the trials use a stratified sample of the search part, every tail row kept.")
    st.caption(f"Classifier: {CLASSIFIERS[DEFAULT_CLASSIFIER].describe()}, fast on thousands of classes. Parameter "
               "ranges come from each strategy's own range (a window around its default); the tail guard keeps its "
               "default. Targets: a tail floor for over-samplers, a head cap for under-samplers, both (hybrid) with "
               "random under-sampling first.")

trials = int(st.session_state["choice_search_trials"])
request = {
    "budget_s": float(st.session_state["choice_search_budget"]), "n_trials": trials or None,
    "seed": int(st.session_state["choice_search_seed"]),
    "objective": st.session_state["choice_search_metric"] if kind == "metric"
    else f"tail:{float(st.session_state['choice_search_drop']):g}",
    "space": {"samplers": list(st.session_state["choice_search_samplers"]),
              "outliers": list(st.session_state["choice_search_outliers"]),
              "cleaners": list(st.session_state["choice_search_cleaners"])},
    "confirm_share": float(st.session_state["choice_search_share"]), "folds": int(st.session_state["choice_search_folds"]),
    "small_classes": st.session_state["choice_search_small"], "max_rows": int(st.session_state["choice_search_rows"]),
    "head_min": head_min, "tail_max": tail_max, "text_dim": int(st.session_state.get("choice_text_dim", 64)),
}
if not request["space"]["samplers"]:
    st.warning("Pick at least one sampler.")
pressed = st.button("Search", type="primary", key="search_run", disabled=not request["space"]["samplers"])
ASKED = Asked("search", "Search", "Search", "searched")
asked = ASKED.ask(request, pressed)

# ------------------------------------------------------------------ run (cached by content)
key = ("search", runs.space_key(table, choice, asked["text_dim"]), json.dumps(asked, sort_keys=True))
store = cache.heavy_cache()
running = key not in store

run = Stoppable(running, key="search_stop", on_stop=ASKED.stop, start="Holding out the confirmation rows…")


def _search():
    memory = search_bytes(space.n_rows, space.X.shape[1], asked["max_rows"], float(asked["space"].get("max_growth", 1.0)))
    with admission.heavy("Search", memory=memory, seconds=float(asked["budget_s"]), progress=run.progress,
                         smaller="Lower the row budget of the trials"):
        return search(space, budget_s=asked["budget_s"], n_trials=asked["n_trials"], objective=asked["objective"],
                      search_space=asked["space"], folds=asked["folds"], seed=asked["seed"],
                      confirm_share=asked["confirm_share"], small_classes=asked["small_classes"],
                      max_rows=asked["max_rows"], head_min=asked["head_min"], tail_max=asked["tail_max"],
                      progress=run.progress)


result = run.outcome(lambda: store.get(key, _search), where="Search: ")

# ------------------------------------------------------------------ the answer
headline = result.summary()
winner_is_baseline = result.winner.number == result.baseline.number
(st.info if winner_is_baseline else st.success)(headline[0], icon=":material/emoji_events:")
st.caption(f":material/timer: {result.timing_note()} Stopped: {result.stopped}. Confirmation: "
           f"{result.confirm_s:,.1f} s.")

st.subheader("Confirmed on rows no trial saw")
rows = result.confirmation_rows()


def _iv(lo: float, hi: float, signed: bool = False) -> str:
    if math.isnan(lo):
        return "–"
    return f"{lo:+.3f} – {hi:+.3f}" if signed else f"{lo:.3f} – {hi:.3f}"


conf = pd.DataFrame({
    "metric": [r["metric"] for r in rows],
    "winner": [r["winner"] for r in rows], "winner 95% interval": [_iv(r["winner_low"], r["winner_high"]) for r in rows],
    "no resampling": [r["baseline"] for r in rows],
    "no resampling 95% interval": [_iv(r["baseline_low"], r["baseline_high"]) for r in rows],
    "gain": [r["gain"] for r in rows], "gain 95% interval": [_iv(r["gain_low"], r["gain_high"], True) for r in rows],
})
st.dataframe(conf, hide_index=True, width="stretch", key="search_confirmation",
             column_config={c: st.column_config.NumberColumn(format="%.3f") for c in ("winner", "no resampling", "gain")})
st.caption(f"{result.confirmation.n_rows:,} held-out rows of {len(result.confirmation.classes)} classes; both were "
           f"fitted on the {result.confirmation.n_fit_rows:,} rows of the search part. Intervals: 95% bootstrap "
           f"({result.confirmation.bootstrap:,} resamples within each class; the gain's over the same resamples).")
if result.confirmation.note():
    st.text(result.confirmation.note())  # names classes: plain text, never Markdown
st.warning(OPTIMISTIC, icon=":material/balance:")

if winner_is_baseline:
    st.caption("No resampling won: there is nothing to send to the Strategies page.")
elif st.button("Use this on the Strategies page", type="primary", key="search_use", icon=":material/tune:"):
    st.session_state[SEARCH_WINNER] = {**handover(result), "text_dim": asked["text_dim"]}
if st.session_state.get(SEARCH_WINNER) and st.session_state[SEARCH_WINNER]["name"] == result.winner.candidate.strategy:
    st.success(f"Sent to the Strategies page: {st.session_state[SEARCH_WINNER]['label']}. Run it there; the Export "
               "page then turns it into a recipe.", icon=":material/check:")
    nav.link(nav.STRATEGIES, label="Open the Strategies page", icon=":material/arrow_forward:")

# ------------------------------------------------------------------ every trial
st.plotly_chart(trials_figure(result), width="stretch", key="search_chart")
st.caption("Each point is a trial's mean over its folds; the Pareto front joins the trials no other beats on both "
           "head and tail recall. Pruned trials show their folds so far.")
st.subheader("Top trials")
top = result.table(top=15)
st.dataframe(top, hide_index=True, width="stretch", key="search_table",
             column_config={c: st.column_config.NumberColumn(format="%.3f")
                            for c in ["objective", *[METRICS[m] for m in ("macro_f1", "head_recall", "tail_recall",
                                                                           "balanced_accuracy")]]}
             | {"seconds": st.column_config.NumberColumn(format="%.1f")})
st.caption(f"Objective: {result.objective.describe()}. Sorted by it; {len(result.trials)} trials in all, "
           f"{result.n_run} of them ran folds.")
with st.expander(f"Notes ({len(result.notes)})"):
    for note in result.notes:  # they name classes: plain text, never Markdown
        st.text(note)
st.download_button("Download the search (JSON)", json.dumps(result.to_dict(), indent=2, allow_nan=False),
                   file_name="skewlab_search.json", mime="application/json", key="search_download")
nav.link(nav.EXPORT, label="Next: export", icon=":material/arrow_forward:")
