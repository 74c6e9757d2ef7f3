"""The feed: decode -> convert -> session -> listeners, counting what it drops and never raising on bad input."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from lfs_ayats.telemetry import events as E
from lfs_ayats.telemetry.feed import EventQueue, Feed
from lfs_ayats.telemetry.sources import feed_capture, run_queue
from lfs_ayats.telemetry.validate import Invalid
from lfs_ayats.wire.capture import CaptureRecord, CaptureWriter, Channel
from lfs_ayats.wire.recorder import FrameQueue

from . import builders as b


def collect() -> tuple[Feed, list[E.Event]]:
    events: list[E.Event] = []
    return Feed([events.append]), events


def test_bad_bytes_are_counted_never_raised() -> None:
    feed, events = collect()
    assert feed.feed_frame(0.0, b"\x05\x18\x00") == []  # shorter than a header
    assert feed.feed_frame(0.0, b"\x09\x18" + bytes(10)) == []  # Size byte says 36 bytes
    assert feed.feed_frame(0.0, b"\x02\x26\x00\x05" + bytes(4)) == []  # IS_MCI claiming 5 cars in 4 bytes
    assert feed.feed_outgauge(0.0, bytes(50)) == []
    assert feed.feed_outsim(0.0, bytes(13)) == []
    assert feed.counters.decode_errors == 5 and not events
    feed.feed_frame(0.0, b.lap(1, 1000, 1000, 1))  # and it carries on
    assert feed.counters.packets["IS_LAP"] == 1 and len(events) == 1


def test_unknown_packet_types_are_counted() -> None:
    feed, events = collect()
    feed.feed_frame(0.0, bytes([1, 200, 0, 0]))
    assert feed.counters.packets["IS_RAW"] == 1 and not events


def test_implausible_values_are_flagged_and_counted() -> None:
    feed, events = collect()
    feed.feed_frame(0.0, b.mci(b.car(1, speed=180.0), b.car(2, speed=30.0), b.car(3, x=9000.0)))
    feed.feed_outgauge(0.1, b.outgauge(rpm=-10.0))
    feed.feed_outgauge(0.2, b.outgauge())
    cars = events[0]
    assert isinstance(cars, E.CarSamples) and cars.invalid.tolist()[0] & Invalid.SPEED
    assert feed.counters.invalid == 3  # two cars and one gauge sample; first samples' SAMPLE_GAP is not counted


def test_a_failing_listener_is_counted_and_the_others_still_hear() -> None:
    heard: list[E.Event] = []

    def broken(event: E.Event) -> None:
        raise RuntimeError("boom")

    feed = Feed([broken, heard.append])
    feed.feed_frame(0.0, b.lap(1, 1000, 1000, 1))
    feed.feed_frame(0.0, b.lap(1, 1000, 2000, 2))
    assert len(heard) == 2 and feed.counters.listener_errors == 2


def test_an_mci_set_over_three_packets_is_one_event() -> None:
    feed, events = collect()
    cars = [b.car(p, node=p) for p in range(1, 41)]
    feed.feed_frame(0.0, b.mci(*cars[:16], last=False))
    feed.feed_frame(0.0, b.mci(*cars[16:32], first=False, last=False))
    assert not events
    feed.feed_frame(0.0, b.mci(*cars[32:], first=False))
    (ev,) = events
    assert isinstance(ev, E.CarSamples) and ev.complete and ev.plid.tolist() == list(range(1, 41))
    assert feed.counters.packets["IS_MCI"] == 3 and feed.counters.events["CarSamples"] == 1


def test_a_set_that_lost_a_packet_is_handed_on_marked_incomplete() -> None:
    feed, events = collect()
    feed.feed_frame(0.0, b.mci(b.car(1), b.car(2), last=False))  # the next packet never comes
    feed.feed_frame(0.1, b.mci(b.car(1), b.car(2), b.car(3)))
    first, second = events
    assert isinstance(first, E.CarSamples) and not first.complete and len(first) == 2
    assert isinstance(second, E.CarSamples) and second.complete and len(second) == 3
    feed.feed_frame(0.2, b.mci(b.car(3), first=False))  # a set whose first packet was lost
    assert len(events) == 3 and not events[2].complete  # type: ignore[attr-defined]
    feed.feed_frame(0.3, b.mci(b.car(1), reqi=7))  # a reply to TINY_MCI
    assert events[3].reply and events[3].complete  # type: ignore[attr-defined]
    feed.feed_frame(0.4, b.mci(b.car(1), last=False))
    feed.flush()  # the end of the input: the set still waiting goes out
    assert len(events) == 5 and not events[4].complete  # type: ignore[attr-defined]
    assert feed.counters.incomplete_sets == 3


def test_capture_records_by_channel_and_markers(tmp_path: Path) -> None:
    path = tmp_path / "small.lfscap"
    with CaptureWriter(path, {"source": "test"}) as writer:
        writer.marker("connected", t=0.0)
        writer.write(Channel.SENT, b.frame("IS_TINY", ReqI=2, SubT=7), t=0.0)
        writer.write(Channel.INSIM_TCP, b.ncn(1, "alice", "Alice"), t=0.1)
        writer.write(Channel.INSIM_TCP, b.npl(1, 1, "Alice"), t=0.1)
        writer.write(Channel.INSIM_UDP, b.mci(b.car(1, speed=20.0)), t=0.2)
        writer.write(Channel.OUTGAUGE, b.outgauge(plid=1), t=0.25)
        writer.write(Channel.OUTSIM, b.outsim2(50.0), t=0.25)
        writer.write(Channel.INSIM_TCP, b.lap(1, 90_000, 90_000, 1), t=0.3)
        writer.marker("disconnected", t=0.4, state="lost", detail="LFS closed the connection")
        writer.write(Channel.INSIM_TCP, b.lap(1, 90_000, 180_000, 2), t=5.0)
    events: list[E.Event] = []
    feed = feed_capture(path, listeners=[events.append])
    names = [type(e).__name__ for e in events]
    assert names == ["ConnectionJoined", "PlayerJoined", "CarSamples", "ViewChanged", "GaugeSample", "MotionSample",
                     "LapCompleted", "FeedGap", "LapCompleted"]
    assert events[2].t == 0.2 and events[-1].t == 5.0
    gap = events[-2]
    assert isinstance(gap, E.FeedGap) and "LFS closed the connection" in gap.reason
    last = events[-1]
    assert isinstance(last, E.LapCompleted) and "partial" in last.reasons
    assert feed.counters.sent == 1 and feed.counters.markers == 2
    partial = feed_capture(path, start=0.15, end=0.35)
    assert partial.counters.packets["IS_LAP"] == 1 and "IS_NPL" not in partial.counters.packets


def test_live_frames_without_a_time_use_the_feeds_clock() -> None:
    now = [100.0]
    events: list[E.Event] = []
    feed = Feed([events.append], clock=lambda: now[0])
    now[0] = 102.5
    feed.feed_frame(None, b.lap(1, 1000, 1000, 1))
    assert events[0].t == 2.5


def test_an_event_queue_drops_samples_not_laps_and_the_feed_counts_it() -> None:
    queue = EventQueue(limit=10)
    feed = Feed([queue])
    for k in range(100):
        feed.feed_frame(k / 10, b.mci(b.car(1, node=k)))
    feed.feed_frame(11.0, b.lap(1, 90_000, 90_000, 1))
    assert queue.dropped == 90 and feed.drops == 90 and len(queue) == 11
    batch = queue.get_batch(max_items=5)
    assert len(batch) == 5 and [e.t for e in batch] == [0.0, 0.1, 0.2, 0.3, 0.4]
    rest = queue.get_batch(timeout=0)
    assert isinstance(rest[-1], E.LapCompleted) and len(queue) == 0
    assert queue.get_batch(timeout=0.01) == []
    feed.feed_frame(12.0, b.mci(b.car(1)))  # room again
    assert len(queue.get_batch(timeout=0)) == 1


async def test_the_live_queue_adapter_feeds_frames_and_counts_the_queues_drops() -> None:
    queue = FrameQueue(limit=5)
    events: list[E.Event] = []
    feed = Feed([events.append])
    for k in range(8):
        queue.put(k / 10, Channel.INSIM_TCP, b.lap(1, 1000, 1000 * (k + 1), k + 1))
    task = asyncio.ensure_future(run_queue(queue, feed))
    for _ in range(5):
        await asyncio.sleep(0)
    queue.put(1.0, Channel.OUTGAUGE, b.outgauge())
    for _ in range(5):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    laps = [e for e in events if isinstance(e, E.LapCompleted)]
    assert [lap.lap for lap in laps] == [4, 5, 6, 7, 8]  # the oldest three were dropped by the queue
    assert feed.counters.frames_dropped == 3 and feed.drops == 3
    assert isinstance(events[-1], E.GaugeSample) and isinstance(events[-2], E.ViewChanged)


def test_a_capture_record_is_accepted_as_is() -> None:
    feed, events = collect()
    feed.feed_record(CaptureRecord(1.0, Channel.MARKER, json.dumps({"event": "note"}).encode()))
    feed.feed_record(CaptureRecord(1.0, Channel.MARKER, b"not json"))
    assert not events and feed.counters.markers == 2
