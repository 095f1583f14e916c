"""Admission control: heavy jobs wait their turn in arrival order, see their place, can be withdrawn,
free their slot however they end, and are refused when they would need more memory than there is."""

from __future__ import annotations

import threading
import time

import pytest

from core import jobs
from core.jobs import Gate, JobRefused, JobWithdrawn


def _wait_for(check, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_jobs_beyond_the_slots_wait_in_order_see_their_place_and_can_be_withdrawn():
    gate = Gate(capacity=1, poll_s=0.01)
    release_a = threading.Event()
    seen: dict[str, list[int]] = {"b": [], "c": []}
    withdraw_c = threading.Event()
    order: list[str] = []

    def job(name: str, hold: threading.Event | None = None, cancel=None) -> None:
        try:
            with gate.slot(name, owner=name, on_wait=lambda w: seen.setdefault(name, []).append(w.position), cancel=cancel):
                order.append(name)
                if hold is not None:
                    hold.wait(10)
        except JobWithdrawn as exc:
            order.append(f"{name} withdrawn: {exc.message}")

    a = threading.Thread(target=job, args=("a", release_a))
    a.start()
    _wait_for(lambda: order == ["a"])
    b = threading.Thread(target=job, args=("b",))
    b.start()
    _wait_for(lambda: gate.status()["queued"] == [("b", "b")])
    c = threading.Thread(target=job, args=("c",), kwargs={"cancel": withdraw_c.is_set})
    c.start()
    _wait_for(lambda: len(gate.status()["queued"]) == 2 and seen["c"])
    assert seen["b"][-1] == 1 and seen["c"][-1] == 2  # arrival order
    assert [what for what, _, _ in gate.status()["running"]] == ["a"]
    withdraw_c.set()
    c.join(10)
    assert order[-1] == "c withdrawn: c was withdrawn from the queue before it started."
    assert gate.status()["queued"] == [("b", "b")]
    release_a.set()
    a.join(10)
    b.join(10)
    assert order == ["a", "c withdrawn: c was withdrawn from the queue before it started.", "b"]
    assert gate.status() == {"slots": 1, "running": [], "queued": []}


def test_a_failing_job_frees_its_slot():
    gate = Gate(capacity=1, poll_s=0.01)
    with pytest.raises(RuntimeError), gate.slot("map"):
        raise RuntimeError("boom")
    assert gate.status()["running"] == []
    with gate.slot("evaluation"):
        assert [w for w, _, _ in gate.status()["running"]] == ["evaluation"]


def test_a_job_needing_more_memory_than_there_is_is_refused_before_it_starts(monkeypatch):
    gate = Gate(capacity=2)
    monkeypatch.setattr(jobs, "available_memory", lambda: 2 * 1024**3)
    with pytest.raises(JobRefused, match=r"^Evaluation would need about 3\.0 GB of memory; the server has 2\.0 GB available now"):
        with gate.slot("Evaluation", memory=3 * 1024**3):
            pass
    assert gate.status() == {"slots": 2, "running": [], "queued": []}
    with gate.slot("Evaluation", memory=1024**3):
        pass


def test_slots_follow_the_setting_or_the_cores(monkeypatch):
    monkeypatch.setenv("SKEWLAB_HEAVY_JOBS", "3")
    assert jobs.slots() == 3
    monkeypatch.delenv("SKEWLAB_HEAVY_JOBS")
    monkeypatch.setattr(jobs.os, "cpu_count", lambda: 2)
    assert jobs.slots() == 1
    monkeypatch.setattr(jobs.os, "cpu_count", lambda: 16)
    assert jobs.slots() == 8


def test_a_waiting_job_is_told_when_it_should_start_from_the_estimates_ahead(monkeypatch):
    """One slot: A runs (expects 100 s, has run 30 s), B waits (expects 50 s), C waits behind B: C starts in
    70 + 50 = 120 s. A job ahead without an estimate makes it unknown; a finished job's time becomes the
    estimate of the next of its kind."""
    clock = {"now": 1000.0}
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock["now"])
    gate = Gate(capacity=1)
    a = gate._enter("Evaluation", "a", 100.0)
    gate._wait(a, None, None)  # the slot is free: A starts at once
    b = gate._enter("Search", "b", 50.0)
    c = gate._enter("Map", "c", None)
    clock["now"] += 30.0
    assert gate._start_s(b, clock["now"]) == pytest.approx(70.0)
    assert gate._start_s(c, clock["now"]) == pytest.approx(120.0)
    clock["now"] += 200.0  # A overruns its estimate: it may end any moment
    assert gate._start_s(b, clock["now"]) == 0.0 and gate._start_s(c, clock["now"]) == pytest.approx(50.0)
    d = gate._enter("Map", "d", None)
    assert gate._start_s(d, clock["now"]) is None  # C, ahead of it, has no estimate
    # two slots: B and C start as soon as either running job frees one
    wide = Gate(capacity=2)
    x = wide._enter("Evaluation", "x", 40.0)
    wide._wait(x, None, None)
    y = wide._enter("Evaluation", "y", 10.0)
    wide._wait(y, None, None)
    z = wide._enter("Evaluation", "z", 5.0)
    assert wide._start_s(z, clock["now"]) == pytest.approx(10.0)


def test_the_last_jobs_of_a_kind_give_the_estimate_when_a_job_has_none(monkeypatch):
    clock = {"now": 0.0}
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock["now"])
    gate = Gate(capacity=1)
    for took in (12.0, 30.0, 18.0):
        with gate.slot("Map"):
            clock["now"] += took
    with pytest.raises(RuntimeError), gate.slot("Map"):  # a failed run says nothing of the next one's time
        clock["now"] += 500.0
        raise RuntimeError("failed")
    ticket = gate._enter("Map", "m", None)
    assert ticket.expected == pytest.approx(18.0)  # the median of 12, 30 and 18
    assert gate._enter("Strategy run", "s", None).expected is None
