"""The fast OutSim / OutGauge conversions give exactly the events of the value-by-value ones.

Random datagram bytes cover it all: random float32 bit patterns include NaN, infinities,
subnormals and values far out of range (about one datagram in six has a non-finite float).
"""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from lfs_ayats import packets as P
from lfs_ayats.packets import outsim as os_
from lfs_ayats.packets.outgauge import OUTGAUGE_ID_SIZE, OUTGAUGE_SIZE
from lfs_ayats.telemetry import convert

from . import builders as b

OPTS = (0x1FF, 0x1FE, 0x0FF, 0x081, 0x03D, 0x0C1)  # all blocks, no header, no wheels, odd mixes


def same(a: object, b: object) -> bool:
    """Field for field, NaN equal to NaN and -0.0 told from 0.0 (repr is exact for floats)."""
    return type(a) is type(b) and repr(a) == repr(b)


@settings(max_examples=300, deadline=None)
@given(opts=st.sampled_from(OPTS), data=st.data())
def test_outsim2_fast_path_matches_checked(opts: int, data: st.DataObject) -> None:
    size = os_.outsim2_size(opts)
    raw = bytearray(data.draw(st.binary(min_size=size, max_size=size)))
    if opts & 1:
        raw[:4] = b"LFST"
    packet = P.decode_outsim(bytes(raw), opts)
    plid = data.draw(st.integers(0, 255))
    assert same(convert.motion_sample(packet, 1.25, plid), convert._motion_checked(packet, 1.25, plid))


@settings(max_examples=200, deadline=None)
@given(raw=st.one_of(st.binary(min_size=os_.OUTSIM_SIZE, max_size=os_.OUTSIM_SIZE),
                     st.binary(min_size=os_.OUTSIM_ID_SIZE, max_size=os_.OUTSIM_ID_SIZE)))
def test_legacy_outsim_fast_path_matches_checked(raw: bytes) -> None:
    packet = P.decode_outsim(raw, 0)
    assert same(convert.motion_sample(packet, 0.5), convert._motion_checked(packet, 0.5))


@settings(max_examples=300, deadline=None)
@given(raw=st.one_of(st.binary(min_size=OUTGAUGE_SIZE, max_size=OUTGAUGE_SIZE),
                     st.binary(min_size=OUTGAUGE_ID_SIZE, max_size=OUTGAUGE_ID_SIZE)))
def test_outgauge_fast_path_matches_checked(raw: bytes) -> None:
    packet = P.decode_outgauge(raw)
    assert same(convert.gauge_sample(packet, 2.0), convert._gauge_checked(packet, 2.0))


@given(value=st.sampled_from([float("nan"), float("inf"), float("-inf"), 3.4e38, -3.4e38, 1e-45, 1.5, -0.0]),
       field=st.sampled_from(range(4 + 4 + 4, os_.outsim2_size(0x1FF), 4)))
def test_one_odd_float_anywhere_in_a_full_outsim2(value: float, field: int) -> None:
    raw = bytearray(b.outsim2(500.0, x=12.0, vx=20.0))
    struct.pack_into("<f", raw, field, value)  # some offsets are ints or bytes: any bit pattern is fine
    packet = P.decode_outsim(bytes(raw))
    assert same(convert.motion_sample(packet, 3.0, 7), convert._motion_checked(packet, 3.0, 7))


def test_sums_that_overflow_take_the_checked_path() -> None:
    raw = bytearray(b.outsim2(500.0))
    packet = P.decode_outsim(bytes(raw))
    huge = packet.replace(OSMain=packet.OSMain.replace(Accel=(1e308, 1e308, 0.0)))  # finite, but the sum is not
    assert same(convert.motion_sample(huge, 0.0), convert._motion_checked(huge, 0.0))
    assert convert.motion_sample(huge, 0.0).invalid == 0
