"""Adding a strategy is one entry: a throwaway strategy registered in a fixture shows up in the
registry, the form, the CLI listing, the recipe validation, the snippet and a run."""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.cli.main import main
from core.data.features import FeatureConfig, build_features
from core.data.io import load_table
from core.data.schema import infer_roles, label_values
from core.errors import ParameterError, RecipeError
from core.export import InputSpec, LabelSpec, make_recipe
from core.strategies import REGISTRY, StrategySpec, code_snippet, register, resample, strategies_table, unregister
from core.strategies.over import imblearn_rows, k_param, oversample
from tests.paths import DATASETS

NAME = "throwaway_adasyn"


def space_of(name: str, label: str = "class"):
    table = load_table(DATASETS / name)
    labels = label_values(table.frame, label)
    return build_features(table.frame, labels, FeatureConfig.from_roles(infer_roles(table.frame, label=label)))


@pytest.fixture
def throwaway():
    """ADASYN again, under another name and default: the one entry a new imbalanced-learn
    over-sampler needs."""
    spec = register(StrategySpec(
        NAME,
        "Throwaway ADASYN",
        "over",
        "ADASYN registered by a test.",
        (k_param("n_neighbors", 4, "Neighbours of the difficulty ratio and of interpolation."),),
        uses_targets=True,
        k_param="n_neighbors",
        imblearn="imblearn.over_sampling:ADASYN",
        runner=partial(oversample, generate=partial(imblearn_rows, kwargs=lambda p, k, seed, n: {"n_neighbors": k})),
        seeded=True,
    ))
    yield spec
    unregister(NAME)
    assert NAME not in REGISTRY


def test_registry_and_run(throwaway):
    assert REGISTRY[NAME] is throwaway and list(REGISTRY)[-1] == NAME
    row = next(r for r in strategies_table() if r["name"] == NAME)
    assert row["family"] == "over" and row["params"][0]["default"] == 4
    space = space_of("ecoli.csv")
    mine = resample(space, NAME, target="floor:30", small_classes="random_over")
    same = resample(space, "adasyn", params={"n_neighbors": 4}, target="floor:30", small_classes="random_over")
    assert mine.counts_after == same.counts_after and mine.n_synthetic == same.n_synthetic > 0
    np.testing.assert_array_equal(mine.X, same.X)
    with pytest.raises(ParameterError, match=f"{NAME}: n_neighbors=0 is not allowed"):
        resample(space, NAME, params={"n_neighbors": 0})


def test_a_second_entry_with_the_same_name_is_refused(throwaway):
    with pytest.raises(ValueError, match="registered already"):
        register(throwaway)


def test_cli_listing(throwaway, capsys):
    assert main(["strategies"]) == 0
    text = capsys.readouterr().out
    assert f"{NAME}  (over) Throwaway ADASYN  [takes a target]" in text
    assert "--param n_neighbors=4  (int 1..100)" in text
    assert main(["strategies", "--format", "json"]) == 0
    assert NAME in [s["name"] for s in json.loads(capsys.readouterr().out)]


def test_recipe_validation(throwaway):
    args = dict(
        input=InputSpec("ecoli.csv", "ab" * 32, "csv", "utf-8", ","),
        roles={"mcg": "numeric", "class": "label"},
        label=LabelSpec("class"),
        features=FeatureConfig(numeric=("mcg",)),
        strategy=NAME,
        target="floor:30",
    )
    recipe = make_recipe(**args, params={"n_neighbors": "3"})
    assert recipe.strategy == NAME and recipe.params == {"n_neighbors": 3}
    with pytest.raises(RecipeError, match="n_neighbors=500 is not allowed"):
        make_recipe(**args, params={"n_neighbors": 500})


def test_snippet(throwaway):
    code = code_snippet(NAME, {}, "floor:30", 3)
    assert "from imblearn.over_sampling import ADASYN" in code
    assert "X, y = ADASYN(n_neighbors=4, sampling_strategy=sampling_strategy, random_state=SEED).fit_resample(X, y)" in code


def _form_script():
    import streamlit as st

    from ui.forms import option_label, strategy_form

    st.write(option_label("throwaway_adasyn"))
    st.session_state["params"] = strategy_form("throwaway_adasyn")


def test_form(throwaway):
    at = AppTest.from_function(_form_script, default_timeout=60).run()
    assert not at.exception
    assert at.markdown[0].value == "Throwaway ADASYN · over-sampling"
    widget = at.number_input[0]
    assert widget.label == "n neighbors" and widget.value == 4 and widget.min == 1 and widget.max == 100
    widget.set_value(7).run()
    assert at.session_state["params"] == {"n_neighbors": 7}
