"""Decode and encode InSim frames and OutGauge/OutSim datagrams.

The Construct declarations are compiled once. Fixed-size packets, and the fixed head of IS_MCI and
IS_NLP, decode through the fast paths derived from those declarations (`fastpath.py`); variable
packets go through the compiled Construct parser. Every failure is a `PacketError` naming the
packet, the byte offset and the bytes there.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import construct as cs
import numpy as np

from . import outgauge as og
from . import outsim as os_
from .constants import ISP
from .fastpath import NotFlat, flat_decoder
from .insim import BODIES
from .model import Packet, RawPacket, Record, RecordArray, block_dtype, numpy_dtype, record_for, unwrap

MAX_FRAME = 1020


class PacketError(ValueError):
    """Bytes that are not a valid packet: says which packet, at which byte, and shows the bytes."""

    def __init__(self, name: str, problem: str, offset: int, data: bytes | bytearray | memoryview) -> None:
        self.packet = name
        self.problem = problem
        self.offset = offset
        data = bytes(data)
        start = max(0, min(offset, len(data)) - 8)
        excerpt = data[start : start + 24].hex(" ")
        self.excerpt = excerpt
        super().__init__(f"{name}: {problem} at byte {offset} (bytes from {start}: {excerpt or 'none'})")


class _Kind:
    """Everything the codec needs for one InSim packet type."""

    __slots__ = ("cls", "conv", "fast", "fixed_size", "name", "struct", "type")

    def __init__(self, ptype: int, name: str, body: cs.Struct) -> None:
        self.type = ptype
        self.name = name
        self.struct = body
        self.cls, self.conv = record_for(body, name=name, base=Packet, attrs={"Type": ptype})
        self.fixed_size: int | None
        try:
            self.fixed_size = 2 + int(body.sizeof())
        except cs.SizeofError:
            self.fixed_size = None
        self.fast: Callable[[Any, int], Any] | None = None
        if self.fixed_size is not None:
            try:
                self.fast = flat_decoder(body, self.cls)[1]
            except NotFlat:
                self.fast = None


KINDS: dict[int, _Kind] = {ptype: _Kind(ptype, name, body) for ptype, (name, body) in BODIES.items()}
PACKET_CLASSES: dict[str, type[Packet]] = {k.name: k.cls for k in KINDS.values()}  # type: ignore[misc]

_FRAME = cs.Struct(
    "Size" / cs.Int8ul,
    "Type" / cs.Int8ul,
    "Body" / cs.Switch(
        cs.this.Type,
        {ptype: kind.struct for ptype, kind in KINDS.items()},
        default=cs.Struct("ReqI" / cs.Int8ul, "Data" / cs.GreedyBytes),
    ),
)
COMPILED = _FRAME.compile()


# -- arrays of cars and nodes: numpy views of the bytes ----------------------------------------------


class _ArrayPacket:
    """IS_MCI / IS_NLP: a fixed head (ReqI, count) then `count` flat records read by numpy."""

    def __init__(self, kind: _Kind, array_field: str) -> None:
        self.kind = kind
        sc = next(s for s in kind.struct.subcons if s.name == array_field)
        self.element = unwrap(unwrap(sc).subcon)
        self.record, _ = record_for(self.element)
        dtype = numpy_dtype(self.element)
        assert dtype is not None, f"{kind.name}.{array_field} is not a flat numeric record"
        self.dtype = dtype

    def decode(self, frame: bytes) -> Packet:
        count = frame[3]
        end = 4 + count * self.dtype.itemsize
        if len(frame) < end:
            raise PacketError(self.kind.name, f"{count} records need {end} bytes, the frame has {len(frame)}",
                              len(frame), frame)
        cars = np.frombuffer(frame, dtype=self.dtype, count=count, offset=4)
        return self.kind.cls._make((frame[2], count, RecordArray(self.record, cars)))  # type: ignore[return-value]


_ARRAYS: dict[int, _ArrayPacket] = {
    ISP.MCI: _ArrayPacket(KINDS[ISP.MCI], "Info"),
    ISP.NLP: _ArrayPacket(KINDS[ISP.NLP], "Info"),
}


# -- InSim -------------------------------------------------------------------------------------------


def _check_frame(frame: bytes) -> tuple[int, str]:
    if len(frame) < 4:
        raise PacketError("InSim frame", f"{len(frame)} bytes is shorter than a header", len(frame), frame)
    size = frame[0] * 4
    ptype = frame[1]
    kind = KINDS.get(ptype)
    name = kind.name if kind else f"type {ptype}"
    if size == 0:
        raise PacketError(name, "Size byte is 0", 0, frame)
    if len(frame) != size:
        raise PacketError(name, f"Size byte says {size} bytes but the frame has {len(frame)}",
                          min(size, len(frame)), frame)
    return ptype, name


def decode(frame: bytes | bytearray | memoryview) -> Packet:
    """One whole InSim frame (header included) -> a packet. Unknown types give a RawPacket."""
    frame = bytes(frame)
    ptype, name = _check_frame(frame)
    arrays = _ARRAYS.get(ptype)
    if arrays is not None:
        return arrays.decode(frame)
    kind = KINDS.get(ptype)
    if kind is None:
        return RawPacket._make((ptype, frame[2], frame[3:]))
    if kind.fast is not None:
        if len(frame) < kind.fixed_size:  # type: ignore[operator]
            raise PacketError(name, f"needs {kind.fixed_size} bytes, the frame has {len(frame)}", len(frame), frame)
        return kind.fast(frame, 2)  # type: ignore[no-any-return]
    return decode_slow(frame, compiled=True)


def decode_slow(frame: bytes | bytearray | memoryview, *, compiled: bool = True) -> Packet:
    """Decode through Construct only (compiled or interpreted): the reference the fast paths match."""
    frame = bytes(frame)
    ptype, name = _check_frame(frame)
    kind = KINDS.get(ptype)
    if kind is None:
        return RawPacket._make((ptype, frame[2], frame[3:]))
    stream = io.BytesIO(frame)
    try:
        parsed = (COMPILED if compiled else _FRAME).parse_stream(stream)
    except (cs.ConstructError, struct.error) as exc:
        # The compiled parser reports a short read as struct.error, the interpreted one as StreamError.
        raise PacketError(name, _problem(exc), stream.tell(), frame) from None
    return kind.conv.from_container(parsed.Body)  # type: ignore[return-value]


def _problem(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, (cs.StreamError, struct.error)):
        return f"truncated ({text})"
    return text


def encode(packet: Record) -> bytes:
    """A packet -> its bytes on the wire (Size byte computed, padded to a multiple of 4)."""
    if isinstance(packet, RawPacket):
        body = bytes([packet[1]]) + bytes(packet[2])
        return _frame(packet.name, packet[0], body)
    ptype = getattr(type(packet), "Type", -1)
    kind = KINDS.get(ptype)
    if kind is None or not isinstance(packet, kind.cls):
        if isinstance(packet, (OutGauge, OutSim, OutSim2)):
            raise TypeError(f"{packet.name} is not an InSim packet: use encode_outgauge / encode_outsim")
        raise TypeError(f"not an InSim packet: {packet!r}")
    arrays = _ARRAYS.get(ptype)
    if arrays is not None and isinstance(packet[2], RecordArray):
        # Column copies into a zeroed array: no per-car Python work, and spare bytes go out as 0
        # even when the cars are a view of received bytes.
        cars = packet[2].array
        wire = np.zeros(len(cars), dtype=arrays.dtype)
        for field in arrays.dtype.names or ():
            wire[field] = cars[field]
        if not 0 <= packet[0] <= 255 or len(cars) > 255:
            raise PacketError(kind.name, f"cannot encode: ReqI {packet[0]} or {len(cars)} records out of range", 0, b"")
        return _frame(kind.name, ptype, bytes([packet[0], len(cars)]) + wire.tobytes())
    try:
        body = kind.struct.build(kind.conv.to_buildable(packet))
    except (cs.ConstructError, ValueError, TypeError, OverflowError) as exc:
        raise PacketError(kind.name, f"cannot encode: {exc}", 0, b"") from None
    return _frame(kind.name, ptype, body)


def _frame(name: str, ptype: int, body: bytes) -> bytes:
    total = 2 + len(body)
    total += -total % 4
    if total > MAX_FRAME:
        raise PacketError(name, f"encoded size {total} exceeds the InSim maximum of {MAX_FRAME}", MAX_FRAME, body)
    return bytes((total // 4, ptype)) + body + bytes(total - 2 - len(body))


# -- OutGauge ----------------------------------------------------------------------------------------

OutGauge, _OG_CONV = record_for(og.OutGaugePack, name="OutGauge", base=Packet)
# The optional trailing ID is declared once; each datagram size gets its own flat decoder.
_og_plain = flat_decoder(cs.Struct(*og.OutGaugePack.subcons[:-1]), OutGauge, tail=("None",))[1]
_og_with_id = flat_decoder(cs.Struct(*og.OutGaugePack.subcons[:-1], "ID" / cs.Int32sl), OutGauge)[1]


def decode_outgauge(data: bytes | bytearray | memoryview) -> Packet:
    """An OutGauge datagram (92 bytes, or 96 with an ID) -> an `OutGauge` packet."""
    n = len(data)
    if n == og.OUTGAUGE_SIZE:
        return _og_plain(data, 0)  # type: ignore[no-any-return]
    if n == og.OUTGAUGE_ID_SIZE:
        return _og_with_id(data, 0)  # type: ignore[no-any-return]
    raise PacketError("OutGauge", f"a datagram of {n} bytes is not OutGauge (92 or 96 bytes)", min(n, 92), data)


def encode_outgauge(packet: Record) -> bytes:
    try:
        return og.OutGaugePack.build(_OG_CONV.to_buildable(packet))  # type: ignore[no-any-return]
    except (cs.ConstructError, ValueError, TypeError, OverflowError) as exc:
        raise PacketError("OutGauge", f"cannot encode: {exc}", 0, b"") from None


# -- OutSim ------------------------------------------------------------------------------------------

OutSim, _OS_CONV = record_for(os_.OutSimPack, name="OutSim", base=Packet)
_os_plain = flat_decoder(cs.Struct(*os_.OutSimPack.subcons[:-1]), OutSim, tail=("None",))[1]
_os_with_id = flat_decoder(cs.Struct(*os_.OutSimPack.subcons[:-1], "ID" / cs.Int32sl), OutSim)[1]

_OS2_LAYOUT = cs.Struct("Opts" / cs.Int32ul, *(name / decl for bit, name, decl in os_.BLOCKS if name != "Header"))
OutSim2, _OS2_CONV = record_for(_OS2_LAYOUT, name="OutSim2", base=Packet)
_OS2_FAST: dict[int, Callable[[Any, int], Any]] = {}


def _outsim2_fast(opts: int) -> Callable[[Any, int], Any]:
    fast = _OS2_FAST.get(opts)
    if fast is None:
        fast = _OS2_FAST[opts] = flat_decoder(
            os_.outsim2_struct(opts), OutSim2, order=OutSim2._fields, known={"Opts": str(opts)}
        )[1]
    return fast


def decode_outsim(data: bytes | bytearray | memoryview, opts: int | None = None) -> Packet:
    """An OutSim datagram -> `OutSim` (Opts 0) or `OutSim2` (OutSimPack2).

    `opts` is cfg.txt's `OutSim Opts`; None recognises the layout from the size (64/68 bytes:
    the legacy pack; otherwise the OutSimPack2 sizes that only one Opts value produces).
    """
    n = len(data)
    if opts is None or opts == 0:
        if n == os_.OUTSIM_SIZE:
            return _os_plain(data, 0)  # type: ignore[no-any-return]
        if n == os_.OUTSIM_ID_SIZE:
            return _os_with_id(data, 0)  # type: ignore[no-any-return]
        if opts == 0:
            raise PacketError("OutSim", f"{n} bytes is not an OutSimPack (64 or 68 bytes)", min(n, 64), data)
        guessed = os_.opts_by_size().get(n)
        if guessed is None:
            raise PacketError("OutSim", f"cannot tell the OutSim Opts of a {n}-byte datagram; "
                              "set outsim.opts to the value in cfg.txt", 0, data)
        opts = guessed
    try:
        expected = os_.outsim2_size(opts)
    except ValueError as exc:
        raise PacketError("OutSim2", str(exc), 0, data) from None
    if n != expected:
        raise PacketError("OutSim2", f"Opts {opts:#x} means {expected} bytes, the datagram has {n}",
                          min(n, expected), data)
    if opts & 1 and bytes(data[:4]) != b"LFST":
        raise PacketError("OutSim2", "the header is not 'LFST'", 0, data)
    return _outsim2_fast(opts)(bytes(data), 0)  # type: ignore[no-any-return]


@lru_cache(maxsize=64)
def outsim_layout(size: int, opts: int | None = None) -> tuple[str, np.dtype, int] | None:
    """(packet name, structured dtype, Opts) that `decode_outsim` would read a `size`-byte datagram with.

    For decoding many datagrams of one size at once (`np.frombuffer`); None where `decode_outsim`
    would refuse every datagram of that size. The OutSimPack2 'LFST' header is for the caller to check.
    """
    if opts is None or opts == 0:
        if size in (os_.OUTSIM_SIZE, os_.OUTSIM_ID_SIZE):
            tail = (cs.Int32sl,) if size == os_.OUTSIM_ID_SIZE else ()
            layout = cs.Struct(*os_.OutSimPack.subcons[:-1], *("ID" / t for t in tail))
            dtype = block_dtype(layout)
            return None if dtype is None else ("OutSim", dtype, 0)
        if opts == 0:
            return None
        guessed = os_.opts_by_size().get(size)
        if guessed is None:
            return None
        opts = guessed
    try:
        if size != os_.outsim2_size(opts):
            return None
    except ValueError:
        return None
    dtype = block_dtype(os_.outsim2_struct(opts))
    return None if dtype is None else ("OutSim2", dtype, opts)


@lru_cache(maxsize=4)
def outgauge_layout(size: int) -> np.dtype | None:
    """The structured dtype `decode_outgauge` reads a `size`-byte datagram with; None if it would refuse it."""
    if size == og.OUTGAUGE_SIZE:
        return block_dtype(cs.Struct(*og.OutGaugePack.subcons[:-1]))
    if size == og.OUTGAUGE_ID_SIZE:
        return block_dtype(cs.Struct(*og.OutGaugePack.subcons[:-1], "ID" / cs.Int32sl))
    return None


def encode_outsim(packet: Record) -> bytes:
    """An `OutSim` or `OutSim2` packet -> its datagram."""
    try:
        if isinstance(packet, OutSim):
            return os_.OutSimPack.build(_OS_CONV.to_buildable(packet))  # type: ignore[no-any-return]
        if isinstance(packet, OutSim2):
            opts = int(packet[0])
            values = _OS2_CONV.to_buildable(packet)
            layout = os_.outsim2_struct(opts)
            return layout.build({k: v for k, v in values.items() if k != "Opts"})  # type: ignore[no-any-return]
    except (cs.ConstructError, ValueError, TypeError, OverflowError) as exc:
        raise PacketError(packet.name, f"cannot encode: {exc}", 0, b"") from None
    raise TypeError(f"not an OutSim packet: {packet!r}")


def packet_class(name: str) -> type[Packet]:
    """The class of a packet type by name, e.g. "IS_LAP"."""
    try:
        return PACKET_CLASSES[name]
    except KeyError:
        raise KeyError(f"no InSim packet called {name!r}") from None

