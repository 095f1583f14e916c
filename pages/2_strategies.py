"""Step 3 -- Strategies: several imbalance strategies side by side."""

import pandas as pd
import streamlit as st

from core.charts import skew as charts
from core.errors import SkewlabError
from core.strategies import (
    REGISTRY,
    SMALL_CLASS_CHOICES,
    TargetSpec,
    code_snippet,
    compare,
    default_cap,
    default_floor,
    parse_pipeline,
)
from core.strategies.cost import COUNT_AHEAD_CELLS, check_fits, counts_ahead, estimate, settle
from core.strategies.targets import DEFAULT_FLOOR, DEFAULT_GROWTH
from ui import common as ui
from ui import nav, runs
from ui.forms import FAMILY_LABELS, current_params, option_label, strategy_form, strategy_label, take_search_winner
from ui.notes import group_notes
from ui.tables import NOT_APPLICABLE_NOTE, with_dashes

table, choice = ui.catalog_page(nav.STRATEGIES)
profile = ui.current_profile(table, choice)
if profile.n_classes < 2:
    st.error(f"The label {choice.describe()} has {profile.n_classes} class(es); strategies need at least two. "
             "Pick another label on the Data page.")
    nav.link(nav.DATA, label="Back to Data", icon=":material/arrow_back:")
    st.stop()
st.caption(f"{profile.n_labelled:,} labelled rows in {profile.n_classes} classes of **{choice.describe()}**. "
           "Pick strategies, tune them, set the target, and run them side by side.")

# Defaults that suit long tails: a hybrid target (over-samplers lift the tail, under-samplers cap
# the head), one of each family, and k lowered for classes too small for it.
DEFAULT = ["none", "random_over", "smote", "random_under", "isolation_forest+smote", "balanced_weights"]
SMALL_LABELS = runs.SMALL_LABELS

# ------------------------------------------------------------------ choose
st.session_state.setdefault("choice_pipelines", ["isolation_forest+smote"])
searched = take_search_winner()  # the Search page's winner, preselected once
if searched:
    st.caption(f":material/travel_explore: From the search on the Search page: **{searched['label']}** "
               f"({searched['why']}). Press **Run strategies** to run it next to no resampling; the Export page then "
               "turns it into a recipe.")
options = list(REGISTRY) + [p for p in st.session_state["choice_pipelines"] if p not in REGISTRY]
st.session_state.setdefault("choice_strategies", DEFAULT)
st.multiselect("Strategies to compare", options, key="choice_strategies", format_func=option_label,
               help="Any number at once; each runs on its own, so one failure does not stop the others.")

with st.expander("Compose a pipeline (outlier removal → sampler → cleaner)"):
    fam = {f: [n for n, s in REGISTRY.items() if s.family == f] for f in FAMILY_LABELS}
    c1, c2, c3, c4 = st.columns([3, 3, 3, 2])
    step1 = c1.selectbox("Outlier removal", [None] + fam["outlier"], key="pipe_outlier",
                         format_func=lambda n: "—" if n is None else REGISTRY[n].label)
    step2 = c2.selectbox("Sampler", [None] + fam["over"] + fam["under"] + fam["combined"], key="pipe_sampler",
                         format_func=lambda n: "—" if n is None else REGISTRY[n].label)
    step3 = c3.selectbox("Cleaner", [None] + fam["clean"], key="pipe_cleaner",
                         format_func=lambda n: "—" if n is None else REGISTRY[n].label)
    c4.write("")
    if c4.button("Add pipeline", key="add_pipeline"):
        steps = [s for s in (step1, step2, step3) if s]
        try:
            name = "+".join(parse_pipeline("+".join(steps))) if steps else ""
            if len(steps) < 2:
                st.warning("A pipeline needs at least two steps.")
            else:
                if name not in st.session_state["choice_pipelines"]:
                    st.session_state["choice_pipelines"] = [*st.session_state["choice_pipelines"], name]
                st.session_state["choice_strategies"] = [*st.session_state["choice_strategies"], name]
                st.rerun()
        except SkewlabError as exc:
            ui.show_error(exc)

chosen = list(dict.fromkeys(st.session_state["choice_strategies"]))
if not chosen:
    st.info("Pick at least one strategy.")
    st.stop()

# ------------------------------------------------------------------ target
st.subheader("Target rows per class")
largest = max(profile.counts.values())
st.session_state.setdefault("choice_target_kind", "hybrid")
st.session_state.setdefault("choice_floor", default_floor(profile.counts))
st.session_state.setdefault("choice_cap", default_cap(profile.counts, int(st.session_state["choice_floor"])))
kinds = {"floor": "Tail floor", "hybrid": "Hybrid (lift tail, cap head)", "cap": "Head cap",
         "balanced": "Fully balanced", "auto": "imbalanced-learn default", "table": "Per-class table"}
