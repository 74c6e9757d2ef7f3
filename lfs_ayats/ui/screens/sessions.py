"""Stored sessions: filter by track, car or date; open one into Laps or Compare."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from .. import data
from ..messages import LapsChanged, SessionsLoaded
from .base import StoredDataScreen, cursor_key


class SessionsScreen(StoredDataScreen):
    BINDINGS = [
        Binding("enter", "open_laps", "Open laps"),
        Binding("c", "open_compare", "Compare best two"),
        Binding("slash", "filter", "Filter"),
        Binding("r", "reload", "Reload"),
    ]
    NO_STORE = ("#sessions-note", "No database: start with --db URL to see stored sessions.")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.cars: dict[int, list[str]] = {}

    def compose(self) -> ComposeResult:
        yield Static("Sessions", classes="screen-title")
        yield Input(placeholder="filter: track, car, date or mode (e.g. 'GM1 XFG 2026-11')", id="filter")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static(id="sessions-note", classes="note")
        yield from self.chrome()

    def setup(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Id", "Started (UTC)", "Track", "Mode", "Cars", "Drivers", "Laps", "Source")
        table.focus()

    def reload(self, store: Any) -> None:
        self.load(store)

    @work(thread=True, exclusive=True, group="sessions", exit_on_error=False)
    def load(self, store: Any) -> None:
        rows, cars = data.load_sessions(store)
        self.post_message(SessionsLoaded(rows, cars))

    def on_sessions_loaded(self, message: SessionsLoaded) -> None:
        self.rows, self.cars = message.rows, message.cars
        self._fill()

    def on_laps_changed(self, message: LapsChanged) -> None:
        self.set_timer(1.5, self.action_reload)  # the store writer flushes about once a second

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._fill()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        text = self.query_one("#filter", Input).value
        shown = [r for r in self.rows if data.session_matches(r, self.cars.get(r["id"], []), text)]
        keep = table.cursor_row
        table.clear()
        for r in shown:
            started = str(r["started_at"] or "")[:16].replace("T", " ")
            table.add_row(str(r["id"]), started, r["track"] or "", r["mode"] or "", str(r["cars"] or ""),
                          str(r["drivers"]), str(r["laps"]), r["source"] or "", key=str(r["id"]))
        if shown:
            table.move_cursor(row=min(keep, len(shown) - 1))
        note = f"{len(shown)} of {len(self.rows)} sessions" if self.rows else (
            "No stored sessions yet: 'lfs-ayats demo' or a live session stores one; 'lfs-ayats import FILE' adds "
            "a capture.")
        self.query_one("#sessions-note", Static).update(note + "   enter: laps · c: compare the two fastest laps")

    def _current(self) -> int | None:
        key = cursor_key(self.query_one(DataTable))
        return int(key) if key is not None else None

    def action_open_laps(self) -> None:
        sid = self._current()
        if sid is None:
            return
        self.app.selection.session_id = sid  # type: ignore[attr-defined]
        self.app.selection.lap_ids = []  # type: ignore[attr-defined]
        self.app.switch_mode("laps")

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_open_laps()

    def action_open_compare(self) -> None:
        sid = self._current()
        if sid is None:
            return
        self.app.selection.session_id = sid  # type: ignore[attr-defined]
        self.app.selection.lap_ids = []  # type: ignore[attr-defined]  (Compare picks the two fastest)
        self.app.switch_mode("compare")

    def export_request(self) -> data.ExportJob | None:
        sid = self._current()
        if sid is None:
            return None
        return data.ExportJob(f"session {sid}", f"session-{sid}", lambda engine: data.session_export(engine, sid))
