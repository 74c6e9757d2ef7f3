"""The timing tower: position, driver, car, last, best, gap, interval, pit state and penalty of every car."""

from __future__ import annotations

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

    def render(self) -> Text:
        if not self.rows:
            return Text("No cars yet: the timing tower fills as soon as LFS reports the players.", style="dim")
        # Fixed-width columns in one Text: a Rich Table costs ~10x more to lay out, ten times a second.
        fastest = min((r.best_ms for r in self.rows if r.best_ms), default=0)
        leader_laps = max((r.laps_done for r in self.rows), default=0)
        out = Text(HEADER, style="bold", no_wrap=True, overflow="crop")
        for r in self.rows[: max(1, self.size.height - 1)]:
            behind = leader_laps - r.laps_done if r.position > 1 and r.gap_s != r.gap_s else 0
            line = Text(no_wrap=True, overflow="crop", style="reverse" if r.plid == self.viewed else "")
            line.append(f"\n{r.position or '-':>3} {r.name[:14]:<14} {r.car[:4]:<4} {r.lap or '':>3} ")
            line.append(f"{lap_time(r.last_ms):>8} ", style="" if r.last_clean else "dim strike")
            line.append(f"{lap_time(r.best_ms):>8} ",
                        style="bold magenta" if r.best_ms and r.best_ms == fastest else "")
            line.append(f"{gap(r.gap_s, behind) if r.position > 1 else ('leader' if r.position else ''):>7} ")
            line.append(f"{gap(r.interval_s) if r.position > 1 else '':>7} ")
            line.append(f"{PIT_CODES.get(r.pit, '') or ('FIN' if r.finished else ''):<3}", style="bold yellow")
            if r.penalty:
                line.append(" ")
                line.append(f"{r.penalty.upper()[:3]:<3}", style=PENALTY_STYLE)
            out.append_text(line)
        return out


HEADER = f"{'P':>3} {'Driver':<14} {'Car':<4} {'Lap':>3} {'Last':>8} {'Best':>8} {'Gap':>7} {'Int':>7} Pit Pen"
