"""The status bar: where the data comes from, packet rates, dropped packets, the database."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from lfs_ayats.telemetry.live import SourceStatus

STATE_STYLE = {"connected": "bold green", "playing": "bold green", "paused": "bold yellow", "ended": "bold",
               "connecting": "bold yellow", "retrying": "bold red", "lost": "bold red", "refused": "bold red",
               "stopped": "dim", "stored": "bold cyan"}


class StatusBar(Widget):
    DEFAULT_CSS = "StatusBar { height: 1; background: $panel; }"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status: SourceStatus | None = None
        self.rates: dict[str, float] = {}
        self.dropped = 0
        self.database = ""
        self.hz = 0

    def show(self, status: SourceStatus | None, rates: dict[str, float], dropped: int, database: str, hz: int) -> None:
        self.status, self.rates, self.dropped, self.database, self.hz = status, rates, dropped, database, hz
        self.refresh()

    def render(self) -> Text:
        s = self.status
        out = Text(no_wrap=True, overflow="ellipsis")
        if s is None:
            out.append(" ● stored sessions only", style=STATE_STYLE["stored"])
        else:
            out.append(f" ● {s.state}", style=STATE_STYLE.get(s.state, "bold"))
            if s.kind == "live":
                if s.state == "connected" and s.detail:
                    out.append(f" {s.detail}", style="dim")  # "LFS 0.8C S3"
                else:
                    out.append(f" {s.where}")
        out.append(" │ ")
        for name in ("InSim", "OutGauge", "OutSim"):
            out.append(f"{name} ", style="dim")
            out.append(f"{self.rates.get(name, 0.0):.0f}/s ")
        out.append("│ dropped ", style="dim")
        out.append(str(self.dropped), style="bold red" if self.dropped else "green")
        if self.hz:
            out.append(f" │ {self.hz} Hz", style="dim")
        if self.database:
            out.append(" │ db ", style="dim")
            out.append(self.database)
        return out
