"""Errors as JSON with a one-line message: 404 for unknown ids, 422 for bad parameters, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)
WS_POLICY_VIOLATION = 1008
WS_REASON_LIMIT = 120  # a close frame's reason must fit in 123 bytes


class NotFound(HTTPException):
    def __init__(self, what: str) -> None:
        super().__init__(404, what)


class BadParameter(HTTPException):
    """A parameter that passed its type check but makes no sense (a range the wrong way round, ...)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(422, f"{where}: {message}")
        self.where, self.problem = where, message


def describe(errors: list[Any]) -> tuple[str, list[dict[str, Any]]]:
    """pydantic's error list -> 'query parameter limit: Input should be ...' and a plain list."""
    plain = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        kind = {"query": "query parameter", "path": "path parameter", "header": "header"}.get(loc[0], loc[0]) \
            if loc else "request"
        name = ".".join(loc[1:])
        plain.append({"where": f"{kind} {name}".strip(), "message": str(error.get("msg", "invalid")),
                      "input": _scalar(error.get("input"))})
    first = plain[0] if plain else {"where": "request", "message": "invalid"}
    more = f" (and {len(plain) - 1} more)" if len(plain) > 1 else ""
    return f"{first['where']}: {first['message']}{more}", plain


def _scalar(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def install(app: FastAPI) -> None:
    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        body: dict[str, Any] = {"message": str(exc.detail)}
        if isinstance(exc, BadParameter):
            body["errors"] = [{"where": exc.where, "message": exc.problem}]
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def bad_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        message, errors = describe(list(exc.errors()))
        return JSONResponse({"message": message, "errors": errors}, status_code=422)

    async def bad_socket(websocket: WebSocket, exc: Exception) -> None:
        assert isinstance(exc, WebSocketRequestValidationError)
        message, _ = describe(list(exc.errors()))
        await websocket.close(code=WS_POLICY_VIOLATION, reason=message[:WS_REASON_LIMIT])

    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return JSONResponse({"message": f"internal error: {type(exc).__name__}"}, status_code=500)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, bad_request)
    app.add_exception_handler(WebSocketRequestValidationError, bad_socket)
    app.add_exception_handler(Exception, server_error)
