"""The ``zeronas`` command line (Typer + Rich). Thin: parse, call :mod:`zeronas.api`, render.

Bad input exits with status 2 and one line naming the bad value and what is allowed.
``--json`` prints one JSON document on stdout; progress and warnings go to stderr.
Importing this package registers every command on :data:`app`.
"""

from zeronas.cli import deploy, experiment, latency, listing, scoring, searching, store  # noqa: F401
from zeronas.cli.app import app

__all__ = ["app"]
