"""Tests for the LFS string codec."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lfs_ayats.packets.text import (
    LANGUAGE_IDS,
    car_bytes,
    car_name,
    decode,
    encode,
    escape,
    plain,
    strip_colours,
    to_rich,
    unescape,
)

# --- decode: code pages --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Caf\xe9 \x80", "Café €"),  # starts in cp1252
        (b"^E\xd8idi\xe8", "Řidič"),  # Czech, cp1250
        (b"^TT\xfcrk\xe7e", "Türkçe"),  # cp1254
        (b"^BLietuvi\xf8", "Lietuvių"),  # cp1257
        (b"^J\x83e\x83X\x83g", "テスト"),  # cp932
        (b"^C\xcf\xf0\xe8\xe2\xe5\xf2", "Привет"),  # cp1251
        (b"^G\xc5\xeb\xeb\xe7\xed\xe9\xea\xdc", "Ελληνικά"),  # cp1253
        (b"^H\xc1c\xc5\xe9\xa4\xa4\xa4\xe5", "繁體中文"),  # cp950 Big5
        (b"^S\xbc\xf2\xcc\xe5\xd6\xd0\xce\xc4", "简体中文"),  # cp936 GBK
        (b"^K\xc7\xd1\xb1\xb9\xbe\xee", "한국어"),  # cp949
    ],
)
def test_decode_each_code_page(raw: bytes, expected: str) -> None:
    assert decode(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"^J\x83^1", "タ1"),  # cp932 trail byte 0x5E is not a colour code
        (b"^J\x83^^1", "タ^1"),  # ... and the caret after it is
        (b"^J\x83\\", "ソ"),  # trail byte 0x5C, the classic "dame-moji"
        (b"^H\xad^\xa4\xe5", "英文"),  # Big5 trail 0x5E
        (b"^S\x8a^\xb6\xb7", "奮斗"),  # GBK trail 0x5E
        (b"^J\x83^L", "タL"),  # a trail byte followed by a page letter
    ],
)
def test_decode_double_byte_trail_is_not_a_caret(raw: bytes, expected: str) -> None:
    assert decode(raw) == expected


def test_decode_switches_mid_string() -> None:
    assert decode(b"ab^C\xe6^Lc\xe6") == "abжcæ"


def test_decode_eight_resets_code_page_and_stays_as_colour() -> None:
    assert decode(b"^1^C\xe6^8\xe6") == "^1ж^8æ"


def test_decode_eight_returns_to_the_starting_page() -> None:
    assert decode(b"\xe6^E\xf8^8\xe6", codepage="C") == "жř^8ж"
    assert decode(b"\x83^", codepage="J") == "タ"


def test_decode_keeps_markup() -> None:
    assert decode(b"^1Red^7 ^vbar^^1") == "^1Red^7 ^vbar^^1"


def test_decode_caret_caret_before_page_letter_is_literal() -> None:
    assert decode(b"^^C\xe6") == "^^Cæ"


def test_decode_lone_caret_at_end() -> None:
    assert decode(b"abc^") == "abc^"
    assert decode(b"^C\xe6^") == "ж^"


def test_decode_unknown_code_page_argument() -> None:
    with pytest.raises(ValueError):
        decode(b"x", codepage="X")


def test_language_ids() -> None:
    assert LANGUAGE_IDS == ("L", "E", "T", "B", "J", "C", "G", "H", "S", "K")


# --- decode: NUL handling and robustness -------------------------------------


def test_decode_cuts_at_first_nul_ignoring_junk() -> None:
    assert decode(b"- 21 -\x00p") == "- 21 -"
    assert decode(b"^C\xe6\x00^J\x83") == "ж"


def test_decode_full_field_without_nul() -> None:
    assert decode(b"ABCDEFGH") == "ABCDEFGH"
    assert decode(b"X" * 24) == "X" * 24


def test_decode_empty() -> None:
    assert decode(b"") == ""
    assert decode(b"\x00\x00\x00\x00") == ""


def test_decode_accepts_bytearray_and_memoryview() -> None:
    assert decode(bytearray(b"^C\xe6\x00")) == "ж"
    assert decode(memoryview(b"abc\x00")) == "abc"


def test_decode_undefined_cp1252_bytes_are_c1() -> None:
    assert decode(b"\x81\x8d\x8f\x90\x9d") == "\x81\x8d\x8f\x90\x9d"


def test_decode_invalid_double_byte_is_replaced() -> None:
    # cp949 has no character 0x81 0x5E: both bytes become one U+FFFD, and the
    # 0x5E is still not a caret.
    assert decode(b"^K\x81^1") == "\ufffd1"
    assert decode(b"^J\x83") == "\ufffd"  # lead byte cut off by the end
    assert decode(b"^G\xaa") == "\ufffd"  # undefined, not in the C1 range


@settings(max_examples=300)
@given(st.binary(max_size=64), st.sampled_from(LANGUAGE_IDS))
def test_decode_never_raises(raw: bytes, page: str) -> None:
    result = decode(raw, page)
    assert "\x00" not in result


@given(st.binary(max_size=64).filter(lambda b: b"\x00" not in b))
def test_decode_ignores_anything_after_nul(raw: bytes) -> None:
    assert decode(raw + b"\x00" + raw) == decode(raw)


# --- encode ----------------------------------------------------------------------


def test_encode_ascii_has_no_switches_and_no_nul() -> None:
    assert encode("Hello ^1world") == b"Hello ^1world"


def test_encode_switches_only_when_needed() -> None:
    assert encode("Řidič") == b"^E\xd8idi\xe8"
    assert encode("жж ж") == b"^C\xe6\xe6 \xe6"
    assert encode("Café Привет") == b"Caf\xe9 ^C\xcf\xf0\xe8\xe2\xe5\xf2"


def test_encode_eight_returns_to_default_page() -> None:
    assert encode("ж^8ж") == b"^C\xe6^8^C\xe6"


def test_encode_prefers_page_covering_the_most_text() -> None:
    # The first character is in cp932 too, but the second is GBK only.
    assert encode("我们") == b"^S" + "我们".encode("cp936")


def test_encode_minimises_bytes() -> None:
    # cp932 has Cyrillic too, but at two bytes a letter; one more switch is cheaper.
    cyrillic, japanese = "Привет".encode("cp1251"), "テスト".encode("cp932")
    assert encode("Привет テスト") == b"^C" + cyrillic + b" ^J" + japanese


def test_encode_stays_in_current_page_when_it_can() -> None:
    assert encode("ソж") == b"^J" + "ソж".encode("cp932")


@pytest.mark.parametrize("page", ["L", "E", "T", "B", "C", "G"])
def test_every_single_byte_character_round_trips(page: str) -> None:
    raw = b"^" + page.encode() + bytes(b for b in range(0x20, 0x100) if b != 0x5E)
    decoded = decode(raw).replace("\ufffd", "")
    assert decode(encode(decoded)) == decoded


def test_encode_unrepresentable_becomes_question_mark() -> None:
    assert encode("a😀b") == b"a?b"
    assert encode("a\x00b") == b"a?b"


def test_encode_c1_control_round_trips() -> None:
    assert encode("\x81") == b"\x81"
    assert decode(encode("\x81\x9d")) == "\x81\x9d"


def test_encode_caret_before_page_letter_is_literal() -> None:
    assert encode("^L") == b"^^L"


def test_encode_lone_caret_before_switch() -> None:
    # The switch has to come before the caret, not between it and the char.
    assert encode("^ж") == b"^C^\xe6"
    assert decode(encode("^ж")) == "^ж"
    assert encode("a^") == b"a^"


def test_encode_size_pads_and_terminates() -> None:
    assert encode("abc", size=8) == b"abc\x00\x00\x00\x00\x00"
    assert encode("abcdefgh", size=8) == b"abcdefg\x00"
    assert encode("", size=1) == b"\x00"


def test_encode_size_never_splits_double_byte() -> None:
    # "^J" + 3 x 2 bytes = 8 bytes; only 7 fit before the NUL.
    assert encode("テスト", size=8) == b"^J\x83e\x83X\x00\x00"
    assert encode("xテ", size=4) == b"x\x00\x00\x00"


def test_encode_size_never_splits_markup() -> None:
    assert encode("ab^1", size=4) == b"ab\x00\x00"
    assert encode("ab^^", size=4) == b"ab\x00\x00"


def test_encode_size_must_leave_room_for_nul() -> None:
    with pytest.raises(ValueError):
        encode("a", size=0)


# --- round trips -------------------------------------------------------------------

_REPRESENTABLE = (
    'abcXYZ 019-_.,|*:\\/?"<>#~'  # ASCII, including characters that need escapes
    "éüñßÀ€£©"  # Latin-1
    "řčšžŁőĂ"  # Central European
    "ğıŞİ"  # Turkish
    "ąėųĀŅ"  # Baltic
    "жЖпрёЁ"  # Cyrillic
    "αβΩΣά"  # Greek
    "テストソタかな日本"  # Japanese (trail bytes 0x5C and 0x5E included)
    "英文體國"  # Traditional Chinese
    "我们简体奮"  # Simplified Chinese
    "한국어가"  # Korean
)
_MARKUP = ["^0", "^1", "^7", "^8", "^9", "^^", "^v", "^h", "^x", "^ж", "^テ"]
_lfs_text = st.lists(st.sampled_from(list(_REPRESENTABLE)) | st.sampled_from(_MARKUP), max_size=30).map(
    "".join
)


@given(_lfs_text)
def test_round_trip_text(s: str) -> None:
    assert decode(encode(s)) == s


@given(_lfs_text, st.integers(min_value=1, max_value=40))
def test_round_trip_sized_is_a_prefix(s: str, size: int) -> None:
    raw = encode(s, size=size)
    assert len(raw) == size
    assert raw[-1] == 0
    assert s.startswith(decode(raw))


@given(_lfs_text)
def test_reencoding_decoded_bytes_is_stable(s: str) -> None:
    raw = encode(s)
    assert encode(decode(raw)) == raw


@given(st.binary(max_size=48), st.sampled_from(LANGUAGE_IDS))
def test_decode_encode_decode_is_a_fixed_point(raw: bytes, page: str) -> None:
    once = decode(raw, page)
    again = decode(encode(once))
    # Replacement characters are the only thing LFS cannot send back.
    if "\ufffd" not in once:
        assert again == once


# --- colours and escapes -----------------------------------------------------------


def test_strip_colours() -> None:
    assert strip_colours("^1Red^7White^8^9") == "RedWhite"
    assert strip_colours("^^1 stays") == "^^1 stays"
    assert strip_colours("^^^1x") == "^^x"
    assert strip_colours("plain") == "plain"


@pytest.mark.parametrize(
    ("code", "char"),
    [
        ("^v", "|"),
        ("^a", "*"),
        ("^c", ":"),
        ("^d", "\\"),
        ("^s", "/"),
        ("^q", "?"),
        ("^t", '"'),
        ("^l", "<"),
        ("^r", ">"),
        ("^h", "#"),
        ("^^", "^"),
    ],
)
def test_every_escape(code: str, char: str) -> None:
    assert unescape(f"a{code}b") == f"a{char}b"
    assert escape(char) == code


def test_unescape_leaves_unknown_and_colours() -> None:
    assert unescape("^x^1^") == "^x^1^"
    assert unescape("^^v") == "^v"


def test_plain() -> None:
    assert plain("^1Admin^8: pass ^^1 ^vok^v") == "Admin: pass ^1 |ok|"
    assert plain(decode(b"^7[^3LFS^7] ^C\xe6^h")) == "[LFS] ж#"


@given(st.text(max_size=40))
def test_unescape_inverts_escape(s: str) -> None:
    assert unescape(escape(s)) == s
    assert plain(escape(s)) == s


def test_to_rich_spans() -> None:
    rich_text = to_rich("^1Red^2Green^8 plain^^1^v")
    assert rich_text.plain == "RedGreen plain^1|"
    spans = [(s.start, s.end, str(s.style)) for s in rich_text.spans]
    assert spans == [(0, 3, "red"), (3, 8, "bright_green")]


def test_to_rich_colour_table() -> None:
    styles = [str(to_rich(f"^{d}x").spans[0].style) for d in range(8)]
    assert styles == ["black", "red", "bright_green", "yellow", "blue", "magenta", "cyan", "white"]
    assert to_rich("^9x").spans == []


def test_module_does_not_import_rich() -> None:
    code = "import sys, lfs_ayats.packets.text; print('rich' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert result.stdout.strip() == b"False"


# --- car names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        (b"XRT\x00", "XRT"),
        (b"FZ5\x00", "FZ5"),
        (b"\xc9\x2d\x94\x00", "942DC9"),
        (b"\x2e\xf1\xdb\x00", "DBF12E"),
        (b"\x00\x00\x00\x00", ""),
    ],
)
def test_car_name_and_bytes(raw: bytes, name: str) -> None:
    assert car_name(raw) == name
    assert car_bytes(name) == raw


@given(st.binary(min_size=3, max_size=3))
def test_car_bytes_inverts_car_name(skin: bytes) -> None:
    raw = skin + b"\x00"
    assert car_bytes(car_name(raw)) == raw


@pytest.mark.parametrize("bad", ["XR", "XRTX", "ZZZZZZ", "X-T", "ЖЖЖ", "AB CD ", "12_345", "+12345"])
def test_car_bytes_rejects_garbage(bad: str) -> None:
    with pytest.raises(ValueError):
        car_bytes(bad)
