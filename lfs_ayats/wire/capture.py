"""Capture files: everything LFS sent (and we sent it), with timing, so a session replays exactly.

Layout (little-endian), append-only:

    b"LFSAYCAP"  u16 format (1)  u16 header length  header: UTF-8 JSON object
    records:     u32 CRC-32 of the rest of the record  u64 time offset (µs, monotonic)  u8 channel
                 u16 payload length  payload

The CRC comes first so one `zlib.crc32` call covers time, channel, length and payload. A record
reaches the OS as soon as `write()` returns, so a killed recorder loses nothing it was handed; a
record cut short (full disk, power loss) ends reading there with a warning, and a damaged stretch
in the middle is skipped with one: reading goes on at the next whole record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
import mmap
import os
import shutil
import struct
import time
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from enum import IntEnum
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from lfs_ayats import __version__

MAGIC = b"LFSAYCAP"
FORMAT = 1
SUFFIX = ".lfscap"
MAX_PAYLOAD = 0xFFFF

_FILE_HEAD = struct.Struct("<8sHH")
_RECORD = struct.Struct("<IQBH")  # crc, t_us, channel, length
_AFTER_CRC = struct.Struct("<QBH")
_GZIP_MAGIC = b"\x1f\x8b"
# A sparse index keeps a long file's index small; seeking then walks at most this many headers.
INDEX_STRIDE = 64

# IS_ISI, from the packet grammar (lfs_ayats/packets/insim.py): Type 1, Admin is bytes 12..28.
# Kept here so recording never has to load the grammar; tests check them against it.
_ISP_ISI = 1
_ADMIN = slice(12, 28)
# Header keys that could hold the admin password: never written.
_SECRET_KEYS = frozenset({"admin", "admin_password", "password", "pass"})


class Channel(IntEnum):
    """Where a record's bytes came from."""

    MARKER = 0  # a JSON note of ours: {"event": "connected"}, {"event": "disconnected", ...}, header updates
    INSIM_TCP = 1  # one InSim frame received over TCP
    INSIM_UDP = 2  # one InSim datagram received over UDP
    OUTGAUGE = 3  # one OutGauge datagram
    OUTSIM = 4  # one OutSim datagram
    SENT = 5  # InSim bytes we sent to LFS (IS_ISI's Admin masked)


_CHANNELS = tuple(Channel)
_STREAMS = frozenset({Channel.INSIM_TCP, Channel.SENT})  # byte streams: long payloads may be split


class CaptureError(Exception):
    """A capture cannot be written or read: one line naming the file, with a hint."""


class CaptureRecord(NamedTuple):
    """One record: seconds since the capture started, its channel, its bytes."""

    t: float
    channel: Channel
    data: bytes


def mask_admin(data: bytes) -> bytes:
    """`data` with the Admin password of every IS_ISI frame in it zeroed (lengths kept)."""
    out: bytearray | None = None
    i, n = 0, len(data)
    while i + 1 < n:
        size = data[i] * 4
        if size == 0:
            break
        if data[i + 1] == _ISP_ISI and i + _ADMIN.start < n:
            if out is None:
                out = bytearray(data)
            end = min(i + _ADMIN.stop, n)
            out[i + _ADMIN.start : end] = bytes(end - i - _ADMIN.start)
        i += size
    return data if out is None else bytes(out)


def _clean_header(header: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in header.items() if k.lower() not in _SECRET_KEYS}


