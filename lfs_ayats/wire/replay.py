"""Play a capture back: records with their original timing (0.1x to 100x) or as fast as possible.

    async for record in Replayer(CaptureReader(path), speed=2.0):
        packet = decode_record(record)

The replayer yields raw `CaptureRecord`s; `decode_record` turns one into a packet. Timing is kept
against an anchor (a wall-clock instant and the capture time it stands for), so waits never
accumulate drift; a speed change, resume or seek moves the anchor.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection, Iterator
from typing import Any

from lfs_ayats.packets import Packet, PacketError, decode, decode_outgauge, decode_outsim

from .capture import CaptureReader, CaptureRecord, Channel, parse_marker

MIN_SPEED = 0.1
MAX_SPEED = 100.0
# Long gaps are slept in slices so pause, seek and speed changes take effect within one slice.
MAX_WAIT = 0.1
# Waits shorter than this are not worth a trip through the event loop.
EARLY = 1e-4
# As fast as possible still lets the event loop run now and then.
FAST_BATCH = 1024


def _check_speed(speed: float | None) -> float | None:
    if speed is None or speed == 0:
        return None
    if not MIN_SPEED - 1e-9 <= speed <= MAX_SPEED + 1e-9:
        raise ValueError(f"replay speed must be {MIN_SPEED} to {MAX_SPEED:g} (or 0 for as fast as possible), "
                         f"not {speed}")
    return float(speed)


class Replayer:
    """An async iterator over a capture's records, paced like the original session.

    `speed` (settable while running): 0.1 to 100, or None/0 for as fast as possible. `pause()`,
    `resume()` and `seek(seconds)` may be called from anywhere on the event loop's thread.
    """

    def __init__(
        self,
        reader: CaptureReader,
        speed: float | None = 1.0,
        *,
        start: float = 0.0,
        channels: Collection[Channel] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.reader = reader
        self._speed = _check_speed(speed)
        self._channels = frozenset(channels) if channels is not None else None
        self._clock = clock
        self._sleep = sleep
        self._paused = False
        self._records: Iterator[CaptureRecord] = iter(())
        self._pending: CaptureRecord | None = None
        self._position = 0.0
        self._anchor: tuple[float, float] | None = None
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._batch = 0
        self.seek(start)

    # -- state -------------------------------------------------------------------------------------------

    @property
    def duration(self) -> float:
        return self.reader.duration

    @property
    def speed(self) -> float | None:
        return self._speed

    @speed.setter
    def speed(self, speed: float | None) -> None:
        new = _check_speed(speed)
        if not self._paused:
            self._anchor = None if new is None or self._speed is None else (self._clock(), self._estimate())
        self._speed = new

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def position(self) -> float:
        """The capture time reached, in seconds (it moves on during a wait, not past the next record)."""
        position = self._estimate()
        if self._pending is not None:
            position = min(position, self._pending.t)
        return min(position, self.duration)

    def _estimate(self) -> float:
        """Where the anchored schedule stands now (the last position when there is no schedule)."""
        if self._paused or self._anchor is None or self._speed is None:
            return self._position
        wall, t = self._anchor
        return max(self._position, t + (self._clock() - wall) * self._speed)

    def pause(self) -> None:
        if not self._paused:
            self._position = self.position
            self._paused = True
            self._resumed.clear()

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._anchor = None  # re-anchored at the paused position by the next wait
            self._resumed.set()

    def seek(self, seconds: float) -> None:
        """Jump to `seconds`: the next record is the first at or after it (paused stays paused)."""
        seconds = min(max(0.0, seconds), self.duration)
        self._records = self.reader.records(start=seconds)
        self._pending = None
        self._position = seconds
        self._anchor = None

    # -- iteration -------------------------------------------------------------------------------------

    def __aiter__(self) -> Replayer:
        return self

    def _next_record(self) -> CaptureRecord | None:
        channels = self._channels
        for record in self._records:
            if channels is None or record.channel in channels:
                return record
        return None

    async def __anext__(self) -> CaptureRecord:
        while True:
            if self._paused:
                await self._resumed.wait()
                continue
            record = self._pending
            if record is None:
                record = self._pending = self._next_record()
                if record is None:
                    raise StopAsyncIteration
            speed = self._speed
            if speed is None:
                self._batch += 1
                if self._batch >= FAST_BATCH:
                    self._batch = 0
                    await self._sleep(0)
                    continue  # a pause, seek or speed change may have come in meanwhile
            else:
                now = self._clock()
                if self._anchor is None:
                    self._anchor = (now, self._position)
                wall, t = self._anchor
                wait = wall + (record.t - t) / speed - now
                if wait > EARLY:
                    await self._sleep(min(wait, MAX_WAIT))
                    continue
            self._pending = None
            self._position = record.t
            return record


def iter_frames(
    reader: CaptureReader, start: float = 0.0, channels: Collection[Channel] | None = None
) -> Iterator[CaptureRecord]:
    """Records from `start` without timing (the fast path for analysis and benchmarks)."""
    if channels is None:
        return reader.records(start=start)
    wanted = frozenset(channels)
    return (record for record in reader.records(start=start) if record.channel in wanted)


def decode_record(record: CaptureRecord, outsim_opts: int | None = None) -> Packet | dict[str, Any] | PacketError:
    """The packet a record holds, a MARKER's JSON object, or the `PacketError` saying why not.

    `outsim_opts` is the capture header's `outsim_opts` (None recognises the layout by size).
    """
    channel = record.channel
    try:
        if channel is Channel.OUTGAUGE:
            return decode_outgauge(record.data)
        if channel is Channel.OUTSIM:
            return decode_outsim(record.data, outsim_opts)
        if channel is Channel.MARKER:
            try:
                return parse_marker(record)
            except ValueError as exc:
                return PacketError("marker", f"not a JSON object ({exc})", 0, record.data)
        return decode(record.data)
    except PacketError as exc:
        return exc
