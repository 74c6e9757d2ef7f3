"""The simulated LFS host, seen from an InSim client built from our own packets.

The host's clock is driven by the test (`advance`), so every packet depends only on the seed.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np
import pytest

from lfs_ayats import packets as P
from lfs_ayats.packets.constants import CCI, ISF, TINY
from lfs_ayats.sim.field import Field
from lfs_ayats.sim.host import HostConfig, SimHost
from lfs_ayats.wire.framing import Framer

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@dataclass
class FakeProgram:
    """A minimal InSim program: sends IS_ISI, collects every packet, answers keep-alives if told to."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    keepalive: bool = True
    packets: list[P.Packet] = field(default_factory=list)
    closed: bool = False

    async def pump(self) -> None:
        framer = Framer()
        while True:
            try:
                data = await self.reader.read(65536)
            except ConnectionError:
                data = b""
            if not data:
                self.closed = True
                return
            for frame in framer.feed(data):
                packet = P.decode(frame)
                self.packets.append(packet)
                if self.keepalive and packet.name == "IS_TINY" and packet.SubT == TINY.NONE:
                    self.send(P.IS_TINY(ReqI=0, SubT=TINY.NONE))

    def send(self, packet: P.Packet) -> None:
        self.writer.write(P.encode(packet))

    def named(self, name: str) -> list[P.Packet]:
        return [p for p in self.packets if p.name == name]


async def settle() -> None:
    """Let the loop deliver what was written (loopback: a few turns are enough)."""
    for _ in range(20):
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)


async def connect(host: SimHost, *, flags: int = ISF.MCI | ISF.CON | ISF.HLV, interval: int = 100,
                  password: str = "", version: int = 10, keepalive: bool = True) -> FakeProgram:
    reader, writer = await asyncio.open_connection("127.0.0.1", host.port)
    client = FakeProgram(reader, writer, keepalive)
    client.send(P.IS_ISI(ReqI=1, Flags=flags, InSimVer=version, Interval=interval, Admin=password, IName="test"))
    asyncio.get_running_loop().create_task(client.pump())
    await settle()
    return client


@pytest.fixture
async def race() -> AsyncIterator[SimHost]:
    host = SimHost(Field("GM1", 6, "race", laps=2, seed=11), HostConfig(port=0))
    await host.start()
    yield host
    await host.stop()


async def test_version_reply(race: SimHost) -> None:
    client = await connect(race)
    (ver,) = client.named("IS_VER")
    assert ver.ReqI == 1 and ver.InSimVer == 10 and ver.Product == "S3"


async def test_a_whole_race_matches_the_ground_truth(race: SimHost) -> None:
    client = await connect(race)
    while not race.field.finished:
        await race.advance(1000)
        await asyncio.sleep(0)
    await settle()
    truth = race.field.truth()
    laps = {(lap["plid"], lap["lap"]): lap for lap in truth["laps"]}
    got = {(p.PLID, p.LapsDone): p for p in client.named("IS_LAP")}
    assert got.keys() == laps.keys() and len(got) >= 6 * 2
    for key, lap in laps.items():
        assert got[key].LTime == lap["time_ms"]
        assert got[key].ETime == lap["end_ms"]
    splits = {(p.PLID, p.Split, p.ETime): p.STime for p in client.named("IS_SPX")}
    expected = {
        (lap["plid"], i + 1, lap["start_ms"] + split): split
        for lap in truth["laps"] for i, split in enumerate(lap["splits_ms"])
    }
    assert splits == expected
    results = client.named("IS_RES")
    assert sorted(r.ResultNum for r in results) == list(range(len(results)))
    assert {r.PLID: r.TTime for r in results} == {r["plid"]: r["total_time_ms"] for r in truth["results"]}


async def test_positions_lie_on_the_track_and_speed_agrees(race: SimHost) -> None:
    client = await connect(race, interval=100)
    await race.advance(40_000)
    await settle()
    track = race.field.track
    mcis = client.named("IS_MCI")
    assert len(mcis) >= 390  # one 6-car packet every 100 ms
    firsts = [m for m in mcis if m.Info[0].Info & CCI.FIRST]
    assert len(firsts) == len(mcis)  # six cars fit one packet: each opens and closes its set
    cars = [car for m in mcis[50:] for car in m.Info]
    x = np.array([c.X for c in cars]) / 65536
    y = np.array([c.Y for c in cars]) / 65536
    distance = np.asarray(track.project(x, y))
    cx, cy, _, _ = track.point_at(distance)
    off = np.hypot(x - np.asarray(cx), y - np.asarray(cy))
    assert np.percentile(off, 99) < track.width.max() / 2 + 2.0  # on the tarmac, bar incidents
    nodes = np.array([c.Node for c in cars])
    assert np.all((nodes >= 0) & (nodes < len(track.nodes)))
    speeds = np.array([c.Speed for c in cars]) * 100 / 32768
    assert 10 < np.median(speeds) < 60


async def test_multi_packet_mci_sets_above_sixteen_cars() -> None:
    host = SimHost(Field("GM1", 40, "race", laps=1, seed=2), HostConfig(port=0))
    await host.start()
    try:
        client = await connect(host, interval=200)
        await host.advance(2_000)
        await settle()
        mcis = client.named("IS_MCI")[:3]
        assert [m.NumC for m in mcis] == [16, 16, 8]
        assert mcis[0].Info[0].Info & CCI.FIRST and mcis[2].Info[7].Info & CCI.LAST
        assert sorted(c.PLID for m in mcis for c in m.Info) == list(range(1, 41))
    finally:
        await host.stop()


