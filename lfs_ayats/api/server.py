"""Running the API: bind first (so a port in use is one clear line), then uvicorn on that socket."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import Any

from .auth import is_loopback


class ServeError(Exception):
    """Something the user can fix: a port in use, an address that does not exist."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (IPv6 when the host is one)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"--host {host}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} on {host} is already in use: pick another with --port") from None
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def url(host: str, port: int, scheme: str = "http") -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


async def serve(app: Any, sock: socket.socket, echo: Callable[[str], None] = print) -> None:
    """Serve until Ctrl-C (the live source, if any, was started by the caller)."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, log_level="warning", ws="websockets-sansio", lifespan="on",
                            ws_ping_interval=20.0, ws_ping_timeout=20.0)
    server = uvicorn.Server(config)
    base = url(host, port)
    echo(f"lfs-ayats API on {base}/api/v1 — OpenAPI: {base}/docs, live: {url(host, port, 'ws')}"
         f"/api/v1/telemetry/live" + ("" if is_loopback(host) else " (access token required)")
         + " — Ctrl-C to stop")
    await server.serve(sockets=[sock])
    echo("stopped")
