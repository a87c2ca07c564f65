"""Bringing a modem up, and reading what it says of itself.

The first ``AT`` (junk before it tolerated), the SIM and its PIN (sent once: three wrong
PINs lock the SIM), PDU mode (refused by some modems until they said ``SMS DONE``: tried
again), ``+CNMI`` probed (modems that refuse delivery reports still send), the user's own
commands, then signal, registration and operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from .at import AtError, AtTimeoutError, FinalResultError, PortClosedError
from .modem_errors import (
    CannotOpenError,
    InitCommandError,
    InvalidPinError,
    ModemError,
    NoAnswerError,
    PinRequiredError,
    SimError,
)

_LOGGER = logging.getLogger(__name__)

#: +CNMI settings tried in order: reports as +CDS first, the last without reports
CNMI_CANDIDATES: Final = ("2,1,0,1,0", "2,1,2,1,0", "2,1,2,2,0", "2,1,0,0,0")
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
#: seconds between those tries
_STARTUP_PAUSE: Final = 1.0
_CME_SIM_NOT_INSERTED, _CME_SIM_BUSY = 10, 14


class Runner(Protocol):
    """Runs one AT command on the modem; its information lines once it answered ``OK``."""

    async def __call__(
        self,
        command: str,
        *,
        prefixes: tuple[str, ...] = (),
        info_only: bool = False,
        within: float | None = None,
    ) -> list[str]:
        """Raises ``FinalResultError``, ``AtTimeoutError`` or ``PortClosedError``."""
        ...


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
    #: the maker and the model the modem names (AT+CGMI, AT+CGMM); None when it does not
    manufacturer: str | None = None
    model: str | None = None


class ModemInitialiser:
    """Texto's initialisation of one modem; remembers a refused PIN (never sent again)."""

    def __init__(
        self, *, pin: str | None, init_commands: Sequence[str], command_timeout: float
    ) -> None:
        self._pin = pin
        self._init_commands = tuple(init_commands)
        self._command_timeout = command_timeout
        self._pin_refused = False
        #: whether the modem took a +CNMI setting with delivery reports
        self.delivery_reports = True
        #: what the modem named itself (read once: it does not change)
        self._identity: tuple[str | None, str | None] | None = None

    async def initialise(self, run: Runner) -> ModemStatus:
        """Texto's initialisation, then the user's commands; the status read on the way."""
        await self._sync(run)
        for command in ("ATE0", "AT+CMEE=1"):
            await self._optional(run, command)
        sim_state = await self._unlock(run)
        await self._starting(run, "AT+CMGF=0")
        self.delivery_reports = await self._probe_cnmi(run)
        if self._identity is None:
            self._identity = (await _identity(run, "AT+CGMI"), await _identity(run, "AT+CGMM"))
        status = await self.read_status(run, sim_state)
        for command in self._init_commands:
            try:
                await run(command)
            except AtError as err:
                raise InitCommandError(command) from err
        return status

    async def _sync(self, run: Runner) -> None:
        for _ in range(3):
            try:
                await run("AT", within=min(self._command_timeout, 3.0))
            except FinalResultError:
                return  # it answers: junk before our AT made it an error
            except AtTimeoutError:
                continue
            except PortClosedError as err:
                raise CannotOpenError("the modem's port closed") from err
            return
        raise NoAnswerError("nothing answers AT on this port")

    async def _optional(self, run: Runner, command: str) -> None:
        try:
            await run(command)
        except FinalResultError:
            _LOGGER.debug("The modem refused %s", command)
        except AtError as err:
            raise NoAnswerError(f"no answer to {command}") from err

    async def _starting(self, run: Runner, command: str) -> None:
        """A command some modems refuse until they have said SMS DONE."""
        for attempt in range(_STARTUP_TRIES):
            try:
                await run(command)
            except FinalResultError as err:
                if attempt == _STARTUP_TRIES - 1:
                    raise ModemError(f"the modem refuses {command}", code=err.final) from err
                await asyncio.sleep(_STARTUP_PAUSE)
            except AtError as err:
                raise NoAnswerError(f"no answer to {command}") from err
            else:
                return

    async def sim_state(self, run: Runner) -> str:
        """What ``AT+CPIN?`` says, as a ``ModemStatus.sim_state`` (a busy SIM is asked again)."""
        for attempt in range(_STARTUP_TRIES):
            try:
                lines = await run("AT+CPIN?", prefixes=("+CPIN:",), info_only=True)
            except FinalResultError as err:
                if err.code == _CME_SIM_NOT_INSERTED:
                    return "not_inserted"
                if err.code == _CME_SIM_BUSY and attempt < _STARTUP_TRIES - 1:
                    await asyncio.sleep(_STARTUP_PAUSE)
                    continue
                return "busy" if err.code == _CME_SIM_BUSY else "unknown"
            except AtError as err:
                raise NoAnswerError("no answer to AT+CPIN?") from err
            for line in lines:
                if line.startswith("+CPIN:"):
                    return _SIM_STATES.get(line.split(":", 1)[1].strip().upper(), "unknown")
            return "unknown"
        return "busy"

    async def _unlock(self, run: Runner) -> str:
        state = await self.sim_state(run)
        if state == "pin_required":
            if self._pin is None:
                raise PinRequiredError("the SIM needs its PIN")
            if self._pin_refused:
                raise InvalidPinError("the SIM refused the PIN: it is not sent again")
            try:
                await run(f'AT+CPIN="{self._pin}"')
            except FinalResultError as err:
                self._pin_refused = True
                raise InvalidPinError("the SIM refused the PIN", code=err.final) from None
            except AtError:
                self._pin_refused = True  # it may have counted: never risk a second try
                raise NoAnswerError("no answer to the PIN") from None
            for _ in range(_STARTUP_TRIES):
                state = await self.sim_state(run)
                if state == "ready":
                    break
                await asyncio.sleep(_STARTUP_PAUSE)
        if state in {"puk_required", "not_inserted"}:
            raise SimError(f"the SIM is not usable ({state})", sim_state=state)
        return state

    async def _probe_cnmi(self, run: Runner) -> bool:
        """New messages as +CMTI, reports as +CDS where the modem takes it."""
        for setting in CNMI_CANDIDATES:
            try:
                await run(f"AT+CNMI={setting}")
            except FinalResultError:
                continue
            except AtError as err:
                raise NoAnswerError("no answer to AT+CNMI") from err
            return setting.split(",")[3] != "0"
        _LOGGER.debug("The modem refused every +CNMI setting: no new message is announced")
        return False

    async def read_status(self, run: Runner, sim_state: str | None = None) -> ModemStatus:
        """Signal, registration, operator and SIM state (read too unless given)."""
        if sim_state is None:
            sim_state = await self.sim_state(run)
        registration = "unknown"
        for command, prefix in (("AT+CREG?", "+CREG:"), ("AT+CEREG?", "+CEREG:")):
            try:
                lines = await run(command, prefixes=(prefix,))
            except FinalResultError:
                continue
            found = parse_registration(lines, prefix)
            if found is not None and (registration not in {"home", "roaming"}):
                registration = found
        signal: int | None = None
        with contextlib.suppress(FinalResultError):
            signal = _signal_dbm(await run("AT+CSQ", prefixes=("+CSQ:",)))
        operator: str | None = None
        with contextlib.suppress(FinalResultError):
            operator = _operator(await run("AT+COPS?", prefixes=("+COPS:",)))
        return ModemStatus(
            signal_dbm=signal,
            registered=registration in {"home", "roaming"},
            registration=registration,
            operator=operator,
            sim_state=sim_state,
            delivery_reports=self.delivery_reports,
            manufacturer=self._identity[0] if self._identity else None,
            model=self._identity[1] if self._identity else None,
        )


#: longest maker or model name kept (a modem that answers junk says nothing)
_MAX_IDENTITY = 64


async def _identity(run: Runner, command: str) -> str | None:
    """The maker (``AT+CGMI``) or model (``AT+CGMM``); None when the modem does not say."""
    prefix = command.removeprefix("AT") + ":"
    try:
        lines = await run(command, prefixes=(prefix,))
    except (FinalResultError, AtTimeoutError):
        return None  # optional: the modem works all the same
    for line in lines:
        value = line.removeprefix(prefix).strip().strip('"').strip()
        if value and len(value) <= _MAX_IDENTITY and value.isprintable():
            return value
    return None


def parse_registration(lines: Sequence[str], prefix: str) -> str | None:
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
