"""Property tests of the packet grammar (hypothesis).

(a) Every InSim packet class: valid field values, derived from the class's own Construct declaration,
    survive `decode(encode(p)) == p` and `decode_slow(encode(p)) == p`.
(b) The fast paths (generated struct code, numpy for IS_MCI / IS_NLP cars) agree with the Construct
    path on every field, for random IS_MCI, IS_NLP, OutGauge, OutSim and OutSimPack2 datagrams.
(c) Arbitrary bytes into every decoder give a packet or a PacketError, never another exception,
    and quickly.

Runs are deterministic (`derandomize=True`, no example database) so CI sees the same examples.
"""

from __future__ import annotations

import math
import string
from datetime import timedelta
from typing import Any

import construct as cs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lfs_ayats.packets import (
    PACKET_CLASSES,
    OutGauge,
    OutSim,
    OutSim2,
    Packet,
    PacketError,
    Record,
    RecordArray,
    decode,
    decode_outgauge,
    decode_outsim,
    decode_slow,
    encode,
    encode_outgauge,
    encode_outsim,
    packet_class,
)
from lfs_ayats.packets import fields as f
from lfs_ayats.packets import outgauge as og
from lfs_ayats.packets import outsim as os_
from lfs_ayats.packets.constants import ISP
from lfs_ayats.packets.model import unwrap
from lfs_ayats.packets.text import car_bytes

settings.register_profile(
    "lfs-ayats-properties",
    derandomize=True,  # the same examples on every run: CI is deterministic
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile("lfs-ayats-properties")

# -- (a) strategies from the Construct declarations ------------------------------------------------

# Most records a variable array may hold (InSim.txt's *_MAX_* constants); the byte budget of a frame
# (1020) allows each of them.
MAX_COUNT: dict[tuple[str, str], int] = {
    ("IS_MCI", "Info"): 16,  # MCI_MAX_CARS
    ("IS_NLP", "Info"): 48,  # NLP_MAX_CARS
    ("IS_PLH", "HCaps"): 48,  # PLH_MAX_PLAYERS
    ("IS_AXM", "Info"): 60,  # AXM_MAX_OBJECTS
    ("IS_MAL", "SkinID"): 120,  # MAL_MAX_MODS
    ("IS_IPB", "BanIPs"): 120,  # IPB_MAX_BANS
    ("IS_AIC", "Inputs"): 20,  # AIC_MAX_INPUTS
}

# Text that reads back as itself in every LFS code page: ASCII without "^" (markup) or "\" / "~"
# (which some double-byte pages map elsewhere).
TEXT_ALPHABET = string.ascii_letters + string.digits + " .,:;!?-_()"

_INT_RANGES = {
    "B": (0, 0xFF), "b": (-0x80, 0x7F),
    "H": (0, 0xFFFF), "h": (-0x8000, 0x7FFF),
    "I": (0, 0xFFFF_FFFF), "L": (0, 0xFFFF_FFFF),
    "i": (-0x8000_0000, 0x7FFF_FFFF), "l": (-0x8000_0000, 0x7FFF_FFFF),
}


def _skin_id_is_unambiguous(name: str) -> bool:
    """A mod SkinID whose bytes read as a built-in car name (3 alphanumerics and a NUL), or all zero
    ("no car"), cannot be told apart on the wire (reference §9.4): such names are not generated."""
    raw = car_bytes(name)
    return raw != b"\0\0\0\0" and not raw[:3].isalnum()


CAR_NAMES = st.one_of(
    st.text(string.ascii_uppercase, min_size=3, max_size=3),
    st.text("0123456789ABCDEF", min_size=6, max_size=6).filter(_skin_id_is_unambiguous),
)
IPV4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda q: ".".join(map(str, q)))
FLOAT32 = st.floats(width=32, allow_nan=False)  # NaN != NaN; infinities are fine


