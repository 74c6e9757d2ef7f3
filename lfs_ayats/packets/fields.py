"""Shared field types of the grammar: LFS strings, car names and the sub-structs packets embed.

Strings decode to `LFSStr`, a `str` that remembers the exact bytes it came from, so a packet
built again from what was parsed gives the same bytes (junk after a NUL included) while everything
above this layer just sees text with LFS colour markup.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import construct as cs

from . import text

u8, s8 = cs.Int8ul, cs.Int8sl
u16, s16 = cs.Int16ul, cs.Int16sl
u32, s32 = cs.Int32ul, cs.Int32sl
f32 = cs.Float32l

LID_PAGES = "LETBJCGHSK"  # LID_* index -> code-page letter


class LFSStr(str):
    """Text decoded from LFS bytes; `.raw` holds those bytes exactly as they were on the wire."""

    raw: bytes

    def __new__(cls, value: str, raw: bytes) -> LFSStr:
        self = super().__new__(cls, value)
        self.raw = raw
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (LFSStr, (str(self), self.raw))


# OutGauge repeats the same Car and Display bytes a hundred times a second, and names repeat in
# every IS_NPL: decoded strings are cached by their bytes (plain dicts: a hit is one lookup).
TEXT_CACHE: dict[bytes, LFSStr] = {}
CAR_CACHE: dict[bytes, LFSStr] = {}
_CACHE_LIMIT = 8192


def lfs_str(raw: bytes, codepage: str = "L") -> LFSStr:
    """Decode LFS bytes into an LFSStr."""
    if codepage != "L":
        return _lfs_str_page(raw, codepage)
    found = TEXT_CACHE.get(raw)
    if found is None:
        if len(TEXT_CACHE) >= _CACHE_LIMIT:
            TEXT_CACHE.clear()
        found = TEXT_CACHE[raw] = LFSStr(text.decode(raw), raw)
    return found


@lru_cache(maxsize=1024)
def _lfs_str_page(raw: bytes, codepage: str) -> LFSStr:
    return LFSStr(text.decode(raw, codepage), raw)


def car_str(raw: bytes) -> LFSStr:
    """A CName / OutGauge Car field as an LFSStr ("XRT", "942DC9")."""
    found = CAR_CACHE.get(raw)
    if found is None:
        if len(CAR_CACHE) >= _CACHE_LIMIT:
            CAR_CACHE.clear()
        found = CAR_CACHE[raw] = LFSStr(text.car_name(raw), raw)
    return found


def _reuse_raw(obj: Any, size: int | None) -> bytes | None:
    """The original bytes, when `obj` still says what they say."""
    raw = getattr(obj, "raw", None)
    if isinstance(raw, bytes) and (size is None or len(raw) == size):
        return raw
    return None


class TextField(cs.Adapter):  # type: ignore[misc]
    """A field whose bytes are text. Records keep the bytes exactly; reading the field decodes them.

    Keeping bytes makes round trips exact (junk after a NUL, non-canonical code-page switches) and
    keeps decoding off the hot path: a 100 Hz OutGauge stream is unpacked in one call and its
    Car and Display strings are decoded only when someone reads them (and then from a cache).
    """

    def text(self, raw: bytes, record: Any) -> str:
        """The bytes as text (with LFS colour markup kept)."""
        raise NotImplementedError

    def to_bytes(self, value: Any, record: Any) -> bytes:
        """Text (or an LFSStr, or bytes) as this field's bytes."""
        raise NotImplementedError

    def _decode(self, obj: bytes, context: Any, path: str) -> str:
        return self.text(bytes(obj), context)

    def _encode(self, obj: Any, context: Any, path: str) -> bytes:
        return self.to_bytes(obj, context)


class Text(TextField):
    """`char[N]`: cut at the first NUL (or all N bytes when there is none), LFS code pages."""

    def __init__(self, size: int) -> None:
        super().__init__(cs.Bytes(size))
        self.size = size

    def text(self, raw: bytes, record: Any) -> str:
        return lfs_str(raw)

    def to_bytes(self, value: Any, record: Any) -> bytes:
        if isinstance(value, bytes):
            return value.ljust(self.size, b"\0")[: self.size]
        raw = _reuse_raw(value, self.size)
        if raw is not None and text.decode(raw) == str(value):
            return raw
        return text.encode(str(value), size=self.size)


