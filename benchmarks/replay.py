"""Replay speed: a 20-minute, 32-car session replayed as fast as possible, against reading the file alone.

    python benchmarks/replay.py [--seconds 1.0] [--minutes 20] [--cache DIR]

The capture is built once with the packet grammar and cached (default: the system temp folder):
IS_MCI for 32 cars at 20 Hz (two packets a tick, CCI_FIRST / CCI_LAST), OutGauge and OutSim
(OutSimPack2, Opts 0x1ff) at 60 Hz, IS_SPX and IS_LAP as the cars cross splits and the line.
Each rate is the best of several timed rounds, like benchmarks/decode.py.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from lfs_ayats import packets
from lfs_ayats.packets.constants import CCI, TINY
from lfs_ayats.packets.model import RecordArray
from lfs_ayats.wire.capture import CaptureReader, CaptureWriter, Channel
from lfs_ayats.wire.replay import Replayer, decode_record, iter_frames

CARS = 32
MCI_HZ = 20
GAUGE_HZ = 60
OUTSIM_OPTS = 0x1FF
LAP_S = 92.0  # a lap of Blackwood GP in a fast car, near enough
CACHE_VERSION = 1  # bump when the generated traffic changes


def rate(work: Callable[[], int], seconds: float, rounds: int = 3) -> float:
    """Items per second: the best of `rounds` rounds; `work` returns how many items it handled."""
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        items = work()
        best = max(best, items / (time.perf_counter() - start))
        if time.perf_counter() - start > seconds * 4:
            break  # one slow round is enough on a slow machine
    return best


def mci_template() -> packets.Packet:
    cars = [{"PLID": i + 1, "Position": i + 1, "Lap": 1, "Node": 0, "Info": 0, "X": 0, "Y": 0, "Z": 0,
             "Speed": 0, "Direction": 0, "Heading": 0, "AngVel": 0} for i in range(CARS // 2)]
    return packets.decode(packets.encode(packets.IS_MCI(Info=cars)))


def outgauge(t: float, rng: random.Random) -> bytes:
    return packets.encode_outgauge(packets.OutGauge(
        Time=int(t * 1000), Car="XRT", Flags=0x2002, Gear=rng.randrange(2, 7), PLID=1, Speed=rng.uniform(10, 60),
        RPM=rng.uniform(3000, 7500), Turbo=rng.uniform(0, 1), EngTemp=90.0, Fuel=0.5, OilPressure=3.2, OilTemp=86.0,
        DashLights=0x666, ShowLights=0x46, Throttle=rng.random(), Brake=rng.random(), Clutch=0.0,
        Display1="Fuel: 48%", Display2="", ID=None,
    ))


def outsim_samples(rng: random.Random, count: int) -> list[bytes]:
    """OutSimPack2 datagrams; decoded and re-encoded from random bytes, so every field is plausible wire data."""
    size = 280
    out = []
    for _ in range(count):
        raw = bytearray(b"LFST" + rng.randbytes(size - 4))
        for i in range(4, size, 4):  # keep the floats finite: random exponents overflow to inf/nan
            raw[i + 3] = raw[i + 3] & 0x80 | 0x3E
        out.append(packets.encode_outsim(packets.decode_outsim(bytes(raw), OUTSIM_OPTS)))
    return out


def traffic(minutes: float, seed: int = 7) -> Iterator[tuple[float, Channel, bytes]]:
    """The session's records in time order."""
    rng = random.Random(seed)
    end = minutes * 60
    template = mci_template()
    record_type = template.Info.record
    arrays = [template.Info.array.copy(), template.Info.array.copy()]
    arrays[1]["PLID"] += CARS // 2
    arrays[1]["Position"] += CARS // 2
    arrays[0]["Info"][0] = CCI.FIRST
    arrays[1]["Info"][-1] = CCI.LAST
    pace = np.array([LAP_S * rng.uniform(1.0, 1.06) for _ in range(CARS)])
    sims = outsim_samples(rng, 600)
    events: list[tuple[float, Channel, bytes]] = [
        (0.0, Channel.MARKER, b'{"event":"connected"}'),
        (0.001, Channel.SENT, packets.encode(packets.IS_ISI(ReqI=1, InSimVer=10, Interval=50, IName="ayats"))),
        (0.03, Channel.INSIM_TCP, packets.encode(packets.IS_VER(ReqI=1, Version="0.8C", Product="S3", InSimVer=10))),
    ]
    for car in range(CARS):
        for lap in range(1, int(end / pace[car]) + 1):
            for split in (1, 2):
                at = (lap - 1 + split / 3) * pace[car]
                events.append((at, Channel.INSIM_TCP, packets.encode(packets.IS_SPX(
                    PLID=car + 1, STime=int(at * 1000), ETime=int(at * 1000), Split=split))))
            at = lap * pace[car]
            events.append((at, Channel.INSIM_TCP, packets.encode(packets.IS_LAP(
                PLID=car + 1, LTime=int(pace[car] * 1000), ETime=int(at * 1000), LapsDone=lap))))
    events.extend((k * 30.0, Channel.INSIM_TCP, packets.encode(packets.IS_TINY(SubT=TINY.NONE)))
                  for k in range(1, int(end / 30) + 1))
    ticks = int(end * GAUGE_HZ)
    for k in range(ticks):
        t = k / GAUGE_HZ
        events.append((t + 0.0004, Channel.OUTGAUGE, outgauge(t, rng)))
        events.append((t + 0.0007, Channel.OUTSIM, sims[k % len(sims)]))
        if k % (GAUGE_HZ // MCI_HZ) == 0:
            angle = 2 * math.pi * t / pace
            for half, cars in enumerate(arrays):
                part = slice(half * CARS // 2, (half + 1) * CARS // 2)
                cars["X"] = (np.cos(angle[part]) * 400 * 65536).astype(np.int32)
                cars["Y"] = (np.sin(angle[part]) * 400 * 65536).astype(np.int32)
                cars["Speed"] = rng.randrange(8000, 20000)
                cars["Lap"] = (t / pace[part]).astype(np.uint16) + 1
                frame = packets.encode(template.replace(Info=RecordArray(record_type, cars)))
                events.append((t + 0.002 + half * 0.0001, Channel.INSIM_TCP, frame))
    events.sort(key=lambda e: e[0])
    yield from events


def build(path: Path, minutes: float) -> None:
    part = path.with_name(path.name + ".part")
    with CaptureWriter(part, {"source": "benchmark", "outsim_opts": OUTSIM_OPTS}, overwrite=True) as writer:
        for t, channel, data in traffic(minutes):
            writer.write(channel, data, t=t)
        writer.update_header(lfs_version="0.8C", product="S3", insim_version=10)
    os.replace(part, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="about how long one round may take")
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the generated session")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "lfs-ayats-bench")
    args = parser.parse_args()

    args.cache.mkdir(parents=True, exist_ok=True)
    path = args.cache / f"session-{args.minutes:g}min-v{CACHE_VERSION}.lfscap"
    if not path.exists():
        print(f"building {path} ...", flush=True)
        start = time.perf_counter()
        build(path, args.minutes)
        print(f"  built in {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    reader = CaptureReader(path)
    opened = time.perf_counter() - start
    opts = reader.header.get("outsim_opts")
    count = len(reader)
    print(f"capture: {path.stat().st_size / 1e6:.1f} MB, {count:,} records, {reader.duration / 60:.1f} minutes")
    print(f"  open (header + index scan with checksums)   {opened * 1000:>10.0f} ms   "
          f"({count / opened:,.0f} records/s)")

    def read_only() -> int:
        n = 0
        for _ in reader.records():
            n += 1
        return n

    def replay_decoding() -> int:
        n = 0
        for record in iter_frames(reader):
            decode_record(record, opts)
            n += 1
        return n

    def async_replay_decoding() -> int:
        async def run() -> int:
            n = 0
            async for record in Replayer(reader, speed=None):
                decode_record(record, opts)
                n += 1
            return n
        return asyncio.run(run())

    reading = rate(read_only, args.seconds)
    decoding = rate(replay_decoding, args.seconds)
    replaying = rate(async_replay_decoding, args.seconds)
    print("frames per second")
    print(f"  reading the file alone (records())          {reading:>14,.0f}")
    print(f"  replay as fast as possible + decode (sync)  {decoding:>14,.0f}")
    print(f"  Replayer(speed=None) + decode (async)       {replaying:>14,.0f}")
    print(f"  ratio replay+decode / reading               {decoding / reading:>14.2f}")
    print(f"  ratio Replayer+decode / reading             {replaying / reading:>14.2f}")
    replay_s = count / replaying
    print(f"  the session replays in {replay_s:.1f} s, {reader.duration / replay_s:,.0f}x real time")
    reader.close()


if __name__ == "__main__":
    main()
