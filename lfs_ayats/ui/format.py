"""How numbers look on screen: lap clocks, deltas, gaps, session times."""

from __future__ import annotations

import math


def lap_time(ms: int | float | None) -> str:
    """89799 -> "1:29.799"; nothing -> "-:--.---"."""
    if ms is None or ms <= 0 or (isinstance(ms, float) and math.isnan(ms)):
        return "-:--.---"
    ms = round(ms)
    return f"{ms // 60000}:{ms % 60000 / 1000:06.3f}"


def seconds_clock(s: float | None) -> str:
    """Seconds as m:ss.s (a running lap, a position in a replay)."""
    if s is None or math.isnan(s) or s < 0:
        return "-:--.-"
    return f"{int(s // 60)}:{s % 60:04.1f}"


def delta(s: float | None) -> str:
    if s is None or math.isnan(s):
        return "  --.---"
    return f"{s:+8.3f}"


def gap(s: float, laps_behind: int = 0) -> str:
    if laps_behind > 0:
        return f"+{laps_behind}L"
    if math.isnan(s):
        return ""
    if s == 0:
        return "leader"
    return f"+{s:.1f}" if s >= 10 else f"+{s:.2f}"


def session_clock(t: float) -> str:
    """Feed seconds as hh:mm:ss (the events log)."""
    t = max(0, int(t))
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}" if t >= 3600 else f"{t // 60:02d}:{t % 60:02d}"
