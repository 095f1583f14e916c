"""A stopped evaluation leaves nothing behind: no worker process, no file in /dev/shm.

A command-line evaluation with two worker processes is killed mid-run (SIGKILL: nothing of it can
clean up; SIGTERM: a timeout or ``kill``), and an evaluation in this process is cancelled. Afterwards
every process it started has exited and no entry it created (its ``skewlab-eval-<pid>-*`` matrix
folder, loky's ``sem.loky-<pid>-*`` semaphores) remains in /dev/shm. Entries of other processes
are not looked at (other test runs share /dev/shm).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from core.data import FeatureConfig, build_features, infer_roles, label_values, load_table
from core.evaluation import evaluate
from core.evaluation.pool import EvaluationCancelled

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "amazon_uk_toys_catalog.csv"
LABEL = "amazon_category_and_sub_category"
SHM = Path("/dev/shm")

pytestmark = [pytest.mark.xdist_group("workers"),
              pytest.mark.skipif(not SHM.is_dir(), reason="no /dev/shm on this system")]


def created_by(pid: int) -> list[str]:
    """The /dev/shm entries process ``pid`` made (by the names Skewlab and loky give them)."""
    return sorted(n for n in os.listdir(SHM) if n.startswith((f"skewlab-eval-{pid}-", f"sem.loky-{pid}-")))


def until(check, timeout: float) -> bool:
    """Whether ``check()`` comes true within ``timeout`` seconds (polled every 0.1 s)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return check()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_cli_evaluation_leaves_no_worker_and_no_shared_memory(sig, tmp_path):
    cmd = [sys.executable, "-m", "core", "evaluate", str(SAMPLE), "--label", LABEL, "--level", "1",
           "--strategies", "smote,random_over", "--classifier", "logreg", "--jobs", "2", "--small-classes", "random_over"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    parent = psutil.Process(proc.pid)
    try:
        # mid-run: its matrix is written for the workers and the workers are up
        assert until(lambda: any(n.startswith("skewlab-eval-") for n in created_by(proc.pid))
                      and len(parent.children(recursive=True)) >= 2, 240), "the evaluation never started its workers"
        started = parent.children(recursive=True)
        assert created_by(proc.pid)
        time.sleep(0.5)
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == (-signal.SIGKILL if sig == signal.SIGKILL else 143)

    def alive() -> list[int]:
        return [p.pid for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]

    assert until(lambda: not alive() and not created_by(proc.pid), 20), (alive(), created_by(proc.pid))


def test_a_cancelled_evaluation_leaves_no_worker_and_no_shared_memory():
    table = load_table(SAMPLE)
    labels = label_values(table.frame, LABEL, level=1, separator=" > ")
    space = build_features(table.frame, labels, FeatureConfig.from_roles(infer_roles(table.frame, label=LABEL)))
    stop = threading.Event()
    folders: list[str] = []

    def progress(f, _message) -> None:
        if f > 0:  # a training part is done: workers run and the matrix is in /dev/shm
            folders.extend(n for n in created_by(os.getpid()) if n.startswith("skewlab-eval-"))
            stop.set()

    with pytest.raises(EvaluationCancelled) as err:
        evaluate(space, ["smote", "random_over"], classifier="logreg", folds=3, n_jobs=2, small_classes="random_over",
                 cancel=stop, progress=progress)
    assert len(err.value.workers) == 2 and folders
    assert until(lambda: not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
                                  for p in err.value.workers), 10)
    assert not any(n.startswith("skewlab-eval-") for n in created_by(os.getpid()))
