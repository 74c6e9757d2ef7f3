"""A field of 1 to 48 simulated cars in a practice, qualifying or race session.

Each car drives a sequence of plans (:mod:`lfs_ayats.sim.lap_plan`); :meth:`Field.step`
advances every car's plan clock by integer milliseconds, vectorised over the cars. Traffic
slows a car's plan clock (it cannot drive through the car ahead), so lap times include
the time lost behind others. Timing-line crossings are interpolated inside the step and
rounded to the millisecond once; events and the truth file use those same integers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lfs_ayats.packets.constants import CONF, PENALTY, PENR
from lfs_ayats.sim import penalties
from lfs_ayats.sim.cars import AIR_DENSITY_KG_M3, GRAVITY_MPS2, get_car
from lfs_ayats.sim.drivers import Driver, SessionMode, make_drivers
from lfs_ayats.sim.events import (
    Event,
    Finished,
    Incident,
    LapCompleted,
    ObjectHit,
    PenaltyChanged,
    PitLane,
    PitStopFinished,
    PitStopStarted,
    Retired,
    SessionEnded,
    SessionStarted,
    SplitCompleted,
)
from lfs_ayats.sim.incidents import MISTAKE_WEIGHTS
from lfs_ayats.sim.lap_plan import LapNoise, LapPlan, PlanEvent, PlanRequest, build_plan
from lfs_ayats.sim.objects import OBJECT_HIT_CHANCE, plan_object_hits
from lfs_ayats.sim.penalties import CarPenalty
from lfs_ayats.sim.physics import BaseLap, LapProfile, base_lap, pace_bucket
from lfs_ayats.sim.track import FloatArray, IntArray, Track, get_track
from lfs_ayats.sim.truth import TruthLog, write_truth_file

BoolArray = NDArray[np.bool_]

CHANNELS = (
    "distance",
    "speed",
    "offset",
    "direction_offset",
    "yaw_offset",
    "throttle",
    "brake",
    "clutch",
    "gear",
    "rpm",
    "accel_long",
    "accel_lat",
    "steer",
    "yaw_rate",
    "fuel_used",
    "slip_ratio",
    "tan_slip",
    "pit_lane",
    "helpless",
)
_CH = {name: i for i, name in enumerate(CHANNELS)}

FOLLOW_GAIN_PER_S = 1.2
"""Inside the minimum gap: how much slower than the leader per metre too close (m/s per m)."""
FOLLOW_BRAKE_SHARE = 0.6
"""Share of its braking a follower counts on when judging its distance to the car ahead."""
CATCH_UP_ACCEL_MPS2 = 3.0
SIDE_MARGIN_M = 1.0
"""Lateral room a follower wants beside the car ahead before it stops treating it as in the way."""
PASS_PATIENCE_S = 1.5
LATERAL_SPEED_MPS = 1.5
CONTACT_COOLDOWN_MS = 3000
NEIGHBOURS_CHECKED = 3
"""How many cars ahead a car looks at (cars alongside each other can hide the one in front)."""


def _helpless(profile: LapProfile) -> FloatArray:
    """1 where the driver has no control over the speed: locked wheels or a spin."""
    turning = np.abs(np.gradient(profile.yaw_offset_rad)) > 1e-3
    out: FloatArray = ((profile.slip_ratio <= -0.99) | turning).astype(np.float64)
    return out


@dataclass
class CarStates:
    """Per-car state after the last step, as arrays indexed by ``plid - 1``.

    Units are SI; angles follow LFS (0 = world +Y, counter-clockwise positive); lateral
    quantities (offset, steer, lateral acceleration, yaw rate) are positive to the left.
    """

    plid: IntArray
    lap: IntArray
    """Current lap (LFS CompCar.Lap): laps done + 1 once timing has started, else 0."""
    laps_done: IntArray
    lap_distance_m: FloatArray
    total_distance_m: FloatArray
    """Race progress: laps done x lap length + distance into the current lap."""
    node: IntArray
    x_m: FloatArray
    y_m: FloatArray
    z_m: FloatArray
    heading_rad: FloatArray
    direction_rad: FloatArray
    pitch_rad: FloatArray
    roll_rad: FloatArray
    speed_mps: FloatArray
    yaw_rate_radps: FloatArray
    velocity_mps: FloatArray
    """World-frame velocity, shape (N, 3)."""
    accel_mps2: FloatArray
    """World-frame acceleration (without gravity), shape (N, 3)."""
    accel_long_mps2: FloatArray
    accel_lat_mps2: FloatArray
    rpm: FloatArray
    gear: IntArray
    """0 = neutral, 1..n forward gears (reverse is never used)."""
    throttle: FloatArray
    brake: FloatArray
    clutch: FloatArray
    steer_rad: FloatArray
    fuel_kg: FloatArray
    fuel_fraction: FloatArray
    lateral_offset_m: FloatArray
    slip_ratio: FloatArray
    tan_slip_angle: FloatArray
    in_pit_lane: BoolArray
    off_track: BoolArray
    race_position: IntArray
    """1 = leader; by best lap in practice and qualifying (0 = no time yet)."""
    finished: BoolArray
    retired: BoolArray
    parked: BoolArray
    """Standing still for good (in the box after the session, or retired)."""
    best_lap_ms: IntArray
    last_lap_ms: IntArray
    pit_stops: IntArray
    gap_to_leader_s: FloatArray
    interval_s: FloatArray
    laps_behind: IntArray


@dataclass(frozen=True)
class CarSnapshot:
    """One car's state as Python scalars (handy for OutGauge/OutSim of the viewed car)."""

    plid: int
    car: str
    values: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@dataclass
class _Car:
    """Bookkeeping of one car that lives outside the vectorised arrays."""

    index: int
    driver: Driver
    base: BaseLap
    rng: random.Random
    box_distance: float
    penalty_rng: random.Random
    """Penalties and object hits draw from their own streams and leave ``rng``'s sequence alone."""
    object_rng: random.Random
    plan: LapPlan | None = None
    event_ptr: int = 0
    noise: LapNoise | None = None
    next_noise: LapNoise | None = None
    laps_done: int = 0
    lap_start_ms: int | None = None
    splits: list[int] = field(default_factory=list)
    lap_reasons: set[str] = field(default_factory=set)
    lap_blocked_s: float = 0.0
    lap_hotlap_invalid: bool = False
    lap_pitted: bool = False
    lap_kind: str = "flying"
    fuel_start_kg: float = 0.0
    best_lap_ms: int = 0
    last_lap_ms: int = 0
    pit_stops: int = 0
    pit_lap: int | None = None
    refuel_kg: float = 0.0
    stop_started_ms: int = 0
    pit_record: dict[str, Any] | None = None
    run_laps_left: int = 0
    finished: bool = False
    retired: bool = False
    parked: bool = False
    finish_rank: int = 0
    total_time_ms: int = 0
    pen: CarPenalty = field(default_factory=CarPenalty)

    @property
    def plid(self) -> int:
        return self.index + 1

    @property
    def lap(self) -> int:
        return self.laps_done + 1 if self.lap_start_ms is not None else 0

    @property
    def race_time_ms(self) -> int:
        """Time of the last line crossing plus time penalties (LFS's race time)."""
        return self.total_time_ms + 1000 * self.pen.seconds


