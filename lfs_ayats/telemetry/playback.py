"""A capture played back as if it were live: play, pause, speed 0.1x to 16x, seek, next lap, next incident.

    source = ReplaySource("race.lfscap", start=120.0, paused=True)
    source.start()          # the state at 120 s is built before this returns; then a thread plays on
    source.toggle_pause(); source.set_speed(4.0); source.seek_by(-10.0); source.next_lap()

Record times are event times, so what a screen shows at a position does not depend on how fast the
machine is. Seeking forward feeds the records in between as fast as possible; seeking back builds
a fresh feed from the start of the capture off to the side (skipping OutGauge older than the ring
buffers keep; OutSim stays, it teaches the session where the cars are on the lap) and swaps it in,
so the screen keeps showing the old state until then.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator

from lfs_ayats.packets.constants import ISP
from lfs_ayats.wire.capture import CaptureReader, CaptureRecord, Channel

from .live import BUFFER_SECONDS, Source, SourceStatus

MIN_SPEED = 0.1
MAX_SPEED = 16.0
SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
CHUNK = 2000  # records fed per hold of the lock while seeking
MAX_WAIT = 0.05  # the player wakes at least this often, so commands take effect at once
INSIM = (Channel.INSIM_TCP, Channel.INSIM_UDP)
INCIDENTS = frozenset((ISP.CON, ISP.OBH, ISP.HLV, ISP.CRS))


class ReplaySource(Source):
    """A capture file as a source; controls may be called from any thread."""

    kind = "replay"

    def __init__(self, path: str | os.PathLike[str], *, speed: float = 1.0, start: float = 0.0,
                 paused: bool = False, buffer_seconds: float = BUFFER_SECONDS) -> None:
        super().__init__((), buffer_seconds)
        self.path = path
        self.reader = CaptureReader(path)  # CaptureError for a missing or broken file
        self.feed.outsim_opts = self.reader.header.get("outsim_opts") if isinstance(
            self.reader.header.get("outsim_opts"), int) else None
        self.duration = self.reader.duration
        self.speed = _clamp_speed(speed)
        self.paused = paused
        self.position = 0.0
        self._start = start
        self._records: Iterator[CaptureRecord] = self.reader.records()
        self._pending: CaptureRecord | None = next(self._records, None)
        self._fed_to = -1.0  # time of the last record fed
        self._anchor: tuple[float, float] | None = None
        self._commands: deque[Callable[[], None]] = deque()
        self._cond = threading.Condition()
        self._idle = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------------------

    def start(self) -> None:
        self._seek(self._start)  # on the caller's thread: the first frame already shows this position
        self._thread = threading.Thread(target=self._run, name="lfs-ayats replay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(5.0)
        self.reader.close()

    def status(self) -> SourceStatus:
        ended = self._pending is None
        state = "ended" if ended else "paused" if self.paused else "playing"
        return SourceStatus("replay", state, os.fspath(self.path), os.path.basename(os.fspath(self.path)),
                            position_s=self.position, duration_s=self.duration, speed=self.speed)

    def toggle_pause(self) -> None:
        self._command(self._toggle)

    def set_speed(self, speed: float) -> None:
        self._command(lambda: self._set_speed(speed))

    def faster(self) -> None:
        self._command(lambda: self._set_speed(next((s for s in SPEEDS if s > self.speed + 1e-9), MAX_SPEED)))

    def slower(self) -> None:
        self._command(lambda: self._set_speed(next((s for s in reversed(SPEEDS) if s < self.speed - 1e-9),
                                                   MIN_SPEED)))

    def seek(self, seconds: float) -> None:
        self._command(lambda: self._seek(seconds))

    def seek_by(self, seconds: float) -> None:
        self._command(lambda: self._seek(self.position + seconds))

    def next_lap(self) -> None:
        """To just after the viewed car's next lap (any car's, when no car is viewed)."""
        self._command(lambda: self._seek_to_next(self._is_lap))

    def next_incident(self) -> None:
        """To just after the next contact, object hit, hotlap violation or car reset."""
        self._command(lambda: self._seek_to_next(lambda r: r.data[1] in INCIDENTS))

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every command given so far has been carried out (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._cond:
                if not self._commands and self._idle.is_set():
                    return True
            time.sleep(0.005)
        return False

    def _command(self, action: Callable[[], None]) -> None:
        with self._cond:
            self._idle.clear()
            self._commands.append(action)
            self._cond.notify_all()

    # -- the player's thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                action = self._commands.popleft() if self._commands else None
                if action is None and (self.paused or self._pending is None):
                    self._idle.set()
                    self._cond.wait(MAX_WAIT * 4)
                    continue
            if action is not None:
                action()
                continue
            self._idle.set()
            wait = self._play()
            if wait > 0:
                with self._cond:
                    if not self._commands and not self._stopping:
                        self._cond.wait(min(wait, MAX_WAIT))

    def _play(self) -> float:
        """Feed every record due by now; returns how long until the next one is due (wall seconds)."""
        now = time.perf_counter()
        if self._anchor is None:
            self._anchor = (now, self.position)
        wall0, t0 = self._anchor
        due = t0 + (now - wall0) * self.speed
        with self.lock:
            feed = self.feed
            while self._pending is not None and self._pending.t <= due:
                feed.feed_record(self._pending)
                self._fed_to = self._pending.t
                self._pending = next(self._records, None)
            self.newest_arrival = now
            if self._pending is None:
                feed.flush()
                self.position = self.duration
                return 0.0
            self.position = min(due, self._pending.t)
        return (self._pending.t - due) / self.speed

    def _toggle(self) -> None:
        self.paused = not self.paused
        self._anchor = None
        if not self.paused and self._pending is None:  # play again from the start
            self._seek(0.0)

    def _set_speed(self, speed: float) -> None:
        self.speed = _clamp_speed(speed)
        self._anchor = None

    def _is_lap(self, record: CaptureRecord) -> bool:
        if record.data[1] != ISP.LAP:
            return False
        viewed = self.feed.session.view_plid
        return not viewed or record.data[3] == viewed

    def _seek_to_next(self, wanted: Callable[[CaptureRecord], bool]) -> None:
        for record in self.reader.records(start=self.position + 1e-6):
            if record.channel in INSIM and len(record.data) > 3 and wanted(record):
                self._seek(record.t + 1e-3)
                return

    def _seek(self, seconds: float) -> None:
        target = min(max(0.0, seconds), self.duration)
        if target < self._fed_to or self._fed_to < 0:
            self._rebuild(target)
        else:
            self._forward(target)
        self.position = target
        self._anchor = None

    def _forward(self, target: float) -> None:
        while self._pending is not None and self._pending.t <= target:
            with self.lock:
                for _ in range(CHUNK):
                    record = self._pending
                    if record is None or record.t > target:
                        break
                    self.feed.feed_record(record)
                    self._fed_to = record.t
                    self._pending = next(self._records, None)

    def _rebuild(self, target: float) -> None:
        feed, buffers, standings = self._build()
        feed.outsim_opts = self.feed.outsim_opts
        keep_from = target - self.buffer_seconds
        records = self.reader.records()
        pending = next(records, None)
        fed_to = -1.0
        while pending is not None and pending.t <= target:
            if pending.t >= keep_from or pending.channel != Channel.OUTGAUGE:  # OutSim teaches the track ruler
                feed.feed_record(pending)
            fed_to = pending.t
            pending = next(records, None)
        with self.lock:
            self.feed, self.buffers, self.standings = feed, buffers, standings
            self._records, self._pending, self._fed_to = records, pending, fed_to


def _clamp_speed(speed: float) -> float:
    return min(MAX_SPEED, max(MIN_SPEED, float(speed)))

