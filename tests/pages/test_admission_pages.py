"""Heavy work states its memory before it starts (issue 19): when the server has less available than the
job's estimate, the page says so with both figures and a way forward, and nothing runs.

The machine's available memory is replaced by 1 MB (``core.jobs.available_memory``), less than any job
on the built-in sample needs. Each page uses settings no other test uses, so no cached result answers
instead of a run.
"""

from __future__ import annotations

import re

import pytest

import core.jobs
from tests.pages.conftest import goto

AVAILABLE = 1024**2  # 1.0 MB
RUN = {
    "strategies": [{"name": "random_over", "params": {}}],
    "target": "floor:31",
    "small_classes": "random_over",
    "seed": 19,
    "text_dim": 8,
}


def _refusal(messages, what: str) -> tuple[float, str]:
    """The refusal among ``messages``: (the memory it says the job needs, in MB, the message)."""
    pattern = re.compile(rf"{what} would need about ([\d,.]+) (KB|MB|GB) of memory; the server has 1\.0 MB "
                         r"available now, so it was not started\.")
    for m in messages:
        found = pattern.search(m)
        if found:
            scale = {"KB": 1 / 1024, "MB": 1.0, "GB": 1024.0}[found.group(2)]
            return float(found.group(1).replace(",", "")) * scale, m
    raise AssertionError(f"no refusal of {what} in {messages}")


@pytest.fixture
def little_memory(monkeypatch):
    monkeypatch.setattr(core.jobs, "available_memory", lambda: AVAILABLE)


def test_an_evaluation_larger_than_the_memory_available_is_refused_before_it_starts(app, little_memory):
    app.session_state["run_config"] = RUN
    at = goto(app, "Evaluate")
    at.number_input(key="choice_eval_folds").set_value(3)
    at.button(key="eval_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    needed, message = _refusal([e.value for e in at.error], "Evaluation")
    assert needed > 1.0
    assert message.endswith("Lower the row budget or leave out the strategy with the largest training part, or try "
                            "again when other jobs have finished.")  # the way forward
    assert not at.dataframe and not at.get("plotly_chart")  # nothing ran
    assert core.jobs.GATE.status()["running"] == [] and core.jobs.GATE.status()["queued"] == []


def test_a_strategy_run_larger_than_the_memory_available_is_refused(app, little_memory):
    app.session_state["run_config"] = RUN
    at = goto(app, "Strategies")
    assert not at.exception, [e.value for e in at.exception]
    messages = [e.value for e in list(at.error) + list(at.warning)]
    needed, message = _refusal(messages, "Strategy run")
    assert "Use a smaller target (a tail floor such as floor:20) or fewer strategies" in message
    assert needed > 1.0
    assert core.jobs.GATE.status()["running"] == []


def test_a_map_larger_than_the_memory_available_is_refused(app, monkeypatch):
    app.session_state["run_config"] = RUN
    at = goto(app, "Strategies")  # the strategy runs with the machine's memory
    assert not at.error, [e.value for e in at.error]
    monkeypatch.setattr(core.jobs, "available_memory", lambda: AVAILABLE)
    at.session_state["choice_map_method"] = "PCA"
    at.session_state["choice_map_cap"] = 2_019
    at = goto(at, "Map")
    needed, message = _refusal([e.value for e in at.error], "Map")
    assert message.endswith("Fit the map on fewer real rows (Fit on at most … real rows) or use PCA, or try again when "
                            "other jobs have finished.")
    assert needed > 1.0
    assert not at.get("plotly_chart")


def test_a_search_larger_than_the_memory_available_is_refused(app, little_memory):
    at = goto(app, "Search")
    at.number_input(key="choice_search_trials").set_value(3)
    at.button(key="search_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    needed, message = _refusal([e.value for e in at.error], "Search")
    assert needed > 1.0
    assert message.endswith("Lower the row budget of the trials, or try again when other jobs have finished.")
    assert not at.get("plotly_chart")
