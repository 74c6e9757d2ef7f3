"""Where a feed's frames come from: a whole capture file, or the live recorder's bounded queue."""

from __future__ import annotations

import os
from collections.abc import Iterable

from lfs_ayats.wire.capture import CaptureReader, CaptureRecord
from lfs_ayats.wire.recorder import FrameQueue

from .feed import Feed, Listener

BATCH = 256  # frames handled before the queue adapter lets the event loop run


def feed_capture(path: str | os.PathLike[str], feed: Feed | None = None, *, listeners: Iterable[Listener] = (),
                 start: float = 0.0, end: float | None = None) -> Feed:
    """Run a capture (or the part from `start` to `end` seconds) through a feed; returns the feed.

    Record times become event times, so the result does not depend on how fast this runs.
    """
    feed = feed or Feed(listeners)
    with CaptureReader(path) as reader:
        for record in reader.records(start, end):
            feed.feed_record(record)
    feed.flush()
    return feed


async def run_queue(queue: FrameQueue, feed: Feed) -> None:
    """Feed frames from the recorder's queue until cancelled, counting the frames it dropped."""
    while True:
        t, channel, data = await queue.get()
        feed.feed_record(CaptureRecord(t, channel, data))
        for _ in range(BATCH):  # whatever else is waiting, without a trip through the loop each
            item = queue.get_nowait()
            if item is None:
                break
            feed.feed_record(CaptureRecord(*item))
        feed.counters.frames_dropped = sum(queue.dropped.values())
