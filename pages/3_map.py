"""Step 4 -- Map: where every strategy's synthetic and removed rows land, on one shared map."""

import streamlit as st

from core.charts import CLASS_COLORS, Panel, map_figure
from core.errors import SkewlabError
from core.mapping import PLACE_CAP
from core.mapping import audit as caudit
from ui import common as ui
from ui import map_view, nav, runs
from ui.tables import NOT_APPLICABLE_NOTE, percent, with_dashes

table, choice = ui.catalog_page(nav.MAP)
outcomes = runs.require_runs(table, choice)
if outcomes is None:
    st.stop()
cfg = runs.run_config()
for o in outcomes:
    if o.error:
        st.warning(f"{o.label} is not on the map: {o.error}", icon=":material/warning:")
ok = [o for o in outcomes if o.result is not None]
if not ok:
    st.error("No strategy of the run has a result to draw. Change the run on the Strategies page.")
    nav.link(nav.STRATEGIES, label="Back to Strategies", icon=":material/arrow_back:")
    st.stop()

space = runs.feature_space(table, choice, text_dim=cfg.get("text_dim", 64))
head_min, tail_max, _ = ui.thresholds()
key = map_view.run_key(table, choice, cfg, ok)
st.caption(
    f"**{len(ok)}** strategies on one map of **{choice.describe()}** in **{table.name}**: fitted once on real rows, "
    "every strategy's rows placed on it, so the panels share coordinates."
)

counts = space.class_counts()
by_size = sorted(counts, key=lambda c: (-counts[c], c))
c1, c2, c3, c4, c5 = st.columns([1.1, 1.1, 2.2, 1.2, 1.3], vertical_alignment="bottom")
st.session_state.setdefault("choice_map_method", "UMAP")
st.session_state.setdefault("choice_map_cap", 20_000)
st.session_state.setdefault("choice_map_highlight", "(none)")
if st.session_state["choice_map_highlight"] not in counts:
    st.session_state["choice_map_highlight"] = "(none)"
method = c1.radio("Method", ["UMAP", "PCA"], key="choice_map_method", horizontal=True,
                  help="UMAP keeps neighbourhoods; PCA is a fast linear view.")
cap = c2.number_input("Fit on at most … real rows", min_value=1_000, max_value=1_000_000, step=5_000,
                      key="choice_map_cap", help="Medium and tail classes are always kept whole; head classes are sampled.")
highlight = c3.selectbox("Highlight a class", ["(none)"] + by_size, key="choice_map_highlight",
                         format_func=lambda c: c if c == "(none)" else f"{c} ({counts[c]:,} rows)")
segments = c4.toggle("Seed → synthetic lines", key="choice_map_segments", disabled=highlight == "(none)",
                     help="For the highlighted class, a line from each synthetic row to its seed row.")
show_flagged = c5.toggle("Mark flagged rows", key="choice_map_flagged",
                         help="Ring the synthetic rows the audit below flags (overlap or near copy).")
PLACEMENTS = {"Between their parents": "interpolate", "UMAP / PCA transform": "transform"}
COLOURS = ("Head / medium / tail", "Chosen classes")
st.session_state.setdefault("choice_map_placement", "Between their parents")
st.session_state.setdefault("choice_map_colour", COLOURS[0])
st.session_state["choice_map_classes"] = [c for c in st.session_state.get("choice_map_classes", []) if c in counts]
d1, d2, d3 = st.columns([1.6, 1.4, 3.2], vertical_alignment="bottom")
placement = PLACEMENTS[d1.radio(
    "Place synthetic rows", list(PLACEMENTS), key="choice_map_placement", horizontal=True,
    help=f"Between their parents: a row made on the line between two real rows is drawn on the line between their "
         f"map positions, at the weight it was made with, and a copy on the row it copies; only other rows go "
         f"through transform. Transform: every row through the model (slow: at most {PLACE_CAP:,} rows per "
         "strategy, sampled by class, every class keeps rows).")]
colour = d2.radio("Colour by", COLOURS, key="choice_map_colour", horizontal=True,
                  help="Group: every class by its number of real rows, synthetic rows by their class's group.")
chosen = d3.multiselect(
    "Classes with their own colour (type to search)", by_size, key="choice_map_classes",
    format_func=lambda c: f"{c} ({counts[c]:,} rows)", disabled=colour == COLOURS[0], max_selections=len(CLASS_COLORS),
    help="The other classes are grey.")

holder: dict = {}


def _progress(fraction: float, message: str) -> None:
    """A bar that appears only when the map is computed (UMAP has no progress of its own: stages)."""
    if "bar" not in holder:
        holder["bar"] = st.progress(0.0)
    holder["bar"].progress(fraction, text=f"Map: {message}")


try:
    proj = map_view.projection(key, space, ok, method=method.lower(), cap=int(cap), seed=int(cfg.get("seed", 0)),
                               head_min=head_min, placement=placement, progress=_progress)
    if "bar" in holder:
        _progress(1.0, "auditing synthetic rows")
    audits = map_view.audits(key, space, ok, head_min=head_min, tail_max=tail_max)
except SkewlabError as exc:
    ui.show_error(exc)
    st.stop()
finally:
    if "bar" in holder:
        holder["bar"].empty()

draw_real = None
note = proj.sample_note()
if proj.is_sample:
    draw_all = st.toggle(f"Draw all {proj.n_real:,} real rows", key="choice_map_draw_all",
                         help="By default the panels draw the real rows the map was fitted on, and every removed row.")
    draw_real = None if draw_all else proj.sampled
    note += (" The panels draw every real row." if draw_all
             else f" The panels draw the {proj.n_fit:,} fitted real rows, all synthetic rows and all removed rows.")
