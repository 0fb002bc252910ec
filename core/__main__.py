"""`python -m core ...`: the same as `tracedesk-cli ...`."""

import sys

from core.cli import main

sys.exit(main())
