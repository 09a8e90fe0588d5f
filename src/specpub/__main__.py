"""``python -m specpub`` runs the command line."""

import sys

from specpub.cli import main

sys.exit(main())
