"""LFS wire integers -> SI units: the only place that knows the scales.

Positions in metres, speeds in m/s, angles in radians (LFS's convention: 0 = world +Y,
anticlockwise seen from above, so "left" is positive), angular rates in rad/s, times in seconds
or, where LFS measured them, exact integer milliseconds. Every function takes a Python number or
a numpy array and returns the same kind, so whole IS_MCI sets convert column-wise.
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np

N = TypeVar("N", float, np.ndarray)

TWO_PI = 2.0 * math.pi

POSITION_PER_M = 65536  # CompCar X/Y/Z, OutSim Pos, IS_CPP Pos
COARSE_POSITION_PER_M = 16  # CarContact / CarContOBJ / ObjectInfo X, Y
OBJECT_HEIGHT_PER_M = 4  # ObjectInfo / IS_OBH Zbyte
SPEED_PER_100_MPS = 32768  # CompCar.Speed
ANGLE16_PER_TURN = 65536  # CompCar Heading / Direction, IS_CPP H/P/R
ANGLE8_PER_TURN = 256  # CarContact / CarContOBJ Heading / Direction
ANGVEL_PER_TURN_PER_S = 16384  # CompCar.AngVel
CLOSING_SPEED_PER_MPS = 10  # IS_CON / IS_OBH SpClose, low 12 bits
NIBBLE_FULL = 15  # CarContact pedals: 0..15
CONTACT_REVERSE_GEAR = 15  # CarContact GearSp high nibble
FUEL_HIDDEN = 255  # IS_LAP/SPX Fuel200, IS_NPL Fuel, IS_PIT FuelAdd with /showfuel no
PA_PER_BAR = 100_000.0


def wrap_angle(rad: N) -> N:
    """An angle in [-π, π)."""
    return (rad + math.pi) % TWO_PI - math.pi


def position_m(raw: N) -> N:
    """CompCar / OutSim / IS_CPP position: 65536 = 1 m."""
    return raw / POSITION_PER_M


def coarse_position_m(raw: N) -> N:
    """CarContact / CarContOBJ / ObjectInfo X and Y: 16 = 1 m."""
    return raw / COARSE_POSITION_PER_M


def object_height_m(zbyte: N) -> N:
    """ObjectInfo Zbyte (and IS_OBH's object Zbyte): 4 = 1 m."""
    return zbyte / OBJECT_HEIGHT_PER_M


def speed_mps(raw: N) -> N:
    """CompCar.Speed: 32768 = 100 m/s."""
    return raw * (100.0 / SPEED_PER_100_MPS)


def angle16_rad(raw: N) -> N:
    """CompCar Heading/Direction: 65536 = 360°, 0 = world +Y, anticlockwise; wrapped to [-π, π)."""
    return wrap_angle(raw * (TWO_PI / ANGLE16_PER_TURN))


def angle8_rad(raw: N) -> N:
    """CarContact / CarContOBJ Heading/Direction: 256 = 360°; wrapped to [-π, π)."""
    return wrap_angle(raw * (TWO_PI / ANGLE8_PER_TURN))


def angular_velocity_radps(raw: N) -> N:
    """CompCar.AngVel: 16384 = 360°/s, anticlockwise positive."""
    return raw * (TWO_PI / ANGVEL_PER_TURN_PER_S)


def closing_speed_mps(raw: int) -> float:
    """IS_CON / IS_OBH SpClose: the low 12 bits, 10 = 1 m/s (the high 4 bits are spare)."""
    return (raw & 0x0FFF) / CLOSING_SPEED_PER_MPS


def ms_to_s(ms: N) -> N:
    return ms / 1000.0


def fuel200_fraction(raw: int) -> float | None:
    """IS_LAP / IS_SPX Fuel200 (2 x percent) -> fraction of the tank; None when the host hides fuel."""
    return None if raw == FUEL_HIDDEN else raw / 200.0


def fuel_percent_fraction(raw: int) -> float | None:
    """IS_NPL Fuel, IS_PIT FuelAdd (percent) -> fraction of the tank; None when hidden."""
    return None if raw == FUEL_HIDDEN else raw / 100.0


def gear(raw: int) -> int:
    """OutGauge / OutSimPack2 / IS_AII Gear (0 = R, 1 = N, 2 = first) -> -1 reverse, 0 neutral, 1.. forward."""
    return raw - 1


def contact_gear(gear_sp: int) -> int:
    """CarContact GearSp: high nibble, 15 = reverse, 0 = neutral -> -1, 0, 1.."""
    nibble = (gear_sp >> 4) & 0x0F
    return -1 if nibble == CONTACT_REVERSE_GEAR else nibble


def nibbles(byte: int) -> tuple[float, float]:
    """CarContact ThrBrk / CluHan: (high, low) nibbles as fractions 0..1."""
    return ((byte >> 4) & 0x0F) / NIBBLE_FULL, (byte & 0x0F) / NIBBLE_FULL


def contact_steer_rad(degrees_right: int) -> float:
    """CarContact.Steer (degrees, right positive) -> radians, left positive like every other angle here."""
    return -math.radians(degrees_right)


def contact_lateral_mps2(accel_right: int) -> float:
    """CarContact.AccelR (m/s², right positive) -> left positive."""
    return float(-accel_right)


def bar_to_pa(bar: float) -> float:
    return bar * PA_PER_BAR


def radps_to_rpm(radps: float) -> float:
    return radps * 60.0 / TWO_PI
