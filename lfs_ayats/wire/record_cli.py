"""`lfs-ayats record`: the headless recorder's loop and its status lines."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .capture import CaptureWriter
from .recorder import Recorder, RecorderOptions, capture_header
from .tcp import ClientOptions, LinkEvent, LinkState


async def record(path: Path, settings: Mapping[str, Any], password: str, duration: float | None,
                 status_every: float, overwrite: bool, echo: Callable[[str], None] = print) -> Recorder:
    options = RecorderOptions(
        client=ClientOptions(host=settings["insim.host"], port=settings["insim.port"], password=password,
                             app_name=settings["insim.app_name"], interval_ms=settings["insim.interval_ms"],
                             udp_port=settings["insim.udp_port"]),
        outgauge_port=settings["outgauge.port"], outsim_port=settings["outsim.port"],
    )

    def on_state(event: LinkEvent) -> None:
        if event.state in (LinkState.CONNECTED, LinkState.LOST, LinkState.REFUSED, LinkState.RETRYING):
            echo(f"{event.state.value}: {event.detail}" if event.detail else event.state.value)

    writer = CaptureWriter(path, capture_header(options), overwrite=overwrite)
    recorder = Recorder(options, writer, on_state=on_state)
    try:
        await recorder.start_listeners()
        ports = ", ".join(f"{li.name} on UDP {li.port}" for li in recorder.listeners)
        echo(f"recording to {path}: InSim from {options.client.host}:{options.client.port}"
             + (f", {ports}" if ports else "") + " — Ctrl-C to stop")
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, recorder.stop)
        status = asyncio.ensure_future(_status(recorder, status_every, echo))
        try:
            await recorder.run(duration)
        finally:
            status.cancel()
    finally:
        writer.close()
    echo(f"recorded {recorder.stats.totals()} to {path}")
    return recorder


async def _status(recorder: Recorder, every: float, echo: Callable[[str], None]) -> None:
    previous: Counter[Any] = Counter()
    while True:
        await asyncio.sleep(every)
        echo(recorder.stats.line(previous, every))
        previous = Counter(recorder.stats.packets)
