"""What every page shares: page setup, navigation, the analyst's choices, cached core calls.

Session state holds the analyst's choices only (the uploaded bytes are an input, so they are a
choice too); everything derived comes from core through caches keyed by content.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core.data import (
    FEATURE_ROLES,
    HEAD_MIN,
    K_NEIGHBORS,
    LEAK_MAX_COLUMNS,
    TAIL_MAX,
    Leak,
    SkewProfile,
    describe_columns,
    detect_separator,
    find_leaks,
    label_values,
    path_depth,
    profile_skew,
    suggest_label,
)
from core.data import io as cio
from core.errors import SkewlabError
from ui import cache, nav, persist, warmup  # importing warmup sets NUMBA_CACHE_DIR (numba is imported later, lazily)

#: Choices that live in session state and must survive page switches.
PERSISTENT = (
    "source", "label", "level", "roles", "encoding", "delimiter", "sheet", "member",
    "head_min", "tail_max", "k_neighbors", "leak_marker", "leak_out", "leak_keep", "leaks",
    "leak_unchecked",
)

#: Prefixes of per-strategy / per-page choices kept alive the same way (parameter forms...).
PERSISTENT_PREFIXES = ("p::", "choice_")



#: Choices that are derived again after a reload rather than saved with the session.
NOT_SAVED = ("leaks", "leak_marker")


def _saved_keys() -> list[str]:
    return [k for k in st.session_state if (k in PERSISTENT or str(k).startswith(PERSISTENT_PREFIXES))
            and k not in NOT_SAVED]


def _restore(token: str) -> None:
    """Bring back a reloaded session's catalog and choices, or say plainly that they are gone."""
    sample = "The built-in sample is loaded now; upload your catalog again on the Data page to go on."
    if not persist.enabled():
        st.session_state["_lost"] = f"This server keeps nothing between reloads (SKEWLAB_STORE_BYTES=0). {sample}"
        return
    choices = persist.load_choices(token)
    if choices is None:
        st.session_state["_lost"] = f"This link's session is no longer on the server, so its catalog and choices are gone. {sample}"
        return
    src = choices.get("source") or {}
    if src.get("kind") == "upload":
        data = persist.upload_bytes(src.get("sha"))
        if data is None or cio.fingerprint(data) != src.get("sha"):
            st.session_state["_lost"] = (f"Your upload '{src.get('name')}' is no longer on the server (it keeps the most "
                                         f"recent uploads only), so it could not be reloaded. {sample}")
            return
        st.session_state["upload_bytes"] = data
    for key, value in choices.items():
        st.session_state[key] = value


def _remember() -> None:
    """A token of this session's own in the URL, and its choices saved under it (see ui/persist.py)."""
    if "_token" not in st.session_state:
        token = st.query_params.get(persist.PARAM)
        if token:
            _restore(token)
        st.session_state["_token"] = persist.new_token()
    token = st.session_state["_token"]
    if st.query_params.get(persist.PARAM) != token:
        st.query_params[persist.PARAM] = token
    if "source" in st.session_state and persist.enabled():
        persist.save_choices(token, {k: st.session_state[k] for k in _saved_keys()})


def setup() -> None:
    """First call of every page: inside the app's navigation, sidebar links, choices kept alive across pages
    and across a reload of the browser tab."""
    nav.enter()
    warmup.start()
    for key in [k for k in st.session_state if k in PERSISTENT or str(k).startswith(PERSISTENT_PREFIXES)]:
        st.session_state[key] = st.session_state[key]
    _remember()
    if st.session_state.get("_lost"):
        st.warning(st.session_state["_lost"], icon=":material/history:")
    with st.sidebar:
        st.markdown("### Skewlab")
        st.caption("See and fix class imbalance in product catalogs.")
        for each in nav.STEPS:
            nav.link(each)
        src = st.session_state.get("source")
        if src:
            st.divider()
            st.caption(f"Catalog: **{src['name']}**")
            if st.session_state.get("label"):
                lvl = st.session_state.get("level")
                st.caption(f"Label: **{st.session_state['label']}**" + (f", level {lvl}" if lvl else ""))
        if not src or src.get("kind") == "sample":
            st.divider()
            st.caption(cio.SAMPLE_ATTRIBUTION)


def show_error(exc: Exception, *, where: str = "") -> None:
    """A clear message for a known error; an unexpected one is reported without a traceback."""
    if isinstance(exc, SkewlabError):
        st.error(f"{where}{exc}", icon=":material/error:")
    else:
        st.error(
            f"{where}Something unexpected went wrong ({type(exc).__name__}: {str(exc)[:300]}). "
            "Nothing was changed; try other settings, and please report this with the file.",
            icon=":material/error:",
        )


# --------------------------------------------------------------------------- the catalog


