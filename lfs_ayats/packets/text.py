"""LFS strings: code pages, colours, escapes and car names.

LFS text is bytes in its own multi-code-page encoding, not UTF-8. ``decode``
turns those bytes into a Python ``str`` that still holds LFS *markup* (colour
codes ``^0``-``^9`` and escapes such as ``^v`` or ``^^``); only the code-page
switches are resolved. ``plain`` and ``to_rich`` turn markup into display
text. ``encode`` goes the other way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from rich.text import Text

__all__ = [
    "CODEPAGES",
    "LANGUAGE_IDS",
    "car_bytes",
    "car_name",
    "decode",
    "encode",
    "escape",
    "plain",
    "strip_colours",
    "to_rich",
    "unescape",
]

#: Code-page switch letter (``^L`` ...) -> Python codec. Not insim.rs's table,
#: which permutes H/S/K.
CODEPAGES: Mapping[str, str] = {
    "L": "cp1252",
    "E": "cp1250",
    "T": "cp1254",
    "B": "cp1257",
    "J": "cp932",
    "C": "cp1251",
    "G": "cp1253",
    "H": "cp950",
    "S": "cp936",
    "K": "cp949",
}

#: Letters indexed by LFS language id, e.g. ``LANGUAGE_IDS[mso.MSOData & 0x0F]``.
LANGUAGE_IDS: tuple[str, ...] = tuple(CODEPAGES)

_CARET = 0x5E
_EIGHT = 0x38
_PAGE_BY_BYTE = {ord(letter): letter for letter in CODEPAGES}

# Lead bytes as LFS (Windows) sees them; a lead always swallows the next byte,
# even when that byte is 0x5E, so a trail byte is never read as a caret.
_LEADS: dict[str, frozenset[int]] = {letter: frozenset() for letter in CODEPAGES}
_LEADS["J"] = frozenset([*range(0x81, 0xA0), *range(0xE0, 0xFD)])
_LEADS["H"] = _LEADS["S"] = _LEADS["K"] = frozenset(range(0x81, 0xFF))

# Python leaves some bytes of the Windows single-byte pages undefined. Windows
# maps the 0x80-0x9F ones to C1 controls; we do the same and give U+FFFD for
# the rest, so decoding never fails.
_UNDEFINED = {0xDC00 + b: chr(b) if b < 0xA0 else "\ufffd" for b in range(0x80, 0x100)}

_COLOUR_OR_CARET = re.compile(r"\^[\^0-9]")
_MARKUP = re.compile(r"\^(.)", re.DOTALL)

_UNESCAPES = {
    "v": "|",
    "a": "*",
    "c": ":",
    "d": "\\",
    "s": "/",
    "q": "?",
    "t": '"',
    "l": "<",
    "r": ">",
    "h": "#",
    "^": "^",
}
_ESCAPES = str.maketrans({char: "^" + code for code, char in _UNESCAPES.items()})

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")

_RICH_COLOURS = {
    "0": "black",
    "1": "red",
    "2": "bright_green",
    "3": "yellow",
    "4": "blue",
    "5": "magenta",
    "6": "cyan",
    "7": "white",
    "8": "",
    "9": "",
}


# --- decoding ---------------------------------------------------------------


def decode(raw: bytes | bytearray | memoryview, codepage: str = "L") -> str:
    """Decode an LFS string field to ``str``, keeping colour and escape markup.

    Stops at the first NUL. ``codepage`` is the starting page letter (and the
    page ``^8`` returns to). Never raises on any bytes.
    """
    if codepage not in CODEPAGES:
        raise ValueError(f"unknown LFS code page {codepage!r}")
    raw = bytes(raw)  # no copy for bytes; lru_cache needs something hashable
    end = raw.find(0)
    if end >= 0:
        raw = raw[:end]
    if raw.isascii() and _CARET not in raw:
        return raw.decode("ascii")
    if len(raw) <= 256:
        return _decode_cached(raw, codepage)
    return _decode_markup(raw, codepage)


@lru_cache(maxsize=4096)
def _decode_cached(raw: bytes, codepage: str) -> str:
    # OutGauge repeats the same Car/Display bytes many times a second.
    return _decode_markup(raw, codepage)


def _decode_markup(raw: bytes, default: str) -> str:
    """Split ``raw`` at code-page switches and decode each run in its page."""
    parts: list[str] = []
    page = default
    start = i = 0
    n = len(raw)
    while i < n:
        byte = raw[i]
        if byte == _CARET and i + 1 < n:
            nxt = raw[i + 1]
            if nxt in _PAGE_BY_BYTE or nxt == _EIGHT:
                parts.append(_decode_run(raw[start:i], page))
                if nxt == _EIGHT:
                    parts.append("^8")
                    page = default
                else:
                    page = _PAGE_BY_BYTE[nxt]
                i += 2
                start = i
                continue
            # Step over "^^" as a pair so that "^^L" is a literal "^L".
            i += 2 if nxt == _CARET else 1
        elif byte in _LEADS[page]:
            i += 2
        else:
            i += 1
    parts.append(_decode_run(raw[start:], page))
    return "".join(parts)


def _decode_run(run: bytes, page: str) -> str:
    """Decode bytes that are all in one code page, without ever failing."""
    if run.isascii():
        return run.decode("ascii")
    codec = CODEPAGES[page]
    try:
        return run.decode(codec)
    except UnicodeDecodeError:
        pass
    leads = _LEADS[page]
    if not leads:
        return run.decode(codec, "surrogateescape").translate(_UNDEFINED)
    # Python's codecs resynchronise after a bad byte differently from LFS, so
    # walk the characters ourselves and replace each bad one as a whole.
    chars: list[str] = []
    i = 0
    while i < len(run):
        width = 2 if run[i] in leads else 1
        try:
            chars.append(run[i : i + width].decode(codec))
        except UnicodeDecodeError:
            chars.append("\ufffd")
        i += width
    return "".join(chars)


# --- encoding ---------------------------------------------------------------

# Tie-break order when choosing a page: single-byte pages first, because
# cp932/cp936/... also contain Cyrillic and Greek, at two bytes a letter.
_SEARCH_ORDER = "LETBCGJHSK"

# An encoding unit: fixed bytes (options None), or a character with its
# encodings per page, preceded by `data` (a lone "^") after any switch.
_Token: TypeAlias = tuple[bytes, Mapping[str, bytes] | None]


def encode(text: str, size: int | None = None, codepage: str = "L") -> bytes:
    """Encode ``str`` with LFS markup to LFS bytes, inserting code-page switches.

    Pages are chosen to keep the result short (which also means staying in
    the current page when it can). Characters no page can represent become
    ``?``. A ``^`` before a code-page letter is sent as a literal caret
    (``^^``): switches are the encoder's business. With ``size``, the result
    is NUL-padded to exactly ``size`` bytes, keeping at least one NUL and
    never splitting a character or escape. Without it, no NUL is added.
    ``codepage`` is the page the receiver starts in (IS_MSO's MSOData), as
    for ``decode``.
    """
    if size is not None and size < 1:
        raise ValueError("size must leave room for a NUL terminator")
    if text.isascii() and "^" not in text and "\0" not in text:
        data = text.encode("ascii")
        return data if size is None else data[: size - 1].ljust(size, b"\0")
    chunks = _encode_chunks(text, codepage)
    if size is None:
        return b"".join(chunks)
    out = bytearray()
    for chunk in chunks:
        if len(out) + len(chunk) > size - 1:
            break
        out += chunk
    return bytes(out.ljust(size, b"\0"))


def _encode_chunks(text: str, start: str = "L") -> list[bytes]:
    """Encode ``text`` as a list of pieces that must not be split."""
    tokens = list(_tokens(text))
    chunks: list[bytes] = []
    current = start
    for (data, options), page in zip(tokens, _choose_pages(tokens, start), strict=True):
        if options is None:
            chunks.append(data)
            if data == b"^8":
                current = start
            continue
        # The switch goes before a lone caret so the decoder never sees "^^X".
        switch = b"" if page == current else b"^" + page.encode("ascii")
        chunks.append(switch + data + options[page])
        current = page
    return chunks


def _tokens(text: str) -> Iterator[_Token]:
    """Split markup text into encoding units."""
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        nxt = text[i + 1 : i + 2]
        if char == "^" and nxt and not nxt.isascii():
            options = _encodings(nxt)
            yield (b"^", options) if options else (b"^?", None)
            i += 2
        elif char == "^" and nxt and nxt != "\0" and nxt not in CODEPAGES:
            yield b"^" + nxt.encode("ascii"), None
            i += 2
        elif char == "^":
            # At the end, or before a page letter: a literal caret.
            yield (b"^^" if nxt and nxt in CODEPAGES else b"^"), None
            i += 1
        elif char.isascii():
            yield (b"?" if char == "\0" else char.encode("ascii")), None
            i += 1
        else:
            options = _encodings(char)
            yield (b"", options) if options else (b"?", None)
            i += 1


def _choose_pages(tokens: list[_Token], start: str = "L") -> list[str]:
    """Pick a page per token so that the encoded bytes are as few as possible.

    A Viterbi pass over the ten pages: a switch costs two bytes, so staying
    wins ties, and remaining ties go to ``_SEARCH_ORDER``.
    """
    never = 1 << 30
    cost = dict.fromkeys(_SEARCH_ORDER, never)
    cost[start] = 0
    backs: list[dict[str, str] | None] = []
    for data, options in tokens:
        best = min(_SEARCH_ORDER, key=cost.__getitem__)
        if options is None:
            # Fixed bytes cost the same in every page; only ^8 changes state.
            if data == b"^8":
                cost = dict.fromkeys(_SEARCH_ORDER, never)
                cost[start] = 0
                backs.append({start: best})
            else:
                backs.append(None)
            continue
        switch = cost[best] + 2
        new = dict.fromkeys(_SEARCH_ORDER, never)
        back: dict[str, str] = {}
        for page, encoded in options.items():
            stay = cost[page] <= switch
            new[page] = (cost[page] if stay else switch) + len(encoded)
            back[page] = page if stay else best
        cost = new
        backs.append(back)
    page = min(_SEARCH_ORDER, key=cost.__getitem__)
    pages: list[str] = []
    for step in reversed(backs):
        pages.append(page)
        if step is not None:
            page = step[page]
    pages.reverse()
    return pages


@lru_cache(maxsize=8192)
def _encodings(char: str) -> Mapping[str, bytes]:
    """Return ``{page: bytes}`` for every page that round-trips ``char``."""
    found: dict[str, bytes] = {}
    for page, codec in CODEPAGES.items():
        try:
            data = char.encode(codec)
        except UnicodeEncodeError:
            if not (0x80 <= ord(char) < 0xA0 and not _LEADS[page]):
                continue
            data = bytes([ord(char)])  # C1 control in an undefined slot
        # Keep only encodings that read back as this one character.
        width = 2 if data[0] in _LEADS[page] else 1
        if len(data) == width and _decode_run(data, page) == char:
            found[page] = data
    return found


# --- markup -----------------------------------------------------------------


def strip_colours(text: str) -> str:
    """Remove colour codes ``^0``-``^9``; ``^^1`` stays (a literal caret and 1)."""
    if "^" not in text:
        return text
    return _COLOUR_OR_CARET.sub(lambda m: m[0] if m[0] == "^^" else "", text)


def unescape(text: str) -> str:
    """Resolve LFS escapes (``^v`` -> ``|``, ``^^`` -> ``^`` ...); leave others."""
    if "^" not in text:
        return text
    return _MARKUP.sub(lambda m: _UNESCAPES.get(m[1], m[0]), text)


def escape(text: str) -> str:
    """Escape characters LFS treats specially; the inverse of ``unescape``."""
    return text.translate(_ESCAPES)


def plain(text: str) -> str:
    """Return what a person should see: no colours, escapes resolved."""
    return unescape(strip_colours(text))


def to_rich(text: str) -> Text:
    """Convert LFS markup to a Rich ``Text`` with colours as styles."""
    from rich.text import Text  # the packets layer must not need rich

    result = Text()
    style = ""
    pos = 0
    for match in _MARKUP.finditer(text):
        result.append(text[pos : match.start()], style)
        code = match[1]
        if code in _RICH_COLOURS:
            style = _RICH_COLOURS[code]
        else:
            result.append(_UNESCAPES.get(code, match[0]), style)
        pos = match.end()
    result.append(text[pos:], style)
    return result


# --- car names ----------------------------------------------------------------


def car_name(raw: bytes | bytearray | memoryview) -> str:
    """Name a 4-byte ``CName``: ``"XRT"``, a mod SkinID like ``"942DC9"``, or ``""``."""
    raw = bytes(raw[:4]).ljust(4, b"\0")
    if raw == b"\0\0\0\0":
        return ""
    if raw[3] == 0 and raw[:3].isalnum():
        return raw[:3].decode("ascii")
    # The SkinID is little-endian, so the hex reads bytes 2, 1, 0.
    return raw[2::-1].hex().upper()


def car_bytes(name: str) -> bytes:
    """Inverse of ``car_name``: 4 bytes for a car code, mod SkinID or ``""``."""
    if not name:
        return b"\0\0\0\0"
    if len(name) == 3 and name.isascii() and name.isalnum():
        return name.encode("ascii") + b"\0"
    if len(name) == 6 and all(c in _HEX_DIGITS for c in name):
        return bytes.fromhex(name)[::-1] + b"\0"
    raise ValueError(f"not an LFS car code or mod SkinID: {name!r}")