class Field:
    """Cars on a track in a session; advance it with :meth:`step`.

    ``drivers`` is a list of :class:`Driver` or a number of cars (generated from the seed,
    all in ``car``). Races run ``laps`` laps from a standing, staggered grid in the given
    driver order; practice and qualifying start in the pits and run for ``minutes``
    (practice without ``minutes`` runs until you stop stepping).
    ``pit_probability`` is the chance that a race driver makes one stop (default: 0.3 for
    races of 6 laps or more). ``mistake_scale`` multiplies every driver's mistake rate.
    In races, drivers now and then jump the start or speed in the pit lane and get LFS's
    penalties (:mod:`lfs_ayats.sim.penalties`); ``object_hit_chance`` is the chance that a car
    that leaves the track hits a cone or tyres (:mod:`lfs_ayats.sim.objects`).
    """

    def __init__(
        self,
        track: Track | str,
        drivers: Sequence[Driver] | int = 12,
        mode: SessionMode | str = SessionMode.RACE,
        *,
        laps: int = 5,
        minutes: float | None = None,
        seed: int = 0,
        car: str = "XFG",
        pit_probability: float | None = None,
        mistake_scale: float = 1.0,
        retire_chance: float = 0.15,
        object_hit_chance: float = OBJECT_HIT_CHANCE,
        tick_ms: int = 10,
    ) -> None:
        self.track = get_track(track) if isinstance(track, str) else track
        self.mode = SessionMode(mode)
        self.seed = seed
        self.drivers: list[Driver] = make_drivers(drivers, seed, car) if isinstance(drivers, int) else list(drivers)
        if not 1 <= len(self.drivers) <= 48:
            raise ValueError(f"a field has 1 to 48 cars, got {len(self.drivers)}")
        if self.mode is SessionMode.RACE and laps < 1:
            raise ValueError("a race needs at least one lap")
        self.laps = laps if self.mode is SessionMode.RACE else 0
        self.minutes = minutes if minutes is not None else (10.0 if self.mode is SessionMode.QUALIFY else None)
        if self.mode is SessionMode.RACE:
            self.minutes = None
        self.mistake_scale = mistake_scale
        self.retire_chance = retire_chance
        self.object_hit_chance = object_hit_chance
        if pit_probability is None:
            pit_probability = 0.3 if self.laps >= 6 else 0.0
        self.pit_probability = pit_probability
        if tick_ms <= 0:
            raise ValueError("tick_ms must be positive")
        self.tick_ms = tick_ms
        self._rng = random.Random(f"{seed}:field")
        self._time_ms = 0
        self._tick_end = 0
        self._state_ms = 0
        self._started = False
        self._chequered = False
        self._ended = False
        self._finish_count = 0
        n = len(self.drivers)
        self.n_cars = n
        self._cars: list[_Car] = []
        for i, driver in enumerate(self.drivers):
            base = base_lap(self.track.code, get_car(driver.car).code, pace_bucket(driver.pace))
            self._cars.append(
                _Car(
                    index=i,
                    driver=driver,
                    base=base,
                    rng=random.Random(f"{seed}:car:{i + 1}"),
                    box_distance=self.track.pit.box_distance(i, n),
                    penalty_rng=random.Random(f"{seed}:penalties:{i + 1}"),
                    object_rng=random.Random(f"{seed}:objects:{i + 1}"),
                )
            )
        specs = [c.base.car for c in self._cars]
        self._idle = np.array([s.idle_rpm for s in specs])
        self._capacity = np.array([s.fuel_capacity_kg for s in specs])
        self._car_len = np.array([s.length_m for s in specs])
        self._car_width = np.array([s.width_m for s in specs])
        self._mu = np.array([c.base.limits.mu for c in self._cars])
        self._k_down = np.array([0.5 * AIR_DENSITY_KG_M3 * s.downforce_area_m2 / s.mass_kg for s in specs])
        self._plan_accel = np.zeros(n)
        self._helpless = np.zeros(n, dtype=bool)
        self._max_len = (
            len(self.track.x)
            + math.ceil((self.track.grid_front_m + 48 * self.track.grid_spacing_m) / self.track.step_m)
            + 4
        )
        k = self._max_len
        self._times = np.full((n, k), np.inf)
        self._dwell = np.zeros((n, k))
        self._chan = np.zeros((len(CHANNELS), n, k))
        self._plan_len = np.ones(n, dtype=np.int64)
        self._idx = np.zeros(n, dtype=np.int64)
        self._tau = np.zeros(n)
        self._next_due = np.full(n, np.inf)
        self._moving = np.zeros(n, dtype=bool)
        self._rate = np.ones(n)
        self._pass_offset = np.zeros(n)
        self._pass_target = np.zeros(n)
        self._blocked_for = np.zeros(n)
        self._plan_speed = np.zeros(n)
        self._fuel_start = np.zeros(n)
        self._progress_base = np.zeros(n)
        self._node_pass_ms = np.zeros((n, len(self.track.nodes)))
        self._prev_node = np.full(n, -1, dtype=np.int64)
        self._contact_until: dict[tuple[int, int], int] = {}
        self._lap_blocked_s = np.zeros(n)
        self._books_dirty = True
        self._order: IntArray = np.zeros(0, dtype=np.int64)
        self._ahead_idx: IntArray = np.zeros((0, 0), dtype=np.int64)
        self._ahead_gap = np.zeros((0, 0))
        self._ahead_lat = np.zeros((0, 0))
        self._standing = np.zeros(n, dtype=bool)
        self._half_width = np.full(n, 0.5 * float(self.track.width[0]))
        self._truth = TruthLog(header=self._truth_header(), players=self._truth_players())
        self._false_starts: list[_Car] = []
        self.cars = self._empty_states()
        self._start_session()
        self._refresh_state(0.0)

    # -- public ---------------------------------------------------------------------------

    @property
    def time_ms(self) -> int:
        """Session time: milliseconds since the session (or the race) started."""
        return self._time_ms

    @property
    def state_time_ms(self) -> int:
        """Session time of the state in :attr:`cars` (the last tick, ≤ :attr:`time_ms`)."""
        return self._state_ms

    @property
    def finished(self) -> bool:
        """True once every car has finished or retired."""
        return self._ended

    @property
    def chequered(self) -> bool:
        return self._chequered

    @property
    def plids(self) -> list[int]:
        return [c.plid for c in self._cars]

    @property
    def duration_ms(self) -> int | None:
        return None if self.minutes is None else round(self.minutes * 60_000)

    def step(self, dt_ms: int) -> list[Event]:
        """Advance the session by ``dt_ms`` milliseconds and return what happened, in order.

        Internally the field moves in fixed ticks of ``tick_ms``, so the outcome for a seed
        does not depend on how the caller slices time; the state is that of the last tick.
        """
        if dt_ms <= 0:
            raise ValueError(f"dt_ms must be positive, got {dt_ms}")
        events: list[Event] = []
        if not self._started:
            self._started = True
            events.append(SessionStarted(0, 0, self.mode.value, self.laps, self.minutes or 0.0))
            # LFS judges a jump start as the lights go green: the penalty comes at once.
            for c in self._false_starts:
                events.extend(self._give_penalty(c, 0, PENALTY.DT, PENR.FALSE_START))
        target = self._time_ms + dt_ms
        while self._tick_end + self.tick_ms <= target:
            events.extend(self._tick(self._tick_end, self.tick_ms))
            self._tick_end += self.tick_ms
        self._time_ms = target
        events.sort(key=lambda e: (e.time_ms, e.plid))
        return events

    def _tick(self, t0: int, dt_ms: int) -> list[Event]:
        events: list[Event] = []
        dt = dt_ms / 1000.0
        self._update_rates(dt)
        tau_prev = self._tau.copy()
        self._tau = np.where(self._moving, self._tau + dt * self._rate, self._tau)
        for c in np.nonzero(self._moving & (self._tau >= self._next_due))[0].tolist():
            events.extend(self._run_due(c, t0, float(tau_prev[c]), dt_ms))
        now = t0 + dt_ms
        if events:
            self._books_dirty = True
        self._state_ms = now
        duration = self.duration_ms
        if duration is not None and not self._chequered and now >= duration:
            events.extend(self._time_up(duration))
        self._refresh_state(dt)
        contacts = self._detect_contacts()
        events.extend(contacts)
        if contacts:
            self._books_dirty = True
        if not self._ended and all(c.finished or c.retired for c in self._cars):
            self._ended = True
            events.append(SessionEnded(now, 0))
            self._truth.results = self._results()
        return events

    def run(self, until_ms: int | None = None, dt_ms: int = 100) -> list[Event]:
        """Step until the session ends (or ``until_ms``); returns every event."""
        events: list[Event] = []
        while not self._ended and (until_ms is None or self._time_ms < until_ms):
            events.extend(self.step(dt_ms))
        return events

    def truth(self) -> dict[str, Any]:
        """The ground truth so far, as a JSON-serialisable dict."""
        out = self._truth.as_dict()
        out["time_ms"] = self._time_ms
        out["ended"] = self._ended
        if not out["results"]:
            out["results"] = self._results()
        return out

    def write_truth(self, path: str | Path) -> Path:
        return write_truth_file(self.truth(), path)

    def snapshot(self, plid: int) -> CarSnapshot:
        """The state of one car as scalars."""
        i = plid - 1
        values: dict[str, Any] = {}
        for name in CarStates.__dataclass_fields__:
            arr = getattr(self.cars, name)
            value = arr[i]
            values[name] = value.tolist() if isinstance(value, np.ndarray) else value.item()
        return CarSnapshot(plid, self._cars[i].base.car.code, values)

    def car_code(self, plid: int) -> str:
        return self._cars[plid - 1].base.car.code

    def driver(self, plid: int) -> Driver:
        return self._cars[plid - 1].driver

    # -- session set-up ---------------------------------------------------------------------

    def _truth_header(self) -> dict[str, Any]:
        t = self.track
        return {
            "track": {
                "code": t.code,
                "name": t.name,
                "length_m": round(t.length_m, 3),
                "split_distances_m": [round(d, 3) for d in t.split_distances],
                "nodes": len(t.nodes),
                "finish_node": t.finish_node,
                "split_nodes": list(t.split_nodes),
            },
            "mode": self.mode.value,
            "race_laps": self.laps,
            "minutes": self.minutes,
            "seed": self.seed,
        }

    def _truth_players(self) -> list[dict[str, Any]]:
        return [
            {
                "plid": c.plid,
                "name": c.driver.name,
                "user_name": c.driver.user_name,
                "car": c.base.car.code,
                "plate": c.driver.plate,
                "pace": c.driver.pace,
                "consistency": c.driver.consistency,
                "mistake_rate": c.driver.mistake_rate,
            }
            for c in self._cars
        ]

    def _start_session(self) -> None:
        track = self.track
        for c in self._cars:
            per_lap = float(c.base.profile.fuel_used_kg[-1]) * 1.05
            c.noise = self._draw_noise(c)
            c.next_noise = self._draw_noise(c)
            if self.mode is SessionMode.RACE:
                if c.driver.pit_lap is not None:
                    c.pit_lap = c.driver.pit_lap
                elif self.laps >= 4 and self._rng.random() < self.pit_probability:
                    # Lap 2 at the earliest: plans are made a lap ahead, so a stop after lap 1 could not be planned.
                    first = max(2, int(self.laps * 0.3))
                    c.pit_lap = self._rng.randint(first, max(first, int(self.laps * 0.7)))
                if c.pit_lap is not None and not 1 <= c.pit_lap < self.laps:
                    c.pit_lap = None
                laps_on_start = (c.pit_lap + 1.0) if c.pit_lap is not None else (self.laps + 1.5)
                fuel = min(c.base.car.fuel_capacity_kg, per_lap * laps_on_start)
                if c.pit_lap is not None:
                    c.refuel_kg = min(c.base.car.fuel_capacity_kg - per_lap, per_lap * (self.laps - c.pit_lap + 1.0))
                behind = track.grid_front_m + c.index * track.grid_spacing_m
                half = 0.5 * float(track.width[0])
                lateral = (0.42 if c.index % 2 == 0 else -0.42) * half
                mistakes = self._draw_mistakes(c, 1.0)
                reaction_s = c.rng.uniform(0.15, 0.55)
                start_speed = 0.0
                jumps = c.driver.false_start
                if jumps is None:
                    jumps = c.penalty_rng.random() < penalties.FALSE_START_CHANCE
                if jumps:
                    # Already rolling when the lights go green.
                    self._false_starts.append(c)
                    reaction_s = 0.0
                    start_speed = c.penalty_rng.uniform(1.0, 3.0)
                request = PlanRequest(
                    kind="race_start",
                    base=c.base,
                    noise=c.noise,
                    next_noise=c.next_noise,
                    start_speed=start_speed,
                    mistakes=mistakes,
                    start_dwell_s=reaction_s,
                    grid_behind_m=behind,
                    grid_lateral_m=lateral,
                    retire_chance=self.retire_chance,
                )
                c.lap_start_ms = 0
                c.lap_kind = "race_start"
                c.lap_reasons.add("race_start")
            else:
                fuel = min(c.base.car.fuel_capacity_kg, per_lap * 12.0)
                span = 40.0 if self.mode is SessionMode.QUALIFY else 90.0
                request = PlanRequest(
                    kind="garage_out",
                    base=c.base,
                    noise=LapNoise.none(c.base),
                    next_noise=c.next_noise,
                    box_distance=c.box_distance,
                    start_dwell_s=c.rng.uniform(0.5, span),
                )
            self._fuel_start[c.index] = fuel
            self._install(c, build_plan(request, c.rng))

    def _draw_noise(self, c: _Car) -> LapNoise:
        return LapNoise.draw(c.base, c.rng, c.driver.consistency)

    def _draw_mistakes(self, c: _Car, share: float) -> tuple[str, ...]:
        rate = c.driver.mistake_rate * self.mistake_scale * share
        count = 0
        # Poisson by inversion, at most two mistakes a lap.
        u = c.rng.random()
        p = math.exp(-rate)
        cum = p
        while u > cum and count < 2:
            count += 1
            p *= rate / count
            cum += p
        kinds = list(MISTAKE_WEIGHTS)
        weights = list(MISTAKE_WEIGHTS.values())
        return tuple(c.rng.choices(kinds, weights)[0] for _ in range(count))

    # -- plans ----------------------------------------------------------------------------

    def _install(self, c: _Car, plan: LapPlan) -> None:
        i = c.index
        plan_object_hits(plan, self.track, float(self._car_len[i]), c.object_rng, self.object_hit_chance)
        p = plan.profile
        n = len(p)
        if n > self._max_len:
            raise RuntimeError("plan longer than the preallocated buffer")
        c.plan = plan
        c.event_ptr = 0
        self._times[i, :n] = p.time_s
        self._times[i, n:] = np.inf
        self._dwell[i, :n] = p.dwell_s
        self._dwell[i, n:] = 0.0
        rows = (
            p.distance,
            p.speed_mps,
            p.lateral_offset_m,
            p.direction_offset_rad,
            p.yaw_offset_rad,
            p.throttle,
            p.brake,
            p.clutch,
            p.gear,
            p.rpm,
            p.accel_long_mps2,
            p.accel_lat_mps2,
            p.steer_rad,
            p.yaw_rate_radps,
            p.fuel_used_kg,
            p.slip_ratio,
            p.tan_slip_angle,
            plan.pit_lane,
            _helpless(p),
        )
        for ch, values in enumerate(rows):
            self._chan[ch, i, :n] = values
            self._chan[ch, i, n:] = values[-1]
        self._plan_len[i] = n
        self._idx[i] = 0
        self._moving[i] = True
        self._progress_base[i] = c.laps_done * self.track.length_m
        self._set_next_due(c)

    def _set_next_due(self, c: _Car) -> None:
        assert c.plan is not None
        nxt = c.plan.events[c.event_ptr].time_s if c.event_ptr < len(c.plan.events) else math.inf
        self._next_due[c.index] = min(nxt, c.plan.duration_s)

    def _next_plan(self, c: _Car) -> PlanRequest | None:
        """What the car drives next, after its current plan ended at the line."""
        assert c.plan is not None
        prev = c.plan
        common: dict[str, Any] = {
            "base": c.base,
            "start_speed": prev.end_speed,
            "start_gear": prev.end_gear,
            "box_distance": c.box_distance,
            "retire_chance": self.retire_chance,
        }
        c.noise = c.next_noise
        c.next_noise = self._draw_noise(c)
        assert c.noise is not None and c.next_noise is not None
        common["noise"] = c.noise
        common["next_noise"] = c.next_noise
        if c.finished:
            if prev.kind in ("in", "cooldown"):
                return PlanRequest(kind="park", **common)
            return PlanRequest(kind="cooldown", gentle=0.72, **common)
        race = self.mode is SessionMode.RACE
        if prev.kind == "in":
            if c.pen.serving == PENALTY.DT:
                return PlanRequest(kind="out", drive_through=True, mistakes=self._draw_mistakes(c, 0.5), **common)
            stop = penalties.STOP_GO_S if c.pen.serving == PENALTY.SG else self._stop_time(c)
            return PlanRequest(kind="out", stop_s=stop, mistakes=self._draw_mistakes(c, 0.5), **common)
        if race:
            lap = c.laps_done + 1
            stop_due = c.pit_lap is not None and c.laps_done + 1 == c.pit_lap and c.pit_stops == 0
            serve_due = c.pen.serve_at is not None and c.pen.serve_at <= lap
            if c.pen.pending and (serve_due or stop_due) and lap < self.laps:
                # A visit with a penalty pending serves it (no pit work); a planned stop waits a lap.
                if stop_due:
                    c.pit_lap = lap + 1 if lap + 1 < self.laps else None
                c.pen.serving = c.pen.value
                return self._in_lap(c, common)
            if stop_due:
                return self._in_lap(c, common)
            return PlanRequest(kind="flying", mistakes=self._draw_mistakes(c, 1.0), **common)
        if prev.kind in ("garage_out", "out"):
            c.run_laps_left = c.rng.randint(2, 4) if self.mode is SessionMode.QUALIFY else c.rng.randint(3, 7)
        if c.run_laps_left <= 0:
            return PlanRequest(kind="in", mistakes=self._draw_mistakes(c, 0.5), **common)
        c.run_laps_left -= 1
        return PlanRequest(kind="flying", mistakes=self._draw_mistakes(c, 1.0), **common)

    def _in_lap(self, c: _Car, common: dict[str, Any]) -> PlanRequest:
        """A race in lap; now and then the driver enters the pit lane too fast."""
        mistakes = self._draw_mistakes(c, 0.5)
        if c.driver.pit_speeding_mps is not None:
            excess = 0.0 if c.pen.entered_pits else c.driver.pit_speeding_mps
        elif c.penalty_rng.random() < penalties.PIT_SPEEDING_CHANCE:
            excess = c.penalty_rng.uniform(*penalties.PIT_SPEEDING_EXCESS_MPS)
        else:
            excess = 0.0
        c.pen.entered_pits = True
        return PlanRequest(kind="in", mistakes=mistakes, pit_speeding_mps=excess, **common)

    def _stop_time(self, c: _Car) -> float:
        if self.mode is SessionMode.RACE:
            return c.rng.uniform(3.0, 6.0) + c.refuel_kg / 2.0
        return c.rng.uniform(20.0, 60.0) if self.mode is SessionMode.PRACTICE else c.rng.uniform(15.0, 45.0)

    # -- stepping -------------------------------------------------------------------------

    @staticmethod
    def _wall_ms(t0_ms: int, dtau: float, rate: float, dt_ms: int) -> int:
        offset = dtau / max(rate, 1e-9) * 1000.0
        return t0_ms + round(min(max(offset, 0.0), float(dt_ms)))

    def _run_due(self, i: int, t0_ms: int, tau_prev: float, dt_ms: int) -> list[Event]:
        c = self._cars[i]
        rate = float(self._rate[i])
        out: list[Event] = []
        while self._moving[i] and self._tau[i] >= self._next_due[i]:
            plan = c.plan
            assert plan is not None
            if c.event_ptr < len(plan.events) and plan.events[c.event_ptr].time_s <= self._tau[i]:
                ev = plan.events[c.event_ptr]
                c.event_ptr += 1
                out.extend(self._plan_event(c, ev, self._wall_ms(t0_ms, ev.time_s - tau_prev, rate, dt_ms)))
            else:
                t_ms = self._wall_ms(t0_ms, plan.duration_s - tau_prev, rate, dt_ms)
                self._tau[i] -= plan.duration_s
                tau_prev -= plan.duration_s
                out.extend(self._plan_end(c, t_ms))
            if self._moving[i]:
                self._set_next_due(c)
        return out

    def _plan_event(self, c: _Car, ev: PlanEvent, t_ms: int) -> list[Event]:
        plid = c.plid
        if ev.kind == "split":
            if c.lap_start_ms is None or c.finished:
                return []
            split_time = t_ms - c.lap_start_ms
            c.splits.append(split_time)
            return [SplitCompleted(t_ms, plid, c.lap, int(ev.data["split"]), split_time, t_ms, c.pen.value)]
        if ev.kind == "pit_entry":
            if not c.pen.serving:
                c.pit_record = {"plid": plid, "lap": c.lap, "entry_ms": t_ms}
            return [PitLane(t_ms, plid, c.lap, True, c.pen.serving)]
        if ev.kind == "pit_exit":
            if c.pit_record is not None and "stop_end_ms" in c.pit_record:
                c.pit_record["exit_ms"] = t_ms
                c.pit_record = None
            out: list[Event] = [PitLane(t_ms, plid, c.lap, False)]
            c.pen.serving = 0
            if c.pen.value in penalties.VALID.values():
                # Served: LFS clears it as the car leaves the lane ("unknown or cleared penalty").
                c.pen.serve_at = None
                out.append(self._set_penalty(c, t_ms, PENALTY.NONE, PENR.UNKNOWN))
            return out
        if ev.kind == "box_pass":
            return self._served(c, PENALTY.DT, t_ms)
        if ev.kind == "pit_speeding":
            excess = float(ev.data["speed_mps"]) - float(ev.data["limit_mps"])
            new = penalties.speeding_penalty(excess)
            return self._give_penalty(c, t_ms, new, PENR.SPEEDING, dict(ev.data))
        if ev.kind == "object_hit":
            return [self._object_hit(c, ev, t_ms)]
        if ev.kind == "stop_start" and c.pen.serving == PENALTY.SG:
            # A stop-go: standing at the box, no pit work, so no IS_PIT.
            c.stop_started_ms = t_ms
            c.lap_pitted = True
            return []
        if ev.kind == "stop_end" and c.pen.serving == PENALTY.SG:
            return self._served(c, PENALTY.SG, t_ms)
        if ev.kind == "stop_start":
            c.stop_started_ms = t_ms
            c.lap_pitted = True
            if c.plan is not None and c.plan.kind == "park":
                return []
            fuel_add = c.refuel_kg if self.mode is SessionMode.RACE else self._practice_refuel(c)
            c.refuel_kg = fuel_add
            return [PitStopStarted(t_ms, plid, c.lap, c.laps_done, round(fuel_add, 3), fuel_add > 0.0, c.pen.value)]
        if ev.kind == "stop_end":
            duration = t_ms - c.stop_started_ms
            c.pit_stops += 1
            self._fuel_start[c.index] += c.refuel_kg
            record: dict[str, Any] = (
                c.pit_record if c.pit_record is not None else {"plid": plid, "lap": c.lap, "entry_ms": None}
            )
            record.update(
                {
                    "laps_done": c.laps_done,
                    "stop_start_ms": c.stop_started_ms,
                    "stop_end_ms": t_ms,
                    "duration_ms": duration,
                    "fuel_added_kg": round(c.refuel_kg, 3),
                    "exit_ms": None,
                }
            )
            self._truth.pit_stops.append(record)
            c.pit_record = record
            c.refuel_kg = 0.0
            return [PitStopFinished(t_ms, plid, c.lap, duration)]
        if ev.kind == "incident":
            spec = ev.data["spec"]
            return [self._incident(c, spec.kind, t_ms, self._plan_lap_distance(c, spec.index), dict(spec.detail))]
        return []

    def _practice_refuel(self, c: _Car) -> float:
        per_lap = float(c.base.profile.fuel_used_kg[-1])
        fuel_now = float(self.cars.fuel_kg[c.index])
        if fuel_now < 6.0 * per_lap:
            return min(c.base.car.fuel_capacity_kg, 12.0 * per_lap) - fuel_now
        return 0.0

    def _plan_lap_distance(self, c: _Car, index: int) -> float:
        assert c.plan is not None
        return float(c.plan.profile.distance[index] % self.track.length_m)

    def _incident(self, c: _Car, kind: str, t_ms: int, lap_distance: float, detail: dict[str, Any]) -> Incident:
        lap = c.lap
        c.lap_reasons.add(kind)
        if kind == "hotlap_invalid":
            c.lap_hotlap_invalid = True
        self._truth.incidents.append(
            {
                "plid": c.plid,
                "lap": lap,
                "time_ms": t_ms,
                "lap_distance_m": round(lap_distance, 2),
                "kind": kind,
                "detail": detail,
            }
        )
        return Incident(t_ms, c.plid, kind, lap, round(lap_distance, 2), detail)

    def _object_hit(self, c: _Car, ev: PlanEvent, t_ms: int) -> ObjectHit:
        data = ev.data
        lap_distance = self._plan_lap_distance(c, ev.index)
        x, y, z, _ = self.track.point_at(lap_distance + float(data["ahead_m"]), float(data["offset_m"]))
        closing = float(data["closing_speed_mps"])
        flags = int(data["flags"])
        # The knock takes some of the closing speed off the car (most of it, against a barrier).
        i = c.index
        vp = max(float(self._plan_speed[i]), 0.5)
        after = max(float(self.cars.speed_mps[i]) - float(data["knock"]) * closing, 0.0)
        self._rate[i] = min(float(self._rate[i]), after / vp)
        lap = c.lap
        c.lap_reasons.add("object_hit")
        detail = {
            "object": data["object"],
            "cause": data["cause"],
            "closing_speed_mps": closing,
            "x_m": round(x, 2),
            "y_m": round(y, 2),
            "z_m": round(z, 2),
            "object_index": 0,
            "flags": flags,
        }
        self._truth.incidents.append(
            {
                "plid": c.plid,
                "lap": lap,
                "time_ms": t_ms,
                "lap_distance_m": round(lap_distance, 2),
                "kind": "object_hit",
                "detail": detail,
            }
        )
        return ObjectHit(
            t_ms, c.plid, lap, round(lap_distance, 2), closing, detail["x_m"], detail["y_m"], detail["z_m"], 0, flags
        )

    # -- penalties --------------------------------------------------------------------------

    def _set_penalty(
        self, c: _Car, t_ms: int, new: int, reason: int, detail: dict[str, Any] | None = None
    ) -> PenaltyChanged:
        """Change a car's penalty value: one IS_PEN and one truth record."""
        old = c.pen.value
        c.pen.value = int(new)
        record: dict[str, Any] = {
            "plid": c.plid,
            "lap": c.lap,
            "time_ms": t_ms,
            "old": int(old),
            "new": int(new),
            "reason": int(reason),
        }
        if detail:
            record["detail"] = detail
        self._truth.penalties.append(record)
        return PenaltyChanged(t_ms, c.plid, int(old), int(new), int(reason))

    def _give_penalty(
        self, c: _Car, t_ms: int, kind: int, reason: int, detail: dict[str, Any] | None = None
    ) -> list[Event]:
        """A drive-through or stop-go for ``reason``; a time penalty if too late to serve it."""
        if self.mode is not SessionMode.RACE or c.finished or c.retired:
            return []
        pen = c.pen
        new = penalties.combined(pen.value, kind)
        delay = c.driver.serve_after_laps
        if delay is None:
            delay = penalties.draw_serve_delay(c.penalty_rng)
        in_visit = c.plan is not None and c.plan.kind == "in"
        try:
            serve_at = penalties.serve_lap(c.laps_done, self.laps, delay, in_visit)
        except ValueError:
            # Not enough laps left to come in: LFS gives the time penalty straight away.
            pen.reason = int(reason)
            return [self._set_penalty(c, t_ms, penalties.take_time_penalty(pen), reason, detail)]
        pen.reason = int(reason)
        pen.given_laps = c.laps_done
        pen.serve_at = serve_at
        return [self._set_penalty(c, t_ms, new, reason, detail)]

    def _served(self, c: _Car, kind: int, t_ms: int) -> list[Event]:
        """The drive-through or stop-go this visit was for is done: it becomes valid."""
        if c.pen.serving != kind or c.pen.value != kind:
            return []
        return [self._set_penalty(c, t_ms, penalties.VALID[PENALTY(kind)], c.pen.reason)]

    def _unserved(self, c: _Car, t_ms: int) -> list[Event]:
        """A drive-through or stop-go still to serve at its deadline or at the flag: 45 s."""
        return [self._set_penalty(c, t_ms, penalties.take_time_penalty(c.pen), c.pen.reason)]

    def _plan_end(self, c: _Car, t_ms: int) -> list[Event]:
        plan = c.plan
        assert plan is not None
        i = c.index
        out: list[Event] = []
        self._fuel_start[i] -= float(plan.profile.fuel_used_kg[-1])
        if plan.ends_parked:
            self._moving[i] = False
            self._tau[i] = plan.duration_s
            c.parked = True
            if plan.retires:
                c.retired = True
                out.append(Retired(t_ms, c.plid, c.lap, "stuck after a spin"))
            return out
        if plan.kind == "garage_out":
            self._start_lap(c, t_ms, "flying")
        elif not c.finished and c.lap_start_ms is not None:
            out.extend(self._complete_lap(c, t_ms))
        request = self._next_plan(c)
        if request is None:
            self._moving[i] = False
            return out
        if request.kind in ("in", "cooldown"):
            c.lap_reasons.add("in_lap")
        if request.kind == "out":
            c.lap_reasons.add("out_lap")
            if request.drive_through:
                c.lap_reasons.add("drive_through")
            elif c.pen.serving == PENALTY.SG:
                c.lap_reasons.add("stop_go")
            else:
                c.lap_reasons.add("pit_stop")
        if request.kind != "park" or not c.finished:
            c.lap_kind = request.kind
        self._install(c, build_plan(request, c.rng))
        return out

    def _start_lap(self, c: _Car, t_ms: int, kind: str) -> None:
        c.lap_start_ms = t_ms
        c.splits = []
        c.lap_reasons = set()
        c.lap_blocked_s = 0.0
        self._lap_blocked_s[c.index] = 0.0
        c.lap_hotlap_invalid = False
        c.lap_pitted = False
        c.lap_kind = kind

    def _complete_lap(self, c: _Car, t_ms: int) -> list[Event]:
        assert c.lap_start_ms is not None
        lap_time = t_ms - c.lap_start_ms
        c.laps_done += 1
        lap_number = c.laps_done
        if lap_time > 0 and (c.best_lap_ms == 0 or lap_time < c.best_lap_ms):
            c.best_lap_ms = lap_time
        c.last_lap_ms = lap_time
        c.total_time_ms = t_ms
        splits = tuple(c.splits)
        bounds = [0, *splits, lap_time]
        reasons = set(c.lap_reasons)
        c.lap_blocked_s = float(self._lap_blocked_s[c.index])
        if c.lap_blocked_s > 0.5:
            reasons.add("traffic")
        clean = not (reasons - {"traffic"})
        self._truth.laps.append(
            {
                "plid": c.plid,
                "lap": lap_number,
                "time_ms": lap_time,
                "splits_ms": list(splits),
                "sectors_ms": [b - a for a, b in pairwise(bounds)],
                "start_ms": c.lap_start_ms,
                "end_ms": t_ms,
                "kind": c.lap_kind,
                "clean": clean,
                "reasons": sorted(reasons),
                "hotlap_valid": not c.lap_hotlap_invalid,
                "blocked_s": round(c.lap_blocked_s, 3),
            }
        )
        fuel_fraction = float(self._fuel_start[c.index] / self._capacity[c.index])
        out: list[Event] = [
            LapCompleted(
                t_ms, c.plid, lap_number, lap_time, t_ms, splits, round(fuel_fraction, 4), c.pit_stops, c.pen.value
            )
        ]
        self._start_lap(c, t_ms, "flying")
        if self.mode is SessionMode.RACE:
            if penalties.overdue(c.pen, c.laps_done):
                out.extend(self._unserved(c, t_ms))
            if not self._chequered and c.laps_done >= self.laps:
                self._chequered = True
            if self._chequered:
                if c.pen.pending:
                    out.extend(self._unserved(c, t_ms))
                out.append(self._finish(c, t_ms))
        elif self._chequered:
            out.append(self._finish(c, t_ms))
        return out

    def _finish(self, c: _Car, t_ms: int) -> Finished:
        c.finished = True
        self._finish_count += 1
        c.finish_rank = self._finish_count
        if self.mode is SessionMode.RACE:
            # Where the car stands among those finished so far (a later one may still pass a penalised one).
            position = [o.plid for o in self._race_order() if o.finished].index(c.plid) + 1
        else:
            position = self._qualify_rank(c)
        confirm = int(CONF.CONFIRMED) | c.pen.confirm
        return Finished(
            t_ms, c.plid, position, c.laps_done, c.race_time_ms, c.best_lap_ms, c.pen.value, c.pen.seconds, confirm
        )

    def _qualify_rank(self, c: _Car) -> int:
        timed = sorted((o.best_lap_ms, o.plid) for o in self._cars if o.best_lap_ms > 0)
        for rank, (_, plid) in enumerate(timed, start=1):
            if plid == c.plid:
                return rank
        return len(timed) + 1

    def _time_up(self, duration_ms: int) -> list[Event]:
        """Qualifying/practice time is over: the flag is out; cars still in the box are done."""
        self._chequered = True
        out: list[Event] = []
        for c in self._cars:
            plan = c.plan
            if plan is None or c.finished or c.parked:
                continue
            waiting = plan.kind == "garage_out" and self._tau[c.index] < float(plan.profile.dwell_s[0])
            if waiting:
                self._moving[c.index] = False
                c.parked = True
                out.append(self._finish(c, duration_ms))
        return out

    def _race_order(self) -> list[_Car]:
        """Race classification: finishers, then the others by laps and time.

        Finishers keep the order they took the flag in, except that time penalties move a car
        down among those that finished with as many laps (LFS adds them to the race time).
        """
        finished = sorted((c for c in self._cars if c.finished), key=lambda c: c.finish_rank)
        slots: dict[int, list[int]] = {}
        for k, c in enumerate(finished):
            slots.setdefault(c.laps_done, []).append(k)
        ordered = list(finished)
        for ks in slots.values():
            group = sorted((finished[k] for k in ks), key=lambda c: (c.race_time_ms, c.finish_rank))
            for k, c in zip(ks, group, strict=True):
                ordered[k] = c
        rest = sorted((c for c in self._cars if not c.finished), key=lambda c: (-c.laps_done, c.total_time_ms))
        return ordered + rest

    def _results(self) -> list[dict[str, Any]]:
        if self.mode is SessionMode.RACE:
            order = self._race_order()
        else:
            order = sorted(self._cars, key=lambda c: (c.best_lap_ms == 0, c.best_lap_ms, c.plid))
        return [
            {
                "position": rank,
                "plid": c.plid,
                "laps_done": c.laps_done,
                "total_time_ms": c.race_time_ms,
                "best_lap_ms": c.best_lap_ms,
                "finished": c.finished,
                "retired": c.retired,
                "pit_stops": c.pit_stops,
                "penalty": c.pen.value,
                "penalty_s": c.pen.seconds,
            }
            for rank, c in enumerate(order, start=1)
        ]

    # -- traffic --------------------------------------------------------------------------

    def _track_order(self) -> IntArray:
        """Cars that can meet others, sorted by lap distance: not parked, not stopped in a box.

        Cars in the pit lane are included: its lateral offset keeps them apart from the
        track except where the lane merges, which is where they must give way.
        """
        s = self.cars
        on = np.nonzero(self._moving & ~(self._standing & s.in_pit_lane))[0]
        out: IntArray = on[np.argsort(s.lap_distance_m[on], kind="stable")]
        return out

    def _look_ahead(self) -> None:
        """For each car that can meet others, the next few cars ahead: index, gap and lateral gap."""
        s = self.cars
        order = self._track_order()
        n_on = len(order)
        m = min(NEIGHBOURS_CHECKED, max(n_on - 1, 0))
        pick = (np.arange(n_on)[None, :] + np.arange(1, m + 1)[:, None]) % max(n_on, 1)
        ahead = order[pick]
        self._order = order
        self._ahead_idx = ahead
        self._ahead_gap = (s.lap_distance_m[ahead] - s.lap_distance_m[order][None, :]) % self.track.length_m
        self._ahead_lat = np.abs(s.lateral_offset_m[ahead] - s.lateral_offset_m[order][None, :])

    def _update_rates(self, dt: float) -> None:
        s = self.cars
        order = self._order
        n_on = len(order)
        target = np.ones(self.n_cars)
        blocked = np.zeros(self.n_cars, dtype=bool)
        if n_on >= 2:
            ahead, gap, lat = self._ahead_idx, self._ahead_gap, self._ahead_lat
            vp = np.maximum(self._plan_speed[order], 0.5)
            width_i = self._car_width[order]
            side_room = 0.5 * (width_i[None, :] + self._car_width[ahead]) + SIDE_MARGIN_M
            g_min = 0.5 * (self._car_len[order][None, :] + self._car_len[ahead]) + 1.5
            close = (gap < 40.0) & (lat < side_room)
            # The speed from which the follower can still brake to the leader's speed in the spare gap.
            spare = np.maximum(gap - g_min, 0.0)
            brake = (FOLLOW_BRAKE_SHARE * self._braking(s.speed_mps))[order][None, :]
            allow = np.sqrt(s.speed_mps[ahead] ** 2 + 2.0 * brake * spare)
            allow = allow + FOLLOW_GAIN_PER_S * np.minimum(gap - g_min, 0.0)
            t = np.where(close, np.minimum(np.maximum(allow / vp[None, :], 0.0), 1.0), 1.0)
            best = t.min(axis=0)
            hinder = close & (t < 0.97)
            is_blocked = hinder.any(axis=0)
            # The nearest car that holds this one up is the one to pass.
            first = np.argmax(hinder, axis=0)
            cols = np.arange(n_on)
            lead = np.where(is_blocked, ahead[first, cols], order)
            near_ahead = (gap < 12.0).any(axis=0)
            target[order] = best
            blocked[order] = is_blocked
            # Passing: after a while stuck behind, move over to the side with more room.
            half = self._half_width[order] - 0.9
            lead_n = s.lateral_offset_m[lead]
            room = 0.5 * (width_i + self._car_width[lead]) + 0.7
            want = np.where(lead_n > 0.0, lead_n - room, lead_n + room)
            other = np.where(lead_n > 0.0, lead_n + room, lead_n - room)
            want = np.where(
                np.abs(want) <= half, want, np.where(np.abs(other) <= half, other, np.clip(want, -half, half))
            )
            plan_n = s.lateral_offset_m[order] - self._pass_offset[order]
            stuck = is_blocked & (self._blocked_for[order] > PASS_PATIENCE_S)
            behind = order[(cols - 1) % n_on]
            behind_gap = (s.lap_distance_m[order] - s.lap_distance_m[behind]) % self.track.length_m
            clear = ~near_ahead & (behind_gap > 12.0) & ~is_blocked
            # Move over when stuck, back to the line when nobody is near, otherwise hold the line.
            current = self._pass_offset[order]
            self._pass_target[order] = np.where(stuck, want - plan_n, np.where(clear, 0.0, current))
        self._blocked_for = np.where(blocked, self._blocked_for + dt, 0.0)
        self._lap_blocked_s += np.where(blocked, dt * (1.0 - target), 0.0)
        step = LATERAL_SPEED_MPS * dt
        self._pass_offset += np.minimum(np.maximum(self._pass_target - self._pass_offset, -step), step)
        # A follower may brake harder than its plan, up to what its tyres can do.
        vp_all = np.maximum(self._plan_speed, 1.0)
        # A plan run at rate r decelerates the car by r² times the plan's deceleration.
        from_plan = self._rate * self._rate * np.maximum(-self._plan_accel, 0.0)
        extra = np.maximum(self._braking(s.speed_mps) - from_plan, 1.5)
        change = np.minimum(np.maximum(target - self._rate, -extra * dt / vp_all), CATCH_UP_ACCEL_MPS2 * dt / vp_all)
        # Locked wheels or a spin: the driver cannot slow down any more than the car already does.
        change = np.where(self._helpless, np.maximum(change, 0.0), change)
        self._rate = np.minimum(np.maximum(self._rate + change, 0.0), 1.0)

    def _braking(self, speed: FloatArray) -> FloatArray:
        """The deceleration each driver can get from the tyres at ``speed``."""
        out: FloatArray = self._mu * (GRAVITY_MPS2 + self._k_down * speed * speed)
        return out

    def _detect_contacts(self) -> list[Event]:
        s = self.cars
        self._look_ahead()
        order = self._order
        if len(order) < 2:
            return []
        out: list[Event] = []
        rows = min(2, len(self._ahead_idx))
        ahead = self._ahead_idx[:rows]
        overlap = (self._ahead_gap[:rows] < 0.5 * (self._car_len[order][None, :] + self._car_len[ahead])) & (
            self._ahead_lat[:rows] < 0.5 * (self._car_width[order][None, :] + self._car_width[ahead])
        )
        closing = s.speed_mps[order][None, :] - s.speed_mps[ahead]
        # Pit lane traffic only follows; a car pulling out of its box is not a contact.
        both_in_pits = s.in_pit_lane[order][None, :] & s.in_pit_lane[ahead]
        hits = overlap & (closing > 0.3) & ~both_in_pits
        if hits.any():
            for r, k in zip(*np.nonzero(hits), strict=True):
                out.extend(self._contact(int(order[k]), int(ahead[r, k]), float(closing[r, k])))
        return out

    def _contact(self, i: int, j: int, closing: float) -> list[Event]:
        """Car i (behind) ran into car j: both get an incident; i is slowed by the knock."""
        if i == j:
            return []
        key = (min(i, j), max(i, j))
        if self._contact_until.get(key, -1) > self._state_ms:
            return []
        self._contact_until[key] = self._state_ms + CONTACT_COOLDOWN_MS
        s = self.cars
        speed = round(closing, 2)
        out: list[Event] = []
        for a, b in ((i, j), (j, i)):
            detail = {"other_plid": b + 1, "closing_speed_mps": speed, "role": "behind" if a == i else "ahead"}
            out.append(self._incident(self._cars[a], "contact", self._state_ms, float(s.lap_distance_m[a]), detail))
        # The knock takes most of the closing speed off the car behind (never below the car ahead).
        vp = max(float(self._plan_speed[i]), 0.5)
        after = max(float(s.speed_mps[i]) - 0.7 * closing, float(s.speed_mps[j]))
        self._rate[i] = min(float(self._rate[i]), after / vp)
        return out

    # -- state ----------------------------------------------------------------------------

    def _empty_states(self) -> CarStates:
        n = self.n_cars

        def f() -> FloatArray:
            return np.zeros(n)

        def i() -> IntArray:
            return np.zeros(n, dtype=np.int64)

        def b() -> BoolArray:
            return np.zeros(n, dtype=bool)

        return CarStates(
            plid=np.arange(1, n + 1, dtype=np.int64),
            lap=i(),
            laps_done=i(),
            lap_distance_m=f(),
            total_distance_m=f(),
            node=i(),
            x_m=f(),
            y_m=f(),
            z_m=f(),
            heading_rad=f(),
            direction_rad=f(),
            pitch_rad=f(),
            roll_rad=f(),
            speed_mps=f(),
            yaw_rate_radps=f(),
            velocity_mps=np.zeros((n, 3)),
            accel_mps2=np.zeros((n, 3)),
            accel_long_mps2=f(),
            accel_lat_mps2=f(),
            rpm=f(),
            gear=i(),
            throttle=f(),
            brake=f(),
            clutch=f(),
            steer_rad=f(),
            fuel_kg=f(),
            fuel_fraction=f(),
            lateral_offset_m=f(),
            slip_ratio=f(),
            tan_slip_angle=f(),
            in_pit_lane=b(),
            off_track=b(),
            race_position=i(),
            finished=b(),
            retired=b(),
            parked=b(),
            best_lap_ms=i(),
            last_lap_ms=i(),
            pit_stops=i(),
            gap_to_leader_s=f(),
            interval_s=f(),
            laps_behind=i(),
        )

    def _advance_indices(self) -> IntArray:
        rows = np.arange(self.n_cars)
        idx = self._idx
        last = self._plan_len - 1
        for _ in range(24):
            nxt = np.minimum(idx + 1, last)
            adv = (self._times[rows, nxt] <= self._tau) & (idx < last)
            if not adv.any():
                return idx
            idx = np.where(adv, nxt, idx)
        for r in rows.tolist():
            k = int(np.searchsorted(self._times[r, : self._plan_len[r]], self._tau[r], side="right")) - 1
            idx[r] = min(max(k, 0), int(last[r]))
        return idx

    def _refresh_state(self, dt: float) -> None:
        track = self.track
        s = self.cars
        rows = np.arange(self.n_cars)
        self._idx = self._advance_indices()
        idx = self._idx
        nxt = np.minimum(idx + 1, self._plan_len - 1)
        t_k = self._times[rows, idx]
        wait = self._dwell[rows, idx]
        span = self._times[rows, nxt] - t_k - wait
        into = self._tau - t_k - wait
        frac = np.where(span > 1e-9, np.clip(into / np.where(span > 1e-9, span, 1.0), 0.0, 1.0), 0.0)
        standing = into < 0.0
        self._standing = standing & self._moving
        a = self._chan[:, rows, idx]
        b = self._chan[:, rows, nxt]
        v = a + (b - a) * frac
        gear = np.where(frac < 0.5, a[_CH["gear"]], b[_CH["gear"]]).astype(np.int64)

        plan_speed = np.where(standing, 0.0, v[_CH["speed"]])
        self._plan_speed = plan_speed
        self._plan_accel = v[_CH["accel_long"]]
        self._helpless = v[_CH["helpless"]] > 0.5
        rate = np.where(self._moving, self._rate, 1.0)
        speed = plan_speed * rate
        distance = v[_CH["distance"]]
        lap_d = distance % track.length_m
        plan_offset = v[_CH["offset"]]
        x, y, z, centre_heading, grade, width = track.frame_at(lap_d, plan_offset)
        half = 0.5 * width
        # Passing moves a car across the track, never off it.
        room = half - 0.9
        offset = np.where(
            np.abs(plan_offset) <= room, np.clip(plan_offset + self._pass_offset, -room, room), plan_offset
        )
        shift = offset - plan_offset
        x = x - shift * np.cos(centre_heading)
        y = y - shift * np.sin(centre_heading)
        self._half_width = half
        direction = centre_heading + v[_CH["direction_offset"]]
        heading = direction + v[_CH["yaw_offset"]]
        rpm = v[_CH["rpm"]]
        clutch = v[_CH["clutch"]]
        slowed = rate < 0.999
        rpm = np.where(slowed & (clutch < 0.5), np.maximum(rpm * rate, self._idle), rpm)
        clutch = np.where(slowed & (rpm <= self._idle + 1.0), 1.0, clutch)
        pit = v[_CH["pit_lane"]] > 0.5
        # Standing in the box or on the grid: engine idling in the box, revs up on the grid.
        in_box = standing & pit
        rpm = np.where(in_box, self._idle, rpm)
        clutch = np.where(in_box, 1.0, clutch)
        throttle = np.where(in_box, 0.0, v[_CH["throttle"]] * rate)
        # Between a point on the throttle and one on the brake, only one pedal is down.
        brake = np.where(frac < 0.5, a[_CH["brake"]], b[_CH["brake"]])
        brake = np.where(brake > 0.0, v[_CH["brake"]], 0.0)
        throttle = np.where(brake > 0.0, 0.0, throttle)
        gear = np.where(in_box | ~self._moving & pit, 0, gear)

        s.lap_distance_m = lap_d
        s.total_distance_m = self._progress_base + distance
        s.node = np.asarray(track.node_at(lap_d), dtype=np.int64)
        s.x_m, s.y_m, s.z_m = x, y, z
        s.heading_rad = (heading + math.pi) % (2.0 * math.pi) - math.pi
        s.direction_rad = (direction + math.pi) % (2.0 * math.pi) - math.pi
        s.pitch_rad = np.arctan(grade)
        s.roll_rad = np.zeros(self.n_cars)
        s.speed_mps = speed
        s.yaw_rate_radps = v[_CH["yaw_rate"]] * rate
        s.accel_long_mps2 = v[_CH["accel_long"]]
        s.accel_lat_mps2 = v[_CH["accel_lat"]] * rate * rate
        fwd = np.stack((-np.sin(direction), np.cos(direction), grade), axis=1)
        s.velocity_mps = fwd * speed[:, None]
        hx, hy = -np.sin(heading), np.cos(heading)
        s.accel_mps2 = np.stack(
            (
                s.accel_long_mps2 * hx - s.accel_lat_mps2 * np.cos(heading),
                s.accel_long_mps2 * hy - s.accel_lat_mps2 * np.sin(heading),
                np.zeros(self.n_cars),
            ),
            axis=1,
        )
        s.rpm = rpm
        s.gear = gear
        s.throttle = throttle
        s.brake = brake
        s.clutch = clutch
        s.steer_rad = v[_CH["steer"]]
        s.fuel_kg = np.maximum(self._fuel_start - v[_CH["fuel_used"]], 0.0)
        s.fuel_fraction = s.fuel_kg / self._capacity
        s.lateral_offset_m = offset
        s.slip_ratio = v[_CH["slip_ratio"]]
        s.tan_slip_angle = v[_CH["tan_slip"]]
        s.in_pit_lane = pit
        s.off_track = ~pit & (np.abs(offset) > half + 1.0)

        if self._books_dirty:
            self._copy_books()
        self._update_positions()

    def _copy_books(self) -> None:
        """Per-car bookkeeping into the state arrays (only after events changed it)."""
        s = self.cars
        cars = self._cars
        self._books_dirty = False
        s.laps_done = np.array([c.laps_done for c in cars], dtype=np.int64)
        s.lap = np.array([c.lap for c in cars], dtype=np.int64)
        s.finished = np.array([c.finished for c in cars], dtype=bool)
        s.retired = np.array([c.retired for c in cars], dtype=bool)
        s.parked = np.array([c.parked for c in cars], dtype=bool)
        s.best_lap_ms = np.array([c.best_lap_ms for c in cars], dtype=np.int64)
        s.last_lap_ms = np.array([c.last_lap_ms for c in cars], dtype=np.int64)
        s.pit_stops = np.array([c.pit_stops for c in cars], dtype=np.int64)
        self._race_rank = np.array(
            [c.finish_rank if c.finished else (10_000 if c.retired else 1_000) for c in cars], dtype=np.int64
        )

    def _update_positions(self) -> None:
        s = self.cars
        now = self._state_ms
        changed = s.node != self._prev_node
        rows = np.nonzero(changed)[0]
        self._node_pass_ms[rows, s.node[rows]] = now
        self._prev_node = s.node.copy()
        n = self.n_cars
        if self.mode is SessionMode.RACE:
            order = np.lexsort((-s.total_distance_m, self._race_rank))
            position = np.empty(n, dtype=np.int64)
            position[order] = np.arange(1, n + 1)
            s.race_position = position
            leader = int(order[0])
            ahead = np.empty(n, dtype=np.int64)
            ahead[order] = np.concatenate(([order[0]], order[:-1]))
            lap_len = self.track.length_m
            gap_m = s.total_distance_m[leader] - s.total_distance_m
            s.laps_behind = np.maximum(np.floor(gap_m / lap_len), 0).astype(np.int64)
            running = ~s.finished & ~s.retired
            to_leader = (now - self._node_pass_ms[leader, s.node]) / 1000.0
            to_ahead = (now - self._node_pass_ms[ahead, s.node]) / 1000.0
            s.gap_to_leader_s = np.where(running, np.where(position == 1, 0.0, to_leader), s.gap_to_leader_s)
            s.interval_s = np.where(running, np.where(position == 1, 0.0, to_ahead), s.interval_s)
        else:
            best = s.best_lap_ms
            has = best > 0
            order = np.lexsort((s.plid, np.where(has, best, np.iinfo(np.int64).max)))
            position = np.zeros(n, dtype=np.int64)
            position[order] = np.arange(1, n + 1)
            s.race_position = np.where(has, position, 0)
            top = best[has].min() if has.any() else 0
            s.gap_to_leader_s = np.where(has, (best - top) / 1000.0, 0.0)
            s.interval_s = s.gap_to_leader_s.copy()
            s.laps_behind = np.zeros(n, dtype=np.int64)
