"""``python -m portal_automation.cli``."""

import sys

from . import main

sys.exit(main())
