"""`lfs-ayats web`: the Textual app served to a browser by textual-serve (each browser tab runs its own app).

textual-serve starts the command in a shell per visitor, so the command line is quoted here.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from typing import Any

TUI_COMMANDS = ("live", "demo", "replay")  # the commands that open the app (none = live)


def tui_command(args: Sequence[str] = ()) -> str:
    """The shell command that opens the app: this Python, `-m lfs_ayats`, then the app's own arguments."""
    if args and not args[0].startswith("-") and args[0] not in TUI_COMMANDS:
        raise ValueError(f"'lfs-ayats {args[0]}' does not open the app; give one of {', '.join(TUI_COMMANDS)} "
                         "(or nothing, for the app connected to LFS)")
    return shlex.join([sys.executable, "-m", "lfs_ayats", *args])


def make_web_server(args: Sequence[str] = (), host: str = "127.0.0.1", port: int = 8001,
                    public_url: str | None = None) -> Any:
    """A textual_serve Server for the app (not started: call `.serve()`)."""
    from textual_serve.server import Server

    return Server(tui_command(args), host=host, port=port, title="lfs-ayats", public_url=public_url)
