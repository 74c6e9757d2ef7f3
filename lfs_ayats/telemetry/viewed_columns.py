"""Many OutSim / OutGauge datagrams of one size at once: structured arrays -> the store's columns.

An import meets tens of thousands of the viewed car's datagrams a minute; converting them one by
one (`convert.motion_sample`, `convert.gauge_sample`) is most of an import's cost. Here a run of
same-sized datagrams is read with one `np.frombuffer` and converted column-wise with the same
units, the same NaN for non-finite floats and the same `Invalid` bits, value for value
(tests/telemetry/test_viewed_columns.py holds both ways to each other).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lfs_ayats.packets import outgauge_layout, outsim_layout

from . import units, validate

GAUGE_COLUMNS = ("time_ms", "gear", "speed_mps", "rpm", "turbo_pa", "engine_temp_c", "fuel_fraction",
                 "oil_pressure_pa", "oil_temp_c", "dash_lights", "show_lights", "throttle", "brake", "clutch",
                 "flags", "invalid")
MOTION_COLUMNS = ("heading_rad", "pitch_rad", "roll_rad", "x_m", "y_m", "z_m", "speed_mps", "throttle", "brake",
                  "clutch", "handbrake", "steer_rad", "engine_speed_radps", "max_torque_nm", "lap_distance_m",
                  "driven_distance_m", "steer_torque_nm", "invalid")
WHEELS = ("rl", "rr", "fl", "fr")
WHEEL_COLUMNS = ("susp_deflect_m", "vertical_load_n", "slip_ratio", "tan_slip_angle", "ang_vel_radps")
MOTION_WHEEL_COLUMNS = tuple(f"{c}_{w}" for w in WHEELS for c in WHEEL_COLUMNS)

_NOT_FINITE, _SPEED, _YAW = int(validate.Invalid.NOT_FINITE), int(validate.Invalid.SPEED), \
    int(validate.Invalid.YAW_RATE)
_POSITION, _PEDAL, _RPM = int(validate.Invalid.POSITION), int(validate.Invalid.PEDAL), int(validate.Invalid.RPM)
_GEAR, _FUEL = int(validate.Invalid.GEAR), int(validate.Invalid.FUEL)
_LOW, _HIGH = -validate.PEDAL_SLACK, 1.0 + validate.PEDAL_SLACK
_WHEEL_FIELDS = {"susp_deflect_m": "SuspDeflect", "vertical_load_n": "VerticalLoad", "slip_ratio": "SlipRatio",
                 "tan_slip_angle": "TanSlipAngle", "ang_vel_radps": "AngVel"}


class _Bits:
    """Invalid bits of every row, collected while reading the float columns."""

    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=np.int64)

    def f(self, raw: np.ndarray) -> np.ndarray:
        """A float column as float64, non-finite values NaN and flagged."""
        with np.errstate(invalid="ignore"):  # a signalling NaN warns as it widens
            values = raw.astype(np.float64)
        finite = np.isfinite(values)
        if not finite.all():
            row_ok = finite if finite.ndim == 1 else finite.all(axis=tuple(range(1, finite.ndim)))
            self.bad |= np.where(row_ok, 0, _NOT_FINITE)
            values[~finite] = np.nan
        return values

    def flag(self, mask: np.ndarray, bit: int) -> None:
        self.bad |= np.where(mask, bit, 0)


def _out_of(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Finite values outside [low, high] (NaN compares False both ways)."""
    with np.errstate(invalid="ignore"):
        out: np.ndarray = np.isfinite(values) & ~((values >= low) & (values <= high))
    return out


def outsim_dtype(size: int, opts: int | None) -> tuple[np.dtype, int] | None:
    """(dtype, Opts) to read `size`-byte OutSim datagrams with, or None if they go one by one."""
    layout = outsim_layout(size, opts)
    return None if layout is None else (layout[1], layout[2])


