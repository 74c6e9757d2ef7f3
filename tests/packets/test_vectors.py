"""Development check of the grammar against node-insim's byte-level test vectors (../shared/vectors).

Every vector is decoded (InSim frames with `decode`, OutGauge/OutSim datagrams with their decoders)
and each field value node-insim expects is compared with ours, after mapping node-insim's names and
representations to this project's (see `to_ours`). Every vector must also round-trip:
`encode(decode(b)) == b`. Vectors LFS receives (IS_ISI, IS_BTN, ...) are additionally built from
node-insim's field values and encoded, which must give node-insim's bytes.

These vectors are a second opinion, not the spec (many are hand-written by node-insim's authors).
Where a vector is wrong, it is listed in `KNOWN_FAULTS` with the reason: the test of the vector as
published is a strict xfail, and the corrected vector is checked instead. Where this project is
wrong, the vector is listed in `OUR_BUGS` (strict xfail too, so the marker must go when the bug is
fixed). Nothing is skipped silently.

The folder is not part of the repository: the module skips when ../shared is absent.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import construct as cs
import pytest

from lfs_ayats.packets import (
    OutGauge,
    OutSim,
    OutSim2,
    Packet,
    PacketError,
    decode,
    decode_outgauge,
    decode_outsim,
    decode_slow,
    encode,
    encode_outgauge,
    encode_outsim,
    packet_class,
)
from lfs_ayats.packets import outsim as os_
from lfs_ayats.packets import text as lfs_text
from lfs_ayats.packets.model import named_fields, unwrap

pytestmark = pytest.mark.needs_shared

VECTORS_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "node-insim-vectors.json"

if not VECTORS_PATH.is_file():
    pytest.skip(f"{VECTORS_PATH} is absent (a fresh clone has no ../shared)", allow_module_level=True)

DOCUMENT = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


# -- vector ids ------------------------------------------------------------------------------------


def _vector_ids(vectors: list[dict[str, Any]]) -> list[str]:
    """Stable, readable ids: "IS_LAP", "IS_AXM-2", "IS_BTN-to_lfs", "OutGaugePack-id", "OutSimPack2-opts511"."""
    ids = []
    seen: Counter[str] = Counter()
    for v in vectors:
        base = v["packet"]
        if v["direction"] == "to_lfs":
            base += "-to_lfs"
        if base in ("OutGaugePack", "OutSimPack") and len(bytes.fromhex(v["hex"])) in (96, 68):
            base += "-id"
        if "outsim_opts" in v:
            base += f"-opts{v['outsim_opts']}"
        seen[base] += 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


VECTORS: dict[str, dict[str, Any]] = dict(zip(_vector_ids(DOCUMENT["vectors"]), DOCUMENT["vectors"], strict=True))


# -- what is wrong in the vectors ------------------------------------------------------------------


def _size_byte_from_length(data: bytes) -> bytes:
    """Correct a Size byte that disagrees with the bytes that follow it."""
    return bytes([len(data) // 4]) + data[1:]


def _cut_to_size_byte(data: bytes) -> bytes:
    """Drop bytes after the frame the Size byte describes."""
    return data[: data[0] * 4]


def _aic_times_as_bytes(expected: dict[str, Any]) -> dict[str, Any]:
    inputs = [dict(i, Time=i["Time"] & 0xFF) for i in expected["Inputs"]]
    return dict(expected, Inputs=inputs)


@dataclass(frozen=True)
class Fault:
    """A vector node-insim got wrong; `fix_bytes` / `fix_expected` give the corrected vector."""

    reason: str
    fix_bytes: Callable[[bytes], bytes] | None = None
    fix_expected: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # Which checks of the vector *as published* fail: "unpack" (bytes -> fields, round trip) and/or
    # "pack" (fields -> bytes, sent-to-LFS vectors only).
    breaks: frozenset[str] = field(default_factory=lambda: frozenset({"unpack"}))


KNOWN_FAULTS: dict[str, Fault] = {
    # insim-reference §13.5: node-insim's IS_SPX test says Size 5 (20 bytes); IS_SPX is 16 bytes.
    "IS_SPX": Fault("Size byte 5 (20 bytes) on a 16-byte IS_SPX; 4 is right (reference §13.5)",
                    fix_bytes=_size_byte_from_length),
    # The v10 IS_CON is 44 bytes (reference §1, §4.5); the body is the v10 one, but the Size byte is
    # v9's 10 (40 bytes): the same pre-v10 size slip as node-insim's IS_HLV class (§13.5).
    "IS_CON": Fault("Size byte 10 (40 bytes, the v9 size) on the 44-byte v10 IS_CON", fix_bytes=_size_byte_from_length),
    # Two NodeLaps: 4 + 2 * 6 = 16 bytes, Size 4; node-insim's test writes Size 10.
    "IS_NLP": Fault("Size byte 10 (40 bytes) on a 16-byte IS_NLP with NumP 2", fix_bytes=_size_byte_from_length),
    # IS_BTT is 104 bytes (Text[96]); the buffer carries the 102-character text node-insim typed in,
    # so 6 bytes ("12345$") trail the frame the Size byte describes.
    "IS_BTT": Fault("6 bytes of text after the 104-byte frame (Text[96] given 102 characters)",
                    fix_bytes=_cut_to_size_byte),
    # CName "XRT_" (58 52 54 5f) is not a car name as LFS writes one: a built-in car is 3
    # alphanumerics and a NUL. By the rule every library uses (reference §9.4) these bytes are a mod
    # SkinID. The raw bytes are still checked against node-insim's raw string.
    "IS_RES": Fault("CName bytes 'XRT_' are not a car name; read as mod SkinID 545258 (reference §9.4)",
                    fix_expected=lambda e: dict(e, CName="545258")),
    # AIInputVal.Time is a byte (hundredths of a second); node-insim's test passes Time 1000 and 600,
    # which its packer truncates to 1000 & 0xFF = 232 and 600 & 0xFF = 88 in the bytes.
    "IS_AIC-to_lfs-2": Fault("AIInputVal.Time 1000 and 600 do not fit the u8 field; the bytes hold 232 and 88",
                             fix_expected=_aic_times_as_bytes, breaks=frozenset({"unpack", "pack"})),
    # Not a fault in node-insim so much as a disagreement: it fills all 240 bytes of IS_BTN.Text with
    # no NUL, while our encoder keeps the last byte for the terminator (as GodotInSim does: "last
    # byte must be zero, actual length is one character shorter"). Decoding and the byte round trip
    # are unaffected; building from the fields gives 239 characters and a NUL.
    "IS_BTN-to_lfs": Fault("240 characters with no NUL; we send at most 239 and the terminator",
                           fix_bytes=lambda data: data[:-1] + b"\0",
                           fix_expected=lambda e: dict(e, Text=e["Text"][:239]),
                           breaks=frozenset({"pack"})),
}
# Checked and not faulty here: the IS_HLV vector already has the v10 size (20 bytes, Size 5); the
# pre-v10 size of node-insim's IS_HLV class (§13.5) does not show in it (see test_hlv_vector_is_v10).
# No vector has a non-zero spare byte (spares must be 0, see `to_ours`) or junk after a NUL that
# we would not reproduce (the round trip keeps raw text bytes).


@dataclass(frozen=True)
class Bug:
    """A vector this project gets wrong: reported, and a strict xfail until fixed (then remove it)."""

    reason: str
    breaks: frozenset[str]  # "unpack", "round_trip", "pack"


OUR_BUGS: dict[str, Bug] = {}  # none open: the OutSimPack2 nested-first bug these vectors found is fixed


def corrected(vid: str) -> tuple[bytes, dict[str, Any]]:
    """The vector's bytes and node-insim's expected values, with any known fault corrected."""
    v = VECTORS[vid]
    data = bytes.fromhex(v["hex"])
    expected = published_expected(v)
    fault = KNOWN_FAULTS.get(vid)
    if fault is not None:
        if fault.fix_bytes is not None:
            data = fault.fix_bytes(data)
            if "Size" in expected:
                expected = dict(expected, Size=len(data))  # node-insim's Size was the fault
        if fault.fix_expected is not None:
            expected = fault.fix_expected(expected)
    return data, expected


def published_expected(v: dict[str, Any]) -> dict[str, Any]:
    """node-insim's full decoded view (when recorded) overlaid with the test's expected fields."""
    merged = dict(v.get("node_insim_decoded", {}))
    merged.update(v["expected_fields"])
    if v["packet"] == "OutSimPack2":
        # The nested blocks of node_insim_decoded say again what the flat "OSMain.AngVel" keys say.
        merged = {k: x for k, x in merged.items() if not isinstance(x, (dict, list)) or "." in k}
    return merged


def _marks(vid: str, check: str) -> list[pytest.MarkDecorator]:
    fault = KNOWN_FAULTS.get(vid)
    if fault is not None and check in fault.breaks:
        return [pytest.mark.xfail(strict=True, reason=f"node-insim vector fault: {fault.reason}")]
    bug = OUR_BUGS.get(vid)
    if bug is not None and check in bug.breaks:
        return [pytest.mark.xfail(strict=True, reason=bug.reason)]
    return []


def _params(ids: list[str], check: str) -> list[Any]:
    return [pytest.param(vid, id=vid, marks=_marks(vid, check)) for vid in ids]


ALL_IDS = list(VECTORS)
TO_LFS_IDS = [vid for vid, v in VECTORS.items() if v["direction"] == "to_lfs"]
FAULT_IDS = list(KNOWN_FAULTS)


# -- decoding and encoding by kind -----------------------------------------------------------------


def decode_vector(v: dict[str, Any], data: bytes) -> Packet:
    if v["packet"] == "OutGaugePack":
        return decode_outgauge(data)
    if v["packet"] == "OutSimPack":
        return decode_outsim(data)
    if v["packet"] == "OutSimPack2":
        return decode_outsim(data, v["outsim_opts"])
    return decode(data)


def encode_any(packet: Packet) -> bytes:
    if isinstance(packet, OutGauge):
        return encode_outgauge(packet)
    if isinstance(packet, (OutSim, OutSim2)):
        return encode_outsim(packet)
    return encode(packet)


# -- node-insim's names and representations -> ours ------------------------------------------------

# Spare and Zero bytes are not fields in our model (they always encode as 0); node-insim lists them
# (Zero, Spare, Sp0-Sp3, SpA, SpB, Spare2/3, SpF0/1, SPU1-3, the v10 spare word SpW of IS_CON/OBH/HLV,
# and Sp2/Sp3 inside CarContact, CompCar and OutSimWheel). Their expected value must be 0: anything
# else would be a vector whose bytes we do not reproduce. "SpClose" is a real field.
SPARE = re.compile(r"(Zero|Spare\d?|Sp[0-9ABW]|SpF\d|SPU\d)")
# node-insim's own bookkeeping recorded along with the packet, not wire fields.
NODE_INSIM_ONLY = frozenset({"objectInfoOffset", "banIPsOffset", "banIPSize", "skinIdOffset", "skinIdSize",
                             "handicapsOffset"})
TYRES = ("TyreRL", "TyreRR", "TyreFL", "TyreFR")  # node-insim splits Tyres[4] into four fields


def _drop_spares(value: Any, path: str, spares: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if SPARE.fullmatch(key):
                spares[f"{path}{key}"] = item
            else:
                out[key] = _drop_spares(item, f"{path}{key}.", spares)
        return out
    if isinstance(value, list):
        return [_drop_spares(item, f"{path}{i}.", spares) for i, item in enumerate(value)]
    return value


def _unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """node-insim's OutSimPack2 keys "OSMain.AngVel" / "OSWheels.0.Steer" -> nested dicts and lists."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(".")
        node: Any = nested
        for part, nxt in itertools.pairwise(parts):
            container: Any = [] if nxt.isdigit() else {}
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(None)
                if node[index] is None:
                    node[index] = container
                node = node[index]
            else:
                node = node.setdefault(part, container)
        last = parts[-1]
        if isinstance(node, list):
            index = int(last)
            while len(node) <= index:
                node.append(None)
            node[index] = value
        else:
            node[last] = value
    return nested


