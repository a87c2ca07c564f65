"""An AT-command channel to a modem (TS 27.007 / 27.005) over a serial port opened by serialx.

One command at a time; the modem's lines are read by one task, which splits them on CR/LF
and sorts them: the answer of the command being run (its information lines, then a final
result), the ``> `` prompt of ``AT+CMGS``, the echo of what was typed (ignored), and the
unsolicited result codes (URCs), handed to a callback whenever they come, in the middle of
an answer too. Real modems vary (see the module ``modem``): finals with or without a space
or code, verbose errors, ``+CPIN:`` without ``OK``, URCs glued before an answer. Lines and
the buffer are bounded: junk never grows memory.

A command given up on (no final in time) may still be answered later: a modem works one
command at a time and answers each, late or not. Taken for the next command's answer, that
late final would end it too early, and every answer after it would be one behind. So the
channel counts the finals it still owes: one arriving between commands is dropped, and
before the next command a quiet ``AT`` is sent and its answer awaited together with the
late ones (see ``_resync``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import serialx

from .phases import Phase, RequestTrace
from .redact import mask_text

_LOGGER = logging.getLogger(__name__)

#: longest line kept (a PDU in hex is at most 2 x 176 characters; +CMGL puts a header first)
MAX_LINE: Final = 2048
#: most information lines one answer keeps (+CMGL of a full SIM: two lines a message)
MAX_ANSWER_LINES: Final = 1024
CTRL_Z: Final = b"\x1a"
ESC: Final = b"\x1b"
#: how long a ``+CPIN:`` line waits for the ``OK`` some modems never send
_INFO_ONLY_GRACE: Final = 0.5
#: how long an abandoned prompt (ESC) waits for its ``OK``
_ESC_GRACE: Final = 2.0
#: how long a resynchronising ``AT`` waits for more finals once one came: a modem answers
#: ``AT`` at once, so a late answer still to come is right behind
_RESYNC_SETTLE: Final = 0.2

_ERROR_FINAL = re.compile(
    r"(?:ERROR|COMMAND NOT SUPPORT|TOO MANY PARAMETERS|NO CARRIER|\+CM[ES] ERROR\b.*)"
)
_EXTENDED_ERROR = re.compile(r"\+(CM[ES]) ERROR:?\s*(.*)")
_HEX_LINE = re.compile(r"(?:[0-9A-Fa-f]{2})+")
#: the beginnings of unsolicited lines seen in the field (27.005/27.007 and makers' own)
URC_PREFIXES: Final = (
    "+CMTI:",
    "+CMT:",
    "+CDS:",
    "+CDSI:",
    "+CBM:",
    "+CBMI:",
    "RING",
    "+CRING:",
    "+CLIP:",
    "+CCWA:",
    "+CREG:",
    "+CEREG:",
    "+CGREG:",
    "+C5GREG:",
    "+CGEV:",
    "+CUSD:",
    "+CIEV:",
    "+CFUN:",
    "+CPIN:",
    "+CTZV:",
    "+CTZE:",
    "+QIND:",
    "+QUSIM:",
    "+ZDONR:",
    "+ZPASR:",
    "+ZEND",
    "^",
    "*",
    "RDY",
    "SMS DONE",
    "PB DONE",
    "SMS Ready",
    "Call Ready",
    "NO CARRIER",
)
#: URCs whose PDU follows on the next line
_URC_WITH_PDU: Final = ("+CMT:", "+CDS:", "+CBM:")

#: a URC: its line, and the PDU line that came with it (``+CDS``, ``+CMT``)
type UrcHandler = Callable[[str, str | None], None]


class AtError(Exception):
    """Base of the channel's errors (the modem module turns them into gateway errors)."""


class PortClosedError(AtError):
    """The port is gone (read or write error, end of file) or the channel was closed."""

    def __init__(self, message: str = "the port is closed", *, pdu_written: bool = False) -> None:
        super().__init__(message)
        #: a PDU and Ctrl-Z had been written when it went: the message may have left
        self.pdu_written = pdu_written


class AtTimeoutError(AtError):
    """No final result in time."""


class FinalResultError(AtError):
    """A final result other than ``OK``: ``ERROR``, ``+CME ERROR: n``, ``+CMS ERROR: n``."""

    def __init__(self, final: str) -> None:
        super().__init__(final)
        self.final = final
        match = _EXTENDED_ERROR.fullmatch(final)
        #: "CME", "CMS" or None (plain ERROR, COMMAND NOT SUPPORT ...)
        self.kind: str | None = match[1] if match else None
        detail = match[2].strip() if match else ""
        #: the numeric code, None when the modem gave none or words instead
        self.code: int | None = int(detail) if detail.isdigit() else None
        #: the words, when the modem gave words (``+CMS ERROR: Unknown error``)
        self.text: str | None = None if self.code is not None or not detail else detail


