"""The predicted lap time on the live screen: analysis.predict fed from the standings' clean laps."""

from __future__ import annotations

import numpy as np

from lfs_ayats.analysis.predict import LapPrediction, LivePredictor, fit_lap_model
from lfs_ayats.analysis.trace import LapTimeline
from lfs_ayats.telemetry.standings import Reference, Standings


def lap_trace(ref: Reference) -> LapTimeline:
    speed = np.gradient(ref.distance_m, ref.seconds) if len(ref.seconds) > 1 else np.zeros(len(ref.seconds))
    return LapTimeline(ref.distance_m.astype(float), ref.seconds.astype(float), np.nan_to_num(speed),
                    ref.time_ms / 1000.0)


class Predictions:
    """One car's live prediction; the model is refitted when a lap completes or the car followed changes."""

    def __init__(self) -> None:
        self._key: tuple[int, int, int, int] | None = None
        self._live: LivePredictor | None = None

    def update(self, standings: Standings, plid: int) -> LapPrediction | None:
        """Call with the source's lock held (it reads the standings)."""
        ref = standings.own_refs.get(plid) or standings.best_ref
        if ref is None or not plid:
            return None
        key = (plid, standings.laps_seen, ref.plid, ref.lap)
        if key != self._key:
            history = [lap_trace(h) for h in standings.history.get(plid, ())
                       if (h.plid, h.lap) != (ref.plid, ref.lap)]
            self._live = LivePredictor(fit_lap_model(lap_trace(ref), history))
            self._key = key
        position = standings.position(plid)
        if position is None or self._live is None:
            return None
        return self._live.update(*position)