t1, t2, t3 = st.columns([3, 1, 1])
kind = t1.radio("Target", list(kinds), key="choice_target_kind", format_func=kinds.get, horizontal=True,
                help="Over-samplers lift classes below their target and never remove a row (a cap applies only to "
                     "under-samplers: to cap and lift, compose a pipeline such as Random under-sampling → SMOTE); "
                     "under-samplers shrink classes above it. Cleaning, outlier removal and reweighting ignore targets.")
if kind in ("floor", "hybrid"):
    t2.number_input("Every class at least", min_value=1, max_value=10_000_000, step=10, key="choice_floor")
if kind in ("cap", "hybrid"):
    t3.number_input("No class above", min_value=1, max_value=10_000_000, step=50, key="choice_cap")
suggested = default_floor(profile.counts)
if kind in ("floor", "hybrid") and suggested < min(DEFAULT_FLOOR, largest):
    st.caption(f"Suggested floor {suggested:,}: the largest up to {DEFAULT_FLOOR} whose lifting adds at most "
               f"{DEFAULT_GROWTH:.0%} of the catalog's {sum(profile.counts.values()):,} labelled rows "
               f"({len(profile.counts):,} classes, {len(profile.too_small_for_knn):,} under {profile.k_neighbors + 1} rows).")
if kind == "table":
    st.session_state.setdefault("choice_target_table", dict(profile.counts))
    base = pd.DataFrame({"class": list(profile.counts), "rows now": list(profile.counts.values()),
                         "target": [int(st.session_state["choice_target_table"].get(c, n))
                                    for c, n in profile.counts.items()]})
    edited = st.data_editor(base, key="target_table_editor", hide_index=True, width="stretch",
                            disabled=["class", "rows now"], height=300,
                            column_config={"target": st.column_config.NumberColumn(min_value=1, step=1, required=True)})
    st.session_state["choice_target_table"] = {str(r["class"]): int(r["target"]) for _, r in edited.iterrows()}
    target = TargetSpec.table_of(st.session_state["choice_target_table"])
elif kind == "floor":
    target = TargetSpec.parse(f"floor:{int(st.session_state['choice_floor'])}")
elif kind == "cap":
    target = TargetSpec.parse(f"cap:{int(st.session_state['choice_cap'])}")
elif kind == "hybrid":
    target = TargetSpec.parse(f"hybrid:{int(st.session_state['choice_cap'])}:{int(st.session_state['choice_floor'])}")
else:
    target = TargetSpec.parse(kind)
target_text = target.to_text()

# ------------------------------------------------------------------ small classes
needs_k = [n for n in chosen if any(REGISTRY[s].k_param for s in parse_pipeline(n))]
st.session_state.setdefault("choice_small_classes", "lower_k")
if needs_k and profile.too_small_for_knn:
    small = {c: profile.counts[c] for c in profile.too_small_for_knn}
    names = ", ".join(f"{c} ({n})" for c, n in list(small.items())[:15]) + (" …" if len(small) > 15 else "")
    st.warning(f"{len(small)} classes have fewer than {profile.k_neighbors + 1} rows, too few for k-NN methods "
               f"with k = {profile.k_neighbors}: {names}. Choose what to do with them (k-NN methods only).",
               icon=":material/warning:")
    st.radio("Small classes", list(SMALL_CLASS_CHOICES), key="choice_small_classes", format_func=SMALL_LABELS.get,
             horizontal=True)

with st.expander("Seed and feature space"):
    s1, s2 = st.columns(2)
    st.session_state.setdefault("choice_seed", 0)
    st.session_state.setdefault("choice_text_dim", 64)
    s1.number_input("Seed", min_value=0, max_value=2**32 - 1, step=1, key="choice_seed")
    tfidf = runs.text_encoder() == "tfidf"
    s2.number_input("Text dimensions (TF-IDF → SVD)", min_value=2, max_value=512, step=8, key="choice_text_dim",
                    disabled=not tfidf, help=None if tfidf else "Only for the TF-IDF text encoder (Data page); the "
                    "MiniLM encoders have a fixed width (256 or 384).")
    roles = st.session_state["roles"]
    st.caption("Features: " + ", ".join(f"{c} ({r})" for c, r in roles.items() if r in ("numeric", "categorical", "text"))
               + ". Change roles on the Data page.")

