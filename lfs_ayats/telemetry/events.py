"""The telemetry vocabulary: frozen dataclasses, named in the past tense or as samples, in SI units.

Every event has `t`, seconds on the feed's clock (a capture record's time, or the live feed's
monotonic clock). Times LFS measured itself stay exact integer milliseconds in `*_ms` fields (a
float second would not round-trip); `*_s` properties give seconds. Angles follow LFS (0 = world +Y,
anticlockwise from above), so left turns, left steering and leftward acceleration are positive.

High-rate samples hold numpy arrays (`CarSamples`: one event per IS_MCI set, a column per field)
and compare by identity; everything else compares by value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Event:
    t: float
    """Seconds on the feed's clock."""


# -- high-rate samples ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class CarSamples(Event):
    """One IS_MCI set (CCI_FIRST .. CCI_LAST, up to 3 packets): every car, one array per field.

    Derived columns are NaN where unknown: lap distance needs the track's length or OutSim, gaps
    need a race and node passages, accelerations need the car's previous sample.
    """

    plid: np.ndarray  # uint8
    node: np.ndarray  # uint16, current path node
    lap: np.ndarray  # uint16, LFS's current lap (laps done + 1 once timing runs)
    position: np.ndarray  # uint8, race position: 1 = leader, 0 = unknown
    info: np.ndarray  # uint8, CCI_* bits (blue, yellow, out of bounds, retired, lag)
    x_m: np.ndarray
    y_m: np.ndarray
    z_m: np.ndarray
    speed_mps: np.ndarray
    direction_rad: np.ndarray  # of motion
    heading_rad: np.ndarray  # of the car's forward axis
    yaw_rate_radps: np.ndarray
    invalid: np.ndarray  # uint16, `validate.Invalid` bits per car
    lap_fraction: np.ndarray  # 0..1 from the path node and the finish node
    lap_distance_m: np.ndarray
    accel_long_mps2: np.ndarray  # from successive speeds
    accel_lat_mps2: np.ndarray  # speed x rate of change of direction, left positive
    gap_to_leader_s: np.ndarray
    interval_s: np.ndarray  # to the car one position ahead
    complete: bool = True
    """False when a packet of the set went missing (a set without CCI_FIRST or CCI_LAST)."""
    reply: bool = False
    """A reply to TINY_MCI rather than the regular stream."""

    def __len__(self) -> int:
        return len(self.plid)

    def row(self, plid: int) -> int | None:
        """The index of a player's car in the arrays, or None."""
        if self.plid.dtype == np.uint8 and 0 <= plid <= 255:
            found = self.plid.tobytes().find(plid)  # a byte search: a tenth of a numpy comparison's cost
            return found if found >= 0 else None
        hits = (self.plid == plid).nonzero()[0]
        return int(hits[0]) if len(hits) else None


@dataclass(frozen=True, slots=True, eq=False)
class SampleColumns(Event):
    """Many samples at once, column-wise: what an import hands on instead of an event per sample.

    `source` "cars": a run of IS_MCI sets, the columns of their `CarSamples` concatenated plus "t";
    "motion" / "gauge": the viewed car's OutSim / OutGauge datagrams, float64 columns named as the
    store keeps them (`viewed_columns.MOTION_COLUMNS` ...) plus "t", "plid" and "lap" (int64: the
    player's lap as IS_MCI said when the datagram came). `count`: the events it stands for.
    """

    source: str
    columns: dict[str, np.ndarray]
    count: int

    def __len__(self) -> int:
        return len(self.columns["t"])


@dataclass(frozen=True, slots=True, eq=False)
class NodeLaps(Event):
    """IS_NLP: path node, lap and position of every car."""

    plid: np.ndarray
    node: np.ndarray
    lap: np.ndarray
    position: np.ndarray
    lap_fraction: np.ndarray
    reply: bool = False


