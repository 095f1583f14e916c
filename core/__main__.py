"""``python -m core``: the headless command line (see :mod:`core.cli`).

A command that runs in this process alone (:data:`core.cli.main.FAST_EXIT`: no cluster, no
worker processes, every file closed when its handler returns) ends with ``os._exit`` once its
output is flushed, instead of tearing the interpreter down: freeing every module and the
half-gigabyte of arrays of a large job took 0.3-0.4 s of the 2.5-3 s a user waits for on a
60,000-row SMOTE job. Every other command exits normally (its ``atexit`` cleanup runs).
"""

import sys

from core.cli.main import fast_exit_ok, main

code = main()
if fast_exit_ok(sys.argv[1:]):
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
raise SystemExit(code)
