"""Write an SVG of every screen of the app, from a seeded simulated race: `nox -s screenshots`.

    python -m tests.ui.screenshots screenshots/

The race is the test suite's (seed 11, 12 cars, GM1), recorded on the simulator's clock, imported
into a throwaway store and replayed paused at 300 s, so the pictures only change when the app does.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from lfs_ayats.store.engine import open_store
from lfs_ayats.store.ingest import import_capture
from tests.telemetry.simrace import record_race
from tests.ui.conftest import PINNED, SIZE, Stored, replay_app, settle

SCREENS = ("live", "sessions", "laps", "compare", "anomalies")


async def shoot(stored: Stored, folder: Path) -> list[Path]:
    out = []
    for name in (*SCREENS, "help"):
        app, source = replay_app(stored, start_mode="live" if name == "help" else name)
        try:
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                app.tick()
                await pilot.pause()
                if name == "help":
                    await pilot.press("f1")
                    await pilot.pause()
                out.append(Path(app.save_screenshot(f"{name}.svg", str(folder))))
        finally:
            source.stop()
    return out


def main(folder: str = "screenshots") -> None:
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        race = asyncio.run(record_race(Path(tmp)))
        engine = open_store(f"sqlite:///{Path(tmp) / 'shots.sqlite3'}")
        session_id = import_capture(race.full, engine).session_ids[0]
        from sqlalchemy import update

        from lfs_ayats.store.tables import sessions_table

        with engine.begin() as conn:
            conn.execute(update(sessions_table).values(started_at=PINNED))
        for path in asyncio.run(shoot(Stored(race, engine, session_id), target)):
            print(f"wrote {path}")
        engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])