def outgauge_dtype(size: int) -> np.dtype | None:
    return outgauge_layout(size)


def outsim_header_ok(raw: np.ndarray, opts: int) -> np.ndarray:
    """Rows whose OutSimPack2 header is 'LFST' (when the Opts have one); `decode_outsim` refuses the rest."""
    if not opts & 1 or "Header" not in (raw.dtype.names or ()):
        return np.ones(len(raw), dtype=bool)
    ok: np.ndarray = raw["Header"].view("S4").ravel() == b"LFST"
    return ok


def motion_columns(raw: np.ndarray) -> dict[str, np.ndarray]:
    """OutSim rows (legacy or OutSimPack2 of one Opts) -> MOTION_COLUMNS + MOTION_WHEEL_COLUMNS + the ruler's inputs.

    Besides the store's columns: "time_ms" (NaN where the Opts leave Time out), "vx", "vy"
    (the velocity the track ruler pairs with; NaN without OSMain).
    """
    n = len(raw)
    names = raw.dtype.names or ()
    bits = _Bits(n)
    nan = np.full(n, np.nan)
    out: dict[str, np.ndarray] = {}
    legacy = "OSMain" not in names and "Pos" in names
    main = raw if legacy else (raw["OSMain"] if "OSMain" in names else None)
    out["time_ms"] = raw["Time"].astype(np.float64) if "Time" in names else nan
    if main is not None:
        ang_vel, accel, vel = bits.f(main["AngVel"]), bits.f(main["Accel"]), bits.f(main["Vel"])
        del accel  # checked for NOT_FINITE like the one-by-one path; the store keeps no column of it
        for name, field in (("heading_rad", "Heading"), ("pitch_rad", "Pitch"), ("roll_rad", "Roll")):
            out[name] = bits.f(main[field])
        pos = main["Pos"].astype(np.float64)
        x, y, z = (units.position_m(pos[:, i]) for i in range(3))
        vx, vy, vz = vel[:, 0], vel[:, 1], vel[:, 2]
        speed = np.sqrt(vx * vx + vy * vy + vz * vz)  # convert.motion_speed's formula, bit for bit
        off = (np.abs(x) > validate.MAP_HALF_SIZE_M) | (np.abs(y) > validate.MAP_HALF_SIZE_M) | (
            np.abs(z) > validate.MAX_ALTITUDE_M)
        bits.flag(off, _POSITION)
        bits.flag(_out_of(speed, 0.0, validate.MAX_SPEED_MPS), _SPEED)
        with np.errstate(invalid="ignore"):
            bits.flag(np.abs(ang_vel[:, 2]) > validate.MAX_YAW_RATE_RADPS, _YAW)
        out.update(x_m=x, y_m=y, z_m=z, speed_mps=speed, vx=vx.copy(), vy=vy.copy())
    else:
        for name in ("heading_rad", "pitch_rad", "roll_rad", "x_m", "y_m", "z_m", "speed_mps", "vx", "vy"):
            out[name] = nan
    if "OSInputs" in names:
        inputs = raw["OSInputs"]
        pedals = []
        for name, field in (("throttle", "Throttle"), ("brake", "Brake"), ("clutch", "Clutch"),
                            ("handbrake", "Handbrake")):
            out[name] = bits.f(inputs[field])
            pedals.append(_out_of(out[name], _LOW, _HIGH))
        bits.flag(pedals[0] | pedals[1] | pedals[2] | pedals[3], _PEDAL)
        out["steer_rad"] = bits.f(inputs["InputSteer"])
    else:
        for name in ("throttle", "brake", "clutch", "handbrake", "steer_rad"):
            out[name] = nan
    if "OSDrive" in names:
        drive = raw["OSDrive"]
        gear = drive["Gear"].astype(np.int64) - 1  # units.gear
        bits.flag((gear < validate.MIN_GEAR) | (gear > validate.MAX_GEAR), _GEAR)
        engine = bits.f(drive["EngineAngVel"])
        out["engine_speed_radps"], out["max_torque_nm"] = engine, bits.f(drive["MaxTorqueAtVel"])
        bits.flag(_out_of(engine * 60.0 / units.TWO_PI, 0.0, validate.MAX_RPM), _RPM)
    else:
        out["engine_speed_radps"] = out["max_torque_nm"] = nan
    if "OSDistance" in names:
        distance = raw["OSDistance"]
        out["driven_distance_m"] = bits.f(distance["CurrentLapDist"])
        out["lap_distance_m"] = bits.f(distance["IndexedDistance"])
    else:
        out["lap_distance_m"] = out["driven_distance_m"] = nan
    if "OSWheels" in names:
        wheels = raw["OSWheels"]
        read = {}
        for field in ("SuspDeflect", "Steer", "XForce", "YForce", "VerticalLoad", "AngVel", "LeanRelToRoad",
                      "SlipRatio", "TanSlipAngle"):
            read[field] = bits.f(wheels[field])  # (n, 4): every one is checked, five are kept
        for w, wheel in enumerate(WHEELS):
            for column, field in _WHEEL_FIELDS.items():
                out[f"{column}_{wheel}"] = np.ascontiguousarray(read[field][:, w])
    else:
        for column in MOTION_WHEEL_COLUMNS:
            out[column] = nan
    out["steer_torque_nm"] = bits.f(raw["OSExtra1"]["SteerTorque"]) if "OSExtra1" in names else nan
    out["invalid"] = bits.bad.astype(np.float64)
    return out


