"""The live WebSocket under load: many clients on loopback, the simulator streaming a 20-car race.

    python benchmarks/api.py [--clients 50] [--seconds 30] [--cars 20] [--hz 10] [--slow 5]

Starts `lfs-ayats serve --demo` in a process of its own, then runs two rounds against it: a
baseline with one client, and the load with `--clients` clients (of which `--slow` read only once
every two seconds, the rest as fast as messages come). Each client asks for `--hz` messages a
second. Prints, per round: messages per client per second (mean and lowest), how many clients got
updates, the server's CPU use, and its resident memory sampled at the start, middle and end of the
load round (flat: no queue grows per client). Bounded: each round stops after its time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import connect

BASELINE_S = 10.0
SLOW_READ_S = 2.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Client:
    slow: bool = False
    messages: int = 0
    seqs: list[int] = field(default_factory=list)
    cars_seen: int = 0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def client(url: str, state: Client, until: float) -> None:
    async with connect(url, max_size=None, open_timeout=30, close_timeout=1) as ws:
        while time.monotonic() < until:
            try:
                text = await asyncio.wait_for(ws.recv(), timeout=max(0.01, until - time.monotonic()))
            except TimeoutError:
                break
            if time.monotonic() > until:
                break
            message = json.loads(text)
            state.messages += 1
            state.seqs.append(message["seq"])
            state.cars_seen = max(state.cars_seen, len(message["field"]))
            if state.slow:
                await asyncio.sleep(SLOW_READ_S)  # a slow reader: the server must not queue for it


@dataclass
class Round:
    clients: int
    updated: int  # clients that got more than one state, with cars in it
    rate_mean: float  # messages per second per (fast) client
    rate_min: float
    cpu: float  # server CPU seconds per second
    rss: list[float]  # server MB at the start, middle and end
    cars: int
    slow_messages: int


async def round_(url: str, count: int, slow: int, seconds: float, pid: int) -> Round:
    clients = [Client(slow=i < slow) for i in range(count)]
    start = time.monotonic()
    until = start + seconds
    cpu0 = cpu_s(pid)
    samples: list[float] = []

    async def sample_memory() -> None:
        for fraction in (0.05, 0.5, 0.98):
            await asyncio.sleep(max(0.0, start + seconds * fraction - time.monotonic()))
            samples.append(rss_mb(pid))

    async def cpu_in_window() -> float:
        await asyncio.sleep(max(0.0, until - time.monotonic()))
        return (cpu_s(pid) - cpu0) / (time.monotonic() - start)

    cpu, *_ = await asyncio.gather(cpu_in_window(), sample_memory(), *(client(url, c, until) for c in clients))
    elapsed = seconds  # closing handshakes after the window are not part of it
    fast = [c for c in clients if not c.slow] or clients
    rates = [c.messages / elapsed for c in fast]
    return Round(count, sum(1 for c in clients if c.messages > 1 and c.cars_seen > 0), statistics.mean(rates),
                 min(rates), cpu, samples, max(c.cars_seen for c in clients),
                 sum(c.messages for c in clients if c.slow))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--cars", type=int, default=20)
    parser.add_argument("--hz", type=float, default=10.0)
    parser.add_argument("--slow", type=int, default=5, help="clients among --clients that read every 2 s")
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [sys.executable, "-m", "lfs_ayats", "serve", "--demo", "--cars", str(args.cars), "--port", str(port),
             "--db", f"sqlite:///{folder}/bench.db"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            server.stdout.readline()  # the server is up (and the simulator running) once it prints
            url = f"ws://127.0.0.1:{port}/api/v1/telemetry/live?hz={args.hz:g}"
            print(f"lfs-ayats serve --demo --cars {args.cars}: WebSocket clients at {args.hz:g} Hz on loopback")
            base = asyncio.run(round_(url, 1, 0, min(BASELINE_S, args.seconds), server.pid))
            load = asyncio.run(round_(url, args.clients, args.slow, args.seconds, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)
    rows = [("clients with updates", f"{base.updated}", f"{load.updated}"),
            ("cars in each state", f"{base.cars}", f"{load.cars}"),
            ("msgs/s per client, mean", f"{base.rate_mean:.2f}", f"{load.rate_mean:.2f}"),
            ("msgs/s per client, lowest", f"{base.rate_min:.2f}", f"{load.rate_min:.2f}"),
            ("server CPU (1.0 = a core)", f"{base.cpu:.2f}", f"{load.cpu:.2f}"),
            ("server RSS, MB", f"{base.rss[-1]:.1f}", " / ".join(f"{v:.1f}" for v in load.rss))]
    print(f"{'':<26}{'baseline (1 client)':>22}{f'load ({args.clients} clients)':>24}")
    for name, one, many in rows:
        print(f"{name:<26}{one:>22}{many:>24}")
    print("(load RSS: at the start / middle / end of the round)")
    load_msgs = load.rate_mean * (args.clients - args.slow)
    extra_cpu = (load.cpu - base.cpu) / max(1e-9, load_msgs - base.rate_mean)
    print(f"rate ratio load/baseline: {load.rate_mean / base.rate_mean:.2f} (1.00 = every client as fast as one alone)")
    print(f"server CPU per extra message sent: {extra_cpu * 1000:.3f} ms (the simulator's own share cancels out)")
    print(f"RSS growth over the load round: {load.rss[-1] - load.rss[0]:+.1f} MB")
    if args.slow:
        print(f"slow readers ({args.slow}, one read per {SLOW_READ_S:g} s): {load.slow_messages} messages read; "
              "the server keeps one state for all, never a queue per client")


if __name__ == "__main__":
    main()
