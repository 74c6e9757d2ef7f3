"""The simulator's bytes, read by another implementation: lfs-insim must see the same values we do.

lfs-insim (a development dependency) is a separate Python InSim 10 library written from the same
specification; if our grammar and the simulator agreed on a wrong layout, it would disagree.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import socket
from typing import Any

import pytest

from lfs_ayats import packets as P
from lfs_ayats.packets.constants import ISF, TINY
from lfs_ayats.sim.field import Field
from lfs_ayats.sim.host import HostConfig, SimHost
from lfs_ayats.wire.framing import Framer

lfs_insim = pytest.importorskip("lfs_insim.packets")


SKIPPED: set[str] = set()
# Names lfs-insim keeps as fields that we keep as padding (spares) or under another name.
NOT_OURS = {"OSOpts", "Sp0", "Sp1", "Sp2", "Sp3", "SpA", "SpB", "Spare", "Zero", "SpW", "Sp", "Header"}


def _field(ours: Any, name: str) -> tuple[bool, Any]:
    """Our value of a field, looking inside nested blocks (lfs-insim flattens OutSimPack2's)."""
    if hasattr(ours, name):
        return True, getattr(ours, name)
    for block in getattr(ours, "_fields", ()):
        inner = getattr(ours, block)
        if inner is not None and hasattr(inner, "_fields") and hasattr(inner, name):
            return True, getattr(inner, name)
    return False, None


def same(ours: Any, theirs: Any, path: str) -> int:
    """Compare field by field; returns how many leaf values were compared."""
    if dataclasses.is_dataclass(theirs) and isinstance(ours, tuple) and not hasattr(ours, "_fields"):
        # A vector: lfs-insim names its parts X, Y, Z; we keep them as a 3-tuple.
        values = [getattr(theirs, f.name) for f in dataclasses.fields(theirs)]
        return same(ours, values, path)
    if dataclasses.is_dataclass(theirs):
        count = 0
        for f in dataclasses.fields(theirs):
            found, value = _field(ours, f.name)
            if not found:
                SKIPPED.add(f.name)
                continue
            count += same(value, getattr(theirs, f.name), f"{path}.{f.name}")
        return count
    if isinstance(theirs, (list, tuple)):
        ours = list(ours)
        assert len(ours) == len(theirs), path
        return sum(same(a, b, f"{path}[{i}]") for i, (a, b) in enumerate(zip(ours, theirs, strict=True)))
    if isinstance(theirs, float):
        assert math.isclose(float(ours), theirs, rel_tol=1e-6, abs_tol=1e-6), (path, ours, theirs)
        return 1
    if isinstance(theirs, (bytes, bytearray)):
        return 0  # raw-bytes views differ in shape between the libraries
    assert ours == theirs or str(ours) == str(theirs), (path, ours, theirs)
    return 1


async def test_lfs_insim_reads_the_simulator_as_we_do() -> None:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.setblocking(False)
    og_port = udp.getsockname()[1]
    os_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    os_sock.bind(("127.0.0.1", 0))
    os_sock.setblocking(False)
    host = SimHost(
        Field("GM1", 20, "race", laps=1, seed=9, mistake_scale=3.0),
        HostConfig(port=0, outgauge=("127.0.0.1", og_port), outsim=("127.0.0.1", os_sock.getsockname()[1]),
                   out_hz=50),
    )
    await host.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", host.port)
        writer.write(P.encode(P.IS_ISI(ReqI=1, Flags=ISF.MCI | ISF.CON | ISF.HLV, InSimVer=10, Interval=200,
                                       IName="cross")))
        frames: list[bytes] = []
        datagrams: list[tuple[str, bytes]] = []
        await asyncio.sleep(0.05)
        for _ in range(60):
            await host.advance(2_000)
            writer.write(P.encode(P.IS_TINY(ReqI=0, SubT=TINY.NONE)))
            for sock, kind in ((udp, "og"), (os_sock, "os")):
                while True:
                    try:
                        datagrams.append((kind, sock.recv(2048)))
                    except BlockingIOError:
                        break
            await asyncio.sleep(0)
        for req, subt in enumerate((TINY.NPL, TINY.NCN, TINY.RST, TINY.SST, TINY.RES), start=1):
            writer.write(P.encode(P.IS_TINY(ReqI=req, SubT=subt)))
        await asyncio.sleep(0.1)
        framer = Framer()
        while True:
            try:
                data = await asyncio.wait_for(reader.read(1 << 20), timeout=0.2)
            except TimeoutError:
                break
            if not data:
                break
            frames.extend(framer.feed(data))
        writer.close()
    finally:
        await host.stop()
        udp.close()
        os_sock.close()

    compared: dict[str, int] = {}
    for frame in frames:
        ours = P.decode(frame)
        theirs = lfs_insim.unpack_insim(frame)
        compared[ours.name] = compared.get(ours.name, 0) + same(ours, theirs, ours.name)
    for kind, data in datagrams:
        if kind == "og":
            compared["OutGauge"] = compared.get("OutGauge", 0) + same(
                P.decode_outgauge(data), lfs_insim.OutGaugePack.unpack(data), "OutGauge")
        else:
            ours = P.decode_outsim(data, 0x1FF)
            theirs = lfs_insim.OutSimPack2.unpack(data, 0x1FF)
            compared["OutSim2"] = compared.get("OutSim2", 0) + same(ours, theirs, "OutSim2")
    for name in ("IS_VER", "IS_MCI", "IS_NPL", "IS_NCN", "IS_RST", "IS_STA", "IS_LAP", "IS_SPX", "IS_RES",
                 "IS_FIN", "OutGauge", "OutSim2"):
        assert compared.get(name, 0) > 0, f"no {name} compared: {sorted(compared)}"
    assert SKIPPED <= NOT_OURS, f"fields lfs-insim has and we do not: {sorted(SKIPPED - NOT_OURS)}"
