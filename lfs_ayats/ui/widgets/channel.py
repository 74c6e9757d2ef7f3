"""A channel as a two-row sparkline on a fixed scale, with its current, minimum and maximum."""

from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual.widget import Widget

BLOCKS = " ▁▂▃▄▅▆▇█"


def levels(values: np.ndarray, width: int, low: float, high: float, rows: int = 2) -> np.ndarray:
    """Each column's height in eighths of a cell (0 .. 8*rows), the max of the samples it covers."""
    if width <= 0:
        return np.zeros(0, dtype=int)
    values = values[~np.isnan(values)] if len(values) else values
    if len(values) == 0:
        return np.full(width, -1, dtype=int)
    if len(values) >= width:
        cut = len(values) - len(values) % width
        cols = values[len(values) - cut:].reshape(width, -1).max(axis=1) if cut else values[-width:]
    else:
        cols = np.concatenate([np.full(width - len(values), np.nan), values])
    span = max(high - low, 1e-9)
    scaled = np.clip((cols - low) / span, 0.0, 1.0) * 8 * rows
    out = np.where(np.isnan(cols), -1, np.round(np.nan_to_num(scaled))).astype(int)
    return out


class ChannelSpark(Widget):
    """`Speed  132 km/h  min 54  max 171` over a sparkline scaled from `low` to `high`."""

    DEFAULT_CSS = """
    ChannelSpark { height: 3; }
    """

    def __init__(self, label: str, unit: str, low: float, high: float, *, scale: float = 1.0, style: str = "cyan",
                 digits: int = 0, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label
        self.unit = unit
        self.low = low
        self.high = high
        self.scale = scale  # display unit per SI unit (3.6 for km/h)
        self.colour = style
        self.digits = digits
        self._values = np.zeros(0)

    def show(self, values: np.ndarray) -> None:
        """New samples (SI units, oldest first): a fresh array each time, then one repaint."""
        self._values = np.asarray(values, dtype=float) * self.scale
        self.refresh()

    def render(self) -> Text:
        width = max(1, self.size.width)
        v = self._values
        finite = v[~np.isnan(v)] if len(v) else v
        head = Text()
        head.append(f"{self.label:<9}", style="bold")
        if len(finite):
            now = finite[-1]
            head.append(f"{now:>7.{self.digits}f} {self.unit:<5}", style=f"bold {self.colour}")
            head.append(f" ↓{finite.min():.{self.digits}f} ↑{finite.max():.{self.digits}f}", style="dim")
        else:
            head.append(f"      - {self.unit:<5}", style="dim")
        head.append(f"  {self.low:g}–{self.high:g}", style="dim")
        cols = levels(v, width, self.low, self.high)
        # Two strings and one style each (gaps as spaces): far cheaper than a styled span per cell.
        top = "".join(" " if c < 0 else BLOCKS[max(0, c - 8)] for c in cols.tolist())
        bottom = "".join("·" if c < 0 else BLOCKS[min(c, 8)] for c in cols.tolist())
        head.truncate(width)
        return Text("\n").join([head, Text(top, style=self.colour), Text(bottom, style=self.colour)])


def nice_ceiling(value: float, steps: tuple[float, ...]) -> float:
    """The first step at or above `value` (a scale that only grows in big steps stays readable)."""
    for step in steps:
        if value <= step:
            return step
    return steps[-1] if math.isfinite(value) else steps[0]
