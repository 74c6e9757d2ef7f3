"""Bounded ring buffers for the live UI: the last N samples per car and channel, whatever the session's length.

The UI owns its clock: it reads `latest(...)` (a fresh copy, oldest first) at 10-20 Hz; samples
arrive at up to 100 Hz. Memory is fixed at construction: numpy arrays that are overwritten in a
ring, one row per sample, and for IS_MCI one row per set with a column per car (48 columns, reused
when a player leaves), so a whole set is stored with one assignment per channel.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .events import CarSamples, Event, GaugeSample, MotionSample, PlayerLeft, RaceStarted

GAUGE_CHANNELS = ("speed_mps", "rpm", "throttle", "brake", "clutch", "gear", "fuel_fraction", "turbo_pa")
MOTION_CHANNELS = ("lap_distance_m", "speed_mps", "steer_rad", "throttle", "brake", "engine_speed_radps")
CAR_CHANNELS = ("speed_mps", "lap_distance_m", "lap_fraction", "gap_to_leader_s", "interval_s",
                "accel_long_mps2", "accel_lat_mps2", "x_m", "y_m")
MAX_CARS = 48
MAX_PLID = 256


class RingBuffer:
    """The last `capacity` (time, value) pairs of one channel."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a ring buffer needs a capacity of at least 1")
        self.capacity = capacity
        self._t = np.full(capacity, np.nan)
        self._v = np.full(capacity, np.nan)
        self._next = 0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, t: float, value: float) -> None:
        i = self._next
        self._t[i] = t
        self._v[i] = value
        self._next = (i + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    def latest(self, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(times, values) of the newest `n` samples (all kept if None), oldest first; copies."""
        count = self._count if n is None else max(0, min(n, self._count))
        idx = (self._next - count + np.arange(count)) % self.capacity
        return self._t[idx], self._v[idx]

    def values(self, n: int | None = None) -> tuple[float, ...]:
        """The newest values as a new tuple (what a Sparkline's `data` wants)."""
        return tuple(self.latest(n)[1].tolist())

    def clear(self) -> None:
        self._next = self._count = 0


class CarRing:
    """IS_MCI sets: a row per set, a column per car, one array per channel."""

    def __init__(self, capacity: int, channels: Iterable[str] = CAR_CHANNELS, max_cars: int = MAX_CARS) -> None:
        self.capacity = capacity
        self.channels = tuple(channels)
        self._t = np.full(capacity, np.nan)
        self._data = {ch: np.full((capacity, max_cars), np.nan, dtype=np.float32) for ch in self.channels}
        self._column = np.full(MAX_PLID, -1, dtype=np.intp)
        self._free = list(range(max_cars - 1, -1, -1))
        self._next = 0
        self._count = 0
        self.overflow = 0  # samples of cars beyond `max_cars` (not kept)

    def __len__(self) -> int:
        return self._count

    def append(self, samples: CarSamples) -> None:
        plid = samples.plid.astype(np.intp)
        columns = self._column[plid]
        if (columns < 0).any():
            for p in plid[columns < 0]:
                if self._free:
                    self._column[p] = self._free.pop()
            columns = self._column[plid]
        keep = columns >= 0
        self.overflow += int(np.count_nonzero(~keep))
        row = self._next
        self._t[row] = samples.t
        for ch in self.channels:
            data = self._data[ch]
            data[row] = np.nan
            data[row, columns[keep]] = getattr(samples, ch)[keep]
        self._next = (row + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    def latest(self, plid: int, channel: str, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(times, values) of one car's newest `n` rows, oldest first (NaN where the car was absent)."""
        count = self._count if n is None else max(0, min(n, self._count))
        idx = (self._next - count + np.arange(count)) % self.capacity
        column = self._column[plid] if 0 <= plid < MAX_PLID else -1
        if column < 0:
            return self._t[idx], np.full(count, np.nan)
        return self._t[idx], self._data[channel][idx, column].astype(np.float64)

    def release(self, plid: int) -> None:
        """A player left: their column is cleared and reused."""
        column = int(self._column[plid])
        if column >= 0:
            for data in self._data.values():
                data[:, column] = np.nan
            self._column[plid] = -1
            self._free.append(column)


class TelemetryBuffers:
    """A feed listener that keeps the last `seconds` of every channel the live views draw."""

    def __init__(self, seconds: float = 60.0, sample_hz: float = 100.0, set_hz: float = 20.0) -> None:
        self.sample_capacity = max(1, round(seconds * sample_hz))
        self.gauge: dict[int, dict[str, RingBuffer]] = {}
        self.motion: dict[int, dict[str, RingBuffer]] = {}
        self.cars = CarRing(max(1, round(seconds * set_hz)))

    def __call__(self, event: Event) -> None:
        if isinstance(event, CarSamples):
            self.cars.append(event)
        elif isinstance(event, GaugeSample):
            self._append(self.gauge, GAUGE_CHANNELS, event.plid, event)
        elif isinstance(event, MotionSample):
            self._append(self.motion, MOTION_CHANNELS, event.plid, event)
        elif isinstance(event, PlayerLeft):
            self.gauge.pop(event.plid, None)
            self.motion.pop(event.plid, None)
            self.cars.release(event.plid)
        elif isinstance(event, RaceStarted):
            for rings in (*self.gauge.values(), *self.motion.values()):
                for ring in rings.values():
                    ring.clear()

    def _append(self, store: dict[int, dict[str, RingBuffer]], channels: tuple[str, ...], plid: int,
                event: Event) -> None:
        rings = store.get(plid)
        if rings is None:
            if len(store) >= MAX_CARS:  # the viewed car changes; keep memory bounded all the same
                store.pop(next(iter(store)))
            rings = store[plid] = {ch: RingBuffer(self.sample_capacity) for ch in channels}
        t = event.t
        for ch, ring in rings.items():
            value = getattr(event, ch)
            ring.append(t, np.nan if value is None else float(value))

    def latest(self, source: str, plid: int, channel: str, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """`source` is "gauge" (OutGauge), "motion" (OutSim) or "cars" (IS_MCI)."""
        if source == "cars":
            return self.cars.latest(plid, channel, n)
        store = self.gauge if source == "gauge" else self.motion
        ring = store.get(plid, {}).get(channel)
        if ring is None:
            return np.zeros(0), np.zeros(0)
        return ring.latest(n)
