"""SMS PDUs for a modem in PDU mode (3GPP TS 23.040, alphabets of TS 23.038).

Pure functions, no I/O. ``submit_pdus`` builds what ``AT+CMGS`` sends, one PDU a part, cut
by ``encoding.split`` so the parts counted (and billed) are the parts sent. ``decode``
reads what a modem hands over (``+CMT``, ``+CMGR``, ``+CMGL``, ``+CDS``): SMS-DELIVER,
SMS-STATUS-REPORT, and the SMS-SUBMIT a SIM keeps of sent messages. PDUs come from a
device and the network: anything malformed raises ``PduError``, nothing else.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

from .encoding import GSM7_BASIC_CODES, GSM7_EXTENSION_CODES, split
from .models import DeliveryStatus, EncodedText, Encoding

type _Alphabet = Literal["gsm7", "8bit", "ucs2"]

_ESCAPE = 0x1B
_BASIC_BY_CODE = {code: char for char, code in GSM7_BASIC_CODES.items()}
_EXTENSION_BY_CODE = {code: char for char, code in GSM7_EXTENSION_CODES.items()}
# semi-octet digits of an address (TS 23.040 9.1.2.3); F is the filler of an odd count
_BCD_DIGITS = "0123456789*#abc"
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})*")
_NUMBER = re.compile(r"(\+?)([0-9]{1,20})")
# TP-MTI, the two low bits of the first octet
_DELIVER, _SUBMIT, _STATUS_REPORT = 0, 1, 2
_UDHI = 0x40  # the user data starts with a header (concatenation)
_STATUS_REPORT_REQUESTED = 0x20  # TP-SRR of a SUBMIT
_VALIDITY_RELATIVE = 0x10  # TP-VPF = 10: one octet of relative validity
_INTERNATIONAL, _UNKNOWN_TON = 0x91, 0x81  # type of address, ISDN numbering plan
_MAX_SEPTETS, _MAX_OCTETS = 160, 140


class PduError(ValueError):
    """A PDU that cannot be read, or a message that cannot be made into one."""


@dataclass(frozen=True, slots=True)
class SubmitPdu:
    """One part ready for ``AT+CMGS=<tpdu_length>``, then ``hex`` and Ctrl-Z."""

    #: uppercase hex, "00" first: no service centre given, the modem uses the SIM's
    hex: str
    #: octets of the TPDU, the service-centre octet excluded (what AT+CMGS takes)
    tpdu_length: int


@dataclass(frozen=True, slots=True)
class Concatenation:
    """Where a part belongs: the parts of one message share ``reference``."""

    reference: int
    total: int
    #: 1-based position of this part
    seq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UserData:
    """What a message carries: text, or binary data for an 8-bit one."""

    #: None for 8-bit data, which is not text
    text: str | None
    binary: bytes | None = None
    concatenation: Concatenation | None = None
    #: 0 flash, 1 phone, 2 SIM, 3 terminal equipment; None when the sender set none
    message_class: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Deliver:
    """An SMS-DELIVER: a message received."""

    smsc: str | None
    #: "+33612345678" (international), digits as sent (national), or a name (alphanumeric)
    sender: str
    #: the service centre's time stamp; None when its digits are invalid
    timestamp: datetime | None
    user_data: UserData


@dataclass(frozen=True, slots=True, kw_only=True)
class Submit:
    """An SMS-SUBMIT: a message to send (as a SIM stores sent ones)."""

    smsc: str | None
    reference: int
    recipient: str
    status_report_requested: bool
    user_data: UserData


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReport:
    """An SMS-STATUS-REPORT: what became of the SUBMIT with this ``reference`` (TP-MR)."""

    smsc: str | None
    reference: int
    recipient: str
    #: when the service centre took the message (TP-SCTS), and the status's time (TP-DT)
    submitted: datetime | None
    discharged: datetime | None
    #: TP-ST as sent
    status: int

    @property
    def delivery_status(self) -> DeliveryStatus:
        """TP-ST in the library's words (TS 23.040 9.2.3.15)."""
        if self.status <= 0x1F:  # transaction completed
            return DeliveryStatus.DELIVERED
        if self.status <= 0x3F:  # temporary error, the service centre still trying
            return DeliveryStatus.PENDING
        if self.status == 0x46:  # validity period expired
            return DeliveryStatus.EXPIRED
        return DeliveryStatus.FAILED


# --- encoding -------------------------------------------------------------------------


