"""Step 2 -- Skew: how long the tail is."""

import streamlit as st

from core.charts import skew as charts
from core.data import HEAD_MIN, K_NEIGHBORS, TAIL_MAX
from ui import common as ui
from ui import nav

table, choice = ui.catalog_page(nav.SKEW)
st.caption(f"Class distribution of **{choice.describe()}** in **{table.name}**.")

with st.expander("Group bounds", expanded=False):
    c1, c2, c3 = st.columns(3)
    st.session_state.setdefault("head_min", HEAD_MIN)
    st.session_state.setdefault("tail_max", TAIL_MAX)
    st.session_state.setdefault("k_neighbors", K_NEIGHBORS)
    c1.number_input("Head: classes with more than … rows", min_value=1, max_value=10_000_000, step=10, key="head_min")
    c2.number_input("Tail: classes with fewer than … rows", min_value=1, max_value=10_000_000, step=5, key="tail_max")
    c3.number_input("k of k-NN methods", min_value=1, max_value=100, step=1, key="k_neighbors",
                    help="Classes with fewer than k + 1 rows are too small for SMOTE-like methods.")
    if st.session_state["tail_max"] > st.session_state["head_min"] + 1:
        st.error("The tail bound must not be above the head bound + 1.")
        st.stop()

profile = ui.current_profile(table, choice)
if profile.n_classes == 0:
    st.error("No row has a label. Pick another label column on the Data page.")
    nav.link(nav.DATA, label="Back to Data", icon=":material/arrow_back:")
    st.stop()

cards = st.columns(6)
cards[0].metric("Classes", f"{profile.n_classes:,}")
cards[1].metric("Imbalance ratio", f"{profile.imbalance_ratio:,.1f}", help="Largest class / smallest class.")
cards[2].metric("Evenness", f"{profile.normalized_entropy:.2f}",
                help="Normalized entropy: 1 = all classes equal, 0 = one class holds everything.")
cards[3].metric("Effective classes", f"{profile.effective_classes:,.1f}",
                help="exp(entropy): how many equally sized classes would be as diverse.")
cards[4].metric("Gini", f"{profile.gini:.2f}", help="0 = equal class sizes, towards 1 = extremely concentrated.")
cards[5].metric("Classes with 80% of rows", f"{profile.classes_for_80pct:,}")

groups = charts.group_summary(profile)
g = st.columns(4)
for i, row in groups.iterrows():
    g[i].metric(f"{row['group'].capitalize()} classes", f"{row['classes']:,}",
                f"{row['rows']:,} rows · {row['share of rows']:.1%}", delta_color="off", delta_arrow="off")
g[3].metric("Rows without a label", f"{profile.n_missing_label:,}",
            f"{profile.n_missing_label / max(profile.n_rows, 1):.1%} of rows", delta_color="off", delta_arrow="off")

if profile.n_classes == 1:
    st.error("Only one class: there is no imbalance to fix. Pick another label column or level on the Data page.")
if profile.too_small_for_knn:
    names = ", ".join(profile.too_small_for_knn[:12]) + (" …" if len(profile.too_small_for_knn) > 12 else "")
    st.warning(
        f"{len(profile.too_small_for_knn)} classes have fewer than {profile.k_neighbors + 1} rows, too few for "
        f"k-NN methods with k = {profile.k_neighbors} ({len(profile.singletons)} with a single row): {names}. "
        "The Strategies page asks what to do with them.", icon=":material/warning:")
if profile.n_missing_label:
    st.info(f"{profile.n_missing_label:,} rows have no label: they are kept and left out of these figures.",
            icon=":material/label_off:")

MANY = 60  # more classes than this: the tail-first view by default
VIEWS = ("Tail first", "Largest first")
many = profile.n_classes > MANY
c1, c2 = st.columns([3, 2], gap="large")
with c1:
    o1, o2, o3 = st.columns([1, 1.4, 2], vertical_alignment="bottom")
    log = o1.toggle("Log scale", value=profile.imbalance_ratio > 50, key="skew_log")
    st.session_state.setdefault("skew_view", VIEWS[0] if many else VIEWS[1])
    view = o2.radio("Order", VIEWS, key="skew_view", horizontal=True, disabled=not many,
                    help=f"Tail first: groups tail, medium, head, smallest classes first, {charts.PER_GROUP} per group "
                         "and a line counting the others. Largest first: the 60 largest classes.")
    search = o3.text_input("Search a class", key="skew_search", placeholder="part of a class name",
                           help="Draws the matching classes (tail first) and filters the class table below.")
    tail_first = many and view == VIEWS[0]
    st.plotly_chart(charts.class_bars(profile, top=0 if tail_first else MANY, log=log, match=search or None),
                    width="stretch")
with c2:
    st.plotly_chart(charts.long_tail_curve(profile), width="stretch")
    if choice.separator:
        st.plotly_chart(charts.hierarchy_sunburst(table.frame[choice.column], choice.separator), width="stretch")
if many:
    st.plotly_chart(charts.class_size_strip(profile), width="stretch")

st.subheader("Classes")
GROUP_FILTER = {"every group": None, "tail": "tail", "medium": "medium", "head": "head"}
f1, f2 = st.columns([1, 3], vertical_alignment="bottom")
group = GROUP_FILTER[f1.selectbox("Group", list(GROUP_FILTER), key="skew_group")]
classes = (charts.class_rows_in(profile, group=group, match=search or None) if tail_first or group or search
           else profile.table())
f2.caption(f"{len(classes):,} of {profile.n_classes:,} classes" + (", smallest first" if tail_first or group or search
                                                                      else ", largest first") + ".")
st.dataframe(
    classes, width="stretch", height=360,
    column_config={
        "share": st.column_config.NumberColumn(format="percent"),
        "cumulative share": st.column_config.NumberColumn(format="percent"),
        "rows": st.column_config.NumberColumn(format="localized"),
    },
)
MAX_ROWS = 2_000
if st.session_state.get("skew_class_rows") not in set(classes["class"]):
    st.session_state["skew_class_rows"] = "(none)"
pick = st.selectbox("Rows of a class", ["(none)"] + classes["class"].tolist(), key="skew_class_rows",
                    format_func=lambda c: c if c == "(none)" else f"{c} ({profile.counts[c]:,} row{'s' if profile.counts[c] != 1 else ''})",
                    help="The catalog's rows of one class, as loaded (row = the row's position in the file).")
if pick != "(none)":
    labels = ui.current_labels(table, choice)
    rows = table.frame[(labels == pick).fillna(False).to_numpy()]
    rows = rows.rename_axis("row")
    st.caption(f"{len(rows):,} row{'s' if len(rows) != 1 else ''} of **{pick}**" + (f"; the first {MAX_ROWS:,} shown." if len(rows) > MAX_ROWS else "."))
    st.dataframe(rows.head(MAX_ROWS), width="stretch", height=min(360, 38 + 35 * min(len(rows), MAX_ROWS)))
nav.link(nav.STRATEGIES, label="Next: try strategies", icon=":material/arrow_forward:")
