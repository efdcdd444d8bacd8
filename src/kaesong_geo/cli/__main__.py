"""``python -m kaesong_geo.cli``."""

import sys

from kaesong_geo.cli import main

sys.exit(main())
