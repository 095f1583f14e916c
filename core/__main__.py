"""``python -m core``: the headless command line (see :mod:`core.cli`)."""

from core.cli.main import main

raise SystemExit(main())
