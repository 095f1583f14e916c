"""Strategies page: several strategies side by side, one failing without stopping the others."""

from __future__ import annotations

from tests.pages.conftest import goto, upload


def catalog_csv() -> bytes:
    # 3 classes: 60 / 12 / 3 rows; class 'c' is too small for SMOTE with k=5
    rows = []
    for cls, n, base in (("a", 60, 0.0), ("b", 12, 10.0), ("c", 3, 20.0)):
        for i in range(n):
            rows.append(f"{cls}-{i},{base + i * 0.1:.2f},{(i * 7) % 5},{cls}")
    return ("sku,price,stock,category\n" + "\n".join(rows) + "\n").encode()


def summary(at):
    frame = next(df.value for df in at.dataframe if "strategy" in df.value.columns and "added" in df.value.columns)
    return frame.set_index("strategy")


def test_runs_side_by_side_and_one_failure_does_not_stop_the_others(app):
    at = upload(app, "shop.csv", catalog_csv())
    at = goto(at, "Strategies")
    at.multiselect(key="choice_strategies").set_value(["none", "random_over", "smote", "random_under", "tomek_links",
                                                       "balanced_weights"]).run()
    at.radio(key="choice_target_kind").set_value("floor").run()
    at.number_input(key="choice_floor").set_value(30).run()
    at.radio(key="choice_small_classes").set_value("error").run()  # stop and tell me
    at.button(key="run").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    # SMOTE fails with the class named and the way forward; the five others finish
    assert any(e.startswith("**SMOTE**") and "'c' has 3 rows" in e for e in errors), errors
    table = summary(at)
    assert table.loc["before", "rows"] == 75
    assert table.loc["No resampling", "rows"] == 75
    # random over-sampling lifts b (12) and c (3) to the floor of 30: +18 +27
    assert table.loc["Random over-sampling", "added"] == 45
    assert table.loc["Random over-sampling", "rows"] == 120
    assert table.loc["Random under-sampling", "added"] == 0
    assert table.loc["Balanced class weights (weighted)", "rows"] == 75
    assert "SMOTE" not in table.index
    # lost classes are counted: the tail guard keeps every class, so nothing is lost anywhere
    assert list(table.columns[3:5]) == ["classes lost", "tail rows lost"]
    assert (table["classes lost"] == 0).all() and (table["tail rows lost"] == 0).all()


