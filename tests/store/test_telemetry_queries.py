"""A lap's telemetry as a DataFrame, filtered by distance, time and channels."""

from __future__ import annotations

import numpy as np
import polars as pl

from lfs_ayats.store import queries

from .conftest import Imported


def _a_clean_lap(imported: Imported) -> dict:  # type: ignore[type-arg]
    return queries.laps(imported.engine, imported.session_id, clean=True)[0]


def test_a_laps_car_samples_cover_the_lap(imported: Imported) -> None:
    lap = _a_clean_lap(imported)
    frame = queries.lap_telemetry(imported.engine, lap["id"])
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns[:3] == ["t", "plid", "lap"] and "speed_mps" in frame.columns
    assert set(frame["plid"]) == {lap["plid"]} and set(frame["lap"]) == {lap["lap"]}
    t = frame["t"].to_numpy()
    assert np.all(np.diff(t) >= 0)
    duration = lap["time_ms"] / 1000
    assert abs((t[-1] - t[0]) - duration) < 0.5  # 10 Hz IS_MCI across the whole lap
    assert frame["speed_mps"].max() == lap["top_speed_mps"]


def test_distance_and_channel_filters(imported: Imported) -> None:
    lap = _a_clean_lap(imported)
    frame = queries.lap_telemetry(imported.engine, lap["id"], channels=["speed_mps", "x_m"], distance=(500.0, 800.0))
    assert frame.columns == ["t", "plid", "lap", "speed_mps", "x_m"]
    everything = queries.lap_telemetry(imported.engine, lap["id"])
    d = everything["lap_distance_m"]
    assert frame.height == int(((d >= 500) & (d <= 800)).sum()) > 0


def test_telemetry_by_time_range_and_source(imported: Imported) -> None:
    frame = queries.telemetry(imported.engine, imported.session_id, time=(100.0, 110.0), channels=["speed_mps"])
    assert frame["t"].min() >= 100.0 and frame["t"].max() <= 110.0
    assert frame["plid"].n_unique() == len(imported.race.truth["players"])
    gauge = queries.telemetry(imported.engine, imported.session_id, source="gauge", time=(100.0, 101.0))
    assert gauge.height > 0 and "rpm" in gauge.columns and gauge["t"].is_between(100.0, 101.0).all()
    motion = queries.telemetry(imported.engine, imported.session_id, source="motion", plid=gauge["plid"][0], lap=2,
                               channels=["throttle", "susp_deflect_m_fl"])
    assert motion.height > 0 and motion.columns == ["t", "plid", "lap", "throttle", "susp_deflect_m_fl"]
    assert queries.telemetry(imported.engine, imported.session_id, plid=99).height == 0
