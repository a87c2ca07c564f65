"""Modems that misbehave at start-up, over ``socket://``: a scripted modem answers each command.

The fake modem (tests/simulator/modem.py) is a well-behaved one; these are the field's
others: a SIM still busy, PDU mode refused until ``SMS DONE``, ``+CNMI`` refused, a PIN
that gets no answer, a radio that does not come back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from texto_gateway.errors import TemporarilyUnavailableError
from texto_gateway.modem import (
    CannotOpenError,
    InvalidPinError,
    ModemError,
    ModemGateway,
    NoAnswerError,
    SimError,
)

FAST: dict[str, Any] = {
    "command_timeout": 0.3,
    "prompt_timeout": 0.3,
    "answer_timeout": 1.0,
    "reopen_delays": (0.05, 0.2),
}
#: a well-behaved modem's answers; a test replaces some
GOOD: dict[str, str] = {
    "AT+CPIN?": "+CPIN: READY\r\n\r\nOK",
    "AT+CREG?": "+CREG: 0,1\r\n\r\nOK",
    "AT+CEREG?": "+CEREG: 0,1\r\n\r\nOK",
    "AT+CSQ": "+CSQ: 20,99\r\n\r\nOK",
    "AT+COPS?": '+COPS: 0,0,"Orange F",7\r\n\r\nOK',
    "AT+CMGL=4": "OK",
}
#: an answer that is a list is given in turn (its last one for good); None: no answer
type Answer = str | list[str | None] | None


class ScriptedModem:
    """A TCP server answering each command line from a table (``OK`` when not in it)."""

    def __init__(self, answers: dict[str, Answer]) -> None:
        self.answers: dict[str, Answer] = {**GOOD, **answers}
        self.commands: list[str] = []
        self.hang_up_on: str | None = None
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"socket://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()

    def _next(self, command: str) -> str | None:
        answer = self.answers.get(command, "OK")
        if isinstance(answer, list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        try:
            while line := await reader.readuntil(b"\r"):
                command = line.decode().strip()
                self.commands.append(command)
                if command == self.hang_up_on:
                    writer.close()
                    return
                answer = self._next(command)
                if answer is not None:
                    writer.write(f"\r\n{answer}\r\n".encode())
        except (asyncio.IncompleteReadError, ConnectionError):
            pass


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("texto_gateway.modem_init._STARTUP_PAUSE", 0.01)


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[..., Any]]:
    made: list[tuple[ScriptedModem, ModemGateway]] = []

    async def make(
        answers: dict[str, Answer], **settings: Any
    ) -> tuple[ScriptedModem, ModemGateway]:
        modem = ScriptedModem(answers)
        client = ModemGateway(await modem.start(), **{**FAST, **settings})
        made.append((modem, client))
        return modem, client

    yield make
    for modem, client in made:
        await client.close()
        await modem.stop()


async def test_junk_before_the_first_at_and_refused_options_still_connect(
    scripted: Callable[..., Any],
) -> None:
    modem, client = await scripted({"AT": ["ERROR", "OK"], "ATE0": "ERROR"})
    status = await client.connect()
    assert client.connected
    assert status.registered
    assert modem.commands[:3] == ["AT", "ATE0", "AT+CMEE=1"]


async def test_a_port_that_hangs_up_at_once_cannot_be_opened(
    scripted: Callable[..., Any],
) -> None:
    modem, client = await scripted({})
    modem.hang_up_on = "AT"
    with pytest.raises(CannotOpenError):
        await client.connect()


@pytest.mark.parametrize("command", ["AT+CMEE=1", "AT+CPIN?", "AT+CMGF=0", "AT+CNMI=2,1,0,1,0"])
async def test_silence_during_initialisation_is_no_answer(
    scripted: Callable[..., Any], command: str
) -> None:
    _, client = await scripted({command: None})
    with pytest.raises(NoAnswerError):
        await client.connect()
    assert not client.connected


async def test_pdu_mode_refused_until_sms_done_then_taken(scripted: Callable[..., Any]) -> None:
    modem, client = await scripted({"AT+CMGF=0": ["+CMS ERROR: 500", "ERROR", "OK"]})
    await client.connect()
    assert modem.commands.count("AT+CMGF=0") == 3


async def test_pdu_mode_refused_for_good_is_an_error(scripted: Callable[..., Any]) -> None:
    _, client = await scripted({"AT+CMGF=0": "+CMS ERROR: 302"})
    with pytest.raises(ModemError) as caught:
        await client.connect()
    assert caught.value.code == "+CMS ERROR: 302"


@pytest.mark.parametrize(
    ("answers", "sim_state"),
    [
        ({"AT+CPIN?": ["+CME ERROR: 14", "+CPIN: READY\r\n\r\nOK"]}, "ready"),
        ({"AT+CPIN?": "+CME ERROR: 14"}, "busy"),
        ({"AT+CPIN?": "+CME ERROR: 100"}, "unknown"),
        ({"AT+CPIN?": "OK"}, "unknown"),
        ({"AT+CPIN?": "+CPIN: PH-NET PIN\r\n\r\nOK"}, "unknown"),
    ],
    ids=["busy-then-ready", "busy", "cme-error", "no-line", "unknown-line"],
)
async def test_the_sim_state_as_the_modem_tells_it(
    scripted: Callable[..., Any], answers: dict[str, Answer], sim_state: str
) -> None:
    _, client = await scripted(answers)
    status = await client.connect()
    assert status.sim_state == sim_state


async def test_a_missing_sim_is_named(scripted: Callable[..., Any]) -> None:
    _, client = await scripted({"AT+CPIN?": "+CME ERROR: 10"})
    with pytest.raises(SimError) as caught:
        await client.connect()
    assert caught.value.sim_state == "not_inserted"


async def test_a_pin_taken_slowly_then_ready(scripted: Callable[..., Any]) -> None:
    pin_then_ready = ["+CPIN: SIM PIN\r\n\r\nOK"] * 3 + ["+CPIN: READY\r\n\r\nOK"]
    modem, client = await scripted({"AT+CPIN?": pin_then_ready}, pin="1234")
    status = await client.connect()
    assert status.sim_state == "ready"
    assert modem.commands.count('AT+CPIN="1234"') == 1


async def test_a_pin_without_answer_is_never_sent_again(scripted: Callable[..., Any]) -> None:
    modem, client = await scripted(
        {"AT+CPIN?": "+CPIN: SIM PIN\r\n\r\nOK", 'AT+CPIN="1234"': None}, pin="1234"
    )
    with pytest.raises(NoAnswerError):
        await client.connect()
    with pytest.raises(InvalidPinError):
        await client.connect()
    assert modem.commands.count('AT+CPIN="1234"') == 1


async def test_every_cnmi_refused_still_connects_without_reports(
    scripted: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="texto_gateway")
    answers: dict[str, Answer] = {
        f"AT+CNMI={setting}": "+CMS ERROR: 303"
        for setting in ("2,1,0,1,0", "2,1,2,1,0", "2,1,2,2,0", "2,1,0,0,0")
    }
    _, client = await scripted(answers)
    status = await client.connect()
    assert not status.delivery_reports
    assert "refused every +CNMI setting" in caplog.text


async def test_registration_read_from_cereg_when_creg_is_refused(
    scripted: Callable[..., Any],
) -> None:
    _, client = await scripted(
        {
            "AT+CREG?": "ERROR",
            "AT+CEREG?": "+CEREG: 0,5\r\n\r\nOK",
            "AT+CSQ": "+CSQ: 99,99\r\n\r\nOK",
            "AT+COPS?": "+COPS: 0\r\n\r\nOK",
        }
    )
    status = await client.connect()
    assert (status.registration, status.registered) == ("roaming", True)
    assert (status.signal_dbm, status.operator) == (None, None)


async def test_a_radio_that_does_not_come_back_reopens_the_port(
    scripted: Callable[..., Any],
) -> None:
    modem, client = await scripted({"AT+CFUN=1": "+CME ERROR: 3"})
    await client.connect()
    with pytest.raises(TemporarilyUnavailableError):
        await client.restart_radio()
    assert not client.connected
    modem.answers["AT+CFUN=1"] = "OK"
    async with asyncio.timeout(5):
        while not client.connected:  # noqa: ASYNC110 - reopened in the background
            await asyncio.sleep(0.02)
    await client.restart_radio()
    assert client.connected


async def test_a_sim_gone_while_reopening_stops_the_retries(
    scripted: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    modem, client = await scripted({})
    await client.connect()
    modem.answers["AT+CPIN?"] = "+CME ERROR: 10"
    for writer in modem._writers:
        writer.close()
    async with asyncio.timeout(5):
        while "until its SIM is seen to" not in caplog.text:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    tries = modem.commands.count("AT+CPIN?")
    await asyncio.sleep(0.5)
    assert modem.commands.count("AT+CPIN?") == tries
    assert not client.connected


async def test_reopening_backs_off_while_the_modem_is_away(
    scripted: Callable[..., Any],
) -> None:
    modem, client = await scripted({}, reopen_delays=(0.05, 0.1))
    await client.connect()
    modem.answers["AT"] = None  # it opens, nothing answers
    for writer in modem._writers:
        writer.close()
    await asyncio.sleep(1.0)
    assert not client.connected
    with pytest.raises(TemporarilyUnavailableError):
        await client.status()
    modem.answers["AT"] = "OK"
    async with asyncio.timeout(5):
        while not client.connected:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    assert (await client.status()).registered


async def test_the_keepalive_asks_an_idle_modem(scripted: Callable[..., Any]) -> None:
    modem, client = await scripted({}, keepalive_interval=0.2)
    await client.connect()
    before = modem.commands.count("AT")
    await asyncio.sleep(0.7)
    assert modem.commands.count("AT") > before
    assert client.connected
