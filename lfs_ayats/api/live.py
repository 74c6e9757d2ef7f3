"""`WS /api/v1/telemetry/live`: the latest live state, at the rate each client asks for.

Each client has one slot, not a queue: every 1/hz seconds it is sent the newest state if anything
changed since its last message. A slow client (its sends wait on the network) simply skips the
states it had no time for, so memory does not grow with the number or slowness of clients. The
state is turned into JSON once per version, however many clients read it.

Messages, server to client: `{"type": "state", "seq": ..., "t": ..., "link": {...}, "session": {...},
"viewed": {...} | null, "field": [...], "laps": [...]}` and `{"type": "error", "message": "..."}`.
Client to server (optional): `{"hz": 5}` changes the rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from lfs_ayats.telemetry.snapshot import LiveSnapshot

MIN_HZ, MAX_HZ, DEFAULT_HZ = 0.2, 50.0, 10.0
NO_FEED = 4404  # an application close code: this server has no live feed

router = APIRouter(prefix="/api/v1")


class LiveStream:
    """The live snapshot as ready-to-send JSON text, encoded once per version."""

    def __init__(self, snapshot: LiveSnapshot) -> None:
        self.snapshot = snapshot
        self.clients = 0
        self._lock = threading.Lock()
        self._text: tuple[int, str] = (-1, "")

    def latest(self) -> tuple[int, str]:
        version, state = self.snapshot.latest()
        with self._lock:
            if self._text[0] != version:
                self._text = (version, json.dumps({"type": "state", **state}, allow_nan=False,
                                                  separators=(",", ":")))
            return self._text


class _Rate:
    def __init__(self, hz: float) -> None:
        self.period = 1.0 / hz
        self.changed = asyncio.Event()  # a new rate takes effect now, not after the old period


async def _read(websocket: WebSocket, rate: _Rate) -> None:
    """Rate changes from the client; returns when the client goes away."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        error = _new_rate(message.get("text") or "", rate)
        if error:
            await websocket.send_text(json.dumps({"type": "error", "message": error}))


def _new_rate(text: str, rate: _Rate) -> str | None:
    try:
        hz = json.loads(text)["hz"]
        if isinstance(hz, bool) or not isinstance(hz, int | float) or not MIN_HZ <= hz <= MAX_HZ:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return f'expected {{"hz": N}} with N from {MIN_HZ:g} to {MAX_HZ:g}, got {text[:60]!r}'
    rate.period = 1.0 / float(hz)
    rate.changed.set()
    return None


@router.websocket("/telemetry/live")
async def live(
    websocket: WebSocket,
    hz: Annotated[float, Query(ge=MIN_HZ, le=MAX_HZ, allow_inf_nan=False,
                               description="Messages per second at most.")] = DEFAULT_HZ,
) -> None:
    stream: LiveStream | None = websocket.app.state.live
    await websocket.accept()
    if stream is None:
        await websocket.send_text(json.dumps({"type": "error", "message": "no live feed: start the server with "
                                              "'lfs-ayats serve --live' or '--demo'"}))
        await websocket.close(NO_FEED, "no live feed")
        return
    rate = _Rate(hz)
    reader = asyncio.ensure_future(_read(websocket, rate))
    changed = asyncio.ensure_future(rate.changed.wait())
    stream.clients += 1
    sent = -1
    try:
        while not reader.done():
            version, text = stream.latest()
            if version != sent:
                await websocket.send_text(text)
                sent = version
            await asyncio.wait({reader, changed}, timeout=rate.period, return_when=asyncio.FIRST_COMPLETED)
            if changed.done():
                rate.changed.clear()
                changed = asyncio.ensure_future(rate.changed.wait())
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client went away while we were sending
    except Exception as exc:  # the websockets library's ConnectionClosed and friends, depending on the server
        if "closed" not in type(exc).__name__.lower() and "disconnect" not in type(exc).__name__.lower():
            raise
    finally:
        stream.clients -= 1
        for task in (reader, changed):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def describe() -> dict[str, Any]:
    """For the status route: what the WebSocket accepts."""
    return {"path": "/api/v1/telemetry/live", "hz": {"min": MIN_HZ, "max": MAX_HZ, "default": DEFAULT_HZ}}
