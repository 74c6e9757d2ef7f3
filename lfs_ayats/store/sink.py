"""Telemetry events -> buffered rows and sample blocks, written in batches (one thread uses a sink).

`EventSink.handle(event)` sorts an event into a buffer; `flush()` writes every buffer in one
transaction with Core executemany. Sessions and drivers are written at once (laps need their ids;
there are a handful). A `RaceStarted` ends the session in progress and begins another. An import's
sink (`background=True`) writes each batch in a thread of its own while the feed goes on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any, Literal

import numpy as np
from sqlalchemy import Engine, insert, update

from lfs_ayats.telemetry.events import (
    CarFinished,
    CarReset,
    CarSamples,
    Contact,
    ContactCar,
    Event,
    FeedGap,
    FlagChanged,
    GaugeSample,
    HotlapViolation,
    LapCompleted,
    LapReclassified,
    MotionSample,
    ObjectHit,
    PenaltyChanged,
    PitLaneChanged,
    PitStopFinished,
    PitStopStarted,
    PlayerJoined,
    PlayerLeft,
    PlayerPitted,
    RaceFinished,
    RaceReported,
    RaceStarted,
    ResultConfirmed,
    SampleColumns,
    SplitCompleted,
    StateReported,
)
from lfs_ayats.telemetry.viewed_columns import (
    GAUGE_COLUMNS,
    MOTION_COLUMNS,
    MOTION_WHEEL_COLUMNS,
    WHEEL_COLUMNS,
)

from .batch_write import Batch, Written, write_batch
from .tables import drivers_table, sessions_table
from .write_process import WriterProcess

CAR_CHANNELS = ("node", "position", "info", "x_m", "y_m", "z_m", "speed_mps", "direction_rad", "heading_rad",
                "yaw_rate_radps", "invalid", "lap_fraction", "lap_distance_m", "accel_long_mps2", "accel_lat_mps2",
                "gap_to_leader_s", "interval_s")
GAUGE_CHANNELS = GAUGE_COLUMNS
MOTION_CHANNELS = MOTION_COLUMNS
WHEEL_CHANNELS = WHEEL_COLUMNS
MAX_PLID = 256

_gauge_values = attrgetter("t", "plid", *GAUGE_CHANNELS)
_motion_values = attrgetter("t", "plid", *MOTION_CHANNELS)
_wheel = attrgetter(*WHEEL_CHANNELS)
_NO_WHEELS = (math.nan,) * len(MOTION_WHEEL_COLUMNS)


@dataclass
class SinkCounters:
    sessions: int = 0
    laps: int = 0
    events: int = 0
    samples: int = 0  # one car at one instant, one OutGauge or one OutSim datagram
    blocks: int = 0
    flushes: int = 0
    flush_seconds_max: float = 0.0
    ignored: int = 0  # samples and laps that came before any session could be named


@dataclass
class SourceInfo:
    """Where the events come from: written on every session the sink opens."""

    source: str = "live"
    path: str = ""
    sha256: str | None = None
    lfs_version: str = ""
    started_at: datetime | None = None


@dataclass
class _Open:
    id: int
    track: str
    t_start: float
    drivers: dict[int, int] = field(default_factory=dict)  # plid -> drivers.id
    content: bool = False  # laps or samples: a race start after this begins a new session
    cars: set[str] = field(default_factory=set)


class EventSink:
    """Buffers one feed's events for one database; not thread-safe (one thread calls it).

    With `background` a flush hands its batch over and returns: "process" writes in a process of
    the sink's own (store/write_process.py: a second core for real), "thread" (or True) in a thread.
    Every other write (sessions, drivers) first waits for that batch, so the database sees the
    writes in order.
    """

    def __init__(self, engine: Engine, info: SourceInfo | None = None, *,
                 background: bool | Literal["thread", "process"] = False, hold_laps: bool = False) -> None:
        self.engine = engine
        self._process = WriterProcess(engine) if background == "process" else None
        # An import's flushes keep each car's lap in progress for the next one, so a lap is written
        # once, whole: merging the pieces of a lap cut by a flush (read back, decode, re-encode)
        # cost as much as writing it. Live flushes every second and merges instead.
        self.hold_laps = hold_laps
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="lfs-ayats-sink") if background in (
            True, "thread") else None
        self._in_flight: Future[None] | None = None
        self.write_seconds = 0.0  # spent building and writing batches (in the writer thread, if any)
        self.wait_seconds = 0.0  # spent by the caller waiting for the writer thread
        self.info = info or SourceInfo()
        self.counters = SinkCounters()
        self.session: _Open | None = None
        self.session_ids: list[int] = []
        self._race: RaceReported | None = None
        self._state: StateReported | None = None
        self._players: dict[int, PlayerJoined] = {}
        self._lap = np.zeros(MAX_PLID, np.int64)  # each car's lap being driven, from IS_MCI
        self._top = np.full(MAX_PLID, np.nan)  # top speed in the lap so far
        self._fuel: dict[int, float] = {}
        self._cars = _Viewed(("t", "plid", "lap", *CAR_CHANNELS))
        self._gauge = _Viewed(("lap", "t", "plid", *GAUGE_CHANNELS))
        self._motion = _Viewed(("lap", "t", "plid", *MOTION_CHANNELS, *MOTION_WHEEL_COLUMNS))
        self._laps: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._reclassified: list[LapReclassified] = []
        self._completed: list[tuple[int, int]] = []  # (plid, lap) whose blocks to merge into one per source
        self._held = 0
        self.last_flush = time.monotonic()
        self.last_t = 0.0

    # -- input ---------------------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Buffered rows (car samples count one per car)."""
        return self._cars.rows + self._gauge.rows + self._motion.rows + len(self._laps) + len(self._events)

    @property
    def fresh(self) -> int:
        """Buffered rows that came since the last flush (`pending` less the laps held back)."""
        return self.pending - self._held

    def handle(self, ev: Event) -> None:
        self.last_t = ev.t
        if isinstance(ev, CarSamples):
            self._car_samples(ev)
        elif isinstance(ev, GaugeSample | MotionSample):
            if self._need_session(ev) is None:
                return
            lap = int(self._lap[ev.plid]) if 0 <= ev.plid < MAX_PLID else 0  # the lap per IS_MCI, so far
            if isinstance(ev, GaugeSample):
                self._gauge.add_row((lap, *_gauge_values(ev)))
            else:
                self._motion.add_row((lap, *_motion_values(ev), *_wheel_values(ev)))
        elif isinstance(ev, SampleColumns):
            self._sample_columns(ev)
        elif isinstance(ev, LapCompleted):
            self._lap_completed(ev)
        elif isinstance(ev, LapReclassified):
            self._reclassified.append(ev)
        elif isinstance(ev, RaceStarted):
            self._race = ev
            self._race_started(ev)
            self._event(ev, "race_start", 0, {"mode": ev.mode, "laps": ev.race_laps, "hours": ev.race_hours})
        elif isinstance(ev, RaceReported):
            self._race = ev
        elif isinstance(ev, StateReported):
            self._state = ev
        elif isinstance(ev, PlayerJoined):
            self._player_joined(ev)
        elif isinstance(ev, PlayerLeft):
            self._players.pop(ev.plid, None)
            self._event(ev, "leave", ev.plid, {})
        elif isinstance(ev, SplitCompleted):
            if ev.fuel_fraction is not None:
                self._fuel[ev.plid] = ev.fuel_fraction
        elif isinstance(ev, Contact):  # a row for each car: "incidents of a car" is one indexed query
            self._event(ev, "contact", ev.a.plid, _contact_detail(ev.a, ev.b, ev.closing_speed_mps))
            self._event(ev, "contact", ev.b.plid, _contact_detail(ev.b, ev.a, ev.closing_speed_mps))
        else:
            row = event_detail(ev)
            if row is not None:
                kind, plid, detail = row
                self._event(ev, kind, plid, detail)

    def flush(self, *, everything: bool = False) -> None:
        """Write the buffers in one transaction (in the writer thread, if the sink has one).

        With `hold_laps`, samples of each car's lap in progress stay for a later flush unless
        `everything` (the end of a session or of the input).
        """
        batch = self._take(hold=self.hold_laps and not everything)
        if self._thread is None and self._process is None:
            self._write(batch)
            return
        self.wait()  # one batch in flight at a time: bounded memory, and writes in order
        if self._process is not None:
            self._process.submit(batch)
        else:
            assert self._thread is not None
            self._in_flight = self._thread.submit(self._write, batch)

    def wait(self) -> None:
        """Wait for the batch being written in the background, re-raising what it raised."""
        started = time.perf_counter()
        future, self._in_flight = self._in_flight, None
        try:
            if future is not None:
                future.result()
            if self._process is not None:
                written = self._process.wait()
                if written is not None:
                    self._account(written)
        finally:
            self.wait_seconds += time.perf_counter() - started

    def close(self) -> None:
        """Flush, and note the end of the session in progress."""
        try:
            self.flush(everything=True)
            self.wait()
            self._close_session(self.last_t)
        finally:
            self.stop_thread()

    def stop_thread(self) -> None:
        """End the writer thread or process once the batch in flight is written (a failure there is not raised)."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
        if self._process is not None:
            self._process.close()
            self._process = None

    def _take(self, hold: bool = False) -> Batch:
        session = self.session
        current = self._lap if hold else None
        batch = Batch(None if session is None else session.id, self._cars.take(current),
                       self._gauge.take(current), self._motion.take(current), self._laps, self._events,
                       self._reclassified, self._completed)
        self._laps, self._events, self._reclassified, self._completed = [], [], [], []
        self._held = self._cars.rows + self._gauge.rows + self._motion.rows
        return batch

    def _write(self, batch: Batch) -> None:
        self._account(write_batch(self.engine, batch))

    def _account(self, written: Written) -> None:
        counters = self.counters
        counters.laps += written.laps
        counters.events += written.events
        counters.blocks += written.blocks
        counters.samples += written.samples
        counters.flushes += 1
        counters.flush_seconds_max = max(counters.flush_seconds_max, written.seconds)
        self.write_seconds += written.seconds
        self.last_flush = time.monotonic()

    # -- sessions and drivers ------------------------------------------------------------------------

    def _need_session(self, ev: Event) -> _Open | None:
        if self.session is None:
            if self._race is None and self._state is None:
                self.counters.ignored += 1
                return None
            self._open_session(ev.t)
        return self.session

    def _race_started(self, ev: RaceStarted) -> None:
        session = self.session
        if session is None or session.content:
            self._close_session(ev.t)
            self._open_session(ev.t)
            return
        # Only the pre-start chatter (players joining, the grid) so far: it is this race's session.
        session.track = ev.track
        self.wait()
        with self.engine.begin() as conn:
            conn.execute(update(sessions_table).where(sessions_table.c.id == session.id)
                         .values(**self._session_fields(ev.t)))

    def _session_fields(self, t: float) -> dict[str, Any]:
        race, state = self._race, self._state
        track = race.track if race else state.track if state else ""
        mode = race.mode if race else (state.race_in_progress if state else "")
        return {"track": track, "mode": mode, "race_laps": race.race_laps if race else 0,
                "race_hours": race.race_hours if race else 0, "weather": race.weather if race else 0,
                "wind": race.wind if race else 0, "t_start": t}

    def _open_session(self, t: float) -> None:
        track = self._session_fields(t)["track"]
        row = {
            **self._session_fields(t), "lfs_version": self.info.lfs_version,
            "started_at": self.info.started_at, "source": self.info.source,
            "source_path": self.info.path, "source_hash": self.info.sha256, "source_index": len(self.session_ids),
        }
        self.wait()
        with self.engine.begin() as conn:
            session_id = int(conn.execute(insert(sessions_table).values(**row)).inserted_primary_key[0])  # type: ignore[index]
        self.session = _Open(session_id, track, t)
        self.session_ids.append(session_id)
        self.counters.sessions += 1
        self._top[:] = np.nan
        for player in self._players.values():
            self._add_driver(player)

    def _close_session(self, t: float) -> None:
        session = self.session
        if session is None:
            return
        self.flush(everything=True)
        self.wait()
        with self.engine.begin() as conn:
            conn.execute(update(sessions_table).where(sessions_table.c.id == session.id)
                         .values(t_end=t, cars=",".join(sorted(session.cars))))
        self.session = None

    def _player_joined(self, ev: PlayerJoined) -> None:
        known = self._players.get(ev.plid)
        self._players[ev.plid] = ev
        if self.session is not None and (known is None or known.name != ev.name or ev.plid not in self.session.drivers):
            self._add_driver(ev)
        if not ev.reply and not ev.rejoin and self.session is not None:
            self._event(ev, "join", ev.plid, {"name": ev.name, "car": ev.car})

    def _add_driver(self, ev: PlayerJoined) -> None:
        session = self.session
        assert session is not None
        row = {"session_id": session.id, "plid": ev.plid, "ucid": ev.ucid, "name": ev.name, "user_name": ev.user_name,
               "plate": ev.plate, "car": ev.car, "ai": ev.ai}
        self.wait()
        with self.engine.begin() as conn:
            session.drivers[ev.plid] = int(conn.execute(insert(drivers_table).values(**row)).inserted_primary_key[0])  # type: ignore[index]
        session.cars.add(ev.car)

    # -- samples, laps, events -------------------------------------------------------------------------

    def _car_samples(self, ev: CarSamples) -> None:
        if len(ev) == 0:
            return
        plid = ev.plid.astype(np.int64)
        self._lap[plid] = ev.lap
        if self._need_session(ev) is None:
            return
        np.fmax.at(self._top, plid, ev.speed_mps)
        self.session.content = True  # type: ignore[union-attr]
        self._cars.add_columns({"t": np.full(len(ev), ev.t), "plid": ev.plid, "lap": ev.lap,
                                **{name: getattr(ev, name) for name in CAR_CHANNELS}})

    def _sample_columns(self, ev: SampleColumns) -> None:
        """What handling each of the events it stands for would do, at once."""
        columns = ev.columns
        if ev.source == "cars":
            plid = columns["plid"].astype(np.int64)
            last = len(plid) - 1 - np.unique(plid[::-1], return_index=True)[1]  # each car's latest row
            self._lap[plid[last]] = columns["lap"][last]
        if self.session is None and self._need_session(ev) is None:
            self.counters.ignored += ev.count - 1  # _need_session counted one
            return
        if ev.source == "cars":
            np.fmax.at(self._top, plid, columns["speed_mps"])
            self.session.content = True  # type: ignore[union-attr]
            self._cars.add_columns(columns)
        else:
            (self._gauge if ev.source == "gauge" else self._motion).add_columns(columns)

    def _lap_completed(self, ev: LapCompleted) -> None:
        session = self._need_session(ev)
        if session is None:
            return
        session.content = True
        self._completed.append((ev.plid, ev.lap))
        player = self._players.get(ev.plid)
        top = self._top[ev.plid]
        self._top[ev.plid] = np.nan
        fuel = ev.fuel_fraction if ev.fuel_fraction is not None else self._fuel.get(ev.plid)
        self._laps.append({
            "session_id": session.id, "driver_id": session.drivers.get(ev.plid), "plid": ev.plid,
            "driver": ev.driver, "track": session.track, "car": player.car if player else "", "lap": ev.lap,
            "time_ms": ev.lap_time_ms, "elapsed_ms": ev.elapsed_ms, "splits_ms": list(ev.splits_ms),
            "sectors_ms": list(ev.sectors_ms), "clean": ev.clean, "reason": ev.reasons[0] if ev.reasons else "",
            "reasons": list(ev.reasons), "notes": list(ev.notes), "penalty": ev.penalty, "pit_stops": ev.pit_stops,
            "fuel_fraction": fuel, "top_speed_mps": None if math.isnan(top) else float(top),
            "t_start": ev.t - ev.lap_time_ms / 1000.0, "t_end": ev.t,
        })

    def _event(self, ev: Event, kind: str, plid: int, detail: dict[str, Any]) -> None:
        session = self._need_session(ev)
        if session is None:
            return
        lap = int(self._lap[plid]) if 0 < plid < MAX_PLID else 0
        self._events.append({"session_id": session.id, "kind": kind, "plid": plid, "lap": lap, "t": ev.t,
                             "time_ms": getattr(ev, "time_ms", None), "detail": detail})


class _Viewed:
    """One source's buffered samples: column pieces and rows (live OutSim/OutGauge), in arrival order."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.rows = 0
        self._pieces: list[dict[str, np.ndarray]] = []
        self._tuples: list[tuple[Any, ...]] = []

    def add_row(self, row: tuple[Any, ...]) -> None:
        self._tuples.append(row)
        self.rows += 1

    def add_columns(self, columns: dict[str, np.ndarray]) -> None:
        self._close_rows()
        self._pieces.append({name: columns[name] for name in self.names})
        self.rows += len(columns["t"])

    def take(self, current_lap: np.ndarray | None = None) -> dict[str, np.ndarray] | None:
        """The buffered samples as columns (None if there are none).

        With `current_lap` (each PLID's lap in progress), the samples of laps in progress stay.
        """
        self._close_rows()
        pieces, self._pieces, self.rows = self._pieces, [], 0
        if not pieces:
            return None
        columns = pieces[0] if len(pieces) == 1 else {
            name: np.concatenate([p[name] for p in pieces]) for name in self.names}
        if current_lap is None:
            return columns
        held = columns["lap"] == current_lap[columns["plid"].astype(np.intp)]
        if held.any():
            self.add_columns({name: values[held] for name, values in columns.items()})
            done = ~held
            if not done.any():
                return None
            columns = {name: values[done] for name, values in columns.items()}
        return columns

    def _close_rows(self) -> None:
        if self._tuples:
            self._pieces.append(_columns(self._tuples, self.names))
            self._tuples = []