def test_table_shows_classes_lost_when_the_guard_is_off(app):
    # 'c' (3 rows) sits inside 'a': ENN without the tail guard removes all of it
    rows = [f"a-{i},{i % 10}.0,a" for i in range(60)] + [f"c-{i},{i * 3 + 1}.05,c" for i in range(3)]
    at = upload(app, "shop.csv", ("sku,price,category\n" + "\n".join(rows) + "\n").encode())
    at = goto(at, "Strategies")
    at.multiselect(key="choice_strategies").set_value(["enn", "tomek_links"]).run()
    at.number_input(key="p::enn::enn::min_class_rows").set_value(0).run()
    at.selectbox(key="p::enn::enn::classes").set_value("all").run()
    at.button(key="run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = summary(at)
    enn = table.loc["Edited nearest neighbours"]
    assert (enn["classes lost"], enn["tail rows lost"], enn["removed"]) == (1, 3, 3)
    assert enn["imbalance ratio"] == float("inf")
    assert table.loc["Tomek links", "classes lost"] == 0
    assert any("inf (largest / 0)" in c.value for c in at.caption)


def test_small_class_choice_lets_smote_run(app):
    at = upload(app, "shop.csv", catalog_csv())
    at = goto(at, "Strategies")
    at.multiselect(key="choice_strategies").set_value(["smote"]).run()
    at.radio(key="choice_target_kind").set_value("floor").run()
    at.number_input(key="choice_floor").set_value(30).run()
    at.radio(key="choice_small_classes").set_value("random_over").run()
    at.button(key="run").click().run()
    assert not at.error
    table = summary(at)
    assert table.loc["SMOTE", "added"] == 45
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Rows per class before and after" in t for t in titles)


def test_parameter_forms_come_from_the_registry(app):
    at = goto(app, "Strategies")
    at.multiselect(key="choice_strategies").set_value(["smote", "centroid_distance"]).run()
    keys = {w.key for w in at.number_input} | {w.key for w in at.selectbox}
    assert "p::smote::smote::k_neighbors" in keys
    assert "p::centroid_distance::centroid_distance::threshold" in keys
    assert "p::centroid_distance::centroid_distance::min_class_rows" in keys


def test_defaults_suit_long_tails(app):
    at = goto(app, "Strategies")
    assert at.session_state["choice_target_kind"] == "hybrid"
    assert at.session_state["choice_floor"] == 100
    assert at.session_state["choice_cap"] == 500
    assert len(at.session_state["choice_strategies"]) == 6
    assert "isolation_forest+smote" in at.session_state["choice_strategies"]


def test_built_in_sample_runs_every_cleaner_and_under_sampler_with_defaults(app):
    """The page's defaults plus every cleaner / under-sampler / SMOTE-then-clean (from the registry) on the
    built-in sample: all finish, and the tail guard keeps every class and every tail row."""
    from core.strategies import REGISTRY

    at = goto(app, "Strategies")
    guarded = [n for n, s in REGISTRY.items() if s.family in ("clean", "under", "combined")]
    chosen = list(dict.fromkeys([*at.session_state["choice_strategies"], *guarded]))  # random_under is in both
    at.multiselect(key="choice_strategies").set_value(chosen).run()
    at.radio(key="choice_small_classes").set_value("lower_k").run(timeout=600)  # the sample has singletons
    cost = next(df.value for df in at.dataframe if "known by" in df.value.columns).set_index("strategy")
    at.button(key="run").click().run(timeout=600)
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = summary(at)
    # the estimate before the run is the row count of the run, cleaners included (counted ahead)
    ran = table.index[1:]
    assert list(cost.index) == [n.removesuffix(" (weighted)") for n in ran]
    assert [int(v.replace(",", "")) for v in cost["rows after"]] == table.loc[ran, "rows"].tolist()
    assert [int(v.replace(",", "")) for v in cost["removed"]] == table.loc[ran, "removed"].tolist()
    assert set(cost.loc[[REGISTRY[n].label for n in guarded if REGISTRY[n].family != "under"], "known by"]) \
        == {"counting ahead"}
    assert cost.loc["Random under-sampling", "known by"] == "arithmetic"
    assert len(table) == 1 + len(chosen) == 1 + 6 + len(guarded) - 1
    assert table["rows"].iloc[0] == 9310 and table["tail classes"].iloc[0] == 29
    assert (table["classes lost"] == 0).all() and (table["tail rows lost"] == 0).all()
    assert (table.loc[[REGISTRY[n].label for n in guarded], "removed"] > 0).all()


def test_a_small_class_failure_names_the_choices_as_the_page_does(app):
    at = upload(app, "shop.csv", catalog_csv())
    at = goto(at, "Strategies")
    assert at.radio(key="choice_small_classes").value == "lower_k"  # the default runs every k-NN method
    at.multiselect(key="choice_strategies").set_value(["smote"]).run()
    at.radio(key="choice_target_kind").set_value("floor").run()
    at.number_input(key="choice_floor").set_value(30).run()
    at.radio(key="choice_small_classes").set_value("error").run()
    at.button(key="run").click().run()
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "1 class is too small: 'c' has 3 rows; SMOTE with k_neighbors=5 needs at least 6." in text
    assert ("Choose what to do with them under Small classes: 'Lower k for those classes', 'Random over-sample them "
            "instead', 'Merge them into 'Other'', 'Leave them out (rows kept as they are)'.") in text
    assert "small_classes=" not in text and "lower_k" not in text
