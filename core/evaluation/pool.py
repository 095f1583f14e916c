"""The tasks of an evaluation, in this process or in worker processes, with a way to stop them.

:func:`run_tasks` runs one task per strategy and fold. With ``n_jobs > 1`` it runs them in worker
processes (loky, as joblib does) kept between evaluations so that their imports are paid once
(idle workers exit after :data:`IDLE_S`); the feature space is written once per evaluation
(``joblib.dump``, in memory under /dev/shm) and each worker maps it. It keeps
at most one task per worker in flight and submits the next only when one is done, so a cancel
seen between two tasks starts no further fold. ``cancel`` (a ``threading.Event`` or a callable
returning True) is checked before every task and, while workers run, every
:data:`POLL_S` seconds; when it is set the workers are stopped (killed and waited for: none
remains) and :class:`EvaluationCancelled` is raised. Workers are also stopped when a task raises.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from core.data.features import FeatureSpace
from core.errors import SkewlabError
from core.evaluation.runner import Shared, Task, run_task

__all__ = ["POLL_S", "WORKER_ENV", "Cancel", "EvaluationCancelled", "is_cancelled", "run_tasks"]

#: How often the cancel is checked while workers run (seconds).
POLL_S = 0.2
#: One BLAS / OpenMP / k-NN thread per worker: the workers already use every core.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "SKEWLAB_KNN_THREADS": "1", "NUMBA_NUM_THREADS": "1"}

Cancel = Callable[[], bool] | Any  # a callable, or anything with ``is_set()`` (threading.Event)
Done = Callable[[dict[str, Any]], None]


class EvaluationCancelled(SkewlabError):
    """The evaluation was stopped before it finished; ``done`` of ``total`` training parts had run.

    ``workers`` holds the process ids of the workers that were stopped (all of them have exited).
    """

    def __init__(self, message: str, *, done: int = 0, total: int = 0, workers: tuple[int, ...] = (),
                 hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.done, self.total, self.workers = int(done), int(total), tuple(workers)


def is_cancelled(cancel: Cancel | None) -> bool:
    """Whether ``cancel`` says stop (None never does)."""
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):
        return bool(cancel.is_set())
    return bool(cancel())


def _stopped(done: int, total: int, workers: tuple[int, ...] = ()) -> EvaluationCancelled:
    return EvaluationCancelled(f"Evaluation stopped: {done} of {total} training parts had run; nothing is shown "
                               f"for a stopped run.", done=done, total=total, workers=workers,
                               hint="Press Evaluate to run it again.")


_WORKER: dict[str, Any] = {}
#: The worker processes kept between evaluations (imports are paid once); one evaluation at a time uses them.
_POOL: dict[str, Any] = {"executor": None, "workers": 0, "lock": threading.Lock()}
#: Idle workers exit after this many seconds.
IDLE_S = 300


def _space_in_worker(path: str, rest: FeatureSpace) -> FeatureSpace:
    """The evaluated rows, their matrix memory-mapped once per evaluation in each worker (not copied).

    Only the matrix goes through the file (``.npy``, read without pickle); the rest of the space
    (labels, row ids, names) comes with each task.
    """
    if _WORKER.get("path") != path:
        X = np.load(path, mmap_mode="r", allow_pickle=False)
        _WORKER["space"], _WORKER["path"] = dataclasses.replace(rest, X=X), path
    return _WORKER["space"]


def _run_in_worker(path: str, rest: FeatureSpace, task: Task, shared: Shared) -> dict[str, Any]:
    return run_task(_space_in_worker(path, rest), task, shared)


#: How often a worker checks that the process that started it is alive (seconds).
PARENT_POLL_S = 0.5


def _watch_parent(parent: int) -> None:
    """A worker's initializer: a thread that ends the worker as soon as ``parent`` (the process that
    started it) is gone (killed, or stopped by a timeout) instead of finishing a fold nobody will
    read or idling until its timeout, after removing the evaluation's matrix file, which the killed
    parent could not remove."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        import glob
        import tempfile

        for root in {"/dev/shm", tempfile.gettempdir()}:  # the dead parent's matrix folders (named by its pid)
            for folder in glob.glob(os.path.join(root, f"skewlab-eval-{parent}-*")):
                shutil.rmtree(folder, ignore_errors=True)
        os._exit(1)

    threading.Thread(target=watch, name="skewlab-parent-watch", daemon=True).start()


def _executor(n_workers: int) -> tuple[Any, bool]:
    """``(executor, shared)``: the kept workers when free (made or resized as needed), else workers of its own."""
    from joblib.externals.loky.process_executor import ProcessPoolExecutor

    def make() -> Any:
        return ProcessPoolExecutor(max_workers=n_workers, timeout=IDLE_S, env=dict(WORKER_ENV),
                                   initializer=_watch_parent, initargs=(os.getpid(),))

    if not _POOL["lock"].acquire(blocking=False):
        return make(), False
    ex = _POOL["executor"]
    if ex is None or _POOL["workers"] != n_workers or getattr(ex, "_flags", None) is None or ex._flags.broken:
        if ex is not None:
            ex.shutdown(wait=False, kill_workers=True)
        _POOL["executor"], _POOL["workers"] = make(), n_workers
    return _POOL["executor"], True


