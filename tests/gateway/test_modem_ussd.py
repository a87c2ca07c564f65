"""USSD through the fake modem (``AT+CUSD``), the decodings modems give, and maker/model.

No Home Assistant: the library's ``ModemGateway`` on the fake modem's pty.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.simulator.modem import FakeModem
from texto_gateway.encoding import GSM7_BASIC_CODES, GSM7_EXTENSION_CODES
from texto_gateway.errors import TemporarilyUnavailableError
from texto_gateway.modem import InvalidUssdCodeError, ModemGateway, UssdError
from texto_gateway.modem_ussd import decode_ussd, first_amount, parse_cusd, validate_ussd_code

FAST: dict[str, Any] = {"command_timeout": 2.0, "ussd_timeout": 2.0}
BALANCE = "Votre solde est de 5,20 EUR. Valable jusqu'au 31/12/2026"


def packed_hex(text: str) -> str:
    """``text`` in GSM 7-bit, packed (TS 23.038 6.1.2.1.1), as modems show it: hex."""
    septets: list[int] = []
    for char in text:
        if char in GSM7_EXTENSION_CODES:
            septets += [0x1B, GSM7_EXTENSION_CODES[char]]
        else:
            septets.append(GSM7_BASIC_CODES[char])
    if len(septets) % 8 == 7:
        septets.append(0x0D)  # 7 spare bits: a CR, as the spec says for USSD
    value = sum(septet << (7 * index) for index, septet in enumerate(septets))
    return value.to_bytes((len(septets) * 7 + 7) // 8, "little").hex().upper()


def ucs2_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


@pytest.fixture
async def fake() -> AsyncIterator[FakeModem]:
    modem = FakeModem()
    await modem.start()
    yield modem
    await modem.stop()


@pytest.fixture
async def modem(fake: FakeModem) -> AsyncIterator[ModemGateway]:
    client = ModemGateway(fake.path, **FAST)
    await client.connect()
    yield client
    await client.close()


def ussd_commands(fake: FakeModem) -> list[str]:
    return [command for command in fake.commands if command.startswith("AT+CUSD")]


# --- through the fake modem ---------------------------------------------------------------


async def test_a_text_answer_after_ok(fake: FakeModem, modem: ModemGateway) -> None:
    assert await modem.read_ussd(" #123# ") == BALANCE

    assert fake.ussd_requests == ["#123#"]
    # a finished session (+CUSD: 0) is not closed again
    assert ussd_commands(fake) == ['AT+CUSD=1,"#123#",15']


@pytest.mark.parametrize(
    ("reply", "dcs", "text"),
    [
        (packed_hex("Votre solde est de 5,20 EUR."), 15, "Votre solde est de 5,20 EUR."),
        # seven characters: seven octets and a CR in the spare bits, dropped
        (packed_hex("Solde 5"), 15, "Solde 5"),
        (packed_hex("Crédit : 12,50 € [promo]"), 15, "Crédit : 12,50 € [promo]"),
        (ucs2_hex("Crédit : 12,50 €"), 72, "Crédit : 12,50 €"),
        # a modem in AT+CSCS="UCS2" gives UCS-2 whatever the dcs says
        (ucs2_hex("Solde : 3 EUR"), 15, "Solde : 3 EUR"),
        # UCS-2 in another script: taken as the dcs says
        (ucs2_hex("Баланс: 150 руб."), 72, "Баланс: 150 руб."),
        # one septet a byte (AT+CSCS="HEX" on some firmware)
        ("536F6C646520343220455552", 15, "Solde 42 EUR"),
    ],
    ids=[
        "packed",
        "packed_cr_padding",
        "packed_extension",
        "ucs2",
        "ucs2_any_dcs",
        "cyrillic",
        "septets",
    ],
)
async def test_hex_answers_are_decoded(
    fake: FakeModem, modem: ModemGateway, reply: str, dcs: int, text: str
) -> None:
    fake.ussd_reply, fake.ussd_dcs = reply, dcs

    assert await modem.read_ussd("#123#") == text


async def test_an_answer_before_ok_is_taken(fake: FakeModem, modem: ModemGateway) -> None:
    fake.ussd_reply = None
    await fake.inject_line('+CUSD: 0,"Solde, avant OK: 3 EUR",15', inside_next_answer=True)

    assert await modem.read_ussd("*100#") == "Solde, avant OK: 3 EUR"


async def test_a_text_over_two_lines_is_joined(fake: FakeModem, modem: ModemGateway) -> None:
    fake.ussd_reply = "Solde: 5,20 EUR\r\nMerci"

    assert await modem.read_ussd("#123#") == "Solde: 5,20 EUR\nMerci"


async def test_an_open_session_is_closed(fake: FakeModem, modem: ModemGateway) -> None:
    fake.ussd_result = 1  # the network waits for a choice: nobody will make it

    assert await modem.read_ussd("#123#") == BALANCE
    assert ussd_commands(fake) == ['AT+CUSD=1,"#123#",15', "AT+CUSD=2"]


@pytest.mark.parametrize("result", [2, 4])
async def test_an_ended_or_unsupported_request_is_an_error(
    fake: FakeModem, modem: ModemGateway, result: int, caplog: pytest.LogCaptureFixture
) -> None:
    fake.ussd_result = result

    with pytest.raises(UssdError) as caught:
        await modem.read_ussd("#123#")

    assert caught.value.result == result
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_no_answer_in_time_is_an_error_and_the_session_closed(fake: FakeModem) -> None:
    fake.ussd_reply = None
    client = ModemGateway(fake.path, **{**FAST, "ussd_timeout": 0.3})
    await client.connect()
    try:
        with pytest.raises(UssdError) as caught:
            await client.read_ussd("#123#")
        # a late answer afterwards is dropped, and the next request gets its own
        await fake.inject_line('+CUSD: 0,"Trop tard",15')
        await asyncio.sleep(0.2)  # read and dropped before the next request
        fake.ussd_reply = "A l'heure"
        assert await client.read_ussd("#123#") == "A l'heure"
    finally:
        await client.close()

    assert caught.value.result is None
    assert ussd_commands(fake)[:2] == ['AT+CUSD=1,"#123#",15', "AT+CUSD=2"]


async def test_a_refused_request_is_an_error(fake: FakeModem, modem: ModemGateway) -> None:
    fake.registered = False  # the fake refuses USSD without a network

    with pytest.raises(UssdError, match="refused"):
        await modem.read_ussd("#123#")


@pytest.mark.parametrize(
    "code", ["", "#", "#123#;AT+CFUN=0", '#1"23#', "*123*abc#", "1" * 21, "ATD112;"]
)
async def test_a_bad_code_is_never_sent(fake: FakeModem, modem: ModemGateway, code: str) -> None:
    with pytest.raises(InvalidUssdCodeError):
        await modem.read_ussd(code)

    assert ussd_commands(fake) == []


async def test_no_ussd_before_the_modem_is_connected(fake: FakeModem) -> None:
    client = ModemGateway(fake.path, **FAST)

    with pytest.raises(TemporarilyUnavailableError):
        await client.read_ussd("#123#")

    assert ussd_commands(fake) == []


# --- maker and model ------------------------------------------------------------------------


async def test_the_maker_and_model_are_read_once(fake: FakeModem, modem: ModemGateway) -> None:
    assert modem.last_status is not None
    assert modem.last_status.manufacturer == "Texto"
    assert modem.last_status.model == "Fake LTE"

    status = await modem.status()
    await modem.restart_radio()

    assert (status.manufacturer, status.model) == ("Texto", "Fake LTE")
    assert fake.commands.count("AT+CGMI") == 1
    assert fake.commands.count("AT+CGMM") == 1


class NamelessModem(FakeModem):
    """A modem that refuses AT+CGMI and answers AT+CGMM with its prefix (SIMCom)."""

    def _command(self, line: str) -> list[str]:
        if line.upper() == "AT+CGMI":
            return ["ERROR"]
        if line.upper() == "AT+CGMM":
            return ['\r\n+CGMM: "SIMCOM_SIM7600E-H"\r\n', "OK"]
        return super()._command(line)


async def test_a_modem_that_does_not_name_itself_still_connects() -> None:
    fake = NamelessModem()
    client = ModemGateway(await fake.start(), **FAST)
    try:
        status = await client.connect()
    finally:
        await client.close()
        await fake.stop()

    assert status.manufacturer is None
    assert status.model == "SIMCOM_SIM7600E-H"


# --- decoding, unit by unit ---------------------------------------------------------------


def test_a_published_packed_string() -> None:
    # "*100#" as Huawei modems write it (AT+CUSD=1,"AA180C3602",15)
    assert decode_ussd("AA180C3602", 15) == "*100#"


@pytest.mark.parametrize("text", ["12345678", "2026", "CAFE", "Solde 5 EUR", ""])
def test_text_that_only_looks_like_hex_stays_as_it_is(text: str) -> None:
    assert decode_ussd(text, 15) == text


@pytest.mark.parametrize(
    ("line", "result", "text", "dcs"),
    [
        ('+CUSD: 0,"Solde: 5,20 EUR",15', 0, "Solde: 5,20 EUR", 15),
        ("+CUSD: 4", 4, None, None),
        ("+CUSD:2", 2, None, None),
        ('+CUSD: 1,"Menu"', 1, "Menu", None),
        ('+CUSD: 0,"Il a dit "oui"",72', 0, 'Il a dit "oui"', 72),
        ("+CUSD: 0,Solde 5 EUR,15", 0, "Solde 5 EUR", 15),
    ],
)
def test_cusd_lines(line: str, result: int, text: str | None, dcs: int | None) -> None:
    answer = parse_cusd(line)
    assert answer is not None
    assert (answer.result, answer.text, answer.dcs) == (result, text, dcs)


def test_an_open_string_waits_for_its_end() -> None:
    assert parse_cusd('+CUSD: 0,"Solde: 5 EUR') is None
    whole = parse_cusd('+CUSD: 0,"Solde: 5 EUR', whole=True)
    assert whole is not None
    assert whole.text == "Solde: 5 EUR"
    with pytest.raises(ValueError, match="not a"):
        parse_cusd("+CUSD: junk")


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        (BALANCE, 5.2),
        ("Solde : 12.5 EUR", 12.5),
        ("Votre ligne 0612: credit 7 euros", 7.0),
        ("Il vous reste €3,40", 3.4),
        ("Votre forfait: 2 Go restants", 2.0),
        ("Service indisponible", None),
    ],
)
def test_the_amount_of_a_balance_message(text: str, amount: float | None) -> None:
    assert first_amount(text) == amount


def test_a_code_keeps_its_characters() -> None:
    assert validate_ussd_code(" *#06# ") == "*#06#"
    assert validate_ussd_code("#" + "1" * 19) == "#" + "1" * 19
