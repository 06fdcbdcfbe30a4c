"""``python -m bot.cli``: the ``newsdigest`` command."""

import sys

from bot.cli import main

sys.exit(main())
