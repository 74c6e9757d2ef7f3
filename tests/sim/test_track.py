"""The simulator's circuits: closed, smooth, the advertised size, with nodes, splits and a pit lane."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lfs_ayats.sim.track import TRACKS, Track, get_track

CODES = sorted(TRACKS)


@pytest.fixture(params=CODES)
def track(request: pytest.FixtureRequest) -> Track:
    return get_track(request.param)


def test_three_tracks_of_different_character() -> None:
    kinds = {code: get_track(code).kind for code in CODES}
    assert sorted(kinds.values()) == ["club", "fast", "kart"]
    lengths = {get_track(code).kind: get_track(code).length_m for code in CODES}
    assert 2000.0 <= lengths["club"] <= 3000.0
    assert lengths["fast"] > 5000.0
    assert 800.0 <= lengths["kart"] <= 1300.0


def test_unknown_code_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="GM1"):
        get_track("BL1")
    assert TRACKS["GM1"]() is get_track("gm1")


def test_grid_is_about_one_metre(track: Track) -> None:
    assert 0.95 <= track.step_m <= 1.05
    assert len(track.x) * track.step_m == pytest.approx(track.length_m)


def test_closed_loop(track: Track) -> None:
    x0, y0, z0, h0 = track.point_at(0.0)
    x1, y1, z1, h1 = track.point_at(track.length_m)
    assert (x0, y0, z0) == pytest.approx((x1, y1, z1), abs=1e-9)
    assert math.cos(h0 - h1) == pytest.approx(1.0)
    # The last grid step joins the first one.
    gap = math.hypot(track.x[0] - track.x[-1], track.y[0] - track.y[-1])
    assert gap == pytest.approx(track.step_m, rel=0.01)
    assert abs(track.total_turn_rad) == pytest.approx(2.0 * math.pi, abs=1e-6)


def test_curvature_bounded_and_continuous(track: Track) -> None:
    kappa = track.curvature
    assert np.abs(kappa).max() < 1.0 / 8.0
    # Continuous: neighbouring samples (1 m apart) never jump by more than a small amount.
    jumps = np.abs(np.diff(np.append(kappa, kappa[0])))
    assert jumps.max() < 0.01
    assert np.abs(track.racing_line.curvature).max() < 1.0 / 8.0


def test_heading_matches_the_centre_line(track: Track) -> None:
    dx = np.roll(track.x, -1) - track.x
    dy = np.roll(track.y, -1) - track.y
    chord = np.arctan2(-dx, dy)
    mid = track.heading + 0.5 * track.curvature * track.step_m
    assert np.abs(np.sin(chord - mid)).max() < 1e-3


def test_edges_never_cross_another_part_of_the_track(track: Track) -> None:
    pts = np.c_[track.x, track.y][::3]
    s = np.arange(len(pts)) * 3 * track.step_m
    d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    along = np.abs(s[:, None] - s[None, :])
    along = np.minimum(along, track.length_m - along)
    far = along > 60.0
    assert d[far].min() > float(track.width.max()) + 10.0


def test_elevation_is_mild(track: Track) -> None:
    assert 0.5 < np.ptp(track.z) < 40.0
    assert np.abs(track.grade).max() < 0.08


def test_splits_and_nodes(track: Track) -> None:
    splits = track.split_distances
    assert 2 <= len(splits) <= 3
    assert list(splits) == sorted(splits)
    assert splits[0] > 0.0 and splits[-1] < track.length_m
    nodes = track.nodes
    assert 5.0 <= nodes.spacing_m <= 8.0
    assert track.finish_distance == 0.0
    assert track.node_at(0.0) == track.finish_node
    assert track.finish_node != 0  # numbered from elsewhere, like LFS's PTH files
    for split, node in zip(splits, track.split_nodes, strict=True):
        assert track.node_at(split + 0.01) == node
        assert nodes.distance[node] == pytest.approx(split)
    # Every node lies on the centre line at its distance and points along it.
    x, y, _, h = track.point_at(nodes.distance)
    assert np.allclose(nodes.x, x, atol=0.05) and np.allclose(nodes.y, y, atol=0.05)
    assert np.allclose(nodes.dir_x, -np.sin(h), atol=0.02) and np.allclose(nodes.dir_y, np.cos(h), atol=0.02)
    assert np.all(nodes.drive_left < 0) and np.all(nodes.drive_right > 0)
    assert np.all(nodes.limit_left < nodes.drive_left)


def test_node_numbering_runs_once_round_the_lap(track: Track) -> None:
    d = np.arange(0.0, track.length_m, 0.5)
    nodes = track.node_at(d)
    steps = np.diff(nodes) % len(track.nodes)
    assert set(steps.tolist()) <= {0, 1}
    assert len(set(nodes.tolist())) == len(track.nodes)


def test_project_inverts_point_at(track: Track) -> None:
    rng = np.random.default_rng(4)
    d = rng.uniform(0.0, track.length_m, 400)
    offset = rng.uniform(-0.45, 0.45, 400) * track.sample(track.width, d)
    x, y, _, _ = track.point_at(d, offset)
    back = track.project(x, y)
    err = (back - d + track.length_m / 2) % track.length_m - track.length_m / 2
    assert np.abs(err).max() < 0.25
    assert track.project(*track.point_at(123.4)[:2]) == pytest.approx(123.4, abs=0.05)


def test_point_at_scalar_and_vector_agree(track: Track) -> None:
    d = np.array([0.0, 10.5, track.length_m - 0.25, 2 * track.length_m + 3.0])
    xs, ys, zs, hs = track.point_at(d, np.full(4, 2.0))
    for k in range(4):
        x, y, z, h = track.point_at(float(d[k]), 2.0)
        assert (x, y, z, h) == pytest.approx((xs[k], ys[k], zs[k], hs[k]))
    # A positive offset is on the left of the direction of travel.
    x0, y0, _, h0 = track.point_at(50.0)
    xl, yl, _, _ = track.point_at(50.0, 3.0)
    fwd = (-math.sin(h0), math.cos(h0))
    cross = fwd[0] * (yl - y0) - fwd[1] * (xl - x0)
    assert cross == pytest.approx(3.0, rel=1e-6)


def test_racing_line_stays_inside(track: Track) -> None:
    assert np.all(np.abs(track.racing_line_offset) < 0.5 * track.width - 1.0)
    assert np.abs(track.racing_line_offset).max() > 0.5


def test_pit_lane_is_beside_the_main_straight(track: Track) -> None:
    pit = track.pit
    length = track.length_m
    assert 0.0 < pit.exit_distance < pit.entry_distance < length
    assert 0.0 < pit.box_first < pit.box_last < pit.limit_end
    assert pit.speed_limit_mps * 3.6 <= 80.0
    d = np.arange(0.0, length, 1.0)
    lane = pit.lateral_offset(d)
    assert lane.max() == pytest.approx(pit.offset_m)
    assert np.all(lane[(d > pit.exit_distance) & (d < pit.entry_distance)] == 0.0)
    full = lane >= pit.offset_m - 1e-9
    x, y, _, _ = track.point_at(d[full], lane[full])
    # The lane stays clear of every part of the circuit, not just the straight beside it.
    dist = np.hypot(x[:, None] - track.x[None, ::2], y[:, None] - track.y[None, ::2]).min(axis=1)
    assert dist.min() > 0.5 * float(track.width.max()) + 3.0
    boxes = [pit.box_distance(i, 48) for i in range(48)]
    assert all(pit.box_first <= b <= pit.box_last for b in boxes)
