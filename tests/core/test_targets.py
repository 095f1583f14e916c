from __future__ import annotations

import pytest

from core.errors import ParameterError
from core.strategies import TargetSpec, resolve_targets

COUNTS = {"a": 5, "b": 200, "c": 50}


@pytest.mark.parametrize("text", ["auto", "balanced", "floor:20", "cap:100", "hybrid:100:20"])
def test_parse_roundtrip(text):
    spec = TargetSpec.parse(text)
    assert spec.to_text() == text
    assert TargetSpec.from_dict(spec.to_dict()) == spec


def test_table_roundtrip():
    spec = TargetSpec.table({"a": 10, "b": 3})
    assert spec.kind == "table"
    assert TargetSpec.from_dict(spec.to_dict()) == spec
    assert TargetSpec.parse("auto").table == ()


def test_resolve():
    assert resolve_targets(COUNTS, "auto", family="over") == {"a": 200, "b": 200, "c": 200}
    assert resolve_targets(COUNTS, "auto", family="under") == {"a": 5, "b": 5, "c": 5}
    assert resolve_targets(COUNTS, "balanced", family="over") == {"a": 200, "b": 200, "c": 200}
    assert resolve_targets(COUNTS, "floor:20", family="over") == {"a": 20, "b": 200, "c": 50}
    assert resolve_targets(COUNTS, "cap:100", family="over") == {"a": 5, "b": 100, "c": 50}
    assert resolve_targets(COUNTS, "hybrid:100:20", family="over") == {"a": 20, "b": 100, "c": 50}
    assert resolve_targets(COUNTS, TargetSpec.table({"a": 7}), family="over") == {"a": 7, "b": 200, "c": 50}


@pytest.mark.parametrize("bad", ["", "floor", "floor:x", "floor:0", "cap:-3", "hybrid:10", "most", "cap:1:2"])
def test_parse_errors_name_forms(bad):
    with pytest.raises(ParameterError, match="floor:N"):
        TargetSpec.parse(bad)


def test_table_errors():
    with pytest.raises(ParameterError, match="'a'"):
        TargetSpec.table({"a": 0})
    with pytest.raises(ParameterError, match="'zzz'"):
        resolve_targets(COUNTS, TargetSpec.table({"zzz": 3}), family="over")


def test_hybrid_floor_above_cap():
    with pytest.raises(ParameterError, match="floor 20 is above the cap 10"):
        TargetSpec.parse("hybrid:10:20")
