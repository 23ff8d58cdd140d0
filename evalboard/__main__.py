"""`python -m evalboard` runs the command line."""

import sys

from evalboard.commands.cli import main

sys.exit(main())