# ------------------------------------------------------------------ tune
st.subheader("Tune")
for name in chosen:
    spec_steps = parse_pipeline(name)
    uses_target = any(REGISTRY[s].uses_targets for s in spec_steps)
    note = "" if uses_target else " · ignores the target"
    if uses_target and all(REGISTRY[s].family == "under" for s in spec_steps if REGISTRY[s].uses_targets) \
            and target.kind == "floor":
        note = " · a tail floor asks no class to shrink: use a head cap or hybrid target"
    with st.expander(f"{strategy_label(name)}{note}"):
        strategy_form(name)

config = {
    "strategies": [{"name": n, "params": current_params(n)} for n in chosen],
    "target": target_text,
    "small_classes": st.session_state["choice_small_classes"],
    "seed": int(st.session_state["choice_seed"]),
    "text_dim": int(st.session_state["choice_text_dim"]),
}

# ------------------------------------------------------------------ estimate and run
try:
    space = runs.feature_space(table, choice, text_dim=config["text_dim"])
except SkewlabError as exc:
    ui.show_error(exc)
    nav.link(nav.DATA, label="Fix the column roles on the Data page", icon=":material/arrow_back:")
    st.stop()

estimates, refused = [], {}
n_features = space.X.shape[1]
for item in config["strategies"]:
    try:
        est = estimate(space.class_counts(), n_features, item["name"], target=target, params=item["params"],
                       small_classes=config["small_classes"])
        check_fits(est)
    except SkewlabError as exc:
        refused[item["name"]] = str(exc)
        continue
    if counts_ahead(est, n_features):
        # which rows a cleaner takes is found by running it: run it now (cached, so Run reuses it)
        with st.spinner(f"Counting the rows {strategy_label(item['name'])} keeps (running it ahead; Run reuses it)"):
            est = settle(est, lambda item=item: runs.run_cached(table, choice, space, item["name"], item["params"],
                                                                 target=config["target"],
                                                                 small_classes=config["small_classes"],
                                                                 seed=config["seed"], text_dim=config["text_dim"]),
                         n_features)
    estimates.append(est)


def span(low: int, high: int) -> str:
    return f"{low:,}" if low == high else f"{low:,} to {high:,}"


est_frame = pd.DataFrame([{
    "strategy": strategy_label(e.strategy), "rows now": f"{e.rows_in:,}",
    "rows after": span(e.rows_out_at_least, e.rows_out),
    "synthetic": f"{e.synthetic:,}",
    "removed": span(e.rows_in + e.synthetic - e.rows_out, e.removed_at_most),
    "known by": "counting ahead" if e.counted else ("arithmetic" if e.exact else "range: found during the run"),
    "memory (MB)": round(e.bytes_needed / 1024**2, 1)} for e in estimates])
GROWTH_WARN = 2.0
for e in estimates:
    if e.growth >= GROWTH_WARN and e.strategy not in refused:
        st.warning(f"{strategy_label(e.strategy)} would grow the catalog {e.growth:.1f}x, from {e.rows_in:,} to "
                   f"{e.rows_out:,} rows ({e.synthetic:,} synthetic). A model trained on that learns mostly "
                   "invented rows: a lower floor keeps the tail lifted without drowning the real ones.",
                   icon=":material/trending_up:")
with st.expander("Cost estimate", expanded=bool(refused)):
    st.dataframe(est_frame, hide_index=True, width="stretch")
    st.caption("Rows after each run, before it runs. Over- and under-sampling, outlier shares and reweighting follow "
               "from the class sizes (**arithmetic**). Which rows a cleaner or the centroid distance removes depends "
               "on the data: those runs are **counted ahead** (the run is seeded, so Run gives the same rows and "
               "reuses the count) unless they are larger than "
               f"{COUNT_AHEAD_CELLS:,} cells (rows × features); then the table gives the range.")
for msg in refused.values():
    st.error(msg, icon=":material/memory:")

changed = runs.run_config() is not None and runs.run_config() != config
if st.button("Run strategies", type="primary", key="run", disabled=bool(refused)):
    st.session_state["run_config"] = config
    changed = False
elif changed:
    st.info("The settings changed since the last run: press **Run strategies** to update the results below.",
            icon=":material/refresh:")

cfg = runs.run_config()
if not cfg:
    st.stop()

outcomes = runs.current_runs(table, choice)
st.subheader("Results")
st.caption(f"Target **{cfg['target']}** · small classes: **{SMALL_LABELS[cfg['small_classes']].lower()}** · seed {cfg['seed']}")
for o in outcomes:
    if o.error:
        st.error(f"**{o.label}**: {o.error}", icon=":material/error:")

