"""What the UI clock copies out of a source under its lock: plain values, drawn after the lock is let go."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from lfs_ayats.analysis.predict import LapPrediction
from lfs_ayats.telemetry.live import Source
from lfs_ayats.telemetry.standings import CarRow, LiveDelta, LogLine

from .predictor import Predictions

WINDOW_S = 12.0  # seconds of history the sparklines show
NEWEST = 2400  # samples read per channel before cutting to the window (100 Hz x 24 s)
CHANNELS = ("speed_mps", "rpm", "throttle", "brake", "gear")


@dataclass
class LiveView:
    """One tick's worth of the live screen."""

    title: str = ""
    viewed: int = 0
    driver: str = ""
    lap: int = 0
    rows: list[CarRow] = field(default_factory=list)
    log: list[LogLine] = field(default_factory=list)
    delta: LiveDelta = field(default_factory=lambda: LiveDelta(None, None, None, "no car viewed yet"))
    channels: dict[str, np.ndarray] = field(default_factory=dict)
    channel_source: str = ""  # "OutGauge", "OutSim", "IS_MCI" or ""
    rpm_max: float = 0.0
    last_ms: int = 0
    best_ms: int = 0
    prediction: LapPrediction | None = None


def packet_totals(packets: Counter[str]) -> dict[str, int]:
    """Decoded packets by link: InSim (every IS_*), OutGauge, OutSim."""
    out = {"InSim": 0, "OutGauge": 0, "OutSim": 0}
    for name, count in packets.items():
        if name.startswith("IS_"):
            out["InSim"] += count
        elif name.startswith("OutGauge"):
            out["OutGauge"] += count
        elif name.startswith("OutSim"):
            out["OutSim"] += count
    return out


def _window(t: np.ndarray, v: np.ndarray, now: float) -> np.ndarray:
    return v[t >= now - WINDOW_S] if len(t) else v


def take_live_view(source: Source, follow: int = 0, rpm_max: float = 0.0,
                   predictions: Predictions | None = None) -> LiveView:
    """Copy what the live screen draws; call with `source.lock` held. `follow` 0 = the car LFS views."""
    feed, standings, buffers = source.feed, source.standings, source.buffers
    session = feed.session
    plid = follow or session.view_plid
    race = session.race
    view = LiveView(viewed=plid, rows=standings.rows(), log=list(standings.log)[-60:])
    if race is not None:
        length = f"{race.race_laps} laps" if race.mode == "race" and race.race_laps else race.mode
        view.title = f"{race.track} · {length}"
    elif session.track:
        view.title = session.track
    if not plid:
        return view
    view.driver = session.driver_name(plid)
    row = standings.cars.get(plid)
    if row is not None:
        view.lap, view.last_ms, view.best_ms = row.lap, row.last_ms, row.best_ms
    view.delta = standings.delta(plid)
    if predictions is not None:
        view.prediction = predictions.update(standings, plid)
    now = standings.t
    # The freshest source for this car: OutGauge and OutSim only come for the car LFS shows.
    gauge = {ch: _window(*buffers.latest("gauge", plid, ch, NEWEST), now) for ch in CHANNELS} \
        if plid in buffers.gauge else {}
    if len(gauge.get("speed_mps", ())):
        view.channel_source, view.channels = "OutGauge", gauge
    elif plid in buffers.motion and len(_window(*buffers.latest("motion", plid, "speed_mps", NEWEST), now)):
        view.channel_source = "OutSim"
        pairs = {"speed_mps": "speed_mps", "throttle": "throttle", "brake": "brake", "rpm": "engine_speed_radps"}
        for ch, src in pairs.items():
            t, v = buffers.latest("motion", plid, src, NEWEST)
            view.channels[ch] = _window(t, v, now) * (60 / (2 * math.pi) if ch == "rpm" else 1.0)
    else:
        t, v = buffers.latest("cars", plid, "speed_mps", NEWEST)
        if len(v) and not np.isnan(v).all():
            view.channel_source = "IS_MCI"
            view.channels["speed_mps"] = _window(t, v, now)
    rpm = view.channels.get("rpm")
    if rpm is not None and len(rpm) and not np.isnan(rpm).all():
        view.rpm_max = max(rpm_max, float(np.nanmax(rpm)))
    else:
        view.rpm_max = rpm_max
    return view
