"""The gear with a shift light, and the lap panel (current lap, live Δ, predicted lap)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from lfs_ayats.analysis.predict import LapPrediction
from lfs_ayats.telemetry.standings import LiveDelta

from ..format import delta, lap_time, seconds_clock

SEGMENTS = 12
SHIFT_AT = 0.93  # of the highest RPM seen: all segments lit, in blue


def shift_segments(rpm: float, limit: float) -> list[str]:
    """The shift light's segment colours, left to right ("" = off)."""
    if not limit or rpm != rpm:
        return [""] * SEGMENTS
    fraction = rpm / limit
    if fraction >= SHIFT_AT:
        return ["bold blue"] * SEGMENTS
    start = 0.55  # below this nothing is lit
    lit = int(max(0.0, (fraction - start) / (SHIFT_AT - start)) * SEGMENTS)
    colours = ["green"] * 5 + ["yellow"] * 4 + ["red"] * 3
    return [colours[i] if i < lit else "" for i in range(SEGMENTS)]


def gear_name(gear: float | None) -> str:
    if gear is None or gear != gear:
        return "-"
    g = int(gear)
    return "R" if g < 0 else "N" if g == 0 else str(g)


class GearShift(Widget):
    """Gear in large type beside a shift light lit from RPM."""

    DEFAULT_CSS = "GearShift { height: 3; }"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.gear: float | None = None
        self.rpm = float("nan")
        self.limit = 0.0

    def show(self, gear: float | None, rpm: float, limit: float) -> None:
        self.gear, self.rpm, self.limit = gear, rpm, limit
        self.refresh()

    def render(self) -> Text:
        lights = Text()
        for colour in shift_segments(self.rpm, self.limit):
            lights.append("●" if colour else "○", style=colour or "grey35")
            lights.append(" ")
        gear = Text(f" GEAR {gear_name(self.gear)} ", style="bold reverse")
        rpm = "-" if self.rpm != self.rpm else f"{self.rpm:,.0f}"
        return Text("\n").join([Text.assemble(gear, "  ", lights),
                                Text(f" shift at {self.limit * SHIFT_AT:,.0f} rpm" if self.limit else "", style="dim"),
                                Text(f" {rpm} rpm", style="dim")])


class LapPanel(Widget):
    """Current lap, live Δ against a named reference, predicted lap time."""

    DEFAULT_CSS = "LapPanel { height: 5; }"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.driver = ""
        self.lap = 0
        self.value = LiveDelta(None, None, None, "no car viewed yet")
        self.best_ms = 0
        self.last_ms = 0
        self.prediction: LapPrediction | None = None

    def show(self, driver: str, lap: int, value: LiveDelta, last_ms: int, best_ms: int,
             prediction: LapPrediction | None = None) -> None:
        self.driver, self.lap, self.value, self.last_ms, self.best_ms = driver, lap, value, last_ms, best_ms
        self.prediction = prediction
        self.refresh()

    def render(self) -> Text:
        # Plain fixed-width lines: cheaper than a Rich table at the UI clock's rate.
        v, p = self.value, self.prediction
        colour = "" if v.delta_s is None else "bold green" if v.delta_s < 0 else "bold red"
        if p is not None:
            predicted = lap_time(p.predicted_s * 1000)
            spread = f"({p.p10_s - p.predicted_s:+.2f}/{p.p90_s - p.predicted_s:+.2f})"
        else:
            predicted, spread = lap_time(v.predicted_ms), ""
        out = Text(no_wrap=True, overflow="ellipsis")
        out.append(f"{'Driver':<10}", style="bold")
        out.append(f"{(self.driver or '-')[:16]:<17}", style="bold")
        out.append("Lap  ", style="bold")
        out.append(f"{self.lap or '-'}\n")
        out.append(f"{'Current':<10}", style="bold")
        out.append(f"{seconds_clock(v.elapsed_s):<17}", style="bold")
        out.append("Δ ", style="bold")
        out.append(f"{delta(v.delta_s)}\n", style=colour)
        out.append(f"{'Predicted':<10}", style="bold")
        out.append(f"{predicted:<17}", style="bold" if p is not None else "")
        out.append("Last ", style="bold")
        out.append(f"{lap_time(self.last_ms)}\n")
        out.append(f"{'':<10}{spread:<17}", style="dim")
        out.append("Best ", style="bold")
        out.append(f"{lap_time(self.best_ms)}\n")
        if v.reference.startswith(("own best", "fastest")):
            out.append("Δ vs ", style="bold")
        out.append(v.reference, style="dim")
        return out
