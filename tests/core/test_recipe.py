"""Recipes: a round trip through JSON, and clear RecipeErrors for malformed or hostile files."""

from __future__ import annotations

import copy
import json

import pytest

from core.data import FeatureConfig
from core.errors import RecipeError
from core.export import (
    MAX_BYTES,
    InputSpec,
    LabelSpec,
    Recipe,
    ScopeSpec,
    library_versions,
    make_recipe,
    read_recipe,
    recipe_from_dict,
    version_warnings,
)

SHA = "ab" * 32
ROLES = {"sku": "id", "title": "text", "brand": "categorical", "price": "numeric", "cat": "label"}


def good(**kw) -> Recipe:
    args = dict(
        input=InputSpec("toys.csv", SHA, "csv", "utf-8", ","),
        roles=ROLES,
        label=LabelSpec("cat", 1, " > "),
        features=FeatureConfig(numeric=("price",), categorical=("brand",), text=("title",), text_dim=16),
        strategy="smote",
        params={"k_neighbors": 3},
        target="floor:50",
        small_classes="lower_k",
        seed=7,
        scope=ScopeSpec("split", 0.25, 3),
    )
    args.update(kw)
    return make_recipe(**args)


def as_dict() -> dict:
    return good().to_dict()


def test_a_recipe_survives_json_and_holds_every_choice():
    r = good()
    back = read_recipe(r.to_json())
    assert back == r
    d = json.loads(r.to_json())
    assert d["schema_version"] == 1 and d["input"]["sha256"] == SHA and d["input"]["delimiter"] == ","
    assert d["label"] == {"column": "cat", "level": 1, "separator": " > "}
    assert d["features"]["text_dim"] == 16 and d["features"]["max_categories"] == 30
    assert d["params"] == {"k_neighbors": 3}  # validated: the complete parameter set of SMOTE
    assert d["target"] == "floor:50" and d["small_classes"] == "lower_k" and d["seed"] == 7
    assert d["scope"] == {"kind": "split", "test_share": 0.25, "seed": 3}
    assert set(d["versions"]) == {"python", "numpy", "pandas", "scikit-learn", "imbalanced-learn", "umap-learn", "skewlab"}
    assert read_recipe(r.to_json().encode("utf-8")) == r


def test_pipelines_and_target_tables_round_trip():
    r = good(strategy="isolation_forest+smote", params={"smote.k_neighbors": 2}, target={"a": 10, "b > c": 20})
    assert r.params["smote"]["k_neighbors"] == 2 and "isolation_forest" in r.params
    assert r.target_spec().kind == "table"
    assert read_recipe(r.to_json()) == r


def test_library_versions_name_python_and_skewlab():
    v = library_versions()
    assert v["python"].count(".") == 2 and v["skewlab"]
    r = good()
    old = Recipe(**{**r.__dict__, "versions": {**r.versions, "scikit-learn": "0.1"}})
    assert any("scikit-learn 0.1" in w for w in version_warnings(old))
    assert version_warnings(r) == []


def _set(path: str, value):
    d = as_dict()
    node = d
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value
    return d


