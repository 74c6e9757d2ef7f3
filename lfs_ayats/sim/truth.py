"""Ground truth of a simulated session, kept as plain JSON-ready dictionaries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRUTH_FORMAT = "lfs-ayats-sim-truth/1"


@dataclass
class TruthLog:
    """What really happened: laps, incidents, pit stops and penalties, in the order they happened.

    A penalty record is one change of a car's LFS penalty value: plid, lap, time_ms, old, new,
    reason (PENALTY_x / PENR_x numbers), as IS_PEN reports it.
    """

    header: dict[str, Any]
    players: list[dict[str, Any]]
    laps: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    pit_stops: list[dict[str, Any]] = field(default_factory=list)
    penalties: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": TRUTH_FORMAT,
            **self.header,
            "players": self.players,
            "laps": self.laps,
            "incidents": self.incidents,
            "pit_stops": self.pit_stops,
            "penalties": self.penalties,
            "results": self.results,
        }


def write_truth_file(truth: dict[str, Any], path: str | Path) -> Path:
    """Write the truth as indented JSON (keys in a stable order) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(truth, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return target