ok = [o for o in outcomes if o.result is not None]
before = space.class_counts()
named = [(o.label, o.result) for o in ok]
summary = compare.summary_table(before, named, head_min=profile.head_min, tail_max=profile.tail_max,
                                k_neighbors=profile.k_neighbors)
LOSSES = ["classes lost", "tail rows lost"]


def worst_loss(column: pd.Series) -> list[str]:
    """Highlight the largest loss of a column (none when nothing was lost)."""
    top = column.max()
    return ["background-color: #f8d7da; font-weight: bold" if top > 0 and v == top else "" for v in column]


summary = with_dashes(summary, {"runtime (s)": lambda v: f"{v:.2f}"})  # "before" ran nothing: a dash
styled = summary.style.apply(worst_loss, subset=LOSSES).format(
    {"rows": "{:,}", "imbalance ratio": "{:.1f}", "evenness": "{:.3f}", "effective classes": "{:.1f}",
     "Gini": "{:.3f}"})
st.dataframe(styled, hide_index=True, width="stretch")
st.caption("**classes lost**: classes with rows before and none after; **tail rows lost**: real rows of tail classes "
           f"(fewer than {profile.tail_max} rows before) no longer in their class; the worst of each is highlighted. "
           "A lost class counts in the metrics after as a class with 0 rows, so its imbalance ratio is inf (largest / 0). "
           "Cleaners and under-samplers keep every class unless their tail guard (min_class_rows) is 0. "
           "Reweighting strategies change no rows: their metrics use the sum of sample weights per class. "
           f"{NOT_APPLICABLE_NOTE} (the runtime of **before**, the data as loaded).")

if ok:
    after_counts = {}
    for label, r in named:
        sizes, weighted = compare.class_sizes_after(r)
        after_counts[label + (" (weighted)" if weighted else "")] = sizes
    lc1, lc2, lc3 = st.columns([1, 1, 2])
    log = lc1.toggle("Log scale", value=True, key="strategies_log")
    show_all = len(before) <= 60
    if 60 < len(before) <= charts.MAX_ALL:
        show_all = lc2.toggle(f"All {len(before)} classes", value=False, key="strategies_all",
                              help="Off: each group (tail, medium, head) smallest first, "
                                   f"{charts.PER_GROUP} classes per group; search a class to see it.")
    match = lc3.text_input("Search a class", key="strategies_match", placeholder="part of a class name")
    head_min, tail_max, _ = ui.thresholds()
    st.plotly_chart(charts.counts_comparison(before, after_counts, top=None if show_all else 60, log=log,
                                             head_min=head_min, tail_max=tail_max, match=match or None),
                    width="stretch")

    st.subheader("Rows added and removed per class")
    delta = compare.class_changes(space, named)
    keep = [c for c in delta.columns if c in ("class", "rows before") or delta[c].any()]
    st.dataframe(delta[keep], hide_index=True, width="stretch", height=320)
    st.caption("+ synthetic rows added, − original rows removed. Columns that are zero everywhere are hidden.")

NOTES_SHOWN = 3  # notes shown as boxes; the rest go into one expander


def show_notes(notes: list[str]) -> None:
    """The first notes of a run as info boxes, the others as a compact list in an expander "N more notes"
    (notes that differ only in their numbers and quoted names are listed once, with how many there are)."""
    for note in notes[:NOTES_SHOWN]:
        st.info(note, icon=":material/info:")
    rest = notes[NOTES_SHOWN:]
    if rest:
        with st.expander(f"{len(rest):,} more note{'s' if len(rest) > 1 else ''}"):
            st.markdown("\n".join(f"- {line}" for line in group_notes(rest)))


st.subheader("Details")
for o in outcomes:
    with st.expander(o.label + (" · failed" if o.error else f" · {o.result.runtime_s:.2f} s")):
        if o.error:
            st.error(o.error)
            continue
        r = o.result
        show_notes(r.notes)
        if r.n_removed:
            reasons = pd.Series(r.removed_reason.astype(str)).str.replace(r"\s*\(.*\)$", "", regex=True).value_counts()
            st.write("Removed rows by reason:")
            st.dataframe(reasons.rename_axis("reason").reset_index(name="rows"), hide_index=True)
        st.caption("Copy as code (imbalanced-learn / scikit-learn):")
        st.code(code_snippet(o.name, o.params, cfg["target"], cfg["seed"]), language="python")

nav.link(nav.MAP, label="Next: see where the rows land", icon=":material/arrow_forward:")