def _load_cached(sha: str, name: str, encoding, delimiter, sheet, member, data: bytes) -> cio.LoadedTable:
    """Loaded tables, shared by sessions that upload the same bytes, bounded in entries and bytes."""
    return cache.table_cache().get(
        ("table", sha, name, encoding, delimiter, sheet, member),
        lambda: cio.load_table(data, name=name, encoding=encoding, delimiter=delimiter, sheet=sheet, member=member),
    )


@st.cache_resource(show_spinner=False)
def _sample_bytes() -> bytes:
    return cio.SAMPLE_PATH.read_bytes()


def source_bytes() -> bytes | None:
    src = st.session_state.get("source")
    if src is None:
        return None
    if src["kind"] == "sample":
        return _sample_bytes()
    return st.session_state.get("upload_bytes")


def use_sample() -> None:
    if st.session_state.get("source"):  # the analyst switched to the sample: a lost upload is old news
        st.session_state.pop("_lost", None)
    data = _sample_bytes()
    _set_source({"kind": "sample", "name": cio.SAMPLE_PATH.name, "sha": cio.fingerprint(data), "size": len(data)})


def use_upload(name: str, data: bytes) -> None:
    st.session_state["upload_bytes"] = data
    sha = cio.fingerprint(data)
    if persist.enabled():
        persist.keep_upload(sha, data)
    _set_source({"kind": "upload", "name": name, "sha": sha, "size": len(data)})
    st.session_state.pop("_lost", None)


def _set_source(src: dict) -> None:
    old = st.session_state.get("source")
    if old and old["sha"] == src["sha"] and old["name"] == src["name"]:
        return
    st.session_state["source"] = src
    for key in ("label", "level", "roles", "encoding", "delimiter", "sheet", "member", "choice_floor", "choice_cap",
                "choice_target_table", "leak_out", "leak_keep", "leaks", "leak_marker"):
        st.session_state.pop(key, None)
    for key in [k for k in st.session_state if str(k).startswith("result")]:
        st.session_state.pop(key, None)


def ensure_source() -> None:
    """Open on the built-in sample when nothing was chosen yet."""
    if "source" not in st.session_state:
        use_sample()


def current_table() -> cio.LoadedTable:
    """The loaded catalog (raises LoadError with a clear message)."""
    src = st.session_state["source"]
    data = source_bytes()
    if data is None:
        raise cio.LoadError("The uploaded file is no longer in this session.", hint="Upload it again on the Data page.")
    return _load_cached(
        src["sha"], src["name"], st.session_state.get("encoding"), st.session_state.get("delimiter"),
        st.session_state.get("sheet"), st.session_state.get("member"), data,
    )


@st.cache_data(max_entries=32, show_spinner=False)
def column_infos(sha: str, options: tuple, _frame: pd.DataFrame):
    return describe_columns(_frame)


def table_key() -> tuple:
    src = st.session_state["source"]
    return (src["sha"], st.session_state.get("encoding"), st.session_state.get("delimiter"),
            st.session_state.get("sheet"), st.session_state.get("member"))


@dataclass(frozen=True)
class LabelChoice:
    column: str
    level: int | None
    separator: str | None

    def describe(self) -> str:
        return self.column + (f" (level {self.level})" if self.level else "")


def ensure_label(table: cio.LoadedTable) -> None:
    """Default label (suggested) and roles, the first time a table is seen."""
    infos = column_infos(table_key(), table_key()[1:], table.frame)
    if st.session_state.get("label") not in table.frame.columns:
        st.session_state["label"] = suggest_label(table.frame, infos) or str(table.frame.columns[0])
        sep = detect_separator(table.frame[st.session_state["label"]]) if st.session_state["label"] in table.frame else None
        st.session_state["level"] = 1 if sep else None
    if not isinstance(st.session_state.get("roles"), dict) or set(st.session_state["roles"]) != set(map(str, table.frame.columns)):
        roles = {i.name: i.role for i in infos}
        roles[st.session_state["label"]] = "label"
        st.session_state["roles"] = roles


def label_choice(table: cio.LoadedTable) -> LabelChoice:
    column = st.session_state["label"]
    sep = separator_of(table_key(), column, table.frame)
    level = st.session_state.get("level") if sep else None
    return LabelChoice(column, level or None, sep)  # level 0 = the full path


@st.cache_data(max_entries=64, show_spinner=False)
def separator_of(key: tuple, column: str, _frame: pd.DataFrame) -> str | None:
    return detect_separator(_frame[column]) if column in _frame.columns else None


@st.cache_data(max_entries=64, show_spinner=False)
def depth_of(key: tuple, column: str, separator: str, _frame: pd.DataFrame) -> int:
    return path_depth(_frame[column], separator)


@st.cache_resource(max_entries=32, show_spinner=False)
def labels_of(key: tuple, column: str, level, separator, _frame: pd.DataFrame) -> pd.Series:
    return label_values(_frame, column, level=level, separator=separator)


