"""``python -m contactgroups``: the same as the ``contactgroups`` command."""

import sys

from .cli import main

sys.exit(main())
