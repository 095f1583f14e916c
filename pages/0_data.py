"""Step 1 -- Data: the built-in sample or an upload, a preview, the label and the column roles."""

import pandas as pd
import streamlit as st

from core.data import LEAK_MAX_COLUMNS, ROLES, multi_valued_share
from core.data import io as cio
from core.errors import SkewlabError
from core.text import DEFAULT_ENCODER, ENCODERS, available_encoders, estimate_seconds
from ui import common as ui
from ui import nav

ui.setup()
st.title(nav.DATA.title)
st.caption("Start from the built-in sample catalog or upload your own, then say which column is the category.")

ui.ensure_source()
src = st.session_state["source"]
limit_mb = int(st.get_option("server.maxUploadSize"))

left, right = st.columns([2, 3], gap="large")
with left:
    kind = st.radio(
        "Catalog", ["Built-in sample", "Upload a file"], horizontal=True, key="source_kind",
        index=0 if src["kind"] == "sample" else 1,
    )
    if kind == "Built-in sample":
        if src["kind"] != "sample":
            ui.use_sample()
            st.rerun()
    else:
        up = st.file_uploader(
            "Catalog file", type=["csv", "tsv", "txt", "gz", "zip", "parquet", "pq", "xlsx"], key="uploader",
            help=f"CSV (comma, semicolon, tab or pipe; UTF-8, UTF-8 with BOM, cp1252/latin-1), optionally .gz or "
                 f".zip; Parquet; Excel .xlsx. Up to {limit_mb:,} MB (server.maxUploadSize).",
        )
        st.caption(f"Upload limit: {limit_mb:,} MB per file (set in .streamlit/config.toml).")
        if up is not None and st.session_state.get("upload_id") != up.file_id:
            st.session_state["upload_id"] = up.file_id
            ui.use_upload(up.name, up.getvalue())
            st.rerun()
        if src["kind"] != "upload":
            st.info("Choose a file to upload. Until then the built-in sample stays loaded.", icon=":material/upload:")
with right:
    src = st.session_state["source"]
    st.markdown(f"**{src['name']}** · {ui.human_bytes(src['size'])}")
    if src["kind"] == "sample":
        st.caption(cio.SAMPLE_ATTRIBUTION)

