"""Every scale LFS uses, turned into SI units in one place."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lfs_ayats.telemetry import units


def test_positions() -> None:
    assert units.position_m(65536) == 1.0
    assert units.position_m(-65536 * 250) == -250.0
    assert units.coarse_position_m(16) == 1.0
    assert units.object_height_m(4) == 1.0


def test_speed_32768_is_100_mps() -> None:
    assert units.speed_mps(32768) == 100.0
    assert units.speed_mps(327.68) == pytest.approx(1.0)
    assert units.closing_speed_mps(10) == 1.0
    assert units.closing_speed_mps(0xF000 | 58) == 5.8  # the high 4 bits are spare


def test_angles_65536_is_a_turn_wrapped_to_plus_minus_pi() -> None:
    assert units.angle16_rad(0) == 0.0
    assert units.angle16_rad(16384) == pytest.approx(math.pi / 2)  # anticlockwise: world -X
    assert units.angle16_rad(32768) == pytest.approx(-math.pi)  # [-π, π)
    assert units.angle16_rad(49152) == pytest.approx(-math.pi / 2)
    assert units.angle8_rad(64) == pytest.approx(math.pi / 2)
    assert units.angle8_rad(128) == pytest.approx(-math.pi)


def test_angular_velocity_16384_is_360_degrees_a_second() -> None:
    assert units.angular_velocity_radps(16384) == pytest.approx(2 * math.pi)
    assert units.angular_velocity_radps(-8192) == pytest.approx(-math.pi)


def test_column_wise_on_arrays() -> None:
    raw = np.array([0, 32768, 65535], dtype=np.uint16).astype(np.float64)
    assert np.allclose(units.speed_mps(raw), [0.0, 100.0, 65535 / 327.68])
    assert np.allclose(units.angle16_rad(np.array([0.0, 16384.0])), [0.0, math.pi / 2])


def test_fuel_scales_and_hidden_fuel() -> None:
    assert units.fuel200_fraction(200) == 1.0
    assert units.fuel200_fraction(13) == 0.065
    assert units.fuel200_fraction(255) is None  # /showfuel no
    assert units.fuel_percent_fraction(8) == 0.08
    assert units.fuel_percent_fraction(255) is None


def test_gear_offsets() -> None:
    assert [units.gear(raw) for raw in (0, 1, 2, 7)] == [-1, 0, 1, 6]  # OutGauge / OutSim: 0 = R, 1 = N
    assert units.contact_gear(15 << 4) == -1  # CarContact: 15 = R
    assert units.contact_gear(0) == 0
    assert units.contact_gear(3 << 4 | 0x0F) == 3  # the low nibble is spare


def test_contact_fields() -> None:
    assert units.nibbles(0xF0) == (1.0, 0.0)
    assert units.nibbles(0x5A) == pytest.approx((5 / 15, 10 / 15))
    assert units.contact_steer_rad(10) == pytest.approx(-math.radians(10))  # right positive -> left positive
    assert units.contact_lateral_mps2(-6) == 6.0


def test_times_and_pressures() -> None:
    assert units.ms_to_s(89799) == 89.799
    assert units.bar_to_pa(1.5) == 150_000.0
    assert units.radps_to_rpm(2 * math.pi) == pytest.approx(60.0)
