"""`python -m core.demo OUT.db [--seed N]`: write the demo database (see core/demo/build.py)."""

import sys

from core.demo.build import main

sys.exit(main())
