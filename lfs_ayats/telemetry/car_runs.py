"""Runs of IS_MCI sets settled at once, column-wise: what `SessionState` does set by set, for imports.

Between two other InSim packets (a lap, a split, a player...) an import meets a run of IS_MCI
sets that change nothing but each car's samples. Doing the session's per-set work (conversion,
lap distance, accelerations, node-clock gaps) on a whole run is one pass of numpy instead of a
hundred small ones per set, and gives the same values to the bit
(tests/store/test_import_columnar.py imports captures both ways).

What must follow the stream as it comes stays per set, on arrival (`arrive`): pairing the viewed
car with OutSim, the track ruler learning from it, each car's IS_MCI lap. A set that needs what a
run does not model (a yellow flag, a car still untimed, a car jumping on the node clock: a reset,
the first sight of a car) ends the run and goes the usual way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lfs_ayats.packets.constants import CCI

from . import convert, units
from .car_sets import CarSet
from .gaps import MAX_STEP_FRACTION, NodeClock
from .track_ruler import TrackRuler
from .validate import Invalid

if TYPE_CHECKING:
    from .session import SessionState

MAX_SETS = 64  # a run is at most this long
_YELLOW, _SAMPLE_GAP = int(CCI.YELLOW), int(Invalid.SAMPLE_GAP)


@dataclass
class CarRun:
    """IS_MCI sets waiting to be settled, with what was learnt about each as it came."""

    sets: list[CarSet] = field(default_factory=list)
    view_row: list[int | None] = field(default_factory=list)  # the viewed car's row in each set
    seen: list[float] = field(default_factory=list)  # its ruler distance (NaN: none)
    length_m: list[float] = field(default_factory=list)  # the track length as each set came
    # (node, table sum and count after the viewed car's node was learnt, set index), in order
    learnt: list[tuple[int, float, int, int]] = field(default_factory=list)
    table: dict[int, tuple[float, int]] = field(default_factory=dict)  # node -> sum, count before the run
    node: np.ndarray | None = None  # each car's node as of the last set of the run (node clock rows)
    steps: np.ndarray | None = None  # nodes each car moved in the run

    def __len__(self) -> int:
        return len(self.sets)

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]


def arrive(session: SessionState, run: CarRun, car_set: CarSet) -> bool:
    """Add a set to the run if it may join (False: settle the run, then this set the usual way)."""
    cars = car_set.cars
    if session.laps.untimed or len(run) >= MAX_SETS or session._yellow.any() or (cars["Info"] & _YELLOW).any():
        return False
    plid_column = cars["PLID"]
    plid = plid_column.astype(np.intp)
    clock = session.node_clock
    if clock is not None and session.is_race is not False:
        # The node clock's stamping, set by set, is only modelled for cars moving on (no jump, no
        # second pass of a node within the run).
        n = clock.num_nodes
        if not run.sets or run.node is None:  # the clock as it is now (sets may have gone the usual way)
            run.node, run.steps = clock.node.copy(), np.zeros(len(clock.node), np.int64)
        assert run.steps is not None
        now = cars["Node"] % n
        prev = run.node[plid]
        steps = (now - prev) % n
        moved = run.steps[plid] + steps
        if ((prev < 0) | (steps > MAX_STEP_FRACTION * n) | (moved >= n)).any():
            return False
        run.node[plid] = now
        run.steps[plid] = moved
    ruler = session.ruler
    row: int | None = None
    seen = math.nan
    view = session.view_plid
    if 0 < view < 256:
        found = plid_column.tobytes().find(view.to_bytes(1, "little"))  # PLIDs are bytes: one search
        if found >= 0:
            row = found
            x, y, at = cars["X"][row], cars["Y"][row], int(cars["Node"][row])
            # Paired with OutSim now, while OutSim is where it was when this set came.
            seen = ruler.view_distance(car_set.t, units.position_m(float(x)), units.position_m(float(y)))
            if 0 <= at < ruler.num_nodes and at not in run.table:
                run.table[at] = (float(ruler._sum[at]), int(ruler._count[at]))
            if ruler.learn(at, seen):
                run.learnt.append((at, float(ruler._sum[at]), int(ruler._count[at]), len(run.sets)))
    run.sets.append(car_set)
    run.view_row.append(row)
    run.seen.append(seen)
    run.length_m.append(ruler.length_m)
    session._mci_lap[plid] = cars["Lap"]
    return True


def settle(session: SessionState, run: CarRun) -> dict[str, np.ndarray]:
    """The run's samples as columns: what its CarSamples events would hold, concatenated."""
    sets = run.sets
    k = len(sets)
    counts = np.fromiter((len(s.cars) for s in sets), np.int64, k)
    dtype = sets[0].cars.dtype
    if all(s.cars.dtype == dtype for s in sets):
        raw = np.frombuffer(b"".join([s.cars.tobytes() for s in sets]), dtype)
    else:
        raw = np.concatenate([s.cars for s in sets])
    ev = convert.car_samples(0.0, raw)
    set_of = np.repeat(np.arange(k), counts)
    starts = np.cumsum(counts) - counts
    times = np.fromiter((s.t for s in sets), np.float64, k)
    t = times[set_of]
    plid = ev.plid.astype(np.intp)
    node = ev.node.astype(np.int64)
    # Each row's previous sample of the same car: earlier in the run, else the state's.
    order = np.lexsort((set_of, plid))
    first = np.r_[True, plid[order][1:] != plid[order][:-1]]
    prev_row = np.full(len(plid), -1, np.int64)
    prev_row[order[~first]] = order[np.flatnonzero(~first) - 1]
    last_rows = order[np.r_[first[1:], True]]
    has_prev = prev_row >= 0
    safe_prev = np.maximum(prev_row, 0)

    unknown = ~session._known[plid]
    if unknown.any():
        session.unknown_plids.update(int(p) for p in plid[unknown] if p)
    fraction, distance = _distances(session.ruler, run, ev.node, set_of, starts)
    along, across, stale = _kinematics(session, t, plid, ev.speed_mps, ev.direction_rad, order, first)
    invalid = (ev.invalid | np.where(stale, _SAMPLE_GAP, 0)).astype(np.uint16)
    gap = interval = ev.gap_to_leader_s
    clock = session.node_clock
    if clock is not None and session.is_race is not False:
        stamped = _stamp(clock, plid, node, t, has_prev, safe_prev, set_of)
        gap, interval = _gaps(clock, stamped, plid, node, ev.position, set_of, k)
        clock.node[plid[last_rows]] = node[last_rows] % clock.num_nodes
        clock._t[plid[last_rows]] = t[last_rows]
    session._prev_node[plid[last_rows]] = node[last_rows]
    session.lap_distance[plid[last_rows]] = distance[last_rows]
    columns = {"t": t, "plid": ev.plid, "lap": ev.lap, "node": ev.node, "position": ev.position, "info": ev.info,
               "x_m": ev.x_m, "y_m": ev.y_m, "z_m": ev.z_m, "speed_mps": ev.speed_mps,
               "direction_rad": ev.direction_rad, "heading_rad": ev.heading_rad, "yaw_rate_radps": ev.yaw_rate_radps,
               "invalid": invalid, "lap_fraction": fraction, "lap_distance_m": distance, "accel_long_mps2": along,
               "accel_lat_mps2": across, "gap_to_leader_s": gap, "interval_s": interval}
    run.clear()
    return columns


