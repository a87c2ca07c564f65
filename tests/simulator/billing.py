"""How the simulated gateways bill a text: parts, counted from the standard itself.

Written from ``reference/sms-encoding.md`` (3GPP TS 23.038), independently of the library
under test, so that a counting mistake in the library shows as a disagreement.
"""

from __future__ import annotations

#: GSM-7 basic table and extension table (an extension character costs two septets)
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM-7 alphabet."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def parts_of(text: str) -> int:
    """Parts billed: GSM-7 160 / 153 septets, else UCS-2 70 / 67 UTF-16 units.

    A two-unit character (an extension character in GSM-7, a surrogate pair in UCS-2) never
    straddles two parts.
    """
    if is_gsm7(text):
        sizes = [2 if char in GSM7_EXTENSION else 1 for char in text]
        single, multi = 160, 153
    else:
        sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]
        single, multi = 70, 67
    if sum(sizes) <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > multi:
            parts, used = parts + 1, 0
        used += size
    return parts
