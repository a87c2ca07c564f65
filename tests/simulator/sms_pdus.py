"""SMS-DELIVER and SMS-STATUS-REPORT PDUs as a network hands them to a modem (TS 23.040).

What the fake modem stores and announces. Written apart from the library (its own GSM-7
table, packing, concatenation header, time stamps) so that the library's decoder is checked
against an encoder of its own: a test decodes these with ``texto_gateway.pdu.decode``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

ESC = 0x1B
SMSC = "+33689004000"
#: where an SMS centre stamps its messages (France in winter)
PARIS = timezone(timedelta(hours=1))
#: GSM-7 (TS 23.038) in code order, 0x1B (the escape) left out
_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_BASIC_CODES = {char: index + (index >= ESC) for index, char in enumerate(_BASIC)}
GSM7_EXTENSION_CODES = dict(
    zip("\f^{}\\[~]|€", [10, 20, 40, 41, 47, 60, 61, 62, 64, 101], strict=True)
)


def _swapped(digits: str) -> bytes:
    padded = digits + "F" * (len(digits) % 2)
    return bytes(int(padded[i + 1] + padded[i], 16) for i in range(0, len(padded), 2))


def _address(number: str) -> bytes:
    """TP-OA/TP-RA: international (0x91), national (0x81) or alphanumeric (0xD0)."""
    if number.lstrip("+").isdigit():
        kind = 0x91 if number.startswith("+") else 0x81
        digits = number.lstrip("+")
        return bytes([len(digits), kind]) + _swapped(digits)
    septets = _septets(number) or []
    _, packed = _pack(septets, b"")
    return bytes([math.ceil(len(septets) * 7 / 4), 0xD0]) + packed


def _smsc() -> bytes:
    body = bytes([0x91]) + _swapped(SMSC.lstrip("+"))
    return bytes([len(body)]) + body


def _timestamp(when: datetime) -> bytes:
    """TP-SCTS: swapped BCD, the zone in quarter hours, its sign in bit 3."""
    offset = when.utcoffset() or timedelta()
    quarters = int(abs(offset.total_seconds()) // 900)
    fields_ = [when.year % 100, when.month, when.day, when.hour, when.minute, when.second]
    octets = [(value % 10) << 4 | value // 10 for value in fields_]
    zone = (quarters % 10) << 4 | quarters // 10 | (0x08 if offset < timedelta() else 0)
    return bytes([*octets, zone])


def _septets(text: str) -> list[int] | None:
    """GSM-7 codes of ``text`` (escape sequences included), None when it is not GSM-7."""
    codes: list[int] = []
    for char in text:
        if char in GSM7_BASIC_CODES:
            codes.append(GSM7_BASIC_CODES[char])
        elif char in GSM7_EXTENSION_CODES:
            codes += (ESC, GSM7_EXTENSION_CODES[char])
        else:
            return None
    return codes


def _pack(septets: list[int], header: bytes) -> tuple[int, bytes]:
    """TP-UDL (septets, header and fill bits counted) and the packed TP-UD."""
    skip = math.ceil(len(header) * 8 / 7)
    value = int.from_bytes(header, "little")
    for index, septet in enumerate(septets, start=skip):
        value |= septet << (7 * index)
    length = skip + len(septets)
    return length, value.to_bytes(math.ceil(length * 7 / 8), "little")


def _pieces(text: str) -> tuple[bool, list[list[int]] | list[bytes]]:
    """GSM-7 or not, and the parts: septet lists (an escape never cut) or UCS-2 octets."""
    septets = _septets(text)
    if septets is not None:
        if len(septets) <= 160:
            return True, [septets]
        parts: list[list[int]] = [[]]
        for char in text:
            codes = _septets(char) or []
            if len(parts[-1]) + len(codes) > 153:
                parts.append([])
            parts[-1] += codes
        return True, parts
    units = text.encode("utf-16-be")
    if len(units) <= 140:
        return False, [units]
    chunks: list[bytes] = [b""]
    for char in text:
        encoded = char.encode("utf-16-be")  # a surrogate pair stays in one part
        if len(chunks[-1]) + len(encoded) > 134:
            chunks.append(b"")
        chunks[-1] += encoded
    return False, chunks


def deliver_pdus(
    sender: str, text: str, *, reference: int = 0, when: datetime | None = None
) -> list[str]:
    """The SMS-DELIVER PDUs (hex, service centre first) of ``text`` from ``sender``."""
    stamp = _timestamp(when or datetime.now(PARIS).replace(microsecond=0))
    gsm7, pieces = _pieces(text)
    multipart = len(pieces) > 1
    result = []
    for seq, piece in enumerate(pieces, start=1):
        header = bytes([5, 0x00, 3, reference & 0xFF, len(pieces), seq]) if multipart else b""
        if gsm7:
            length, data = _pack(piece, header)  # type: ignore[arg-type]
        else:
            data = header + piece  # type: ignore[operator]
            length = len(data)
        first = 0x04 | (0x40 if multipart else 0)  # SMS-DELIVER, no more messages, UDHI
        dcs = 0x00 if gsm7 else 0x08
        tpdu = bytes([first]) + _address(sender) + bytes([0, dcs]) + stamp
        result.append((_smsc() + tpdu + bytes([length]) + data).hex().upper())
    return result


def status_report_pdu(mr: int, number: str, status: int = 0) -> str:
    """The SMS-STATUS-REPORT (hex, service centre first) for the SUBMIT with TP-MR ``mr``."""
    now = datetime.now(PARIS).replace(microsecond=0)
    submitted = _timestamp(now - timedelta(seconds=5))
    tpdu = bytes([0x06, mr & 0xFF]) + _address(number) + submitted + _timestamp(now)
    return (_smsc() + tpdu + bytes([status])).hex().upper()


def tpdu_length(pdu: str) -> int:
    """Octets of a PDU without its service-centre address (what +CMGR/+CDS state)."""
    try:
        return max(0, len(pdu) // 2 - 1 - int(pdu[:2], 16))
    except ValueError:  # junk: a length as wrong as the PDU
        return len(pdu) // 2
