"""The one error guard of every `evalboard` command (docs/ARCHITECTURE.md, "Commands and exit codes"): an unexpected
exception exits 4 with one line on stderr, so a crash never reads as a verdict. Standard library only: every command
imports it before it knows which domain modules it needs."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from evalboard.core.exit_codes import EXIT_INTERNAL

DEBUG_FLAG = "--debug"


def guarded(prog: str, func: Callable[[], int], debug: bool = False) -> int:
    """Run `func`; an unexpected exception becomes exit code 4 with one line on stderr (traceback with debug)."""
    try:
        return func()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the point: no crash may exit like a verdict
        if debug:
            traceback.print_exc()
        hint = "" if debug else f" (run again with {DEBUG_FLAG} for the traceback)"
        print(f"{prog}: internal error: {type(exc).__name__}: {exc}{hint}", file=sys.stderr)
        return EXIT_INTERNAL
