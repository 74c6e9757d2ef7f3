"""Corners from geometry on the simulator's GM1, stored per layout, and per-lap corner reports."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from lfs_ayats.analysis import corners
from lfs_ayats.analysis.compare import compare_laps
from lfs_ayats.analysis.load import LapSource
from lfs_ayats.sim.track import get_track
from lfs_ayats.store.corners import corner_defs

from .conftest import Analysed


def _path(source: LapSource, lap: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    trace = source.trace(lap)
    assert trace is not None
    s = trace.s if trace.s is not None else np.r_[0, np.cumsum(np.hypot(np.diff(trace.x), np.diff(trace.y)))]
    return trace.x, trace.y, s


def test_the_centre_line_of_gm1_has_its_corners() -> None:
    track = get_track("GM1")
    s = np.arange(0.0, track.length_m, 1.0)
    x, y, _, _ = track.point_at(s)
    found = corners.detect_corners(np.asarray(x), np.asarray(y), s)
    turns = [c.turn_deg for c in found]
    # GM1: 90 R, esses 40 L / 40 R, 90 R, 70 R, 70 L, hairpin 180 R, 90 L, chicane 30 R / 30 L, 90 R
    assert 9 <= len(found) <= 11
    assert max(turns) == pytest.approx(180, abs=8) and found[int(np.argmax(turns))].direction == "right"
    assert sum(1 for c in found if c.direction == "right") > sum(1 for c in found if c.direction == "left")
    assert all(c.entry_m < c.apex_m < c.exit_m for c in found)
    assert all(a.exit_m <= b.entry_m for a, b in pairwise(found))


def test_the_racing_line_gives_the_same_corners_on_every_clean_lap(analysed: Analysed) -> None:
    source = LapSource(analysed.engine)
    maps = [corners.detect_corners(*_path(source, lap)) for lap in analysed.clean()]
    counts = {len(m) for m in maps}
    assert counts == {9}, counts  # the two right-handers 60 m apart stay two corners
    apexes = np.array([[c.apex_m for c in m] for m in maps])
    assert np.max(np.ptp(apexes, axis=0)) < 15.0  # the curvature-weighted apex stays put (6(b): ~25 m)
    hairpin = [max(m, key=lambda c: c.turn_deg) for m in maps]
    assert all(170 < c.turn_deg < 190 for c in hairpin)


def test_corners_are_stored_once_per_layout_and_renamable(analysed: Analysed, tmp_path: Path) -> None:
    from lfs_ayats.analysis.export import copy_session
    from lfs_ayats.store.engine import open_store

    own = open_store(f"sqlite:///{tmp_path / 'own.db'}")  # renaming changes the database: use a copy
    copy_session(analysed.engine, analysed.session_id, own)
    source = LapSource(own)
    first = corners.corner_map(source, "GM1", redetect=True)
    assert len(first.corners) == 9 and first.source_lap_id is not None
    assert [c.name for c in first.corners] == [f"T{i}" for i in range(1, 10)]
    assert corners.rename(own, "GM1", "", 7, "Hairpin")
    assert not corners.rename(own, "GM1", "", 42, "Nowhere")
    again = corners.corner_map(own, "GM1")
    assert again.corners[6].name == "Hairpin" and again.corners[0] == first.corners[0]
    assert len(corner_defs(own, "GM1")) == 9
    redone = corners.corner_map(source, "GM1", redetect=True)  # a user's names survive re-detection
    assert redone.corners[6].name == "Hairpin"
    with pytest.raises(ValueError, match="no clean lap at XX9"):
        corners.corner_map(source, "XX9")
    # An autocross layout nobody drove has no corners yet: the track's own laps must not define them.
    with pytest.raises(ValueError, match="no clean lap at GM1/FOO"):
        corners.corner_map(source, "GM1", "FOO")
    assert corner_defs(own, "GM1", "FOO") == []


@pytest.mark.parametrize("ref", ["best", "envelope"])
def test_corner_and_straight_losses_add_up_to_the_lap_delta(analysed: Analysed, ref: str) -> None:
    source = LapSource(analysed.engine)
    cmap = corners.corner_map(source, "GM1")
    for lap in analysed.clean()[:8]:
        c = compare_laps(source, lap["id"], ref)
        report = corners.corner_report(c, cmap)
        assert report["delta_s"].sum() == pytest.approx(c.delta_s, abs=1e-9)
        entry, exit_ = report["entry_m"].to_numpy(), report["exit_m"].to_numpy()
        assert entry[0] == 0 and exit_[-1] == pytest.approx(c.length_m) and np.allclose(entry[1:], exit_[:-1])
        assert report.filter(report["kind"] == "corner").height == len(cmap.corners)
        assert (report["time_s"] > 0).all() and (report["v_min_kmh"] <= report["v_entry_kmh"] + 1e-9).all()


def test_braking_points_and_their_delta(analysed: Analysed) -> None:
    viewed = [lap for lap in analysed.clean() if lap["plid"] == 1]
    c = compare_laps(analysed.engine, viewed[-1]["id"], "last")
    report = corners.corner_report(c, corners.corner_map(analysed.engine, "GM1"))
    rows = report.filter(report["kind"] == "corner")
    assert set(rows["brake_source"]) == {"pedal"}
    hairpin = rows.sort("v_min_kmh").row(0, named=True)
    assert hairpin["brake_on_m"] is not None and hairpin["brake_on_m"] < hairpin["entry_m"]
    braked = rows.filter(rows["brake_delta_m"].is_not_null())
    assert braked.height >= 5
    assert np.allclose(braked["brake_delta_m"], braked["brake_on_m"] - braked["brake_on_ref_m"])
    assert (braked["brake_delta_m"].abs() < 30).all()  # two clean laps of one driver brake within metres
    other = next(lap for lap in analysed.clean() if lap["plid"] != 1)
    decel = corners.corner_report(compare_laps(analysed.engine, other["id"], "best"),
                                  corners.corner_map(analysed.engine, "GM1"))
    assert set(decel["brake_source"]) == {"decel"} and decel["brake_on_m"].drop_nulls().len() >= 5


def test_costliest_lists_losing_corners_worst_first(analysed: Analysed) -> None:
    slow = max(analysed.clean(), key=lambda r: r["time_ms"])
    c = compare_laps(analysed.engine, slow["id"], "best")
    worst = corners.costliest(corners.corner_report(c, corners.corner_map(analysed.engine, "GM1")), 3)
    assert 1 <= worst.height <= 3 and (worst["delta_s"] > 0).all()
    assert worst["delta_s"].to_list() == sorted(worst["delta_s"].to_list(), reverse=True)
