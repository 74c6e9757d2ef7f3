"""Physical limits and the `Invalid` bits that flag values outside them.

Nothing here raises or clips: a corrupt or implausible value stays on its event as received (a
non-finite float becomes NaN) and the event says which checks failed, so a chart can skip it and
the feed can count it.
"""

from __future__ import annotations

import math
from enum import IntFlag

import numpy as np


class Invalid(IntFlag):
    """What is wrong with a sample (0: nothing)."""

    NOT_FINITE = 1  # a NaN or infinite float (corrupt OutSim / OutGauge)
    SPEED = 2
    YAW_RATE = 4
    POSITION = 8  # off the map
    PEDAL = 16
    RPM = 32
    GEAR = 64
    FUEL = 128
    SAMPLE_GAP = 256  # derived values (accelerations) skipped: the previous sample is too old


PHYSICAL = int(Invalid.NOT_FINITE | Invalid.SPEED | Invalid.YAW_RATE | Invalid.POSITION | Invalid.PEDAL
               | Invalid.RPM | Invalid.GEAR | Invalid.FUEL)
"""The bits that mean a received value is implausible (SAMPLE_GAP only says a derivative is missing)."""

# Plain ints for the per-datagram checks: IntFlag arithmetic costs a microsecond a bit.
_NOT_FINITE, _SPEED, _YAW, _POSITION = int(Invalid.NOT_FINITE), int(Invalid.SPEED), int(Invalid.YAW_RATE), \
    int(Invalid.POSITION)
_PEDAL, _RPM, _GEAR, _FUEL = int(Invalid.PEDAL), int(Invalid.RPM), int(Invalid.GEAR), int(Invalid.FUEL)

MAX_SPEED_MPS = 150.0
MAX_YAW_RATE_RADPS = 20.0
MAP_HALF_SIZE_M = 5000.0  # LFS worlds are a few km across; CompCar allows ±32 km, so further out is corrupt
MAX_ALTITUDE_M = 2000.0
MAX_RPM = 25_000.0
MIN_GEAR, MAX_GEAR = -1, 10
PEDAL_SLACK = 1e-6
MAX_SAMPLE_GAP_S = 0.5
"""Successive samples of one car further apart than this give no acceleration."""


def car_checks(speed: np.ndarray, yaw_rate: np.ndarray, x: np.ndarray, y: np.ndarray,
               z: np.ndarray) -> np.ndarray:
    """Per-car Invalid bits of an IS_MCI set (uint16 array)."""
    bad = np.where(speed > MAX_SPEED_MPS, _SPEED, 0)
    bad |= np.where(np.abs(yaw_rate) > MAX_YAW_RATE_RADPS, _YAW, 0)
    off = (np.abs(x) > MAP_HALF_SIZE_M) | (np.abs(y) > MAP_HALF_SIZE_M) | (np.abs(z) > MAX_ALTITUDE_M)
    bad |= np.where(off, _POSITION, 0)
    out: np.ndarray = bad.astype(np.uint16)
    return out


_CAR_LIMITS = np.array([[MAP_HALF_SIZE_M], [MAP_HALF_SIZE_M], [MAX_ALTITUDE_M], [MAX_SPEED_MPS],
                        [MAX_YAW_RATE_RADPS]])


def car_rows_checks(rows: np.ndarray) -> np.ndarray:
    """`car_checks` of a (5, n) block of x, y, z, speed, yaw rate: one comparison while all is plausible."""
    if not np.count_nonzero(np.abs(rows) > _CAR_LIMITS):  # |speed| bounds speed: nothing is missed
        return np.zeros(rows.shape[1], dtype=np.uint16)
    x, y, z, speed, yaw = rows
    return car_checks(speed, yaw, x, y, z)


def finite(value: float) -> tuple[float, int]:
    """(value or NaN, Invalid.NOT_FINITE or 0)."""
    if math.isfinite(value):
        return value, 0
    return math.nan, _NOT_FINITE


def pedal(value: float) -> tuple[float, int]:
    value, bad = finite(value)
    if not -PEDAL_SLACK <= value <= 1.0 + PEDAL_SLACK and not bad:
        bad = _PEDAL
    return value, bad


def speed(value: float) -> tuple[float, int]:
    value, bad = finite(value)
    if not bad and not 0.0 <= value <= MAX_SPEED_MPS:
        bad = _SPEED
    return value, bad


def rpm(value: float) -> tuple[float, int]:
    value, bad = finite(value)
    if not bad and not 0.0 <= value <= MAX_RPM:
        bad = _RPM
    return value, bad


def fuel(value: float) -> tuple[float, int]:
    value, bad = finite(value)
    if not bad and not -PEDAL_SLACK <= value <= 1.0 + PEDAL_SLACK:
        bad = _FUEL
    return value, bad


def gear(value: int) -> int:
    return 0 if MIN_GEAR <= value <= MAX_GEAR else _GEAR


def position(x: float, y: float, z: float) -> int:
    if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z)):
        return _NOT_FINITE
    if abs(x) > MAP_HALF_SIZE_M or abs(y) > MAP_HALF_SIZE_M or abs(z) > MAX_ALTITUDE_M:
        return _POSITION
    return 0


def yaw_rate(value: float) -> tuple[float, int]:
    value, bad = finite(value)
    if not bad and abs(value) > MAX_YAW_RATE_RADPS:
        bad = _YAW
    return value, bad