st.info(note, icon=":material/info:")
for n in proj.notes:
    st.caption(n)
placed_notes = map_view.placement_notes(proj, space, ok, placement=placement)
if placed_notes:
    meaning = (
        "Synthetic rows are drawn from their parents: a row made between two real rows sits between their map "
        "positions at the weight it was made with (what the row is made of, not where the model would put it; "
        "the audit below measures overlap in the feature space), a copy sits on the row it copies. "
        if placement == "interpolate" else "Synthetic rows are placed with the model's transform. ")
    st.info(meaning + f"At most {PLACE_CAP:,} rows per strategy go through transform, sampled by class with "
            "every class keeping rows; the rest are not drawn.", icon=":material/scatter_plot:")
    for n in placed_notes:
        st.caption(n)

title_col, numeric_cols = map_view.hover_columns(table.frame, st.session_state.get("roles", {}))
real_hover = map_view.real_hover(key, table.frame, space, title_col, numeric_cols)
panels = []
for i, o in enumerate(ok):
    r = o.result
    panels.append(Panel(
        title=o.label,
        subtitle=f"+{r.n_synthetic:,} synthetic · {r.n_removed:,} removed",
        result=r,
        synthetic_xy=proj.synthetic_xy[i],
        synthetic_hover=map_view.synthetic_hover(key, o, table.frame, space, title_col, numeric_cols),
        flagged=audits[i].flagged() if show_flagged else None,
    ))
by_group = colour == COLOURS[0] or not chosen
fig = map_figure(proj, space.y, panels, real_hover=real_hover, draw_real=draw_real,
                 highlight=None if highlight == "(none)" else highlight, segments=bool(segments),
                 chosen=None if by_group else chosen, head_min=head_min, tail_max=tail_max)
st.plotly_chart(fig, width="stretch", key="map_chart")
st.caption(
    f"{proj.method.upper()} map in {proj.runtime_s:,.1f} s. Dots: real rows; diamonds: synthetic rows; faint x: rows "
    "the strategy removed, at their real position. "
    + (f"Colour: head (> {head_min} rows), medium and tail (< {tail_max} rows) classes, synthetic rows by their "
       "class's group." if by_group else f"Colour: the {len(chosen)} chosen classes; the others grey.")
)

st.subheader("Audit of synthetic and removed rows")
st.caption(
    f"In the feature space. Overlap: a synthetic row whose {audits[0].k} nearest real rows are mostly of other "
    "classes. Near copy: closer to a real row than 1% of the median nearest-neighbour distance between real rows. "
    "Impossible values: on the raw interpolated rows before repair (negative where the column never is, fractions "
    "in whole-number columns, outside the class's observed range). Worst first."
)
sampled = [(o.label, a) for o, a in zip(ok, audits) if a.n_checked < a.n_synthetic]
if sampled:
    st.info("Overlap and near copies are shares of a sample: "
            + "; ".join(f"**{label}** {a.n_checked:,} of {a.n_synthetic:,} synthetic rows" for label, a in sampled)
            + f". Above {caudit.CHECK_CAP:,} synthetic rows a strategy's rows are sampled by class, every class kept "
            "(column **checked**); impossible values and drift use every row.", icon=":material/science:")
RATES = ("overlap", "near copies", "impossible values", "tail rows lost", "worst issue")
summary = with_dashes(caudit.summary_table(audits, [o.label for o in ok]),
                      {**dict.fromkeys(RATES, percent), "worst drift": lambda v: f"{v:.2f}"})
pct = st.column_config.NumberColumn(format="percent")
st.dataframe(summary, width="stretch", hide_index=True, column_config={
    "overlap": pct, "near copies": pct, "impossible values": pct, "tail rows lost": pct, "worst issue": pct,
    "worst drift": st.column_config.NumberColumn(format="%.2f", help="Largest KS (numeric) or total variation "
                                                 "(categorical) distance between a class's real and synthetic rows."),
})
st.caption(f"{NOT_APPLICABLE_NOTE}: a strategy without synthetic rows has no overlap, near copies, impossible "
           "values or drift.")

labels = [o.label for o in ok]
pick = st.selectbox("Details of", labels, key="choice_map_audit_strategy")
a = audits[labels.index(pick)]
t1, t2, t3, t4 = st.tabs(["Per class", "Impossible values", "Drift", "Rows lost"])
with t1:
    # a class without synthetic rows has no drift or overlap to show: a dash, not a grey None
    per_class = with_dashes(a.per_class, {c: (lambda v: f"{float(v):.3g}") for c in a.per_class.columns
                                          if a.per_class[c].dtype.kind == "f"})
    st.dataframe(per_class, width="stretch", hide_index=True)
    st.caption(NOT_APPLICABLE_NOTE)
with t2:
    if len(a.impossible_values):
        st.dataframe(a.impossible_values, width="stretch", hide_index=True)
    else:
        st.caption("No impossible values among the synthetic rows." if a.n_synthetic else "No synthetic rows.")
with t3:
    if len(a.drift):
        st.dataframe(a.drift, width="stretch", hide_index=True,
                     column_config={"value": st.column_config.NumberColumn(format="%.3f")})
    else:
        st.caption("No synthetic rows to compare." if not a.n_synthetic else "No numeric or categorical columns.")
with t4:
    if len(a.removed_by_class):
        if a.tail_rows_removed:
            st.warning(f"{a.tail_rows_removed:,} rows removed from tail classes (fewer than {tail_max} rows).",
                       icon=":material/warning:")
        st.dataframe(a.removed_by_class, width="stretch", hide_index=True,
                     column_config={"share_removed": pct})
    else:
        st.caption("No rows removed.")
nav.link(nav.EVALUATE, label="Next: evaluate classifiers", icon=":material/arrow_forward:")
