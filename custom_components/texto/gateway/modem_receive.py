"""What the modem hands over: replies (parts joined) and delivery reports, each to one handler.

URCs are turned into jobs run one at a time once the modem is ready: ``+CMTI``/``+CDSI``
read their index, ``+CDS``/``+CMT`` carry their PDU. A stored message is deleted only once
the handler returned True; a reply's key is remembered so that one still stored (the modem
would not delete it) is never fired twice. Junk is deleted, never handed over.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Final

from .at import AtError, FinalResultError
from .errors import GatewayError
from .models import DeliveryReport, InboundMessage, Provider
from .modem_inbox import (
    Joined,
    PartsBuffer,
    StoredPart,
    list_answer_pdus,
    read_answer_pdu,
    report_id,
    urc_index,
)
from .modem_init import Runner, parse_registration
from .pdu import PduError, StatusReport, Submit, decode
from .phone import from_gateway
from .redact import mask_text

_LOGGER = logging.getLogger(__name__)

type InboundHandler = Callable[[InboundMessage | DeliveryReport], Awaitable[bool]]

#: fired replies remembered so that one still stored is never fired twice
_FIRED_MEMORY: Final = 4096


class ModemReceiver:
    """The jobs of the modem's announcements, and what they hand over."""

    def __init__(
        self,
        *,
        run: Runner,
        ready: asyncio.Event,
        part_timeout: float,
        list_timeout: float,
        on_registration: Callable[[str], None],
    ) -> None:
        self._run = run
        self._ready = ready
        self._part_timeout = part_timeout
        self._list_timeout = list_timeout
        self._on_registration = on_registration
        #: who gets each reply and report; True from it lets the stored copy be deleted
        self.handler: InboundHandler | None = None
        self._jobs: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue(maxsize=1024)
        self._parts = PartsBuffer()
        self._parts_timer: asyncio.TimerHandle | None = None
        self._fired: OrderedDict[str, None] = OrderedDict()

    @property
    def idle(self) -> bool:
        """Whether no job waits."""
        return self._jobs.empty()

    def close(self) -> None:
        """Forget the timer of incomplete replies (their parts stay stored)."""
        if self._parts_timer is not None:
            self._parts_timer.cancel()
            self._parts_timer = None

    def on_urc(self, line: str, pdu: str | None) -> None:
        """An unsolicited line, from the reader: quick, never an AT command here."""
        if line.startswith(("+CMTI:", "+CDSI:")):
            index = urc_index(line)
            if index is None:
                _LOGGER.debug("A new-message line without a usable index: %s", mask_text(line))
                return
            self.queue(lambda: self._read_index_job(index))
        elif line.startswith(("+CDS:", "+CMT:")):
            if pdu is None:
                _LOGGER.debug("%s without its PDU", line.split(":", maxsplit=1)[0])
                return
            self.queue(lambda: self._take(None, pdu))
        elif line.startswith(("+CREG:", "+CEREG:")):
            found = parse_registration([line], line.split(":", maxsplit=1)[0] + ":")
            if found is not None:
                self._on_registration(found)
        else:
            _LOGGER.debug("Modem says: %s", mask_text(line)[:80])

    def queue(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` after those before it; dropped (and logged) when too many wait."""
        try:
            self._jobs.put_nowait(job)
        except asyncio.QueueFull:
            _LOGGER.debug(
                "Too many modem events waiting; the stored ones are read at the next start"
            )

    async def work(self) -> None:
        """The jobs, one at a time, each once the modem is ready: runs until cancelled."""
        while True:
            job = await self._jobs.get()
            await self._ready.wait()
            try:
                await job()
            except (AtError, GatewayError) as err:
                _LOGGER.debug("A modem event could not be handled now: %s", err)
            except Exception:
                _LOGGER.warning("A modem event could not be handled", exc_info=True)

    async def read_stored_now(self) -> None:
        """Read every stored message, in turn with the other jobs; return once done."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def job() -> None:
            try:
                await self.read_stored()
            except BaseException as err:
                done.set_exception(err)
                raise
            done.set_result(None)

        self.queue(job)
        await done

    async def read_stored(self) -> None:
        """Every stored message (AT+CMGL=4, or AT+CMGR per index where it is refused)."""
        try:
            lines = await self._run("AT+CMGL=4", prefixes=("+CMGL:",), within=self._list_timeout)
        except FinalResultError:
            await self._read_each()
            return
        for index, pdu in list_answer_pdus(lines):
            await self._take(index, pdu)

    async def _read_each(self) -> None:
        """Where AT+CMGL is refused (Quectel EP06-A: +CMS ERROR: 303): one index at a time."""
        used, total = 0, 30
        try:
            for line in await self._run("AT+CPMS?", prefixes=("+CPMS:",)):
                fields = line.split(":", 1)[-1].split(",")
                if line.startswith("+CPMS:") and len(fields) >= 3:
                    used, total = int(fields[1]), min(int(fields[2]), 255)
        except (FinalResultError, ValueError):
            pass
        found = 0
        for index in range(total + 1):  # Huawei counts from 0, most from 1
            if used and found >= used:
                break
            if await self._read_index(index):
                found += 1

    async def _read_index_job(self, index: int) -> None:
        await self._read_index(index)

    async def _read_index(self, index: int) -> bool:
        """AT+CMGR=<index>; whether a message was there."""
        try:
            lines = await self._run(f"AT+CMGR={index}", prefixes=("+CMGR:",))
        except FinalResultError:
            return False
        pdu = read_answer_pdu(lines)
        if pdu is None:
            return False
        await self._take(index, pdu)
        return True

    async def _take(self, index: int | None, pdu: str) -> None:
        """One PDU read from the modem: a reply's part, a report, or junk (deleted)."""
        try:
            message = decode(pdu)
        except PduError as err:
            _LOGGER.debug("An unreadable message at index %s (%s): deleted", index, err)
            await self._delete(index)
            return
        if isinstance(message, StatusReport):
            accepted = await self._handle(_report(message))
            if accepted:
                await self._delete(index)
        elif isinstance(message, Submit):
            _LOGGER.debug("A sent message stored at index %s: left alone", index)
        elif message.user_data.text is None:
            _LOGGER.debug("A binary message at index %s: deleted", index)
            await self._delete(index)
        else:
            await self._take_part(StoredPart(index=index, pdu=pdu, deliver=message))

    async def _take_part(self, part: StoredPart) -> None:
        loop = asyncio.get_running_loop()
        joined = self._parts.add(part, loop.time())
        if joined is None:
            self._arm_parts_timer()
            return
        if joined.key in self._fired:
            for index in joined.indexes:
                await self._delete(index)
            return
        await self._fire(joined, complete=joined.complete)

    def _arm_parts_timer(self) -> None:
        expiry = self._parts.next_expiry(self._part_timeout)
        if expiry is None or self._parts_timer is not None:
            return
        loop = asyncio.get_running_loop()

        def expired() -> None:
            self._parts_timer = None
            self.queue(self._flush_parts)

        self._parts_timer = loop.call_at(expiry, expired)

    async def _flush_parts(self) -> None:
        """Replies whose missing parts never came: fired as far as they got."""
        for joined in self._parts.take_expired(
            asyncio.get_running_loop().time(), self._part_timeout
        ):
            if joined.key not in self._fired:
                await self._fire(joined, complete=False)
        self._arm_parts_timer()

    async def _fire(self, joined: Joined, *, complete: bool) -> None:
        """Hand a joined reply over; once its key is kept, its copies leave the SIM."""
        reply = InboundMessage(
            provider=Provider.MODEM,
            message_id=joined.key,
            sender=from_gateway(joined.sender) or joined.sender,
            text=joined.text,
            received_at=joined.received_at,
            complete=complete,
        )
        if not await self._handle(reply):
            return
        self._fired[joined.key] = None
        while len(self._fired) > _FIRED_MEMORY:
            self._fired.popitem(last=False)
        for index in joined.indexes:
            await self._delete(index)

    async def _handle(self, item: InboundMessage | DeliveryReport) -> bool:
        handler = self.handler
        if handler is None:
            return False
        try:
            return await handler(item)
        except Exception:
            _LOGGER.exception("The handler of the modem's messages failed")
            return False

    async def _delete(self, index: int | None) -> None:
        if index is None:
            return
        try:
            await self._run(f"AT+CMGD={index}")
        except FinalResultError as err:
            _LOGGER.debug("The modem would not delete index %s: %s", index, err.final)


def _report(report: StatusReport) -> DeliveryReport:
    recipient = from_gateway(report.recipient) or report.recipient
    return DeliveryReport(
        provider=Provider.MODEM,
        message_id=None,
        recipient=recipient,
        status=report.delivery_status,
        provider_status=str(report.status),
        reported_at=report.discharged,
        recipient_message_id=report_id(recipient, report.reference),
    )
