"""`lfs-ayats dump`: a capture's packets decoded, one per line (text or JSON)."""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lfs_ayats.packets import PACKET_CLASSES, PacketError, Record

from .capture import CaptureReader, Channel, parse_marker
from .replay import decode_record

CHANNEL_NAMES = {Channel.MARKER: "marker", Channel.INSIM_TCP: "insim", Channel.INSIM_UDP: "insim_udp",
                 Channel.OUTGAUGE: "outgauge", Channel.OUTSIM: "outsim", Channel.SENT: "sent"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


# Every name a dumped line can carry: the InSim packets, the UDP ones, capture markers, undecodable records.
TYPE_NAMES = (*PACKET_CLASSES, "OutGauge", "OutSim", "OutSim2", "marker", "error")


def check_types(types: Sequence[str]) -> set[str]:
    """The upper-cased names to keep; ValueError names one that no line can ever carry."""
    known = {n.upper(): n for n in TYPE_NAMES}
    for name in types:
        if name.upper() not in known:
            close = difflib.get_close_matches(name.upper(), list(known), n=1)
            hint = f" (did you mean {known[close[0]]}?)" if close else ""
            raise ValueError(f"unknown packet type {name!r}{hint}")
    return {n.upper() for n in types}


def dump(path: Path, *, as_json: bool = False, types: Sequence[str] | None = None, limit: int | None = None,
         outsim_opts: int | None = None, echo: Callable[[str], None] = print,
         warn: Callable[[str], None] = _stderr) -> int:
    """Print the capture's records; returns how many lines were printed."""
    wanted = check_types(types) if types else None
    printed = 0
    with CaptureReader(path) as reader:
        for warning in reader.warnings:
            warn(f"warning: {warning}")
        for record in reader.records():
            channel = CHANNEL_NAMES.get(record.channel, str(int(record.channel)))
            if record.channel == Channel.MARKER:
                name, fields = "marker", parse_marker(record)
            else:
                packet = decode_record(record, outsim_opts)
                if isinstance(packet, PacketError):
                    name, fields = "error", {"error": str(packet), "hex": record.data.hex()}
                elif isinstance(packet, Record):
                    name, fields = packet.name, packet.to_dict()
                else:
                    name, fields = "marker", dict(packet)
            if wanted is not None and name.upper() not in wanted:
                continue
            if as_json:
                echo(json.dumps({"t": round(record.t, 6), "channel": channel, "name": name, **_jsonable(fields)},
                                ensure_ascii=False))
            else:
                body = " ".join(f"{k}={v!r}" for k, v in fields.items())
                echo(f"{record.t:10.3f}  {channel:<9} {name:<9} {body}")
            printed += 1
            if limit is not None and printed >= limit:
                break
    return printed