def _is_zero(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_is_zero(v) for v in value.values())
    if isinstance(value, list):
        return all(_is_zero(v) for v in value)
    return value in (0, "")


def _outsim2_to_ours(fields: dict[str, Any], opts: int) -> dict[str, Any]:
    """OutSimPack2: node-insim shows every block (zeros where Opts leaves one out) and puts the
    OutSimDrive / OutSimDistance / OutSimExtra1 fields at the top level; ours nests each block under
    its InSim.txt name (OSDrive, OSDistance, OSExtra1) and gives None for a block Opts leaves out.
    "Header" ("LFST" or "") is a constant, not a field: it is checked against Opts bit 0 instead."""
    header = fields.pop("Header")
    assert (header == "LFST") == bool(opts & os_.OSO.HEADER), header
    ours: dict[str, Any] = {"Opts": opts}
    for bit, name, decl in os_.BLOCKS:
        if name == "Header":
            continue
        if isinstance(unwrap(decl), cs.Struct) and name not in fields:
            # A block node-insim flattened to the top level: gather its fields back.
            value: Any = {n: fields.pop(n) for n, _ in named_fields(unwrap(decl)) if n in fields}
        else:
            value = fields.pop(name)
        if opts & bit:
            ours[name] = value
        else:
            assert _is_zero(value), f"node-insim shows a block Opts {opts:#x} leaves out as {value!r}"
            ours[name] = None
    assert not fields, f"node-insim fields with no place in OutSimPack2: {sorted(fields)}"
    return ours


