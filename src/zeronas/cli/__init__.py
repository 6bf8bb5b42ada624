"""The ``zeronas`` command line (Typer + Rich). Thin: parse, call :mod:`zeronas.api`, render.

Bad input exits with status 2 and one line naming the flag, what is allowed and what was
received; the command line's own parse errors (a value that is no integer, an unknown
option) are rendered the same way by :func:`main`. ``--json`` prints one JSON document on
stdout; progress and warnings go to stderr. Importing this package registers every command
on :data:`app`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from zeronas.cli import deploy, experiment, latency, listing, scoring, searching, store  # noqa: F401
from zeronas.cli.app import INTERRUPTED, app, err

__all__ = ["app", "main", "parse_error_text"]

try:  # Typer >= 0.20 carries its own copy of Click
    from typer._click import exceptions as _click
except ImportError:  # pragma: no cover -- an older Typer on Click
    from click import exceptions as _click

#: what a parse error says of a value -> what the refusal says the flag takes
_KINDS = {"valid integer": "an integer", "valid number": "a number",
          "valid boolean": "true or false", "valid float": "a number"}  # fmt: skip


def _given(args: Sequence[str], opts: Sequence[str]) -> str | None:
    """The value the command line gave for an option named by one of ``opts``."""
    for position, word in enumerate(args):
        for opt in opts:
            if word == opt and position + 1 < len(args):
                return args[position + 1]
            if word.startswith(opt + "="):
                return word[len(opt) + 1 :]
    return None


def parse_error_text(exc: Exception, args: Sequence[str]) -> str:
    """One line for a parse error: the flag, what it takes and what was received."""
    message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
    param = getattr(exc, "param", None)
    opts = getattr(param, "opts", None)
    if isinstance(exc, _click.BadParameter) and opts:
        flag, value = max(opts, key=len), _given(args, opts)
        kind = next((k for p, k in _KINDS.items() if p in message.lower()), None)
        if value is not None:
            return f"{flag} must be {kind or 'valid'}. Got {value!r} instead."
    return message


def main(args: Sequence[str] | None = None) -> None:
    """The ``zeronas`` command: :data:`app`, with every refusal one line on stderr."""
    given = list(sys.argv[1:] if args is None else args)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=given, prog_name="zeronas", standalone_mode=False)
    except _click.NoArgsIsHelpError as exc:
        ctx = getattr(exc, "ctx", None)
        print(ctx.get_help() if ctx is not None else exc)
        sys.exit(2)
    except _click.ClickException as exc:
        text = parse_error_text(exc, given)
        err.print(f"Error: {text}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, EOFError):  # Ctrl-C between commands' own handlers
        err.print(INTERRUPTED, markup=False, highlight=False, soft_wrap=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
