"""The access token: every HTTP request and WebSocket handshake needs it once the server has one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from lfs_ayats.api import make_api
from lfs_ayats.api.auth import is_loopback
from lfs_ayats.store.engine import open_store
from lfs_ayats.telemetry.snapshot import LiveSnapshot

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def client(fed_snapshot: LiveSnapshot) -> Iterator[TestClient]:
    with TestClient(make_api(open_store("sqlite://"), fed_snapshot, token=TOKEN)) as client:
        yield client


@pytest.mark.parametrize("url", ["/api/v1/sessions", "/api/v1/laps/1", "/openapi.json", "/docs", "/nowhere"])
def test_without_the_token_nothing_is_served(client: TestClient, url: str) -> None:
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {TOKEN}"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert "access token is required" in response.json()["message"]
    assert client.get(url, params={"token": TOKEN[:-1]}).status_code == 401


def test_the_document_says_so(client: TestClient) -> None:
    doc = client.get("/openapi.json", params={"token": TOKEN}).json()
    assert doc["security"] == [{"token": []}] and doc["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_with_the_token_as_header_or_query(client: TestClient) -> None:
    assert client.get("/api/v1/sessions", headers={"authorization": f"Bearer {TOKEN}"}).json()["total"] == 0
    assert client.get("/api/v1/sessions", params={"token": TOKEN}).json()["total"] == 0
    assert client.get("/api/v1/laps/1", params={"token": TOKEN}).status_code == 404


def test_the_websocket_needs_it_too(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/api/v1/telemetry/live") as ws:
        ws.receive_json()
    assert refused.value.code == 1008
    with client.websocket_connect(f"/api/v1/telemetry/live?token={TOKEN}") as ws:
        assert ws.receive_json()["type"] == "state"
    with client.websocket_connect("/api/v1/telemetry/live", headers={"authorization": f"Bearer {TOKEN}"}) as ws:
        assert ws.receive_json()["type"] == "state"


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.5.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("example.org", False),
])
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
