"""Can the simulated host keep up? 48 cars, IS_MCI at 100 Hz, OutGauge and OutSim at 100 Hz, in real time.

    python benchmarks/sim.py [--seconds 10] [--cars 48]

A separate process connects as an InSim program (ISF_MCI, Interval 10 ms) and counts what arrives,
along with the OutGauge and OutSim datagrams, so the host's CPU share is its own. Printed: the rates
asked for and achieved, the host's CPU share of one core, and how many times real time the same
session runs when the host is not paced at all (the headroom).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import textwrap
import time

from lfs_ayats.sim.field import Field
from lfs_ayats.sim.host import HostConfig, SimHost

COUNTER = textwrap.dedent("""
    import json, select, socket, sys, time
    from lfs_ayats import packets as P
    from lfs_ayats.wire.framing import Framer
    port, og, os_ = (int(a) for a in sys.argv[1:4]); seconds = float(sys.argv[4])
    udp = {}
    for name, p in (("outgauge", og), ("outsim", os_)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", p)); udp[s] = name
    print("ready", flush=True)
    tcp = socket.create_connection(("127.0.0.1", port))
    tcp.sendall(P.encode(P.IS_ISI(ReqI=1, Flags=0x20, InSimVer=10, Interval=10, IName="bench")))
    framer = Framer(); counts = {"mci_sets": 0, "mci_packets": 0, "cars": 0, "outgauge": 0, "outsim": 0}
    start = end = None
    while True:
        ready, _, _ = select.select([tcp, *udp], [], [], 0.5)
        for s in ready:
            if s is tcp:
                data = s.recv(1 << 20)
                if not data:
                    print(json.dumps(counts)); sys.exit(0)
                for frame in framer.feed(data):
                    if frame[1] == 38:
                        counts["mci_packets"] += 1; counts["cars"] += frame[3]
                        if frame[4 + (frame[3] - 1) * 28 + 6] & 128:
                            counts["mci_sets"] += 1
                            if start is None:
                                start = time.monotonic(); end = start + seconds
                                counts = dict.fromkeys(counts, 0)  # count from the first whole set on
                    elif frame[1] == 3 and frame[3] == 0:
                        tcp.sendall(bytes([1, 3, 0, 0]))
            else:
                s.recv(2048); counts[udp[s]] += 1
        if end and time.monotonic() >= end:
            counts["window"] = time.monotonic() - start
            print(json.dumps(counts)); sys.exit(0)
""")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def paced(cars: int, seconds: float) -> dict[str, float]:
    og, os_ = free_udp_port(), free_udp_port()
    field = Field("HR1", cars, "race", laps=50, seed=1)
    host = SimHost(field, HostConfig(port=0, outgauge=("127.0.0.1", og), outsim=("127.0.0.1", os_), out_hz=100))
    port = await host.start()
    counter = subprocess.Popen([sys.executable, "-c", COUNTER, str(port), str(og), str(os_), str(seconds)],
                               stdout=subprocess.PIPE, text=True)
    assert counter.stdout is not None
    counter.stdout.readline()  # "ready"
    runner = asyncio.ensure_future(host.run(speed=1.0))
    await asyncio.sleep(0.5)  # let the client connect and settle
    wall0, cpu0, sim0 = time.monotonic(), time.process_time(), host.now_ms
    out = await asyncio.get_running_loop().run_in_executor(None, counter.stdout.readline)
    wall, cpu, sim_s = time.monotonic() - wall0, time.process_time() - cpu0, (host.now_ms - sim0) / 1000
    runner.cancel()
    await host.stop()
    counter.wait(timeout=10)
    counts = json.loads(out)
    window = counts.pop("window")
    return {"wall": wall, "cpu": cpu, "sim": sim_s, **{k: v / window for k, v in counts.items()}}


async def unpaced(cars: int, sim_seconds: float) -> float:
    field = Field("HR1", cars, "race", laps=50, seed=1)
    host = SimHost(field, HostConfig(port=0, outgauge=("127.0.0.1", free_udp_port()),
                                     outsim=("127.0.0.1", free_udp_port()), out_hz=100))
    await host.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", host.port)
    from lfs_ayats import packets as P

    writer.write(P.encode(P.IS_ISI(ReqI=1, Flags=0x20, InSimVer=10, Interval=10, IName="bench")))
    drain = asyncio.ensure_future(_drain(reader))
    await asyncio.sleep(0.1)
    start = time.perf_counter()
    await host.advance(int(sim_seconds * 1000))
    elapsed = time.perf_counter() - start
    drain.cancel()
    writer.close()
    await host.stop()
    return sim_seconds / elapsed


async def _drain(reader: asyncio.StreamReader) -> None:
    while await reader.read(1 << 20):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--cars", type=int, default=48)
    args = parser.parse_args()
    r = asyncio.run(paced(args.cars, args.seconds))
    sets_per_packet = -(-args.cars // 16)
    print(f"{args.cars} cars in real time for {r['wall']:.1f} s (simulated {r['sim']:.1f} s)")
    print(f"  IS_MCI sets/s      asked 100   achieved {r['mci_sets']:7.1f}   ({r['mci_packets']:.0f} packets/s, "
          f"{sets_per_packet} per set; {r['cars']:.0f} car samples/s)")
    print(f"  OutGauge /s        asked 100   achieved {r['outgauge']:7.1f}")
    print(f"  OutSim /s          asked 100   achieved {r['outsim']:7.1f}")
    print(f"  host CPU share     {r['cpu'] / r['wall'] * 100:5.1f} % of one core")
    headroom = asyncio.run(unpaced(args.cars, 20.0))
    print(f"  unpaced, the same host runs {headroom:.1f}x real time (headroom; the ratio to the paced run)")


if __name__ == "__main__":
    main()