class NoPromptError(AtError):
    """``AT+CMGS`` got no ``> `` prompt (a final instead, or nothing in time): nothing sent."""

    def __init__(self, final: str | None) -> None:
        super().__init__(final or "no prompt in time")
        self.error = FinalResultError(final) if final else None


def is_error_final(line: str) -> bool:
    """Whether ``line`` is a final result that ends a command unsuccessfully."""
    return _ERROR_FINAL.fullmatch(line) is not None


def is_hex(line: str) -> bool:
    """Whether ``line`` is hex digits in pairs (a PDU)."""
    return _HEX_LINE.fullmatch(line) is not None


@dataclass(slots=True)
class _Pending:
    """The command being run and what has come back for it."""

    command: str
    prefixes: tuple[str, ...]
    final: asyncio.Future[str]
    #: the answer may be its information line alone (``+CPIN:`` on Wavecom, Sierra)
    info_only: bool = False
    prompt: asyncio.Future[None] | None = None
    #: the PDU typed after the prompt (its echo is ignored)
    pdu: str | None = None
    lines: list[str] = field(default_factory=list)
    info_seen: asyncio.Event = field(default_factory=asyncio.Event)
    #: a resynchronising ``AT``: its finals are counted, none ends it (see ``_resync``)
    counting: bool = False
    finals: int = 0
    final_seen: asyncio.Event = field(default_factory=asyncio.Event)


