"""``python -m perfeval``: the same as the ``perfeval`` command."""

from .cli import main

raise SystemExit(main())
