"""The live screen: the viewed car's channels, gear and shift light, lap and Δ, the timing tower, the events."""

from __future__ import annotations

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from ..view import LiveView
from ..widgets.channel import ChannelSpark, nice_ceiling
from ..widgets.eventlog import EventLog
from ..widgets.gauges import GearShift, LapPanel
from ..widgets.tower import TimingTower
from .base import AppScreen

SPEED_STEPS_KMH = (160.0, 200.0, 250.0, 300.0, 350.0, 400.0)
RPM_STEPS = (6000.0, 7000.0, 8000.0, 9000.0, 10000.0, 12000.0, 15000.0, 20000.0)


class LiveScreen(AppScreen):
    """What a driver glances at; the app's clock calls `on_clock` with a fresh `LiveView`."""

    TITLE = "Live"
    BINDINGS = [
        Binding("right_square_bracket", "follow(1)", "Next car"),
        Binding("left_square_bracket", "follow(-1)", "Previous car"),
        Binding("v", "follow(0)", "LFS's view"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.order: list[int] = []  # PLIDs in tower order, as last drawn

    def action_follow(self, step: int) -> None:
        """Follow another car (its lap, Δ and speed from IS_MCI), or go back to the car LFS shows (0)."""
        app = self.app
        if step == 0 or not self.order:
            app.follow = 0  # type: ignore[attr-defined]
        else:
            i = self.order.index(self.viewed) if self.viewed in self.order else 0
            app.follow = self.order[(i + step) % len(self.order)]  # type: ignore[attr-defined]
        app.tick()  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="screen-title")
        with Horizontal(id="live-body"):
            with Vertical(id="driver-column"):
                yield Static(id="notice")
                yield ChannelSpark("Speed", "km/h", 0, 200, scale=3.6, style="cyan", id="speed")
                yield ChannelSpark("RPM", "rpm", 0, 8000, style="magenta", id="rpm")
                yield ChannelSpark("Throttle", "%", 0, 100, scale=100, style="green", id="throttle")
                yield ChannelSpark("Brake", "%", 0, 100, scale=100, style="red", id="brake")
                yield GearShift(id="gear")
                yield LapPanel(id="lap")
                yield EventLog(id="events")
            yield TimingTower(id="tower")
        yield from self.chrome()

    def setup(self) -> None:
        self.query_one("#notice", Static).display = False

    def show_notice(self, text: str) -> None:
        notice = self.query_one("#notice", Static)
        notice.update(text)
        notice.display = bool(text)

    viewed = 0

    def on_clock(self, view: LiveView) -> None:
        self.order = [r.plid for r in view.rows]
        self.viewed = view.viewed
        title = "Live" + (f" · {view.title}" if view.title else "")
        if view.driver:
            who = "following" if getattr(self.app, "follow", 0) else "viewing"
            title += f" · {who} {view.driver}" + (f" ({view.channel_source})" if view.channel_source else "")
        self.query_one("#title", Static).update(title)
        ch = view.channels
        empty = np.zeros(0)
        speed = self.query_one("#speed", ChannelSpark)
        if len(ch.get("speed_mps", empty)):
            speed.high = nice_ceiling(float(np.nanmax(ch["speed_mps"])) * 3.6, SPEED_STEPS_KMH)
        speed.show(ch.get("speed_mps", empty))
        rpm = self.query_one("#rpm", ChannelSpark)
        rpm.high = nice_ceiling(view.rpm_max, RPM_STEPS)
        rpm.show(ch.get("rpm", empty))
        self.query_one("#throttle", ChannelSpark).show(ch.get("throttle", empty))
        self.query_one("#brake", ChannelSpark).show(ch.get("brake", empty))
        gears = ch.get("gear", empty)
        rpms = ch.get("rpm", empty)
        self.query_one("#gear", GearShift).show(float(gears[-1]) if len(gears) else None,
                                                float(rpms[-1]) if len(rpms) else float("nan"), view.rpm_max)
        self.query_one("#lap", LapPanel).show(view.driver, view.lap, view.delta, view.last_ms, view.best_ms,
                                              view.prediction)
        self.query_one("#tower", TimingTower).show(view.rows, view.viewed)
        self.query_one("#events", EventLog).show(view.log)
