"""core.params: one way to check a parameter, one message shape; every error pickles."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from core import errors
from core.errors import ParameterError, RecipeError, SkewlabError, SmallClassError
from core.params import SEED, Boolean, Choice, Interval, check


@pytest.mark.parametrize(
    "value,constraint,strict,expected",
    [
        (3, Interval("int", 1, 100), True, 3),
        (np.int64(7), Interval("int", 1, 100), True, 7),
        ("3", Interval("int", 1, 100), False, 3),
        (3.0, Interval("int", 1, 100), False, 3),
        (0.5, Interval("float", 0, 1), True, 0.5),
        (1, Interval("float", 0, 1), True, 1.0),
        (" 0.25 ", Interval("float", 0, 1), False, 0.25),
        (2**32 - 1, SEED, True, 2**32 - 1),
        ("all", Choice(("all", "mode")), True, "all"),
        (" mode", Choice(("all", "mode")), False, "mode"),
        (True, Boolean(), True, True),
        ("off", Boolean(), False, False),
        (1, Boolean(), False, True),
    ],
)
def test_accepted_values_come_back_typed(value, constraint, strict, expected):
    got = check(value, constraint, name="p", strict=strict)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    "value,constraint,strict,allowed",
    [
        (0, Interval("int", 1, 100), True, "a whole number in 1..100"),
        (2.5, Interval("int", 1, 100), False, "a whole number in 1..100"),
        ("3", Interval("int", 1, 100), True, "a whole number in 1..100"),
        (3.0, Interval("int", 1, 100), True, "a whole number in 1..100"),
        (True, Interval("int", 0, 1), False, "a whole number in 0..1"),
        (float("nan"), Interval("float", None, None), True, "a number"),
        (float("inf"), Interval("float", 0, None), True, "a number of at least 0"),
        (-1, SEED, True, "a whole number in 0..4294967295"),
        (2**32, SEED, True, "a whole number in 0..4294967295"),
        ("modes", Choice(("all", "mode")), False, "one of 'all', 'mode'"),
        (1, Choice(("1", "2")), True, "one of '1', '2'"),
        ("yes", Boolean(), True, "true or false"),
        ("maybe", Boolean(), False, "true or false"),
    ],
)
def test_refused_values_name_what_is_allowed(value, constraint, strict, allowed):
    with pytest.raises(ParameterError) as info:
        check(value, constraint, name="k", where="smote: ", strict=strict, hint="Try 5.")
    shown = value if isinstance(value, str) and not strict else repr(value)  # typed text as typed
    assert str(info.value) == f"smote: k={shown} is not allowed; it must be {allowed}. Try 5."
    assert info.value.hint == "Try 5."


def test_the_error_type_is_the_callers():
    with pytest.raises(RecipeError, match=r"^Recipe field 'seed'=-1 is not allowed; it must be a whole number in 0\.\.4294967295\.$"):
        check(-1, SEED, name="'seed'", where="Recipe field ", error=RecipeError)


def _all_error_types() -> list[type]:
    found, todo = [], [SkewlabError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if c.__module__ == errors.__name__]


def test_every_error_pickles_with_its_hint_and_attributes():
    types = _all_error_types()
    assert {t.__name__ for t in types} >= {"SkewlabError", "LoadError", "SchemaError", "SmallClassError",
                                            "ParameterError", "ResourceError", "RecipeError"}
    for cls in types:
        if cls is SmallClassError:
            error = cls("2 classes are too small.", classes={"a": 1, "b": 2}, needed=6, hint="Use lower_k.")
        else:
            error = cls(f"{cls.__name__} happened.", hint="Do this.")
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is cls and str(back) == str(error) and back.hint == error.hint
        assert back.message == error.message and back.args == error.args
        if cls is SmallClassError:
            assert back.classes == {"a": 1, "b": 2} and back.needed == 6
