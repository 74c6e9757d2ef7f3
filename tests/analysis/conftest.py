"""The seeded simulated race of tests/store, imported once into a SQLite file the analyses (and the CLI) read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from lfs_ayats.analysis.load import LapSource
from lfs_ayats.store.engine import open_store
from lfs_ayats.store.ingest import import_capture
from tests.store.conftest import race  # noqa: F401  (the session-scoped recorded race)
from tests.telemetry.simrace import RecordedRace


@dataclass
class Analysed:
    race: RecordedRace
    engine: Engine
    url: str
    session_id: int

    def laps(self) -> list[dict[str, Any]]:
        return LapSource(self.engine).laps(self.session_id)

    def clean(self) -> list[dict[str, Any]]:
        return [lap for lap in self.laps() if lap["clean"]]


@pytest.fixture(scope="session")
def analysed(race: RecordedRace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Analysed]:  # noqa: F811
    path = Path(tmp_path_factory.mktemp("analysis")) / "race.db"
    url = f"sqlite:///{path}"
    engine = open_store(url)
    result = import_capture(race.full, engine)
    yield Analysed(race, engine, url, result.session_ids[0])
    engine.dispose()
