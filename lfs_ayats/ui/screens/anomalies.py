"""Anomalies: what the session flags as not right, each with its explanation; jump to the lap or the place."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from .. import data
from ..messages import LapsLoaded
from .base import StoredDataScreen, cursor_key


class AnomaliesScreen(StoredDataScreen):
    BINDINGS = [
        Binding("enter", "jump_lap", "Jump to lap"),
        Binding("c", "jump_corner", "Compare there"),
        Binding("r", "reload", "Reload"),
    ]
    NO_STORE = ("#anomaly-detail", "No database: anomalies come from stored sessions.")

    def __init__(self) -> None:
        super().__init__()
        self.flags: list[data.Flag] = []
        self.session: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Static("Anomalies", id="anomalies-title", classes="screen-title")
        yield DataTable(id="anomalies", cursor_type="row", zebra_stripes=True)
        yield Static(id="anomaly-detail", classes="note")
        yield from self.chrome()

    def setup(self) -> None:
        self.query_one(DataTable).add_columns("Driver", "Lap", "Where", "At", "Explanation", "Method")
        self.query_one(DataTable).focus()

    def reload(self, store: Any) -> None:
        self.load(store, self.app.selection.session_id)  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="anomalies", exit_on_error=False)
    def load(self, store: Any, session_id: int | None) -> None:
        session_id = data.session_or_latest(store, session_id)
        if session_id is None:
            self.post_message(LapsLoaded(None, []))
            return
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
        key = cursor_key(self.query_one(DataTable))
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
