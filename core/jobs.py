"""Admission control for heavy work shared by every session of one server.

Strategy runs, maps, evaluations and searches each take every core they are given. Run side by side
on a two-core server, three of them make all three slow and the light pages with them. So heavy work
asks :data:`GATE` for a slot first:

- at most :func:`slots` jobs run at once (``SKEWLAB_HEAVY_JOBS``, default: one per two cores, at
  least one); the others wait in arrival order, and the waiting analyst sees their position, what
  runs ahead of them, how long it has run and when their job should start (:attr:`Waiting.start_s`:
  from the seconds each job ahead expects, its own estimate or else the median of the last jobs of
  its kind on this server);
- a job states the memory it expects; it is refused at once, with the figures, when that is more
  than the machine has available (``MemAvailable``), instead of starting and taking the server down;
- a waiting job can be withdrawn (``cancel``), which frees its place in the queue; a running job
  frees its slot when its ``with`` block ends, however it ends (finished, failed, stopped).

Pure Python (no Streamlit): the pages show the waiting and the Stop button (``ui/admission.py``).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from core.errors import SkewlabError

__all__ = ["GATE", "Gate", "JobRefused", "JobWithdrawn", "Waiting", "slots"]


class JobRefused(SkewlabError):
    """The job would need more memory than the machine has available."""


class JobWithdrawn(SkewlabError):
    """The job was withdrawn while it waited for a slot."""


def slots() -> int:
    """Heavy jobs that run at once: ``SKEWLAB_HEAVY_JOBS``, else one per two cores (at least one)."""
    env = os.environ.get("SKEWLAB_HEAVY_JOBS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, (os.cpu_count() or 1) // 2)


def available_memory() -> int | None:
    """Bytes the machine has available (Linux ``MemAvailable``), None when unknown."""
    from core.data.unpack import _available_memory

    return _available_memory()


@dataclass(frozen=True)
class Waiting:
    """What a waiting job is told: its place (1 = next), the jobs running and for how long, and the
    seconds until it should start (None when a job ahead has no estimate)."""

    position: int
    queued: int
    running: tuple[tuple[str, float], ...]  # (what, seconds it has run)
    start_s: float | None = None


@dataclass(eq=False)
class _Ticket:
    number: int
    what: str
    owner: str
    started: float | None = None
    withdrawn: bool = False
    expected: float | None = None  # seconds it should run


@dataclass
class Gate:
    """A server-wide queue of heavy jobs with :func:`slots` places (``capacity`` overrides it)."""

    capacity: int | None = None
    poll_s: float = 0.25
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _queue: list[_Ticket] = field(default_factory=list)
    _running: list[_Ticket] = field(default_factory=list)
    _numbers: Iterator[int] = field(default_factory=itertools.count)
    _took: dict[str, list[float]] = field(default_factory=dict)  # what -> seconds of its last jobs

    def size(self) -> int:
        return self.capacity if self.capacity is not None else slots()

    def status(self) -> dict:
        """Running and queued jobs (for the pages and the tests)."""
        with self._lock:
            now = time.monotonic()
            return {"slots": self.size(),
                    "running": [(t.what, t.owner, now - (t.started or now)) for t in self._running],
                    "queued": [(t.what, t.owner) for t in self._queue]}

    @contextlib.contextmanager
    def slot(self, what: str, *, owner: str = "", memory: int | None = None,
             on_wait: Callable[[Waiting], None] | None = None, cancel: Callable[[], bool] | None = None,
             hint: str = "", seconds: float | None = None) -> Iterator[None]:
        """Hold a slot for the ``with`` block: wait in arrival order (``on_wait`` told every
        ``poll_s`` seconds), refuse a job whose ``memory`` (bytes) is more than the machine has
        available (``hint``: what makes the job smaller), give up the place when ``cancel()`` says so.
        ``seconds``: how long the job expects to run (else the median of the last jobs of its kind).

        Raises
        ------
        JobRefused
            ``memory`` is more than the available memory.
        JobWithdrawn
            ``cancel()`` said so while the job waited.
        """
        self._check_memory(what, memory, hint)
        ticket = self._enter(what, owner, seconds)
        finished = False
        try:
            self._wait(ticket, on_wait, cancel)
            yield
            finished = True
        finally:
            with self._lock:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                if ticket in self._running:
                    self._running.remove(ticket)
                    if finished:  # a stopped or failed job says nothing of how long the next one takes
                        took = self._took.setdefault(what, [])
                        took.append(time.monotonic() - (ticket.started or time.monotonic()))
                        del took[:-5]
                self._lock.notify_all()

    def _check_memory(self, what: str, memory: int | None, hint: str = "") -> None:
        free = available_memory()
        if memory is not None and free is not None and memory > free:
            from core.data.io import human_bytes

            raise JobRefused(f"{what} would need about {human_bytes(memory)} of memory; the server has "
                             f"{human_bytes(free)} available now, so it was not started.",
                             hint=f"{hint or 'Make the job smaller'}, or try again when other jobs have finished.")

    def _enter(self, what: str, owner: str, seconds: float | None) -> _Ticket:
        with self._lock:
            if seconds is None and self._took.get(what):
                seconds = statistics.median(self._took[what])
            ticket = _Ticket(next(self._numbers), what, owner, expected=None if seconds is None else float(seconds))
            self._queue.append(ticket)
            return ticket

    def _start_s(self, ticket: _Ticket, now: float) -> float | None:
        """Seconds until ``ticket`` should start: the running jobs' time left (none once overdue), then
        each job ahead of it in a slot as one frees; None when one of them has no estimate."""
        free = [0.0] * max(self.size() - len(self._running), 0)
        for t in self._running:
            if t.expected is None:
                return None
            free.append(max(t.expected - (now - (t.started or now)), 0.0))
        heapq.heapify(free)
        for t in self._queue[: self._queue.index(ticket)]:
            if t.expected is None:
                return None
            heapq.heappush(free, heapq.heappop(free) + t.expected)
        return free[0] if free else 0.0

    def _wait(self, ticket: _Ticket, on_wait, cancel) -> None:
        while True:
            with self._lock:
                if self._queue and self._queue[0] is ticket and len(self._running) < self.size():
                    self._queue.pop(0)
                    ticket.started = time.monotonic()
                    self._running.append(ticket)
                    self._lock.notify_all()
                    return
                now = time.monotonic()
                waiting = Waiting(position=self._queue.index(ticket) + 1, queued=len(self._queue),
                                  running=tuple((t.what, now - (t.started or now)) for t in self._running),
                                  start_s=self._start_s(ticket, now))
            if cancel is not None and cancel():
                raise JobWithdrawn(f"{ticket.what} was withdrawn from the queue before it started.",
                                   hint="Run it again when you are ready.")
            if on_wait is not None:
                on_wait(waiting)
            with self._lock:
                self._lock.wait(self.poll_s)


#: The server's gate: one per process, shared by every session.
GATE = Gate()
