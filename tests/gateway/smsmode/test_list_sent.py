"""``smsList.do``: the latest sends, over real HTTP, and its parser against arbitrary text."""

from __future__ import annotations

import contextlib
from datetime import datetime

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.simulator.smsmode import SmsmodeSimulator
from texto_gateway.base import PARIS
from texto_gateway.errors import (
    AuthenticationError,
    InvalidRequestError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
    ValidationError,
)
from texto_gateway.models import SendRequest
from texto_gateway.smsmode import (
    LIST_PATH,
    SmsmodeGateway,
    parse_sent_list,
)

from .conftest import TOKEN
from .test_parsers import DOCUMENTED, keep

FUTURE = datetime(2030, 7, 14, 10, 30, tzinfo=PARIS)


async def send(gateway: SmsmodeGateway, text: str, *numbers: str, **changes: object) -> str:
    request = SendRequest(recipients=numbers or ("0612345678",), text=text, **changes)  # type: ignore[arg-type]
    return (await gateway.send(request)).message_id


# --- over HTTP -------------------------------------------------------------------------------


async def test_lists_what_was_sent_newest_first(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    first = await send(gateway, "Alarme | cuisine\nfumée détectée")
    second = await send(gateway, "Porte ouverte", "0612345678", "+33698765432")

    newest, oldest = await gateway.list_sent()

    assert (newest.message_id, newest.text) == (second, "Porte ouverte")
    # a send to several numbers: its first number and how many it had
    assert (newest.recipients, newest.recipient_count, newest.cost) == (("+33612345678",), 2, 2)
    assert (oldest.message_id, oldest.text) == (first, "Alarme | cuisine\nfumée détectée")
    assert oldest.recipients == ("+33612345678",)
    accepted = smsmode_sim.messages[0].accepted_at.replace(second=0, microsecond=0)
    assert oldest.sent_at == accepted.replace(tzinfo=PARIS)


async def test_lists_the_text_as_the_gateway_stored_it(gateway: SmsmodeGateway) -> None:
    await send(gateway, "Alerte", sender="MAISON")

    [sent] = await gateway.list_sent()

    # smsmode appended its STOP mention itself (stop=2)
    assert sent.text == "Alerte\nSTOP 36034"


async def test_a_scheduled_send_shows_its_date(gateway: SmsmodeGateway) -> None:
    await send(gateway, "Plus tard", send_at=FUTURE)

    [sent] = await gateway.list_sent()

    assert sent.sent_at == FUTURE


async def test_deleted_sends_are_not_listed(gateway: SmsmodeGateway) -> None:
    request = SendRequest(recipients=("0612345678",), text="Annulé", send_at=FUTURE)
    await gateway.cancel(await gateway.send(request))

    assert await gateway.list_sent() == []


async def test_paging_with_start_and_offset(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    ids = [await send(gateway, f"Message {index}") for index in range(5)]

    page = await gateway.list_sent(2, start=1)

    assert [sent.message_id for sent in page] == [ids[3], ids[2]]
    [request] = smsmode_sim.requests_to(LIST_PATH)
    assert request.method == "GET"
    assert dict(request.query) == {"accessToken": TOKEN, "start": "1", "offset": "2"}


@pytest.mark.parametrize(("offset", "start"), [(0, 0), (10_001, 0), (50, -1)])
async def test_paging_is_checked_before_asking(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, offset: int, start: int
) -> None:
    with pytest.raises(ValidationError):
        await gateway.list_sent(offset, start=start)
    assert smsmode_sim.requests_to(LIST_PATH) == []


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (31, TemporarilyUnavailableError),
        (32, AuthenticationError),
        (35, InvalidRequestError),
        (50, TemporarilyUnavailableError),
    ],
)
async def test_error_codes(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, code: int, error: type[Exception]
) -> None:
    smsmode_sim.answer_next(code, LIST_PATH)
    with pytest.raises(error):
        await gateway.list_sent()


async def test_wrong_token(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    gateway = SmsmodeGateway("wrong-token", session=http_session, base_url=smsmode_sim.base_url)
    with pytest.raises(AuthenticationError):
        await gateway.list_sent()


async def test_simulator_checks_its_parameters(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    url = f"{smsmode_sim.base_url}{LIST_PATH}"
    for params in ({"offset": "0"}, {"offset": "10001"}, {"start": "x"}, {}):
        query = {"accessToken": TOKEN, **params} if params else {}
        async with http_session.get(url, params=query) as response:
            assert (await response.text()).startswith("35 | "), params


async def test_the_listed_text_is_private_at_debug_level(
    gateway: SmsmodeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    await send(gateway, "Code secret 4242")
    caplog.set_level("DEBUG")

    await gateway.list_sent()

    assert "4242" not in caplog.text
    assert TOKEN not in caplog.text


# --- the parser --------------------------------------------------------------------------------


def test_the_manual_layout_with_and_without_the_trailing_separator() -> None:
    text = (
        "a1 | 14072030-10:30 | Bonjour | 33612345678 | 1 | 1 |\r\n"
        "b2|13072030-09:05|Hi|+33698765432|2,5|3"
    )
    first, second = parse_sent_list(text, keep)
    assert first.sent_at == datetime(2030, 7, 14, 10, 30, tzinfo=PARIS)
    assert (first.text, first.recipients, first.cost, first.recipient_count) == (
        "Bonjour",
        ("+33612345678",),
        1.0,
        1,
    )
    assert (second.message_id, second.text, second.cost, second.recipient_count) == (
        "b2",
        "Hi",
        2.5,
        3,
    )


def test_other_date_layouts_several_numbers_and_unreadable_fields() -> None:
    [sent] = parse_sent_list(
        "a1 | 2030-07-14 10:30:15 | x | 33612345678,33698765432 | ? | many |", keep
    )
    assert sent.sent_at == datetime(2030, 7, 14, 10, 30, 15, tzinfo=PARIS)
    assert sent.recipients == ("+33612345678", "+33698765432")
    assert (sent.cost, sent.recipient_count) == (None, None)
    [odd] = parse_sent_list("a1 | 99/99/9999 99:99 | x | 36034 | 1 | 1 |", keep)
    assert (odd.sent_at, odd.recipients) == (None, ("36034",))


def test_nothing_sent() -> None:
    assert parse_sent_list("", keep) == []
    assert parse_sent_list(" \n", keep) == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("31 | Erreur interne", TemporarilyUnavailableError),
        ("32 | Erreur d'authentification |", AuthenticationError),
        ("35 | Paramètre incorrect", InvalidRequestError),
        ("61 | SMS non trouvé", UnexpectedResponseError),
        ("hello", UnexpectedResponseError),
        ("a1 | 14072030-10:30 | text only |", UnexpectedResponseError),
    ],
)
def test_errors(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_sent_list(text, keep)


_PIPEY = st.text(alphabet=st.sampled_from("0123456789 |-:/,\n\rabS+é"), max_size=80)
_TEXTS = st.text(max_size=120) | _PIPEY


@given(_TEXTS | st.builds("a1 | 14072030-10:30 | {} | 33612345678 | 1 | 1 |".format, _TEXTS))
def test_never_raises_anything_else(text: str) -> None:
    with contextlib.suppress(*DOCUMENTED):
        for sent in parse_sent_list(text, keep):
            assert sent.message_id


@given(st.text(max_size=60).filter(lambda t: "\n" not in t and "\r" not in t))
def test_any_text_survives_the_line_format(text: str) -> None:
    line = f"a1 | 14072030-10:30 | {text} | 33612345678 | 1 | 1 |"
    [sent] = parse_sent_list(line, keep)
    assert sent.text == text