def strategy_for(sc: cs.Construct, where: tuple[str, str]) -> st.SearchStrategy[Any]:
    """Valid values for one declared field; `where` is (packet, field) for error messages and counts."""
    if isinstance(sc, cs.Renamed):
        sc = sc.subcon
    if isinstance(sc, cs.Rebuild):
        # Counts such as NumC are recomputed from what they count: any value will do.
        return strategy_for(sc.subcon, where)
    inner = unwrap(sc)
    if isinstance(inner, f.VarText):
        return st.text(TEXT_ALPHABET, max_size=inner.limit - 1)
    if isinstance(inner, f.RawText):
        return st.text(TEXT_ALPHABET, max_size=inner.size)
    if isinstance(inner, f.Text):
        return st.text(TEXT_ALPHABET, max_size=inner.size - 1)
    if isinstance(inner, f.CarName):
        return CAR_NAMES
    if isinstance(inner, f.IPv4):
        return IPV4
    if isinstance(inner, cs.FormatField):
        letter = inner.fmtstr[-1]
        if letter == "f":
            return FLOAT32
        low, high = _INT_RANGES[letter]
        return st.integers(low, high)
    if isinstance(inner, cs.Bytes) and isinstance(inner.length, int):
        return st.binary(min_size=inner.length, max_size=inner.length)
    if isinstance(inner, cs.Struct):
        return struct_strategy(inner, where[0])
    if isinstance(inner, cs.Array) and isinstance(inner.count, int):
        element = strategy_for(inner.subcon, where)
        return st.lists(element, min_size=inner.count, max_size=inner.count)
    if isinstance(inner, (cs.Array, cs.GreedyRange)):
        if where not in MAX_COUNT:
            raise AssertionError(f"{where}: a variable array with no maximum in MAX_COUNT")
        return st.lists(strategy_for(inner.subcon, where), max_size=MAX_COUNT[where])
    raise AssertionError(f"{where}: no strategy for {type(inner).__name__}; extend strategy_for")


def struct_strategy(struct_: cs.Struct, packet: str) -> st.SearchStrategy[dict[str, Any]]:
    """A dict of valid values for every named field of `struct_` (spares are not fields)."""
    return st.fixed_dictionaries({
        sc.name: strategy_for(sc, (packet, sc.name))
        for sc in struct_.subcons
        if sc.name is not None and sc.name not in ("Size", "Type")
    })


def packets(name: str) -> st.SearchStrategy[Packet]:
    cls = packet_class(name)
    return struct_strategy(cls._struct, name).map(lambda values: cls(**values))


INSIM_NAMES = sorted(PACKET_CLASSES)


def test_every_packet_class_has_a_strategy() -> None:
    """All InSim 10 packets are covered, and each strategy can be built from its declaration."""
    assert len(INSIM_NAMES) == 70
    for name in INSIM_NAMES:
        packets(name)  # walks the declaration eagerly: raises on a field type with no strategy


@pytest.mark.parametrize("name", INSIM_NAMES)
@settings(PROFILE, max_examples=25)
@given(data=st.data())
def test_encode_then_decode_gives_the_packet(name: str, data: st.DataObject) -> None:
    """decode(encode(p)) == p and decode_slow(encode(p)) == p, field by field too; the bytes are canonical."""
    packet = data.draw(packets(name), label=name)
    wire = encode(packet)
    assert len(wire) % 4 == 0 and wire[0] * 4 == len(wire) and wire[1] == packet.Type
    fast, slow, interpreted = decode(wire), decode_slow(wire), decode_slow(wire, compiled=False)
    assert fast == packet
    assert slow == packet
    assert interpreted == packet
    expected = packet.to_dict()
    assert fast.to_dict() == slow.to_dict() == interpreted.to_dict() == expected
    assert encode(fast) == encode(slow) == wire


# -- (b) fast paths against the Construct path -----------------------------------------------------

def same(a: Any, b: Any, path: str = "") -> None:
    """Field-by-field equality of our values and Construct's (NaN equals NaN of the same bits)."""
    if isinstance(a, Record):
        if isinstance(b, dict):  # a Construct Container
            for name in a._fields:
                same(getattr(a, name), b.get(name), f"{path}{name}.")
            return
        assert type(a) is type(b), path
        for name in a._fields:
            same(getattr(a, name), getattr(b, name), f"{path}{name}.")
        return
    if isinstance(a, (tuple, list, RecordArray)):
        assert isinstance(b, (tuple, list, RecordArray)), f"{path}: {b!r}"
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}{i}.")
        return
    if isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), f"{path}: {b!r} is not NaN"
        return
    alike = type(a) is type(b) or {type(a), type(b)} <= {int, float} or (isinstance(a, str) and isinstance(b, str))
    assert alike, f"{path}: {type(a).__name__} vs {type(b).__name__}"
    assert a == b, f"{path.rstrip('.')}: {a!r} != {b!r}"


