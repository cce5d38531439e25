"""`python -m assetsync` is the `assetsync` command."""

import sys

from assetsync.cli import main

sys.exit(main())