@dataclass(frozen=True, slots=True)
class GaugeSample(Event):
    """One OutGauge datagram: the viewed car's dashboard."""

    time_ms: int  # LFS's OutGauge time
    plid: int
    car: str
    gear: int  # -1 reverse, 0 neutral, 1.. forward
    speed_mps: float
    rpm: float  # rev/min (dashboards speak rpm; the unit is in the name)
    turbo_pa: float
    engine_temp_c: float
    fuel_fraction: float
    oil_pressure_pa: float
    oil_temp_c: float
    dash_lights: int  # DL_* available
    show_lights: int  # DL_* switched on
    throttle: float  # 0..1
    brake: float
    clutch: float
    display1: str
    display2: str
    flags: int  # OG_*
    outgauge_id: int | None
    invalid: int = 0


@dataclass(frozen=True, slots=True)
class WheelSample:
    """OutSimWheel, one wheel (OutSimPack2 with the wheels block)."""

    susp_deflect_m: float
    steer_rad: float
    x_force_n: float  # right
    y_force_n: float  # forward
    vertical_load_n: float
    ang_vel_radps: float
    lean_rad: float
    air_temp_c: float
    slip_fraction: float  # 0..1
    touching: bool
    slip_ratio: float
    tan_slip_angle: float


@dataclass(frozen=True, slots=True)
class MotionSample(Event):
    """One OutSim datagram: the viewed car's motion. Blocks the `OutSim Opts` left out are NaN / None / ()."""

    time_ms: int | None
    plid: int  # the viewed player as far as the session knows (OutSim does not say); 0 if unknown
    ang_vel_radps: tuple[float, float, float] | None  # world x, y, z
    heading_rad: float
    pitch_rad: float
    roll_rad: float
    accel_mps2: tuple[float, float, float] | None  # world frame
    velocity_mps: tuple[float, float, float] | None
    x_m: float
    y_m: float
    z_m: float
    speed_mps: float  # |velocity|
    throttle: float
    brake: float
    clutch: float
    handbrake: float
    steer_rad: float
    gear: int | None  # -1 reverse, 0 neutral, 1.. forward
    engine_speed_radps: float
    max_torque_nm: float
    lap_distance_m: float  # IndexedDistance: the track ruler, independent of the driving line
    driven_distance_m: float  # CurrentLapDist: what the car travelled this lap
    steer_torque_nm: float
    wheels: tuple[WheelSample, ...]  # rear left, rear right, front left, front right
    outsim_id: int | None
    invalid: int = 0


# -- session and players ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateReported(Event):
    """IS_STA: the game's state (sent on changes and on TINY_SST)."""

    track: str
    view_plid: int
    camera: int
    num_players: int
    num_connections: int
    num_finished: int
    race_in_progress: str  # "none", "race", "qualifying"
    race_laps: int  # 0 unless a race of laps
    race_hours: int  # 0 unless a race of hours
    qual_minutes: int
    flags: int  # ISS_*
    weather: int
    wind: int
    reply: bool


@dataclass(frozen=True, slots=True)
class RaceReported(Event):
    """IS_RST sent as a reply to TINY_RST: what the race is, not a new start."""

    track: str
    mode: str  # "race", "qualify", "practice"
    race_laps: int
    race_hours: int
    qual_minutes: int
    num_players: int
    num_nodes: int
    finish_node: int
    split_nodes: tuple[int, ...]
    timing: int
    flags: int  # HOSTF_*
    weather: int
    wind: int


@dataclass(frozen=True, slots=True)
class RaceStarted(RaceReported):
    """IS_RST as it comes by itself: the race (or qualifying) starts now."""


@dataclass(frozen=True, slots=True)
class RaceFinished(Event):
    """The winner took the chequered flag (the first IS_FIN of a race)."""

    winner_plid: int


@dataclass(frozen=True, slots=True)
class ConnectionJoined(Event):
    """IS_NCN."""

    ucid: int
    user_name: str
    name: str  # the nickname, colours and escapes resolved
    admin: bool
    remote: bool
    reply: bool


