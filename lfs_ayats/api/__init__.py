"""The HTTP API and the live WebSocket stream (`lfs-ayats serve`), over the store and a live feed.

    from lfs_ayats.api import make_api
    source = DemoSource(SimOptions(cars=8))          # or LiveSource(...): telemetry.demo, telemetry.live
    app = make_api(engine, follow(source, "demo"), token=None)   # a FastAPI application
    source.start()                                   # ... serve; then source.stop()

Needs the `api` extra (FastAPI, uvicorn); `make_api` is imported on first use, so `api.auth` and
`api.web` work without it. Nothing here imports a UI toolkit.
"""

from __future__ import annotations

from typing import Any

__all__ = ["make_api"]


def __getattr__(name: str) -> Any:
    if name == "make_api":
        from .app import make_api

        return make_api
    raise AttributeError(name)
