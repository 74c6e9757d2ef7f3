"""The newest events (laps, incidents, flags, pits, penalties), newest at the bottom."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from lfs_ayats.telemetry.standings import LogLine

from ..format import session_clock

KIND_STYLE = {"lap": "green", "incident": "bold red", "flag": "yellow", "pit": "cyan", "penalty": "bold magenta",
              "session": "bold", "link": "bold red"}


class EventLog(Widget):
    DEFAULT_CSS = "EventLog { height: 1fr; }"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[LogLine] = []

    def show(self, lines: list[LogLine]) -> None:
        if lines != self.lines:
            self.lines = lines
            self.refresh()

    def render(self) -> Text:
        height, width = max(1, self.size.height), max(8, self.size.width)
        if not self.lines:
            return Text("Laps, incidents, flags and pit stops appear here.", style="dim")
        rows = []
        for line in self.lines[-height:]:
            row = Text.assemble((session_clock(line.t) + " ", "dim"), (line.text, KIND_STYLE.get(line.kind, "")))
            row.truncate(width, overflow="ellipsis")
            rows.append(row)
        return Text("\n").join(rows)
