"""Column-wise OutSim / OutGauge conversion gives, value for value, what the one-by-one conversion gives.

Random datagram bytes cover the corners: random float32 bit patterns include NaN, infinities,
subnormals and values far out of range.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lfs_ayats import packets as P
from lfs_ayats.packets import outsim as os_
from lfs_ayats.packets.outgauge import OUTGAUGE_ID_SIZE, OUTGAUGE_SIZE
from lfs_ayats.telemetry import convert, viewed_columns
from lfs_ayats.telemetry.events import GaugeSample, MotionSample

OPTS = (0, 0x1FF, 0x1FE, 0x0FF, 0x081, 0x03D, 0x0C1, 0x104)  # legacy, all blocks, no header, no wheels, odd mixes


def expected_motion(ev: MotionSample) -> dict[str, float]:
    out = {name: float(getattr(ev, name)) for name in viewed_columns.MOTION_COLUMNS}
    vel = ev.velocity_mps or (math.nan, math.nan, math.nan)
    out["vx"], out["vy"] = vel[0], vel[1]
    out["time_ms"] = math.nan if ev.time_ms is None else float(ev.time_ms)
    for w, wheel in enumerate(viewed_columns.WHEELS):
        for column in viewed_columns.WHEEL_COLUMNS:
            out[f"{column}_{wheel}"] = float(getattr(ev.wheels[w], column)) if ev.wheels else math.nan
    return out


def assert_rows_equal(columns: dict[str, np.ndarray], expected: list[dict[str, float]]) -> None:
    for name in expected[0]:
        want = np.array([row[name] for row in expected], dtype=np.float64)
        got = columns[name]
        assert got.dtype == np.float64, name
        assert np.array_equal(got, want, equal_nan=True), (name, got, want)
        # -0.0 and 0.0 are equal above; the sign bit must agree as well.
        assert np.array_equal(np.signbit(got[~np.isnan(got)]), np.signbit(want[~np.isnan(want)])), name


@settings(max_examples=150, deadline=None)
@given(opts=st.sampled_from(OPTS), with_id=st.booleans(), data=st.data())
def test_outsim_columns_match_one_by_one(opts: int, with_id: bool, data: st.DataObject) -> None:
    size = (os_.OUTSIM_ID_SIZE if with_id else os_.OUTSIM_SIZE) if opts == 0 else os_.outsim2_size(opts)
    rows = data.draw(st.lists(st.binary(min_size=size, max_size=size), min_size=1, max_size=12))
    if opts & 1:
        rows = [b"LFST" + r[4:] for r in rows]
    layout = viewed_columns.outsim_dtype(size, opts)
    assert layout is not None
    raw = viewed_columns.frombuffer(rows, layout[0])
    assert viewed_columns.outsim_header_ok(raw, layout[1]).all()
    columns = viewed_columns.motion_columns(raw)
    assert_rows_equal(columns, [expected_motion(convert.motion_sample(P.decode_outsim(r, opts), 0.0)) for r in rows])


@settings(max_examples=150, deadline=None)
@given(size=st.sampled_from((OUTGAUGE_SIZE, OUTGAUGE_ID_SIZE)), data=st.data())
def test_outgauge_columns_match_one_by_one(size: int, data: st.DataObject) -> None:
    rows = data.draw(st.lists(st.binary(min_size=size, max_size=size), min_size=1, max_size=12))
    dtype = viewed_columns.outgauge_dtype(size)
    assert dtype is not None
    columns = viewed_columns.gauge_columns(viewed_columns.frombuffer(rows, dtype))
    events: list[GaugeSample] = [convert.gauge_sample(P.decode_outgauge(r), 0.0) for r in rows]
    assert_rows_equal(columns, [{name: float(getattr(ev, name)) for name in viewed_columns.GAUGE_COLUMNS}
                                for ev in events])
    assert columns["plid"].tolist() == [ev.plid for ev in events]


def test_layouts_refuse_what_decode_refuses() -> None:
    assert viewed_columns.outgauge_dtype(50) is None
    assert viewed_columns.outsim_dtype(65, None) is None
    assert viewed_columns.outsim_dtype(os_.outsim2_size(0x1FF), 0) is None  # Opts 0 means the legacy pack
    assert viewed_columns.outsim_dtype(os_.outsim2_size(0x1FF) + 4, 0x1FF) is None
    layout = viewed_columns.outsim_dtype(os_.outsim2_size(0x1FF), None)
    assert layout is not None and layout[1] == 0x1FF
    bad = viewed_columns.frombuffer([b"XXXX" + bytes(os_.outsim2_size(0x1FF) - 4)], layout[0])
    assert not viewed_columns.outsim_header_ok(bad, 0x1FF).any()
