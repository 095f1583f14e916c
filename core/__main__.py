"""``python -m core``: the headless command line (see ``core.cli``)."""

from core.cli import main

raise SystemExit(main())
