"""Data page leakage check, and a reload (a new session opened with the tab's URL) that keeps the catalog."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.messy import messy_csv
from tests.pages.conftest import ROOT, goto, upload
from ui import persist


def _roles_table(at):
    return next(d.value for d in at.dataframe if "why" in d.value.columns).set_index("column")


def test_hierarchy_columns_are_left_out_until_the_analyst_keeps_them(app):
    at = upload(app, "messy.csv", messy_csv(3000))
    at.selectbox(key="label").set_value("sub_category").run()
    roles = at.session_state["roles"]
    assert (roles["type"], roles["category"]) == ("ignore", "ignore")
    assert roles["brand"] == "categorical" and roles["title"] == "text"
    warning = next(w.value for w in at.warning if "left out of the features" in w.value)
    assert "2 columns left out" in warning
    assert "'type' alone names the class of" in warning and "'category' has one value per class" in warning
    table = _roles_table(at)
    assert table.loc["type", "role"] == "ignore" and table.loc["type", "why"].startswith("gives the label away; ")
    # keep one of them: its role comes back and stays, with a note that says why it is unusual
    at.multiselect(key="leak_keep_pick").set_value(["type"]).run()
    at.button(key="leak_keep_button").click().run()
    roles = at.session_state["roles"]
    assert roles["type"] != "ignore" and roles["category"] == "ignore"
    assert any("Kept as features at your request" in i.value and "'type'" in i.value for i in at.info)
    goto(at, "Skew")
    goto(at, "Data")
    assert at.session_state["roles"]["type"] != "ignore"


def test_a_changed_label_is_checked_again(app):
    at = upload(app, "messy.csv", messy_csv(3000))
    assert at.session_state["label"] == "category"  # the suggested label
    roles = at.session_state["roles"]
    # under 'category', sub_category and type are lower levels: both name it
    assert (roles["sub_category"], roles["type"], roles["brand"]) == ("ignore", "ignore", "categorical")
    at.selectbox(key="label").set_value("sub_category").run()
    roles = at.session_state["roles"]
    assert (roles["sub_category"], roles["type"], roles["category"]) == ("label", "ignore", "ignore")
    at.selectbox(key="label").set_value("brand").run()
    roles = at.session_state["roles"]
    # nothing gives a brand away: the hierarchy columns get their roles back
    assert roles["category"] == "categorical" and roles["type"] in ("categorical", "text")
    assert not any("left out of the features" in w.value for w in at.warning)


def _reopen(token: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params[persist.PARAM] = token
    at.switch_page("pages/2_strategies.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_reload_keeps_the_upload_and_the_choices(app):
    at = upload(app, "messy.csv", messy_csv(3000))
    at.selectbox(key="label").set_value("category").run()
    token = at.session_state["_token"]
    assert at.query_params[persist.PARAM] == [token] or at.query_params[persist.PARAM] == token
    again = _reopen(token)
    assert again.session_state["source"]["name"] == "messy.csv"
    assert again.session_state["label"] == "category"
    assert any("Catalog: **messy.csv**" in c.value for c in again.sidebar.caption)
    assert not any("no longer on the server" in w.value for w in again.warning)
    assert again.session_state["_token"] != token  # a token of its own: two tabs do not overwrite each other


def test_reload_says_plainly_when_the_upload_is_gone(app, tmp_path):
    at = upload(app, "messy.csv", messy_csv(3000))
    token, sha = at.session_state["_token"], at.session_state["source"]["sha"]
    (persist.store_dir() / f"{sha}.bin").unlink()
    again = _reopen(token)
    message = next(w.value for w in again.warning if "no longer on the server" in w.value)
    assert "Your upload 'messy.csv' is no longer on the server" in message
    assert "The built-in sample is loaded now" in message
    assert again.session_state["source"]["kind"] == "sample"
    lost = _reopen("A" * 22)
    assert any("This link's session is no longer on the server" in w.value for w in lost.warning)


def test_a_server_that_keeps_nothing_writes_nothing_and_says_so(app, monkeypatch, tmp_path):
    monkeypatch.setenv("SKEWLAB_STORE_DIR", str(tmp_path))
    monkeypatch.setenv("SKEWLAB_STORE_BYTES", "0")
    at = upload(app, "messy.csv", messy_csv(600))
    token = at.session_state["_token"]
    assert list(tmp_path.iterdir()) == []
    again = _reopen(token)
    assert any("This server keeps nothing between reloads (SKEWLAB_STORE_BYTES=0)" in w.value for w in again.warning)
    assert again.session_state["source"]["kind"] == "sample"