def submit_pdus(
    number: str,
    encoded: EncodedText,
    *,
    reference: int,
    flash: bool = False,
    status_report: bool = True,
    validity: timedelta | None = None,
) -> list[SubmitPdu]:
    """The SMS-SUBMIT PDUs of ``encoded`` to ``number`` ("+33612345678"), one a part.

    ``reference`` (0-255) ties the parts of a long message together: use a new one for
    each message. TP-MR is 0, the modem numbers each part itself (``+CMGS: <mr>``).
    ``flash`` sends class 0, shown and not stored; ``validity`` is rounded up to the
    next relative validity the standard can say (5 minutes to 63 weeks).
    """
    if not 0 <= reference <= 0xFF:
        raise PduError("the concatenation reference is one octet (0-255)")
    address = _encode_address(number)
    pieces = split(encoded.text, encoded.encoding)
    if not pieces or len(pieces) != encoded.parts or len(pieces) > 0xFF:
        raise PduError(f"cannot send {encoded.parts} parts as counted ({len(pieces)} cut)")
    multipart = len(pieces) > 1
    first = _SUBMIT
    first |= _STATUS_REPORT_REQUESTED if status_report else 0
    first |= _UDHI if multipart else 0
    first |= _VALIDITY_RELATIVE if validity is not None else 0
    # DCS: general group; bit 4 with class 0 is flash; 0x08 is the UCS-2 alphabet
    dcs = (0x08 if encoded.encoding is Encoding.UCS2 else 0x00) | (0x10 if flash else 0x00)
    period = bytes([_relative_validity(validity)]) if validity is not None else b""
    result = []
    for seq, piece in enumerate(pieces, start=1):
        # UDH: length 5, IEI 0x00 (concatenation, 8-bit reference), 3 octets of data
        header = bytes([5, 0x00, 3, reference, len(pieces), seq]) if multipart else b""
        length, data = _pack_user_data(piece, encoded.encoding, header)
        tpdu = bytes([first, 0]) + address + bytes([0, dcs]) + period + bytes([length]) + data
        result.append(SubmitPdu(hex="00" + tpdu.hex().upper(), tpdu_length=len(tpdu)))
    return result


def _encode_address(number: str) -> bytes:
    match = _NUMBER.fullmatch(number)
    if match is None:
        raise PduError("not a phone number: digits, '+' first when international")
    digits = match[2]
    kind = _INTERNATIONAL if match[1] else _UNKNOWN_TON
    # semi-octets: each octet holds two digits, the first in its low nibble
    padded = digits + "F" * (len(digits) % 2)
    swapped = bytes(int(padded[i + 1] + padded[i], 16) for i in range(0, len(padded), 2))
    return bytes([len(digits), kind]) + swapped


def _relative_validity(validity: timedelta) -> int:
    """TP-VP, relative format (TS 23.040 9.2.3.12.1), rounded up so no time is lost."""
    minutes = math.ceil(validity.total_seconds() / 60)
    if minutes <= 0:
        raise PduError("a validity period must be positive")
    if minutes <= 12 * 60:  # 0-143: (VP + 1) x 5 minutes
        return max(0, math.ceil(minutes / 5) - 1)
    if minutes <= 24 * 60:  # 144-167: 12 hours + (VP - 143) x 30 minutes
        return 143 + math.ceil((minutes - 12 * 60) / 30)
    days = math.ceil(minutes / (24 * 60))
    if days <= 30:  # 168-196: (VP - 166) days
        return 166 + days
    return min(0xFF, 192 + math.ceil(days / 7))  # 197-255: (VP - 192) weeks


def _pack_user_data(piece: str, encoding: Encoding, header: bytes) -> tuple[int, bytes]:
    """TP-UDL and TP-UD: UDL counts septets in GSM-7 (header and fill bits included)."""
    if encoding is Encoding.UCS2:
        body = piece.encode("utf-16-be")  # a character outside the BMP: a surrogate pair
        return len(header) + len(body), header + body
    septets: list[int] = []
    for char in piece:
        if char in GSM7_EXTENSION_CODES:
            septets += (_ESCAPE, GSM7_EXTENSION_CODES[char])
        elif char in GSM7_BASIC_CODES:
            septets.append(GSM7_BASIC_CODES[char])
        else:
            raise PduError("a character outside GSM-7 in a GSM-7 text")
    # the text starts on a septet boundary: fill bits after the header (TS 23.040 9.2.3.24)
    skip = math.ceil(len(header) * 8 / 7)
    length = skip + len(septets)
    value = int.from_bytes(header, "little")
    for index, septet in enumerate(septets, start=skip):
        value |= septet << (7 * index)
    return length, value.to_bytes(math.ceil(length * 7 / 8), "little")


