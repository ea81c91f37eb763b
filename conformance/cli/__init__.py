"""The ``conformance`` command: a thin front end over the run engine."""

from conformance.cli.main import main

__all__ = ["main"]
