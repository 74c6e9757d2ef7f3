"""Anomalies: what the session flags as not right, each with its explanation; jump to the lap or the place."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from .. import data
from ..messages import LapsLoaded
from ..widgets.replay_bar import ReplayBar
from ..widgets.status import StatusBar


class AnomaliesScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "jump_lap", "Jump to lap"),
        Binding("c", "jump_corner", "Compare there"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.flags: list[data.Flag] = []
        self.session: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Static("Anomalies", id="anomalies-title", classes="screen-title")
        yield DataTable(id="anomalies", cursor_type="row", zebra_stripes=True)
        yield Static(id="anomaly-detail", classes="note")
        yield ReplayBar(id="replay-bar")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Driver", "Lap", "Where", "At", "Explanation", "Method")
        self.query_one("#replay-bar").display = getattr(self.app, "source_kind", "") == "replay"
        self.action_reload()
        self.query_one(DataTable).focus()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        store = getattr(self.app, "store", None)
        if store is None:
            self.query_one("#anomaly-detail", Static).update("No database: anomalies come from stored sessions.")
            return
        self.load(store, self.app.selection.session_id)  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="anomalies", exit_on_error=False)
    def load(self, store: Any, session_id: int | None) -> None:
        if session_id is None:
            sessions = data.queries.sessions(store)
            if not sessions:
                self.post_message(LapsLoaded(None, []))
                return
            session_id = sessions[-1]["id"]
        session = data.queries.session(store, session_id)
        flags, stored = data.session_flags(store, session_id)
        self.post_message(LapsLoaded(session, [{"flag": f, "stored": stored} for f in flags]))

    def on_laps_loaded(self, message: LapsLoaded) -> None:
        self.session = message.session
        self.flags = [row["flag"] for row in message.rows]
        s = self.session or {}
        self.query_one("#anomalies-title", Static).update(
            f"Anomalies · session {s.get('id', '-')} · {s.get('track') or ''} · {len(self.flags)} flags")
        table = self.query_one(DataTable)
        table.clear()
        for i, f in enumerate(self.flags):
            table.add_row(f.driver, str(f.lap or ""), f.segment, f"{f.start_m:.0f} m" if f.start_m is not None else "",
                          f.explanation, f.method.replace("_", " "), key=str(i))
        stored = bool(message.rows) and message.rows[0]["stored"]
        where = ("stored flags" if stored else "found now, not stored: 'lfs-ayats anomalies "
                 f"{s.get('id')}' stores them")
        self.query_one("#anomaly-detail", Static).update(
            f"{where} · enter: open the lap in Laps · c: compare the lap with the session's fastest" if self.flags
            else "Nothing unusual in this session's comparable laps." if self.session else "No stored sessions yet.")

    def _current(self) -> data.Flag | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.flags[int(key)] if key is not None else None

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_jump_lap()

    def action_jump_lap(self) -> None:
        flag = self._current()
        if flag is None or flag.lap_id is None or self.session is None:
            return
        sel = self.app.selection  # type: ignore[attr-defined]
        sel.session_id = self.session["id"]
        sel.lap_ids = [flag.lap_id]
        self.app.switch_mode("laps")

    def action_jump_corner(self) -> None:
        flag = self._current()
        store = getattr(self.app, "store", None)
        if flag is None or flag.lap_id is None or self.session is None or store is None:
            return
        sel = self.app.selection  # type: ignore[attr-defined]
        sel.session_id = self.session["id"]
        fastest = data.fastest_clean(data.queries.laps(store, self.session["id"]), 1)
        sel.lap_ids = [*fastest, flag.lap_id] if fastest and fastest[0] != flag.lap_id else [flag.lap_id]
        self.app.switch_mode("compare")

    def export_request(self) -> data.ExportJob | None:
        if not self.flags:
            return None
        rows = [{"lap_id": f.lap_id, "driver": f.driver, "lap": f.lap, "segment": f.segment, "start_m": f.start_m,
                 "explanation": f.explanation, "method": f.method, "score": f.score} for f in self.flags]
        sid = (self.session or {}).get("id")
        return data.ExportJob(f"anomalies of session {sid}", f"session-{sid}-anomalies",
                              lambda engine: data.rows_export("anomalies", {"session_id": sid}, "flags", rows))