async def test_tiny_requests(race: SimHost) -> None:
    client = await connect(race, flags=0, interval=0)
    await race.advance(5_000)
    for reqi, subt in enumerate((TINY.PING, TINY.SST, TINY.NPL, TINY.NCN, TINY.RST, TINY.GTM, TINY.MCI), start=7):
        client.send(P.IS_TINY(ReqI=reqi, SubT=subt))
    await settle()
    assert client.named("IS_TINY")[-1].SubT == TINY.REPLY
    assert client.named("IS_STA")[-1].ReqI == 8 and client.named("IS_STA")[-1].Track == "GM1"
    assert len([p for p in client.named("IS_NPL") if p.ReqI == 9]) == 6
    assert len([p for p in client.named("IS_NCN") if p.ReqI == 10]) == 7  # the host and six drivers
    rst = client.named("IS_RST")[-1]
    assert rst.ReqI == 11 and rst.NumNodes == len(race.field.track.nodes) and rst.Split1 > 0
    assert client.named("IS_SMALL")[-1].UVal == 5_000
    assert client.named("IS_MCI")[-1].ReqI == 13  # positions on request though ISF_MCI is off


async def test_keepalive_and_the_70_second_drop(race: SimHost) -> None:
    polite = await connect(race)
    silent = await connect(race, keepalive=False)
    await race.advance(31_000)
    await settle()
    assert [p.SubT for p in silent.named("IS_TINY")] == [TINY.NONE]
    await race.advance(40_000)  # 71 s without a word from `silent`
    await settle()
    assert silent.closed and not polite.closed
    assert len(polite.named("IS_TINY")) == 2


async def test_two_clients_get_the_same_stream(race: SimHost) -> None:
    a = await connect(race)
    b = await connect(race)
    await race.advance(100_000)
    await settle()
    assert [p.LTime for p in a.named("IS_LAP")] == [p.LTime for p in b.named("IS_LAP")] != []


async def test_wrong_password_is_refused_without_a_reply() -> None:
    host = SimHost(Field("GM1", 2, "race", laps=1, seed=1), HostConfig(port=0, admin="secret"))
    await host.start()
    try:
        wrong = await connect(host, password="guess")
        right = await connect(host, password="secret")
        assert wrong.closed and wrong.packets == []
        assert not right.closed and right.named("IS_VER")
    finally:
        await host.stop()


async def test_older_insim_version_gets_version_10_back(race: SimHost) -> None:
    # LFS cannot go back to older layouts; it says so in IS_VER and the program must decide.
    client = await connect(race, version=9)
    assert client.named("IS_VER")[0].InSimVer == 10


async def test_a_packet_before_isi_closes_the_connection(race: SimHost) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", race.port)
    client = FakeProgram(reader, writer)
    client.send(P.IS_TINY(ReqI=1, SubT=TINY.VER))
    asyncio.get_running_loop().create_task(client.pump())
    await settle()
    assert client.closed and client.packets == []


async def test_contacts_and_hotlap_validity_follow_the_flags() -> None:
    host = SimHost(Field("GM1", 12, "race", laps=3, seed=5, mistake_scale=4.0), HostConfig(port=0))
    await host.start()
    try:
        with_flags = await connect(host, flags=ISF.CON | ISF.HLV, interval=0)
        without = await connect(host, flags=0, interval=0)
        while not host.field.finished:
            await host.advance(2_000)
        await settle()
        truth = host.field.truth()
        contacts = [i for i in truth["incidents"] if i["kind"] == "contact"]
        invalid = [i for i in truth["incidents"] if i["kind"] == "hotlap_invalid"]
        assert len(with_flags.named("IS_CON")) == len(contacts) // 2 > 0
        assert len(with_flags.named("IS_HLV")) == len(invalid)
        assert not without.named("IS_CON") and not without.named("IS_HLV")
        con = with_flags.named("IS_CON")[0]
        assert con.A.PLID < con.B.PLID and con.SpClose & 0x0FFF > 0
    finally:
        await host.stop()


def test_angles_use_lfs_convention() -> None:
    from lfs_ayats.sim.broadcast import angle16

    assert int(angle16(0.0)) == 0
    assert int(angle16(math.pi)) == 32768
    assert int(angle16(-math.pi / 2)) == 49152


async def test_an_insim_9_program_gets_what_lfs_sends_it() -> None:
    # InSim.txt: packets marked (*) are no longer sent below InSim 10, and (#) times are hundredths.
    host = SimHost(Field("GM1", 12, "race", laps=3, seed=5, mistake_scale=4.0), HostConfig(port=0))
    await host.start()
    try:
        old = await connect(host, flags=ISF.CON | ISF.HLV, interval=0, version=9)
        new = await connect(host, flags=ISF.CON | ISF.HLV, interval=0)
        await host.advance(200_000)
        for client in (old, new):
            client.send(P.IS_TINY(ReqI=5, SubT=TINY.GTM))
        await settle()
        assert new.named("IS_CON") and not old.named("IS_CON") and not old.named("IS_HLV")
        assert old.named("IS_LAP") == new.named("IS_LAP")
        assert old.named("IS_SMALL")[-1].UVal * 10 == new.named("IS_SMALL")[-1].UVal == 200_000
    finally:
        await host.stop()
