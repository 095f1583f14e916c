"""A long run the analyst can stop (Evaluate, Search): the settings asked for with the page's button
(:class:`Asked`), its Stop button, its progress bar with the time spent, and how it ends on the page.

Streamlit ends a script run at its next page update once Stop is clicked (or the tab is closed), so the
bar is redrawn while the run works (:meth:`Stoppable.still_wanted`, at most once a second): the run then
stops there, and the core code's ``finally`` blocks release what it held (worker processes, its slot).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ui import common as ui


@dataclass(frozen=True)
class Asked:
    """The settings a page's run button asked for, kept in the session (``choice_<name>_request``) until
    the next press or a Stop, with the note a Stop leaves (``<name>_stopped``)."""

    name: str  # "eval", "search"
    what: str  # "Evaluation"
    button: str  # "Evaluate"
    done: str  # "evaluated"

    @property
    def _key(self) -> str:
        return f"choice_{self.name}_request"

    def ask(self, request: dict, pressed: bool) -> dict:
        """The settings to show results for: ``request`` when the button was just ``pressed``, else those
        asked for last. Shows the note of a Stop; ends the page when nothing was asked for; says so when the
        settings on the page have changed since."""
        state = st.session_state
        if pressed:
            state[self._key] = request
            state.pop(f"{self.name}_stopped", None)
        if state.get(f"{self.name}_stopped"):
            st.info(state[f"{self.name}_stopped"], icon=":material/stop_circle:")
        asked = state.get(self._key)
        if not asked:
            st.stop()
        if asked != request:
            st.caption(f":material/info: The results below are for the last settings {self.done}; press "
                       f"**{self.button}** to run the new ones.")
        return asked

    def stop(self) -> None:
        """The Stop button's callback: the run in progress ends at its next page update and is not run again."""
        st.session_state[self._key] = None
        st.session_state[f"{self.name}_stopped"] = (f"{self.what} stopped; nothing was kept. Change the settings or "
                                                     f"press {self.button}.")


class Stoppable:
    """The Stop button and progress bar of one run (both only while ``running``: a cached result shows neither)."""

    def __init__(self, running: bool, *, key: str, on_stop: Callable[[], None], start: str, help: str | None = None):
        self.slot = st.empty()
        if running:
            self.slot.button("Stop", key=key, icon=":material/stop:", on_click=on_stop, help=help)
        self.bar = st.progress(0.0, text=start) if running else None
        self.t0 = self.tick = time.monotonic()
        self.fraction, self.text = 0.0, start

    def _draw(self, now: float) -> None:
        self.bar.progress(self.fraction, text=f"{self.text} · {now - self.t0:,.0f} s so far")

    def progress(self, fraction: float, message: str) -> None:
        """The run's progress callback: the bar shows ``message`` and the seconds spent."""
        if self.bar is not None:
            self.fraction, self.text = fraction, message
            self._draw(time.monotonic())

    def still_wanted(self) -> bool:
        """A cancel callback that never cancels by itself: redrawing the bar lets Streamlit end the run when
        Stop is clicked or the tab is closed."""
        now = time.monotonic()
        if self.bar is not None and now - self.tick >= 1.0:
            self.tick = now
            self._draw(now)
        return False

    def clear(self) -> None:
        self.slot.empty()
        if self.bar is not None:
            self.bar.empty()

    def outcome(self, compute: Callable[[], Any], *, where: str, stopped: tuple[type[BaseException], ...] = ()) -> Any:
        """``compute()``'s result with the button and bar cleared. A ``stopped`` exception is shown as a note,
        any other as an error (never a traceback); the page ends there."""
        try:
            result = compute()
        except stopped as exc:
            self.clear()
            st.info(str(exc), icon=":material/stop_circle:")
            st.stop()
        except Exception as exc:  # a SkewlabError is the analyst's to fix; anything else is shown, never a traceback
            self.clear()
            ui.show_error(exc, where=where)
            st.stop()
        self.clear()
        return result
