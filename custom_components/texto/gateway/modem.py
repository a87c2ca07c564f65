"""The modem route: a GSM/LTE modem on a serial port, in PDU mode (TS 27.005 / 27.007).

``ModemGateway`` opens the port (a path, ``socket://`` or ``rfc2217://``: serialx), runs
Texto's initialisation, sends one ``AT+CMGS`` per part and recipient, and hands each reply
(parts joined) and each delivery report to one handler; a stored message is deleted only
once the handler returned True. A port that goes (unplugged, reset) is reopened in the
background with backoff; a modem that stops answering a quiet ``AT`` twice is reopened too.
Every ``sweep_interval`` seconds, when idle, what is still stored is read again: a ``+CMTI``
lost on the line (or a reply the handler did not take) is not left on the SIM for good.

Delivery reports carry the TP-MR of a part, a number the modem wraps after 255: so
``SendResult.recipient_ids`` maps each number (E.164) to ``"mr<mr>:<number>"``, the TP-MR of
its last part (the only one for a single-part message), and a report's
``recipient_message_id`` is written the same way: it matches the latest send to that number
with that TP-MR.

This module keeps the port's life (open, reopen, keep-alive) and the sending; the rest is
beside it: ``modem_init`` (initialisation, status), ``modem_receive`` (replies and
reports), ``modem_inbox`` (reading what the modem stores), ``modem_errors``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
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
    PreparedSend,
    Provider,
    Route,
    SendRequest,
    SendResult,
    SendStatus,
)
from .modem_errors import (
    CannotOpenError,
    InitCommandError,
    InvalidPinError,
    InvalidUssdCodeError,
    ModemError,
    NoAnswerError,
    PinRequiredError,
    SimError,
    UssdError,
)
from .modem_inbox import report_id
from .modem_init import CNMI_CANDIDATES, ModemInitialiser, ModemStatus, Runner
from .modem_receive import InboundHandler, ModemReceiver
from .modem_ussd import (
    USSD_DONE,
    USSD_FURTHER_ACTION,
    CusdAnswer,
    decode_ussd,
    parse_cusd,
    validate_ussd_code,
)
from .pdu import submit_pdus
from .phases import start_request
from .redact import mask_text
from .sender import SenderRule

_LOGGER = logging.getLogger(__name__)

#: +CMS ERROR codes worth a retry (network busy, congestion, no service, network timeout ...)
TRANSIENT_CMS: Final = frozenset({38, 41, 42, 47, 331, 332, 500})
#: +CMS ERROR codes that refuse the number itself (TS 24.011 E.2)
_RECIPIENT_CMS: Final = frozenset({1, 8, 10, 21, 27, 28, 29, 30})
#: longest USSD answer gathered over several lines (a network sends at most 182 characters)
_MAX_USSD_LINE: Final = 2048


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
        ussd_timeout: float = 20.0,
    ) -> None:
        self._device = device
        self._baudrate = baudrate
        self._answer_timeout = answer_timeout
        self._prompt_timeout = prompt_timeout
        self._command_timeout = command_timeout
        self._keepalive_interval = keepalive_interval
        self._reopen_delays = reopen_delays
        self._sweep_interval = sweep_interval
        self._ussd_timeout = ussd_timeout
        self._ussd_lock = asyncio.Lock()
        #: the USSD answer awaited, and its line so far when its text spans lines
        self._ussd_answer: asyncio.Future[CusdAnswer] | None = None
        self._ussd_partial: str | None = None
        self._channel: AtChannel | None = None
        self._connected = False
        self._closing = False
        self._ready = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._reopen_task: asyncio.Task[None] | None = None
        self._reference = uuid.uuid4().int & 0xFF
        self._misses = 0
        self._last_answer = 0.0
        self._status: ModemStatus | None = None
        self._on_ready: Callable[[], None] | None = None
        self._initialiser = ModemInitialiser(
            pin=pin or None,
            init_commands=[command for command in init_commands if command.strip()],
            command_timeout=command_timeout,
        )
        self._receiver = ModemReceiver(
            run=self._run_ready,
            ready=self._ready,
            part_timeout=part_timeout,
            list_timeout=max(command_timeout, 30.0),
            on_registration=self._registration_changed,
        )

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
        self._receiver.handler = handler

    def set_ready_handler(self, handler: Callable[[], None] | None) -> None:
        """Who is told each time the modem is ready to send (sends waiting may go then).

        Connected, reopened after its port went or it stopped answering, radio restarted.
        """
        self._on_ready = handler

    async def connect(self) -> ModemStatus:
        """Open the port and initialise the modem; then read what is stored, in the background.

        Raises ``CannotOpenError``, ``NoAnswerError``, ``PinRequiredError``,
        ``InvalidPinError``, ``SimError`` or ``InitCommandError``.
        """
        self._closing = False
        status = await self._open_and_initialise()
        if not self._tasks:
            self._spawn(self._receiver.work())
            self._spawn(self._keepalive())
            self._spawn(self._sweep())
        if self._receiver.handler is not None:
            self._receiver.queue(self._receiver.read_stored)
        return status

    async def close(self) -> None:
        """Stop every task and close the port."""
        self._closing = True
        self._connected = False
        self._ready.clear()
        self._receiver.close()
        if self._ussd_answer is not None and not self._ussd_answer.done():
            self._ussd_answer.set_exception(TemporarilyUnavailableError("the modem was closed"))
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
        self._became_ready()
        return status

    def _became_ready(self) -> None:
        self._connected = True
        self._ready.set()
        if self._on_ready is not None:
            self._on_ready()

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
                self._receiver.queue(self._receiver.read_stored)
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
            receiver = self._receiver
            if self._connected and receiver.handler is not None and receiver.idle:
                receiver.queue(receiver.read_stored)

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

    async def _run_ready(
        self,
        command: str,
        *,
        prefixes: tuple[str, ...] = (),
        info_only: bool = False,
        within: float | None = None,
    ) -> list[str]:
        """One command on the port in use; ``TemporarilyUnavailableError`` when there is none."""
        return await self._run(
            self._ready_channel(), command, prefixes=prefixes, info_only=info_only, within=within
        )

    def _runner(self, channel: AtChannel) -> Runner:
        """Commands on ``channel``, whether or not the modem is ready (initialisation)."""

        async def run(
            command: str,
            *,
            prefixes: tuple[str, ...] = (),
            info_only: bool = False,
            within: float | None = None,
        ) -> list[str]:
            return await self._run(
                channel, command, prefixes=prefixes, info_only=info_only, within=within
            )

        return run

    async def _initialise(self, channel: AtChannel) -> ModemStatus:
        self._status = await self._initialiser.initialise(self._runner(channel))
        return self._status

    def _registration_changed(self, registration: str) -> None:
        """A ``+CREG``/``+CEREG`` URC: the status follows without a command."""
        if self._status is not None:
            self._status = replace(
                self._status,
                registration=registration,
                registered=registration in {"home", "roaming"},
            )

    def _answered(self) -> None:
        self._misses = 0
        self._last_answer = asyncio.get_running_loop().time()

    def _missed(self, channel: AtChannel) -> None:
        self._misses += 1
        if self._misses >= 2 and self._connected and channel is self._channel:
            _LOGGER.debug("The modem stopped answering; reopening its port")
            self._misses = 0
            self._port_lost()

    async def status(self) -> ModemStatus:
        """Signal, registration, operator and SIM state, read now."""
        channel = self._ready_channel()
        try:
            self._status = await self._initialiser.read_status(self._runner(channel))
        except (AtError, ModemError) as err:
            raise TemporarilyUnavailableError("the modem did not answer") from err
        return self._status

    async def read_stored(self) -> None:
        """Read every stored message (AT+CMGL=4, or AT+CMGR per index where it is refused)."""
        self._ready_channel()
        await self._receiver.read_stored_now()

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
        self._became_ready()

    # --- USSD --------------------------------------------------------------------------

    async def read_ussd(self, code: str) -> str:
        """Send the USSD ``code`` (e.g. ``#123#``) and return the network's text, decoded.

        ``AT+CUSD=1,"<code>",15``; the ``+CUSD`` answer may come after ``OK``, within
        ``ussd_timeout`` seconds; a session left open (``+CUSD: 1``) is closed with
        ``AT+CUSD=2``. Raises ``InvalidUssdCodeError`` (never sent), ``UssdError`` (refused,
        ended by the network, not supported, no answer) or ``TemporarilyUnavailableError``.
        """
        code = validate_ussd_code(code)
        async with self._ussd_lock:
            answer = await self._ussd_exchange(code)
        if answer.result == USSD_FURTHER_ACTION:
            await self._end_ussd()
        if answer.result not in {USSD_DONE, USSD_FURTHER_ACTION} or answer.text is None:
            raise UssdError(
                f"the network gave no USSD text (+CUSD: {answer.result})", result=answer.result
            )
        text = decode_ussd(answer.text, answer.dcs)
        _LOGGER.debug("USSD answer (dcs %s): %s", answer.dcs, mask_text(text))
        return text

    async def _ussd_exchange(self, code: str) -> CusdAnswer:
        answer: asyncio.Future[CusdAnswer] = asyncio.get_running_loop().create_future()
        self._ussd_answer, self._ussd_partial = answer, None
        try:
            try:
                await self._run_ready(f'AT+CUSD=1,"{code}",15', within=self._ussd_timeout)
            except FinalResultError as err:
                raise UssdError(f"the modem refused the USSD request ({err.final})") from None
            except AtError as err:
                raise UssdError("no answer to the USSD request") from err
            try:
                async with asyncio.timeout(self._ussd_timeout):
                    return await answer
            except TimeoutError:
                # the URC handler may have set it meanwhile: read it anew, not as narrowed
                unfinished = self._unfinished_ussd()
                if unfinished is not None:  # a text whose end never came
                    partial = parse_cusd(unfinished, whole=True)
                    if partial is not None:
                        return partial
                await self._end_ussd()
                raise UssdError(f"no USSD answer within {self._ussd_timeout:g} s") from None
        finally:
            self._ussd_answer = self._ussd_partial = None

    def _unfinished_ussd(self) -> str | None:
        """The start of a USSD answer whose closing quote has not come (the URC handler's)."""
        return self._ussd_partial

    async def _end_ussd(self) -> None:
        """Close a USSD session the network left open (or gave up on)."""
        with contextlib.suppress(AtError, GatewayError):
            await self._run_ready("AT+CUSD=2")

    def _on_urc(self, line: str, pdu: str | None) -> None:
        """A ``+CUSD`` answer (and the lines its text spans) here, the rest to the receiver."""
        if self._ussd_partial is not None:
            line = f"{self._ussd_partial}\n{line}"
            self._ussd_partial = None
            if len(line) > _MAX_USSD_LINE:
                _LOGGER.debug("A USSD answer too long to be one: dropped")
                return
        elif not line.startswith("+CUSD:"):
            self._receiver.on_urc(line, pdu)
            return
        try:
            answer = parse_cusd(line)
        except ValueError:
            _LOGGER.debug("A USSD line that says nothing: %s", mask_text(line)[:80])
            return
        waiting = self._ussd_answer
        if answer is None:
            if waiting is not None:
                self._ussd_partial = line  # its text goes on on the next line
            return
        if waiting is None or waiting.done():
            _LOGGER.debug("A USSD answer nobody asked for (+CUSD: %s)", answer.result)
            return
        waiting.set_result(answer)

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


__all__ = [
    "CNMI_CANDIDATES",
    "TRANSIENT_CMS",
    "CannotOpenError",
    "InboundHandler",
    "InitCommandError",
    "InvalidPinError",
    "InvalidUssdCodeError",
    "ModemError",
    "ModemGateway",
    "ModemStatus",
    "NoAnswerError",
    "PinRequiredError",
    "SimError",
    "UssdError",
    "validate_ussd_code",
]
