"""Pilot tests: the app driven by keys, asserting on what it did (files, source state, screens, messages)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from lfs_ayats.analysis.export import read_export
from lfs_ayats.store import queries
from lfs_ayats.telemetry.laps import lap_clock
from lfs_ayats.telemetry.live import LiveOptions, LiveSource
from lfs_ayats.telemetry.playback import ReplaySource
from lfs_ayats.ui.app import LfsAyatsApp, make_app
from lfs_ayats.ui.messages import ExportWritten
from lfs_ayats.ui.screens.anomalies import AnomaliesScreen
from lfs_ayats.ui.screens.compare import CompareScreen
from lfs_ayats.ui.screens.help import HelpScreen
from lfs_ayats.ui.screens.laps import LapsScreen
from lfs_ayats.ui.screens.live import LiveScreen
from lfs_ayats.ui.screens.sessions import SessionsScreen
from lfs_ayats.ui.widgets.gauges import LapPanel
from lfs_ayats.ui.widgets.status import StatusBar
from lfs_ayats.ui.widgets.tower import TimingTower
from lfs_ayats.wire.tcp import ClientOptions

from .conftest import SIZE, Stored, replay_app, settings, settle


async def wait_idle(source: ReplaySource) -> None:
    assert await asyncio.to_thread(source.wait_idle, 60.0)


async def test_screen_switching_by_keys(replay: tuple[LfsAyatsApp, ReplaySource]) -> None:
    app, _ = replay
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LiveScreen)
        for key, kind in (("2", SessionsScreen), ("3", LapsScreen), ("4", CompareScreen), ("5", AnomaliesScreen),
                          ("1", LiveScreen)):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, kind), key
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, LiveScreen)


async def test_the_live_screen_shows_the_field_at_the_replay_position(
        replay: tuple[LfsAyatsApp, ReplaySource], stored: Stored) -> None:
    app, _ = replay
    async with app.run_test(size=SIZE) as pilot:
        app.tick()
        await pilot.pause()
        tower = app.screen.query_one(TimingTower)
        assert len(tower.rows) == len(stored.race.truth["players"])
        assert sorted(r.position for r in tower.rows) == list(range(1, len(tower.rows) + 1))
        assert all(r.laps_done == 3 or r.pit for r in tower.rows)  # lap 4 at 300 s
        viewed = tower.viewed
        await pilot.press("right_square_bracket")  # follow the next car in the tower
        panel = app.screen.query_one(LapPanel)
        assert app.follow not in (0, viewed) and tower.viewed == app.follow
        assert panel.driver == next(r.name for r in tower.rows if r.plid == app.follow)
        await pilot.press("v")  # back to the car LFS shows
        assert app.follow == 0 and tower.viewed == viewed


async def test_replay_controls(replay: tuple[LfsAyatsApp, ReplaySource]) -> None:
    app, source = replay
    async with app.run_test(size=SIZE) as pilot:
        start = source.position
        await pilot.press("right")
        await wait_idle(source)
        assert abs(source.position - (start + 10)) < 1e-6
        await pilot.press("left", "left")
        await wait_idle(source)
        assert abs(source.position - (start - 10)) < 1e-6
        speed = source.speed
        await pilot.press("plus")
        await wait_idle(source)
        assert source.speed > speed
        await pilot.press("minus", "minus")
        await wait_idle(source)
        assert source.speed < speed
        before = source.position
        laps = source.standings.laps_seen
        await pilot.press("n")
        await wait_idle(source)
        assert source.position > before and source.standings.laps_seen > laps
        source.seek(150.0)  # the seeded race's contact is at 206 s
        await wait_idle(source)
        incidents = source.standings.incidents
        await pilot.press("i")
        await wait_idle(source)
        assert source.standings.incidents == incidents + 1 and 200 < source.position < 210
        assert source.paused
        await pilot.press("space")
        await wait_idle(source)
        assert not source.paused
        await pilot.press("space")
        await wait_idle(source)
        assert source.paused


async def test_the_export_key_writes_the_current_view(stored: Stored, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    app, source = replay_app(stored, tmp_path, start_mode="laps")
    written: list[ExportWritten] = []
    original = LfsAyatsApp.on_export_written

    def spy(self: LfsAyatsApp, message: ExportWritten) -> None:
        written.append(message)
        original(self, message)

    monkeypatch.setattr(LfsAyatsApp, "on_export_written", spy)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("e")
            await settle(pilot)
    finally:
        source.stop()
    files = sorted(tmp_path.glob("lap-*.csv"))
    assert written and written[0].path in files and written[0].files == len(files) >= 2  # the lap, its samples
    export = read_export(written[0].path.parent / written[0].path.name.split(".")[0], "csv")
    assert export.kind == "lap" and export.meta["lap_id"] == int(written[0].path.name.split("-")[1])
    cars = export.tables["cars"]
    assert cars.height > 100 and {"t", "plid", "lap", "speed_mps"} <= set(cars.columns)


async def test_the_app_opens_without_lfs_says_so_and_shows_stored_sessions(stored: Stored) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    source = LiveSource(LiveOptions(ClientOptions(port=port, backoff_first_s=0.05, backoff_max_s=0.2)))
    source.start()
    try:
        app = make_app(settings(), source, stored.engine, database="ui.sqlite3")
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(200):  # the first refusal takes one connect attempt on loopback
                if source.status().state in ("lost", "retrying"):
                    break
                await asyncio.sleep(0.01)
            app.tick()  # the clock notices: the stored sessions are shown meanwhile
            await settle(pilot)
            assert app.current_mode == "sessions"
            assert [r["id"] for r in app.screen.rows] == [stored.session_id]  # type: ignore[attr-defined]
            assert app.screen.query_one(StatusBar).status.state in ("lost", "retrying", "connecting")
            await pilot.press("1")
            app.tick()
            await pilot.pause()
            notice = str(app.screen.query_one("#notice").render())
            assert f"/insim {port}" in notice
    finally:
        source.stop()


async def test_the_live_delta_runs_against_the_stored_all_time_best_from_the_first_lap(stored: Stored) -> None:
    """At 50 s nobody has a clean lap this session; the store's earlier copy of the race has, for this car."""
    app, source = replay_app(stored, at=50.0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            app.tick()  # the clock sees the track and cars and asks the store
            await settle(pilot)
            assert source.standings.best_ref is None
            app.tick()
            await pilot.pause()
            panel = app.screen.query_one(LapPanel)
            car = source.feed.session.players[app.screen.query_one(TimingTower).viewed].car
            best = min(lap["time_ms"] for lap in queries.laps(stored.engine, stored.session_id)
                       if lap["clean"] and lap["car"] == car)
            assert panel.value.reference.startswith(f"all-time best: {lap_clock(best)} · ")
            assert " · 2026-11-20 · " in panel.value.reference
            assert panel.value.delta_s is not None and panel.value.predicted_ms is not None
    finally:
        source.stop()
