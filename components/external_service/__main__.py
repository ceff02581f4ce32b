"""Entry point of `python -m external_service`."""

import asyncio
import contextlib
import sys

from external_service.cli import main

code = main()

# Pulumi's mock runtime leaves its event loop open; closed here, before the interpreter shuts down,
# it cannot complain about already-closed files at exit.
with contextlib.suppress(RuntimeError):
    asyncio.get_event_loop().close()
sys.exit(code)
