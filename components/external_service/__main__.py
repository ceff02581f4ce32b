"""Entry point of `python -m external_service`."""

from external_service.cli import run

run()
