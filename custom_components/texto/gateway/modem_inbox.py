"""What a modem hands over, read defensively: ``+CMGR``/``+CMGL`` answers, parts joined.

Real modems' headers lack fields, state a wrong length or carry the PDU on their own line:
the PDU is trusted over the header. A concatenated reply is kept until all its parts are
there; what a part arrived for and never completed is given up after a while by the caller
(``PartsBuffer.take_expired``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .at import is_hex
from .pdu import Deliver

#: the index of ``+CMTI: "SM",3``, ``+CDSI: "SR",0``, ``+CMGL: 3,1,,23`` (SIM7000G: -1)
_FIELD = re.compile(r"-?\d+")
#: a PDU is never shorter than this many hex digits (SMSC, first octet, address, ...)
_MIN_PDU = 20


def urc_index(line: str) -> int | None:
    """The storage index a ``+CMTI``/``+CDSI`` line names, None when it names none."""
    fields = line.split(":", 1)[1].split(",") if ":" in line else []
    if not fields or not _FIELD.fullmatch(fields[-1].strip()):
        return None
    index = int(fields[-1].strip())
    return index if 0 <= index <= 0xFFFF else None


def _header_pdu(header: str) -> str | None:
    """A PDU some modems put on the header's own line, after the last comma."""
    last = header.rsplit(",", 1)[-1].strip()
    return last if len(last) >= _MIN_PDU and is_hex(last) else None


def read_answer_pdu(lines: Sequence[str]) -> str | None:
    """The PDU of a ``+CMGR`` answer (maybe junk); None for an empty slot (a bare ``OK``)."""
    for position, line in enumerate(lines):
        if line.startswith("+CMGR:"):
            if (pdu := _header_pdu(line)) is not None:
                return pdu
            # the line after the header, hex or not: junk is decoded, refused, then deleted
            following = lines[position + 1 : position + 2]
            return following[0] if following and not following[0].startswith("+") else None
    hex_lines = [line for line in lines if is_hex(line)]
    return hex_lines[0] if hex_lines else None


def list_answer_pdus(lines: Sequence[str]) -> list[tuple[int, str]]:
    """(index, PDU) of each message of a ``+CMGL`` answer."""
    found: list[tuple[int, str]] = []
    index: int | None = None
    for line in lines:
        if line.startswith("+CMGL:"):
            first = line.split(":", 1)[1].split(",", 1)[0].strip()
            index = int(first) if first.isdigit() else None
            if index is not None and (pdu := _header_pdu(line)) is not None:
                found.append((index, pdu))
                index = None
        elif index is not None and not line.startswith("+"):
            found.append((index, line))
            index = None
    return found


def report_id(number: str, mr: int) -> str:
    """The id that ties a report to its send: the TP-MR alone repeats every 256 sends.

    Written so that the inbox's gate takes it as an id (it begins with a letter).
    """
    return f"mr{mr}:{number}"


def message_key(pdus: Iterable[str]) -> str:
    """A reply's id, the same each time its parts are read: never fired twice."""
    digest = hashlib.sha256("|".join(sorted(pdu.upper() for pdu in pdus)).encode())
    return "modem-" + digest.hexdigest()[:24]


@dataclass(slots=True)
class StoredPart:
    """One part of a reply, where it is stored."""

    #: its storage index, None when it was not stored (``+CMT``)
    index: int | None
    pdu: str
    deliver: Deliver


@dataclass(frozen=True, slots=True)
class Joined:
    """A reply ready to fire: its parts' text in order, and where the parts are stored."""

    sender: str
    text: str
    received_at: datetime | None
    complete: bool
    key: str
    indexes: tuple[int, ...]


@dataclass(slots=True)
class _Partial:
    parts: dict[int, StoredPart] = field(default_factory=dict)
    #: when the first part came (the caller's clock)
    since: float = 0.0


def _joined(parts: Sequence[StoredPart], *, complete: bool) -> Joined:
    first = parts[0].deliver
    return Joined(
        sender=first.sender,
        text="".join(part.deliver.user_data.text or "" for part in parts),
        received_at=first.timestamp,
        complete=complete,
        key=message_key(part.pdu for part in parts),
        indexes=tuple(part.index for part in parts if part.index is not None),
    )


class PartsBuffer:
    """The parts of concatenated replies, kept until each reply is whole."""

    #: most replies waiting for parts at once (junk with made-up references never grows it)
    MAX_WAITING = 256

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, int, int], _Partial] = {}

    def add(self, part: StoredPart, now: float) -> Joined | None:
        """Keep ``part``; the whole reply when this part completes it (or needs no other)."""
        concatenation = part.deliver.user_data.concatenation
        if concatenation is None or concatenation.total == 1:
            return _joined([part], complete=True)
        key = (part.deliver.sender, concatenation.reference, concatenation.total)
        partial = self._waiting.get(key)
        if partial is None:
            if len(self._waiting) >= self.MAX_WAITING:
                # the oldest gives way; it stays stored and is read again at the next start
                del self._waiting[next(iter(self._waiting))]
            partial = self._waiting[key] = _Partial(since=now)
        partial.parts[concatenation.seq] = part
        if len(partial.parts) < concatenation.total:
            return None
        del self._waiting[key]
        return _joined([partial.parts[seq] for seq in sorted(partial.parts)], complete=True)

    def take_expired(self, now: float, timeout: float) -> list[Joined]:
        """The replies whose first part came ``timeout`` seconds ago, as far as they got."""
        expired = [key for key, partial in self._waiting.items() if now - partial.since >= timeout]
        result = []
        for key in expired:
            partial = self._waiting.pop(key)
            parts = [partial.parts[seq] for seq in sorted(partial.parts)]
            result.append(_joined(parts, complete=False))
        return result

    def next_expiry(self, timeout: float) -> float | None:
        """When the oldest waiting reply expires (the caller's clock), None when none waits."""
        return min((p.since + timeout for p in self._waiting.values()), default=None)
