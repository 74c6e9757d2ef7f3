"""The API over a seeded simulated race (the store tests' recording), plus a second, hand-made session.

The route tests run on SQLite and, when CI provides one, PostgreSQL (module scope: the PostgreSQL
database is shared with the store tests, which empty it per module). The live snapshot is the
capture fed through a telemetry feed, so the WebSocket's content is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from lfs_ayats.api import make_api
from lfs_ayats.store import queries
from lfs_ayats.store.ingest import import_capture
from lfs_ayats.store.tables import drivers_table
from lfs_ayats.telemetry.feed import Feed
from lfs_ayats.telemetry.snapshot import LiveSnapshot
from lfs_ayats.telemetry.sources import feed_capture
from tests.store.conftest import fresh_engine, race  # noqa: F401  (race: the session-scoped recording)
from tests.telemetry.simrace import RecordedRace

OTHER_STARTED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)  # the hand-made session, long before the race


@dataclass
class Api:
    race: RecordedRace
    engine: Engine
    client: TestClient
    session_id: int  # the race's
    other_id: int  # a BL1 session with one FBM driver and no laps

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)


def add_other_session(engine: Engine) -> int:
    session_id = queries.create_session(engine, source="import", track="BL1", cars="FBM", mode="practice",
                                        started_at=OTHER_STARTED)
    with engine.begin() as conn:
        conn.execute(insert(drivers_table).values(session_id=session_id, plid=1, ucid=0, name="Other Driver",
                                                  user_name="other", car="FBM"))
    return session_id


def build(kind: str, recorded: RecordedRace, live: Any = None, token: str | None = None) -> Iterator[Api]:
    engine = fresh_engine(kind)
    result = import_capture(recorded.full, engine)
    other = add_other_session(engine)
    with TestClient(make_api(engine, live, token=token)) as client:
        yield Api(recorded, engine, client, result.session_ids[0], other)
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, race: RecordedRace) -> Iterator[Api]:  # noqa: F811
    yield from build(request.param, race)


@pytest.fixture(scope="session")
def fed_snapshot(race: RecordedRace) -> LiveSnapshot:  # noqa: F811
    """The whole race fed into a live snapshot: what a client would see at the end of it."""
    feed = Feed()
    snapshot = LiveSnapshot(feed.session)
    feed.add_listener(snapshot)
    feed_capture(race.full, feed)
    snapshot.set_link("capture", "connected")
    return snapshot
