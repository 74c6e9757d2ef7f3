"""`make_api(engine, snapshot, token)`: the one factory for the FastAPI application (CLI, tests, benchmark)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from lfs_ayats import __version__
from lfs_ayats.store import queries
from lfs_ayats.telemetry.snapshot import LiveSnapshot

from . import errors, live, models, routes
from .auth import TokenGuard

DESCRIPTION = """Sessions, laps and telemetry from the lfs-ayats store, comparisons from its analysis,
and the live feed over a WebSocket (`/api/v1/telemetry/live?hz=10`).

Errors are JSON: `{"message": "...", "errors": [...]}`; 404 for an unknown id, 422 for a bad parameter.
When the server was started with an access token, every request needs it: `Authorization: Bearer TOKEN`
or `?token=TOKEN`."""


def make_api(engine: Engine, snapshot: LiveSnapshot | None = None, token: str | None = None) -> Any:
    """The application. `snapshot`: the live state for the WebSocket, kept up to date elsewhere
    (`telemetry.snapshot.follow(source, ...)` on a started LiveSource, or a feed of your own)."""
    app = FastAPI(title="lfs-ayats", version=__version__, description=DESCRIPTION)
    app.state.engine = engine
    app.state.live = live.LiveStream(snapshot) if snapshot is not None else None
    errors.install(app)
    app.include_router(routes.router)
    app.include_router(live.router)

    @app.get("/api/v1/status", response_model=models.Status, summary="The server: version, live feed, WebSocket")
    def status() -> JSONResponse:
        stream = app.state.live
        link = stream.snapshot.link if stream is not None else None
        _, total = queries.find_sessions(engine, limit=0)
        return JSONResponse({
            "version": __version__, "sessions": total,
            "live": None if link is None else {"source": link.source, "state": link.state, "detail": link.detail,
                                               "clients": stream.clients},
            "websocket": live.describe(),
        })

    if token:
        app.add_middleware(TokenGuard, token=token)
        _document_token(app)
    return app


def _document_token(app: FastAPI) -> None:
    """Say in the OpenAPI document that every operation needs the bearer token (/docs then offers to enter it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {})["securitySchemes"] = {
                "token": {"type": "http", "scheme": "bearer", "description": "The server's access token."}}
            schema["security"] = [{"token": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
