"""Decoding speed: a 16-car IS_MCI and an OutGauge datagram, against baselines measured in this run.

    python benchmarks/decode.py [--seconds 0.3]

Baselines: `struct.iter_unpack` / `struct.unpack` of the same bytes (the practical limit for Python:
tuples of numbers and nothing else) and lfs-insim 0.9, the existing Python InSim library
(`pip install lfs-insim==0.9.0`; skipped with a note when it is missing). Each figure is the best
of several timed rounds, so a busy neighbour on a shared machine costs less.
"""

from __future__ import annotations

import argparse
import random
import struct
import time
from collections.abc import Callable

from lfs_ayats import packets

CARS = 16


def rate(work: Callable[[], object], items_per_call: int, seconds: float, rounds: int = 5) -> float:
    """Items per second: the best of `rounds` timed rounds of about `seconds / rounds` each."""
    calls = 1
    while True:  # calibrate the number of calls per round
        start = time.perf_counter()
        for _ in range(calls):
            work()
        if time.perf_counter() - start > seconds / rounds / 4:
            break
        calls *= 2
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            work()
        elapsed = time.perf_counter() - start
        best = max(best, calls * items_per_call / elapsed)
    return best


def sample_mci(rng: random.Random) -> bytes:
    cars = [
        {
            "Node": rng.randrange(400), "Lap": rng.randrange(1, 30), "PLID": i + 1, "Position": i + 1,
            "Info": 0x40 if i == 0 else (0x80 if i == CARS - 1 else 0), "X": rng.randrange(-2**28, 2**28),
            "Y": rng.randrange(-2**28, 2**28), "Z": rng.randrange(-2**20, 2**20), "Speed": rng.randrange(20000),
            "Direction": rng.randrange(65536), "Heading": rng.randrange(65536), "AngVel": rng.randrange(-9000, 9000),
        }
        for i in range(CARS)
    ]
    return packets.encode(packets.IS_MCI(Info=cars))


def sample_outgauge() -> bytes:
    return packets.encode_outgauge(packets.OutGauge(
        Time=785625, Car="XRT", Flags=0x2002, Gear=3, PLID=29, Speed=15.67, RPM=6296.9, Turbo=0.74,
        EngTemp=91.0, Fuel=0.48, OilPressure=3.2, OilTemp=86.8, DashLights=0x666, ShowLights=0x46,
        Throttle=1.0, Brake=0.016, Clutch=0.0, Display1="Fuel: 48%", Display2="Brake Bal: 65%", ID=None,
    ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    args = parser.parse_args()
    seconds = args.seconds

    mci = sample_mci(random.Random(7))
    body = mci[4:]
    car_struct = struct.Struct("<HHBBBxiiiHHHh")  # CompCar, written out by hand for the baseline
    og = sample_outgauge()
    og_struct = struct.Struct("<I4sHBBfffffffIIfff16s16s")

    try:
        from lfs_insim.packets import OutGaugePack, unpack_insim
    except ImportError:
        unpack_insim = OutGaugePack = None

    decoded = packets.decode(mci)
    assert len(decoded.Info) == CARS and decoded.Info[3].PLID == 4

    print(f"IS_MCI, {CARS} cars ({len(mci)} bytes): car samples per second")
    ours = rate(lambda: packets.decode(mci), CARS, seconds)
    limit = rate(lambda: list(car_struct.iter_unpack(body)), CARS, seconds)
    walk = rate(lambda: [c.X for c in packets.decode(mci).Info], CARS, seconds)
    print(f"  lfs-ayats decode               {ours:>14,.0f}")
    print(f"  lfs-ayats decode + every car   {walk:>14,.0f}   (each car as a Python record)")
    print(f"  struct.iter_unpack (limit)     {limit:>14,.0f}")
    if unpack_insim is not None:
        naive = rate(lambda: unpack_insim(mci), CARS, seconds)
        print(f"  lfs-insim 0.9                  {naive:>14,.0f}")
    print(f"  ratio lfs-ayats / struct       {ours / limit:>14.2f}   (goal >= 0.5)")
    if unpack_insim is not None:
        print(f"  ratio lfs-ayats / lfs-insim    {ours / naive:>14.1f}   (goal >= 20)")
    else:
        print("  lfs-insim is not installed: pip install lfs-insim==0.9.0 for the comparison")

    print(f"\nOutGauge ({len(og)} bytes): packets per second")
    ours = rate(lambda: packets.decode_outgauge(og), 1, seconds)
    limit = rate(lambda: og_struct.unpack(og), 1, seconds)
    read = rate(lambda: (lambda p: (p.Car, p.Display1, p.Display2))(packets.decode_outgauge(og)), 1, seconds)
    print(f"  lfs-ayats decode_outgauge      {ours:>14,.0f}   (text decoded when read, from a cache)")
    print(f"  lfs-ayats decode + read text   {read:>14,.0f}")
    print(f"  struct.unpack (limit)          {limit:>14,.0f}")
    if OutGaugePack is not None:
        naive = rate(lambda: OutGaugePack.unpack(og), 1, seconds)
        print(f"  lfs-insim 0.9                  {naive:>14,.0f}")
    print(f"  ratio lfs-ayats / struct       {ours / limit:>14.2f}")
    if OutGaugePack is not None:
        print(f"  ratio lfs-ayats / lfs-insim    {ours / naive:>14.1f}")


if __name__ == "__main__":
    main()
