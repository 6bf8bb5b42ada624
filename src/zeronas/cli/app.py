"""The Typer app, its consoles, and the one way a refusal is shown: one line on stderr,
naming the flag, what is allowed and what was received, and exit status 2."""

from __future__ import annotations

import signal
import threading
import warnings
from collections.abc import Callable
from functools import wraps
from typing import Any

import typer
from rich.console import Console

from zeronas.errors import ParameterError, ZeroNASError
from zeronas.execution.allocator import keep_freed_memory
from zeronas.execution.base import ExecutorConfig
from zeronas.hardware.limits import Limits
from zeronas.params import settings
from zeronas.scoring.config import ScoringConfig
from zeronas.search.config import SearchConfig

__all__ = ["INTERRUPTED", "app", "cli_errors", "err", "error_text", "flag_of", "out"]

app = typer.Typer(
    help="Training-free neural architecture search with zero-cost proxies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

INTERRUPTED = (
    "Interrupted. Every candidate scored so far is kept in the score store (unless "
    "--no-cache): run the same command again to resume, with --run-id NAME to have the "
    "settings checked."
)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM ends a run as Ctrl-C does: workers closed, a message


def _show_warning(message: Warning | str, *_args: object, **_kwargs: object) -> None:
    """Warnings (a read-only store, a broken plug-in) as one line on stderr."""
    err.print(f"Warning: {message}", style="yellow", markup=False, highlight=False, soft_wrap=True)


@app.callback()
def _process_setup() -> None:
    """Training-free neural architecture search with zero-cost proxies."""
    keep_freed_memory()  # this process is ours: see zeronas.execution.allocator
    warnings.showwarning = _show_warning
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


#: The configurations whose fields declare their flags (:func:`zeronas.params.setting`).
_CONFIGS: dict[str, type] = {
    cls.__name__: cls for cls in (ScoringConfig, SearchConfig, Limits, ExecutorConfig)
}
#: Other owners whose parameters are flags of the same name (``--target-kparams``).
_FLAGGED_OWNERS = {"SizePenalty", "Budget", "Fitness", "TrainConfig", "correlate"}
_RENAMED = {("Budget", "evaluations"): "--budget"}


def flag_of(parameter: str, owner: str = "") -> str | None:
    """The command-line flag that sets ``owner``'s ``parameter``, or None if none does."""
    if owner in _CONFIGS:
        declared = settings(_CONFIGS[owner]).get(parameter)
        return declared[1].flag if declared is not None else None
    if owner in _FLAGGED_OWNERS:
        return _RENAMED.get((owner, parameter), "--" + parameter.replace("_", "-"))
    return None


def error_text(exc: ZeroNASError) -> str:
    """The message of ``exc`` as a command-line user reads it: a configuration or executor
    parameter is named by its flag."""
    if isinstance(exc, ParameterError) and not exc.unknown:
        flag = flag_of(exc.parameter, exc.owner)
        if flag is not None:
            return exc.message(flag)
    return str(exc)


def cli_errors(fn: Callable[..., None]) -> Callable[..., None]:
    """Turn a ZeroNASError into one line on stderr and exit status 2."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except ZeroNASError as exc:
            text = " ".join(error_text(exc).split())  # one line, whatever the message held
            err.print(f"Error: {text}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see _process_setup)
            err.print(INTERRUPTED, markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(130) from None

    return wrapper
