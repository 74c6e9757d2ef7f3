"""Import a capture: run it through the telemetry feed and write what comes out as sessions.

Each race start (IS_RST) in a capture begins a session, so a capture where the host restarted
becomes several sessions (`source_index` 0, 1, ...). A capture joined mid-race becomes one session
from what the feed learnt as it joined. The capture's SHA-256 is kept: importing it again does nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from time import perf_counter
from typing import Literal

from sqlalchemy import Engine, select

from lfs_ayats.telemetry.events import Event
from lfs_ayats.telemetry.feed import Feed
from lfs_ayats.wire.capture import CaptureReader, CaptureRecord

from .admin import discard_sessions
from .sink import EventSink, SinkCounters, SourceInfo
from .tables import sessions_table
from .write_process import shareable

log = logging.getLogger(__name__)

FLUSH_ROWS = 100_000  # buffered samples before a flush: ~10 min of a 32-car race, a few MB of numpy
PROGRESS_EVERY = 20_000  # records between progress callbacks
WINDOW = 4096  # records fed at once (Feed.feed_records): a few seconds of a race

Progress = Callable[[int, int], None]  # (records done, records in all)


@dataclass
class ImportResult:
    path: Path
    sha256: str
    session_ids: list[int] = field(default_factory=list)
    already: bool = False  # the capture was imported before: nothing written
    records: int = 0
    counters: SinkCounters = field(default_factory=SinkCounters)
    decode_errors: int = 0
    store_seconds: float = 0.0  # the store's work (buffering, encoding, writing), part of it in its own thread
    store_wait_seconds: float = 0.0  # of the import's wall time, spent waiting for the store's thread
    warnings: list[str] = field(default_factory=list)  # what the reader skipped (a capture cut short, ...)


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _started_at(header: dict[str, object]) -> datetime | None:
    for key in ("started_at", "start", "created", "wall_time", "started"):
        value = header.get(key)
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value).astimezone(UTC)
            except ValueError:
                continue
    return None


def import_capture(path: str | os.PathLike[str], engine: Engine, *, progress: Progress | None = None,
                   flush_rows: int = FLUSH_ROWS, background: bool | Literal["thread", "process"] = True
                   ) -> ImportResult:
    """Write a capture's sessions, drivers, laps, events and samples (nothing if it was imported before).

    `background`: batches are built and written elsewhere while this thread goes on decoding (the
    same rows either way): True is a process of their own where the database can be opened twice
    (not an in-memory SQLite), else a thread; False keeps everything on the calling thread.
    """
    path = Path(path)
    sha = file_sha256(path)
    result = ImportResult(path, sha)
    with engine.connect() as conn:
        known = conn.execute(select(sessions_table.c.id).where(sessions_table.c.source_hash == sha)
                             .order_by(sessions_table.c.id)).scalars().all()
    if known:
        result.session_ids, result.already = [int(i) for i in known], True
        return result
    with CaptureReader(path) as reader:
        header = reader.header
        info = SourceInfo("capture", str(path.resolve()), sha, str(header.get("lfs_version") or ""),
                          _started_at(header))
        # The sink's own thread writes each batch while this one decodes the next (two cores).
        if background is True:
            background = "process" if shareable(engine) else "thread"
        sink = EventSink(engine, info, background=background, hold_laps=True)
        failures: list[BaseException] = []

        spent = 0.0  # in this thread: buffering events, handing batches over, waiting for the writer

        def handle(event: Event) -> None:
            nonlocal spent
            started = perf_counter()
            try:
                sink.handle(event)
            except BaseException as exc:  # the feed would only count it: a failed import must say so
                failures.append(exc)
                raise
            finally:
                spent += perf_counter() - started

        feed = Feed([handle])
        total = len(reader)
        try:
            n = 0
            for window in batched(reader.records(), WINDOW):
                feed.feed_records(window)  # the viewed car's OutSim/OutGauge column-wise
                if failures:
                    raise failures[0]
                if sink.fresh >= flush_rows:
                    started = perf_counter()
                    sink.flush()
                    spent += perf_counter() - started
                before, n = n, n + len(window)
                if progress is not None and n // PROGRESS_EVERY != before // PROGRESS_EVERY:
                    progress(n, total)
            feed.flush()
            started = perf_counter()
            sink.close()
            spent += perf_counter() - started
        except BaseException:
            # A half-imported capture would be "already imported" next time: take it out again so
            # that a second try (after freeing disk space, say) imports it whole.
            sink.stop_thread()
            _discard_quietly(engine, sink.session_ids)
            raise
        finally:
            sink.stop_thread()
        if progress is not None:
            progress(total, total)
        result.warnings = list(reader.warnings)
    result.session_ids = sink.session_ids
    result.records = total
    result.counters = sink.counters
    # The store's own work: buffering here plus building and writing in the writer thread (which
    # overlaps the feed, so this may exceed its share of the wall time).
    result.store_seconds = spent - sink.wait_seconds + sink.write_seconds
    result.store_wait_seconds = sink.wait_seconds
    result.decode_errors = feed.counters.decode_errors + feed.counters.listener_errors
    return result


def batched(records: Iterable[CaptureRecord], size: int) -> Iterator[list[CaptureRecord]]:
    """Lists of up to `size` records (itertools.batched arrives with Python 3.12)."""
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def _discard_quietly(engine: Engine, session_ids: list[int]) -> None:
    try:
        discard_sessions(engine, session_ids)
    except Exception as exc:  # the original failure is the one to report
        log.warning("could not remove the half-imported sessions %s: %s", session_ids, exc)
