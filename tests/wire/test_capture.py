"""Capture files: round trips, the header, torn and damaged files, the password, SIGKILL, seeking."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import random
import struct
import subprocess
import sys
import time
from bisect import bisect_left
from pathlib import Path

import pytest

from lfs_ayats import packets
from lfs_ayats.wire import capture
from lfs_ayats.wire.capture import (
    FORMAT,
    INDEX_STRIDE,
    MAGIC,
    CaptureError,
    CaptureReader,
    CaptureRecord,
    CaptureWriter,
    Channel,
    compress,
    mask_admin,
)

SECRET = "hunter2-secret"
RECORD_HEAD = 15


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def isi(admin: str = SECRET) -> bytes:
    return packets.encode(packets.IS_ISI(ReqI=1, UDPPort=29999, Flags=8, InSimVer=10, Interval=50,
                                         Admin=admin, IName="ayats"))


def sample_records() -> list[tuple[float, Channel, bytes]]:
    lap = packets.encode(packets.IS_LAP(PLID=3, LTime=92_345, ETime=400_000, LapsDone=4))
    return [
        (0.0, Channel.MARKER, b'{"event":"connected"}'),
        (0.001, Channel.SENT, packets.encode(packets.IS_TINY(ReqI=2, SubT=1))),
        (0.02, Channel.INSIM_TCP, lap),
        (0.02, Channel.INSIM_UDP, packets.encode(packets.IS_TINY(SubT=0))),
        (0.5, Channel.OUTGAUGE, bytes(range(92))),
        (0.75, Channel.OUTSIM, bytes(range(64))),
        (1.25, Channel.INSIM_TCP, b""),
        (2.0, Channel.OUTSIM, bytes(range(200)) * 3),
    ]


def write_sample(path: Path) -> list[tuple[float, Channel, bytes]]:
    records = sample_records()
    with CaptureWriter(path, {"source": "test"}) as writer:
        for t, channel, data in records:
            writer.write(channel, data, t=t)
    return records


def one_line(exc: pytest.ExceptionInfo[CaptureError], path: Path) -> str:
    message = str(exc.value)
    assert "\n" not in message
    assert str(path) in message
    return message


# -- round trips ---------------------------------------------------------------------------------------


def test_every_channel_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    records = write_sample(path)
    with CaptureReader(path) as reader:
        got = list(reader.records())
        assert got == [CaptureRecord(t, ch, data) for t, ch, data in records]
        assert all(type(r.channel) is Channel for r in got)
        assert len(reader) == len(records)
        assert reader.duration == 2.0
        assert reader.warnings == []
        assert list(reader) == got


def test_long_stream_payloads_are_split_and_datagrams_refused(tmp_path: Path) -> None:
    big = bytes(random.Random(1).randbytes(70_000))
    with CaptureWriter(tmp_path / "s.lfscap") as writer:
        writer.write(Channel.INSIM_TCP, big, t=1.0)
        writer.write(Channel.OUTSIM, bytes(0xFFFF), t=1.0)
        with pytest.raises(ValueError, match="OUTGAUGE"):
            writer.write(Channel.OUTGAUGE, bytes(0x10000))
        with pytest.raises(ValueError):
            writer.write(99, b"x")  # type: ignore[arg-type]
    records = list(CaptureReader(tmp_path / "s.lfscap").records())
    assert [len(r.data) for r in records] == [0xFFFF, 70_000 - 0xFFFF, 0xFFFF]
    assert records[0].data + records[1].data == big
    assert {r.t for r in records} == {1.0}


def test_header_fields(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    before = time.time()
    with CaptureWriter(path, {"source": "live", "host": "127.0.0.1", "port": 29999, "product": None,
                              "insim_version": 10, "outsim_opts": 0x1FF, "custom": [1, 2]}) as writer:
        assert writer.header["lfs_version"] is None
        writer.write(Channel.OUTGAUGE, bytes(92), t=0.1)
        writer.update_header(lfs_version="0.8C", product="S3", format=99)
        assert writer.header["lfs_version"] == "0.8C"
    after = time.time()
    raw = path.read_bytes()
    assert raw[:8] == MAGIC
    version, hlen = struct.unpack_from("<HH", raw, 8)
    assert version == FORMAT == 1
    on_disk = json.loads(raw[12 : 12 + hlen])
    assert on_disk["lfs_version"] is None  # the header is never rewritten: the update is a marker

    header = CaptureReader(path).header
    assert header["format"] == 1
    assert before <= header["started_unix"] <= after
    started = dt.datetime.fromisoformat(header["started_at"])
    assert started.utcoffset() == dt.timedelta(0)
    assert abs(started.timestamp() - header["started_unix"]) < 0.002
    assert header["app"].startswith("lfs-ayats ")
    assert (header["source"], header["host"], header["port"]) == ("live", "127.0.0.1", 29999)
    assert (header["insim_version"], header["outsim_opts"], header["custom"]) == (10, 0x1FF, [1, 2])
    assert (header["lfs_version"], header["product"]) == ("0.8C", "S3")


def test_unknown_header_keys_are_kept_and_ignored(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    head = json.dumps({"format": 1, "from_the_future": {"x": 1}}).encode()
    path.write_bytes(MAGIC + struct.pack("<HH", 1, len(head)) + head)
    reader = CaptureReader(path)
    assert reader.header["from_the_future"] == {"x": 1}
    assert len(reader) == 0 and reader.duration == 0.0 and reader.warnings == []


def test_timing_comes_from_the_monotonic_clock(tmp_path: Path) -> None:
    clock = FakeClock(5000.0)
    with CaptureWriter(tmp_path / "s.lfscap", clock=clock) as writer:
        for step in (0.0, 0.000001, 0.0166667, 1.5, 3600.25):
            clock.now = 5000.0 + step
            assert writer.write(Channel.OUTGAUGE, b"x") == pytest.approx(step, abs=1e-6)
        assert writer.elapsed() == pytest.approx(3600.25)
    times = [r.t for r in CaptureReader(tmp_path / "s.lfscap").records()]
    assert times == pytest.approx([0.0, 0.000001, 0.0166667, 1.5, 3600.25], abs=5e-7)


def test_time_never_goes_backwards(tmp_path: Path) -> None:
    clock = FakeClock()
    with CaptureWriter(tmp_path / "s.lfscap", clock=clock) as writer:
        writer.write(Channel.OUTGAUGE, b"a", t=2.0)
        with pytest.raises(ValueError, match="backwards"):
            writer.write(Channel.OUTGAUGE, b"b", t=1.0)
        clock.now += 0.5  # the clock says 0.5 s: earlier than the last record, so it is held at 2.0
        assert writer.write(Channel.OUTGAUGE, b"c") == 2.0


def test_markers_note_gaps(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    with CaptureWriter(path) as writer:
        writer.marker("connected", t=0.0)
        writer.write(Channel.INSIM_TCP, packets.encode(packets.IS_TINY(SubT=0)), t=1.0)
        writer.marker("disconnected", t=2.0, reason="LFS closed the connection")
    reader = CaptureReader(path)
    assert reader.markers() == [(0.0, {"event": "connected"}),
                                (2.0, {"event": "disconnected", "reason": "LFS closed the connection"})]


# -- torn and damaged files -------------------------------------------------------------------------


def test_a_file_cut_anywhere_in_its_last_record_reads_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    records = write_sample(path)
    whole = path.read_bytes()
    last_start = len(whole) - RECORD_HEAD - len(records[-1][2])
    cut_path = tmp_path / "cut.lfscap"
    for cut in range(last_start, len(whole)):
        cut_path.write_bytes(whole[:cut])
        reader = CaptureReader(cut_path)
        assert [r.data for r in reader.records()] == [data for _, _, data in records[:-1]], cut
        assert reader.duration == records[-2][0]
        if cut == last_start:
            assert reader.warnings == []
        else:
            assert len(reader.warnings) == 1
            warning = reader.warnings[0]
            assert f"dropped {cut - last_start} bytes from offset {last_start}" in warning
            assert "cut short" in warning and str(cut_path) in warning and "\n" not in warning


def record_offsets(whole: bytes, records: list[tuple[float, Channel, bytes]]) -> list[int]:
    """Where each record starts, and (last) where the file ends: walk the lengths back from the end."""
    offsets = [len(whole) - sum(RECORD_HEAD + len(d) for _, _, d in records)]
    for _, _, data in records:
        offsets.append(offsets[-1] + RECORD_HEAD + len(data))
    return offsets


def test_a_damaged_record_in_the_middle_is_skipped_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    records = write_sample(path)
    whole = path.read_bytes()
    offsets = record_offsets(whole, records)
    for victim, where in ((4, RECORD_HEAD + 10), (4, 4), (2, 13), (5, 0)):  # payload, time, length, crc
        damaged = bytearray(whole)
        damaged[offsets[victim] + where] ^= 0x40
        path.write_bytes(damaged)
        reader = CaptureReader(path)
        kept = records[:victim] + records[victim + 1:]
        assert [r.data for r in reader.records()] == [d for _, _, d in kept]
        assert len(reader) == len(kept) and reader.duration == records[-1][0]
        [warning] = reader.warnings
        assert warning == (f"{path}: dropped {offsets[victim + 1] - offsets[victim]} bytes from offset "
                           f"{offsets[victim]} ({warning.split('(', 1)[1].split(')')[0]}); read on from offset "
                           f"{offsets[victim + 1]}")
        assert f"(record {victim} " in warning and ("damaged" in warning or "not valid" in warning)
        # Seeking past the damage lands on the same records as reading through it.
        later = records[victim + 1][0]
        assert [r.data for r in reader.records(start=later)] == [d for t, _, d in kept if t >= later]


def test_garbage_between_records_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    records = write_sample(path)
    whole = path.read_bytes()
    offsets = record_offsets(whole, records)
    for junk in (bytes(3000), bytes(range(256)) * 9, b"\xff" * 17):
        path.write_bytes(whole[: offsets[3]] + junk + whole[offsets[3]:])
        reader = CaptureReader(path)
        assert [r.data for r in reader.records()] == [d for _, _, d in records]
        [warning] = reader.warnings
        assert f"dropped {len(junk)} bytes from offset {offsets[3]}" in warning
        assert f"read on from offset {offsets[3] + len(junk)}" in warning


def test_a_capture_damaged_twice_reads_every_whole_record(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    records = write_sample(path)
    whole = bytearray(path.read_bytes())
    offsets = record_offsets(bytes(whole), records)
    for victim in (1, 4):
        whole[offsets[victim] + RECORD_HEAD] ^= 0x01
    path.write_bytes(whole)
    reader = CaptureReader(path)
    assert [r.data for r in reader.records()] == [d for i, (_, _, d) in enumerate(records) if i not in (1, 4)]
    assert len(reader.warnings) == 2


def test_zeros_at_the_end_after_a_power_cut_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    records = write_sample(path)
    with open(path, "ab") as f:
        f.write(bytes(4096))
    reader = CaptureReader(path)
    assert len(reader) == len(records)
    assert "dropped 4096 bytes" in reader.warnings[0]


def test_not_a_capture(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are not the bytes you are looking for")
    with pytest.raises(CaptureError) as exc:
        CaptureReader(path)
    assert "is not an lfs-ayats capture" in one_line(exc, path)


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.lfscap"
    path.touch()
    with pytest.raises(CaptureError) as exc:
        CaptureReader(path)
    assert "is empty" in one_line(exc, path)


def test_a_capture_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "future.lfscap"
    head = b'{"format": 2}'
    path.write_bytes(MAGIC + struct.pack("<HH", 2, len(head)) + head + bytes(100))
    with pytest.raises(CaptureError) as exc:
        CaptureReader(path)
    message = one_line(exc, path)
    assert "newer lfs-ayats (capture format 2)" in message
    assert "reads up to 1" in message and "upgrade" in message


@pytest.mark.parametrize("header", [b'{"format": 1', b"[1, 2]", b"\xff\xfe"])
def test_a_damaged_header(tmp_path: Path, header: bytes) -> None:
    path = tmp_path / "s.lfscap"
    path.write_bytes(MAGIC + struct.pack("<HH", 1, len(header)) + header)
    with pytest.raises(CaptureError) as exc:
        CaptureReader(path)
    assert "damaged capture" in one_line(exc, path)


def test_a_header_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    path.write_bytes(MAGIC + struct.pack("<HH", 1, 500) + b'{"format": 1}')
    with pytest.raises(CaptureError) as exc:
        CaptureReader(path)
    assert "header is cut short" in one_line(exc, path)


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.lfscap"
    with pytest.raises(CaptureError) as exc:
        CaptureReader(path)
    assert "cannot read" in one_line(exc, path)


# -- writing safely -------------------------------------------------------------------------------------


def test_never_overwrites_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    write_sample(path)
    before = path.read_bytes()
    with pytest.raises(CaptureError) as exc:
        CaptureWriter(path)
    assert "already exists" in one_line(exc, path)
    assert path.read_bytes() == before
    with CaptureWriter(path, overwrite=True) as writer:
        writer.write(Channel.OUTGAUGE, b"new", t=0.0)
    assert [r.data for r in CaptureReader(path).records()] == [b"new"]


def test_cannot_create_in_a_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "s.lfscap"
    with pytest.raises(CaptureError) as exc:
        CaptureWriter(path)
    assert "cannot create" in one_line(exc, path)


def test_writing_after_close(tmp_path: Path) -> None:
    writer = CaptureWriter(tmp_path / "s.lfscap")
    writer.close()
    writer.close()
    assert writer.closed
    with pytest.raises(CaptureError, match="closed"):
        writer.write(Channel.OUTGAUGE, b"x")


def test_fsync_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    clock = FakeClock()
    with CaptureWriter(tmp_path / "s.lfscap", fsync_interval=1.0, clock=clock) as writer:
        for _ in range(20):
            writer.write(Channel.OUTGAUGE, b"x")
            clock.now += 0.125
        assert len(synced) == 2  # at 1.0 s and 2.0 s: not once a record
    assert len(synced) == 3  # and on close


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_is_one_line_and_keeps_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "full.lfscap"
    code = (
        "import resource, signal, sys\n"
        "from lfs_ayats.wire.capture import CaptureError, CaptureWriter, Channel\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (5000, 5000))\n"  # the file system is 'full' at 5000 bytes
        "w = CaptureWriter(sys.argv[1], {'source': 'test'})\n"
        "n = 0\n"
        "try:\n"
        "    while True:\n"
        "        w.write(Channel.OUTGAUGE, bytes(range(92)), t=n / 100)\n"
        "        n += 1\n"
        "except CaptureError as exc:\n"
        "    print(n)\n"
        "    print(exc)\n"
        "try:\n"
        "    w.write(Channel.OUTGAUGE, b'x')\n"
        "except CaptureError as exc:\n"
        "    print(exc)\n"
        "w.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    count, message, again = out.stdout.splitlines()
    assert message == again
    assert message.startswith(f"{path}: cannot write the capture: ") and "records written before are kept" in message
    reader = CaptureReader(path)
    assert len(reader) == int(count) > 0
    assert reader.warnings == []  # the partial record was cut off
    assert path.stat().st_size <= 5000


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_recorder_killed_with_sigkill_reads_back_to_within_a_second(tmp_path: Path) -> None:
    path = tmp_path / "killed.lfscap"
    code = (
        "import sys, time\n"
        "from lfs_ayats.wire.capture import CaptureWriter, Channel\n"
        "w = CaptureWriter(sys.argv[1], {'source': 'test'})\n"
        "payload = bytes(range(92))\n"
        "while True:\n"
        "    print(w.write(Channel.OUTGAUGE, payload), flush=True)\n"
        "    time.sleep(0.001)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    last = -1.0
    try:
        while last < 0.4:
            line = proc.stdout.readline()
            assert line, "the recorder stopped by itself"
            last = float(line)
    finally:
        proc.kill()  # SIGKILL: no handler, no flush, no close
        proc.wait(timeout=10)
    for line in proc.stdout.read().splitlines():  # what it reported before dying
        if line.strip():
            last = max(last, float(line))
    proc.stdout.close()
    reader = CaptureReader(path)
    assert reader.duration >= last - 1.0
    assert all(r.data == bytes(range(92)) for r in reader.records())
    assert len(reader.warnings) <= 1


# -- the admin password --------------------------------------------------------------------------------


def test_the_masked_bytes_are_the_admin_field_of_the_grammar() -> None:
    frame = isi("A" * 15)
    assert frame[1] == packets.IS_ISI.Type == capture._ISP_ISI
    assert frame[capture._ADMIN] == b"A" * 15 + b"\0"
    masked = mask_admin(frame)
    assert len(masked) == len(frame) and b"A" not in masked
    assert packets.decode(masked) == packets.decode(frame).replace(Admin="")


def test_the_admin_password_never_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    tiny = packets.encode(packets.IS_TINY(ReqI=1, SubT=3))
    with CaptureWriter(path, {"source": "live", "admin": SECRET, "Password": SECRET}) as writer:
        writer.write(Channel.SENT, isi())
        writer.write(Channel.SENT, tiny + isi() + tiny)  # several frames in one send
        writer.write(Channel.SENT, bytearray(isi()[:20]))  # a send cut short
        writer.marker("connected", admin=SECRET)
        writer.update_header(admin=SECRET, lfs_version="0.8C")
    raw = path.read_bytes()
    assert SECRET.encode() not in raw and SECRET[:4].encode() not in raw
    reader = CaptureReader(path)
    records = list(reader.records())
    first = packets.decode(records[0].data)
    assert (first.Admin, first.IName, first.UDPPort, first.Interval) == ("", "ayats", 29999, 50)
    assert records[1].data == tiny + mask_admin(isi()) + tiny
    assert len(records[2].data) == 20
    assert "admin" not in reader.header and "Password" not in reader.header


def test_other_frames_are_untouched() -> None:
    tiny = packets.encode(packets.IS_TINY(ReqI=1, SubT=3))
    assert mask_admin(tiny) is tiny
    assert mask_admin(b"") == b""
    assert mask_admin(b"\x00\x01" + bytes(40)) == b"\x00\x01" + bytes(40)  # Size 0: not InSim, left alone


# -- seeking ---------------------------------------------------------------------------------------------


def test_seek_in_a_long_file(tmp_path: Path) -> None:
    path = tmp_path / "long.lfscap"
    count = 100_000
    # Runs of equal times longer than the index stride: seeking must find the first of a run.
    times_us = [(i // 100) * 10_000 + (i % 100 // 70) * 7 for i in range(count)]
    with CaptureWriter(path) as writer:
        for i, t_us in enumerate(times_us):
            writer.write(Channel.OUTGAUGE, i.to_bytes(4, "little"), t=t_us / 1e6)
    reader = CaptureReader(path)
    assert len(reader) == count
    assert reader.duration == pytest.approx(times_us[-1] / 1e6)
    rng = random.Random(3)
    targets = [0.0, -1.0, times_us[INDEX_STRIDE] / 1e6, reader.duration, reader.duration + 1]
    targets += [times_us[rng.randrange(count)] / 1e6 for _ in range(200)]
    targets += [rng.uniform(0, reader.duration) for _ in range(200)]
    for target in targets:
        expected = bisect_left(times_us, round(max(0.0, target) * 1e6))
        got = next(iter(reader.records(start=target)), None)
        if expected == count:
            assert got is None
        else:
            assert got is not None and int.from_bytes(got.data, "little") == expected, target
    window = list(reader.records(start=2.0, end=4.0))
    assert window[0].t >= 2.0 and window[-1].t < 4.0
    assert len(window) == bisect_left(times_us, 4_000_000) - bisect_left(times_us, 2_000_000)


def test_records_after_close(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    write_sample(path)
    reader = CaptureReader(path)
    reader.close()
    with pytest.raises(CaptureError, match="closed"):
        reader.records()


# -- compression -----------------------------------------------------------------------------------------


def test_compressed_captures_read_the_same(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    write_sample(path)
    plain = CaptureReader(path)
    expected, header = list(plain.records()), plain.header
    plain.close()
    packed = compress(path)
    assert packed == tmp_path / "s.lfscap.gz" and not path.exists()
    assert not list(tmp_path.glob("*.part"))
    reader = CaptureReader(packed)
    assert reader.compressed and list(reader.records()) == expected and reader.header == header
    with pytest.raises(CaptureError) as exc:
        compress(packed)
    assert "already compressed" in one_line(exc, packed)


def test_a_compressed_capture_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "s.lfscap"
    records = write_sample(path)
    packed = compress(path, remove=False)
    assert path.exists()
    raw = packed.read_bytes()
    packed.write_bytes(raw[: len(raw) - 30])
    reader = CaptureReader(packed)
    assert [r.data for r in reader.records()] == [d for _, _, d in records][: len(reader)]
    assert reader.warnings and "compressed data is cut short" in reader.warnings[0]


def test_compress_refuses_what_is_not_a_capture(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(CaptureError):
        compress(path)
    assert path.exists() and not (tmp_path / "notes.txt.gz").exists()
    empty = tmp_path / "empty.gz"
    empty.write_bytes(gzip.compress(b""))
    with pytest.raises(CaptureError, match="not an lfs-ayats capture"):
        CaptureReader(empty)


# -- import weight ---------------------------------------------------------------------------------------


def test_recording_does_not_load_the_grammar() -> None:
    code = "import sys, lfs_ayats.wire.capture; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    assert not loaded & {"construct", "numpy", "lfs_ayats.packets"}
