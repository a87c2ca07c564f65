"""GSM-7 / UCS-2 encoding choice and exact part counting (3GPP TS 23.038).

Pure functions, no I/O. Providers bill per part, so the counts here are money: they follow
the standard as Twilio's segment calculator applies it (see the tests for its vectors).
"""

from __future__ import annotations

import unicodedata

from .errors import EmptyMessageError, EncodingNotAllowedError
from .models import EncodedText, Encoding, TextPolicy

# The basic table in code order, eight rows of 16 (0x1B, the escape, left out of row 0x10).
# 0x09 is capital Ç (lowercase ç is not GSM-7), 0x24 is ¤ ($ is 0x02), 0x5F is §.
_BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

#: the 127 characters of the GSM-7 basic table (0x1B, the escape, excluded)
GSM7_BASIC: frozenset[str] = frozenset(_BASIC_TABLE)
#: the GSM-7 code of each basic-table character (the code 0x1B, the escape, skipped)
GSM7_BASIC_CODES: dict[str, int] = {
    char: index + (index >= 0x1B) for index, char in enumerate(_BASIC_TABLE)
}
#: the extension table and each character's code after the escape (0x1B)
GSM7_EXTENSION_CODES: dict[str, int] = {
    "\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F,
    "[": 0x3C, "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65,
}  # fmt: skip
#: the extension table: each costs two septets (ESC + code)
GSM7_EXTENSION: frozenset[str] = frozenset(GSM7_EXTENSION_CODES)
#: every character a GSM-7 message can carry
GSM7_CHARSET: frozenset[str] = GSM7_BASIC | GSM7_EXTENSION

_GSM7_LIMITS = (160, 153)
_UCS2_LIMITS = (70, 67)

_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_SPACES += "\u202f\u205f\u3000"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"

#: typographic look-alikes and their GSM-7 forms (the "smart encoding" of Twilio and Sinch)
LOOKALIKES: dict[str, str] = {
    **dict.fromkeys("\u2018\u2019\u201a\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2013\u2014\u2012\u2015", "-"),
    "\u2026": "...",
    **dict.fromkeys(_SPACES, " "),
    **dict.fromkeys(_INVISIBLE, ""),
    # fullwidth ASCII forms U+FF01..U+FF5E sit 0xFEE0 above their ASCII twins
    **{chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},
}

#: letters GSM-7 lacks that do not decompose to what French readers expect
_TRANSLITERATIONS: dict[str, str] = {"œ": "oe", "Œ": "OE"}


def encode(
    text: str,
    policy: TextPolicy = TextPolicy.AUTO,
    *,
    charset: frozenset[str] = GSM7_CHARSET,
) -> EncodedText:
    """Apply ``policy`` to ``text``, choose the encoding and count units and parts.

    ``charset`` is what the route carries in its standard (7-bit) mode; a character outside
    it makes the message UCS-2 (``gsm7`` policy: raise ``EncodingNotAllowedError`` naming
    the characters instead). The result's ``replaced`` lists each distinct replaced
    character once, in order of first appearance.

    ``auto`` keeps its replacements only when they make the whole text fit ``charset``:
    otherwise (or when GSM-7 would cost more parts) the text goes unchanged as UCS-2.
    Raise ``EmptyMessageError`` when the replacements leave nothing visible to send.
    """
    if policy is TextPolicy.UNICODE:
        return _encoded(text, charset)
    transliterate = policy is TextPolicy.GSM7
    replaced_text, replaced = _replace(text, charset, transliterate=transliterate)
    if not _fits(replaced_text, charset):
        if transliterate:
            raise EncodingNotAllowedError(sorted(set(replaced_text) - charset))
        return _encoded(text, charset)
    if text.strip() and not replaced_text.strip():
        raise EmptyMessageError
    result = _encoded(replaced_text, charset, replaced)
    if not transliterate and replaced_text != text:
        # "…" becomes three septets: in a text full of them GSM-7 can cost more parts
        original = _encoded(text, charset)
        if original.parts < result.parts:
            return original
    return result


def count(text: str, encoding: Encoding) -> tuple[int, int]:
    """Return (units, parts) of ``text`` in ``encoding``, with the no-straddle rules.

    GSM-7 counts septets (extension characters 2), UCS-2 counts UTF-16 code units
    (characters outside the BMP 2). A character's units never straddle two parts.
    An empty text is (0, 0).
    """
    if encoding is Encoding.GSM7:
        single, multi = _GSM7_LIMITS
        units = len(text) + sum(map(text.count, GSM7_EXTENSION))
    else:
        single, multi = _UCS2_LIMITS
        units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    if units == 0:
        return 0, 0
    if units <= single:
        return units, 1
    if units == len(text):
        # every character one unit: none can straddle two parts
        return units, -(-units // multi)
    return units, len(split(text, encoding))


def split(text: str, encoding: Encoding) -> list[str]:
    """Cut ``text`` into the parts it is sent as, so the parts billed are the parts sent.

    One part up to 160 septets (70 UCS-2 units); beyond, parts of at most 153 (67), the
    room a concatenation header leaves, a character's units never cut across two parts.
    An empty text has no part.
    """
    costs = _costs(text, encoding)
    single, multi = _GSM7_LIMITS if encoding is Encoding.GSM7 else _UCS2_LIMITS
    if sum(costs) <= single:
        return [text] if text else []
    parts: list[str] = []
    start = used = 0
    for index, cost in enumerate(costs):
        if used + cost > multi:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return parts


def _costs(text: str, encoding: Encoding) -> list[int]:
    """Each character's units: septets in GSM-7, UTF-16 code units in UCS-2."""
    if encoding is Encoding.GSM7:
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _encoded(
    text: str, charset: frozenset[str], replaced: tuple[tuple[str, str], ...] = ()
) -> EncodedText:
    encoding = Encoding.GSM7 if _fits(text, charset) else Encoding.UCS2
    units, parts = count(text, encoding)
    return EncodedText(text=text, encoding=encoding, units=units, parts=parts, replaced=replaced)


def _fits(text: str, charset: frozenset[str]) -> bool:
    return charset.issuperset(text)


def _replace(
    text: str, charset: frozenset[str], *, transliterate: bool
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Replace each character outside ``charset`` that has a replacement inside it."""
    # composed form first: a decomposed "é" (e + U+0301, as some keyboards type it) is
    # the GSM-7 "é", the same text to the reader
    text = unicodedata.normalize("NFC", text)
    if charset.issuperset(text):
        return text, ()  # the usual case: nothing to replace
    pieces: list[str] = []
    replaced: dict[str, str] = {}  # dicts keep insertion order: first appearance
    for char in text:
        replacement = None if char in charset else _replacement(char, charset, transliterate)
        if replacement is None:
            pieces.append(char)
        else:
            pieces.append(replacement)
            replaced.setdefault(char, replacement)
    return "".join(pieces), tuple(replaced.items())


def _replacement(char: str, charset: frozenset[str], transliterate: bool) -> str | None:
    lookalike = LOOKALIKES.get(char)
    if lookalike is not None and _fits(lookalike, charset):
        return lookalike
    if not transliterate:
        return None
    for candidate in (_TRANSLITERATIONS.get(char), _strip_accents(char)):
        # an empty result is a lone combining mark: no letter to keep, so not replaced
        if candidate and candidate != char and _fits(candidate, charset):
            return candidate
    return None


def _strip_accents(char: str) -> str:
    """``ê`` -> ``e``, ``Ÿ`` -> ``Y``: the letter without its combining marks."""
    decomposed = unicodedata.normalize("NFD", char)
    return "".join(part for part in decomposed if not unicodedata.combining(part))
