"""Lap tables: every lap of a session with coloured sectors, clean or why not, the theoretical bests."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from .. import data
from ..format import lap_time
from ..messages import LapsChanged, LapsLoaded
from .base import StoredDataScreen, cursor_key


class LapsScreen(StoredDataScreen):
    BINDINGS = [
        Binding("space", "toggle", "Pick lap"),
        Binding("c", "compare", "Compare picked"),
        Binding("d", "driver", "Next driver"),
        Binding("r", "reload", "Reload"),
    ]
    NO_STORE = ("#laps-summary", "No database: lap tables come from stored sessions.")

    def __init__(self) -> None:
        super().__init__()
        self.table: data.LapTable | None = None
        self.driver: str | None = None  # None = every driver

    def compose(self) -> ComposeResult:
        yield Static("Laps", id="laps-title", classes="screen-title")
        yield DataTable(id="laps", cursor_type="row", zebra_stripes=True)
        yield Static(id="laps-summary")
        yield from self.chrome()

    def setup(self) -> None:
        self.query_one(DataTable).focus()

    def reload(self, store: Any) -> None:
        self.load(store, self.app.selection.session_id)  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="laps", exit_on_error=False)
    def load(self, store: Any, session_id: int | None) -> None:
        session_id = data.session_or_latest(store, session_id)
        if session_id is None:
            self.post_message(LapsLoaded(None, []))
            return
        table = data.lap_table(store, session_id)
        self.post_message(LapsLoaded(table.session, [{"table": table}]))

    def on_laps_loaded(self, message: LapsLoaded) -> None:
        if not message.rows:
            self.query_one("#laps-summary", Static).update(
                "No stored sessions yet: laps appear here as they are stored.")
            return
        self.table = message.rows[0]["table"]
        if self.table.session is not None:
            self.app.selection.session_id = self.table.session["id"]  # type: ignore[attr-defined]
        self._fill()

    def on_laps_changed(self, message: LapsChanged) -> None:
        self.set_timer(1.5, self.action_reload)

    def _fill(self) -> None:
        t = self.table
        if t is None:
            return
        s = t.session or {}
        who = self.driver or "all drivers"
        self.query_one("#laps-title", Static).update(
            f"Laps · session {s.get('id')} · {s.get('track') or '?'} {s.get('mode') or ''} · {who}")
        grid = self.query_one(DataTable)
        keep = grid.cursor_row
        grid.clear(columns=True)
        grid.add_columns("Pick", "Driver", "Car", "Lap", "Time", *(f"S{i + 1}" for i in range(t.sectors)), "Clean",
                         "Why not")
        picked = set(self.app.selection.lap_ids)  # type: ignore[attr-defined]
        order = {d: i for i, d in enumerate(sorted(t.driver_best_lap, key=lambda d: t.driver_best_lap[d]))}
        shown = sorted((lap for lap in t.laps if self.driver is None or lap["driver"] == self.driver),
                       key=lambda lap: (order.get(lap["driver"], len(order)), lap["driver"], lap["lap"]))
        for lap in shown:
            best = t.driver_best_lap.get(lap["driver"]) == lap["time_ms"] and lap["clean"]
            time_style = "bold magenta" if lap["clean"] and lap["time_ms"] == min(
                t.driver_best_lap.values(), default=0) else "bold green" if best else ""
            sectors = [Text(lap_time(s) if s else "-", style=data.sector_colour(t, lap, i))
                       for i, s in enumerate(list(lap["sectors_ms"] or ()) + [None] * (t.sectors - len(
                           lap["sectors_ms"] or ())))]
            grid.add_row(Text("●" if lap["id"] in picked else " ", style="bold cyan"), lap["driver"], lap["car"],
                         str(lap["lap"]), Text(lap_time(lap["time_ms"]), style=time_style if lap["clean"] else "dim"),
                         *sectors, Text("yes", style="green") if lap["clean"] else Text("no", style="red"),
                         Text(lap["reason"] or "", style="dim"), key=str(lap["id"]))
        if shown:
            grid.move_cursor(row=min(keep, len(shown) - 1))
        self._summary()

    def _summary(self) -> None:
        t = self.table
        assert t is not None
        table = Table(box=None, padding=(0, 2), title="Theoretical best = sum of best clean sectors",
                      title_justify="left", title_style="bold")
        for col in ("Driver", "Best", "Theoretical", "Gain"):
            table.add_column(col)
        drivers = sorted(t.driver_best_lap, key=lambda d: t.driver_best_lap[d])
        for d in drivers[:6]:
            best, theo = t.driver_best_lap[d], t.theoretical.get(d)
            table.add_row(d, lap_time(best), lap_time(theo), f"{(best - theo) / 1000:.3f}" if theo else "-")
        picked = len(self.app.selection.lap_ids)  # type: ignore[attr-defined]
        legend = Text.assemble(("purple", "bold magenta"), " session best sector  ", ("green", "bold green"),
                               " driver's best  ", ("yellow", "yellow"), " slower  ",
                               f"· {picked} picked: space picks, c compares, d cycles drivers")
        self.query_one("#laps-summary", Static).update(_stack(table, legend))

    def _current(self) -> int | None:
        key = cursor_key(self.query_one(DataTable))
        return int(key) if key is not None else None

    def action_toggle(self) -> None:
        lap_id = self._current()
        if lap_id is None:
            return
        ids: list[int] = self.app.selection.lap_ids  # type: ignore[attr-defined]
        if lap_id in ids:
            ids.remove(lap_id)
        else:
            ids.append(lap_id)
        self._fill()
        self.query_one(DataTable).action_cursor_down()

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_toggle()

    def action_driver(self) -> None:
        if self.table is None:
            return
        drivers = sorted({lap["driver"] for lap in self.table.laps})
        order = [None, *drivers]
        self.driver = order[(order.index(self.driver) + 1) % len(order)] if self.driver in order else None
        self._fill()

    def action_compare(self) -> None:
        self.app.switch_mode("compare")

    def export_request(self) -> data.ExportJob | None:
        lap_id = self._current()
        if lap_id is None:
            return None
        return data.ExportJob(f"lap {lap_id}", f"lap-{lap_id}", lambda engine: data.lap_export(engine, lap_id))


def _stack(*parts: Any) -> Table:
    grid = Table.grid()
    for part in parts:
        grid.add_row(part)
    return grid
