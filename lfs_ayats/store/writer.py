"""The live writer: one thread takes the feed's events from a bounded queue and writes them in batches.

    writer = StoreWriter(engine); writer.start()
    feed.add_listener(writer.queue)      # never blocks the feed: a full queue drops samples, counted
    ...
    writer.stop()                        # drains the queue and flushes everything

A flush happens every `flush_rows` buffered rows or `interval_s` seconds, whichever comes first,
so a crash loses at most about `interval_s` of data (what was buffered plus what was queued).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine

from lfs_ayats.telemetry.feed import EventQueue

from .sink import EventSink, SourceInfo

log = logging.getLogger(__name__)

FLUSH_ROWS = 20_000
INTERVAL_S = 1.0
QUEUE_LIMIT = 200_000  # samples: ~1 min of a full 32-car grid at 20 Hz plus OutGauge and OutSim


@dataclass
class WriterStats:
    queued: int  # events waiting now
    queue_high_water: int
    dropped: int  # samples the full queue refused (back-pressure)
    flushes: int
    flush_seconds_max: float
    laps: int
    events: int
    samples: int
    errors: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class StoreWriter:
    """Owns an EventSink on its own thread; `queue` is the feed listener."""

    def __init__(self, engine: Engine, info: SourceInfo | None = None, *, flush_rows: int = FLUSH_ROWS,
                 interval_s: float = INTERVAL_S, queue_limit: int = QUEUE_LIMIT) -> None:
        self.queue = EventQueue(queue_limit)
        self.sink = EventSink(engine, info or SourceInfo("live"))
        self.flush_rows = flush_rows
        self.interval_s = interval_s
        self.errors = 0
        self._high_water = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lfs-ayats store writer", daemon=True)

    def start(self) -> StoreWriter:
        self._thread.start()
        return self

    def stop(self, timeout: float | None = 30.0) -> WriterStats:
        """Write everything queued and buffered, end the session, and stop the thread."""
        self._stop.set()
        self._thread.join(timeout)
        return self.stats()

    def __enter__(self) -> StoreWriter:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stats(self) -> WriterStats:
        c = self.sink.counters
        return WriterStats(len(self.queue), self._high_water, self.queue.dropped, c.flushes, c.flush_seconds_max,
                           c.laps, c.events, c.samples, self.errors)

    def _run(self) -> None:
        sink = self.sink
        wait = min(0.1, self.interval_s / 4)
        while True:
            stopping = self._stop.is_set()
            self._high_water = max(self._high_water, len(self.queue))
            batch = self.queue.get_batch(timeout=0 if stopping else wait)
            try:
                for event in batch:
                    sink.handle(event)
                due = time.monotonic() - sink.last_flush >= self.interval_s
                if sink.pending >= self.flush_rows or (due and sink.pending) or (stopping and not batch):
                    sink.flush()
            except Exception:  # a failing database must not kill the feed: count, log once, go on
                self.errors += 1
                if self.errors == 1:
                    log.exception("the store writer failed to write (further failures are only counted)")
            if stopping and not batch:
                break
        try:
            sink.close()
        except Exception:
            self.errors += 1
            log.exception("the store writer failed to close the session")
