"""The sans-IO InSim framer: a TCP byte stream in, whole frames out (reference §2.3).

Covers: one frame; a stream split at every point and fed byte by byte; frames glued in one chunk;
random chunkings of random streams (hypothesis); a Size-0 header in strict mode (FramingError naming
the stream offset, earlier frames kept on the error); resynchronising past garbage with the skipped
bytes counted; the buffer bound; no spinning on a stream of zeros; arbitrary bytes in either mode.
"""

from __future__ import annotations

import contextlib
import itertools
import signal
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lfs_ayats.wire.framing import MAX_FRAME, MIN_FRAME, Framer, FramingError

settings.register_profile(
    "lfs-ayats-framing",
    derandomize=True,  # deterministic in CI
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile("lfs-ayats-framing")


def frame(ptype: int, body: bytes = b"", reqi: int = 0) -> bytes:
    """An InSim frame: Size = length / 4, padded with zeros to a multiple of 4."""
    data = bytes([0, ptype, reqi]) + body
    data += bytes(-len(data) % 4)
    assert MIN_FRAME <= len(data) <= MAX_FRAME
    return bytes([len(data) // 4]) + data[1:]


TINY_NONE = frame(3, b"\x00")  # 01 03 00 00, the keep-alive
LAP = frame(24, bytes(range(1, 18)))  # 20 bytes
BIGGEST = frame(45, bytes(range(256)) * 3 + bytes(range(249)))  # an IS_BTN-sized 1020 bytes
FRAMES = [TINY_NONE, LAP, BIGGEST, TINY_NONE, frame(38, bytes(110)), LAP]
STREAM = b"".join(FRAMES)


def feed_all(framer: Framer, chunks: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for chunk in chunks:
        out += framer.feed(chunk)
        assert framer.pending <= MAX_FRAME + len(chunk)
    return out


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail instead of hanging, where the platform allows (SIGALRM, main thread)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, stack: object) -> None:
        raise TimeoutError(f"did not finish within {seconds} s (a spinning framer?)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- intact streams --------------------------------------------------------------------------------


def test_one_frame() -> None:
    framer = Framer()
    assert framer.feed(TINY_NONE) == [TINY_NONE]
    assert framer.pending == 0
    assert (framer.stats.frames, framer.stats.bytes_in, framer.stats.bytes_skipped) == (1, 4, 0)


def test_frames_are_bytes_even_from_a_memoryview() -> None:
    framer = Framer()
    frames = framer.feed(memoryview(bytearray(LAP + TINY_NONE)))
    assert frames == [LAP, TINY_NONE]
    assert all(type(f) is bytes for f in frames)


def test_nothing_until_the_frame_is_whole() -> None:
    framer = Framer()
    assert framer.feed(LAP[:3]) == []  # not even a header
    assert framer.feed(LAP[3:19]) == []  # a header, 19 of 20 bytes
    assert framer.pending == 19
    assert framer.feed(LAP[19:]) == [LAP]
    assert framer.pending == 0


def test_glued_frames_in_one_chunk() -> None:
    framer = Framer()
    assert framer.feed(STREAM) == FRAMES
    assert framer.pending == 0
    assert framer.stats.frames == len(FRAMES)
    assert framer.stats.bytes_in == len(STREAM)


@pytest.mark.parametrize("resync", [False, True])
def test_every_split_point(resync: bool) -> None:
    for cut in range(len(STREAM) + 1):
        framer = Framer(resync=resync)
        assert feed_all(framer, [STREAM[:cut], STREAM[cut:]]) == FRAMES, cut
        assert framer.pending == 0
        assert framer.stats.bytes_skipped == 0


@pytest.mark.parametrize("resync", [False, True])
def test_every_pair_of_split_points_near_the_boundaries(resync: bool) -> None:
    """Three chunks, the cuts anywhere within 5 bytes of a frame boundary."""
    bounds = []
    offset = 0
    for f in FRAMES:
        offset += len(f)
        bounds.append(offset)
    cuts = sorted({c for b in bounds for c in range(max(0, b - 5), min(len(STREAM), b + 5) + 1)})
    for i in cuts:
        for j in cuts:
            if j < i:
                continue
            framer = Framer(resync=resync)
            assert feed_all(framer, [STREAM[:i], STREAM[i:j], STREAM[j:]]) == FRAMES, (i, j)


def test_byte_by_byte() -> None:
    framer = Framer()
    got = feed_all(framer, [bytes([b]) for b in STREAM])
    assert got == FRAMES
    assert framer.pending == 0
    assert framer.stats.bytes_in == len(STREAM)


def test_unknown_types_pass_through_an_intact_stream() -> None:
    """Type 0 and types beyond 70 are the decoder's business when the stream is intact."""
    odd = [frame(0, b"\x01"), frame(200, bytes(9)), frame(71, b"")]
    for resync in (False, True):
        assert Framer(resync=resync).feed(b"".join(odd)) == odd


# -- random streams and random chunkings -----------------------------------------------------------

FRAME_STRATEGY = st.builds(frame, st.integers(1, 255), st.binary(max_size=MAX_FRAME - 3), st.integers(0, 255))


@st.composite
def chunked(draw: st.DrawFn, stream: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=40)))
    bounds = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


@settings(PROFILE, max_examples=300)
@given(data=st.data(), frames=st.lists(FRAME_STRATEGY, min_size=1, max_size=12), resync=st.booleans())
def test_random_chunking_gives_the_same_frames(data: st.DataObject, frames: list[bytes], resync: bool) -> None:
    stream = b"".join(frames)
    chunks = data.draw(chunked(stream), label="chunks")
    framer = Framer(resync=resync)
    assert feed_all(framer, chunks) == frames
    assert framer.pending == 0
    assert framer.stats.frames == len(frames)
    assert framer.stats.bytes_in == len(stream)
    assert framer.stats.bytes_skipped == 0


# -- corruption: strict mode -----------------------------------------------------------------------

CORRUPT = b"\x00\x03\x00\x00"  # Size 0


def test_size_zero_raises_naming_the_offset_and_keeps_earlier_frames() -> None:
    framer = Framer()
    stream = TINY_NONE + LAP + CORRUPT + LAP
    with pytest.raises(FramingError) as caught:
        framer.feed(stream)
    error = caught.value
    offset = len(TINY_NONE + LAP)
    assert error.offset == offset
    assert f"stream offset {offset}" in str(error)
    assert error.excerpt == (CORRUPT + LAP)[:16]
    assert error.frames == [TINY_NONE, LAP]
    assert isinstance(error, ValueError)
    assert framer.stats.frames == 2


def test_size_zero_in_a_later_chunk() -> None:
    framer = Framer()
    assert framer.feed(LAP + TINY_NONE[:2]) == [LAP]
    with pytest.raises(FramingError) as caught:
        framer.feed(TINY_NONE[2:] + TINY_NONE + CORRUPT + TINY_NONE)
    error = caught.value
    assert error.offset == len(LAP + TINY_NONE + TINY_NONE)
    assert error.frames == [TINY_NONE, TINY_NONE]
    assert framer.stats.frames == 3


def test_strict_framer_stays_failed_until_reset() -> None:
    framer = Framer()
    with pytest.raises(FramingError):
        framer.feed(CORRUPT)
    with pytest.raises(FramingError):
        framer.feed(LAP)
    framer.reset()
    assert framer.pending == 0
    assert framer.feed(LAP) == [LAP]


def test_size_zero_needs_a_whole_header_first() -> None:
    """A zero Size byte alone is not yet an error: fewer than 4 bytes are not a header."""
    framer = Framer()
    assert framer.feed(b"\x00\x03") == []
    with pytest.raises(FramingError):
        framer.feed(b"\x00\x00")


# -- corruption: resynchronising -------------------------------------------------------------------


def test_resync_skips_garbage_and_recovers() -> None:
    garbage = b"\x00" * 7 + b"\x00\xff\xff\x00" + b"\x05\x00\x00\x00"  # Size 0s, then Types 255 and 0
    framer = Framer(resync=True)
    frames = framer.feed(TINY_NONE + garbage + LAP + TINY_NONE)
    assert frames == [TINY_NONE, LAP, TINY_NONE]
    assert framer.stats.bytes_skipped == len(garbage)
    assert framer.stats.resyncs == 1
    assert framer.stats.frames == 3
    assert framer.pending == 0


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
def test_resync_in_small_chunks(chunk: int) -> None:
    garbage = bytes(13)
    stream = LAP + garbage + BIGGEST + garbage + TINY_NONE
    framer = Framer(resync=True)
    got = feed_all(framer, [stream[i : i + chunk] for i in range(0, len(stream), chunk)])
    assert got == [LAP, BIGGEST, TINY_NONE]
    assert framer.stats.bytes_skipped == 2 * len(garbage)
    assert framer.stats.resyncs == 2


def test_resync_accounts_for_every_byte() -> None:
    stream = bytes(9) + LAP + b"\x00\x00\x00" + TINY_NONE + bytes(3)
    framer = Framer(resync=True)
    frames = feed_all(framer, [stream])
    assert frames == [LAP, TINY_NONE]
    assert sum(map(len, frames)) + framer.stats.bytes_skipped + framer.pending == framer.stats.bytes_in


@pytest.mark.parametrize("chunk", [1, 4, 4096, 1 << 20])
def test_zeros_do_not_spin(chunk: int) -> None:
    zeros = bytes(1 << 20)
    framer = Framer(resync=True)
    with time_limit(20):
        frames = feed_all(framer, [zeros[i : i + chunk] for i in range(0, len(zeros), chunk)])
    assert frames == []
    assert framer.pending == MIN_FRAME - 1  # too short to be looked at yet
    assert framer.stats.bytes_skipped == len(zeros) - (MIN_FRAME - 1)
    assert framer.stats.resyncs == 1
    assert framer.feed(LAP) == [LAP]  # and it still recovers
    assert framer.stats.bytes_skipped == len(zeros)


def test_reset_restarts_stream_offsets() -> None:
    """After a reconnect the stream starts afresh: an error's offset counts from the new start."""
    framer = Framer()
    framer.feed(LAP + TINY_NONE + LAP[:6])
    framer.reset()
    with pytest.raises(FramingError) as caught:
        framer.feed(TINY_NONE + CORRUPT)
    assert caught.value.offset == len(TINY_NONE)


def test_reset_forgets_the_buffer_and_the_hunt() -> None:
    framer = Framer(resync=True)
    framer.feed(bytes(5) + LAP[:7])
    framer.reset()
    assert framer.pending == 0
    assert framer.feed(TINY_NONE) == [TINY_NONE]


# -- arbitrary bytes -------------------------------------------------------------------------------

STREAMS = st.one_of(
    st.binary(max_size=3000),
    st.lists(st.one_of(FRAME_STRATEGY, st.binary(max_size=16)), max_size=10).map(b"".join),
)


@settings(PROFILE, max_examples=400)
@given(data=st.data(), stream=STREAMS)
def test_strict_arbitrary_bytes(data: st.DataObject, stream: bytes) -> None:
    """Frames that tile the stream from its start, then at most one FramingError at a Size 0."""
    chunks = data.draw(chunked(stream), label="chunks")
    framer = Framer()
    frames: list[bytes] = []
    error: FramingError | None = None
    fed = 0
    with time_limit(20):
        for chunk in chunks:
            fed += len(chunk)
            try:
                frames += framer.feed(chunk)
            except FramingError as exc:
                frames += exc.frames
                error = exc
                break
            assert framer.pending < MAX_FRAME
    joined = b"".join(frames)
    assert stream.startswith(joined)
    assert all(len(f) == f[0] * 4 and len(f) >= MIN_FRAME for f in frames)
    assert framer.stats.frames == len(frames)
    if error is None:
        assert framer.pending == len(stream) - len(joined)
    else:
        assert error.offset == len(joined)
        assert stream[error.offset] == 0
        assert error.excerpt == stream[error.offset : min(error.offset + 16, fed)]  # what had arrived


@settings(PROFILE, max_examples=400)
@given(data=st.data(), stream=STREAMS)
def test_resync_arbitrary_bytes(data: st.DataObject, stream: bytes) -> None:
    """Never an error; frames are pieces of the stream in order; every byte is accounted for."""
    chunks = data.draw(chunked(stream), label="chunks")
    framer = Framer(resync=True)
    frames: list[bytes] = []
    with time_limit(20):
        for chunk in chunks:
            frames += framer.feed(chunk)
            assert framer.pending < MAX_FRAME
    position = 0
    for f in frames:
        assert len(f) == f[0] * 4 and len(f) >= MIN_FRAME
        found = stream.find(f, position)
        assert found >= 0
        position = found + len(f)
    assert sum(map(len, frames)) + framer.stats.bytes_skipped + framer.pending == len(stream)
    assert framer.stats.bytes_in == len(stream)
    assert framer.stats.frames == len(frames)