class RawText(Text):
    """`char[N]` that may fill all N bytes with no NUL (Plate, OutGauge displays)."""

    def to_bytes(self, value: Any, record: Any) -> bytes:
        if isinstance(value, bytes) or _reuse_raw(value, self.size) is not None:
            return super().to_bytes(value, record)
        # All N bytes may carry text: no terminator is reserved (nor is a character cut in half).
        return text.encode(str(value), size=self.size + 1)[: self.size]


class VarText(TextField):
    """Text that runs to the end of the packet (IS_MSO.Msg, IS_MTC.Text, IS_BTN.Text …).

    On the wire it is NUL-terminated and padded so the packet is a multiple of 4 bytes; the
    padding is the codec's job, the terminator is added here. `limit` is the field's maximum
    size in bytes, terminator included.
    """

    def __init__(self, limit: int, codepage: Callable[[Any], str] | None = None) -> None:
        super().__init__(cs.GreedyBytes)
        self.limit = limit
        self.codepage = codepage

    def _page(self, record: Any) -> str:
        if self.codepage is None or record is None:
            return "L"
        return self.codepage(record)

    def text(self, raw: bytes, record: Any) -> str:
        return lfs_str(raw, self._page(record))

    def to_bytes(self, value: Any, record: Any) -> bytes:
        if isinstance(value, bytes):
            return value[: self.limit]
        raw = _reuse_raw(value, None)
        if raw is not None and len(raw) <= self.limit:
            return raw
        data = text.encode(str(value), size=self.limit, codepage=self._page(record))
        return _terminated(data.rstrip(b"\0"))


def _terminated(data: bytes) -> bytes:
    """Text bytes as they travel: a NUL, then zeros to a multiple of 4.

    Every run-to-the-end text field starts at a multiple of 4 (byte 8 or 12), so this is exactly
    what the codec's padding would add: a record made from text equals the record decoded from it.
    """
    data += b"\0"
    return data + bytes(-len(data) % 4)


class ButtonText(VarText):
    """IS_BTN text. A leading NUL starts a caption for a text-entry dialog: "\0caption\0text".

    The NULs inside are part of the text, so the field is read up to its last NUL, not its first.
    """

    def text(self, raw: bytes, record: Any) -> str:
        body = raw.rstrip(b"\0")
        if not body.startswith(b"\0"):
            return lfs_str(raw)
        parts = body.split(b"\0")
        return "\0".join(str(lfs_str(part)) for part in parts)

    def to_bytes(self, value: Any, record: Any) -> bytes:
        if isinstance(value, bytes) or _reuse_raw(value, None) is not None or "\0" not in str(value):
            return super().to_bytes(value, record)
        data = b"\0".join(text.encode(part) for part in str(value).split("\0"))
        return _terminated(data[: self.limit - 1])


class CarName(TextField):
    """`char CName[4]`: a built-in car ("XRT") or a mod's SkinID as six hex digits ("942DC9")."""

    def __init__(self) -> None:
        super().__init__(cs.Bytes(4))

    def text(self, raw: bytes, record: Any) -> str:
        return car_str(raw)

    def to_bytes(self, value: Any, record: Any) -> bytes:
        if isinstance(value, bytes):
            return value.ljust(4, b"\0")[:4]
        raw = _reuse_raw(value, 4)
        if raw is not None:
            return raw
        return text.car_bytes(str(value))


class IPv4(TextField):
    """`in_addr`: four bytes in network order, shown as "a.b.c.d"."""

    def __init__(self) -> None:
        super().__init__(cs.Bytes(4))

    def text(self, raw: bytes, record: Any) -> str:
        return ".".join(str(b) for b in raw)

    def to_bytes(self, value: Any, record: Any) -> bytes:
        if isinstance(value, bytes):
            return value
        try:
            parts = [int(p) for p in str(value).split(".")]
            if len(parts) == 4 and all(0 <= p <= 255 for p in parts):
                return bytes(parts)
        except ValueError:
            pass
        raise ValueError(f"not an IPv4 address: {value!r}")


