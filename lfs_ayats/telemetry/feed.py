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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lfs_ayats.packets import PacketError, decode, decode_outgauge, decode_outsim, packet_class
from lfs_ayats.packets.constants import ISP, TINY
from lfs_ayats.wire.capture import CaptureRecord, Channel

from . import car_runs, convert, viewed_columns
from .car_sets import CarSets
from .events import CarSamples, Event, FeedGap, GaugeSample, MotionSample, NodeLaps, SampleColumns
from .session import SessionState
from .validate import PHYSICAL

log = logging.getLogger(__name__)

Listener = Callable[[Event], Any]
SAMPLE_TYPES = (CarSamples, GaugeSample, MotionSample, NodeLaps)
PLAYER_REQUEST_INTERVAL_S = 10.0
PLAYER_REQUEST_REQI = 250
IS_TINY = packet_class("IS_TINY")
_MCI = int(ISP.MCI)  # a plain int: IntFlag / IntEnum attribute access costs a microsecond
_INSIM = (Channel.INSIM_TCP, Channel.INSIM_UDP)
_STANDS_FOR = {"cars": "CarSamples", "motion": "MotionSample", "gauge": "GaugeSample"}
# InSim packets that neither read nor change what an unsettled run of IS_MCI sets holds: splits
# (the lap they belong to comes from each car's IS_MCI lap, kept up as sets arrive) and the
# packets the telemetry does not use (keep-alives, messages, buttons ...).
_BESIDE_RUNS = frozenset(int(ISP[name]) for name in ISP.__members__
                         if f"IS_{name}" not in convert.CONVERTERS and name != "MCI") | {int(ISP.SPX)}


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
        self._run = car_runs.CarRun()  # IS_MCI sets waiting to be settled at once (feed_records)
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

    def feed_records(self, records: Sequence[CaptureRecord]) -> None:
        """Many capture records in order, samples column-wise (imports).

        The same state and the same stored values as `feed_record` one by one, at a fraction of
        the cost: IS_MCI sets are settled in runs (car_runs.py) and the viewed car's OutSim and
        OutGauge datagrams converted a window at once (viewed_columns.py); listeners get
        `SampleColumns` (one per source between other InSim packets) instead of an event per
        sample. A window whose datagrams are not all alike (a corrupt size, a bad header) goes
        one by one, so decode errors are counted the usual way.
        """
        motion = self._viewed_motion(records)
        gauge = self._viewed_gauge(records)
        session = self.session
        m = g = 0  # rows of motion / gauge handed over so far
        m_end = g_end = 0  # rows of motion / gauge seen so far
        if motion is not None:
            m_plid, m_lap = motion["plid"], motion["lap"]
            ruler_in = [motion[c].tolist() for c in ("t", "lap_distance_m", "speed_mps", "x_m", "y_m", "vx", "vy",
                                                     "time_ms")]
        if gauge is not None:
            g_plid, g_lap = gauge["plid"].tolist(), gauge["lap"]
        for record in records:
            channel = record.channel
            if channel in _INSIM and len(record.data) > 1 and record.data[1] == _MCI:
                self._mci_in_run(record)
            elif channel == Channel.OUTSIM and motion is not None:
                plid = session.view_plid
                m_plid[m_end] = plid
                m_lap[m_end] = session.mci_lap(plid)
                t, distance, speed, x, y, vx, vy, time_ms = (column[m_end] for column in ruler_in)
                session.motion_seen(t, distance, speed, x, y, vx, vy,
                                    None if time_ms != time_ms else time_ms / 1000.0)  # NaN: no Time block
                m_end += 1
            elif channel == Channel.OUTGAUGE and gauge is not None:
                plid = g_plid[g_end]
                g_lap[g_end] = session.mci_lap(plid)
                if plid and plid != session.view_plid:
                    self._emit_all(session.gauge_seen(record.t, plid))
                g_end += 1
            elif channel in (Channel.OUTSIM, Channel.OUTGAUGE):
                self._settle_run()  # a window that goes one by one: listeners see each car's lap so far
                self.feed_record(record)
            else:
                if channel != Channel.SENT and not (channel in _INSIM and len(record.data) > 1
                                                    and record.data[1] in _BESIDE_RUNS):
                    # Laps, race starts, players: the samples before them reach listeners first.
                    self._settle_run()
                    m = self._hand_on("motion", motion, m, m_end)
                    g = self._hand_on("gauge", gauge, g, g_end)
                self.feed_record(record)
        self._settle_run()
        self._hand_on("motion", motion, m, m_end)
        self._hand_on("gauge", gauge, g, g_end)

    def _mci_in_run(self, record: CaptureRecord) -> None:
        try:
            packet = decode(record.data)
        except PacketError as exc:
            self.counters.decode_errors += 1
            log.debug("undecodable InSim frame: %s", exc)
            return
        self.counters.packets[packet.name] += 1
        run = self._run
        for car_set in self._sets.add(record.t, packet):
            if not car_set.complete:
                self.counters.incomplete_sets += 1
            if len(run) >= car_runs.MAX_SETS:
                self._settle_run()
            if car_runs.arrive(self.session, run, car_set):
                continue
            self._settle_run()  # this set needs what a run does not model: the usual way
            self._emit(convert.car_samples(car_set.t, car_set.cars, car_set.complete, car_set.reply))

    def _settle_run(self) -> None:
        run = self._run
        if run.sets:
            count = len(run)
            columns = car_runs.settle(self.session, run)
            self._emit_all([SampleColumns(float(columns["t"][0]), source="cars", columns=columns, count=count)])

    def _viewed_motion(self, records: Sequence[CaptureRecord]) -> dict[str, np.ndarray] | None:
        datas = [r.data for r in records if r.channel == Channel.OUTSIM]
        sizes = {len(d) for d in datas}
        layout = viewed_columns.outsim_dtype(sizes.pop(), self.outsim_opts) if len(sizes) == 1 else None
        if layout is None:
            return None
        raw = viewed_columns.frombuffer(datas, layout[0])
        if not viewed_columns.outsim_header_ok(raw, layout[1]).all():
            return None
        self.counters.packets["OutSim" if layout[1] == 0 else "OutSim2"] += len(raw)
        columns = viewed_columns.motion_columns(raw)
        columns["t"] = np.fromiter((r.t for r in records if r.channel == Channel.OUTSIM), np.float64, len(raw))
        columns["plid"] = np.zeros(len(raw), np.int64)
        columns["lap"] = np.zeros(len(raw), np.int64)
        return columns

    def _viewed_gauge(self, records: Sequence[CaptureRecord]) -> dict[str, np.ndarray] | None:
        datas = [r.data for r in records if r.channel == Channel.OUTGAUGE]
        sizes = {len(d) for d in datas}
        dtype = viewed_columns.outgauge_dtype(sizes.pop()) if len(sizes) == 1 else None
        if dtype is None:
            return None
        raw = viewed_columns.frombuffer(datas, dtype)
        self.counters.packets["OutGauge"] += len(raw)
        columns = viewed_columns.gauge_columns(raw)
        columns["t"] = np.fromiter((r.t for r in records if r.channel == Channel.OUTGAUGE), np.float64, len(raw))
        columns["lap"] = np.zeros(len(raw), np.int64)
        return columns

    def _hand_on(self, source: str, columns: dict[str, np.ndarray] | None, start: int, end: int) -> int:
        """Rows start..end of a window's columns to the listeners as one `SampleColumns`; returns `end`."""
        if columns is None or end <= start:
            return end
        piece = {name: values[start:end] for name, values in columns.items()}
        self._emit_all([SampleColumns(float(piece["t"][0]), source=source, columns=piece, count=end - start)])
        return end
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
        return self._emit_all(self.session.apply(event))

    def _emit_all(self, out: list[Event]) -> list[Event]:
        """Hand events the session already saw to every listener, counting them."""
        counters = self.counters
        for ev in out:
            if isinstance(ev, SampleColumns):  # counted as the events it stands for
                counters.events[_STANDS_FOR[ev.source]] += ev.count
                counters.invalid += int(np.count_nonzero(ev.columns["invalid"].astype(np.int64) & PHYSICAL))
            else:
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
