"""Standings (the timing tower, the log, the live Δ) and the replay source, on the seeded race."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lfs_ayats.telemetry.events import CarSamples, LapCompleted
from lfs_ayats.telemetry.feed import Feed
from lfs_ayats.telemetry.playback import ReplaySource
from lfs_ayats.telemetry.sources import feed_capture
from lfs_ayats.telemetry.standings import Standings

from .simrace import RecordedRace


@pytest.fixture(scope="module")
def standings(recorded_race: RecordedRace) -> tuple[Standings, list[tuple[int, int, int | None, int]]]:
    """The race through a feed with standings; at each lap's half distance, the predicted time is noted."""
    feed = Feed()
    st = Standings(feed.session)
    predictions: dict[tuple[int, int], int | None] = {}
    done: list[tuple[int, int, int | None, int]] = []

    def listener(event: object) -> None:
        st(event)  # type: ignore[arg-type]
        if isinstance(event, CarSamples) and not math.isnan(st.track_length_m):
            for plid in event.plid.tolist():
                row = st.cars[plid]
                position = st.position(plid)
                if position and position[0] > st.track_length_m / 2 and (plid, row.lap) not in predictions:
                    predictions[plid, row.lap] = st.delta(plid).predicted_ms
        elif isinstance(event, LapCompleted):
            done.append((event.plid, event.lap, predictions.get((event.plid, event.lap)), event.lap_time_ms))

    feed.listeners = [listener]
    feed_capture(recorded_race.full, feed)
    return st, done


def test_the_tower_holds_every_car_with_its_best_lap(recorded_race: RecordedRace, standings: tuple) -> None:
    st, _ = standings
    truth = recorded_race.truth
    best: dict[int, int] = {}
    for lap in truth["laps"]:
        best[lap["plid"]] = min(best.get(lap["plid"], 10**9), lap["time_ms"])
    rows = st.rows()
    assert {r.plid for r in rows} == {p["plid"] for p in truth["players"]}
    assert {r.plid: r.best_ms for r in rows} == best
    assert [r.position for r in rows] == sorted(r.position for r in rows)


def test_the_log_names_the_contact_and_the_penalties(recorded_race: RecordedRace, standings: tuple) -> None:
    st, _ = standings
    texts = [line.text for line in st.log]
    contacts = [i for i in recorded_race.truth["incidents"] if i["kind"] == "contact"]  # one per car involved
    assert len([t for t in texts if t.startswith("contact ")]) == len(contacts) // 2 >= 1
    assert any("drive-through" in t or "stop-go" in t or "penalty" in t for t in texts)
    assert sum(1 for line in st.log if line.kind == "lap") == len(recorded_race.truth["laps"])


def test_references_cover_the_lap_and_end_at_the_lap_time(standings: tuple) -> None:
    st, _ = standings
    assert st.own_refs and st.best_ref is not None
    for ref in st.own_refs.values():
        assert ref.distance_m[0] < 50 and ref.distance_m[-1] == pytest.approx(st.track_length_m)
        assert np.all(np.diff(ref.distance_m) >= 0) and ref.seconds[-1] == ref.time_ms / 1000
    assert st.best_ref.time_ms == min(r.time_ms for r in st.own_refs.values())


def test_the_live_prediction_at_half_distance_is_close_to_the_lap_time(standings: tuple) -> None:
    """Reference + Δ so far: off by what the second half of the lap does differently (a clean lap: little)."""
    _, done = standings
    errors = [abs(predicted - actual) for _, lap, predicted, actual in done if predicted is not None and lap > 2]
    assert len(errors) >= 10
    assert np.median(errors) < 1500  # ms; a wrong Δ (e.g. time since the race start) is off by a lap


def _state(source: ReplaySource) -> tuple:
    rows = source.standings.rows()
    t, v = source.buffers.latest("gauge", source.feed.session.view_plid, "speed_mps", 500)
    return ([(r.plid, r.position, r.laps_done, r.last_ms, r.best_ms, r.pit, r.penalty) for r in rows],
            [line.text for line in source.standings.log], t.tolist(), v.tolist())


def test_replay_seeks_land_on_the_same_state_from_either_side(recorded_race: RecordedRace) -> None:
    direct = ReplaySource(recorded_race.full, start=250.0, paused=True)
    back = ReplaySource(recorded_race.full, start=320.0, paused=True)
    forward = ReplaySource(recorded_race.full, start=100.0, paused=True)
    for source in (direct, back, forward):
        source.start()
    try:
        back.seek(250.0)
        forward.seek(250.0)
        assert back.wait_idle() and forward.wait_idle()
        assert direct.position == back.position == forward.position == 250.0
        assert _state(back) == _state(direct) == _state(forward)
        assert len(_state(direct)[2]) > 100  # the buffers hold the last seconds of OutGauge
    finally:
        for source in (direct, back, forward):
            source.stop()