def _json(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _os_problem(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


# -- writing -------------------------------------------------------------------------------------------


class CaptureWriter:
    """Append records to a new capture file.

    Every `write()` hands its record to the OS before returning (measured: under 1 µs a record,
    nothing at LFS's rates), so SIGKILL loses nothing; `fsync_interval` also forces the data to
    disk that often (power-loss safety, at the price of a possible stall). Not thread-safe.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        header: Mapping[str, Any] | None = None,
        *,
        overwrite: bool = False,
        fsync_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._fsync_interval = fsync_interval
        self._error: CaptureError | None = None
        self._last_us = 0
        self.records_written = 0
        now = time.time()
        self.header: dict[str, Any] = {
            "format": FORMAT,
            "started_at": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="milliseconds"),
            "started_unix": now,
            "source": "live",
            "lfs_version": None,
            "app": f"lfs-ayats {__version__}",
            **_clean_header(header or {}),
        }
        self.header["format"] = FORMAT
        head = _json(self.header)
        if len(head) > 0xFFFF:
            raise CaptureError(f"{self.path}: the capture header is {len(head)} bytes, the limit is 65535")
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0) | (os.O_TRUNC if overwrite else os.O_EXCL)
        try:
            self._fd: int | None = os.open(self.path, flags, 0o644)
        except FileExistsError:
            raise CaptureError(f"{self.path} already exists: captures are never overwritten; "
                               "choose another name or allow overwriting") from None
        except OSError as exc:
            raise CaptureError(f"{self.path}: cannot create the capture: {_os_problem(exc)}") from None
        self._start = clock()
        self._last_sync = self._start
        self.bytes_written = 0
        self._append(_FILE_HEAD.pack(MAGIC, FORMAT, len(head)) + head)

    @property
    def closed(self) -> bool:
        return self._fd is None

    def elapsed(self) -> float:
        """Seconds since the capture started, by the writer's clock."""
        return self._clock() - self._start

    def write(self, channel: Channel, data: bytes | bytearray | memoryview, t: float | None = None) -> float:
        """Append one record (now, or at offset `t` seconds) and return its time offset."""
        channel = Channel(channel)  # ValueError for a channel this format does not have
        t_us = round((self._clock() - self._start if t is None else t) * 1e6)
        if t_us < self._last_us:
            if t is not None:
                raise ValueError(f"time offsets must not go backwards ({t} s after {self._last_us / 1e6} s)")
            t_us = self._last_us  # a clock that stepped back: keep the file ordered
        payload = bytes(data)
        if channel == Channel.SENT:
            payload = mask_admin(payload)
        if len(payload) > MAX_PAYLOAD:
            if channel not in _STREAMS:
                raise ValueError(f"a {Channel(channel).name} record of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
            chunks = [payload[i : i + MAX_PAYLOAD] for i in range(0, len(payload), MAX_PAYLOAD)]
        else:
            chunks = [payload]
        out = b"".join(_record(t_us, channel, chunk) for chunk in chunks)
        self._append(out)
        self._last_us = t_us
        self.records_written += len(chunks)
        if self._fsync_interval is not None and self._clock() - self._last_sync >= self._fsync_interval:
            self._sync()
        return t_us / 1e6

    def marker(self, event: str, t: float | None = None, **info: Any) -> float:
        """A MARKER record: {"event": event, **info} as JSON (gaps, reconnects, notes)."""
        return self.write(Channel.MARKER, _json({"event": event, **_clean_header(info)}), t)

    def update_header(self, **fields: Any) -> float:
        """Header fields learnt after the start (lfs_version from IS_VER...): readers merge them."""
        fields = _clean_header(fields)
        fields.pop("format", None)
        self.header.update(fields)
        return self.marker("header", **fields)

    def _append(self, out: bytes) -> None:
        if self._error is not None:
            raise self._error
        if self._fd is None:
            raise CaptureError(f"{self.path}: the capture is closed")
        done = 0
        try:
            while done < len(out):
                done += os.write(self._fd, out[done:] if done else out)
        except OSError as exc:
            # Cut the partial record off so the file ends on a whole record.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self.bytes_written)
            self._error = CaptureError(f"{self.path}: cannot write the capture: {_os_problem(exc)}; "
                                       "records written before are kept")
            raise self._error from None
        self.bytes_written += done

    def _sync(self) -> None:
        if self._fd is None:
            return
        try:
            os.fsync(self._fd)
        except OSError as exc:
            self._error = CaptureError(f"{self.path}: cannot save the capture to disk: {_os_problem(exc)}")
            raise self._error from None
        self._last_sync = self._clock()

    def close(self) -> None:
        """Force the file to disk and close it (again is harmless)."""
        if self._fd is None:
            return
        try:
            if self._error is None:
                self._sync()
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _record(t_us: int, channel: int, payload: bytes) -> bytes:
    body = _AFTER_CRC.pack(t_us, channel, len(payload)) + payload
    return struct.pack("<I", zlib.crc32(body)) + body


# -- reading -------------------------------------------------------------------------------------------


class CaptureReader:
    """Read a capture (plain, or gzip from `compress`): header, records, an index for seeking.

    Opening scans the file once (headers and checksums, not decoding), so `len()`, `duration`,
    `.warnings` and the merged `.header` are known at once and `records(start=...)` seeks.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.warnings: list[str] = []
        self.compressed = False
        self._closed = False
        self._mmap: mmap.mmap | None = None
        self._buf: bytes | mmap.mmap = self._load()
        self.format, self.header, self._data_start = self._parse_head()
        self._scan()

    def _load(self) -> bytes | mmap.mmap:
        try:
            with open(self.path, "rb") as f:
                if f.read(2) == _GZIP_MAGIC:
                    f.seek(0)
                    self.compressed = True
                    return self._gunzip(f.read())
                if os.fstat(f.fileno()).st_size == 0:
                    raise CaptureError(f"{self.path} is empty: the recorder stopped before writing anything")
                self._mmap = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                return self._mmap
        except OSError as exc:
            raise CaptureError(f"{self.path}: cannot read the capture: {_os_problem(exc)}") from None

    def _gunzip(self, raw: bytes) -> bytes:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(raw)
        except zlib.error as exc:
            raise CaptureError(f"{self.path} is a damaged compressed capture ({exc})") from None
        if not inflater.eof:
            self.warnings.append(f"{self.path}: the compressed data is cut short; reading what is there")
        return data

    def _parse_head(self) -> tuple[int, dict[str, Any], int]:
        buf = self._buf
        if len(buf) < _FILE_HEAD.size or bytes(buf[:8]) != MAGIC:
            raise CaptureError(f"{self.path} is not an lfs-ayats capture (it starts {bytes(buf[:8])!r}, "
                               f"not {MAGIC!r}): open a file lfs-ayats recorded")
        _, version, hlen = _FILE_HEAD.unpack_from(buf)
        if version > FORMAT:
            raise CaptureError(f"{self.path} was written by a newer lfs-ayats (capture format {version}); "
                               f"this version reads up to {FORMAT}: upgrade lfs-ayats to read it")
        start = _FILE_HEAD.size + hlen
        if len(buf) < start:
            raise CaptureError(f"{self.path} is a damaged capture: its header is cut short")
        try:
            header = json.loads(bytes(buf[_FILE_HEAD.size : start]))
        except ValueError:
            header = None
        if not isinstance(header, dict) or version < 1:
            raise CaptureError(f"{self.path} is a damaged capture: its header is not readable")
        return version, header, start

    def _scan(self) -> None:
        buf, size, off = self._buf, len(self._buf), self._data_start
        unpack, crc32 = _RECORD.unpack_from, zlib.crc32
        index_off, index_t = array("Q"), array("Q")
        markers: list[int] = []
        segments: list[tuple[int, int]] = []  # runs of whole records, from one damaged stretch to the next
        count = last_t = 0
        start = off
        with memoryview(buf) as view:
            while off < size:
                problem = None
                if size - off < _RECORD.size:
                    problem = "the last record is cut short"
                else:
                    crc, t, ch, n = unpack(buf, off)
                    end = off + _RECORD.size + n
                    if end > size:
                        problem = f"record {count} runs past the end of the file: cut short, or its length is damaged"
                    elif crc32(view[off + 4 : end]) != crc:
                        problem = f"record {count} fails its checksum: the file is damaged there or cut short"
                    elif ch >= len(_CHANNELS) or t < last_t:
                        problem = f"record {count} is not valid in capture format {self.format}"
                if problem is None:
                    if count % INDEX_STRIDE == 0:
                        index_off.append(off)
                        index_t.append(t)
                    if ch == 0:
                        markers.append(off)
                    count += 1
                    last_t = t
                    off = end
                    continue
                if off > start:
                    segments.append((start, off))
                # What follows a damaged stretch is still worth reading: find the next whole record.
                resume = _next_record(buf, view, off + 1, last_t)
                if resume is None:
                    self.warnings.append(f"{self.path}: dropped {size - off} bytes from offset {off} ({problem}); "
                                         f"read {count} whole records")
                    break
                self.warnings.append(f"{self.path}: dropped {resume - off} bytes from offset {off} ({problem}); "
                                     f"read on from offset {resume}")
                start = off = resume
                index_off.append(off)  # a stretch begins here: seeking must not walk into the damage
                index_t.append(unpack(buf, off)[1])
        if off > start:
            segments.append((start, off))
        self._count, self._last_t, self._segments = count, last_t, segments
        self._end = segments[-1][1] if segments else self._data_start
        self._index_off, self._index_t = index_off, index_t
        self._markers = [self._record_at(o) for o in markers]
        for rec in self._markers:
            note = self._marker_json(rec)
            if note.get("event") == "header":
                self.header.update({k: v for k, v in note.items() if k not in ("event", "format")})

    def _record_at(self, off: int) -> CaptureRecord:
        t, ch, n = _AFTER_CRC.unpack_from(self._buf, off + 4)
        return CaptureRecord(t / 1e6, _CHANNELS[ch], bytes(self._buf[off + _RECORD.size : off + _RECORD.size + n]))

    def _marker_json(self, record: CaptureRecord) -> dict[str, Any]:
        try:
            return parse_marker(record)
        except ValueError:
            self.warnings.append(f"{self.path}: a marker at {record.t:.3f} s is not readable JSON; ignored")
            return {}

    def __len__(self) -> int:
        return self._count

    @property
    def duration(self) -> float:
        """Seconds from the start of the capture to its last whole record."""
        return self._last_t / 1e6

    @property
    def size(self) -> int:
        """Bytes of capture data (after decompression)."""
        return len(self._buf)

    def markers(self) -> list[tuple[float, dict[str, Any]]]:
        """Every MARKER record as (seconds, its JSON object)."""
        return [(rec.t, parse_marker(rec)) for rec in self._markers if _parses(rec)]

    def offset_of(self, seconds: float) -> int:
        """The file offset of the first record at or after `seconds` (the end if none)."""
        target = max(0, round(seconds * 1e6))
        i = bisect_left(self._index_t, target)
        # Equal times can straddle index entries: start from the entry before the first match.
        off = self._data_start if i == 0 else self._index_off[i - 1]
        buf, unpack = self._buf, _AFTER_CRC.unpack_from
        for start, stop in self._segments:
            if stop <= off:
                continue
            off = max(off, start)
            while off < stop:
                t, _, n = unpack(buf, off + 4)
                if t >= target:
                    return off
                off += _RECORD.size + n
        return self._end

    def records(self, start: float = 0.0, end: float | None = None) -> Iterator[CaptureRecord]:
        """Records from the first at or after `start` seconds up to (not including) `end`."""
        if self._closed:
            raise CaptureError(f"{self.path}: the capture is closed")
        return self._iter(self.offset_of(start) if start > 0 else self._data_start,
                          None if end is None else round(end * 1e6))

    def _iter(self, off: int, end_us: int | None) -> Iterator[CaptureRecord]:
        buf, unpack, channels = self._buf, _AFTER_CRC.unpack_from, _CHANNELS
        new, cls, head = tuple.__new__, CaptureRecord, _RECORD.size
        for start, stop in self._segments:
            if stop <= off:
                continue
            off = max(off, start)
            while off < stop:
                t, ch, n = unpack(buf, off + 4)
                if end_us is not None and t >= end_us:
                    return
                off += head
                yield new(cls, (t / 1e6, channels[ch], buf[off : off + n]))
                off += n

    def __iter__(self) -> Iterator[CaptureRecord]:
        return self.records()

    def close(self) -> None:
        if self._mmap is not None:
            self._mmap.close()
            self._mmap = None
        self._buf = b""
        self._end = 0
        self._closed = True

    def __enter__(self) -> CaptureReader:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


RESYNC_MAX_STEP_US = 24 * 3600 * 10**6  # a record after damage is at most a day after the last good one
_RESYNC_CHUNK = 1 << 22


def _next_record(buf: bytes | mmap.mmap, view: memoryview, start: int, last_t: int) -> int | None:
    """The offset of the first whole record at or after `start` (its checksum right, its channel
    known, its time not before `last_t`), or None. numpy finds the candidates a few MB at a time."""
    import numpy as np  # only a damaged capture needs it

    size, head = len(buf), _RECORD.size
    pos = start
    while pos + head <= size:
        stop = min(size - head + 1, pos + _RESYNC_CHUNK)  # candidates pos .. stop-1
        count = stop - pos
        raw = np.frombuffer(buf, dtype=np.uint8, count=count + head - 1, offset=pos)
        t = np.ndarray((count,), dtype="<u8", buffer=raw, offset=4, strides=(1,))
        ch = raw[12 : 12 + count]
        n = np.ndarray((count,), dtype="<u2", buffer=raw, offset=13, strides=(1,))
        ends = np.arange(pos, stop, dtype=np.int64) + head + n
        ok = (ch < len(_CHANNELS)) & (t >= last_t) & (t - last_t <= RESYNC_MAX_STEP_US) & (ends <= size)
        for i in np.flatnonzero(ok).tolist():
            off = pos + i
            crc = int.from_bytes(view[off : off + 4], "little")
            if zlib.crc32(view[off + 4 : int(ends[i])]) == crc:
                return off
        pos = stop
    return None


def parse_marker(record: CaptureRecord) -> dict[str, Any]:
    """A MARKER record's JSON object (ValueError if it is not one)."""
    note = json.loads(record.data)
    if not isinstance(note, dict):
        raise ValueError("a marker is not a JSON object")
    return note


def _parses(record: CaptureRecord) -> bool:
    try:
        parse_marker(record)
    except ValueError:
        return False
    return True


# -- compression of finished files -----------------------------------------------------------------


def compress(path: str | os.PathLike[str], *, level: int = 6, remove: bool = True) -> Path:
    """Gzip a finished capture to `<path>.gz` (readers open it as is) and return the new path.

    The original is removed only once the compressed copy is complete and on disk, so a crash
    part-way leaves the original intact (and at worst a stray `.gz.part`).
    """
    src = Path(path)
    with CaptureReader(src) as reader:  # refuse to compress something that is not a capture
        if reader.compressed:
            raise CaptureError(f"{src} is already compressed")
    dst = src.with_name(src.name + ".gz")
    part = dst.with_name(dst.name + ".part")
    try:
        with open(src, "rb") as fin, open(part, "wb") as raw:
            with gzip.GzipFile(filename=src.name, mode="wb", fileobj=raw, compresslevel=level, mtime=0) as gz:
                shutil.copyfileobj(fin, gz, 1 << 20)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(part, dst)
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        raise CaptureError(f"{src}: cannot compress the capture: {_os_problem(exc)}") from None
    if remove:
        src.unlink()
    return dst
