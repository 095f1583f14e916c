"""Command line: ``python -m core <command>``.

Each command lives in its own module that exposes ``register(subparsers)``; the module's
handler returns an exit code. Any :class:`core.errors.SkewlabError` (bad input) becomes a
one-line message on stderr and exit code 2, never a traceback; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys

from core.cli import apply, evaluate, profile, resample
from core.errors import SkewlabError

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

#: Modules that add sub-commands, in help order.
COMMAND_MODULES = (profile, resample, evaluate, apply)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Skewlab, headless.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
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
