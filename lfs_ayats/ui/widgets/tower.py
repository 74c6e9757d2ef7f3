"""The timing tower: position, driver, car, last, best, gap, interval, pit state and penalty of every car."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from lfs_ayats.telemetry.standings import CarRow

from ..format import gap, lap_time

PENALTY_STYLE = "bold white on red"
PIT_CODES = {"pit lane": "PIT", "stop": "BOX", "garage": "GAR"}


class TimingTower(Widget):
    """A Rich table redrawn from copies of the standings' rows (the viewed car highlighted)."""

    DEFAULT_CSS = "TimingTower { height: 1fr; }"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[CarRow] = []
        self.viewed = 0

    def show(self, rows: list[CarRow], viewed: int) -> None:
        self.rows, self.viewed = rows, viewed
        self.refresh()

    def render(self) -> Table | Text:
        if not self.rows:
            return Text("No cars yet: the timing tower fills as soon as LFS reports the players.", style="dim")
        fastest = min((r.best_ms for r in self.rows if r.best_ms), default=0)
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", pad_edge=False)
        for name, justify in (("P", "right"), ("Driver", "left"), ("Car", "left"), ("Lap", "right"),
                              ("Last", "right"), ("Best", "right"), ("Gap", "right"), ("Int", "right"),
                              ("Pit", "left"), ("Pen", "left")):
            table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        leader_laps = max((r.laps_done for r in self.rows), default=0)
        for r in self.rows:
            style = "reverse" if r.plid == self.viewed else ""
            best = Text(lap_time(r.best_ms), style="bold magenta" if r.best_ms and r.best_ms == fastest else "")
            last = Text(lap_time(r.last_ms), style="" if r.last_clean else "dim strike")
            behind = leader_laps - r.laps_done if r.position and r.gap_s != r.gap_s else 0
            pit = Text(PIT_CODES.get(r.pit, "") or ("FIN" if r.finished else ""), style="bold yellow")
            pen = Text(r.penalty.upper(), style=PENALTY_STYLE if r.penalty else "")
            table.add_row(str(r.position or "-"), r.name[:14], r.car, str(r.lap or ""), last, best,
                          gap(r.gap_s, behind if r.position > 1 else 0), gap(r.interval_s) if r.position > 1 else "",
                          pit, pen, style=style)
        return table
