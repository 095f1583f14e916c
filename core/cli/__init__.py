"""The headless command line, ``python -m core <command>``.

One module per group of commands (:mod:`.profile`; :mod:`.resample` with ``strategies``;
:mod:`.evaluate`; :mod:`.apply` with ``recipe``), each with ``register(subparsers)``, and
:mod:`.common` for what they share. :data:`core.cli.main.COMMANDS` maps each command to its
module, imported only when that command runs. The entry point is :func:`core.cli.main.main`; it
is not re-exported here, where its name would hide the module ``core.cli.main``.
"""

from core.cli.main import COMMAND_MODULES, COMMANDS, build_parser

__all__ = ["COMMANDS", "COMMAND_MODULES", "build_parser"]
