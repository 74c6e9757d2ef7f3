"""The feed: frames -> decode -> convert -> session -> listeners, counting everything on the way.

    feed = Feed(listeners=[buffers, store_queue, ui_messages])
    feed.feed_frame(t, frame)         # one InSim frame (TCP or UDP)
    feed.feed_outgauge(t, datagram)
    feed.feed_outsim(t, datagram)
    feed.feed_record(record)          # a capture record: any of the above, or a marker

Nothing here raises on bad input: undecodable bytes count as decode errors, implausible values
are flagged on their events and counted, a listener that raises is counted and skipped. Listeners
are plain callables called in order on the feed's thread; one that hands events to another thread
should be an `EventQueue` (bounded: when full it drops samples, never laps, and counts them).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lfs_ayats.packets import PacketError, decode, decode_outgauge, decode_outsim, packet_class
from lfs_ayats.packets.constants import ISP, TINY
from lfs_ayats.wire.capture import CaptureRecord, Channel

from . import convert
from .car_sets import CarSets
from .events import CarSamples, Event, FeedGap, GaugeSample, MotionSample, NodeLaps
from .session import SessionState
from .validate import PHYSICAL

log = logging.getLogger(__name__)

Listener = Callable[[Event], Any]
SAMPLE_TYPES = (CarSamples, GaugeSample, MotionSample, NodeLaps)
PLAYER_REQUEST_INTERVAL_S = 10.0
PLAYER_REQUEST_REQI = 250
IS_TINY = packet_class("IS_TINY")
_MCI = int(ISP.MCI)  # a plain int: IntFlag / IntEnum attribute access costs a microsecond


@dataclass
class FeedCounters:
    """What went through the feed since it started."""

    packets: Counter[str] = field(default_factory=Counter)  # by packet name, decoded ones only
    events: Counter[str] = field(default_factory=Counter)  # by event class name, as handed to listeners
    decode_errors: int = 0
    invalid: int = 0  # samples (cars of an IS_MCI set, gauge and motion samples) with implausible values
    incomplete_sets: int = 0  # IS_MCI sets that lost a packet
    listener_errors: int = 0
    frames_dropped: int = 0  # by the frame queue in front of the feed (live only)
    sent: int = 0  # frames we sent to LFS (capture SENT records)
    markers: int = 0


class EventQueue:
    """A bounded, thread-safe hand-over of events (e.g. to the store's writer thread).

    At most `limit` samples wait at a time; when full, new samples are dropped and counted. Other
    events (laps, incidents, players: a few per second at most) are always queued.
    """

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.dropped = 0
        self._items: deque[Event] = deque()
        self._samples = 0
        self._lock = threading.Lock()
        self._ready = threading.Event()

    def __call__(self, event: Event) -> None:
        sample = isinstance(event, SAMPLE_TYPES)
        with self._lock:
            if sample:
                if self._samples >= self.limit:
                    self.dropped += 1
                    return
                self._samples += 1
            self._items.append(event)
        self._ready.set()

    def __len__(self) -> int:
        return len(self._items)

    def get_batch(self, max_items: int = 10_000, timeout: float | None = None) -> list[Event]:
        """Up to `max_items` events, oldest first; waits up to `timeout` s for the first (None: forever)."""
        if not self._items and not self._ready.wait(timeout):
            return []
        out: list[Event] = []
        with self._lock:
            while self._items and len(out) < max_items:
                event = self._items.popleft()
                if isinstance(event, SAMPLE_TYPES):
                    self._samples -= 1
                out.append(event)
            if not self._items:
                self._ready.clear()
        return out


class Feed:
    """Decode, convert, keep the session, and hand events to listeners in order."""

    def __init__(
        self,
        listeners: Iterable[Listener] = (),
        *,
        session: SessionState | None = None,
        clock: Callable[[], float] = time.monotonic,
        request: Callable[[Any], None] | None = None,
        outsim_opts: int | None = None,
    ) -> None:
        self.listeners: list[Listener] = list(listeners)
        self.session = session or SessionState()
        self.counters = FeedCounters()
        self._clock = clock
        self._start = clock()
        self._request = request
        self._requested_at = -PLAYER_REQUEST_INTERVAL_S
        self.outsim_opts = outsim_opts
        self._sets = CarSets()
        self._failing: set[int] = set()

    # -- input ---------------------------------------------------------------------------------------

    def now(self) -> float:
        """The feed's own clock: seconds since it was made (live frames without a time get this)."""
        return self._clock() - self._start

    def feed_frame(self, t: float | None, frame: bytes | bytearray | memoryview) -> list[Event]:
        """One whole InSim frame (header included); returns the events handed on."""
        t = self.now() if t is None else t
        try:
            packet = decode(frame)
        except PacketError as exc:
            self.counters.decode_errors += 1
            log.debug("undecodable InSim frame: %s", exc)
            return []
        return self.feed_packet(t, packet)

    def feed_packet(self, t: float, packet: Any) -> list[Event]:
        """An already decoded InSim packet."""
        self.counters.packets[packet.name] += 1
        if packet.Type == _MCI:
            return self._emit_sets(self._sets.add(t, packet))
        event = convert.convert(packet, t)
        return [] if event is None else self._emit(event)

    def feed_outgauge(self, t: float | None, data: bytes | bytearray | memoryview) -> list[Event]:
        t = self.now() if t is None else t
        try:
            packet = decode_outgauge(data)
        except PacketError as exc:
            self.counters.decode_errors += 1
            log.debug("undecodable OutGauge datagram: %s", exc)
            return []
        self.counters.packets[packet.name] += 1
        return self._emit(convert.gauge_sample(packet, t))

    def feed_outsim(self, t: float | None, data: bytes | bytearray | memoryview) -> list[Event]:
        t = self.now() if t is None else t
        try:
            packet = decode_outsim(data, self.outsim_opts)
        except PacketError as exc:
            self.counters.decode_errors += 1
            log.debug("undecodable OutSim datagram: %s", exc)
            return []
        self.counters.packets[packet.name] += 1
        return self._emit(convert.motion_sample(packet, t, self.session.view_plid))

    def feed_record(self, record: CaptureRecord) -> list[Event]:
        """A capture record (or a frame from the live recorder's queue), by its channel."""
        channel = record.channel
        if channel in (Channel.INSIM_TCP, Channel.INSIM_UDP):
            return self.feed_frame(record.t, record.data)
        if channel == Channel.OUTGAUGE:
            return self.feed_outgauge(record.t, record.data)
        if channel == Channel.OUTSIM:
            return self.feed_outsim(record.t, record.data)
        if channel == Channel.SENT:
            self.counters.sent += 1
            return []
        self.counters.markers += 1
        try:
            note = json.loads(bytes(record.data))
        except ValueError:
            return []
        if isinstance(note, dict) and note.get("event") == "disconnected":
            detail = str(note.get("detail") or note.get("state") or "")
            return self.gap(record.t, f"disconnected: {detail}" if detail else "disconnected")
        return []

    def gap(self, t: float | None, reason: str) -> list[Event]:
        """The stream was interrupted (link lost): pending sets are incomplete, laps in progress partial."""
        t = self.now() if t is None else t
        out = self._emit_sets(self._sets.flush())
        return out + self._emit(FeedGap(t, reason=reason))

    def flush(self) -> list[Event]:
        """The end of the input: hand on an IS_MCI set still waiting for its last packet."""
        return self._emit_sets(self._sets.flush())

    # -- output --------------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self.listeners.append(listener)

    @property
    def drops(self) -> int:
        """Frames dropped before the feed plus samples dropped by listeners' queues."""
        return self.counters.frames_dropped + sum(int(getattr(x, "dropped", 0)) for x in self.listeners)

    def _emit_sets(self, sets: list[Any]) -> list[Event]:
        out: list[Event] = []
        for car_set in sets:
            if not car_set.complete:
                self.counters.incomplete_sets += 1
            out += self._emit(convert.car_samples(car_set.t, car_set.cars, car_set.complete, car_set.reply))
        return out

    def _emit(self, event: Event) -> list[Event]:
        out = self.session.apply(event)
        counters = self.counters
        for ev in out:
            counters.events[type(ev).__name__] += 1
            invalid = getattr(ev, "invalid", 0)
            if isinstance(ev, CarSamples):
                if np.count_nonzero(ev.invalid):  # usually none: skip the masking
                    counters.invalid += int(np.count_nonzero(ev.invalid & PHYSICAL))
            elif invalid & PHYSICAL:
                counters.invalid += 1
            for listener in self.listeners:
                try:
                    listener(ev)
                except Exception:
                    counters.listener_errors += 1
                    if id(listener) not in self._failing:
                        self._failing.add(id(listener))
                        log.exception("a telemetry listener failed (further failures are only counted)")
        if self.session.unknown_plids and self._request is not None:
            self._ask_for_players()
        return out

    def _ask_for_players(self) -> None:
        now = self.now()
        if now - self._requested_at < PLAYER_REQUEST_INTERVAL_S:
            return
        self._requested_at = now
        self.session.unknown_plids.clear()  # asked; they come back if they keep appearing unnamed
        assert self._request is not None
        self._request(IS_TINY(ReqI=PLAYER_REQUEST_REQI, SubT=TINY.NPL))