@pytest.mark.parametrize(
    "data, words",
    [
        (_set("seed", "7"), "is not allowed; it must be a whole number in 0..4294967295."),
        (_set("seed", 10**19), "'seed'=10000000000000000000 is not allowed; it must be a whole number in 0..4294967295"),
        (_set("seed", -1), "'seed'=-1 is not allowed"),
        (_set("seed", True), "'seed'=True is not allowed"),
        (_set("features.text_dim", 100000), "'features.text_dim'=100000 is not allowed; it must be a whole number in 1..512"),
        (_set("scope.test_share", 1.5), "'scope.test_share'=1.5 is not allowed; it must be a number in 0.05..0.9"),
        (_set("scope.kind", "all"), "'scope.kind'='all' is not allowed; it must be one of 'whole', 'split'"),
        (_set("strategy", "rm -rf /"), "no strategy named"),
        (_set("strategy", "__import__('os')"), "no strategy named"),
        (_set("params", {"k_neighbors": 10**6}), "k_neighbors=1000000 is not allowed"),
        (_set("params", {"k_neighbors": [1, 2]}), "plain values"),
        (_set("params", {"k_neighbors": {"x": 1}}), "is not allowed"),
        (_set("params", {"not_a_param": 1}), "no parameter 'not_a_param'"),
        (_set("params", []), "'params' must be an object"),
        (_set("target", "floor:-3"), "not a valid target"),
        (_set("target", 5), "'target' must be text"),
        (_set("small_classes", "ignore"), "'small_classes'='ignore' is not allowed"),
        (_set("input.name", "../../etc/passwd"), "plain file name"),
        (_set("input.name", "C:\\Windows\\x.csv"), "plain file name"),
        (_set("input.member", "../escape.csv"), "relative name inside the zip"),
        (_set("input.sha256", "not-a-hash"), "64 lowercase hex"),
        (_set("input.encoding", "no-such-codec"), "unknown encoding"),
        (_set("input.format", "exe"), "'input.format'='exe' is not allowed"),
        (_set("roles.price", "weapon"), "'roles.price'='weapon' is not allowed; it must be one of 'label'"),
        (_set("roles", {}), "non-empty object"),
        (_set("label.column", "price"), "role 'label'"),
        (_set("features.numeric", ["brand"]), "whose role in 'roles' is 'categorical'"),
        (_set("features.numeric", "price"), "must be a list"),
        (_set("schema_version", 2), "reads version 1"),
        (_set("versions", {"x": 1}), "'versions.x' must be text"),
        ([1, 2, 3], "'recipe' must be a JSON object"),
        ("just text", "'recipe' must be a JSON object"),
    ],
)
def test_malformed_recipes_get_a_recipe_error_naming_the_field(data, words):
    with pytest.raises(RecipeError) as err:
        recipe_from_dict(data)
    assert words in str(err.value)
    # and the same through the file reader
    with pytest.raises(RecipeError):
        read_recipe(json.dumps(data))


def test_unknown_and_missing_keys_are_named():
    d = as_dict()
    d["exec"] = "print(1)"
    with pytest.raises(RecipeError, match=r"unknown key\(s\) 'exec'"):
        recipe_from_dict(d)
    d = as_dict()
    d["input"]["path"] = "/etc/passwd"
    with pytest.raises(RecipeError, match=r"'input' has unknown key\(s\) 'path'"):
        recipe_from_dict(d)
    d = as_dict()
    del d["strategy"]
    with pytest.raises(RecipeError, match="lacks the key"):
        recipe_from_dict(d)


@pytest.mark.parametrize(
    "text, words",
    [
        ("{not json", "not valid JSON"),
        ("", "not valid JSON"),
        ('{"seed": NaN}', "NaN"),
        ('{"seed": Infinity}', "Infinity"),
        ('{"seed": 1' + "0" * 5000 + "}", "digits"),
        ("[" * 100_000 + "]" * 100_000, "nests deeper"),
        ('{"a":' * 20 + "1" + "}" * 20, "nests deeper"),
    ],
)
def test_hostile_text_gets_a_recipe_error(text, words):
    with pytest.raises(RecipeError, match=words):
        read_recipe(text)


def test_float_overflow_and_bad_bytes_and_size_are_refused():
    text = as_dict()
    raw = json.dumps(text).replace('"seed": 7', '"seed": 1e999')
    with pytest.raises(RecipeError, match="'seed'=inf is not allowed; it must be a whole number"):
        read_recipe(raw)
    with pytest.raises(RecipeError, match="not UTF-8"):
        read_recipe(b'{"a": "\xff\xfe"}')
    big = copy.deepcopy(text)
    big["versions"] = {"pad": "x" * 100}
    padded = json.dumps(big) + " " * (MAX_BYTES + 1)
    with pytest.raises(RecipeError, match="at most 1,000,000 bytes"):
        read_recipe(padded)
    with pytest.raises(RecipeError, match="JSON text"):
        read_recipe(12)  # type: ignore[arg-type]


def test_make_recipe_validates_the_choices_like_a_file():
    with pytest.raises(RecipeError, match="k_neighbors"):
        good(params={"k_neighbors": 0})
    with pytest.raises(RecipeError, match="target"):
        good(target="most")