def gauge_columns(raw: np.ndarray) -> dict[str, np.ndarray]:
    """OutGauge rows -> GAUGE_COLUMNS (float64, as the store keeps them) + "plid" (int64)."""
    n = len(raw)
    bits = _Bits(n)
    out: dict[str, np.ndarray] = {"plid": raw["PLID"].astype(np.int64), "time_ms": raw["Time"].astype(np.float64)}
    gear = raw["Gear"].astype(np.int64) - 1  # units.gear
    bits.flag((gear < validate.MIN_GEAR) | (gear > validate.MAX_GEAR), _GEAR)
    out["gear"] = gear.astype(np.float64)
    out["speed_mps"] = bits.f(raw["Speed"])
    bits.flag(_out_of(out["speed_mps"], 0.0, validate.MAX_SPEED_MPS), _SPEED)
    out["rpm"] = bits.f(raw["RPM"])
    bits.flag(_out_of(out["rpm"], 0.0, validate.MAX_RPM), _RPM)
    out["turbo_pa"] = bits.f(raw["Turbo"]) * units.PA_PER_BAR
    out["engine_temp_c"] = bits.f(raw["EngTemp"])
    out["fuel_fraction"] = bits.f(raw["Fuel"])
    bits.flag(_out_of(out["fuel_fraction"], _LOW, _HIGH), _FUEL)
    out["oil_pressure_pa"] = bits.f(raw["OilPressure"]) * units.PA_PER_BAR
    out["oil_temp_c"] = bits.f(raw["OilTemp"])
    out["dash_lights"] = raw["DashLights"].astype(np.float64)
    out["show_lights"] = raw["ShowLights"].astype(np.float64)
    pedal = np.zeros(n, dtype=bool)
    for name, field in (("throttle", "Throttle"), ("brake", "Brake"), ("clutch", "Clutch")):
        out[name] = bits.f(raw[field])
        pedal |= _out_of(out[name], _LOW, _HIGH)
    bits.flag(pedal, _PEDAL)
    out["flags"] = raw["Flags"].astype(np.float64)
    out["invalid"] = bits.bad.astype(np.float64)
    return out


def frombuffer(datas: list[Any], dtype: np.dtype) -> np.ndarray:
    """Same-sized datagrams -> one structured array (one join, one frombuffer)."""
    return np.frombuffer(b"".join(datas), dtype=dtype)
