"""SVG snapshots of every screen at 120x36, from a seeded replay paused at a fixed position.

Regenerate after an intended change with `pytest tests/ui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lfs_ayats.ui.app import LfsAyatsApp

from .conftest import SIZE, Stored, replay_app, settle


@pytest.fixture
def app_at(stored: Stored, tmp_path: Path) -> Iterator[Any]:
    sources = []

    def build(mode: str) -> LfsAyatsApp:
        app, source = replay_app(stored, tmp_path, start_mode=mode)
        sources.append(source)
        return app

    yield build
    for source in sources:
        source.stop()


async def _ready(pilot: Any) -> None:
    app = pilot.app
    app.tick()  # a first frame asks the store for the all-time best laps of the cars on track
    await settle(pilot)
    app.tick()  # one frame of the UI clock, now, instead of waiting for the timer
    await pilot.pause()


@pytest.mark.parametrize("mode", ["live", "sessions", "laps", "compare", "anomalies"])
def test_screen(mode: str, app_at: Any, snap_compare: Any) -> None:
    assert snap_compare(app_at(mode), terminal_size=SIZE, run_before=_ready)


def test_help(app_at: Any, snap_compare: Any) -> None:
    async def open_help(pilot: Any) -> None:
        await _ready(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app_at("live"), terminal_size=SIZE, run_before=open_help)
