"""The app's message vocabulary: small dataclasses named in the past tense.

Workers post these when their query or analysis is done; the UI clock posts `LapsChanged` when the
feed has completed (or reclassified) a lap. Widget-owned messages live in their widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.message import Message


@dataclass
class LapsChanged(Message):
    """The feed completed or reclassified laps since the last tick."""

    count: int


@dataclass
class SessionsLoaded(Message):
    rows: list[dict[str, Any]]
    cars: dict[int, list[str]] = field(default_factory=dict)  # session id -> car codes driven


@dataclass
class LapsLoaded(Message):
    session: dict[str, Any] | None
    rows: list[dict[str, Any]]


@dataclass
class ComparisonLoaded(Message):
    comparison: Any  # lfs_ayats.ui.data.Comparison


@dataclass
class ExportWritten(Message):
    path: Path  # the first file written
    what: str
    files: int = 1


@dataclass
class SelectionChanged(Message):
    """The session or the laps picked for comparison changed."""

    session_id: int | None
    lap_ids: tuple[int, ...]