def _contact_detail(car: ContactCar, other: ContactCar, closing_speed_mps: float) -> dict[str, Any]:
    return {"other_plid": other.plid, "closing_speed_mps": closing_speed_mps, "speed_mps": car.speed_mps,
            "other_speed_mps": other.speed_mps, "x_m": car.x_m, "y_m": car.y_m}


def _wheel_values(ev: MotionSample) -> tuple[float, ...]:
    wheels = ev.wheels
    if len(wheels) != 4:
        return _NO_WHEELS
    return _wheel(wheels[0]) + _wheel(wheels[1]) + _wheel(wheels[2]) + _wheel(wheels[3])


def _columns(rows: list[tuple[Any, ...]], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    # One conversion of the whole batch to a float matrix (numpy makes None NaN) is a fraction of
    # the cost of one per column; the integer keys are read on their own.
    try:
        matrix = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        matrix = None
    if matrix is None or matrix.shape != (len(rows), len(names)):
        return _columns_one_by_one(rows, names)
    out: dict[str, np.ndarray] = {}
    for i, name in enumerate(names):
        if name in ("plid", "lap"):
            out[name] = _column([row[i] for row in rows], name)
        else:
            out[name] = np.ascontiguousarray(matrix[:, i])
    return out


def _columns_one_by_one(rows: list[tuple[Any, ...]], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {name: _column(values, name) for name, values in zip(names, zip(*rows, strict=True), strict=True)}


def _column(values: Sequence[Any], name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.int64 if name in ("plid", "lap") else np.float64)
    except (TypeError, ValueError):  # None in an optional channel
        return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def event_detail(ev: Event) -> tuple[str, int, dict[str, Any]] | None:
    """(kind, plid, detail) for an event the events table keeps; None for the rest."""
    if isinstance(ev, ObjectHit):
        return "object_hit", ev.plid, {"closing_speed_mps": ev.closing_speed_mps, "object_index": ev.object_index,
                                       "layout": ev.layout, "x_m": ev.object_x_m, "y_m": ev.object_y_m}
    if isinstance(ev, HotlapViolation):
        return "hlv", ev.plid, {"reason": ev.reason, "x_m": ev.car.x_m, "y_m": ev.car.y_m}
    if isinstance(ev, PenaltyChanged):
        return "penalty", ev.plid, {"old": ev.old, "new": ev.new, "reason": ev.reason}
    if isinstance(ev, PitStopStarted):
        return "pit_stop", ev.plid, {"laps_done": ev.laps_done, "fuel_added_fraction": ev.fuel_added_fraction,
                                     "tyres": list(ev.tyres), "work": ev.work}
    if isinstance(ev, PitStopFinished):
        return "pit_stop_finished", ev.plid, {"stop_time_ms": ev.stop_time_ms}
    if isinstance(ev, PitLaneChanged):
        return "pit_lane", ev.plid, {"entered": ev.entered, "purpose": ev.purpose}
    if isinstance(ev, FlagChanged):
        return "flag", ev.plid, {"flag": ev.flag, "on": ev.on, "car_behind": ev.car_behind}
    if isinstance(ev, CarReset):
        return "car_reset", ev.plid, {}
    if isinstance(ev, PlayerPitted):
        return "garage", ev.plid, {}
    if isinstance(ev, RaceFinished):
        return "race_finish", ev.winner_plid, {}
    if isinstance(ev, CarFinished):
        return "finish", ev.plid, {"total_time_ms": ev.total_time_ms, "best_lap_ms": ev.best_lap_ms,
                                   "laps_done": ev.laps_done, "pit_stops": ev.pit_stops}
    if isinstance(ev, ResultConfirmed):
        return "result", ev.plid, {"position": ev.position, "name": ev.name, "car": ev.car,
                                   "total_time_ms": ev.total_time_ms, "best_lap_ms": ev.best_lap_ms,
                                   "laps_done": ev.laps_done, "pit_stops": ev.pit_stops, "penalty_s": ev.penalty_s}
    if isinstance(ev, FeedGap):
        return "gap", 0, {"reason": ev.reason}
    return None