def _release(executor: Any, shared: bool, *, kill: bool) -> tuple[int, ...]:
    """Give the workers back (kept for the next evaluation), or stop them (``kill``): the ids of those stopped."""
    stopped: tuple[int, ...] = ()
    if kill or not shared:
        stopped = _stop(executor) if kill else ()
        if not kill:
            executor.shutdown(wait=True)
    if shared:
        if kill:
            _POOL["executor"] = None
        _POOL["lock"].release()
    return stopped


def _dump_space(space: FeatureSpace) -> tuple[str, str, FeatureSpace]:
    """The matrix written once for the workers (in memory when /dev/shm exists): ``(folder, file, rest)``,
    ``rest`` the space without its matrix (sent with each task)."""
    import tempfile

    folder = tempfile.mkdtemp(prefix=f"skewlab-eval-{os.getpid()}-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    atexit.register(shutil.rmtree, folder, True)  # also gone if this process exits mid-run
    path = os.path.join(folder, "X.npy")
    np.save(path, np.ascontiguousarray(space.X), allow_pickle=False)
    return folder, path, dataclasses.replace(space, X=np.empty((0, space.X.shape[1])))


def run_tasks(space: FeatureSpace, tasks: Sequence[Task], shared: Shared, *, n_jobs: int = 1,
              cancel: Cancel | None = None, on_done: Done | None = None) -> list[dict[str, Any]]:
    """Every task's output, in task order; ``on_done(output)`` after each (in the order they finish).

    Raises
    ------
    EvaluationCancelled
        ``cancel`` was set; no task started after it was seen, and no worker process remains.
    """
    if n_jobs <= 1 or len(tasks) <= 1:
        outputs = []
        for t in tasks:
            if is_cancelled(cancel):
                raise _stopped(len(outputs), len(tasks))
            outputs.append(run_task(space, t, shared))
            if on_done is not None:
                on_done(outputs[-1])
        return outputs
    return _run_in_workers(space, tasks, shared, min(int(n_jobs), len(tasks)), cancel, on_done)


def _run_in_workers(space: FeatureSpace, tasks: Sequence[Task], shared: Shared, n_workers: int,
                    cancel: Cancel | None, on_done: Done | None) -> list[dict[str, Any]]:
    """Tasks in ``n_workers`` processes, at most one in flight per worker."""
    from concurrent.futures import FIRST_COMPLETED, wait

    folder, path, rest = _dump_space(space)
    try:
        executor, kept = _executor(n_workers)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    outputs: dict[int, dict[str, Any]] = {}
    inflight: dict[Any, int] = {}
    nxt = 0
    released = False
    try:
        while len(outputs) < len(tasks):
            if is_cancelled(cancel):
                released = True
                raise _stopped(len(outputs), len(tasks), _release(executor, kept, kill=True))
            while nxt < len(tasks) and len(inflight) < n_workers:
                inflight[executor.submit(_run_in_worker, path, rest, tasks[nxt], shared)] = nxt
                nxt += 1
            finished, _ = wait(list(inflight), timeout=POLL_S, return_when=FIRST_COMPLETED)
            for fut in sorted(finished, key=inflight.get):
                i = inflight.pop(fut)
                if fut.exception() is not None:
                    raise _first_error(i, fut.exception(), inflight)
                outputs[i] = fut.result()
                if on_done is not None:
                    on_done(outputs[i])
    except BaseException:
        if not released:
            released = True
            _release(executor, kept, kill=True)
        raise
    finally:
        if not released:
            _release(executor, kept, kill=False)
        shutil.rmtree(folder, ignore_errors=True)
    return [outputs[i] for i in range(len(tasks))]


def _first_error(i: int, exc: BaseException, inflight: dict[Any, int]) -> BaseException:
    """The error of the first task (in task order) that fails, as a run in one process would raise it.

    Task ``i`` failed; the tasks before it that are still running are waited for (a later task may
    finish first), and the first of them that fails wins.
    """
    from concurrent.futures import wait

    earlier = {fut: j for fut, j in inflight.items() if j < i}
    wait(list(earlier))
    for fut, _ in sorted(earlier.items(), key=lambda item: item[1]):
        if fut.exception() is not None:
            return fut.exception()
    return exc


def _stop(executor: Any) -> tuple[int, ...]:
    """Kill the executor's workers and wait until they have exited; their process ids."""
    procs = list(getattr(executor, "_processes", {}).values())
    executor.shutdown(wait=False, kill_workers=True)
    deadline = time.monotonic() + 10.0
    for p in procs:
        p.join(timeout=max(deadline - time.monotonic(), 0.1))
        if p.is_alive() and p.pid is not None:  # pragma: no cover - a worker that ignored the kill
            # loky's process handle has no kill(); the signal goes to the process id
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGKILL)
            p.join(timeout=1.0)
    return tuple(int(p.pid) for p in procs if p.pid is not None)
