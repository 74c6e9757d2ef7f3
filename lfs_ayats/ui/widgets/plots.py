"""Charts: laps against distance (plotext, one instance per widget) and a braille track map."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.widget import Widget
from textual_plotext import PlotextPlot

from ..data import Comparison

COLOURS = ("cyan", "orange", "green", "magenta", "yellow", "red")  # plotext's names
RICH_COLOURS = ("cyan", "dark_orange", "green", "magenta", "yellow", "red")  # the same, as Rich names them
POINTS = 240  # per series: plotext's cost grows with points, the plot is narrower than this anyway


def thin(x: np.ndarray, *ys: np.ndarray, n: int = POINTS) -> tuple[list[float], ...]:
    """Every k-th point so a series has at most n (the plot has fewer columns than that)."""
    step = max(1, len(x) // n)
    return (x[::step].tolist(), *(y[::step].tolist() for y in ys))


class LapPlot(PlotextPlot):
    """One channel of a comparison against lap distance; `replot()` = clear, plot, refresh."""

    def __init__(self, channel: str, title: str, unit: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.channel = channel
        self.title = title
        self.unit = unit
        self.comparison: Comparison | None = None

    def show(self, comparison: Comparison | None) -> None:
        self.comparison = comparison
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.title)
        c = self.comparison
        if c is None:
            self.refresh()
            return
        km = c.distance_m / 1000.0
        drawn = 0
        for i, tr in enumerate(c.traces):
            if self.channel == "delta":
                if i == 0:
                    continue
                ys = c.delta(i)
            else:
                ys = getattr(tr, self.channel)
            if np.isnan(ys).all():
                continue
            x, y = thin(km, np.nan_to_num(ys))
            plt.plot(x, y, color=COLOURS[i % len(COLOURS)], label=tr.label if self.channel == "speed_kmh" else None,
                     marker="braille")
            drawn += 1
        if not drawn:
            plt.title(f"{self.title}: not recorded for these laps (OutGauge/OutSim come from the viewed car only)")
        if self.channel == "delta":
            plt.hline(0.0, "gray")
        plt.xlabel("lap distance (km)")
        plt.ylabel(self.unit)
        self.refresh()


class TrackMap(Widget):
    """The reference lap's line in braille, coloured by speed or by Δ against the reference."""

    DEFAULT_CSS = "TrackMap { height: 1fr; }"

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.comparison: Comparison | None = None
        self.by = "speed"

    def show(self, comparison: Comparison | None, by: str | None = None) -> None:
        self.comparison = comparison
        if by:
            self.by = by
        self.refresh()

    def render(self) -> Text:
        c = self.comparison
        w, h = max(4, self.size.width), max(2, self.size.height - 1)
        if c is None:
            return Text("Track map: pick laps to compare.", style="dim")
        ref = c.reference
        x, y = c.x_m, c.y_m
        if self.by == "delta" and len(c.traces) > 1:
            value = np.gradient(c.delta(1))  # where lap 2 loses (+) or gains (-) time
            title = f"Δ {c.traces[1].label} vs {ref.label}: red loses, green gains"
        else:
            value = ref.speed_kmh
            title = f"{ref.label}: speed, blue slow → red fast"
        cells = braille(x, y, value, w, h)
        out = Text(title[:w] + "\n", style="bold")
        lo, hi = np.nanpercentile(value, 5), np.nanpercentile(value, 95)
        for r in range(h):
            for col in range(w):
                dots, v = cells[r][col]
                if not dots:
                    out.append(" ")
                    continue
                out.append(chr(0x2800 + dots), style=_colour(v, lo, hi, self.by == "delta"))
            if r < h - 1:
                out.append("\n")
        return out


_DOT = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # braille dot bits by (row, column)


def braille(x: np.ndarray, y: np.ndarray, value: np.ndarray, w: int, h: int) -> list[list[tuple[int, float]]]:
    """Points into a w x h grid of braille cells: (dot bits, mean value) per cell; y points up."""
    cells = [[(0, 0.0) for _ in range(w)] for _ in range(h)]
    ok = np.isfinite(x) & np.isfinite(y)
    x, y, value = x[ok], y[ok], value[ok]
    if len(x) < 2:
        return cells
    sx = (2 * w - 1) / max(float(x.max() - x.min()), 1e-6)
    sy = (4 * h - 1) / max(float(y.max() - y.min()), 1e-6)
    scale = min(sx, sy)  # one metre is as wide as it is high (braille dots are about square)
    px = ((x - x.min()) * scale).astype(int)
    py = ((y.max() - y) * scale).astype(int)
    px += (2 * w - 1 - px.max()) // 2
    sums: dict[tuple[int, int], list[float]] = {}
    bits: dict[tuple[int, int], int] = {}
    for cx, cy, v in zip(px.tolist(), py.tolist(), value.tolist(), strict=True):
        key = (cy // 4, cx // 2)
        if not (0 <= key[0] < h and 0 <= key[1] < w):
            continue
        bits[key] = bits.get(key, 0) | _DOT[cy % 4][cx % 2]
        sums.setdefault(key, []).append(v)
    for (r, col), b in bits.items():
        vals = [v for v in sums[(r, col)] if v == v]
        cells[r][col] = (b, float(np.mean(vals)) if vals else float("nan"))
    return cells


def _colour(v: float, lo: float, hi: float, diverging: bool) -> str:
    if v != v:
        return "grey50"
    if diverging:
        limit = max(abs(lo), abs(hi), 1e-9)
        f = max(-1.0, min(1.0, v / limit))
        return "bold red" if f > 0.2 else "bold green" if f < -0.2 else "white"
    f = 0.0 if hi <= lo else max(0.0, min(1.0, (v - lo) / (hi - lo)))
    palette = ("blue", "dodger_blue2", "cyan", "green", "yellow", "dark_orange", "red")
    return palette[min(len(palette) - 1, int(f * len(palette)))]
