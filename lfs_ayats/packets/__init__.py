"""The LFS wire grammar: InSim 10, OutGauge and OutSim, declared once in Construct.

    >>> from lfs_ayats.packets import decode, encode
    >>> packet = decode(frame)        # one InSim frame, header included
    >>> packet.name, packet.PLID      # "IS_LAP", 3

Fields keep InSim.txt's names and raw wire integers; only `lfs_ayats.telemetry.units` turns them
into SI units.
"""

from .codec import (
    PACKET_CLASSES,
    OutGauge,
    OutSim,
    OutSim2,
    PacketError,
    decode,
    decode_outgauge,
    decode_outsim,
    decode_slow,
    encode,
    encode_outgauge,
    encode_outsim,
    outgauge_layout,
    outsim_layout,
    packet_class,
)
from .fields import LFSStr
from .model import Packet, RawPacket, Record, RecordArray

__all__ = [
    "PACKET_CLASSES",
    "LFSStr",
    "OutGauge",
    "OutSim",
    "OutSim2",
    "Packet",
    "PacketError",
    "RawPacket",
    "Record",
    "RecordArray",
    "decode",
    "decode_outgauge",
    "decode_outsim",
    "decode_slow",
    "encode",
    "encode_outgauge",
    "encode_outsim",
    "outgauge_layout",
    "outsim_layout",
    "packet_class",
]


def __getattr__(name: str) -> type[Packet]:
    """`lfs_ayats.packets.IS_LAP` and friends: the packet classes by their InSim.txt names."""
    try:
        return PACKET_CLASSES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
