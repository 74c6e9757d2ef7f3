"""Running the simulator from the command line: options, the listening line, the truth file."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .cars import CARS, get_car
from .field import Field
from .host import HostConfig, SimHost
from .layouts import LAYOUTS
from .track import get_track


@dataclass
class SimOptions:
    port: int = 29999
    cars: int = 12
    track: str = "GM1"
    mode: str = "race"
    laps: int = 5
    minutes: float | None = None
    car: str = "XFG"
    seed: int = 0
    speed: float = 1.0
    outgauge: tuple[str, int] | None = None
    outsim: tuple[str, int] | None = None
    hz: float = 60.0
    admin: str = ""
    truth: Path | None = None


def describe_tracks() -> str:
    lines = []
    for code in LAYOUTS:
        track = get_track(code)
        lines.append(f"{code:<5} {track.name:<28} {track.length_m / 1000:5.2f} km  {track.kind}")
    return "\n".join(lines)


def build_field(options: SimOptions) -> Field:
    """The Field the options describe; bad values raise ValueError naming the option."""
    code = options.track.upper()
    if code not in LAYOUTS:
        raise ValueError(f"unknown track {options.track!r}; known: {', '.join(LAYOUTS)} (see --list-tracks)")
    try:
        get_car(options.car.upper())
    except (KeyError, ValueError):
        raise ValueError(f"unknown car {options.car!r}; known: {', '.join(sorted(CARS))}") from None
    if options.mode not in ("race", "qualify", "practice"):
        raise ValueError(f"--mode must be race, qualify or practice, not {options.mode!r}")
    return Field(code, options.cars, options.mode, laps=options.laps, minutes=options.minutes,
                 seed=options.seed, car=options.car.upper())


async def run_simulator(options: SimOptions, echo: Callable[[str], None] = print) -> SimHost:
    """Listen, announce it in one line, run until the session ends or Ctrl-C, write the truth."""
    sim = build_field(options)
    host = SimHost(sim, HostConfig(port=options.port, admin=options.admin, outgauge=options.outgauge,
                                   outsim=options.outsim, out_hz=options.hz))
    try:
        port = await host.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise OSError(f"port {options.port} is already in use (is LFS or another simulator running? "
                          "pick another with --port)") from None
        raise OSError(f"cannot listen on 127.0.0.1:{options.port}: {exc.strerror or exc}") from None
    extras = []
    if options.outgauge:
        extras.append(f"OutGauge to {options.outgauge[0]}:{options.outgauge[1]}")
    if options.outsim:
        extras.append(f"OutSim to {options.outsim[0]}:{options.outsim[1]}")
    laps = f"{options.laps} lap{'' if options.laps == 1 else 's'}"
    session = f"{sim.mode.value}, {laps}" if sim.mode.value == "race" else sim.mode.value
    echo(f"lfs-ayats simulator listening for InSim on 127.0.0.1:{port} — {sim.track.code} "
         f"({sim.track.name}), {len(sim.drivers)} cars, {session}, seed {options.seed}, "
         f"{'as fast as possible' if options.speed <= 0 else f'{options.speed:g}x'}"
         + (f"; {', '.join(extras)}" if extras else ""))
    loop = asyncio.get_running_loop()
    runner = asyncio.ensure_future(host.run(speed=options.speed))
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.ensure_future(stop.wait())
    await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
    runner.cancel()
    waiter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await runner
    await host.stop()
    for line in summary(sim):
        echo(line)
    if options.truth is not None:
        path = sim.write_truth(options.truth)
        echo(f"ground truth written to {path}")
    echo("session over" if sim.finished else f"stopped at {host.now_ms / 1000:.1f} s")
    return host


def lap_time(ms: int) -> str:
    return f"{ms // 60000}:{ms % 60000 / 1000:06.3f}" if ms else "-"


def summary(sim: Field) -> list[str]:
    """The classification so far: position, driver, car, laps, total time, best lap."""
    truth = sim.truth()
    names = {p["plid"]: (p["name"], p["car"]) for p in truth["players"]}
    lines = []
    for row in truth["results"][:48]:
        name, car = names.get(row["plid"], ("?", "?"))
        status = "" if row.get("finished") else (" (retired)" if row.get("retired") else " (running)")
        lines.append(f"{row['position']:>3}. {name:<22} {car:<4} {row['laps_done']:>3} laps "
                     f"{lap_time(row['total_time_ms']):>10}  best {lap_time(row['best_lap_ms'])}{status}")
    return lines
