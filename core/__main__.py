"""``python -m core``: the headless command line (see ``core.cli.main``)."""

from core.cli.main import main

raise SystemExit(main())
