"""The replay bar: play state, speed, position over the capture's length, and the keys."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from lfs_ayats.telemetry.live import SourceStatus

from ..format import seconds_clock


class ReplayBar(Widget):
    DEFAULT_CSS = "ReplayBar { height: 1; background: $boost; }"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status: SourceStatus | None = None

    def show(self, status: SourceStatus) -> None:
        self.status = status
        self.refresh()

    def render(self) -> Text:
        s = self.status
        if s is None:
            return Text("")
        icon = {"playing": "▶", "paused": "⏸", "ended": "■"}.get(s.state, "?")
        head = Text.assemble((f" {icon} ", "bold"), (f"{s.speed:g}× ", "bold cyan"),
                             f"{seconds_clock(s.position_s)} / {seconds_clock(s.duration_s)} ")
        keys = Text(" space ▶/⏸  ←/→ 10 s  -/+ speed  n lap  i incident", style="dim")
        width = max(10, self.size.width - len(head) - len(keys) - 2)
        done = 0 if not s.duration_s else int(width * min(1.0, s.position_s / s.duration_s))
        bar = Text.assemble(("━" * done, "bold green"), ("╸" if done < width else "", "bold green"),
                            ("━" * max(0, width - done - 1), "grey35"))
        return Text.assemble(head, bar, keys)
