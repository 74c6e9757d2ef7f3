"""The live WebSocket: what it sends, the rate a client picks, and one slot per client instead of a queue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from lfs_ayats.api import make_api
from lfs_ayats.api.live import NO_FEED, LiveStream
from lfs_ayats.store.engine import open_store
from lfs_ayats.telemetry.events import GaugeSample
from lfs_ayats.telemetry.feed import Feed
from lfs_ayats.telemetry.snapshot import LiveSnapshot
from lfs_ayats.telemetry.sources import feed_capture
from tests.telemetry.simrace import RecordedRace

URL = "/api/v1/telemetry/live"


@pytest.fixture(scope="module")
def client(fed_snapshot: LiveSnapshot) -> Iterator[TestClient]:
    with TestClient(make_api(open_store("sqlite://"), fed_snapshot)) as client:
        yield client


def test_a_state_with_the_field_and_the_viewed_car(client: TestClient, race: RecordedRace) -> None:
    with client.websocket_connect(URL) as ws:
        state = ws.receive_json()
    assert state["type"] == "state" and state["link"] == {"source": "capture", "state": "connected", "detail": ""}
    assert state["session"]["track"] == "GM1" and state["session"]["mode"] == "race"
    names = {p["plid"]: p["name"] for p in race.truth["players"]}
    assert {car["plid"]: car["driver"] for car in state["field"]} == names
    positions = [car["position"] for car in state["field"]]
    assert sorted(positions) == positions and set(positions) == set(range(1, len(names) + 1))
    viewed = state["viewed"]
    assert viewed["plid"] == state["session"]["view_plid"] and viewed["driver"] == names[viewed["plid"]]
    assert viewed["gauge"]["rpm"] > 0 and viewed["motion"] is not None
    # The recent laps are the last ones completed, with the times the simulator drove.
    truth = {(lap["plid"], lap["lap"]): lap["time_ms"] for lap in race.truth["laps"]}
    assert 0 < len(state["laps"]) <= 10
    assert all(lap["time_ms"] == truth[lap["plid"], lap["lap"]] for lap in state["laps"])


def test_the_status_route_counts_clients(client: TestClient) -> None:
    assert client.get("/api/v1/status").json()["live"]["clients"] == 0
    with client.websocket_connect(URL) as ws:
        ws.receive_json()
        assert client.get("/api/v1/status").json()["live"] == {"source": "capture", "state": "connected",
                                                                "detail": "", "clients": 1}


@pytest.mark.parametrize("hz", ["0", "51", "fast", "nan"])
def test_a_bad_rate_is_refused(client: TestClient, hz: str) -> None:
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(f"{URL}?hz={hz}") as ws:
        ws.receive_json()
    assert refused.value.code == 1008 and "hz" in refused.value.reason


def test_a_rate_change_message(client: TestClient) -> None:
    with client.websocket_connect(f"{URL}?hz=2") as ws:
        ws.receive_json()
        ws.send_text('{"hz": 500}')
        error = ws.receive_json()
        assert error["type"] == "error" and "from 0.2 to 50" in error["message"]
        ws.send_text("not json")
        assert ws.receive_json()["type"] == "error"
        ws.send_text('{"hz": 20}')  # accepted: no answer, and the stream goes on


def test_without_a_live_feed(fed_snapshot: LiveSnapshot) -> None:
    with TestClient(make_api(open_store("sqlite://"))) as client:
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(URL) as ws:
            message = ws.receive_json()
            assert message["type"] == "error" and "--demo" in message["message"]
            ws.receive_json()
        assert closed.value.code == NO_FEED


def _gauges(race: RecordedRace) -> list[Any]:
    events: list[Any] = []
    feed_capture(race.full, listeners=[events.append])
    return [e for e in events if isinstance(e, GaugeSample)]


def test_a_slow_client_gets_the_latest_state_not_a_backlog(race: RecordedRace) -> None:
    feed = Feed()
    snapshot = LiveSnapshot(feed.session)
    gauges = _gauges(race)[:600]
    with TestClient(make_api(open_store("sqlite://"), snapshot)) as client, \
            client.websocket_connect(f"{URL}?hz=0.2") as ws:  # one message per 5 s: slower than the feed
        first = ws.receive_json()
        for event in gauges:
            snapshot(event)
        final = snapshot.version
        ws.send_text('{"hz": 50}')  # a new rate takes effect at once: the next message is due now
        seqs = [ws.receive_json()["seq"]]
        while seqs[-1] != final:
            seqs.append(ws.receive_json()["seq"])
    # 600 updates while the client waited; it is sent the newest state (at most one older one in
    # between, had 5 s passed while feeding), never the 600 one by one.
    assert first["seq"] == 0 and len(seqs) <= 2 and seqs == sorted(seqs)
    assert final == len(gauges)


def test_the_state_is_encoded_once_per_version(fed_snapshot: LiveSnapshot) -> None:
    stream = LiveStream(fed_snapshot)
    version, text = stream.latest()
    assert stream.latest()[1] is text and version == fed_snapshot.version
    assert '"NaN"' not in text and "NaN" not in text  # strict JSON: unknown values are null
