"""evalkit's exit codes, and the one place that turns an exception into a line on stderr and a code.

0 success; 1 a gate check failed; 2 bad input the user can fix (evalkit's own errors, one line
naming the file, field and fix); 3 an internal error, a bug in evalkit, never blamed on the input;
130 interrupted (Ctrl-C), as shells report SIGINT.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable

from evalkit.errors import EvalkitError
from evalkit.escaping import visible

BAD_INPUT = 2
INTERNAL_ERROR = 3
INTERRUPTED = 130
DEBUG_ENV = "EVALKIT_DEBUG"


def report(exc: BaseException) -> int:
    """Print the one stderr line for ``exc`` and return the exit code it means.

    The traceback of an internal error is printed only when ``EVALKIT_DEBUG`` is set (to anything
    but ``0``): a user needs the one line; whoever fixes the bug asks for the rest.
    """
    if isinstance(exc, EvalkitError):
        # One line even when the message quotes a value holding a newline or a terminal escape.
        print(f"evalkit: error: {visible(exc)}", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        print("evalkit: interrupted", file=sys.stderr)
        return INTERRUPTED
    if os.environ.get(DEBUG_ENV, "0") not in ("", "0"):
        traceback.print_exception(exc, file=sys.stderr)
    detail = visible(" ".join(f"{type(exc).__name__}: {exc}".split())[:300])
    print(f"evalkit: internal error ({detail}): this is a bug in evalkit, not a problem with your input; "
          f"please report it with the command you ran (set {DEBUG_ENV}=1 to print the traceback)",
          file=sys.stderr)
    return INTERNAL_ERROR


def guarded(command: Callable[[list[str]], int], args: list[str]) -> int:
    """Run a command's ``main(args)``; an interrupt or an unexpected exception becomes one line and a code."""
    try:
        return int(command(args))
    except (KeyboardInterrupt, Exception) as exc:
        return report(exc)
