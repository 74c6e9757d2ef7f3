"""What every screen shares: the bottom chrome (replay bar, status, keys) and, for the stored-data
screens, reloading from the store on mount and on return, or saying that there is no database."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ..widgets.replay_bar import ReplayBar
from ..widgets.status import StatusBar


class AppScreen(Screen[None]):
    """A screen with the app's bottom chrome; `chrome()` ends compose, `setup()` runs on mount."""

    def chrome(self) -> ComposeResult:
        yield ReplayBar(id="replay-bar")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#replay-bar").display = getattr(self.app, "source_kind", "") == "replay"
        self.setup()
        self.start()

    def setup(self) -> None:
        """Per-screen mount work (columns, focus); nothing by default."""

    def start(self) -> None:
        """What to fetch once mounted; nothing by default."""


class StoredDataScreen(AppScreen):
    """A screen read from the store: `reload(store)` starts its load worker on mount, on return and on 'r'.

    Without a store, `NO_STORE = (widget selector, text)` says where the data would come from.
    """

    NO_STORE: ClassVar[tuple[str, str]] = ("", "")

    # Textual calls every class's on_mount, so this class hooks `start` rather than overriding on_mount.
    def start(self) -> None:
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        store = getattr(self.app, "store", None)
        if store is None:
            where, text = self.NO_STORE
            self.query_one(where, Static).update(text)
            return
        self.reload(store)

    def reload(self, store: Any) -> None:
        raise NotImplementedError


def cursor_key(table: DataTable[Any]) -> str | None:
    """The row key under the table's cursor, or None when the table is empty."""
    if not table.row_count:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return key if key is not None else None
