"""Heavy work waits its turn (``core.jobs.GATE``): the page shows the analyst's place in the queue and
what runs ahead; their Stop button (or leaving the page) withdraws them, which frees the place."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import streamlit as st

from core.evaluation.cost import fmt_seconds
from core.jobs import GATE, Waiting


def _owner() -> str:
    return str(st.session_state.get("_skewlab_session", id(st.session_state)))


def _words(what: str, w: Waiting) -> str:
    running = ", ".join(f"{name} ({seconds:,.0f} s so far)" for name, seconds in w.running) or "a job"
    when = ("No estimate yet of when it starts (a job ahead has none)." if w.start_s is None else
            f"Expected to start in about {fmt_seconds(w.start_s)} (from the estimates of the jobs ahead).")
    return (f":material/hourglass_top: **{what} is queued: number {w.position} of {w.queued} waiting.** "
            f"The server runs {GATE.size()} heavy job{'s' if GATE.size() != 1 else ''} at a time; running now: {running}. "
            f"{when} It starts by itself when a slot frees; Stop (or leaving the page) gives up the place.")


@contextlib.contextmanager
def heavy(what: str, *, memory: int | None = None, smaller: str = "", seconds: float | None = None,
          progress: Callable[[float, str], None] | None = None) -> Iterator[None]:
    """Hold a heavy-job slot for the block. While waiting, a note says where the analyst is in the queue
    (redrawn every quarter second: a Stop click or a rerun ends the wait there, and the place is freed).
    A job whose ``memory`` estimate is more than the server has available is refused; ``smaller`` says how
    to make it smaller; ``seconds`` is how long it expects to run (for the wait shown to those behind it);
    ``progress`` (the run's progress bar) says that the run waits for a slot."""
    box = st.empty()
    shown = {"any": False}

    def on_wait(w: Waiting) -> None:
        shown["any"] = True
        box.info(_words(what, w))
        if progress is not None:
            progress(0.0, f"Waiting for a heavy-job slot (number {w.position} of {w.queued} in the queue)")

    with GATE.slot(what, owner=_owner(), memory=memory, on_wait=on_wait, hint=smaller, seconds=seconds):
        if shown["any"]:
            box.empty()
        yield
