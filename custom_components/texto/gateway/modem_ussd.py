"""USSD (TS 22.090, ``AT+CUSD`` of TS 27.007): a code such as ``#123#``, the network's text.

A modem gives the network's string in whichever way its character set and firmware chose:
plain text, the hex of GSM 7-bit septets packed as the network sent them (``dcs`` 15, most
Qualcomm and Huawei modems), the hex of one septet a byte, or UCS-2 hex (``dcs`` 72, or any
``dcs`` once ``AT+CSCS="UCS2"`` was set). So a string of hex digits is decoded every way that
fits, and the decoding that reads as text wins (the one the ``dcs`` names on a tie); a string
that reads as nothing is kept as it came. The answer may also come before or after the
command's ``OK``, and in plain text it may hold line ends: ``parse_cusd`` says when the line
is not whole yet.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Final

from .modem_errors import InvalidUssdCodeError
from .pdu import gsm7_packed_text, gsm7_text

#: what a USSD code is made of (TS 22.030: ``*``, ``#`` and digits), and how long it may be
_CODE: Final = re.compile(r"[*#0-9]{1,20}")
#: hex worth decoding: four octets at least (shorter, "2026" or "CAFE" are more likely words)
_HEX: Final = re.compile(r"(?:[0-9A-Fa-f]{2}){4,}")
#: ``+CUSD: <m>`` results: 0 no further action, 1 further action required (session open)
USSD_DONE, USSD_FURTHER_ACTION = 0, 1
#: a decoding whose characters read as text at least this much is taken
_PLAUSIBLE: Final = 0.9
_PUNCTUATION: Final = frozenset(" \r\n\t.,:;!?'\"-/()€$£%+*#=&<>_")
_CR, _AT_SIGN = 0x0D, 0x00

_AMOUNT: Final = r"(\d+(?:[.,]\d+)?)"
_AMOUNT_BEFORE_CURRENCY: Final = re.compile(_AMOUNT + r"\s*(?:€|EUR\b|euros?\b)", re.IGNORECASE)
_AMOUNT_AFTER_CURRENCY: Final = re.compile(r"(?:€|EUR)\s*" + _AMOUNT, re.IGNORECASE)
_ANY_AMOUNT: Final = re.compile(_AMOUNT)


def validate_ussd_code(code: str) -> str:
    """``code`` without surrounding spaces; ``InvalidUssdCodeError`` unless it is one."""
    code = code.strip()
    if not _CODE.fullmatch(code) or not any(char.isdigit() for char in code):
        raise InvalidUssdCodeError("a USSD code is made of *, # and digits (20 at most)")
    return code


@dataclass(frozen=True, slots=True)
class CusdAnswer:
    """One ``+CUSD: <m>[,"<str>"[,<dcs>]]`` line."""

    result: int
    text: str | None = None
    dcs: int | None = None


def parse_cusd(line: str, *, whole: bool = False) -> CusdAnswer | None:
    """The answer ``line`` holds; None while its quoted string is not closed yet.

    ``whole``: nothing more will come (a timeout): an open string is taken as it is.
    Raises ``ValueError`` when ``line`` is no ``+CUSD`` answer at all.
    """
    body = line.split(":", 1)[1].strip() if ":" in line else ""
    result_text, _, rest = body.partition(",")
    if not result_text.strip().isdigit():
        raise ValueError("not a +CUSD answer")
    result = int(result_text.strip())
    rest = rest.strip()
    if not rest:
        return CusdAnswer(result)
    if rest.startswith('"'):
        closing = rest.rfind('"')
        if closing == 0:
            return CusdAnswer(result, rest[1:]) if whole else None
        text, tail = rest[1:closing], rest[closing + 1 :]
    else:  # no quotes (some firmware): the dcs is the last field, when it is a number
        head, _, last = rest.rpartition(",")
        text, tail = (head, last) if head and last.strip().isdigit() else (rest, "")
    dcs_text = tail.strip().removeprefix(",").strip()
    return CusdAnswer(result, text, int(dcs_text) if dcs_text.isdigit() else None)


def _alphabet(dcs: int | None) -> str:
    """The alphabet a CBS data coding scheme names (TS 23.038 section 5): gsm7, 8bit, ucs2."""
    if dcs is None:
        return "gsm7"
    group = dcs >> 4
    if dcs == 0x11:
        return "ucs2"  # UCS-2 preceded by a language indication
    if group in {0x4, 0x5, 0x6, 0x7, 0x9}:
        return {0: "gsm7", 1: "8bit", 2: "ucs2"}.get((dcs >> 2) & 0x03, "gsm7")
    if group == 0xF:
        return "8bit" if dcs & 0x04 else "gsm7"
    return "gsm7"


def _packed(data: bytes) -> str:
    count = len(data) * 8 // 7
    septets_text = gsm7_packed_text(data, count)
    # 7 spare bits at the end: a CR by the spec (TS 23.038 6.1.2.3.1), zeros ("@") in practice
    last = (int.from_bytes(data, "little") >> (7 * (count - 1))) & 0x7F if count else None
    if count % 8 == 0 and last in {_CR, _AT_SIGN}:
        return septets_text[:-1]
    return septets_text


def _decodings(data: bytes, alphabet: str) -> dict[str, str]:
    found: dict[str, str] = {"gsm7": _packed(data)}
    if len(data) % 2 == 0:
        with contextlib.suppress(UnicodeDecodeError):  # a lone surrogate: not UCS-2
            found["ucs2"] = data.decode("utf-16-be")
    if all(byte < 0x80 for byte in data):
        found["septets"] = gsm7_text(list(data))
    if alphabet == "8bit":
        found["8bit"] = data.decode("latin-1")
    return found


def _plausibility(text: str) -> float:
    """How much of ``text`` is letters (Latin), digits and common punctuation, 0 to 1."""
    if not text:
        return 0.0
    readable = sum(
        1
        for char in text
        if char.isdigit() or (char.isalpha() and ord(char) < 0x250) or char in _PUNCTUATION
    )
    return readable / len(text)


def decode_ussd(text: str, dcs: int | None) -> str:
    """The network's text, from the string as the modem gave it (see the module)."""
    if not _HEX.fullmatch(text):
        return text
    alphabet = _alphabet(dcs)
    found = _decodings(bytes.fromhex(text), alphabet)
    named = "ucs2" if alphabet == "ucs2" else ("8bit" if alphabet == "8bit" else "gsm7")
    best = max(found, key=lambda name: (_plausibility(found[name]), name == named))
    if _plausibility(found[best]) >= _PLAUSIBLE:
        return found[best]
    # UCS-2 may be any script (Arabic, Chinese ...): what the dcs names, if it prints
    if named == "ucs2" and "ucs2" in found and found["ucs2"].isprintable():
        return found["ucs2"]
    return text  # digits that only looked like hex, or a string no decoding reads


def first_amount(text: str) -> float | None:
    """The amount a balance message tells, None when it tells none.

    The number next to a currency if one is named, else the first number (decimal comma or
    point): "Votre solde est de 5,20 EUR. Valable jusqu'au 31/12/2026" tells 5.2.
    """
    for pattern in (_AMOUNT_BEFORE_CURRENCY, _AMOUNT_AFTER_CURRENCY, _ANY_AMOUNT):
        if match := pattern.search(text):
            return float(match[1].replace(",", "."))
    return None


__all__ = [
    "USSD_DONE",
    "USSD_FURTHER_ACTION",
    "CusdAnswer",
    "decode_ussd",
    "first_amount",
    "parse_cusd",
    "validate_ussd_code",
]
