"""A seeded simulated race recorded to a capture, and the stores the tests import it into.

Every store test runs on SQLite (in memory) and, when `LFS_AYATS_TEST_POSTGRES_URL` is set (CI
starts a throwaway server), on PostgreSQL too: the PostgreSQL database is emptied first.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lfs_ayats.store.engine import make_engine, open_store
from lfs_ayats.store.ingest import ImportResult, import_capture
from lfs_ayats.telemetry.events import Event, LapCompleted, LapReclassified
from lfs_ayats.telemetry.sources import feed_capture
from tests.telemetry.simrace import RecordedRace, record_race

POSTGRES_URL = os.environ.get("LFS_AYATS_TEST_POSTGRES_URL", "")


def empty_postgres(url: str) -> Engine:
    from sqlalchemy import MetaData

    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    meta.drop_all(engine)
    return engine


def fresh_engine(kind: str) -> Engine:
    if kind == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("LFS_AYATS_TEST_POSTGRES_URL is not set (.ci/run starts a PostgreSQL server)")
        return open_store(empty_postgres(POSTGRES_URL))
    return open_store("sqlite://")


@pytest.fixture(scope="session")
def race(tmp_path_factory: pytest.TempPathFactory) -> RecordedRace:
    return asyncio.run(record_race(tmp_path_factory.mktemp("store-race")))


@dataclass
class Imported:
    race: RecordedRace
    engine: Engine
    result: ImportResult

    @property
    def session_id(self) -> int:
        return self.result.session_ids[0]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def imported(request: pytest.FixtureRequest, race: RecordedRace) -> Iterator[Imported]:
    engine = fresh_engine(request.param)
    yield Imported(race, engine, import_capture(race.full, engine))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    engine = fresh_engine(request.param)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def feed_laps(race: RecordedRace) -> dict[tuple[int, int], LapCompleted]:
    """The telemetry layer's own classification of each lap (after reclassification), by (plid, lap)."""
    events: list[Event] = []
    feed_capture(race.full, listeners=[events.append])
    out: dict[tuple[int, int], LapCompleted] = {}
    from dataclasses import replace

    for ev in events:
        if isinstance(ev, LapCompleted):
            out[ev.plid, ev.lap] = ev
        elif isinstance(ev, LapReclassified):
            out[ev.plid, ev.lap] = replace(out[ev.plid, ev.lap], clean=ev.clean, reasons=ev.reasons)
    return out


@pytest.fixture
def capture(race: RecordedRace) -> Path:
    return race.full
