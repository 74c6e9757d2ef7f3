"""Replay: original timing at any speed on a fake clock, pause, resume, seek, and decoding records."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from lfs_ayats import packets
from lfs_ayats.packets import PacketError
from lfs_ayats.wire.capture import CaptureReader, CaptureRecord, CaptureWriter, Channel
from lfs_ayats.wire.replay import FAST_BATCH, MAX_WAIT, Replayer, decode_record, iter_frames

TIMES = [0.0, 0.5, 1.0, 3.0, 3.0, 10.0]


class FakeClock:
    """A clock that only moves when the replayer sleeps; actions fire once it passes their time."""

    def __init__(self, now: float = 100.0) -> None:
        self.start = self.now = now
        self.sleeps: list[float] = []
        self._actions: list[tuple[float, Callable[[], object]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        due = [a for a in self._actions if a[0] <= self.now - self.start + 1e-9]
        for action in due:
            self._actions.remove(action)
            action[1]()
        await asyncio.sleep(0)

    def at(self, elapsed: float, action: Callable[[], object]) -> None:
        """Run `action` once the clock has moved `elapsed` seconds from its start."""
        self._actions.append((elapsed, action))


@pytest.fixture
def reader(tmp_path: Path) -> CaptureReader:
    path = tmp_path / "s.lfscap"
    with CaptureWriter(path, {"source": "test"}) as writer:
        for i, t in enumerate(TIMES):
            writer.write(Channel.OUTGAUGE if i % 2 else Channel.INSIM_TCP, bytes([i]) * 4, t=t)
    return CaptureReader(path)


def play(replayer: Replayer, clock: FakeClock,
         each: Callable[[int, CaptureRecord], object] | None = None) -> list[tuple[float, float]]:
    """(seconds since the clock's start, record time) for every record yielded."""
    async def run() -> list[tuple[float, float]]:
        out = []
        async for record in replayer:
            out.append((clock.now - clock.start, record.t))
            if each is not None:
                each(len(out), record)
        return out
    return asyncio.run(run())


def assert_times(got: list[tuple[float, float]], expected: list[tuple[float, float]]) -> None:
    assert len(got) == len(expected)
    for (wall, t), (want_wall, want_t) in zip(got, expected, strict=True):
        assert t == want_t
        assert wall == pytest.approx(want_wall, abs=1e-6)


@pytest.mark.parametrize("speed", [1.0, 10.0, 0.1, 100.0])
def test_original_timing_at_any_speed(reader: CaptureReader, speed: float) -> None:
    clock = FakeClock()
    got = play(Replayer(reader, speed, clock=clock, sleep=clock.sleep), clock)
    assert_times(got, [(t / speed, t) for t in TIMES])
    assert sum(clock.sleeps) == pytest.approx(TIMES[-1] / speed)
    assert max(clock.sleeps) <= MAX_WAIT  # long gaps are slept in slices


def test_pause_and_resume(reader: CaptureReader) -> None:
    clock = FakeClock()
    replayer = Replayer(reader, 1.0, clock=clock, sleep=clock.sleep)

    def later() -> None:
        clock.now += 5.0  # five seconds go by while paused
        assert replayer.position == 0.5
        replayer.resume()

    def each(n: int, record: CaptureRecord) -> None:
        if n == 2:
            replayer.pause()
            assert replayer.paused
            asyncio.get_running_loop().call_soon(later)

    got = play(replayer, clock, each)
    assert_times(got, [(0.0, 0.0), (0.5, 0.5), (6.0, 1.0), (8.0, 3.0), (8.0, 3.0), (15.0, 10.0)])


def test_pause_during_a_long_wait(reader: CaptureReader) -> None:
    clock = FakeClock()
    replayer = Replayer(reader, 1.0, clock=clock, sleep=clock.sleep)

    def pause() -> None:
        replayer.pause()
        assert replayer.position == pytest.approx(5.0)  # the replay stands between 3.0 and 10.0
        asyncio.get_running_loop().call_soon(resume)

    def resume() -> None:
        clock.now += 100.0
        replayer.resume()

    clock.at(4.95, pause)
    got = play(replayer, clock)
    assert_times(got[-1:], [(110.0, 10.0)])


def test_seek(reader: CaptureReader) -> None:
    clock = FakeClock()
    replayer = Replayer(reader, 2.0, clock=clock, sleep=clock.sleep)
    assert replayer.duration == 10.0

    def each(n: int, record: CaptureRecord) -> None:
        if n == 2:
            replayer.seek(2.0)  # the next record is the first at or after 2.0 s: 3.0, one second later at 2x
            assert replayer.position == 2.0

    got = play(replayer, clock, each)
    assert_times(got, [(0.0, 0.0), (0.25, 0.5), (0.75, 3.0), (0.75, 3.0), (4.25, 10.0)])


def test_seek_backwards_and_beyond_the_end(reader: CaptureReader) -> None:
    clock = FakeClock()
    replayer = Replayer(reader, None, clock=clock, sleep=clock.sleep)
    seen: list[float] = []

    def each(n: int, record: CaptureRecord) -> None:
        seen.append(record.t)
        if n == 4:
            replayer.seek(-3.0)
        if n == 6:
            replayer.seek(99.0)

    play(replayer, clock, each)
    assert seen == [0.0, 0.5, 1.0, 3.0, 0.0, 0.5, 10.0]  # past the end means the last record's time


def test_seek_while_paused_stays_paused(reader: CaptureReader) -> None:
    clock = FakeClock()
    replayer = Replayer(reader, 1.0, clock=clock, sleep=clock.sleep)

    def each(n: int, record: CaptureRecord) -> None:
        if n == 1:
            replayer.pause()
            replayer.seek(2.5)
            assert replayer.paused and replayer.position == 2.5
            asyncio.get_running_loop().call_soon(replayer.resume)

    got = play(replayer, clock, each)
    assert_times(got, [(0.0, 0.0), (0.5, 3.0), (0.5, 3.0), (7.5, 10.0)])


def test_speed_change_mid_way(reader: CaptureReader) -> None:
    clock = FakeClock()
    replayer = Replayer(reader, 1.0, clock=clock, sleep=clock.sleep)

    def each(n: int, record: CaptureRecord) -> None:
        if n == 3:
            replayer.speed = 10.0

    got = play(replayer, clock, each)
    assert_times(got, [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0), (1.2, 3.0), (1.2, 3.0), (1.9, 10.0)])


