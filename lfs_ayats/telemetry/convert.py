"""Packets -> events: what each packet says, in SI units, with implausible values flagged.

Pure functions of one packet (or one IS_MCI set) and the feed time. What only history knows (the
lap a split belongs to, the driver, lap distance, gaps, clean-lap reasons) is added by the
session, which replaces the fields these functions leave empty.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from enum import IntEnum
from typing import Any

import numpy as np

from lfs_ayats.packets.constants import CCI, HLVC, LEAVR, OBH, PENALTY, PENR, PITLANE, TYRE, race_laps
from lfs_ayats.packets.text import plain

from . import units, validate
from .events import (
    CarFinished,
    CarReset,
    CarSamples,
    ConnectionJoined,
    ConnectionLeft,
    Contact,
    ContactCar,
    Event,
    FlagChanged,
    GaugeSample,
    GridOrdered,
    HotlapViolation,
    LapCompleted,
    MotionSample,
    NodeLaps,
    ObjectCar,
    ObjectHit,
    PenaltyChanged,
    PitLaneChanged,
    PitStopFinished,
    PitStopStarted,
    PlayerJoined,
    PlayerLeft,
    PlayerPitted,
    PlayerRenamed,
    PlayerTookOver,
    RaceReported,
    RaceStarted,
    ResultConfirmed,
    SplitCompleted,
    StateReported,
    WheelSample,
)

PIT_PURPOSES: dict[int, str] = {PITLANE.EXIT: "exit", PITLANE.ENTER: "enter", PITLANE.NO_PURPOSE: "no_purpose",
                                PITLANE.DT: "drive_through", PITLANE.SG: "stop_go"}
FLAGS = {1: "blue", 2: "yellow"}
RACE_IN_PROGRESS = {0: "none", 1: "race", 2: "qualifying"}
NEW_PENALTIES = frozenset({"dt", "sg", "p30", "p45"})
"""Penalty values that are handed out (the *_valid ones mean a penalty is being served)."""


def enum_name(kind: type[IntEnum], value: int, prefix: str) -> str:
    """`PENALTY.DT_VALID` -> "dt_valid"; a value the enum lacks -> "<prefix>_<value>"."""
    try:
        return kind(value).name.lower()
    except ValueError:
        return f"{prefix}_{value}"


def text(value: Any) -> str:
    """An LFS string as a person reads it: colours dropped, escapes resolved."""
    return plain(str(value))


_CAR_INFO = ~np.uint8(int(CCI.FIRST | CCI.LAST))  # CCI_FIRST / CCI_LAST belong to the set, not the car


def _readonly(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.flags.writeable = False


# -- high rate ------------------------------------------------------------------------------------


_FLOAT_FIELDS = ("X", "Y", "Z", "Speed", "AngVel", "Direction", "Heading")  # x..yaw: `validate.car_rows_checks`
_FLOAT_BLOCK = np.dtype([(name, np.float64) for name in _FLOAT_FIELDS])
# units' factors, one per row: the same products as units.position_m & co. (a division by a power
# of two, as position_m does, is exactly the product with its reciprocal).
_FLOAT_SCALE = np.array([[1.0 / units.POSITION_PER_M]] * 3 + [[100.0 / units.SPEED_PER_100_MPS],
                        [units.TWO_PI / units.ANGVEL_PER_TURN_PER_S]] + [[units.TWO_PI / units.ANGLE16_PER_TURN]] * 2)


@functools.cache
def _float_fields(dtype: np.dtype) -> np.dtype:
    """A CompCar dtype narrowed to its float fields: the same memory, the other fields skipped."""
    fields = dtype.fields
    assert fields is not None
    return np.dtype({"names": list(_FLOAT_FIELDS), "formats": [fields[name][0] for name in _FLOAT_FIELDS],
                     "offsets": [fields[name][1] for name in _FLOAT_FIELDS], "itemsize": dtype.itemsize})


@functools.cache
def _nan_column(n: int) -> np.ndarray:
    """A read-only column of n NaN, shared by every set of n cars."""
    column = np.full(n, np.nan)
    column.flags.writeable = False
    return column


def car_samples(t: float, cars: np.ndarray, complete: bool = True, reply: bool = False) -> CarSamples:
    """A CompCar structured array (one IS_MCI packet or a whole set) -> CarSamples, column-wise."""
    n = len(cars)
    # A set is ~30 cars, so numpy's per-call cost dominates: one cast of every float field (done
    # field by field in C) into a (7, n) block whose rows are the columns, scaled a few rows at a time.
    block = cars.view(_float_fields(cars.dtype)).astype(_FLOAT_BLOCK).view(np.float64).reshape(n, 7).T.copy()
    block *= _FLOAT_SCALE
    block[5:7] = units.wrap_angle(block[5:7])
    invalid = validate.car_rows_checks(block[:5])
    block.flags.writeable = False  # and so every row taken from it below
    x, y, z, speed, yaw, direction, heading = block
    plid, node, lap = cars["PLID"].astype(np.uint8), cars["Node"].astype(np.uint16), cars["Lap"].astype(np.uint16)
    position, info = cars["Position"].astype(np.uint8), cars["Info"] & _CAR_INFO
    unknown = _nan_column(n)  # until the session fills them in
    _readonly(plid, node, lap, position, info, invalid)
    return CarSamples(t, plid, node, lap, position, info, x, y, z, speed, direction, heading, yaw, invalid,
                      unknown, unknown, unknown, unknown, unknown, unknown, complete, reply)


def node_laps(packet: Any, t: float) -> NodeLaps:
    nodes: np.ndarray = packet.Info.array
    columns: dict[str, np.ndarray] = dict(plid=nodes["PLID"].astype(np.uint8), node=nodes["Node"].astype(np.uint16),
                                          lap=nodes["Lap"].astype(np.uint16),
                                          position=nodes["Position"].astype(np.uint8),
                                          lap_fraction=np.full(len(nodes), np.nan))
    _readonly(*columns.values())
    return NodeLaps(t, **columns, reply=bool(packet.ReqI))


_NOT_FINITE = int(validate.Invalid.NOT_FINITE)
_SPEED, _YAW, _PEDAL = int(validate.Invalid.SPEED), int(validate.Invalid.YAW_RATE), int(validate.Invalid.PEDAL)
_RPM, _FUEL = int(validate.Invalid.RPM), int(validate.Invalid.FUEL)
_PEDAL_LOW, _PEDAL_HIGH = -validate.PEDAL_SLACK, 1.0 + validate.PEDAL_SLACK


def gauge_sample(packet: Any, t: float) -> GaugeSample:
    """An OutGauge datagram.

    The fast path: when every float is finite (their sum is finite only then), the range checks
    are done inline; otherwise `_gauge_checked` cleans and flags value by value. Both give the
    same event (tests/telemetry/test_convert_fast.py).
    """
    speed, rpm, fuel = float(packet.Speed), float(packet.RPM), float(packet.Fuel)
    throttle, brake, clutch = float(packet.Throttle), float(packet.Brake), float(packet.Clutch)
    turbo, engine_temp = float(packet.Turbo), float(packet.EngTemp)
    oil_pressure, oil_temp = float(packet.OilPressure), float(packet.OilTemp)
    if not math.isfinite(speed + rpm + fuel + throttle + brake + clutch + turbo + engine_temp + oil_pressure
                         + oil_temp):
        return _gauge_checked(packet, t)
    bad = 0 if 0.0 <= speed <= validate.MAX_SPEED_MPS else _SPEED
    if not 0.0 <= rpm <= validate.MAX_RPM:
        bad |= _RPM
    if not (_PEDAL_LOW <= throttle <= _PEDAL_HIGH and _PEDAL_LOW <= brake <= _PEDAL_HIGH
            and _PEDAL_LOW <= clutch <= _PEDAL_HIGH):
        bad |= _PEDAL
    if not _PEDAL_LOW <= fuel <= _PEDAL_HIGH:
        bad |= _FUEL
    gear = units.gear(int(packet.Gear))
    bad |= validate.gear(gear)
    return GaugeSample(
        t, int(packet.Time), int(packet.PLID), str(packet.Car), gear, speed, rpm, units.bar_to_pa(turbo),
        engine_temp, fuel, units.bar_to_pa(oil_pressure), oil_temp, int(packet.DashLights),
        int(packet.ShowLights), throttle, brake, clutch, text(packet.Display1), text(packet.Display2),
        int(packet.Flags), None if packet.ID is None else int(packet.ID), bad,
    )


def _gauge_checked(packet: Any, t: float) -> GaugeSample:
    """An OutGauge datagram, value by value (the slow path, for datagrams with a non-finite float)."""
    speed, bad = validate.speed(float(packet.Speed))
    rpm, b = validate.rpm(float(packet.RPM))
    bad |= b
    pedals = []
    for raw in (packet.Throttle, packet.Brake, packet.Clutch):
        value, b = validate.pedal(float(raw))
        pedals.append(value)
        bad |= b
    fuel, b = validate.fuel(float(packet.Fuel))
    bad |= b
    others = []
    for raw in (packet.Turbo, packet.EngTemp, packet.OilPressure, packet.OilTemp):
        value, b = validate.finite(float(raw))
        others.append(value)
        bad |= b
    gear = units.gear(int(packet.Gear))
    bad |= validate.gear(gear)
    return GaugeSample(
        t, time_ms=int(packet.Time), plid=int(packet.PLID), car=str(packet.Car), gear=gear, speed_mps=speed,
        rpm=rpm, turbo_pa=units.bar_to_pa(others[0]), engine_temp_c=others[1], fuel_fraction=fuel,
        oil_pressure_pa=units.bar_to_pa(others[2]), oil_temp_c=others[3], dash_lights=int(packet.DashLights),
        show_lights=int(packet.ShowLights), throttle=pedals[0], brake=pedals[1], clutch=pedals[2],
        display1=text(packet.Display1), display2=text(packet.Display2), flags=int(packet.Flags),
        outgauge_id=None if packet.ID is None else int(packet.ID), invalid=int(bad),
    )


class _Checked:
    """Collects Invalid bits while reading the floats of one datagram."""

    __slots__ = ("bad",)

    def __init__(self) -> None:
        self.bad = 0

    def f(self, value: Any) -> float:
        out, b = validate.finite(float(value))
        self.bad |= b
        return out

    def vec(self, values: Any) -> tuple[float, float, float]:
        return self.f(values[0]), self.f(values[1]), self.f(values[2])

    def pedal(self, value: Any) -> float:
        out, b = validate.pedal(float(value))
        self.bad |= b
        return out


def _outsim_blocks(packet: Any) -> tuple[int | None, Any, Any, Any, Any, Any, Any]:
    """(Time, main, inputs, drive, distance, extra, wheels) of either OutSim layout; absent blocks are None."""
    if packet.name == "OutSim":  # the legacy pack: its main block is the packet itself
        return int(packet.Time), packet, None, None, None, None, ()
    return (None if packet.Time is None else int(packet.Time), packet.OSMain, packet.OSInputs, packet.OSDrive,
            packet.OSDistance, packet.OSExtra1, packet.OSWheels or ())


def motion_speed(vel: tuple[float, float, float]) -> float:
    """|velocity|, written the way numpy computes it column-wise (viewed_columns), so both agree to the bit."""
    vx, vy, vz = vel
    return math.sqrt(vx * vx + vy * vy + vz * vz)


def motion_sample(packet: Any, t: float, plid: int = 0) -> MotionSample:
    """An OutSim datagram (legacy OutSimPack or OutSimPack2 with any Opts); `plid` is the viewed player.

    The fast path reads every float once, optimistically, and sums the ones `_motion_checked`
    would check: a finite sum means all are finite, so only the range checks are left. Otherwise
    (a NaN or infinity somewhere, or a sum that overflows) the datagram goes value by value
    through `_motion_checked`. Both give the same event (tests/telemetry/test_convert_fast.py).
    """
    nan = math.nan
    time_ms, main, inputs, drive, distance, extra, wheels_in = _outsim_blocks(packet)
    checked = 0.0  # the sum of every float the slow path checks
    bad = 0
    ang_vel = accel = vel = None
    heading = pitch = roll = x = y = z = speed = nan
    if main is not None:
        a, f, v = main.AngVel, main.Accel, main.Vel
        ang_vel = (float(a[0]), float(a[1]), float(a[2]))
        accel = (float(f[0]), float(f[1]), float(f[2]))
        vel = (float(v[0]), float(v[1]), float(v[2]))
        heading, pitch, roll = float(main.Heading), float(main.Pitch), float(main.Roll)
        checked = (ang_vel[0] + ang_vel[1] + ang_vel[2] + accel[0] + accel[1] + accel[2] + vel[0] + vel[1] + vel[2]
                   + heading + pitch + roll)
        pos = main.Pos
        x, y, z = (units.position_m(float(pos[0])), units.position_m(float(pos[1])),
                   units.position_m(float(pos[2])))
        speed = motion_speed(vel)
        bad = validate.position(x, y, z)
        if math.isfinite(speed) and not 0.0 <= speed <= validate.MAX_SPEED_MPS:
            bad |= _SPEED
        if abs(ang_vel[2]) > validate.MAX_YAW_RATE_RADPS:
            bad |= _YAW
    throttle = brake = clutch = handbrake = steer = nan
    if inputs is not None:
        throttle, brake, clutch = float(inputs.Throttle), float(inputs.Brake), float(inputs.Clutch)
        handbrake, steer = float(inputs.Handbrake), float(inputs.InputSteer)
        checked += throttle + brake + clutch + handbrake + steer
        if not (_PEDAL_LOW <= throttle <= _PEDAL_HIGH and _PEDAL_LOW <= brake <= _PEDAL_HIGH
                and _PEDAL_LOW <= clutch <= _PEDAL_HIGH and _PEDAL_LOW <= handbrake <= _PEDAL_HIGH):
            bad |= _PEDAL
    gear: int | None = None
    engine = torque = nan
    if drive is not None:
        gear = units.gear(int(drive.Gear))
        bad |= validate.gear(gear)
        engine, torque = float(drive.EngineAngVel), float(drive.MaxTorqueAtVel)
        checked += engine + torque
        if math.isfinite(engine):
            bad |= validate.rpm(units.radps_to_rpm(engine))[1]
    indexed = driven = nan
    if distance is not None:
        indexed, driven = float(distance.IndexedDistance), float(distance.CurrentLapDist)
        checked += indexed + driven
    steer_torque = nan
    if extra is not None:
        steer_torque = float(extra.SteerTorque)
        checked += steer_torque
    wheel_values = []
    for w in wheels_in:
        values = (float(w.SuspDeflect), float(w.Steer), float(w.XForce), float(w.YForce), float(w.VerticalLoad),
                  float(w.AngVel), float(w.LeanRelToRoad), float(w.AirTemp), w.SlipFraction / 255.0,
                  bool(w.Touching), float(w.SlipRatio), float(w.TanSlipAngle))
        checked += (values[0] + values[1] + values[2] + values[3] + values[4] + values[5] + values[6] + values[10]
                    + values[11])
        wheel_values.append(values)
    if not math.isfinite(checked):
        return _motion_checked(packet, t, plid)
    return MotionSample(
        t, time_ms, plid, ang_vel, heading, pitch, roll, accel, vel, x, y, z, speed, throttle, brake, clutch,
        handbrake, steer, gear, engine, torque, indexed, driven, steer_torque,
        tuple(WheelSample(*values) for values in wheel_values), None if packet.ID is None else int(packet.ID),
        bad,
    )


def _motion_checked(packet: Any, t: float, plid: int = 0) -> MotionSample:
    """An OutSim datagram, value by value (the slow path, for datagrams with a non-finite float)."""
    c = _Checked()
    nan = math.nan
    time_ms, main, inputs, drive, distance, extra, wheels_in = _outsim_blocks(packet)
    ang_vel = accel = vel = None
    heading = pitch = roll = x = y = z = speed = nan
    if main is not None:
        ang_vel, accel, vel = c.vec(main.AngVel), c.vec(main.Accel), c.vec(main.Vel)
        heading, pitch, roll = c.f(main.Heading), c.f(main.Pitch), c.f(main.Roll)
        x, y, z = (units.position_m(float(v)) for v in main.Pos)
        speed = motion_speed(vel)
        c.bad |= validate.position(x, y, z)
        if math.isfinite(speed):  # a non-finite velocity is flagged already
            c.bad |= validate.speed(speed)[1]
        c.bad |= validate.yaw_rate(ang_vel[2])[1] & ~int(validate.Invalid.NOT_FINITE)
    throttle = brake = clutch = handbrake = steer = nan
    if inputs is not None:
        throttle, brake, clutch = c.pedal(inputs.Throttle), c.pedal(inputs.Brake), c.pedal(inputs.Clutch)
        handbrake, steer = c.pedal(inputs.Handbrake), c.f(inputs.InputSteer)
    gear: int | None = None
    engine = torque = nan
    if drive is not None:
        gear = units.gear(int(drive.Gear))
        c.bad |= validate.gear(gear)
        engine, torque = c.f(drive.EngineAngVel), c.f(drive.MaxTorqueAtVel)
        if math.isfinite(engine):
            c.bad |= validate.rpm(units.radps_to_rpm(engine))[1]
    indexed = driven = nan
    if distance is not None:
        indexed, driven = c.f(distance.IndexedDistance), c.f(distance.CurrentLapDist)
    wheels = tuple(
        WheelSample(
            susp_deflect_m=c.f(w.SuspDeflect), steer_rad=c.f(w.Steer), x_force_n=c.f(w.XForce),
            y_force_n=c.f(w.YForce), vertical_load_n=c.f(w.VerticalLoad), ang_vel_radps=c.f(w.AngVel),
            lean_rad=c.f(w.LeanRelToRoad), air_temp_c=float(w.AirTemp), slip_fraction=w.SlipFraction / 255.0,
            touching=bool(w.Touching), slip_ratio=c.f(w.SlipRatio), tan_slip_angle=c.f(w.TanSlipAngle),
        )
        for w in wheels_in
    )
    return MotionSample(
        t, time_ms=time_ms, plid=plid, ang_vel_radps=ang_vel, heading_rad=heading, pitch_rad=pitch,
        roll_rad=roll, accel_mps2=accel, velocity_mps=vel, x_m=x, y_m=y, z_m=z, speed_mps=speed,
        throttle=throttle, brake=brake, clutch=clutch, handbrake=handbrake, steer_rad=steer, gear=gear,
        engine_speed_radps=engine, max_torque_nm=torque, lap_distance_m=indexed, driven_distance_m=driven,
        steer_torque_nm=nan if extra is None else c.f(extra.SteerTorque), wheels=wheels,
        outsim_id=None if packet.ID is None else int(packet.ID), invalid=int(c.bad),
    )


# -- InSim: low rate -------------------------------------------------------------------------------


def _sta(p: Any, t: float) -> Event:
    kind, count = race_laps(int(p.RaceLaps))
    return StateReported(
        t, track=str(p.Track), view_plid=int(p.ViewPLID), camera=int(p.InGameCam), num_players=int(p.NumP),
        num_connections=int(p.NumConns), num_finished=int(p.NumFinished),
        race_in_progress=RACE_IN_PROGRESS.get(int(p.RaceInProg), f"state_{p.RaceInProg}"),
        race_laps=count if kind == "laps" else 0, race_hours=count if kind == "hours" else 0,
        qual_minutes=int(p.QualMins), flags=int(p.Flags), weather=int(p.Weather), wind=int(p.Wind),
        reply=bool(p.ReqI),
    )


def _rst(p: Any, t: float) -> Event:
    kind, count = race_laps(int(p.RaceLaps))
    mode = "race" if int(p.RaceLaps) else ("qualify" if int(p.QualMins) else "practice")
    timing = int(p.Timing)
    splits = tuple(int(s) for s in (p.Split1, p.Split2, p.Split3))[: timing & 3]
    cls = RaceReported if p.ReqI else RaceStarted
    return cls(
        t, track=str(p.Track), mode=mode, race_laps=count if kind == "laps" else 0,
        race_hours=count if kind == "hours" else 0, qual_minutes=int(p.QualMins), num_players=int(p.NumP),
        num_nodes=int(p.NumNodes), finish_node=int(p.Finish), split_nodes=splits, timing=timing,
        flags=int(p.Flags), weather=int(p.Weather), wind=int(p.Wind),
    )


def _ncn(p: Any, t: float) -> Event:
    return ConnectionJoined(t, ucid=int(p.UCID), user_name=str(p.UName), name=text(p.PName),
                            admin=bool(p.Admin), remote=bool(int(p.Flags) & 4), reply=bool(p.ReqI))


def _cnl(p: Any, t: float) -> Event:
    return ConnectionLeft(t, ucid=int(p.UCID), reason=enum_name(LEAVR, int(p.Reason), "reason"))


def _cpr(p: Any, t: float) -> Event:
    return PlayerRenamed(t, ucid=int(p.UCID), name=text(p.PName), plate=text(p.Plate))


def _npl(p: Any, t: float) -> Event:
    return PlayerJoined(
        t, plid=int(p.PLID), ucid=int(p.UCID), name=text(p.PName), user_name="", plate=text(p.Plate),
        car=str(p.CName), skin=str(p.SName), ai=bool(int(p.PType) & 2), remote=bool(int(p.PType) & 4),
        flags=int(p.Flags), tyres=tuple(enum_name(TYRE, int(v), "tyre") for v in p.Tyres),
        added_mass_kg=float(p.H_Mass), intake_restriction=int(p.H_TRes) / 100.0,
        fuel_fraction=units.fuel_percent_fraction(int(p.Fuel)), reply=bool(p.ReqI), rejoin=False,
    )


def _toc(p: Any, t: float) -> Event:
    return PlayerTookOver(t, plid=int(p.PLID), old_ucid=int(p.OldUCID), new_ucid=int(p.NewUCID), name="")


def _lap(p: Any, t: float) -> Event:
    return LapCompleted(
        t, plid=int(p.PLID), ucid=0, driver="", user_name="", lap=int(p.LapsDone), lap_time_ms=int(p.LTime),
        elapsed_ms=int(p.ETime), penalty=enum_name(PENALTY, int(p.Penalty), "penalty"),
        pit_stops=int(p.NumStops), fuel_fraction=units.fuel200_fraction(int(p.Fuel200)), flags=int(p.Flags),
    )


def _spx(p: Any, t: float) -> Event:
    return SplitCompleted(
        t, plid=int(p.PLID), lap=0, split=int(p.Split), split_time_ms=int(p.STime), elapsed_ms=int(p.ETime),
        penalty=enum_name(PENALTY, int(p.Penalty), "penalty"), pit_stops=int(p.NumStops),
        fuel_fraction=units.fuel200_fraction(int(p.Fuel200)),
    )


def _pit(p: Any, t: float) -> Event:
    tyres = tuple(None if int(v) == TYRE.NOT_CHANGED else enum_name(TYRE, int(v), "tyre") for v in p.Tyres)
    return PitStopStarted(
        t, plid=int(p.PLID), laps_done=int(p.LapsDone), fuel_added_fraction=units.fuel_percent_fraction(int(p.FuelAdd)),
        tyres=tyres, work=int(p.Work), penalty=enum_name(PENALTY, int(p.Penalty), "penalty"),
        pit_stops=int(p.NumStops), flags=int(p.Flags),
    )


def _pla(p: Any, t: float) -> Event:
    fact = int(p.Fact)
    purpose = PIT_PURPOSES.get(fact, f"fact_{fact}")
    return PitLaneChanged(t, plid=int(p.PLID), entered=fact != PITLANE.EXIT, purpose=purpose)


def _contact_car(c: Any) -> ContactCar:
    throttle, brake = units.nibbles(int(c.ThrBrk))
    clutch, handbrake = units.nibbles(int(c.CluHan))
    return ContactCar(
        plid=int(c.PLID), info=int(c.Info), steer_rad=units.contact_steer_rad(int(c.Steer)), throttle=throttle,
        brake=brake, clutch=clutch, handbrake=handbrake, gear=units.contact_gear(int(c.GearSp)),
        speed_mps=float(c.Speed), direction_rad=units.angle8_rad(float(c.Direction)),
        heading_rad=units.angle8_rad(float(c.Heading)), accel_long_mps2=float(c.AccelF),
        accel_lat_mps2=units.contact_lateral_mps2(int(c.AccelR)),
        x_m=units.coarse_position_m(float(c.X)), y_m=units.coarse_position_m(float(c.Y)),
    )


def _object_car(c: Any) -> ObjectCar:
    return ObjectCar(speed_mps=float(c.Speed), direction_rad=units.angle8_rad(float(c.Direction)),
                     heading_rad=units.angle8_rad(float(c.Heading)), x_m=units.coarse_position_m(float(c.X)),
                     y_m=units.coarse_position_m(float(c.Y)), altitude_raw=int(c.Zbyte))


def _con(p: Any, t: float) -> Event:
    return Contact(t, time_ms=int(p.Time), closing_speed_mps=units.closing_speed_mps(int(p.SpClose)),
                   a=_contact_car(p.A), b=_contact_car(p.B))


def _obh(p: Any, t: float) -> Event:
    flags = int(p.OBHFlags)
    layout = bool(flags & OBH.LAYOUT)
    return ObjectHit(
        t, plid=int(p.PLID), time_ms=int(p.Time), closing_speed_mps=units.closing_speed_mps(int(p.SpClose)),
        car=_object_car(p.C), object_x_m=units.coarse_position_m(float(p.X)),
        object_y_m=units.coarse_position_m(float(p.Y)),
        object_z_m=units.object_height_m(float(p.Zbyte)) if layout else None, object_index=int(p.Index),
        layout=layout, can_move=bool(flags & OBH.CAN_MOVE), was_moving=bool(flags & OBH.WAS_MOVING),
        on_spot=bool(flags & OBH.ON_SPOT),
    )


def _hlv(p: Any, t: float) -> Event:
    return HotlapViolation(t, plid=int(p.PLID), time_ms=int(p.Time), reason=enum_name(HLVC, int(p.HLVC), "hlvc"),
                           car=_object_car(p.C))


def _flg(p: Any, t: float) -> Event:
    flag = int(p.Flag)
    return FlagChanged(t, plid=int(p.PLID), flag=FLAGS.get(flag, f"flag_{flag}"), on=bool(p.OffOn),
                       car_behind=int(p.CarBehind))


def _pen(p: Any, t: float) -> Event:
    return PenaltyChanged(t, plid=int(p.PLID), old=enum_name(PENALTY, int(p.OldPen), "penalty"),
                          new=enum_name(PENALTY, int(p.NewPen), "penalty"),
                          reason=enum_name(PENR, int(p.Reason), "reason"))


def _fin(p: Any, t: float) -> Event:
    return CarFinished(t, plid=int(p.PLID), total_time_ms=int(p.TTime), best_lap_ms=int(p.BTime),
                       laps_done=int(p.LapsDone), pit_stops=int(p.NumStops), confirm=int(p.Confirm),
                       flags=int(p.Flags))


def _res(p: Any, t: float) -> Event:
    rank = int(p.ResultNum)
    return ResultConfirmed(
        t, plid=int(p.PLID), user_name=str(p.UName), name=text(p.PName), plate=text(p.Plate), car=str(p.CName),
        total_time_ms=int(p.TTime), best_lap_ms=int(p.BTime), laps_done=int(p.LapsDone),
        pit_stops=int(p.NumStops), confirm=int(p.Confirm), flags=int(p.Flags),
        position=None if rank == 255 else rank + 1, num_results=int(p.NumRes), penalty_s=int(p.PSeconds),
        reply=bool(p.ReqI),
    )


def _reo(p: Any, t: float) -> Event:
    return GridOrdered(t, plids=tuple(int(v) for v in p.PLID[: int(p.NumP)]))


CONVERTERS: dict[str, Callable[[Any, float], Event]] = {
    "IS_STA": _sta,
    "IS_RST": _rst,
    "IS_NCN": _ncn,
    "IS_CNL": _cnl,
    "IS_CPR": _cpr,
    "IS_NPL": _npl,
    "IS_PLP": lambda p, t: PlayerPitted(t, plid=int(p.PLID)),
    "IS_PLL": lambda p, t: PlayerLeft(t, plid=int(p.PLID)),
    "IS_TOC": _toc,
    "IS_CRS": lambda p, t: CarReset(t, plid=int(p.PLID)),
    "IS_REO": _reo,
    "IS_LAP": _lap,
    "IS_SPX": _spx,
    "IS_PIT": _pit,
    "IS_PSF": lambda p, t: PitStopFinished(t, plid=int(p.PLID), stop_time_ms=int(p.STime)),
    "IS_PLA": _pla,
    "IS_CON": _con,
    "IS_OBH": _obh,
    "IS_HLV": _hlv,
    "IS_FLG": _flg,
    "IS_PEN": _pen,
    "IS_FIN": _fin,
    "IS_RES": _res,
    "IS_NLP": node_laps,
}
"""InSim packets that become events (IS_MCI goes through `car_sets` and `car_samples`)."""


def convert(packet: Any, t: float) -> Event | None:
    """One InSim packet -> its event, or None for packets telemetry does not use (IS_TINY, IS_VER …)."""
    make = CONVERTERS.get(packet.name)
    return None if make is None else make(packet, t)


__all__ = ["CONVERTERS", "NEW_PENALTIES", "car_samples", "convert", "enum_name", "gauge_sample", "motion_sample",
           "node_laps", "text"]