def _distances(ruler: TrackRuler, run: CarRun, nodes: np.ndarray, set_of: np.ndarray,
               starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TrackRuler.fraction and .distances of every row, with the table as it was when the row's set came."""
    fraction = ruler.fraction(nodes)
    if not ruler.num_nodes:
        return fraction, np.full(len(nodes), np.nan)
    idx = nodes.astype(np.intp) % ruler.num_nodes
    total, count = ruler._sum[idx], ruler._count[idx]  # as of the run's end: put back what came later
    if run.learnt:
        total, count = total.copy(), count.copy()
        for at, was in run.table.items():
            rows = np.flatnonzero(idx == at)
            if not len(rows):
                continue
            before_sum, before_count = was
            row_sets = set_of[rows]
            row_sum = np.full(len(rows), before_sum)
            row_count = np.full(len(rows), before_count)
            for node, after_sum, after_count, j in run.learnt:  # in order: the last at or before a row wins
                if node == at:
                    hit = row_sets >= j
                    row_sum[hit], row_count[hit] = after_sum, after_count
            total[rows], count[rows] = row_sum, row_count
    length = np.asarray(run.length_m)[set_of]
    learnt_mean = np.divide(total, count, out=np.full(len(idx), np.nan), where=count > 0)
    distance = np.where(count > 0, learnt_mean, fraction * length)
    finite = np.isfinite(length)
    if finite.any():
        distance = np.where(finite, distance % np.where(finite, length, 1.0), distance)
    for j, row in enumerate(run.view_row):
        if row is not None and math.isfinite(run.seen[j]):
            distance[starts[j] + row] = run.seen[j]
    return fraction, distance


def _kinematics(session: SessionState, t: np.ndarray, plid: np.ndarray, speed: np.ndarray, direction: np.ndarray,
                order: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kinematics.update over the run: each row against its car's base as it was when the row came.

    The base is the car's latest sample whose time differed from the base before it (a set
    stamped like the one before it leaves the base alone), so it is found among the rows sorted
    by car (`order`, `first` marks each car's first row) and the state's.
    """
    kin = session.kinematics
    ts, cars = t[order], plid[order]
    at = np.arange(len(order))
    prev_t = np.where(first, kin._t[cars], np.r_[np.nan, ts[:-1]])
    moves = ts != prev_t  # this row becomes the base (the state's time before it was prev_t)
    car_start = np.maximum.accumulate(np.where(first, at, 0))
    latest = np.maximum.accumulate(np.where(moves, at, -1))  # the latest base-moving row so far
    base = np.r_[-1, latest[:-1]]
    from_run = base >= car_start  # else the car's base is still the state's
    b = np.maximum(base, 0)
    base_t = np.where(from_run, ts[b], kin._t[cars])
    base_speed = np.where(from_run, speed[order][b], kin._speed[cars])
    base_direction = np.where(from_run, direction[order][b], kin._direction[cars])
    s, d = speed[order], direction[order]
    dt = ts - base_t
    usable = (dt > 0.0) & (dt <= kin.max_gap_s)
    safe_dt = np.where(usable, dt, 1.0)
    along = (s - base_speed) / safe_dt
    turn = (d - base_direction + math.pi) % (2.0 * math.pi) - math.pi
    across = 0.5 * (s + base_speed) * turn / safe_dt
    last = np.r_[first[1:], True]  # each car's last row: the state becomes its latest base-moving row
    final = latest[last]
    moved = final >= car_start[last]
    kin.set_base(cars[last][moved], ts[final[moved]], s[final[moved]], d[final[moved]])
    out_along, out_across, out_stale = (np.empty(len(order)), np.empty(len(order)), np.empty(len(order), bool))
    out_along[order] = np.where(usable, along, np.nan)
    out_across[order] = np.where(usable, across, np.nan)
    out_stale[order] = ~usable & (dt != 0.0)
    return out_along, out_across, out_stale


@dataclass
class _Stamped:
    keys: np.ndarray  # sorted row * num_nodes + node of every passage stamped in the run
    set_at: np.ndarray  # the set that stamped it
    old_pass: np.ndarray  # what _pass and _before held before the run
    old_before: np.ndarray


def _stamp(clock: NodeClock, plid: np.ndarray, node: np.ndarray, t: np.ndarray, has_prev: np.ndarray,
           safe_prev: np.ndarray, set_of: np.ndarray) -> _Stamped:
    """NodeClock._stamp for the whole run (`arrive` let in only cars moving on, no node twice)."""
    n = clock.num_nodes
    now = node % n
    prev = np.where(has_prev, now[safe_prev], clock.node[plid])
    t0_all = np.where(has_prev, t[safe_prev], clock._t[plid])
    steps = (now - prev) % n
    rows = np.flatnonzero(steps > 0)
    step = steps[rows]
    total = int(step.sum())
    car = np.repeat(rows, step)
    j = np.arange(total) - np.repeat(np.cumsum(step) - step, step) + 1
    r = plid[car]
    k = (prev[car] + j) % n
    t0 = t0_all[car]
    stamp = t0 + (t[car] - t0) * j / steps[car]
    keys = r * n + k
    order = np.argsort(keys, kind="stable")
    r, k, stamp = r[order], k[order], stamp[order]
    old_pass, old_before = clock._pass[r, k], clock._before[r, k]
    clock._before[r, k] = old_pass
    clock._pass[r, k] = stamp
    return _Stamped(keys[order], set_of[car][order], old_pass, old_before)


def _gaps(clock: NodeClock, stamped: _Stamped, plid: np.ndarray, node: np.ndarray, position: np.ndarray,
          set_of: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """NodeClock._gaps for every row, reading each passage as it was when the row's set came."""
    n = clock.num_nodes
    now = node % n
    pos = position.astype(np.intp)
    by_position = np.full((k, 256), -1, dtype=np.intp)
    valid = pos > 0
    by_position[set_of[valid], pos[valid]] = plid[valid]
    mine = _as_of(clock, stamped, plid, now, set_of)[0]
    leader = by_position[set_of, 1]
    ahead = by_position[set_of, np.maximum(pos - 1, 0)]
    gap = np.where(leader >= 0, _behind(clock, stamped, mine, np.maximum(leader, 0), now, set_of), np.nan)
    interval = np.where(ahead >= 0, _behind(clock, stamped, mine, np.maximum(ahead, 0), now, set_of), np.nan)
    gap = np.where(pos == 1, 0.0, np.where(pos > 0, gap, np.nan))
    interval = np.where(pos == 1, 0.0, np.where(pos > 1, interval, np.nan))
    return gap, interval


def _as_of(clock: NodeClock, stamped: _Stamped, who: np.ndarray, at: np.ndarray,
           set_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(_pass, _before) of (who, at) as they were when each row's set was handled."""
    n = clock.num_nodes
    passed, before = clock._pass[who, at], clock._before[who, at]
    if len(stamped.keys):
        keys = who * n + at
        i = np.minimum(np.searchsorted(stamped.keys, keys), len(stamped.keys) - 1)
        later = (stamped.keys[i] == keys) & (stamped.set_at[i] > set_of)
        if later.any():
            passed = np.where(later, stamped.old_pass[i], passed)
            before = np.where(later, stamped.old_before[i], before)
    return passed, before


def _behind(clock: NodeClock, stamped: _Stamped, mine: np.ndarray, other: np.ndarray, at: np.ndarray,
            set_of: np.ndarray) -> np.ndarray:
    theirs, before = _as_of(clock, stamped, other, at, set_of)
    theirs = np.where(theirs > mine, before, theirs)
    out: np.ndarray = mine - theirs
    return out
