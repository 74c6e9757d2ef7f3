"""The connection layer against the simulated LFS: recording, reconnecting, SIGKILL, secrets, bounds."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lfs_ayats import packets as P
from lfs_ayats.sim.field import Field
from lfs_ayats.sim.host import HostConfig, SimHost
from lfs_ayats.wire.capture import CaptureReader, CaptureWriter, Channel, parse_marker
from lfs_ayats.wire.recorder import FrameQueue, Recorder, RecorderOptions, capture_header
from lfs_ayats.wire.tcp import ClientOptions, InSimClient, LinkEvent, LinkState
from lfs_ayats.wire.udp import UdpListener, UdpPortError

SECRET = "pw-Secret-4711"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_for(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


def recorder_for(port: int, path: Path, password: str = "", **kw: int) -> tuple[Recorder, list[LinkEvent]]:
    events: list[LinkEvent] = []
    options = RecorderOptions(ClientOptions(port=port, password=password, interval_ms=100, backoff_first_s=0.1,
                                            backoff_max_s=0.2), **kw)
    writer = CaptureWriter(path, capture_header(options, source="test"))
    return Recorder(options, writer, queue=FrameQueue(), on_state=events.append), events


async def test_recording_a_race_replays_to_exactly_what_was_received(tmp_path: Path) -> None:
    host = SimHost(Field("GM1", 20, "race", laps=3, seed=21), HostConfig(port=0))
    await host.start()
    path = tmp_path / "race.lfscap"
    recorder, _ = recorder_for(host.port, path)
    received: list[bytes] = []
    task = asyncio.ensure_future(recorder.run())
    await wait_for(lambda: recorder.client.state is LinkState.CONNECTED)
    await host.run(speed=10, until_ms=60_000)  # 60 s of a 20-car race at 10x
    await asyncio.sleep(0.2)
    recorder.stop()
    await task
    recorder.writer.close()
    await host.stop()
    assert recorder.queue is not None
    while (item := recorder.queue.get_nowait()) is not None:
        if item[1] == Channel.INSIM_TCP:
            received.append(item[2])
    with CaptureReader(path) as reader:
        replayed = [r.data for r in reader.records() if r.channel == Channel.INSIM_TCP]
        assert reader.header["lfs_version"] == "0.8C" and reader.header["source"] == "test"
    assert len(received) > 600  # MCI sets at 10 Hz for 60 s, two packets each, plus the rest
    assert [P.decode(f) for f in replayed] == [P.decode(f) for f in received]


async def test_reconnects_when_lfs_restarts_and_marks_the_gap(tmp_path: Path) -> None:
    port = free_port()
    first = SimHost(Field("GM1", 4, "race", laps=2, seed=1), HostConfig(port=port))
    await first.start()
    path = tmp_path / "gap.lfscap"
    recorder, events = recorder_for(port, path)
    task = asyncio.ensure_future(recorder.run())
    await wait_for(lambda: recorder.client.state is LinkState.CONNECTED)
    await first.advance(5_000)
    await first.stop()
    await wait_for(lambda: any(e.state is LinkState.RETRYING for e in events))
    second = SimHost(Field("GM1", 4, "race", laps=2, seed=2), HostConfig(port=port))
    await second.start()
    await wait_for(lambda: recorder.client.connections == 2)
    await second.advance(5_000)
    await asyncio.sleep(0.2)
    recorder.stop()
    await task
    recorder.writer.close()
    await second.stop()
    states = [e.state for e in events]
    assert states.index(LinkState.LOST) < states.index(LinkState.RETRYING) < len(states) - 1
    with CaptureReader(path) as reader:
        markers = [parse_marker(r)["event"] for r in reader.records() if r.channel == Channel.MARKER]
        versions = [r for r in reader.records() if r.channel == Channel.INSIM_TCP and r.data[1] == 2]
    assert "disconnected" in markers and markers.count("connected") == 2
    assert markers.index("disconnected") < len(markers) - 1 - markers[::-1].index("connected")
    assert len(versions) == 2  # an IS_VER from each LFS


async def test_the_admin_password_reaches_no_capture_log_or_error(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    host = SimHost(Field("GM1", 2, "race", laps=1, seed=1), HostConfig(port=0, admin=SECRET))
    await host.start()
    good, good_events = recorder_for(host.port, tmp_path / "good.lfscap", password=SECRET)
    bad, bad_events = recorder_for(host.port, tmp_path / "bad.lfscap", password=SECRET + "x")
    tasks = [asyncio.ensure_future(good.run()), asyncio.ensure_future(bad.run())]
    await wait_for(lambda: good.client.state is LinkState.CONNECTED)
    await wait_for(lambda: any(e.state is LinkState.REFUSED for e in bad_events))
    await host.advance(3_000)
    await asyncio.sleep(0.1)
    good.stop()
    bad.stop()
    await asyncio.gather(*tasks)
    good.writer.close()
    bad.writer.close()
    await host.stop()
    refusal = next(e for e in bad_events if e.state is LinkState.REFUSED)
    assert "wrong admin password" in refusal.detail
    texts = [caplog.text, repr(good.options), repr(good.client.options), *(e.detail for e in good_events + bad_events)]
    for path in (tmp_path / "good.lfscap", tmp_path / "bad.lfscap"):
        texts.append(path.read_bytes().decode("latin-1"))
    for text in texts:
        assert SECRET not in text
    with CaptureReader(tmp_path / "good.lfscap") as reader:
        sent = [P.decode(r.data) for r in reader.records() if r.channel == Channel.SENT]
    assert sent[0].name == "IS_ISI" and sent[0].Admin == ""


async def test_lfs_not_running_gives_the_hint_and_keeps_retrying() -> None:
    port = free_port()
    events: list[LinkEvent] = []
    client = InSimClient(ClientOptions(port=port, backoff_first_s=0.05, backoff_max_s=0.1), lambda f: None,
                         events.append)
    task = asyncio.ensure_future(client.run())
    await wait_for(lambda: len([e for e in events if e.state is LinkState.RETRYING]) >= 3)
    client.stop()
    await task
    lost = next(e for e in events if e.state is LinkState.LOST)
    assert "Is LFS running" in lost.detail and f"/insim {port}" in lost.detail
    delays = [e.retry_in for e in events if e.state is LinkState.RETRYING]
    assert delays[:3] == [0.05, 0.1, 0.1]  # capped exponential backoff


async def test_udp_port_in_use_is_one_clear_line() -> None:
    port = free_port(socket.SOCK_DGRAM)
    first = UdpListener("OutGauge", Channel.OUTGAUGE, port, lambda c, d: None, host="127.0.0.1")
    await first.start()
    try:
        second = UdpListener("OutGauge", Channel.OUTGAUGE, port, lambda c, d: None, host="127.0.0.1")
        with pytest.raises(UdpPortError, match=f"UDP port {port} for OutGauge is already in use"):
            await second.start()
    finally:
        first.close()


async def test_outgauge_and_outsim_are_recorded_and_relayed(tmp_path: Path) -> None:
    og, os_ = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    relay = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    relay.bind(("127.0.0.1", 0))
    relay.setblocking(False)
    host = SimHost(Field("GM1", 3, "race", laps=1, seed=1),
                   HostConfig(port=0, outgauge=("127.0.0.1", og), outsim=("127.0.0.1", os_), out_hz=50))
    await host.start()
    recorder, _ = recorder_for(host.port, tmp_path / "udp.lfscap", outgauge_port=og, outsim_port=os_,
                               relay_outgauge=(("127.0.0.1", relay.getsockname()[1]),))
    await recorder.start_listeners()
    task = asyncio.ensure_future(recorder.run())
    await wait_for(lambda: recorder.client.state is LinkState.CONNECTED)
    await host.advance(4_000)
    await asyncio.sleep(0.2)
    recorder.stop()
    await task
    recorder.writer.close()
    await host.stop()
    relayed = 0
    while True:
        try:
            relay.recv(2048)
            relayed += 1
        except BlockingIOError:
            break
    relay.close()
    with CaptureReader(tmp_path / "udp.lfscap") as reader:
        gauges = [P.decode_outgauge(r.data) for r in reader.records() if r.channel == Channel.OUTGAUGE]
        motion = [P.decode_outsim(r.data) for r in reader.records() if r.channel == Channel.OUTSIM]
    assert len(gauges) >= 150 and len(motion) >= 150 and relayed == len(gauges)
    assert motion[-1].OSDistance.IndexedDistance > 0


def test_a_slow_consumer_drops_the_oldest_and_counts_them() -> None:
    queue = FrameQueue(limit=100)
    for i in range(10_000):
        queue.put(i / 100, Channel.INSIM_TCP if i % 2 else Channel.OUTGAUGE, bytes([1, 3, 0, 0]))
    assert len(queue) == 100
    assert sum(queue.dropped.values()) == 9_900
    assert queue.dropped[Channel.OUTGAUGE] == queue.dropped[Channel.INSIM_TCP] == 4_950
    first = queue.get_nowait()
    assert first is not None and first[0] == 99.0  # the newest 100 are kept


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_recorder_killed_with_sigkill_leaves_a_readable_capture(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "LFS_AYATS_CONFIG_DIR": str(tmp_path), "LFS_AYATS_DATA_DIR": str(tmp_path)}
    sim = subprocess.Popen([sys.executable, "-m", "lfs_ayats", "sim", "--port", str(port), "--cars", "8",
                            "--laps", "20", "--speed", "5"], stdout=subprocess.PIPE, text=True, env=env)
    path = tmp_path / "killed.lfscap"
    try:
        assert sim.stdout is not None and "listening" in sim.stdout.readline()
        rec = subprocess.Popen([sys.executable, "-m", "lfs_ayats", "record", str(path), "--port", str(port),
                                "--outgauge-port", "0", "--outsim-port", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 20
        while (not path.exists() or path.stat().st_size < 20_000) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        killed_at = time.time()
        rec.send_signal(signal.SIGKILL)
        rec.wait(timeout=10)
    finally:
        sim.kill()
        sim.wait(timeout=10)
    with CaptureReader(path) as reader:
        last = max(r.t for r in reader.records())
        started = float(reader.header["started_unix"])
    assert killed_at - (started + last) < 1.0


def test_record_and_dump_from_the_command_line(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "LFS_AYATS_CONFIG_DIR": str(tmp_path), "LFS_AYATS_DATA_DIR": str(tmp_path)}
    sim = subprocess.Popen([sys.executable, "-m", "lfs_ayats", "sim", "--port", str(port), "--cars", "4",
                            "--laps", "5", "--speed", "20"], stdout=subprocess.PIPE, text=True, env=env)
    path = tmp_path / "cli.lfscap"
    try:
        assert sim.stdout is not None and "listening" in sim.stdout.readline()
        out = subprocess.run([sys.executable, "-m", "lfs_ayats", "record", str(path), "--port", str(port),
                              "--outgauge-port", "0", "--outsim-port", "0", "--duration", "6",
                              "--status-every", "2"], capture_output=True, text=True, env=env, timeout=60)
    finally:
        sim.kill()
        sim.wait(timeout=10)
    assert out.returncode == 0, out.stderr
    assert "connected: LFS 0.8C S3" in out.stdout and "InSim" in out.stdout and "/s" in out.stdout
    laps = subprocess.run([sys.executable, "-m", "lfs_ayats", "dump", str(path), "--json", "--type", "IS_LAP",
                           "--limit", "3"], capture_output=True, text=True, env=env, timeout=60)
    rows = [json.loads(line) for line in laps.stdout.splitlines()]
    assert len(rows) == 3 and all(r["name"] == "IS_LAP" and r["channel"] == "insim" for r in rows)
    assert {"t", "PLID", "LTime", "ETime"} <= rows[0].keys()
    again = subprocess.run([sys.executable, "-m", "lfs_ayats", "record", str(path), "--port", str(port)],
                           capture_output=True, text=True, env=env, timeout=60)
    assert again.returncode == 2 and "Traceback" not in again.stderr and str(path) in again.stderr
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a capture at all")
    bad = subprocess.run([sys.executable, "-m", "lfs_ayats", "dump", str(junk)], capture_output=True, text=True,
                         env=env, timeout=60)
    assert bad.returncode == 2 and "is not an lfs-ayats capture" in bad.stderr and "Traceback" not in bad.stderr


async def test_positions_by_udp_when_the_program_asks(tmp_path: Path) -> None:
    udp_port = free_port(socket.SOCK_DGRAM)
    host = SimHost(Field("GM1", 4, "race", laps=1, seed=1), HostConfig(port=0))
    await host.start()
    events: list[LinkEvent] = []
    options = RecorderOptions(ClientOptions(port=host.port, interval_ms=100, udp_port=udp_port))
    recorder = Recorder(options, CaptureWriter(tmp_path / "udp-mci.lfscap", capture_header(options)),
                        on_state=events.append)
    await recorder.start_listeners()
    task = asyncio.ensure_future(recorder.run())
    await wait_for(lambda: recorder.client.state is LinkState.CONNECTED)
    await host.advance(3_000)
    await asyncio.sleep(0.2)
    recorder.stop()
    await task
    recorder.writer.close()
    await host.stop()
    with CaptureReader(tmp_path / "udp-mci.lfscap") as reader:
        by_udp = [P.decode(r.data) for r in reader.records() if r.channel == Channel.INSIM_UDP]
        by_tcp = [P.decode(r.data).name for r in reader.records() if r.channel == Channel.INSIM_TCP]
    assert len(by_udp) >= 25 and {p.name for p in by_udp} == {"IS_MCI"}
    assert "IS_MCI" not in by_tcp and "IS_VER" in by_tcp


def test_the_summary_of_an_empty_recording_reads_as_english() -> None:
    from lfs_ayats.wire.recorder import RecorderStats

    stats = RecorderStats()
    assert stats.totals().startswith("no packets, 0.0 MB in 00:00:")
    stats.packets[Channel.OUTGAUGE] += 1200
    assert stats.totals().startswith("OutGauge 1,200 packets, ")