# ------------------------------------------------------------------ reading options & load
data = ui.source_bytes()
members = cio.zip_members(data) if data else []
with st.expander("Reading options", expanded=False):
    c1, c2, c3 = st.columns(3)
    enc_options = [None, "utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]
    c1.selectbox("Encoding", enc_options, key="encoding", format_func=lambda e: "detect" if e is None else e)
    delim_options = [None, *cio.DELIMITERS]
    c2.selectbox("Delimiter", delim_options, key="delimiter",
                 format_func=lambda d: "detect" if d is None else cio.DELIMITER_NAMES[d])
    if len(members) > 1:
        c3.selectbox("File in the zip", [None, *members], key="member", format_func=lambda m: "choose…" if m is None else m)

try:
    table = ui.current_table()
except SkewlabError as exc:
    ui.show_error(exc)
    if len(members) > 1:
        st.info("Pick the file to load under 'Reading options'.", icon=":material/folder_zip:")
    else:
        st.info("Fix the file and upload it again, change the reading options above, or switch back to the "
                "built-in sample.", icon=":material/lightbulb:")
    st.stop()

if table.sheets and len(table.sheets) > 1:
    st.selectbox("Sheet", list(table.sheets), key="sheet")

frame = table.frame
m = st.columns(4)
m[0].metric("Rows", f"{len(frame):,}")
m[1].metric("Columns", f"{frame.shape[1]:,}")
m[2].metric("Format", table.format.upper() + (f" ({table.compression})" if table.compression else ""))
if table.format == "csv":
    m[3].metric("Encoding · delimiter", f"{table.encoding} · {cio.DELIMITER_NAMES.get(table.delimiter, table.delimiter)}")
elif table.sheet:
    m[3].metric("Sheet", table.sheet)
st.caption(f"Fingerprint (sha256): `{table.sha256}`")
for note in table.notes:
    st.info(note, icon=":material/info:")

st.subheader("Preview")
st.caption(f"First {min(200, len(frame)):,} of {len(frame):,} rows, cells exactly as read.")
st.dataframe(frame.head(200), width="stretch", height=280)

# ------------------------------------------------------------------ label
ui.ensure_label(table)
st.subheader("Label")
columns = [str(c) for c in frame.columns]


def _label_changed() -> None:
    roles = dict(st.session_state["roles"])
    infos = {i.name: i.role for i in ui.column_infos(ui.table_key(), ui.table_key()[1:], frame)}
    for col, role in roles.items():
        if role == "label":
            roles[col] = infos.get(col, "categorical") if infos.get(col) != "label" else "categorical"
    roles[st.session_state["label"]] = "label"
    st.session_state["roles"] = roles
    sep = ui.separator_of(ui.table_key(), st.session_state["label"], frame)
    st.session_state["level"] = 1 if sep else None


lc1, lc2 = st.columns([3, 2])
lc1.selectbox("Label column (the category to balance)", columns, key="label", on_change=_label_changed)
choice = ui.label_choice(table)
if choice.separator:
    depth = ui.depth_of(ui.table_key(), choice.column, choice.separator, frame)
    options = list(range(1, depth + 1)) + [0]
    if st.session_state.get("level") not in options:
        st.session_state["level"] = 1
    lc2.selectbox(
        f"Level of the path (separator '{choice.separator.strip() or choice.separator}')", options, key="level",
        format_func=lambda v: "full path" if not v else ("top level" if v == 1 else f"level {v}"),
    )
    choice = ui.label_choice(table)
else:
    lc2.caption("No path separator found: each distinct value is a class.")

labels = ui.current_labels(table, choice)
n_missing = int(labels.isna().sum())
n_classes = int(labels.nunique())
st.write(f"**{n_classes:,} classes** from **{choice.describe()}**; {len(labels) - n_missing:,} labelled rows.")
if n_missing:
    st.warning(
        f"{n_missing:,} rows ({n_missing / len(labels):.1%}) have no label. They are kept in the data and in "
        "every export, untouched, and left out of learning and resampling.", icon=":material/label_off:")
if n_classes < 2:
    st.error(f"The label {choice.describe()} has {n_classes} class{'es' if n_classes != 1 else ''}: at least two "
             "are needed to talk about imbalance. Pick another label column or level.", icon=":material/error:")
share = multi_valued_share(labels)
if share >= 0.05:
    st.warning(f"{share:.0%} of labels look like several values in one cell (like 'a; b'). Each such cell is "
               "treated as one class of its own.", icon=":material/warning:")

# ------------------------------------------------------------------ leakage
leaks = ui.check_leaks(table, choice)
left_out = st.session_state.get("leak_out") or {}
if left_out:
    lines = "\n".join(f"- {leak.describe('class')}" for leak in leaks if leak.column in left_out)
    st.warning(
        f"**{len(left_out)} column{'s' if len(left_out) != 1 else ''} left out of the features: they give the label "
        f"away.**\n{lines}\n\nA model trained on them learns the catalog's hierarchy, not the products, and "
        "scores well in evaluation for the wrong reason. Their role is 'ignore' below; they stay in every export.",
        icon=":material/policy_alert:")
    keep = st.multiselect("Use as features anyway", sorted(left_out), key="leak_keep_pick",
                          placeholder="Choose columns to keep as features")
    if keep and st.button("Keep them as features", key="leak_keep_button"):
        ui.keep_leaking(keep)
        st.rerun()
if st.session_state.get("leak_unchecked"):
    st.caption(f"Checked for label leaks: the {LEAK_MAX_COLUMNS:,} feature columns with the fewest distinct values; "
               f"{st.session_state['leak_unchecked']:,} others were not checked.")
kept = [leak for leak in leaks if leak.column not in left_out and leak.column in (st.session_state.get("leak_keep") or ())]
if kept:
    st.info("Kept as features at your request, although they give the label away: "
            + "; ".join(leak.describe("class") for leak in kept) + ".", icon=":material/policy:")

# ------------------------------------------------------------------ roles
st.subheader("Column roles")
st.caption("Roles inferred from the first 20,000 rows; missing and distinct are counted on all rows. Change any "
           "role. Ids are never used as features.")
infos = ui.column_infos(ui.table_key(), ui.table_key()[1:], frame)
roles = st.session_state["roles"]
editor_frame = pd.DataFrame({
    "column": [i.name for i in infos],
    "role": [roles.get(i.name, i.role) for i in infos],
    "why": [("gives the label away; " if i.name in left_out else "") + i.reason for i in infos],
    "missing": [i.n_missing for i in infos],
    "distinct": [i.n_unique for i in infos],
    "example": [i.example for i in infos],
})


def _roles_edited() -> None:
    edits = st.session_state.get("roles_editor", {}).get("edited_rows", {})
    new = dict(st.session_state["roles"])
    for pos, change in edits.items():
        if "role" in change and change["role"] in ROLES:
            new[editor_frame.iloc[int(pos)]["column"]] = change["role"]
    st.session_state["roles"] = new


st.data_editor(
    editor_frame, key="roles_editor", on_change=_roles_edited, hide_index=True, width="stretch",
    disabled=["column", "why", "missing", "distinct", "example"],
    column_config={"role": st.column_config.SelectboxColumn("role", options=list(ROLES), required=True)},
)
roles = st.session_state["roles"]
n_label = sum(1 for r in roles.values() if r == "label")
if n_label != 1 or roles.get(choice.column) != "label":
    st.warning("Exactly one column should have the role 'label': the label column chosen above.", icon=":material/warning:")
features = {r: [c for c, v in roles.items() if v == r] for r in ("numeric", "categorical", "text")}
if not any(features.values()):
    st.warning("No column is a feature (numeric, categorical or text), so strategies that look at neighbours "
               "cannot run. Give at least one column a feature role.", icon=":material/warning:")
else:
    st.caption("Features: " + "; ".join(f"{k} {len(v)}" for k, v in features.items()))

# ------------------------------------------------------------------ text encoder
if features["text"]:
    st.subheader("Text features")
    usable = available_encoders()
    if st.session_state.get("choice_text_encoder") not in usable:
        st.session_state["choice_text_encoder"] = DEFAULT_ENCODER
    encoder = st.selectbox(
        "Text encoder", usable, key="choice_text_encoder", format_func=lambda k: ENCODERS[k].label,
        help="How the text columns become numbers for the strategies, the map and the classifiers. "
             + " ".join(f"{s.label}: {s.summary}" for s in ENCODERS.values()))
    st.caption(ENCODERS[encoder].summary)
    missing = [s for s in ENCODERS.values() if not s.available()]
    if missing:
        st.caption("Not installed here: " + "; ".join(f"{s.label} (`{s.install}`)" for s in missing) + ".")
    if encoder == "minilm":
        cells = [frame[c].astype("string").fillna("") for c in features["text"]]
        docs = cells[0] if len(cells) == 1 else cells[0].str.cat(cells[1:], sep=" ")
        try:
            seconds = estimate_seconds(encoder, docs.tolist())
        except Exception as exc:  # the estimate is advice: the page goes on without it
            seconds = None
            st.caption(f"No time estimate ({type(exc).__name__}).")
        if seconds is not None:
            st.info(f"The full model embeds the {len(docs):,} rows' text once, in about {seconds:,.0f} s on this "
                    "machine (measured here; repeated texts and texts embedded before are not embedded again). A "
                    "progress bar with the time left shows while it runs.", icon=":material/timer:")

nav.link(nav.SKEW, label="Next: see the skew", icon=":material/arrow_forward:")