@dataclass(frozen=True, slots=True)
class ConnectionLeft(Event):
    """IS_CNL."""

    ucid: int
    reason: str  # LEAVR_* in lower case


@dataclass(frozen=True, slots=True)
class PlayerRenamed(Event):
    """IS_CPR: a connection changed its nickname or plate."""

    ucid: int
    name: str
    plate: str


@dataclass(frozen=True, slots=True)
class PlayerJoined(Event):
    """IS_NPL: a player joined the race, left the garage (`rejoin`), or was listed (`reply`)."""

    plid: int
    ucid: int
    name: str
    user_name: str
    plate: str
    car: str
    skin: str
    ai: bool
    remote: bool
    flags: int  # PIF_*
    tyres: tuple[str, ...]  # rear left, rear right, front left, front right
    added_mass_kg: float
    intake_restriction: float  # 0..0.5
    fuel_fraction: float | None
    reply: bool
    rejoin: bool


@dataclass(frozen=True, slots=True)
class PlayerPitted(Event):
    """IS_PLP: the player went to the garage (still in the player list)."""

    plid: int


@dataclass(frozen=True, slots=True)
class PlayerLeft(Event):
    """IS_PLL: the player left the race (spectating or gone)."""

    plid: int


@dataclass(frozen=True, slots=True)
class PlayerTookOver(Event):
    """IS_TOC: another connection drives this car now."""

    plid: int
    old_ucid: int
    new_ucid: int
    name: str


@dataclass(frozen=True, slots=True)
class ViewChanged(Event):
    """The viewed player (whose OutGauge and OutSim arrive) changed: IS_STA.ViewPLID, OutGauge.PLID."""

    plid: int


@dataclass(frozen=True, slots=True)
class GridOrdered(Event):
    """IS_REO: the starting order."""

    plids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CarReset(Event):
    """IS_CRS."""

    plid: int


@dataclass(frozen=True, slots=True)
class CarFinished(Event):
    """IS_FIN: a car took the chequered flag (not yet confirmed)."""

    plid: int
    total_time_ms: int
    best_lap_ms: int
    laps_done: int
    pit_stops: int
    confirm: int  # CONF_*
    flags: int


@dataclass(frozen=True, slots=True)
class ResultConfirmed(Event):
    """IS_RES: a confirmed result."""

    plid: int
    user_name: str
    name: str
    plate: str
    car: str
    total_time_ms: int
    best_lap_ms: int
    laps_done: int
    pit_stops: int
    confirm: int
    flags: int
    position: int | None  # 1 = winner; None when not added to the table
    num_results: int
    penalty_s: int
    reply: bool


# -- laps and pits ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SplitCompleted(Event):
    """IS_SPX: a split of the lap in progress."""

    plid: int
    lap: int  # the lap being driven (0 while the session does not know it)
    split: int  # 1..3
    split_time_ms: int  # from the start of the lap
    elapsed_ms: int
    penalty: str
    pit_stops: int
    fuel_fraction: float | None

    @property
    def split_time_s(self) -> float:
        return self.split_time_ms / 1000.0


@dataclass(frozen=True, slots=True)
class LapCompleted(Event):
    """IS_LAP, with what the session knows: the driver, the splits, and whether the lap is clean.

    `reasons` uses the codes of `laps.REASONS`; `notes` explains them ("contact with PLID 4,
    6.1 m/s at 1432 m"). A lap the feed did not see from its start is not clean ("partial").
    """

    plid: int
    ucid: int
    driver: str
    user_name: str
    lap: int  # laps done, as LFS counts them
    lap_time_ms: int
    elapsed_ms: int
    splits_ms: tuple[int | None, ...] = ()  # from the start of the lap; None for a split not seen
    sectors_ms: tuple[int | None, ...] = ()
    clean: bool = False
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    penalty: str = "none"
    pit_stops: int = 0
    fuel_fraction: float | None = None
    flags: int = 0  # PIF_*
    best_lap_ms: int = 0  # the player's best clean-apart-from-pace lap so far (0: none)

    @property
    def lap_time_s(self) -> float:
        return self.lap_time_ms / 1000.0

    @property
    def start_ms(self) -> int:
        return self.elapsed_ms - self.lap_time_ms