def current_labels(table: cio.LoadedTable, choice: LabelChoice) -> pd.Series:
    return labels_of(table_key(), choice.column, choice.level, choice.separator, table.frame)


@st.cache_resource(max_entries=64, show_spinner=False)
def profile_of(key: tuple, column: str, level, separator, head_min: int, tail_max: int, k: int,
               _labels: pd.Series) -> SkewProfile:
    return profile_skew(_labels, head_min=head_min, tail_max=tail_max, k_neighbors=k)


@st.cache_data(max_entries=32, show_spinner="Checking which columns give the label away…")
def leaks_of(key: tuple, column: str, level, separator, columns: tuple[str, ...], _frame: pd.DataFrame,
             _labels: pd.Series) -> list[Leak]:
    return find_leaks(_frame, _labels, columns)


def check_leaks(table: cio.LoadedTable, choice: LabelChoice) -> list[Leak]:
    """Leave out feature columns that give the label away, once per (catalog, label, level).

    A column left out gets the role 'ignore'; the analyst keeps it by giving it a feature role again
    (in the roles table or with the Data page's "keep" choice), and that choice is remembered.
    """
    roles = dict(st.session_state["roles"])
    out: dict[str, str] = dict(st.session_state.get("leak_out") or {})  # column -> role it had
    keep = set(st.session_state.get("leak_keep") or ())
    for col in [c for c in out if roles.get(c) != "ignore"]:
        out.pop(col)
        if roles.get(col) in FEATURE_ROLES:
            keep.add(col)  # the analyst gave it a feature role again
    marker = (table_key(), choice.column, choice.level)
    if st.session_state.get("leak_marker") != marker:
        distinct = {i.name: i.n_unique for i in column_infos(table_key(), table_key()[1:], table.frame)}
        feature_like = sorted((c for c, r in roles.items() if r in FEATURE_ROLES or c in out),
                              key=lambda c: (distinct.get(c, 0), c))
        # the fewest distinct values first: hierarchy levels and codes, not titles
        candidates = tuple(feature_like[:LEAK_MAX_COLUMNS])
        st.session_state["leak_unchecked"] = len(feature_like) - len(candidates)
        leaks = leaks_of(table_key(), choice.column, choice.level, choice.separator, candidates, table.frame,
                         current_labels(table, choice))
        leaking = {leak.column for leak in leaks}
        for col in [c for c in out if c not in leaking]:
            roles[col] = out.pop(col)  # no longer leaks under this label: back to its role
        for col in sorted(leaking - keep - set(out)):
            out[col], roles[col] = roles[col], "ignore"
        st.session_state["leaks"] = leaks
        st.session_state["leak_marker"] = marker
    st.session_state["roles"], st.session_state["leak_out"], st.session_state["leak_keep"] = roles, out, sorted(keep)
    return st.session_state["leaks"]


def keep_leaking(columns: list[str]) -> None:
    """Give leaking columns their feature role back (the analyst's choice, remembered)."""
    roles = dict(st.session_state["roles"])
    out = dict(st.session_state.get("leak_out") or {})
    for col in columns:
        if col in out:
            roles[col] = out.pop(col)
    st.session_state["roles"], st.session_state["leak_out"] = roles, out
    st.session_state["leak_keep"] = sorted(set(st.session_state.get("leak_keep") or ()) | set(columns))


def thresholds() -> tuple[int, int, int]:
    return (int(st.session_state.get("head_min", HEAD_MIN)), int(st.session_state.get("tail_max", TAIL_MAX)),
            int(st.session_state.get("k_neighbors", K_NEIGHBORS)))


def current_profile(table: cio.LoadedTable, choice: LabelChoice) -> SkewProfile:
    head_min, tail_max, k = thresholds()
    return profile_of(table_key(), choice.column, choice.level, choice.separator, head_min, tail_max, k,
                      current_labels(table, choice))


def require_catalog() -> tuple[cio.LoadedTable, LabelChoice] | None:
    """Table and label for pages after Data; shows the way back when something is missing."""
    ensure_source()
    try:
        table = current_table()
    except SkewlabError as exc:
        show_error(exc)
        nav.link(nav.DATA, label="Back to Data to fix the upload", icon=":material/arrow_back:")
        return None
    ensure_label(table)
    choice = label_choice(table)
    check_leaks(table, choice)
    return table, choice


human_bytes = cio.human_bytes


def catalog_page(step: nav.Step) -> tuple[cio.LoadedTable, LabelChoice]:
    """Set up a page after Data: config, navigation, title, then the catalog and its label.

    Stops the page (with the way back to Data) when the catalog cannot be loaded.
    """
    setup()
    st.title(step.title)
    loaded = require_catalog()
    if loaded is None:
        st.stop()
    return loaded