def test_speed_change_during_a_long_wait(reader: CaptureReader) -> None:
    clock = FakeClock()
    replayer = Replayer(reader, 1.0, clock=clock, sleep=clock.sleep)

    def faster() -> None:
        replayer.speed = 2.0
        assert replayer.position == pytest.approx(5.0)

    clock.at(4.95, faster)  # 2 s into the 7 s gap between 3.0 and 10.0
    got = play(replayer, clock)
    assert_times(got[-1:], [(5.0 + 5.0 / 2.0, 10.0)])


def test_as_fast_as_possible(tmp_path: Path) -> None:
    path = tmp_path / "many.lfscap"
    count = FAST_BATCH * 2 + 10
    with CaptureWriter(path) as writer:
        for i in range(count):
            writer.write(Channel.OUTSIM, i.to_bytes(4, "little"), t=i * 60.0)
    clock = FakeClock()
    for speed in (None, 0):
        clock.sleeps.clear()
        replayer = Replayer(CaptureReader(path), speed, clock=clock, sleep=clock.sleep)
        assert replayer.speed is None
        got = play(replayer, clock)
        assert [t for _, t in got] == [i * 60.0 for i in range(count)]
        assert clock.now == clock.start
        assert clock.sleeps == [0, 0]  # only to let the event loop run now and then


