"""`python -m evalboard` runs the command line."""

import sys

from evalboard.cli import main

sys.exit(main())
