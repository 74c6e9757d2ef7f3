"""Sans-IO InSim framing: a TCP byte stream in, whole packets out.

Every InSim packet starts with a Size byte holding its length divided by 4 (InSim 9+), so a frame
is 4 to 1020 bytes. A Size of 0 can never be right: when a corrupt stream shows one, the framer
either stops (the default, and what LFS's own clients do: close the link) or skips forward to the
next offset where a plausible header starts (a non-zero Size and a known Type), counting what it
threw away. Unknown Types in an intact stream pass through: LFS adds packets between versions and
the decoder turns them into raw packets. The buffer never holds more than one maximal frame plus
one read, so it cannot grow without bound, and every call makes progress, so it cannot spin.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_FRAME = 4
MAX_FRAME = 255 * 4
# Resynchronising only trusts Types LFS 0.8C sends (1..70); anything else there is likely noise.
MAX_KNOWN_TYPE = 70


class FramingError(ValueError):
    """The stream is not InSim: names the stream offset and shows the bytes there."""

    def __init__(self, message: str, offset: int, excerpt: bytes) -> None:
        self.offset = offset
        self.excerpt = excerpt
        self.frames: list[bytes] = []  # whole frames that came before the corruption
        super().__init__(f"{message} at stream offset {offset}: {excerpt.hex(' ')}")


@dataclass
class FramerStats:
    """What a framer has seen: whole frames, bytes in, bytes skipped while resynchronising."""

    frames: int = 0
    bytes_in: int = 0
    bytes_skipped: int = 0
    resyncs: int = 0


def _plausible(buf: bytes | bytearray, i: int) -> bool:
    size, ptype = buf[i], buf[i + 1]
    return size != 0 and 0 < ptype <= MAX_KNOWN_TYPE


class Framer:
    """Split a byte stream into InSim frames.

    `feed(chunk)` returns the frames completed by that chunk, oldest first. With `resync=False`
    a corrupt header raises `FramingError` (and the framer stays failed); with `resync=True` the
    framer drops bytes until the next plausible header and carries on.
    """

    def __init__(self, *, resync: bool = False) -> None:
        self._buf = bytearray()
        self._offset = 0  # stream offset of _buf[0]
        self._resync = resync
        self._failed: FramingError | None = None
        self._hunting = False  # skipping bytes until a plausible header
        self.stats = FramerStats()

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buf)

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[bytes]:
        if self._failed is not None:
            raise self._failed
        self.stats.bytes_in += len(chunk)
        buf = self._buf
        buf += chunk
        frames: list[bytes] = []
        start = 0
        end = len(buf)
        while end - start >= MIN_FRAME:
            if buf[start] == 0 or (self._hunting and not _plausible(buf, start)):
                if not self._resync:
                    self._failed = FramingError(
                        f"corrupt InSim header (Size {buf[start]}, Type {buf[start + 1]})",
                        self._offset + start,
                        bytes(buf[start : start + 16]),
                    )
                    # Frames completed before the bad header are not lost: they ride on the error.
                    self._failed.frames = frames
                    self.stats.frames += len(frames)
                    del buf[:start]
                    self._offset += start
                    raise self._failed
                if not self._hunting:
                    self._hunting = True
                    self.stats.resyncs += 1
                start += 1
                self.stats.bytes_skipped += 1
                continue
            self._hunting = False
            n = buf[start] * 4
            if end - start < n:
                break
            frames.append(bytes(buf[start : start + n]))
            start += n
        if start:
            del buf[:start]
            self._offset += start
        self.stats.frames += len(frames)
        return frames

    def reset(self) -> None:
        """Forget buffered bytes (after a reconnect the stream starts afresh)."""
        self._buf.clear()
        self._offset = 0
        self._failed = None
        self._hunting = False
