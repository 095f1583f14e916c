"""Command line: ``python -m core <command>``.

:data:`COMMANDS` names each command's module; only the module of the command asked for is
imported (``python -m core resample ...`` never imports the evaluation code), and ``--help``
of a command imports no more than its parser needs. Each module exposes ``register(subparsers)``;
its handler returns an exit code. Any :class:`core.errors.SkewlabError` (bad input) becomes a
one-line message on stderr and exit code 2, never a traceback; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import signal
import sys
import threading

from core.errors import SkewlabError

__all__ = ["COMMANDS", "COMMAND_MODULES", "FAST_EXIT", "build_parser", "fast_exit_ok", "main"]

#: Every command, in help order: name -> (module that registers it, one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "profile": ("core.cli.profile", "print the skew profile of a label"),
    "strategies": ("core.cli.resample", "list the imbalance strategies and their parameters"),
    "resample": ("core.cli.resample", "resample a catalog with a strategy and write it with provenance"),
    "evaluate": ("core.cli.evaluate", "compare strategies with leak-free cross-validation"),
    "apply": ("core.cli.apply", "replay a recipe.json on a catalog (the same or a larger one)"),
    "recipe": ("core.cli.apply", "write a recipe.json for a catalog without the app"),
    "search": ("core.cli.search", "search strategies, parameters and targets within a budget; write the winner's recipe"),
}
#: Commands that may end with ``os._exit`` (see ``core/__main__.py``): they run in this process
#: alone and close their files before returning (``apply`` unless it replays on Dask).
FAST_EXIT = frozenset({"profile", "strategies", "resample", "apply", "recipe"})
#: Modules that add sub-commands, in help order.
COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(module for module, _ in COMMANDS.values()))


class _Stubs:
    """Stands in for the sub-parsers action when a command module registers: ``add_parser`` hands
    back the parser already made for that name (its help from :data:`COMMANDS`)."""

    def __init__(self, parsers: dict[str, argparse.ArgumentParser]):
        self.parsers = parsers

    def add_parser(self, name: str, **_kw) -> argparse.ArgumentParser:
        return self.parsers[name]


def _command_of(argv: list[str]) -> str | None:
    """The command named in ``argv`` (the first argument that is not an option), if any."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser: every command listed; the options of the command named in ``argv`` (every
    command's when ``argv`` is None), whose module alone is imported."""
    parser = argparse.ArgumentParser(prog="python -m core", description="Skewlab, headless.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parsers = {name: sub.add_parser(name, help=help_) for name, (_, help_) in COMMANDS.items()}
    if argv is None:
        modules = COMMAND_MODULES
    else:
        command = _command_of(argv)
        modules = (COMMANDS[command][0],) if command else ()
    for module in modules:
        importlib.import_module(module).register(_Stubs(parsers))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    previous = _stop_on_sigterm()
    try:
        return int(args.handler(args) or 0)
    except SkewlabError as exc:
        print(f"error: {exc}".replace("\n", " "), file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        # Arrow objects the command dropped are freed now, while Arrow's thread pools are alive: freed during
        # the interpreter's final teardown instead, a pool thread can abort the process after the command
        # succeeded ("terminate called without an active exception", apache/arrow#34314; seen once here)
        gc.collect()


def fast_exit_ok(argv: list[str]) -> bool:
    """Whether ``python -m core`` may skip the interpreter's teardown after the command in ``argv``:
    a :data:`FAST_EXIT` command, no Dask loaded, no child process or other non-daemon thread alive
    (nothing that an ``atexit`` handler or a join would still have to finish)."""
    mp = sys.modules.get("multiprocessing")  # not imported: no child process
    if _command_of(argv) not in FAST_EXIT or "distributed" in sys.modules or (mp is not None and mp.active_children()):
        return False
    return not any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread())


def _terminated(signum, frame) -> None:
    raise SystemExit(128 + signal.SIGTERM)


def _stop_on_sigterm():
    """A SIGTERM (a timeout, ``kill``) becomes ``SystemExit(143)`` in the command, so its cleanup runs
    (evaluation workers stopped, their files removed) before it exits; the handler it replaced, or
    None off the main thread (where signals cannot be handled)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _terminated)
