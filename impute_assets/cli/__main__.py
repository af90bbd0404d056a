"""``python -m impute_assets.cli``."""

import sys

from impute_assets.cli import main

sys.exit(main())