def to_ours(v: dict[str, Any], expected: dict[str, Any], length: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(node-insim's expected values in our field names and representations, the spare values it lists)."""
    name = v["packet"]
    spares: dict[str, Any] = {}
    fields = {k: x for k, x in expected.items() if k not in NODE_INSIM_ONLY and k not in ("Size", "Type")}
    if name == "OutSimPack2":
        fields = _drop_spares(_unflatten(fields), "", spares)
        return _outsim2_to_ours(fields, v["outsim_opts"]), spares
    fields = _drop_spares(fields, "", spares)
    if all(t in fields for t in TYRES):
        fields["Tyres"] = [fields.pop(t) for t in TYRES]
    if name == "IS_CPP":
        # node-insim: X, Y, Z; InSim.txt and ours: Vec Pos (3 ints).
        fields["Pos"] = [fields.pop(axis) for axis in "XYZ"]
    if name == "OutSimPack":
        # node-insim: AngVelX ... PosZ; InSim.txt and ours: Vector AngVel, Accel, Vel and Vec Pos.
        for vector in ("AngVel", "Accel", "Vel", "Pos"):
            fields[vector] = [fields.pop(vector + axis) for axis in "XYZ"]
    if name in ("OutGaugePack", "OutSimPack") and length in (92, 64):
        # node-insim gives ID 0 when the datagram has none; ours gives None (there is no ID).
        assert fields["ID"] == 0
        fields["ID"] = None
    if name == "IS_MAL":
        # node-insim shows each SkinID as the 6 hex digits LFS displays; ours keeps the u32.
        fields["SkinID"] = [int(skin, 16) for skin in fields["SkinID"]]
    return fields, spares


def ours_for_comparison(v: dict[str, Any], packet: Packet) -> dict[str, Any]:
    ours = packet.to_dict()
    if v["packet"] == "IS_MSO":
        # node-insim reports TextStart as an index into the *decoded* Msg ("After converting Msg
        # from bytes into UTF-8", IS_MSO.test.ts); ours is the byte offset InSim.txt defines.
        ours["TextStart"] = len(lfs_text.decode(packet.Msg.raw[: packet.TextStart]))
    return ours


def assert_matches(actual: Any, expected: Any, path: str = "") -> None:
    """Every value in `expected` is in `actual` and equal (exactly: floats are float32 both sides)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not a record"
        for key, value in expected.items():
            assert key in actual, f"{path}{key}: node-insim has it, our model does not ({sorted(actual)})"
            assert_matches(actual[key], value, f"{path}{key}.")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: {actual!r} is not a list"
        assert len(actual) == len(expected), f"{path}: {len(actual)} items, node-insim has {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_matches(a, e, f"{path}{i}.")
    elif expected is None:
        assert actual is None, f"{path}: {actual!r}, expected None"
    else:
        assert type(actual) is not bool
        assert actual == expected, f"{path.rstrip('.')}: ours {actual!r}, node-insim {expected!r}"


def check_unpack(vid: str, data: bytes, expected: dict[str, Any]) -> Packet:
    v = VECTORS[vid]
    packet = decode_vector(v, data)
    ours, spares = to_ours(v, expected, len(data))
    assert_matches(ours_for_comparison(v, packet), ours)
    assert all(value == 0 for value in spares.values()), f"non-zero spare bytes in the vector: {spares}"
    if "Size" in expected and "Type" in expected:
        assert expected["Size"] == len(data)
        assert expected["Type"] == packet.Type
    for key, raw in v.get("raw_strings_before_lfs_decoding", {}).items():
        value = getattr(packet, key, None)
        if isinstance(value, str):
            # The exact bytes are kept on the LFSStr (node-insim records them as one char per byte).
            assert value.raw == raw.encode("latin-1"), key  # type: ignore[attr-defined]
    return packet


# -- the tests -------------------------------------------------------------------------------------


def test_vector_file_is_the_expected_one() -> None:
    assert DOCUMENT["count"] == len(VECTORS) == 103
    assert Counter(v["direction"] for v in VECTORS.values()) == {"from_lfs": 72, "to_lfs": 31}
    assert set(KNOWN_FAULTS) <= set(VECTORS)
    assert set(OUR_BUGS) <= set(VECTORS)


@pytest.mark.parametrize("vid", _params(ALL_IDS, "unpack"))
def test_unpack_as_published(vid: str) -> None:
    """The bytes as published decode to node-insim's values and encode back to the same bytes."""
    v = VECTORS[vid]
    data = bytes.fromhex(v["hex"])
    packet = check_unpack(vid, data, published_expected(v))
    assert encode_any(packet) == data


@pytest.mark.parametrize("vid", FAULT_IDS)
def test_unpack_corrected(vid: str) -> None:
    """A faulty vector, once corrected, decodes to the corrected values."""
    data, expected = corrected(vid)
    check_unpack(vid, data, expected)


@pytest.mark.parametrize("vid", _params(ALL_IDS, "round_trip"))
def test_round_trip(vid: str) -> None:
    """encode(decode(b)) == b for every (corrected) vector; the Construct paths decode the same."""
    v = VECTORS[vid]
    data, _ = corrected(vid)
    packet = decode_vector(v, data)
    assert encode_any(packet) == data
    if v["packet"].startswith("IS_"):
        assert decode_slow(data, compiled=True) == packet
        assert decode_slow(data, compiled=False) == packet


@pytest.mark.parametrize("vid", _params(TO_LFS_IDS, "pack"))
def test_pack_as_published(vid: str) -> None:
    """A packet built from node-insim's values encodes to node-insim's bytes."""
    v = VECTORS[vid]
    ours, _ = to_ours(v, published_expected(v), len(v["hex"]) // 2)
    packet = packet_class(v["packet"])(**ours)
    assert encode(packet).hex() == v["hex"]


@pytest.mark.parametrize("vid", [vid for vid in FAULT_IDS if "pack" in KNOWN_FAULTS[vid].breaks])
def test_pack_corrected(vid: str) -> None:
    v = VECTORS[vid]
    data, expected = corrected(vid)
    ours, _ = to_ours(v, expected, len(data))
    assert encode(packet_class(v["packet"])(**ours)) == data


def test_hlv_vector_is_v10() -> None:
    """node-insim's IS_HLV class has the pre-v10 size 16 (reference §13.5); the recorded vector is the
    20-byte v10 layout, so it needs no correction. Fail loudly if a regenerated file changes that."""
    data = bytes.fromhex(VECTORS["IS_HLV"]["hex"])
    assert len(data) == 20 and data[0] == 5
    assert "IS_HLV" not in KNOWN_FAULTS


@pytest.mark.parametrize("vid", ["IS_SPX", "IS_CON", "IS_NLP", "IS_BTT"])
def test_size_faults_are_rejected(vid: str) -> None:
    """A frame whose Size byte disagrees with its length is refused, by every decoding path."""
    data = bytes.fromhex(VECTORS[vid]["hex"])
    for decoder in (decode, decode_slow):
        with pytest.raises(PacketError, match="Size byte says"):
            decoder(data)


def test_outsimpack2_full_size_is_recognised_without_opts() -> None:
    """The all-blocks OutSimPack2 (280 bytes) decodes the same whether or not Opts is given."""
    data = bytes.fromhex(VECTORS["OutSimPack2-opts511"]["hex"])
    assert decode_outsim(data) == decode_outsim(data, 0x1FF)