class AtChannel:
    """One modem's port: commands in, answers and URCs out."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_urc: UrcHandler,
        on_closed: Callable[[], None],
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._on_urc = on_urc
        self._on_closed = on_closed
        self._lock = asyncio.Lock()
        self._pending: _Pending | None = None
        self._buffer = bytearray()
        #: a line too long is being dropped up to its end
        self._discarding = False
        #: a URC whose PDU is the next line
        self._urc_waiting_pdu: str | None = None
        self._closed = False
        #: finals of commands given up on that may still come
        self._owed = 0
        self._task = asyncio.get_running_loop().create_task(self._read_loop())

    @property
    def closed(self) -> bool:
        """Whether the port is gone or the channel closed."""
        return self._closed

    # --- commands ----------------------------------------------------------------------

    async def command(
        self,
        command: str,
        *,
        within: float,
        prefixes: tuple[str, ...] = (),
        info_only: bool = False,
    ) -> list[str]:
        """Run ``command``; return its information lines once it answers ``OK``.

        ``prefixes``: the beginnings of its own information lines, which would otherwise
        be taken for URCs (``+CREG:`` for ``AT+CREG?``). ``info_only``: its information line
        is an answer even without ``OK``. Raises ``FinalResultError``, ``AtTimeoutError``,
        ``PortClosedError``.
        """
        async with self._lock:
            await self._resync(within)
            pending = self._start(command, prefixes, info_only=info_only)
            try:
                await self._write(command.encode("ascii", "replace") + b"\r")
                return await self._answer(pending, within)
            finally:
                self._pending = None

    async def submit(
        self,
        command: str,
        pdu: str,
        *,
        prompt_timeout: float,
        answer_timeout: float,
        trace: RequestTrace | None = None,
    ) -> list[str]:
        """``AT+CMGS=<n>``, the PDU after the prompt, Ctrl-Z; the lines of the answer.

        Before the PDU is written nothing can have been sent: ``NoPromptError``, or
        ``PortClosedError`` with ``pdu_written`` False. After: ``FinalResultError`` (the
        modem refused it), ``AtTimeoutError`` or ``PortClosedError`` (it may have gone).
        """
        async with self._lock:
            try:
                await self._resync(prompt_timeout)
            except AtTimeoutError:
                raise NoPromptError(None) from None
            loop = asyncio.get_running_loop()
            pending = self._start(command, ("+CMGS:",))
            pending.prompt = loop.create_future()
            pending.pdu = pdu
            try:
                await self._write(command.encode("ascii") + b"\r")
                if trace is not None:
                    trace.reached(Phase.CONNECTED)
                await self._prompt(pending, prompt_timeout)
                try:
                    await self._write(pdu.encode("ascii") + CTRL_Z)
                except PortClosedError:
                    raise PortClosedError("the port went while writing the PDU") from None
                if trace is not None:
                    trace.reached(Phase.REQUEST_WRITTEN)
                try:
                    lines = await self._answer(pending, answer_timeout)
                except PortClosedError as err:
                    raise PortClosedError(str(err), pdu_written=True) from None
                if trace is not None:
                    trace.reached(Phase.ANSWER_READ)
                return lines
            finally:
                self._pending = None

    def _start(
        self, command: str, prefixes: tuple[str, ...], *, info_only: bool = False
    ) -> _Pending:
        if self._closed:
            raise PortClosedError
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._pending = _Pending(command, prefixes, future, info_only=info_only)
        return self._pending

    async def _prompt(self, pending: _Pending, within: float) -> None:
        assert pending.prompt is not None
        try:
            async with asyncio.timeout(within):
                done, _ = await asyncio.wait(
                    (pending.prompt, pending.final), return_when=asyncio.FIRST_COMPLETED
                )
        except TimeoutError:
            await self._abandon(pending)
            raise NoPromptError(None) from None
        except asyncio.CancelledError:
            await asyncio.shield(self._abandon(pending))
            raise
        if pending.prompt in done:
            return
        # a final before any prompt: refused, nothing sent (or the port went: PortClosedError)
        final = pending.final.result()
        raise NoPromptError(final)

    async def _abandon(self, pending: _Pending) -> None:
        """ESC: a prompt that came late must not take the next command for a PDU."""
        try:
            await self._write(ESC)
            async with asyncio.timeout(_ESC_GRACE):
                await pending.final
        except TimeoutError:
            self._owed += 1
        except AtError:
            pass

    async def _resync(self, within: float) -> None:
        """When answers are owed: a quiet ``AT``, and every final up to its own.

        So no late answer ends the command that follows. The finals awaited are the owed
        ones and the ``AT``'s; one owed may never come (the modem dropped the command):
        once a final came, a short silence ends the wait. Raises ``AtTimeoutError`` when
        nothing answers at all (the answers are still owed).
        """
        if self._owed == 0:
            return
        expected = self._owed + 1
        pending = self._start("AT", ())
        pending.counting = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        try:
            await self._write(b"AT\r")
            while pending.finals < expected:
                pending.final_seen.clear()
                wait = _RESYNC_SETTLE if pending.finals else deadline - loop.time()
                try:
                    async with asyncio.timeout(max(wait, 0.0)):
                        await pending.final_seen.wait()
                except TimeoutError:
                    if pending.finals:
                        break
                    self._owed = expected
                    raise AtTimeoutError("no answer to AT") from None
                if self._closed:
                    raise PortClosedError
        finally:
            self._pending = None
        _LOGGER.debug("Resynchronised with the modem (%d late answers)", pending.finals - 1)
        self._owed = 0

    async def _answer(self, pending: _Pending, within: float) -> list[str]:
        try:
            async with asyncio.timeout(within):
                if pending.info_only:
                    info = asyncio.ensure_future(pending.info_seen.wait())
                    try:
                        await asyncio.wait(
                            (pending.final, info), return_when=asyncio.FIRST_COMPLETED
                        )
                    finally:
                        info.cancel()
                    if not pending.final.done():
                        await asyncio.wait((pending.final,), timeout=_INFO_ONLY_GRACE)
                        if not pending.final.done():
                            self._owed += 1  # its OK may still come (or never: Wavecom)
                            return pending.lines
                final = await pending.final
        except TimeoutError:
            self._owed += 1
            raise AtTimeoutError(f"no answer to {pending.command.split('=')[0]}") from None
        if final != "OK":
            raise FinalResultError(final)
        return pending.lines

    async def _write(self, data: bytes) -> None:
        if self._closed:
            raise PortClosedError
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (OSError, serialx.SerialException, RuntimeError) as err:
            _LOGGER.debug("Writing to the modem failed: %s", err)
            self._lost()
            raise PortClosedError from err

    # --- reading -----------------------------------------------------------------------

    async def _read_loop(self) -> None:
        while True:
            try:
                data = await self._reader.read(4096)
            except (OSError, serialx.SerialException) as err:
                _LOGGER.debug("Reading from the modem failed: %s", err)
                break
            if not data:
                _LOGGER.debug("The modem's port reached its end")
                break
            self.feed(data)
        self._lost()

    def feed(self, data: bytes) -> None:
        """Take bytes as read from the port."""
        self._buffer += data
        while True:
            ends = [i for i in (self._buffer.find(b"\r"), self._buffer.find(b"\n")) if i >= 0]
            if not ends:
                break
            end = min(ends)
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if self._discarding:
                self._discarding = False
                continue
            if len(raw) <= MAX_LINE:
                self._line(raw.decode("ascii", "replace").strip())
        if len(self._buffer) > MAX_LINE:
            _LOGGER.debug("Dropping %d bytes without a line end", len(self._buffer))
            self._buffer.clear()
            self._discarding = True
        elif self._buffer:
            self._maybe_prompt()

    def _maybe_prompt(self) -> None:
        pending = self._pending
        if pending is None or pending.prompt is None or pending.prompt.done():
            return
        if self._buffer.strip() == b">":
            self._buffer.clear()
            pending.prompt.set_result(None)

    def _line(self, line: str) -> None:
        if not line:
            return
        if self._urc_waiting_pdu is not None:
            urc, self._urc_waiting_pdu = self._urc_waiting_pdu, None
            if is_hex(line):
                self._urc(urc, line)
                return
            self._urc(urc, None)
        pending = self._pending
        is_final = line == "OK" or (is_error_final(line) and line != "NO CARRIER")
        if pending is None:
            if is_final and self._owed:
                self._owed -= 1
                _LOGGER.debug("A late answer (%s) dropped", line[:40])
                return
            self._unsolicited(line)
            return
        if self._is_echo(pending, line):
            return
        if pending.prompt is not None and not pending.prompt.done() and line == ">":
            pending.prompt.set_result(None)
            return
        if line == "NO CARRIER" and pending.command.upper().startswith("ATD"):
            is_final = True
        if is_final and pending.counting:
            pending.finals += 1
            pending.final_seen.set()
        elif is_final:
            if not pending.final.done():
                pending.final.set_result(line)
        elif line == "NO CARRIER":
            self._unsolicited(line)
        else:
            self._answer_line(pending, line)

    def _answer_line(self, pending: _Pending, line: str) -> None:
        if not line.startswith(pending.prefixes or ("\x00",)):
            for prefix in pending.prefixes:
                # a URC glued before the answer (Huawei "^RSSI:15+CMGR: ...")
                if (cut := line.find(prefix)) > 0 and line.startswith(URC_PREFIXES):
                    self._unsolicited(line[:cut])
                    line = line[cut:]
                    break
            else:
                if line.startswith(URC_PREFIXES):
                    self._unsolicited(line)
                    return
        elif pending.info_only:
            pending.info_seen.set()
        if len(pending.lines) < MAX_ANSWER_LINES:
            pending.lines.append(line)

    @staticmethod
    def _is_echo(pending: _Pending, line: str) -> bool:
        if line.upper() == pending.command.upper():
            return True
        if pending.pdu is not None:
            typed = line.lstrip("> ").rstrip("\x1a").strip()
            return typed.upper() == pending.pdu.upper()
        return False

    def _unsolicited(self, line: str) -> None:
        if line.startswith(_URC_WITH_PDU):
            self._urc_waiting_pdu = line
            return
        self._urc(line, None)

    def _urc(self, line: str, pdu: str | None) -> None:
        try:
            self._on_urc(line, pdu)
        except Exception:
            _LOGGER.warning("A modem line could not be handled: %s", mask_text(line), exc_info=True)

    # --- closing -----------------------------------------------------------------------

    def _lost(self) -> None:
        if self._closed:
            return
        self._closed = True
        pending = self._pending
        if pending is not None and not pending.final.done():
            pending.final.set_exception(PortClosedError())
            pending.final.exception()  # retrieved: nobody may be waiting any more
        if pending is not None:
            pending.final_seen.set()
        self._writer.close()
        self._on_closed()

    async def close(self) -> None:
        """Close the port (the closed callback is not called)."""
        self._on_closed = _nothing
        self._lost()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        with contextlib.suppress(OSError, serialx.SerialException, RuntimeError):
            await self._writer.wait_closed()


def _nothing() -> None:
    pass


async def open_channel(
    device: str,
    *,
    baudrate: int,
    within: float,
    on_urc: UrcHandler,
    on_closed: Callable[[], None],
) -> AtChannel:
    """Open ``device`` (a path, ``socket://host:port``, ``rfc2217://host:port``).

    Raises ``OSError`` (or serialx's ``SerialException``, ``ValueError`` for a bad URL,
    ``TimeoutError``) when it cannot be opened.
    """
    hide_serial_bytes()
    async with asyncio.timeout(within):
        reader, writer = await serialx.open_serial_connection(device, baudrate=baudrate)
    return AtChannel(reader, writer, on_urc, on_closed)


class _BytesHidden(logging.Filter):
    """Show the length of the bytes a log record carries, never the bytes.

    serialx logs every byte it reads and writes at DEBUG: the SIM's PIN (``AT+CPIN``),
    PDUs with phone numbers and texts. Whoever turns its debug log on must not see them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, bytes | bytearray | memoryview) for arg in record.args
        ):
            record.args = tuple(
                f"<{len(arg)} bytes>" if isinstance(arg, bytes | bytearray | memoryview) else arg
                for arg in record.args
            )
            record.msg = str(record.msg).replace("%r", "%s")
        return True


_HIDE_BYTES: Final = _BytesHidden()


def hide_serial_bytes() -> None:
    """Put the filter on every serialx logger (a filter is not inherited by child loggers)."""
    names = [name for name in logging.root.manager.loggerDict if name.startswith("serialx")]
    for name in ("serialx", *names):
        logger = logging.getLogger(name)
        if _HIDE_BYTES not in logger.filters:
            logger.addFilter(_HIDE_BYTES)