# --- decoding -------------------------------------------------------------------------


class _Reader:
    """Octets read in order; running short is a ``PduError``, never an ``IndexError``."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._position = 0

    def take(self, count: int) -> bytes:
        end = self._position + count
        if end > len(self._data):
            raise PduError("the PDU ends too early")
        chunk = self._data[self._position : end]
        self._position = end
        return chunk

    def octet(self) -> int:
        return self.take(1)[0]

    def rest(self) -> bytes:
        return self._data[self._position :]


def decode(pdu: str, *, smsc: bool = True) -> Deliver | Submit | StatusReport:
    """Read a PDU in hex as a modem gives it: service-centre address first (``smsc``)."""
    text = pdu.strip()
    if not _HEX.fullmatch(text):
        raise PduError("a PDU is an even number of hex digits")
    reader = _Reader(bytes.fromhex(text))
    centre = _service_centre(reader) if smsc else None
    first = reader.octet()
    kind = first & 0x03
    if kind == _DELIVER:
        sender = _address(reader)
        reader.take(1)  # TP-PID: nothing a phone user sees
        dcs = reader.octet()
        timestamp = _timestamp(reader.take(7))
        data = _user_data(reader, dcs, has_header=bool(first & _UDHI))
        return Deliver(smsc=centre, sender=sender, timestamp=timestamp, user_data=data)
    if kind == _SUBMIT:
        reference = reader.octet()
        recipient = _address(reader)
        reader.take(1)  # TP-PID
        dcs = reader.octet()
        # TP-VPF: none, enhanced (7 octets), relative (1), absolute (7)
        reader.take((0, 7, 1, 7)[(first >> 3) & 0x03])
        return Submit(
            smsc=centre,
            reference=reference,
            recipient=recipient,
            status_report_requested=bool(first & _STATUS_REPORT_REQUESTED),
            user_data=_user_data(reader, dcs, has_header=bool(first & _UDHI)),
        )
    if kind == _STATUS_REPORT:
        # optional parameters may follow TP-ST: nothing there the route needs
        return StatusReport(
            smsc=centre,
            reference=reader.octet(),
            recipient=_address(reader),
            submitted=_timestamp(reader.take(7)),
            discharged=_timestamp(reader.take(7)),
            status=reader.octet(),
        )
    raise PduError("a reserved message type (TP-MTI 3)")


def _service_centre(reader: _Reader) -> str | None:
    length = reader.octet()  # in octets, the type of address included
    if length == 0:
        return None
    kind = reader.octet()
    digits = _semi_octets(reader.take(length - 1))
    return "+" + digits if kind & 0x70 == 0x10 else digits


def _address(reader: _Reader) -> str:
    """TP-OA, TP-DA, TP-RA: international, national or alphanumeric (TS 23.040 9.1.2.5)."""
    length = reader.octet()  # in semi-octets (digits), the type of address excluded
    kind = reader.octet()
    raw = reader.take((length + 1) // 2)
    ton = kind & 0x70
    if ton == 0x50:  # alphanumeric: GSM-7 packed, as many whole septets as fit
        return _gsm7_text(_unpack(raw, length * 4 // 7))
    digits = _semi_octets(raw)[:length]
    return "+" + digits if ton == 0x10 else digits


def _semi_octets(raw: bytes) -> str:
    nibbles = (nibble for octet in raw for nibble in (octet & 0x0F, octet >> 4))
    return "".join(_BCD_DIGITS[nibble] for nibble in nibbles if nibble != 0x0F)


def _timestamp(raw: bytes) -> datetime | None:
    """TP-SCTS/TP-DT: swapped BCD, the zone in quarter hours, its sign the 0x08 bit.

    Modems pass on invalid digits: the time is then unknown (None) rather than wrong.
    """
    swapped = [(octet & 0x0F, octet >> 4) for octet in raw]
    zone_tens, zone_units = swapped[6]
    if any(digit > 9 for pair in swapped[:6] for digit in pair) or zone_units > 9:
        return None
    year, month, day, hour, minute, second = (tens * 10 + units for tens, units in swapped[:6])
    quarters = (zone_tens & 0x07) * 10 + zone_units
    offset = timedelta(minutes=15 * quarters) * (-1 if zone_tens & 0x08 else 1)
    try:
        zone = timezone(offset) if offset else UTC
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:  # 31 February, hour 25, ...
        return None


def _alphabet(dcs: int) -> tuple[_Alphabet, int | None]:
    """The alphabet and message class a TP-DCS gives (TS 23.038 section 4)."""
    group = dcs >> 4
    if group <= 0x07:  # general data coding, with or without automatic deletion
        alphabet: _Alphabet = ("gsm7", "8bit", "ucs2", "gsm7")[(dcs >> 2) & 0x03]
        if dcs & 0x20:  # compressed (never seen in the field): not text we can read
            alphabet = "8bit"
        return alphabet, (dcs & 0x03 if dcs & 0x10 else None)
    if group == 0x0F:  # data coding / message class
        return ("8bit" if dcs & 0x04 else "gsm7"), dcs & 0x03
    # message waiting groups: GSM-7, UCS-2 for 0xE; reserved groups are read as GSM-7
    return ("ucs2" if group == 0x0E else "gsm7"), None


def _user_data(reader: _Reader, dcs: int, *, has_header: bool) -> UserData:
    alphabet, message_class = _alphabet(dcs)
    length = reader.octet()  # TP-UDL: septets in GSM-7, octets otherwise
    if length > (_MAX_SEPTETS if alphabet == "gsm7" else _MAX_OCTETS):
        raise PduError("a user-data length beyond what an SMS holds")
    data = reader.take(math.ceil(length * 7 / 8) if alphabet == "gsm7" else length)
    header_octets, concatenation = 0, None
    if has_header:
        header_octets = 1 + _Reader(data).octet()
        concatenation = _concatenation(_Reader(data).take(header_octets)[1:])
    if alphabet == "gsm7":
        skip = math.ceil(header_octets * 8 / 7)  # header and fill bits, in septets
        if skip > length:
            raise PduError("a user-data header longer than the user data")
        text = _gsm7_text(_unpack(data, length)[skip:])
        return UserData(text=text, concatenation=concatenation, message_class=message_class)
    body = data[header_octets:]
    if alphabet == "8bit":
        return UserData(
            text=None, binary=body, concatenation=concatenation, message_class=message_class
        )
    if len(body) % 2:
        raise PduError("UCS-2 text of an odd number of octets")
    # a surrogate pair cut across parts by a careless sender is replaced, not a crash
    text = body.decode("utf-16-be", errors="replace")
    return UserData(text=text, concatenation=concatenation, message_class=message_class)


def _concatenation(header: bytes) -> Concatenation | None:
    """The concatenation element of a user-data header (8- or 16-bit reference)."""
    reader = _Reader(header)
    found = None
    while reader.rest():
        element, size = reader.octet(), reader.octet()
        value = reader.take(size)
        if (element, size) in {(0x00, 3), (0x08, 4)}:
            reference = int.from_bytes(value[:-2], "big")
            total, seq = value[-2], value[-1]
            # TS 23.040 9.2.3.24.1: a sequence number of 0 or above the total is ignored
            if 1 <= seq <= total:
                found = Concatenation(reference=reference, total=total, seq=seq)
    return found


def _unpack(data: bytes, count: int) -> list[int]:
    """``count`` septets packed from the low bits up (TS 23.038 6.1.2.1.1)."""
    value = int.from_bytes(data, "little")
    return [(value >> (7 * index)) & 0x7F for index in range(count)]


def gsm7_packed_text(data: bytes, count: int) -> str:
    """The text of ``count`` GSM 7-bit septets packed in ``data`` (extension table included)."""
    return _gsm7_text(_unpack(data, count))


def gsm7_text(septets: list[int]) -> str:
    """The text of GSM 7-bit codes given one a byte (values 0 to 127)."""
    return _gsm7_text(septets)


def _gsm7_text(septets: list[int]) -> str:
    chars: list[str] = []
    escaped = False
    for septet in septets:
        if escaped:
            # an unknown extension code shows its basic character (TS 23.038 6.2.1.1)
            chars.append(_EXTENSION_BY_CODE.get(septet) or _BASIC_BY_CODE.get(septet, " "))
            escaped = False
        elif septet == _ESCAPE:
            escaped = True
        else:
            chars.append(_BASIC_BY_CODE[septet])
    return "".join(chars)