def mso_codepage(context: Any) -> str:
    """IS_MSO since 0.8C27: MSOData bits 0-3 name the message's code page."""
    lid = int(context.MSOData) & 0x0F
    return LID_PAGES[lid] if lid < len(LID_PAGES) else "L"


# -- sub-structs ----------------------------------------------------------------------------------

CompCar = "CompCar" / cs.Struct(
    "Node" / u16,  # current path node
    "Lap" / u16,  # current lap
    "PLID" / u8,  # player's unique id
    "Position" / u8,  # current race position: 0 = unknown, 1 = leader
    "Info" / u8,  # CCI_* flags
    cs.Padding(1),  # Sp3
    "X" / s32,  # X map (65536 = 1 metre)
    "Y" / s32,  # Y map
    "Z" / s32,  # Z altitude
    "Speed" / u16,  # speed (32768 = 100 m/s)
    "Direction" / u16,  # direction of car's motion: 0 = world y direction, 32768 = 180 deg
    "Heading" / u16,  # direction of forward axis: 0 = world y direction, 32768 = 180 deg
    "AngVel" / s16,  # signed, rate of change of heading: 16384 = 360 deg/s
)

NodeLap = "NodeLap" / cs.Struct(
    "Node" / u16,  # current path node
    "Lap" / u16,  # current lap
    "PLID" / u8,  # player's unique id
    "Position" / u8,  # current race position: 0 = unknown, 1 = leader
)

CarContact = "CarContact" / cs.Struct(
    "PLID" / u8,
    "Info" / u8,  # like Info byte in CompCar (CCI_*)
    cs.Padding(1),  # Sp2
    "Steer" / s8,  # front wheel steer in degrees (right positive)
    "ThrBrk" / u8,  # high 4 bits: throttle, low 4 bits: brake (0 to 15)
    "CluHan" / u8,  # high 4 bits: clutch, low 4 bits: handbrake (0 to 15)
    "GearSp" / u8,  # high 4 bits: gear (15 = R), low 4 bits: spare
    "Speed" / u8,  # m/s
    "Direction" / u8,  # car's motion if Speed > 0: 0 = world y direction, 128 = 180 deg
    "Heading" / u8,  # direction of forward axis: 0 = world y direction, 128 = 180 deg
    "AccelF" / s8,  # m/s^2 longitudinal acceleration (forward positive)
    "AccelR" / s8,  # m/s^2 lateral acceleration (right positive)
    "X" / s16,  # position (1 metre = 16)
    "Y" / s16,  # position (1 metre = 16)
)

CarContOBJ = "CarContOBJ" / cs.Struct(
    "Direction" / u8,  # car's motion if Speed > 0: 0 = world y direction, 128 = 180 deg
    "Heading" / u8,  # direction of forward axis: 0 = world y direction, 128 = 180 deg
    "Speed" / u8,  # m/s
    "Zbyte" / u8,  # car's altitude
    "X" / s16,  # position (1 metre = 16)
    "Y" / s16,  # position (1 metre = 16)
)

ObjectInfo = "ObjectInfo" / cs.Struct(
    "X" / s16,  # position (1 metre = 16)
    "Y" / s16,
    "Zbyte" / u8,  # height (1 metre = 4)
    "Flags" / u8,
    "Index" / u8,  # object index (AXO_*)
    "Heading" / u8,  # 128 = 180 deg
)

Vec = cs.Array(3, s32)  # 3 ints X, Y, Z (1 m = 65536)
Vector = cs.Array(3, f32)  # 3 floats x, y, z

OSMain = "OutSimMain" / cs.Struct(
    "AngVel" / Vector,  # 3 floats, angular velocity vector
    "Heading" / f32,  # anticlockwise from above (Z)
    "Pitch" / f32,  # anticlockwise from right (X)
    "Roll" / f32,  # anticlockwise from front (Y)
    "Accel" / Vector,  # 3 floats X, Y, Z
    "Vel" / Vector,  # 3 floats X, Y, Z
    "Pos" / Vec,  # 3 ints X, Y, Z (1 m = 65536)
)
