"""The modem route: a GSM/LTE modem on a serial port, in PDU mode (TS 27.005 / 27.007).

``ModemGateway`` opens the port (a path, ``socket://`` or ``rfc2217://``: serialx), runs
Texto's initialisation, sends one ``AT+CMGS`` per part and recipient, and hands each reply
(parts joined) and each delivery report to one handler; a stored message is deleted only
once the handler returned True. A port that goes (unplugged, reset) is reopened in the
background with backoff; a modem that stops answering a quiet ``AT`` twice is reopened too.
Every ``sweep_interval`` seconds, when idle, what is still stored is read again: a ``+CMTI``
lost on the line (or a reply the handler did not take) is not left on the SIM for good.

Delivery reports carry the TP-MR of a part, a number the modem wraps after 255: so
``SendResult.recipient_ids`` maps each number (E.164) to ``"<number>#<mr>"``, the TP-MR of
its last part (the only one for a single-part message), and a report's
``recipient_message_id`` is written the same way: it matches the latest send to that number
with that TP-MR.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar, Final

import serialx

from .at import (
    AtChannel,
    AtError,
    AtTimeoutError,
    FinalResultError,
    NoPromptError,
    PortClosedError,
    open_channel,
)
from .base import Gateway
from .errors import (
    GatewayError,
    InvalidRequestError,
    InvalidSenderError,
    Outcome,
    OutcomeUnknownError,
    PartialSendError,
    RecipientsRejectedError,
    TemporarilyUnavailableError,
    UnsupportedFeatureError,
)
from .models import (
    Balance,
    Capabilities,
    DeliveryReport,
    InboundMessage,
    PreparedSend,
    Provider,
    Route,
    SendRequest,
    SendResult,
    SendStatus,
)
from .modem_inbox import (
    PartsBuffer,
    StoredPart,
    list_answer_pdus,
    read_answer_pdu,
    urc_index,
)
from .pdu import PduError, StatusReport, Submit, decode, submit_pdus
from .phases import start_request
from .phone import from_gateway
from .redact import mask_text
from .sender import SenderRule

_LOGGER = logging.getLogger(__name__)

type InboundHandler = Callable[[InboundMessage | DeliveryReport], Awaitable[bool]]

#: +CNMI settings tried in order: reports as +CDS first, the last without reports
CNMI_CANDIDATES: Final = ("2,1,0,1,0", "2,1,2,1,0", "2,1,2,2,0", "2,1,0,0,0")
#: +CMS ERROR codes worth a retry (network busy, congestion, no service, network timeout ...)
TRANSIENT_CMS: Final = frozenset({38, 41, 42, 47, 331, 332, 500})
#: +CMS ERROR codes that refuse the number itself (TS 24.011 E.2)
_RECIPIENT_CMS: Final = frozenset({1, 8, 10, 21, 27, 28, 29, 30})
#: +CREG/+CEREG <stat>
_REGISTRATION: Final = {
    0: "not_registered",
    1: "home",
    2: "searching",
    3: "denied",
    4: "unknown",
    5: "roaming",
}
_SIM_STATES: Final = {"READY": "ready", "SIM PIN": "pin_required", "SIM PUK": "puk_required"}
#: how many times a command the modem refuses while it starts (SMS DONE not yet) is tried
_STARTUP_TRIES: Final = 5
#: fired replies remembered so that one still stored is never fired twice
_FIRED_MEMORY: Final = 4096
_CME_SIM_NOT_INSERTED, _CME_SIM_BUSY = 10, 14


class ModemError(GatewayError):
    """The modem could not be opened or initialised."""


class CannotOpenError(ModemError):
    """The port cannot be opened (missing, held by another program such as ModemManager)."""


class NoAnswerError(ModemError):
    """The port opened but nothing answers ``AT`` (another interface of the modem?)."""


class PinRequiredError(ModemError):
    """The SIM asks for its PIN and none was given."""


class InvalidPinError(ModemError):
    """The SIM refused the PIN: it is never sent again by this client (3 tries lock the SIM)."""


class SimError(ModemError):
    """The SIM is missing, or locked beyond its PIN (PUK): a person must act."""

    def __init__(self, message: str, *, sim_state: str) -> None:
        super().__init__(message)
        self.sim_state = sim_state


class InitCommandError(ModemError):
    """One of the user's init commands did not answer ``OK``."""

    def __init__(self, command: str) -> None:
        super().__init__(f"the init command {command!r} did not answer OK")
        self.command = command