def test_switching_between_paced_and_fast(reader: CaptureReader) -> None:
    clock = FakeClock()
    replayer = Replayer(reader, None, clock=clock, sleep=clock.sleep)

    def each(n: int, record: CaptureRecord) -> None:
        if n == 2:
            replayer.speed = 1.0
        if n == 4:
            replayer.speed = None

    got = play(replayer, clock, each)
    assert_times(got, [(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (2.5, 3.0), (2.5, 3.0), (2.5, 10.0)])


def test_a_channel_filter_and_a_start(reader: CaptureReader) -> None:
    clock = FakeClock()
    replayer = Replayer(reader, 1.0, start=0.75, channels={Channel.OUTGAUGE}, clock=clock, sleep=clock.sleep)
    assert replayer.position == 0.75
    got = play(replayer, clock)
    assert_times(got, [(2.25, 3.0), (9.25, 10.0)])  # records 1, 3, 5; record 1 is before the start


def test_position_follows_the_clock_but_not_past_the_next_record(reader: CaptureReader) -> None:
    clock = FakeClock()
    replayer = Replayer(reader, 1.0, clock=clock, sleep=clock.sleep)
    positions: list[float] = []
    clock.at(6.0, lambda: positions.append(replayer.position))

    def each(n: int, record: CaptureRecord) -> None:
        positions.append(replayer.position)

    play(replayer, clock, each)
    assert positions == pytest.approx([0.0, 0.5, 1.0, 3.0, 3.0, 6.0, 10.0])


@pytest.mark.parametrize("speed", [0.05, 101.0, -1.0])
def test_speeds_out_of_range(reader: CaptureReader, speed: float) -> None:
    with pytest.raises(ValueError, match=r"0\.1 to 100"):
        Replayer(reader, speed)
    replayer = Replayer(reader, 1.0)
    with pytest.raises(ValueError):
        replayer.speed = speed
    assert replayer.speed == 1.0


def test_iter_frames(reader: CaptureReader) -> None:
    assert [r.t for r in iter_frames(reader)] == TIMES
    assert [r.t for r in iter_frames(reader, start=1.0, channels=[Channel.INSIM_TCP])] == [1.0, 3.0]


def test_decode_record(tmp_path: Path) -> None:
    lap = packets.IS_LAP(PLID=3, LTime=92_345, ETime=400_000, LapsDone=4)
    gauge = packets.OutGauge(Time=1, Car="XRT", Flags=0, Gear=3, PLID=1, Speed=30.0, RPM=5000.0, Turbo=0.0,
                             EngTemp=0.0, Fuel=0.5, OilPressure=0.0, OilTemp=0.0, DashLights=0, ShowLights=0,
                             Throttle=1.0, Brake=0.0, Clutch=0.0, Display1="", Display2="", ID=None)
    sim = packets.decode_outsim(bytes(64))
    path = tmp_path / "s.lfscap"
    with CaptureWriter(path) as writer:
        writer.write(Channel.INSIM_TCP, packets.encode(lap))
        writer.write(Channel.OUTGAUGE, packets.encode_outgauge(gauge))
        writer.write(Channel.OUTSIM, packets.encode_outsim(sim))
        writer.marker("disconnected", reason="timeout")
        writer.write(Channel.INSIM_UDP, b"\x02\x03")
        writer.write(Channel.OUTGAUGE, bytes(50))
        writer.write(Channel.MARKER, b"[1]")
    decoded = [decode_record(r) for r in CaptureReader(path).records()]
    assert decoded[:4] == [lap, gauge, sim, {"event": "disconnected", "reason": "timeout"}]
    assert all(isinstance(d, PacketError) for d in decoded[4:])
    assert "OutGauge" in str(decoded[5])


def test_decode_record_uses_the_outsim_opts() -> None:
    datagram = b"LFST" + bytes(276)
    record = CaptureRecord(0.0, Channel.OUTSIM, datagram)
    assert decode_record(record, 0x1FF).name == "OutSim2"  # type: ignore[union-attr]
    assert isinstance(decode_record(record, 0), PacketError)
