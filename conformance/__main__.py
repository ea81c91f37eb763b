"""``python -m conformance`` runs the command line."""

import sys

from conformance.cli.main import main

sys.exit(main())
