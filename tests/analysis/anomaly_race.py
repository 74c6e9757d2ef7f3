"""The small seeded race the anomaly and prediction tests share: built once per test process.

GM1, 6 XFGs, 12 laps, seed 11, mistakes x2: enough laps per driver for the forest and for the
remaining-delta quantiles, about 10 s to record and import. A plain cached function rather than
a fixture, so both test modules (and xdist workers) share one copy per process.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from lfs_ayats.sim.field import Field
from lfs_ayats.store.engine import open_store
from lfs_ayats.store.ingest import import_capture
from tests.analysis.simsession import record_field

SEED = 11


@dataclass(frozen=True)
class SmallRace:
    folder: Path
    capture: Path
    db_url: str
    truth: dict[str, Any]

    def engine(self) -> Engine:
        return open_store(self.db_url)


@lru_cache(maxsize=1)
def small_race() -> SmallRace:
    folder = Path(tempfile.mkdtemp(prefix="lfs-ayats-anomalies-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # shared by the tests of a process; gone after
    sim = Field("GM1", 6, "race", laps=12, seed=SEED, pit_probability=0.3, mistake_scale=2.0, tick_ms=20)
    capture = folder / "race.lfscap"
    truth = asyncio.run(record_field(sim, capture))
    (folder / "truth.json").write_text(json.dumps(truth))
    url = f"sqlite:///{folder / 'race.sqlite3'}"
    import_capture(capture, open_store(url))
    return SmallRace(folder, capture, url, truth)
