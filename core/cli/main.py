"""Command line: ``python -m core <command>``.

Each command lives in its own module that exposes ``register(subparsers)``; the module's
handler returns an exit code. Any :class:`core.errors.SkewlabError` becomes a one-line message
on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from core.errors import SkewlabError

#: Modules that add sub-commands, in help order. A missing one is skipped (features in progress).
COMMAND_MODULES = ("core.cli.profile", "core.cli.resample", "core.cli.evaluate", "core.cli.apply")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Skewlab, headless.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
