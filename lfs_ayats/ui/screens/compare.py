"""Compare: two or more laps against lap distance (speed, pedals, gear, Δt), the corners, the track map."""

from __future__ import annotations

from typing import Any

import polars as pl
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from .. import data
from ..messages import ComparisonLoaded
from ..widgets.plots import RICH_COLOURS, LapPlot, TrackMap
from .base import StoredDataScreen


class CompareScreen(StoredDataScreen):
    BINDINGS = [
        Binding("m", "map", "Map: speed/Δ"),
        Binding("p", "pedals", "Throttle/brake/gear"),
        Binding("r", "reload", "Reload"),
    ]
    NO_STORE = ("#legend", "No database: comparisons come from stored laps.")

    def __init__(self) -> None:
        super().__init__()
        self.comparison: data.Comparison | None = None
        self._pedal = 0

    def compose(self) -> ComposeResult:
        yield Static("Compare", id="compare-title", classes="screen-title")
        with Horizontal(id="compare-body"):
            with Vertical(id="plots"):
                yield LapPlot("speed_kmh", "Speed", "km/h", id="plot-speed")
                yield LapPlot("throttle", "Throttle", "0-1", id="plot-pedal")
                yield LapPlot("delta", "Δt against the first lap", "s", id="plot-delta")
            with Vertical(id="compare-side"):
                yield Static(id="legend")
                yield TrackMap(id="map")
                yield Static(id="corners")
        yield from self.chrome()

    def reload(self, store: Any) -> None:
        sel = self.app.selection  # type: ignore[attr-defined]
        self.load(store, list(sel.lap_ids), sel.session_id)

    @work(thread=True, exclusive=True, group="compare", exit_on_error=False)
    def load(self, store: Any, lap_ids: list[int], session_id: int | None) -> None:
        if len(lap_ids) < 2:
            session_id = data.session_or_latest(store, session_id)
            laps = data.queries.laps(store, session_id) if session_id is not None else []
            lap_ids = data.fastest_clean(laps, 2)
        try:
            comparison: Any = data.load_comparison(store, lap_ids)
        except ValueError as exc:
            comparison = str(exc)
        self.post_message(ComparisonLoaded(comparison))

    def on_comparison_loaded(self, message: ComparisonLoaded) -> None:
        if isinstance(message.comparison, str):
            self.comparison = None
            self.query_one("#legend", Static).update(Text(message.comparison, style="yellow"))
            for plot in self.query(LapPlot):
                plot.show(None)
            self.query_one(TrackMap).show(None)
            self.query_one("#corners", Static).update("")
            return
        c = self.comparison = message.comparison
        legend = Text()
        for i, tr in enumerate(c.traces):
            legend.append("━━ ", style=RICH_COLOURS[i % len(RICH_COLOURS)])
            legend.append(tr.label + ("  ref" if i == 0 else f"  {c.delta(i)[-1]:+.3f} s") + "\n")
        for p in c.problems:
            legend.append(p + "\n", style="yellow")
        self.query_one("#legend", Static).update(legend)
        first = c.traces[0].lap
        self.query_one("#compare-title", Static).update(
            f"Compare · {first['track']} · {len(c.traces)} laps · {c.distance_m[-1] / 1000:.2f} km aligned")
        for plot in self.query(LapPlot):
            plot.show(c)
        self.query_one(TrackMap).show(c)
        self._corner_table()

    def _corner_table(self) -> None:
        c = self.comparison
        if c is None or c.corners is None or len(c.traces) < 2:
            self.query_one("#corners", Static).update("")
            return
        table = Table(box=None, padding=(0, 1), title=f"Corners: {c.traces[1].label} vs reference",
                      title_justify="left", title_style="bold")
        for name, justify in (("", "left"), ("min km/h", "right"), ("ref", "right"), ("brake m", "right"),
                              ("Δ s", "right")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for row in c.corners.filter(pl.col("kind") == "corner").iter_rows(named=True):
            lost = row["delta_s"]
            brake = row.get("brake_delta_m")
            table.add_row(row["name"], f"{row['v_min_kmh']:.0f}", f"{row['v_min_ref_kmh']:.0f}",
                          "" if brake is None else f"{brake:+.0f}",
                          Text(f"{lost:+.3f}", style="red" if lost > 0.02 else "green" if lost < -0.02 else ""))
        self.query_one("#corners", Static).update(table)

    def action_map(self) -> None:
        track_map = self.query_one(TrackMap)
        track_map.show(self.comparison, "delta" if track_map.by == "speed" else "speed")

    def action_pedals(self) -> None:
        plot = self.query_one("#plot-pedal", LapPlot)
        self._pedal = (self._pedal + 1) % 3
        plot.channel, plot.title, plot.unit = [("throttle", "Throttle", "0-1"), ("brake", "Brake", "0-1"),
                                               ("gear", "Gear", "")][self._pedal]
        plot.replot()

    def export_request(self) -> data.ExportJob | None:
        c = self.comparison
        if c is None:
            return None
        ids = "-".join(str(tr.lap["id"]) for tr in c.traces)
        return data.ExportJob(f"comparison of laps {ids}", f"compare-{ids}", lambda engine: c.export())
