"""Accelerations of every car from successive IS_MCI samples, column-wise.

Longitudinal acceleration is the change of speed over the time between a car's samples; lateral
acceleration is the mean speed times the rate of change of the direction of motion (left
positive), which is the centripetal acceleration whatever the car's slip angle. A car whose
previous sample is older than `validate.MAX_SAMPLE_GAP_S` (a lost packet, a pause, the first
sample) gets NaN and the SAMPLE_GAP flag.
"""

from __future__ import annotations

import math

import numpy as np

from .validate import MAX_SAMPLE_GAP_S

MAX_PLID = 256
_TWO_PI = 2.0 * math.pi


class Kinematics:
    """Each car's previous time, speed and direction, indexed by PLID."""

    def __init__(self, max_gap_s: float = MAX_SAMPLE_GAP_S) -> None:
        self.max_gap_s = max_gap_s
        self._t = np.full(MAX_PLID, np.nan)
        self._speed = np.zeros(MAX_PLID)
        self._direction = np.zeros(MAX_PLID)
        # The rows (as bytes) of the last update when it updated every one of them, and its time:
        # the same cars again then share one time step (the usual case, and a few numpy calls less).
        self._last_rows: bytes | None = None
        self._last_t = math.nan

    def update(self, t: float, plid: np.ndarray, speed: np.ndarray,
               direction: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(longitudinal, lateral acceleration, too-old-to-derive mask) for one IS_MCI set."""
        rows = plid.astype(np.intp, copy=False)
        key = rows.tobytes()
        dt: float | np.ndarray = t - self._last_t
        every = key == self._last_rows and 0.0 < dt <= self.max_gap_s
        if not every:
            dt = t - self._t[rows]
            usable = (dt > 0.0) & (dt <= self.max_gap_s)  # NaN compares False: the first sample
            every = np.count_nonzero(usable) == len(rows)  # then no masking is needed
        safe_dt = dt if every else np.where(usable, dt, 1.0)
        before = self._speed[rows]
        along = (speed - before) / safe_dt
        turn = (direction - self._direction[rows] + math.pi) % _TWO_PI - math.pi
        across = 0.5 * (speed + before) * turn / safe_dt
        if every:  # then no dt is 0
            self._t[rows] = t
            self._speed[rows] = speed
            self._direction[rows] = direction
            self._last_rows, self._last_t = key, t
            return along, across, np.zeros(len(rows), dtype=bool)
        # Two sets stamped alike (a batch read off the socket at once) keep the older one as the base.
        keep = dt != 0.0
        self._t[rows[keep]] = t
        self._speed[rows[keep]] = speed[keep]
        self._direction[rows[keep]] = direction[keep]
        self._last_rows = None
        return np.where(usable, along, np.nan), np.where(usable, across, np.nan), ~usable & keep

    def set_base(self, rows: np.ndarray, t: np.ndarray, speed: np.ndarray, direction: np.ndarray) -> None:
        """Make these samples the cars' bases (what `update` would have left after them: car_runs.py)."""
        self._t[rows] = t
        self._speed[rows] = speed
        self._direction[rows] = direction
        self._last_rows = None  # the shared time step no longer holds

    def forget(self, plid: int | None = None) -> None:
        """Drop the history of one car, or of all (after a gap in the stream)."""
        self._last_rows = None
        if plid is None:
            self._t[:] = np.nan
        else:
            self._t[plid] = np.nan