@dataclass(frozen=True, slots=True)
class LapReclassified(Event):
    """A completed lap's classification changed (a new best made it over 107 %)."""

    plid: int
    lap: int
    clean: bool
    reasons: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PitLaneChanged(Event):
    """IS_PLA: a car entered or left the pit lane."""

    plid: int
    entered: bool
    purpose: str  # "exit", "enter", "no_purpose", "drive_through", "stop_go"


@dataclass(frozen=True, slots=True)
class PitStopStarted(Event):
    """IS_PIT: a car stopped in its box and the crew started work."""

    plid: int
    laps_done: int
    fuel_added_fraction: float | None
    tyres: tuple[str | None, ...]  # the new compound per wheel, None where not changed
    work: int  # 1 << PSE_* bits
    penalty: str
    pit_stops: int
    flags: int


@dataclass(frozen=True, slots=True)
class PitStopFinished(Event):
    """IS_PSF."""

    plid: int
    stop_time_ms: int


# -- incidents and flags -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactCar:
    """CarContact: one car of an IS_CON."""

    plid: int
    info: int  # CCI_*
    steer_rad: float  # left positive
    throttle: float
    brake: float
    clutch: float
    handbrake: float
    gear: int
    speed_mps: float
    direction_rad: float
    heading_rad: float
    accel_long_mps2: float
    accel_lat_mps2: float  # left positive
    x_m: float
    y_m: float


@dataclass(frozen=True, slots=True)
class Contact(Event):
    """IS_CON: two cars touched."""

    time_ms: int
    closing_speed_mps: float
    a: ContactCar
    b: ContactCar

    @property
    def plids(self) -> tuple[int, int]:
        return self.a.plid, self.b.plid


@dataclass(frozen=True, slots=True)
class ObjectCar:
    """CarContOBJ: the car in an IS_OBH / IS_HLV."""

    speed_mps: float
    direction_rad: float
    heading_rad: float
    x_m: float
    y_m: float
    altitude_raw: int  # Zbyte: LFS does not document its scale


@dataclass(frozen=True, slots=True)
class ObjectHit(Event):
    """IS_OBH: a car hit an object."""

    plid: int
    time_ms: int
    closing_speed_mps: float
    car: ObjectCar
    object_x_m: float
    object_y_m: float
    object_z_m: float | None  # only for layout objects
    object_index: int  # AXO_*, 0 = unknown
    layout: bool
    can_move: bool
    was_moving: bool
    on_spot: bool


@dataclass(frozen=True, slots=True)
class HotlapViolation(Event):
    """IS_HLV: the lap is no longer a valid hotlap."""

    plid: int
    time_ms: int
    reason: str  # "ground", "wall", "speeding", "out_of_bounds" or "hlvc_<n>"
    car: ObjectCar


@dataclass(frozen=True, slots=True)
class FlagChanged(Event):
    """IS_FLG: a blue flag given to a car, or a car causing a yellow."""

    plid: int
    flag: str  # "blue", "yellow" or "flag_<n>"
    on: bool
    car_behind: int


@dataclass(frozen=True, slots=True)
class PenaltyChanged(Event):
    """IS_PEN."""

    plid: int
    old: str  # "none", "dt", "dt_valid", "sg", "sg_valid", "p30", "p45"
    new: str
    reason: str  # "unknown", "admin", "wrong_way", "false_start", "speeding", "stop_short", "stop_late"


# -- the feed itself ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedGap(Event):
    """The stream was interrupted (link lost, capture gap): laps in progress are partial."""

    reason: str