def _frame(ptype: int, head: bytes, body: bytes) -> bytes:
    total = 2 + len(head) + len(body)
    pad = -total % 4
    return bytes([(total + pad) // 4, ptype]) + head + body + bytes(pad)


@st.composite
def mci_frames(draw: st.DrawFn) -> bytes:
    cars = draw(st.integers(1, 16))
    body = draw(st.binary(min_size=28 * cars, max_size=28 * cars))  # spare bytes too: decoders skip them
    return _frame(ISP.MCI, bytes([draw(st.integers(0, 255)), cars]), body)


@st.composite
def nlp_frames(draw: st.DrawFn) -> bytes:
    players = draw(st.integers(1, 48))
    body = draw(st.binary(min_size=6 * players, max_size=6 * players))
    return _frame(ISP.NLP, bytes([draw(st.integers(0, 255)), players]), body)


@settings(PROFILE, max_examples=1500)
@given(frame=st.one_of(mci_frames(), nlp_frames()))
def test_car_arrays_fast_path_matches_construct(frame: bytes) -> None:
    fast = decode(frame)
    slow = decode_slow(frame)
    assert fast.to_dict() == slow.to_dict()
    assert fast == slow
    same(fast, slow)


@settings(PROFILE, max_examples=200)
@given(frame=st.one_of(mci_frames(), nlp_frames()))
def test_car_arrays_encode_spares_as_zero(frame: bytes) -> None:
    """A decoded car array encodes like any other packet: fields as read, spare bytes as 0."""
    assert encode(decode(frame)) == encode(decode_slow(frame))


@settings(PROFILE, max_examples=100)
@given(frame=st.one_of(mci_frames(), nlp_frames()))
def test_car_arrays_match_interpreted_construct(frame: bytes) -> None:
    assert decode(frame).to_dict() == decode_slow(frame, compiled=False).to_dict()


@settings(PROFILE, max_examples=1000)
@given(data=st.binary(min_size=og.OUTGAUGE_ID_SIZE, max_size=og.OUTGAUGE_ID_SIZE))
def test_outgauge_fast_path_matches_construct(data: bytes) -> None:
    for datagram in (data[: og.OUTGAUGE_SIZE], data):  # without and with the OutGauge ID
        packet = decode_outgauge(datagram)
        assert isinstance(packet, OutGauge)
        same(packet, og.OutGaugePack.parse(datagram))
        assert (packet.ID is None) == (len(datagram) == og.OUTGAUGE_SIZE)
        # Not bytes: random bytes hold signalling NaNs, which float conversion quiets.
        same(decode_outgauge(encode_outgauge(packet)), packet)


@settings(PROFILE, max_examples=1000)
@given(data=st.binary(min_size=os_.OUTSIM_ID_SIZE, max_size=os_.OUTSIM_ID_SIZE))
def test_outsim_fast_path_matches_construct(data: bytes) -> None:
    for datagram in (data[: os_.OUTSIM_SIZE], data):  # without and with the OutSim ID
        packet = decode_outsim(datagram)
        assert isinstance(packet, OutSim)
        same(packet, os_.OutSimPack.parse(datagram))
        same(decode_outsim(encode_outsim(packet)), packet)


@st.composite
def outsim2_datagrams(draw: st.DrawFn) -> tuple[int, bytes]:
    opts = draw(st.integers(1, os_.ALL_OPTS))
    size = os_.outsim2_struct(opts).sizeof()
    if opts & os_.OSO.HEADER:
        return opts, b"LFST" + draw(st.binary(min_size=size - 4, max_size=size - 4))
    return opts, draw(st.binary(min_size=size, max_size=size))


@settings(PROFILE, max_examples=1500)
@given(sample=outsim2_datagrams())
def test_outsim2_fast_path_matches_construct(sample: tuple[int, bytes]) -> None:
    opts, datagram = sample
    packet = decode_outsim(datagram, opts)
    assert isinstance(packet, OutSim2)
    assert packet.Opts == opts
    parsed = os_.outsim2_struct(opts).parse(datagram)
    for bit, name, _decl in os_.BLOCKS:
        if name == "Header":
            continue
        if opts & bit:
            same(getattr(packet, name), parsed[name], f"{name}.")
        else:
            assert getattr(packet, name) is None, name
    # Spare bytes encode as 0 and signalling NaNs come back quiet: compare values, not bytes.
    same(decode_outsim(encode_outsim(packet), opts), packet)
    # Without Opts, a size only one Opts value produces is recognised (64 and 68 bytes stay the
    # legacy OutSimPack).
    if os_.opts_by_size().get(len(datagram)) == opts and len(datagram) not in (64, 68):
        same(decode_outsim(datagram), packet)


# -- (c) arbitrary bytes ---------------------------------------------------------------------------

FUZZ = settings(PROFILE, deadline=timedelta(seconds=1), report_multiple_bugs=False)

TYPES = st.one_of(st.sampled_from(sorted(int(t) for t in ISP if t)), st.integers(0, 255))


@st.composite
def framed_garbage(draw: st.DrawFn) -> bytes:
    """A plausible header (any Size, a known or unknown Type) and a random body of about that size."""
    size = draw(st.integers(0, 255))
    ptype = draw(TYPES)
    length = draw(st.one_of(st.just(max(size * 4 - 2, 0)), st.integers(0, 1100)))
    body = draw(st.binary(min_size=length, max_size=length))
    return bytes([size, ptype]) + body


@st.composite
def counted_garbage(draw: st.DrawFn) -> bytes:
    """A self-consistent header over a variable packet whose count byte and body disagree."""
    ptype = draw(st.sampled_from([ISP.MCI, ISP.NLP, ISP.MAL, ISP.IPB, ISP.PLH, ISP.AXM, ISP.AIC,
                                  ISP.MSO, ISP.III, ISP.ACR, ISP.MTC, ISP.BTN]))
    words = draw(st.integers(1, 255))
    body = draw(st.binary(min_size=words * 4 - 2, max_size=words * 4 - 2))
    return bytes([words, ptype]) + body


INSIM_BYTES = st.one_of(st.binary(max_size=1100), framed_garbage(), counted_garbage())


def packet_or_packet_error(decoder: Any, *args: Any) -> None:
    try:
        result = decoder(*args)
    except PacketError:
        return
    assert isinstance(result, Packet)


@settings(FUZZ, max_examples=1500)
@given(data=INSIM_BYTES)
def test_decode_arbitrary_bytes(data: bytes) -> None:
    packet_or_packet_error(decode, data)


@settings(FUZZ, max_examples=1000)
@given(data=INSIM_BYTES)
def test_decode_slow_arbitrary_bytes(data: bytes) -> None:
    packet_or_packet_error(decode_slow, data)


@settings(FUZZ, max_examples=300)
@given(data=INSIM_BYTES)
def test_decode_slow_interpreted_arbitrary_bytes(data: bytes) -> None:
    packet_or_packet_error(lambda b: decode_slow(b, compiled=False), data)


SIZES_NEAR_OUT = st.sampled_from([0, 1, 63, 64, 65, 67, 68, 91, 92, 93, 95, 96, 97, 280, 272])
OUT_BYTES = st.one_of(
    st.binary(max_size=400),
    SIZES_NEAR_OUT.flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    st.sampled_from(sorted(os_.opts_by_size())).flatmap(
        lambda n: st.binary(min_size=n - 4, max_size=n - 4).map(lambda b: b"LFST" + b)),
)


@settings(FUZZ, max_examples=1000)
@given(data=OUT_BYTES)
def test_decode_outgauge_arbitrary_bytes(data: bytes) -> None:
    packet_or_packet_error(decode_outgauge, data)


@settings(FUZZ, max_examples=1000)
@given(data=OUT_BYTES, opts=st.one_of(st.none(), st.integers(-2, 0x3FF)))
def test_decode_outsim_arbitrary_bytes(data: bytes, opts: int | None) -> None:
    packet_or_packet_error(decode_outsim, data)
    packet_or_packet_error(decode_outsim, data, opts)


@settings(FUZZ, max_examples=500)
@given(sample=outsim2_datagrams(), flip=st.integers(0, 7))
def test_decode_outsim_with_opts_arbitrary_header(sample: tuple[int, bytes], flip: int) -> None:
    """The right size for the Opts but a damaged LFST header: a PacketError, not a bad packet."""
    opts, datagram = sample
    damaged = bytes([datagram[0] ^ (1 << flip)]) + datagram[1:]
    if opts & os_.OSO.HEADER:
        with pytest.raises(PacketError):
            decode_outsim(damaged, opts)
    else:
        packet_or_packet_error(decode_outsim, damaged, opts)
