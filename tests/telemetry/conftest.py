"""One recorded race shared by the pipeline tests (recording it is the expensive part)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from lfs_ayats.telemetry.events import Event
from lfs_ayats.telemetry.feed import Feed
from lfs_ayats.telemetry.sources import feed_capture

from .simrace import RecordedRace, record_race


@dataclass(repr=False)  # tens of thousands of events: keep failure reports short
class FedRace:
    race: RecordedRace
    feed: Feed
    events: list[Event]

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture(scope="session")
def recorded_race(tmp_path_factory: pytest.TempPathFactory) -> RecordedRace:
    return asyncio.run(record_race(tmp_path_factory.mktemp("race")))


@pytest.fixture(scope="session")
def fed_race(recorded_race: RecordedRace) -> FedRace:
    events: list[Event] = []
    feed = feed_capture(recorded_race.full, listeners=[events.append])
    return FedRace(recorded_race, feed, events)


@pytest.fixture(scope="session")
def fed_late(recorded_race: RecordedRace) -> FedRace:
    events: list[Event] = []
    feed = feed_capture(recorded_race.late, listeners=[events.append])
    return FedRace(recorded_race, feed, events)
