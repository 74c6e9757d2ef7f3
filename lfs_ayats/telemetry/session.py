"""Session state: connections and players, the race, and each car's laps, fed one event at a time.

`SessionState.apply(event)` returns the events to hand on: the event itself, completed with what
only the history knows (the lap a split belongs to, who drove a lap and whether it was clean,
lap distance, accelerations and gaps of an IS_MCI set), plus events it implies (`ViewChanged`,
`RaceFinished`, `LapReclassified`). It never raises on odd input: unknown players are noted in
`unknown_plids` (the feed asks LFS for TINY_NPL) and their laps are still kept by PLID.

Who is who: PLIDs come from IS_NPL (a reply to TINY_NPL when the program joined mid-race, else a
join; an IS_NPL for a player who went to the garage means leaving the pits), UCIDs from IS_NCN;
IS_CPR renames, IS_TOC hands a car to another connection, IS_PLP/IS_PLL take it off the track.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from lfs_ayats.packets.constants import CCI

from .convert import NEW_PENALTIES
from .events import (
    CarFinished,
    CarSamples,
    ConnectionJoined,
    ConnectionLeft,
    Contact,
    Event,
    FeedGap,
    FlagChanged,
    GaugeSample,
    HotlapViolation,
    LapCompleted,
    MotionSample,
    NodeLaps,
    ObjectHit,
    PenaltyChanged,
    PitLaneChanged,
    PitStopStarted,
    PlayerJoined,
    PlayerLeft,
    PlayerPitted,
    PlayerRenamed,
    PlayerTookOver,
    RaceFinished,
    RaceReported,
    RaceStarted,
    SplitCompleted,
    StateReported,
    ViewChanged,
)
from .gaps import NodeClock
from .kinematics import Kinematics
from .laps import LapBook
from .track_ruler import TrackRuler
from .validate import Invalid

MAX_PLID = 256
_YELLOW, _SAMPLE_GAP = int(CCI.YELLOW), int(Invalid.SAMPLE_GAP)  # plain ints: IntFlag attribute access is slow


@dataclass
class Connection:
    ucid: int
    user_name: str
    name: str
    admin: bool = False
    remote: bool = False


@dataclass
class Player:
    plid: int
    ucid: int
    name: str
    user_name: str = ""
    plate: str = ""
    car: str = ""
    ai: bool = False
    remote: bool = False
    flags: int = 0
    in_garage: bool = False


@dataclass
class Race:
    """What IS_RST says, and how far this session has got."""

    track: str
    mode: str  # "race", "qualify", "practice"
    race_laps: int
    race_hours: int
    qual_minutes: int
    num_nodes: int
    finish_node: int
    split_nodes: tuple[int, ...]
    started_t: float | None = None  # feed time of the start we saw (None: joined later)
    laps_completed: int = 0
    finished: bool = False


class SessionState:
    """Everything the telemetry knows about the session so far."""

    def __init__(self) -> None:
        self.connections: dict[int, Connection] = {}
        self.players: dict[int, Player] = {}
        self.departed: dict[int, Player] = {}
        self.race: Race | None = None
        self.track = ""
        self.race_in_progress = ""
        self.view_plid = 0
        self.laps = LapBook()
        self.ruler = TrackRuler()
        self.kinematics = Kinematics()
        self.node_clock: NodeClock | None = None
        self.unknown_plids: set[int] = set()
        self.lap_distance = np.full(MAX_PLID, np.nan)  # each car's latest lap distance
        self._known = np.zeros(MAX_PLID, dtype=bool)
        self._yellow = np.zeros(MAX_PLID, dtype=bool)  # causing a yellow, as far as we know
        self._prev_node = np.full(MAX_PLID, -1, dtype=np.int64)
        self._mci_lap = np.zeros(MAX_PLID, dtype=np.int64)
        self._handlers: dict[type, Callable[[Any], list[Event]]] = {
            CarSamples: self._car_samples,
            NodeLaps: self._node_laps,
            GaugeSample: self._gauge,
            MotionSample: self._motion,
            StateReported: self._state,
            RaceStarted: self._race_started,
            RaceReported: self._race_reported,
            ConnectionJoined: self._connection_joined,
            ConnectionLeft: self._connection_left,
            PlayerRenamed: self._renamed,
            PlayerJoined: self._player_joined,
            PlayerPitted: self._player_pitted,
            PlayerLeft: self._player_left,
            PlayerTookOver: self._took_over,
            SplitCompleted: self._split,
            LapCompleted: self._lap,
            PitLaneChanged: self._pit_lane,
            PitStopStarted: self._pit_stop,
            Contact: self._contact,
            ObjectHit: self._object_hit,
            HotlapViolation: self._hlv,
            FlagChanged: self._flag,
            PenaltyChanged: self._penalty,
            CarFinished: self._finished,
            FeedGap: self._gap,
        }

    def apply(self, event: Event) -> list[Event]:
        handler = self._handlers.get(type(event))
        return [event] if handler is None else handler(event)

    # -- queries ---------------------------------------------------------------------------------------

    @property
    def is_race(self) -> bool | None:
        """True in a race, False in qualifying or practice, None while unknown."""
        if self.race is not None:
            return self.race.mode == "race"
        if self.race_in_progress:
            return self.race_in_progress == "race"
        return None

    def player(self, plid: int) -> Player | None:
        """A player on the list, or one who left (so late packets still find a name)."""
        return self.players.get(plid) or self.departed.get(plid)

    def driver_name(self, plid: int) -> str:
        player = self.player(plid)
        return player.name if player is not None else ""

    # -- session -----------------------------------------------------------------------------------------

    def _state(self, ev: StateReported) -> list[Event]:
        self.track = ev.track
        self.race_in_progress = ev.race_in_progress
        return [ev, *self._view(ev.t, ev.view_plid)]

    def _view(self, t: float, plid: int) -> list[Event]:
        if not plid or plid == self.view_plid:
            return []
        self.view_plid = plid
        self.ruler.forget_view()  # OutSim now describes another car
        return [ViewChanged(t, plid=plid)]

    def _race_from(self, ev: RaceReported) -> Race:
        return Race(track=ev.track, mode=ev.mode, race_laps=ev.race_laps, race_hours=ev.race_hours,
                    qual_minutes=ev.qual_minutes, num_nodes=ev.num_nodes, finish_node=ev.finish_node,
                    split_nodes=ev.split_nodes)

    def _path(self, num_nodes: int, finish: int) -> None:
        self.ruler.configure(num_nodes, finish)
        if num_nodes and (self.node_clock is None or self.node_clock.num_nodes != num_nodes):
            self.node_clock = NodeClock(num_nodes)

    def _race_started(self, ev: RaceStarted) -> list[Event]:
        race = self._race_from(ev)
        race.started_t = ev.t
        self.race = race
        self.track = ev.track
        self.ruler.configure(ev.num_nodes, ev.finish_node)  # same path: what was learnt about it stays
        self.node_clock = NodeClock(ev.num_nodes) if ev.num_nodes else None  # passages of the last race do not
        self.kinematics.forget()
        self._yellow[:] = False
        self.laps.reset()
        for plid, player in self.players.items():
            if player.in_garage:
                continue
            if race.mode == "race":
                self.laps.grid(plid, race=True)
            else:
                self.laps.garage(plid, joined_seen=True)
        return [ev]

    def _race_reported(self, ev: RaceReported) -> list[Event]:
        race = self._race_from(ev)
        old = self.race
        if old is not None and (old.track, old.mode) == (race.track, race.mode):
            race.started_t, race.laps_completed, race.finished = old.started_t, old.laps_completed, old.finished
        self.race = race
        self.track = ev.track
        self._path(ev.num_nodes, ev.finish_node)
        return [ev]

    def _on_grid(self) -> bool:
        """A player joining now lines up for the start: a race was started and nobody has done a lap."""
        race = self.race
        return race is not None and race.mode == "race" and race.started_t is not None and race.laps_completed == 0

    # -- connections and players ---------------------------------------------------------------------

    def _connection_joined(self, ev: ConnectionJoined) -> list[Event]:
        self.connections[ev.ucid] = Connection(ev.ucid, ev.user_name, ev.name, ev.admin, ev.remote)
        return [ev]

    def _connection_left(self, ev: ConnectionLeft) -> list[Event]:
        self.connections.pop(ev.ucid, None)
        return [ev]

    def _renamed(self, ev: PlayerRenamed) -> list[Event]:
        conn = self.connections.get(ev.ucid)
        if conn is not None:
            conn.name = ev.name
        for player in self.players.values():
            if player.ucid == ev.ucid:
                player.name, player.plate = ev.name, ev.plate
        return [ev]

    def _player_joined(self, ev: PlayerJoined) -> list[Event]:
        conn = self.connections.get(ev.ucid)
        user_name = conn.user_name if conn is not None else ""
        known = self.players.get(ev.plid)
        rejoin = known is not None and known.in_garage and not ev.reply
        self.players[ev.plid] = Player(ev.plid, ev.ucid, ev.name, user_name, ev.plate, ev.car, ev.ai, ev.remote,
                                       ev.flags)
        self.departed.pop(ev.plid, None)
        self._known[ev.plid] = True
        self.unknown_plids.discard(ev.plid)
        if ev.reply:
            self.laps.car(ev.plid)  # already racing: its lap began before we could see it
        elif known is None or rejoin:
            if self._on_grid():
                self.laps.grid(ev.plid, race=True)
            else:
                self.laps.garage(ev.plid, joined_seen=True)
        return [replace(ev, user_name=user_name, rejoin=rejoin)]

    def _player_pitted(self, ev: PlayerPitted) -> list[Event]:
        player = self.players.get(ev.plid)
        if player is not None:
            player.in_garage = True
        self.laps.garage(ev.plid, joined_seen=False)
        self._forget_car(ev.plid)
        return [ev]

    def _player_left(self, ev: PlayerLeft) -> list[Event]:
        player = self.players.pop(ev.plid, None)
        if player is not None:
            self.departed[ev.plid] = player
        self._known[ev.plid] = False
        self.laps.forget(ev.plid)
        self._forget_car(ev.plid)
        return [ev]

    def _forget_car(self, plid: int) -> None:
        self.kinematics.forget(plid)
        if self.node_clock is not None:
            self.node_clock.forget(plid)
        self._yellow[plid] = False
        self._prev_node[plid] = -1
        self.lap_distance[plid] = np.nan

    def _took_over(self, ev: PlayerTookOver) -> list[Event]:
        conn = self.connections.get(ev.new_ucid)
        player = self.players.get(ev.plid)
        name = conn.name if conn is not None else (player.name if player is not None else "")
        if player is not None:
            player.ucid, player.name = ev.new_ucid, name
            player.user_name = conn.user_name if conn is not None else ""
        return [replace(ev, name=name)]

    def _note_unknown(self, plid: int) -> None:
        if plid and plid not in self.players:
            self.unknown_plids.add(plid)

    # -- samples -----------------------------------------------------------------------------------------

    def _car_samples(self, ev: CarSamples, seen: float | None = None) -> list[Event]:
        """`seen`: the viewed car's ruler distance if it was paired with OutSim already (car_runs.py)."""
        # ~30 cars a set: numpy's per-call cost dominates, so columns are converted once and the
        # rare cases (unknown players, yellows, untimed cars, stale samples) are tested for first.
        plid = ev.plid.astype(np.intp)
        node = ev.node.astype(np.intp)
        if np.count_nonzero(self._known[plid]) < len(plid):
            self.unknown_plids.update(int(p) for p in plid[~self._known[plid]] if p)
        row = ev.row(self.view_plid) if self.view_plid else None
        mine = math.nan
        if row is not None:
            mine = self.ruler.view_distance(ev.t, float(ev.x_m[row]), float(ev.y_m[row])) if seen is None else seen
            self.ruler.learn(int(node[row]), mine)
        fraction, distance = self.ruler.locate(node)
        if row is not None and math.isfinite(mine):
            distance[row] = mine
        self.lap_distance[plid] = distance
        along, across, stale = self.kinematics.update(ev.t, plid, ev.speed_mps, ev.direction_rad)
        invalid = ev.invalid
        if np.count_nonzero(stale):
            invalid = (invalid | np.where(stale, _SAMPLE_GAP, 0)).astype(np.uint16)
        gap, interval = ev.gap_to_leader_s, ev.interval_s
        if self.node_clock is not None and self.is_race is not False:
            gap, interval = self.node_clock.update(ev.t, plid, node, ev.position)
        prev = self._prev_node[plid]
        self._yellows(ev, plid, prev, node)
        if self.laps.untimed:
            self._timing_starts(ev, plid, prev, node)
        self._prev_node[plid] = node
        self._mci_lap[plid] = ev.lap
        for a in (fraction, distance, along, across, invalid):  # gap and interval come read-only
            a.flags.writeable = False
        return [CarSamples(ev.t, ev.plid, ev.node, ev.lap, ev.position, ev.info, ev.x_m, ev.y_m, ev.z_m, ev.speed_mps,
                           ev.direction_rad, ev.heading_rad, ev.yaw_rate_radps, invalid, fraction, distance, along,
                           across, gap, interval, ev.complete, ev.reply)]

    def _yellows(self, ev: CarSamples, plid: np.ndarray, prev: np.ndarray, node: np.ndarray) -> None:
        yellow_bits = ev.info & _YELLOW
        if not np.count_nonzero(yellow_bits):  # the usual case: nobody causes a yellow
            self._yellow[plid] = False
            return
        yellow_now = yellow_bits != 0
        started = yellow_now & ~self._yellow[plid]
        for p in plid[started]:
            self.laps.car(int(p)).mark("yellow_flag", f"caused a yellow{self._at(int(p))}")
        self._yellow[plid] = yellow_now  # IS_MCI says who causes a yellow now, IS_FLG in between
        n = self.ruler.num_nodes
        if not n:
            return
        # A car passed a yellow when the yellow car's node went from just ahead of it to just behind.
        ahead_before = (node[yellow_now][:, None] - prev[None, :]) % n
        ahead_now = (node[yellow_now][:, None] - node[None, :]) % n
        passed = (prev[None, :] >= 0) & (ahead_before > 0) & (ahead_before <= n // 4) & (
            (ahead_now == 0) | (ahead_now > 3 * n // 4))
        passed &= plid[yellow_now][:, None] != plid[None, :]
        for y, i in zip(*np.nonzero(passed), strict=True):
            self.laps.car(int(plid[i])).mark("yellow_flag", f"passed PLID {int(plid[yellow_now][y])} causing a yellow")

    def _timing_starts(self, ev: CarSamples, plid: np.ndarray, prev: np.ndarray, node: np.ndarray) -> None:
        """Cars out of the garage start timing at the line: their node wraps past the finish, or their Lap goes up."""
        n, finish = self.ruler.num_nodes, self.ruler.finish_node
        untimed = np.zeros(MAX_PLID, dtype=bool)
        untimed[[p for p in self.laps.untimed if 0 <= p < MAX_PLID]] = True
        for i in untimed[plid].nonzero()[0]:
            p = int(plid[i])
            lap_up = int(ev.lap[i]) > self._mci_lap[p]
            crossed = False
            if n and prev[i] >= 0:
                before, now = (prev[i] - finish) % n, (node[i] - finish) % n
                crossed = before > n // 2 and now < n // 4
            if lap_up or crossed:
                self.laps.timing_started(p)

    def _node_laps(self, ev: NodeLaps) -> list[Event]:
        fraction = self.ruler.fraction(ev.node)
        fraction.flags.writeable = False
        return [replace(ev, lap_fraction=fraction)]

    def _gauge(self, ev: GaugeSample) -> list[Event]:
        return [*self._view(ev.t, ev.plid), ev]  # the view changed, then this is the new car's sample

    def _motion(self, ev: MotionSample) -> list[Event]:
        vel = ev.velocity_mps or (math.nan, math.nan, math.nan)
        lfs_t = ev.time_ms / 1000.0 if ev.time_ms is not None else None
        self.ruler.observe(ev.t, ev.lap_distance_m, ev.speed_mps, ev.x_m, ev.y_m, vel[0], vel[1], lfs_t)
        return [ev]

    # -- the viewed car, column-wise (imports: see Feed.feed_records) --------------------------------

    def motion_seen(self, t: float, distance: float, speed: float, x: float, y: float, vx: float, vy: float,
                    lfs_t: float | None) -> None:
        """What `apply(MotionSample)` does to the state, from the sample's values alone."""
        self.ruler.observe(t, distance, speed, x, y, vx, vy, lfs_t)

    def gauge_seen(self, t: float, plid: int) -> list[Event]:
        """What `apply(GaugeSample)` does to the state: the events it implies (a `ViewChanged`)."""
        return self._view(t, plid)

    def mci_lap(self, plid: int) -> int:
        """The player's lap as the latest IS_MCI said (0 before any)."""
        return int(self._mci_lap[plid]) if 0 <= plid < MAX_PLID else 0

    # -- laps, pits and incidents --------------------------------------------------------------------

    def _split(self, ev: SplitCompleted) -> list[Event]:
        self._note_unknown(ev.plid)
        return [self.laps.split(ev, int(self._mci_lap[ev.plid]))]

    def _lap(self, ev: LapCompleted) -> list[Event]:
        self._note_unknown(ev.plid)
        race = self.race
        splits = len(race.split_nodes) if race is not None else 0
        lap, reclassified = self.laps.complete(ev, race=self.is_race is True, splits=splits)
        player = self.player(ev.plid)
        if player is not None:
            lap = replace(lap, ucid=player.ucid, driver=player.name, user_name=player.user_name)
        if race is not None:
            race.laps_completed += 1
        if self._yellow[ev.plid]:
            self.laps.car(ev.plid).mark("yellow_flag", "still causing a yellow")
        return [lap, *reclassified]

    def _at(self, plid: int) -> str:
        distance = self.lap_distance[plid]
        return f" at {distance:.0f} m" if math.isfinite(distance) else ""

    def _pit_lane(self, ev: PitLaneChanged) -> list[Event]:
        state = self.laps.car(ev.plid)
        if ev.entered:
            state.in_pit_lane = True
            state.mark("in_lap", f"entered the pit lane ({ev.purpose})")
        else:
            state.in_pit_lane = False
            state.mark("out_lap", "left the pit lane")
        return [ev]

    def _pit_stop(self, ev: PitStopStarted) -> list[Event]:
        self.laps.car(ev.plid).mark("pit", f"pit stop after {ev.laps_done} laps")
        return [ev]

    def _contact(self, ev: Contact) -> list[Event]:
        for car, other in ((ev.a, ev.b), (ev.b, ev.a)):
            note = f"contact with PLID {other.plid}, {ev.closing_speed_mps:.1f} m/s closing{self._at(car.plid)}"
            self.laps.car(car.plid).mark("contact", note)
        return [ev]

    def _object_hit(self, ev: ObjectHit) -> list[Event]:
        self.laps.car(ev.plid).mark("object_hit", f"hit an object at {ev.closing_speed_mps:.1f} m/s{self._at(ev.plid)}")
        return [ev]

    def _hlv(self, ev: HotlapViolation) -> list[Event]:
        self.laps.car(ev.plid).mark("hlv", f"hotlap invalid: {ev.reason}{self._at(ev.plid)}")
        return [ev]

    def _flag(self, ev: FlagChanged) -> list[Event]:
        if ev.flag == "yellow" and 0 < ev.plid < MAX_PLID:
            if ev.on and not self._yellow[ev.plid]:
                self.laps.car(ev.plid).mark("yellow_flag", f"caused a yellow{self._at(ev.plid)}")
            self._yellow[ev.plid] = ev.on
        return [ev]

    def _penalty(self, ev: PenaltyChanged) -> list[Event]:
        if ev.new in NEW_PENALTIES and ev.new != ev.old:
            self.laps.car(ev.plid).mark("penalty", f"penalty {ev.new} ({ev.reason})")
        return [ev]

    def _finished(self, ev: CarFinished) -> list[Event]:
        race = self.race
        if race is not None and race.mode == "race" and not race.finished:
            race.finished = True
            return [ev, RaceFinished(ev.t, winner_plid=ev.plid)]
        return [ev]

    def _gap(self, ev: FeedGap) -> list[Event]:
        self.laps.gap()
        self.kinematics.forget()
        self.ruler.forget_view()
        if self.node_clock is not None:
            self.node_clock.gap_stream()
        self._prev_node[:] = -1
        return [ev]
