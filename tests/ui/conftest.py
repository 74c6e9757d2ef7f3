"""A seeded race recorded once, imported into a store, and apps built on it with `make_app`.

Replays start paused at a fixed capture time, so every screen shows the same thing on every run;
the capture's wall-clock start is pinned in the store so the Sessions screen does not show today.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update

from lfs_ayats.config import load
from lfs_ayats.store.engine import open_store
from lfs_ayats.store.ingest import import_capture
from lfs_ayats.store.tables import sessions_table
from lfs_ayats.telemetry.playback import ReplaySource
from lfs_ayats.ui.app import LfsAyatsApp, make_app
from tests.telemetry.simrace import RecordedRace, record_race

REPLAY_AT = 300.0  # lap 4 of the seeded race: three laps done, clean references, a pit stop behind
SIZE = (120, 36)
PINNED = datetime(2026, 11, 20, 19, 30, tzinfo=UTC)


@dataclass
class Stored:
    race: RecordedRace
    engine: Engine
    session_id: int


@pytest.fixture(scope="session")
def ui_race(tmp_path_factory: pytest.TempPathFactory) -> RecordedRace:
    return asyncio.run(record_race(tmp_path_factory.mktemp("ui-race")))


@pytest.fixture(scope="session")
def stored(ui_race: RecordedRace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    engine = open_store(f"sqlite:///{tmp_path_factory.mktemp('ui-db') / 'ui.sqlite3'}")
    result = import_capture(ui_race.full, engine)
    with engine.begin() as conn:
        conn.execute(update(sessions_table).values(started_at=PINNED))
    yield Stored(ui_race, engine, result.session_ids[0])
    engine.dispose()


def settings(tmp: Path | None = None, **extra: Any) -> Any:
    values: dict[str, Any] = {"ui.theme": "textual-dark"}
    if tmp is not None:
        values["export.folder"] = str(tmp)
    values.update(extra)
    return load(Path("/nonexistent/lfs-ayats.yaml"), environ={}).with_overrides(values)


def replay_app(stored: Stored, tmp: Path | None = None, *, at: float = REPLAY_AT,
               start_mode: str | None = None) -> tuple[LfsAyatsApp, ReplaySource]:
    source = ReplaySource(stored.race.full, start=at, paused=True)
    source.start()
    app = make_app(settings(tmp), source, stored.engine, database="ui.sqlite3", frozen=True, start_mode=start_mode)
    return app, source


async def settle(pilot: Any) -> None:
    """Let the workers finish and their messages land (an exclusive worker replaced by a newer one is fine)."""
    from textual.worker import WorkerCancelled

    for _ in range(10):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            return


@pytest.fixture
def replay(stored: Stored, tmp_path: Path) -> Iterator[tuple[LfsAyatsApp, ReplaySource]]:
    app, source = replay_app(stored, tmp_path)
    yield app, source
    source.stop()