@dataclass(frozen=True, slots=True, kw_only=True)
class ModemStatus:
    """What the modem says of itself."""

    #: from +CSQ (2 x rssi - 113); None when unknown (99)
    signal_dbm: int | None
    #: on its home network or roaming
    registered: bool
    #: "home", "roaming", "searching", "denied", "not_registered", "unknown"
    registration: str
    operator: str | None
    #: "ready", "pin_required", "puk_required", "not_inserted", "busy", "unknown"
    sim_state: str
    #: delivery reports could be switched on (+CNMI): without, sends end "sent"
    delivery_reports: bool = True


class ModemGateway(Gateway):
    """A client of one modem: sends, replies and delivery reports through AT commands."""

    provider: ClassVar[Provider] = Provider.MODEM
    route: ClassVar[Route] = Route.MODEM
    capabilities: ClassVar[Capabilities] = Capabilities(
        balance=False,
        balance_unit=None,
        schedule=False,
        flash=True,
        replies=True,
        delivery_reports=True,
    )
    #: a modem sends from its SIM's number: no custom sender (checked in ``_check_sender``)
    sender_rule: ClassVar[SenderRule] = SenderRule(
        min_length=0, max_length=0, allow_space=False, must_start_with_letter=False
    )

    def __init__(
        self,
        device: str,
        *,
        pin: str | None = None,
        baudrate: int = 115200,
        init_commands: Sequence[str] = (),
        answer_timeout: float = 120.0,
        prompt_timeout: float = 10.0,
        command_timeout: float = 10.0,
        part_timeout: float = 600.0,
        keepalive_interval: float = 60.0,
        reopen_delays: tuple[float, float] = (1.0, 60.0),
        sweep_interval: float = 600.0,
    ) -> None:
        self._device = device
        self._pin = pin or None
        self._baudrate = baudrate
        self._init_commands = tuple(command for command in init_commands if command.strip())
        self._answer_timeout = answer_timeout
        self._prompt_timeout = prompt_timeout
        self._command_timeout = command_timeout
        self._part_timeout = part_timeout
        self._keepalive_interval = keepalive_interval
        self._reopen_delays = reopen_delays
        self._sweep_interval = sweep_interval
        self._channel: AtChannel | None = None
        self._connected = False
        self._closing = False
        self._pin_refused = False
        self._handler: InboundHandler | None = None
        self._jobs: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue(maxsize=1024)
        self._ready = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._reopen_task: asyncio.Task[None] | None = None
        self._parts = PartsBuffer()
        self._parts_timer: asyncio.TimerHandle | None = None
        self._fired: OrderedDict[str, None] = OrderedDict()
        self._reference = uuid.uuid4().int & 0xFF
        self._misses = 0
        self._last_answer = 0.0
        self._status: ModemStatus | None = None
        self._reports = True

    # --- life cycle --------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the port is open and the modem initialised."""
        return self._connected

    @property
    def last_status(self) -> ModemStatus | None:
        """The status last read (at connect, by ``status``, or updated by URCs)."""
        return self._status

    def set_inbound_handler(self, handler: InboundHandler) -> None:
        """Who gets each reply and report; True from it lets the stored copy be deleted."""
        self._handler = handler

    async def connect(self) -> ModemStatus:
        """Open the port and initialise the modem; then read what is stored, in the background.

        Raises ``CannotOpenError``, ``NoAnswerError``, ``PinRequiredError``,
        ``InvalidPinError``, ``SimError`` or ``InitCommandError``.
        """
        self._closing = False
        status = await self._open_and_initialise()
        if not self._tasks:
            self._spawn(self._work())
            self._spawn(self._keepalive())
            self._spawn(self._sweep())
        if self._handler is not None:
            self._queue(self._read_stored)
        return status

    async def close(self) -> None:
        """Stop every task and close the port."""
        self._closing = True
        self._connected = False
        self._ready.clear()
        if self._parts_timer is not None:
            self._parts_timer.cancel()
        tasks = [*self._tasks, *([self._reopen_task] if self._reopen_task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._reopen_task = None
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)

    async def _open_and_initialise(self) -> ModemStatus:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
        self._connected = False
        self._ready.clear()
        channel: AtChannel | None = None

        def closed() -> None:
            if channel is not None and channel is self._channel:
                self._port_lost()

        try:
            channel = await open_channel(
                self._device,
                baudrate=self._baudrate,
                within=self._command_timeout,
                on_urc=self._on_urc,
                on_closed=closed,
            )
        except (OSError, serialx.SerialException, ValueError, TimeoutError) as err:
            raise CannotOpenError(f"cannot open the modem's port: {err}") from err
        self._channel = channel
        try:
            status = await self._initialise(channel)
        except BaseException:
            await channel.close()
            self._channel = None
            raise
        self._misses = 0
        self._connected = True
        self._ready.set()
        return status

    def _port_lost(self) -> None:
        """The port went: sends fail until it is back; reopen it in the background."""
        if self._closing:
            return
        _LOGGER.debug("The modem's port is gone; reopening it")
        self._connected = False
        self._ready.clear()
        if self._reopen_task is None or self._reopen_task.done():
            self._reopen_task = asyncio.get_running_loop().create_task(self._reopen())

    async def _reopen(self) -> None:
        delay, longest = self._reopen_delays
        while not self._closing:
            await asyncio.sleep(delay)
            try:
                await self._open_and_initialise()
            except (PinRequiredError, InvalidPinError, SimError) as err:
                _LOGGER.warning("The modem cannot be used again until its SIM is seen to: %s", err)
                return
            except ModemError as err:
                _LOGGER.debug("Reopening the modem failed (%s); next try in %s s", err, delay)
                delay = min(delay * 2, longest)
            else:
                _LOGGER.debug("The modem is back")
                self._queue(self._read_stored)
                return

    async def _keepalive(self) -> None:
        """A quiet AT when idle; two missed in a row and the port is reopened."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._keepalive_interval / 2)
            channel = self._channel
            if not self._connected or channel is None:
                continue
            if loop.time() - self._last_answer < self._keepalive_interval:
                continue
            with contextlib.suppress(AtError):
                await self._run(channel, "AT")

    async def _sweep(self) -> None:
        """What is still stored, read again when idle: a rescue for a lost ``+CMTI``.

        Harmless for what was handed over: fired keys are remembered here and upstream.
        """
        while True:
            await asyncio.sleep(self._sweep_interval)
            if self._connected and self._handler is not None and self._jobs.empty():
                self._queue(self._read_stored)

    async def _run(
        self,
        channel: AtChannel,
        command: str,
        *,
        prefixes: tuple[str, ...] = (),
        info_only: bool = False,
        within: float | None = None,
    ) -> list[str]:
        """One command, counting the modem's silences (two in a row: reopen)."""
        try:
            lines = await channel.command(
                command,
                within=self._command_timeout if within is None else within,
                prefixes=prefixes,
                info_only=info_only,
            )
        except AtTimeoutError:
            self._missed(channel)
            raise
        except FinalResultError:
            self._answered()
            raise
        self._answered()
        return lines

    def _answered(self) -> None:
        self._misses = 0
        self._last_answer = asyncio.get_running_loop().time()

    def _missed(self, channel: AtChannel) -> None:
        self._misses += 1
        if self._misses >= 2 and self._connected and channel is self._channel:
            _LOGGER.debug("The modem stopped answering; reopening its port")
            self._misses = 0
            self._port_lost()

    # --- initialisation ------------------------------------------------------------------

    async def _initialise(self, channel: AtChannel) -> ModemStatus:
        await self._sync(channel)
        for command in ("ATE0", "AT+CMEE=1"):
            await self._optional(channel, command)
        sim_state = await self._unlock(channel)
        await self._starting(channel, "AT+CMGF=0")
        self._reports = await self._probe_cnmi(channel)
        status = await self._read_status(channel, sim_state)
        for command in self._init_commands:
            try:
                await self._run(channel, command)
            except AtError as err:
                raise InitCommandError(command) from err
        return status

    async def _sync(self, channel: AtChannel) -> None:
        for _ in range(3):
            try:
                await self._run(channel, "AT", within=min(self._command_timeout, 3.0))
            except FinalResultError:
                return  # it answers: junk before our AT made it an error
            except AtTimeoutError:
                continue
            except PortClosedError as err:
                raise CannotOpenError("the modem's port closed") from err
            return
        raise NoAnswerError("nothing answers AT on this port")

    async def _optional(self, channel: AtChannel, command: str) -> None:
        try:
            await self._run(channel, command)
        except FinalResultError:
            _LOGGER.debug("The modem refused %s", command)
        except AtError as err:
            raise NoAnswerError(f"no answer to {command}") from err

    async def _starting(self, channel: AtChannel, command: str) -> None:
        """A command some modems refuse until they have said SMS DONE."""
        for attempt in range(_STARTUP_TRIES):
            try:
                await self._run(channel, command)
            except FinalResultError as err:
                if attempt == _STARTUP_TRIES - 1:
                    raise ModemError(f"the modem refuses {command}", code=err.final) from err
                await asyncio.sleep(1)
            except AtError as err:
                raise NoAnswerError(f"no answer to {command}") from err
            else:
                return

    async def _sim_state(self, channel: AtChannel) -> str:
        for attempt in range(_STARTUP_TRIES):
            try:
                lines = await self._run(channel, "AT+CPIN?", prefixes=("+CPIN:",), info_only=True)
            except FinalResultError as err:
                if err.code == _CME_SIM_NOT_INSERTED:
                    return "not_inserted"
                if err.code == _CME_SIM_BUSY and attempt < _STARTUP_TRIES - 1:
                    await asyncio.sleep(1)
                    continue
                return "busy" if err.code == _CME_SIM_BUSY else "unknown"
            except AtError as err:
                raise NoAnswerError("no answer to AT+CPIN?") from err
            for line in lines:
                if line.startswith("+CPIN:"):
                    return _SIM_STATES.get(line.split(":", 1)[1].strip().upper(), "unknown")
            return "unknown"
        return "busy"

    async def _unlock(self, channel: AtChannel) -> str:
        state = await self._sim_state(channel)
        if state == "pin_required":
            if self._pin is None:
                raise PinRequiredError("the SIM needs its PIN")
            if self._pin_refused:
                raise InvalidPinError("the SIM refused the PIN: it is not sent again")
            try:
                await self._run(channel, f'AT+CPIN="{self._pin}"')
            except FinalResultError as err:
                self._pin_refused = True
                raise InvalidPinError("the SIM refused the PIN", code=err.final) from None
            except AtError:
                self._pin_refused = True  # it may have counted: never risk a second try
                raise NoAnswerError("no answer to the PIN") from None
            for _ in range(_STARTUP_TRIES):
                state = await self._sim_state(channel)
                if state == "ready":
                    break
                await asyncio.sleep(1)
        if state in {"puk_required", "not_inserted"}:
            raise SimError(f"the SIM is not usable ({state})", sim_state=state)
        return state

    async def _probe_cnmi(self, channel: AtChannel) -> bool:
        """New messages as +CMTI, reports as +CDS where the modem takes it."""
        for setting in CNMI_CANDIDATES:
            try:
                await self._run(channel, f"AT+CNMI={setting}")
            except FinalResultError:
                continue
            except AtError as err:
                raise NoAnswerError("no answer to AT+CNMI") from err
            return setting.split(",")[3] != "0"
        _LOGGER.debug("The modem refused every +CNMI setting: no new message is announced")
        return False

    async def _read_status(self, channel: AtChannel, sim_state: str) -> ModemStatus:
        registration = "unknown"
        for command, prefix in (("AT+CREG?", "+CREG:"), ("AT+CEREG?", "+CEREG:")):
            try:
                lines = await self._run(channel, command, prefixes=(prefix,))
            except FinalResultError:
                continue
            found = _registration(lines, prefix)
            if found is not None and (registration not in {"home", "roaming"}):
                registration = found
        signal: int | None = None
        with contextlib.suppress(FinalResultError):
            signal = _signal_dbm(await self._run(channel, "AT+CSQ", prefixes=("+CSQ:",)))
        operator: str | None = None
        with contextlib.suppress(FinalResultError):
            operator = _operator(await self._run(channel, "AT+COPS?", prefixes=("+COPS:",)))
        self._status = ModemStatus(
            signal_dbm=signal,
            registered=registration in {"home", "roaming"},
            registration=registration,
            operator=operator,
            sim_state=sim_state,
            delivery_reports=self._reports,
        )
        return self._status

    async def status(self) -> ModemStatus:
        """Signal, registration, operator and SIM state, read now."""
        channel = self._ready_channel()
        try:
            return await self._read_status(channel, await self._sim_state(channel))
        except (AtError, ModemError) as err:
            raise TemporarilyUnavailableError("the modem did not answer") from err

    async def restart_radio(self) -> None:
        """Radio off and on (AT+CFUN=0, AT+CFUN=1), then Texto's initialisation again."""
        channel = self._ready_channel()
        self._connected = False
        self._ready.clear()
        try:
            await self._run(channel, "AT+CFUN=0", within=max(self._command_timeout, 30.0))
            await self._run(channel, "AT+CFUN=1", within=max(self._command_timeout, 30.0))
            await self._initialise(channel)
        except AtError as err:
            self._port_lost()
            raise TemporarilyUnavailableError("the modem did not restart") from err
        self._connected = True
        self._ready.set()

    def _ready_channel(self) -> AtChannel:
        channel = self._channel
        if not self._connected or channel is None or channel.closed:
            raise TemporarilyUnavailableError("the modem is not connected")
        return channel

    # --- sending -----------------------------------------------------------------------

    def _check_sender(self, request: SendRequest) -> str | None:
        if request.sender is not None and request.sender.strip():
            raise InvalidSenderError("a modem sends from its SIM's number")
        return None

    async def get_balance(self) -> Balance:
        """A SIM has no balance the library reads."""
        raise UnsupportedFeatureError("balance", self.route)

    async def _send(self, prepared: PreparedSend) -> SendResult:
        accepted: dict[str, str | None] = {}
        failures: dict[str, GatewayError] = {}
        stopped: GatewayError | None = None
        for number in prepared.recipients:
            if stopped is not None:
                failures[number] = TemporarilyUnavailableError("not tried: the modem failed")
                continue
            try:
                accepted[number] = await self._send_one(number, prepared)
            except (OutcomeUnknownError, TemporarilyUnavailableError) as err:
                failures[number] = err
                if not self._connected or isinstance(err, OutcomeUnknownError):
                    stopped = err
            except GatewayError as err:
                failures[number] = err
        result = SendResult(
            route=self.route,
            message_id=f"modem-{uuid.uuid4().hex}",
            status=SendStatus.SENT,
            recipients=tuple(accepted),
            invalid_recipients=(),
            recipient_ids={number: mr for number, mr in accepted.items() if mr is not None},
            message=prepared.message,
            billed_parts=prepared.message.parts * len(accepted),
            reference=prepared.request.reference,
        )
        if not failures:
            return result
        first = next(iter(failures.values()))
        if not accepted and (
            len(failures) == 1 or all(e.outcome is Outcome.NOT_SENT for e in failures.values())
        ):
            raise first
        raise PartialSendError(result, failures)

    async def _send_one(self, number: str, prepared: PreparedSend) -> str | None:
        """Every part to ``number``; the id a report of the last part will carry."""
        self._reference = (self._reference + 1) & 0xFF
        parts = submit_pdus(
            number,
            prepared.message,
            reference=self._reference,
            flash=prepared.request.flash,
            status_report=True,
        )
        mr: str | None = None
        for part in parts:
            mr = await self._submit(number, part.hex, part.tpdu_length)
        return mr

    async def _submit(self, number: str, pdu: str, length: int) -> str | None:
        channel = self._ready_channel()
        try:
            lines = await channel.submit(
                f"AT+CMGS={length}",
                pdu,
                prompt_timeout=self._prompt_timeout,
                answer_timeout=self._answer_timeout,
                trace=start_request(),
            )
        except NoPromptError as err:
            code = err.error.final if err.error else None
            raise TemporarilyUnavailableError(
                "the modem gave no prompt: nothing sent", code=code
            ) from None
        except PortClosedError as err:
            if err.pdu_written:
                raise OutcomeUnknownError("the port went after the message was written") from None
            raise TemporarilyUnavailableError("the modem's port is gone") from None
        except AtTimeoutError:
            self._missed(channel)
            raise OutcomeUnknownError(
                f"no answer within {self._answer_timeout:g} s after the message: it may have gone"
            ) from None
        except FinalResultError as err:
            self._answered()
            raise _refusal(err, number) from None
        self._answered()
        for line in lines:
            if line.startswith("+CMGS:"):
                value = line.split(":", 1)[1].split(",")[0].strip()
                return report_id(number, int(value)) if value.isdigit() else None
        return None

    # --- receiving -----------------------------------------------------------------------

    def _on_urc(self, line: str, pdu: str | None) -> None:
        """An unsolicited line, from the reader: quick, never an AT command here."""
        if line.startswith(("+CMTI:", "+CDSI:")):
            index = urc_index(line)
            if index is None:
                _LOGGER.debug("A new-message line without a usable index: %s", mask_text(line))
                return
            self._queue(lambda: self._read_index_job(index))
        elif line.startswith(("+CDS:", "+CMT:")):
            if pdu is None:
                _LOGGER.debug("%s without its PDU", line.split(":", maxsplit=1)[0])
                return
            self._queue(lambda: self._take(None, pdu))
        elif line.startswith(("+CREG:", "+CEREG:")) and self._status is not None:
            found = _registration([line], line.split(":", maxsplit=1)[0] + ":")
            if found is not None:
                self._status = replace(
                    self._status, registration=found, registered=found in {"home", "roaming"}
                )
        else:
            _LOGGER.debug("Modem says: %s", mask_text(line)[:80])

    def _queue(self, job: Callable[[], Awaitable[None]]) -> None:
        try:
            self._jobs.put_nowait(job)
        except asyncio.QueueFull:
            _LOGGER.debug(
                "Too many modem events waiting; the stored ones are read at the next start"
            )

    async def _work(self) -> None:
        while True:
            job = await self._jobs.get()
            await self._ready.wait()
            try:
                await job()
            except (AtError, GatewayError) as err:
                _LOGGER.debug("A modem event could not be handled now: %s", err)
            except Exception:
                _LOGGER.warning("A modem event could not be handled", exc_info=True)

    async def read_stored(self) -> None:
        """Read every stored message (AT+CMGL=4, or AT+CMGR per index where it is refused)."""
        self._ready_channel()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def job() -> None:
            try:
                await self._read_stored()
            except BaseException as err:
                done.set_exception(err)
                raise
            done.set_result(None)

        self._queue(job)
        await done

    async def _read_stored(self) -> None:
        channel = self._ready_channel()
        try:
            lines = await self._run(
                channel, "AT+CMGL=4", prefixes=("+CMGL:",), within=max(self._command_timeout, 30.0)
            )
        except FinalResultError:
            await self._read_each(channel)
            return
        for index, pdu in list_answer_pdus(lines):
            await self._take(index, pdu)

    async def _read_each(self, channel: AtChannel) -> None:
        """Where AT+CMGL is refused (Quectel EP06-A: +CMS ERROR: 303): one index at a time."""
        used, total = 0, 30
        try:
            for line in await self._run(channel, "AT+CPMS?", prefixes=("+CPMS:",)):
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
        channel = self._ready_channel()
        try:
            lines = await self._run(channel, f"AT+CMGR={index}", prefixes=("+CMGR:",))
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
        reply = InboundMessage(
            provider=self.provider,
            message_id=joined.key,
            sender=from_gateway(joined.sender) or joined.sender,
            text=joined.text,
            received_at=joined.received_at,
            complete=joined.complete,
        )
        if await self._handle(reply):
            self._fired[joined.key] = None
            while len(self._fired) > _FIRED_MEMORY:
                self._fired.popitem(last=False)
            for index in joined.indexes:
                await self._delete(index)

    def _arm_parts_timer(self) -> None:
        expiry = self._parts.next_expiry(self._part_timeout)
        if expiry is None or self._parts_timer is not None:
            return
        loop = asyncio.get_running_loop()

        def expired() -> None:
            self._parts_timer = None
            self._queue(self._flush_parts)

        self._parts_timer = loop.call_at(expiry, expired)

    async def _flush_parts(self) -> None:
        """Replies whose missing parts never came: fired as far as they got."""
        for joined in self._parts.take_expired(
            asyncio.get_running_loop().time(), self._part_timeout
        ):
            reply = InboundMessage(
                provider=self.provider,
                message_id=joined.key,
                sender=from_gateway(joined.sender) or joined.sender,
                text=joined.text,
                received_at=joined.received_at,
                complete=False,
            )
            if joined.key not in self._fired and await self._handle(reply):
                self._fired[joined.key] = None
                for index in joined.indexes:
                    await self._delete(index)
        self._arm_parts_timer()

    async def _handle(self, item: InboundMessage | DeliveryReport) -> bool:
        handler = self._handler
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
        channel = self._ready_channel()
        try:
            await self._run(channel, f"AT+CMGD={index}")
        except FinalResultError as err:
            _LOGGER.debug("The modem would not delete index %s: %s", index, err.final)


def _refusal(err: FinalResultError, number: str) -> GatewayError:
    """A final error after the PDU: the modem did not send it; retry or not."""
    code = str(err.code) if err.code is not None else (err.text or err.final)
    if err.kind != "CMS" or err.code is None or err.code in TRANSIENT_CMS:
        return TemporarilyUnavailableError(
            f"the modem could not send it now ({err.final})", code=code
        )
    if err.code in _RECIPIENT_CMS:
        return RecipientsRejectedError(
            f"the network refused the number ({err.final})", code=code, numbers=[number]
        )
    return InvalidRequestError(f"the modem refused the message ({err.final})", code=code)


def report_id(number: str, mr: int) -> str:
    """The id that ties a report to its send: the TP-MR alone repeats every 256 sends."""
    return f"{number}#{mr}"


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


def _registration(lines: Sequence[str], prefix: str) -> str | None:
    """<stat> of ``+CREG: <n>,<stat>[,...]`` (an answer) or ``+CREG: <stat>[,...]`` (a URC)."""
    for line in lines:
        if not line.startswith(prefix):
            continue
        fields = [f.strip() for f in line.split(":", 1)[1].split(",")]
        stat = fields[1] if len(fields) >= 2 and fields[1].isdigit() else fields[0]
        return _REGISTRATION.get(int(stat), "unknown") if stat.isdigit() else None
    return None


def _signal_dbm(lines: Sequence[str]) -> int | None:
    for line in lines:
        if line.startswith("+CSQ:"):
            rssi = line.split(":", 1)[1].split(",")[0].strip()
            if rssi.isdigit() and int(rssi) <= 31:
                return 2 * int(rssi) - 113
    return None


def _operator(lines: Sequence[str]) -> str | None:
    for line in lines:
        if line.startswith("+COPS:"):
            fields = line.split(":", 1)[1].split(",")
            if len(fields) >= 3:
                return fields[2].strip().strip('"') or None
    return None


__all__ = [
    "CannotOpenError",
    "InitCommandError",
    "InvalidPinError",
    "ModemError",
    "ModemGateway",
    "ModemStatus",
    "NoAnswerError",
    "PinRequiredError",
    "SimError",
]
