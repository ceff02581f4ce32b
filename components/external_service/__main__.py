"""Entry point of `python -m external_service`."""

import sys

from external_service.cli import main

sys.exit(main())
