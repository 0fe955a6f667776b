"""`python -m cadence` runs the same CLI as `python bot.py` and the `cadence` script."""

import sys

from cadence.bot import main

sys.exit(main())
