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
        height = max(1, self.size.height)
        if not self.lines:
            return Text("Laps, incidents, flags and pit stops appear here.", style="dim")
        out = Text()
        for i, line in enumerate(self.lines[-height:]):
            if i:
                out.append("\n")
            out.append(session_clock(line.t) + " ", style="dim")
            out.append(line.text, style=KIND_STYLE.get(line.kind, ""))
        out.no_wrap = True
        out.overflow = "ellipsis"
        return out
