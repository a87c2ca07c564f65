"""Balance, deletion, delivery reports, status and replies over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from tests.simulator.smsmode import SmsmodeSimulator
from texto_gateway.base import PARIS
from texto_gateway.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
    ValidationError,
)
from texto_gateway.models import (
    BalanceUnit,
    DeliveryStatus,
    Provider,
    SendRequest,
    SendResult,
)
from texto_gateway.smsmode import (
    CREDIT_PATH,
    DELETE_PATH,
    REPLIES_PATH,
    REPORT_PATH,
    STATUS_PATH,
    SmsmodeGateway,
)

from .conftest import TOKEN

FUTURE = datetime(2030, 7, 14, 10, 30, tzinfo=UTC)


async def send(gateway: SmsmodeGateway, *numbers: str, **changes: object) -> SendResult:
    request = SendRequest(recipients=numbers or ("0612345678",), text="Hello", **changes)  # type: ignore[arg-type]
    return await gateway.send(request)


def bad_gateway(sim: SmsmodeSimulator, session: aiohttp.ClientSession) -> SmsmodeGateway:
    return SmsmodeGateway("wrong-token", session=session, base_url=sim.base_url)


# --- credit.do ---------------------------------------------------------------------------


async def test_balance_is_the_bare_number(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    smsmode_sim.credits = 212.5
    balance = await gateway.get_balance()
    assert (balance.amount, balance.unit, balance.postpaid) == (212.5, BalanceUnit.CREDITS, False)
    request = smsmode_sim.requests_to(CREDIT_PATH)[-1]
    assert request.method == "GET"
    assert request.query == {"accessToken": TOKEN}


async def test_balance_goes_down_by_the_parts_sent(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    await gateway.send(SendRequest(recipients=("0612345678", "0756781234"), text="a" * 200))
    assert (await gateway.get_balance()).amount == 996


async def test_postpaid_balance_is_negative(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    smsmode_sim.postpaid = True
    smsmode_sim.credits = 0
    await send(gateway)  # a post-paid account is never short of credit
    balance = await gateway.get_balance()
    assert balance.postpaid
    assert balance.amount == -1


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (31, TemporarilyUnavailableError),
        (35, InvalidRequestError),
        (50, TemporarilyUnavailableError),
        (61, UnexpectedResponseError),
    ],
)
async def test_balance_error_codes(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, code: int, error: type[Exception]
) -> None:
    smsmode_sim.answer_next(code, CREDIT_PATH)
    with pytest.raises(error):
        await gateway.get_balance()


async def test_balance_with_a_wrong_token(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    with pytest.raises(AuthenticationError):
        await bad_gateway(smsmode_sim, http_session).get_balance()


# --- deleteSMS.do ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (31, OutcomeUnknownError),
        (35, InvalidRequestError),
        (50, UnexpectedResponseError),
    ],
)
async def test_delete_error_codes(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, code: int, error: type[Exception]
) -> None:
    result = await send(gateway, send_at=FUTURE)
    smsmode_sim.answer_next(code, DELETE_PATH)
    with pytest.raises(error):
        await gateway.cancel(result)
    assert not smsmode_sim.messages[0].deleted


async def test_delete_with_a_wrong_token(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    result = await send(gateway, send_at=FUTURE)
    with pytest.raises(AuthenticationError):
        await bad_gateway(smsmode_sim, http_session).cancel(result)
    assert not smsmode_sim.messages[0].deleted


async def test_delete_posts_the_sms_id(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    result = await send(gateway, send_at=FUTURE)
    await gateway.cancel(result)
    request = smsmode_sim.requests_to(DELETE_PATH)[-1]
    assert request.method == "POST"
    assert f"smsID={result.message_id}".encode() in request.body


async def test_simulator_deletes_the_latest_send_to_a_number(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession, gateway: SmsmodeGateway
) -> None:
    first = await send(gateway, send_at=FUTURE)
    second = await send(gateway, send_at=FUTURE)
    url = f"{smsmode_sim.base_url}{DELETE_PATH}"
    async with http_session.get(url, params={"accessToken": TOKEN, "numero": "0612345678"}) as r:
        assert await r.text() == "0 | SMS supprimé"
    assert [m.deleted for m in smsmode_sim.messages] == [False, True]
    async with http_session.get(url, params={"accessToken": TOKEN}) as r:
        assert (await r.text()).startswith("35 | ")
    assert {first.message_id, second.message_id} == {m.sms_id for m in smsmode_sim.messages}


# --- compteRendu.do ----------------------------------------------------------------------


async def test_reports_one_per_number(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    result = await send(gateway, "0612345678", "0756781234", "0644556677")
    await smsmode_sim.deliver(result.message_id, 11, number="0612345678")
    await smsmode_sim.deliver(result.message_id, 13, number="0756781234")
    await smsmode_sim.deliver(result.message_id, 3524, number="0644556677")

    reports = await gateway.fetch_delivery_reports(result.message_id)

    assert [(r.recipient, r.status, r.provider_status, r.detail) for r in reports] == [
        ("+33612345678", DeliveryStatus.DELIVERED, "11", "Reçu"),
        ("+33756781234", DeliveryStatus.PENDING, "13", "Délivré opérateur (statut temporaire)"),
        ("+33644556677", DeliveryStatus.FAILED, "3524", "Erreur permanente anti spam"),
    ]
    assert all(r.message_id == result.message_id for r in reports)
    assert all(r.provider is Provider.SMSMODE for r in reports)
    assert smsmode_sim.requests_to(REPORT_PATH)[-1].query["smsID"] == result.message_id


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (0, DeliveryStatus.PENDING),
        (10, DeliveryStatus.PENDING),
        (3502, DeliveryStatus.PENDING),
        (14, DeliveryStatus.DELIVERED),
        (16, DeliveryStatus.DELIVERED),
        (101, DeliveryStatus.DELIVERED),
        (37, DeliveryStatus.EXPIRED),
        (2, DeliveryStatus.FAILED),
        (39, DeliveryStatus.FAILED),
        (3999, DeliveryStatus.FAILED),
        (999, DeliveryStatus.UNKNOWN),
        (4242, DeliveryStatus.UNKNOWN),
    ],
)
async def test_report_status_mapping(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, status: int, expected: DeliveryStatus
) -> None:
    result = await send(gateway)
    await smsmode_sim.deliver(result.message_id, status)
    [report] = await gateway.fetch_delivery_reports(result.message_id)
    assert report.status is expected
    assert report.provider_status == str(status)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (31, TemporarilyUnavailableError),
        (35, InvalidRequestError),
        (61, NotFoundError),
    ],
)
async def test_report_error_codes(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, code: int, error: type[Exception]
) -> None:
    smsmode_sim.answer_next(code, REPORT_PATH)
    with pytest.raises(error):
        await gateway.fetch_delivery_reports("abc")


async def test_report_of_an_unknown_or_deleted_send(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    with pytest.raises(NotFoundError):
        await gateway.fetch_delivery_reports("unknown")
    result = await send(gateway, send_at=FUTURE)
    await gateway.cancel(result)
    with pytest.raises(NotFoundError):
        await gateway.fetch_delivery_reports(result.message_id)


async def test_report_with_a_wrong_token(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    with pytest.raises(AuthenticationError):
        await bad_gateway(smsmode_sim, http_session).fetch_delivery_reports("abc")


# --- smsStatus.do ------------------------------------------------------------------------


async def test_status_of_a_send(gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator) -> None:
    result = await send(gateway, "0612345678", "0756781234")
    status = await gateway.get_status(result.message_id)
    assert (status.code, status.description, status.status) == (
        "0",
        "Envoyé",
        DeliveryStatus.PENDING,
    )
    await smsmode_sim.deliver(result.message_id, 11, number="0612345678")
    assert (await gateway.get_status(result.message_id)).code == "12"  # the campaign's
    await smsmode_sim.deliver(result.message_id, 11)
    status = await gateway.get_status(result.message_id)
    assert (status.code, status.description, status.status) == (
        "11",
        "Reçu",
        DeliveryStatus.DELIVERED,
    )


async def test_status_of_a_scheduled_send(gateway: SmsmodeGateway) -> None:
    result = await send(gateway, send_at=FUTURE)
    status = await gateway.get_status(result.message_id)
    assert (status.code, status.description) == ("10", "Programmé")


@pytest.mark.parametrize(
    ("code", "error"),
    [(31, TemporarilyUnavailableError), (35, InvalidRequestError), (61, NotFoundError)],
)
async def test_status_error_codes(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, code: int, error: type[Exception]
) -> None:
    smsmode_sim.answer_next(code, STATUS_PATH)
    with pytest.raises(error):
        await gateway.get_status("abc")


async def test_status_of_an_unknown_send_and_with_a_wrong_token(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    with pytest.raises(NotFoundError):
        await gateway.get_status("unknown")
    with pytest.raises(AuthenticationError):
        await bad_gateway(smsmode_sim, http_session).get_status("abc")


# --- responseList.do ---------------------------------------------------------------------


async def test_replies_newest_first_with_pipes_and_line_breaks(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    result = await send(gateway, replies_allowed=True)
    first = await smsmode_sim.inject_reply("0612345678", "Oui | 2 places", result.message_id)
    second = await smsmode_sim.inject_reply("+33756781234", "Non\nmerci | à bientôt 😀")
    smsmode_sim.replies[0].received_at -= timedelta(minutes=5)

    replies = await gateway.fetch_replies()

    assert [r.message_id for r in replies] == [second, first]
    newest, oldest = replies
    assert (newest.sender, newest.text, newest.in_reply_to) == (
        "+33756781234",
        "Non\nmerci | à bientôt 😀",
        None,
    )
    assert (oldest.sender, oldest.text, oldest.in_reply_to) == (
        "+33612345678",
        "Oui | 2 places",
        result.message_id,
    )
    assert oldest.recipient == "36034"
    assert oldest.provider is Provider.SMSMODE
    assert oldest.received_at is not None
    assert oldest.received_at.tzinfo is not None
    assert abs(oldest.received_at - (datetime.now(UTC) - timedelta(minutes=5))) < timedelta(
        minutes=2
    )
    assert smsmode_sim.requests_to(REPLIES_PATH)[-1].query == {
        "accessToken": TOKEN,
        "start": "0",
        "offset": "50",
    }


async def test_no_reply(gateway: SmsmodeGateway) -> None:
    assert await gateway.fetch_replies() == []


async def test_replies_by_dates(gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator) -> None:
    await smsmode_sim.inject_reply("0612345678", "Oui")
    now = datetime.now(UTC)

    inside = await gateway.fetch_replies(since=now - timedelta(hours=1))
    assert [r.text for r in inside] == ["Oui"]
    query = smsmode_sim.requests_to(REPLIES_PATH)[-1].query
    assert set(query) == {"accessToken", "startDate", "endDate"}
    expected_start = (now - timedelta(hours=1)).astimezone(PARIS).strftime("%d%m%Y-%H:%M")
    assert query["startDate"] == expected_start

    before = await gateway.fetch_replies(
        since=now - timedelta(days=2), until=now - timedelta(days=1)
    )
    assert before == []


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (None, datetime(2030, 1, 1, tzinfo=UTC), "since"),
        (datetime(2030, 1, 1), None, "since"),
        (datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2), "until"),
        (datetime(2030, 1, 2, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC), "until"),
    ],
)
async def test_reply_dates_are_checked(
    gateway: SmsmodeGateway,
    smsmode_sim: SmsmodeSimulator,
    start: datetime | None,
    end: datetime | None,
    field: str,
) -> None:
    with pytest.raises(ValidationError) as caught:
        await gateway.fetch_replies(since=start, until=end)
    assert caught.value.field == field
    assert smsmode_sim.requests == []


@pytest.mark.parametrize(
    ("code", "error"),
    [(31, TemporarilyUnavailableError), (35, InvalidRequestError), (61, UnexpectedResponseError)],
)
async def test_reply_list_error_codes(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, code: int, error: type[Exception]
) -> None:
    smsmode_sim.answer_next(code, REPLIES_PATH)
    with pytest.raises(error):
        await gateway.fetch_replies()


async def test_reply_list_with_a_wrong_token(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    with pytest.raises(AuthenticationError):
        await bad_gateway(smsmode_sim, http_session).fetch_replies()


async def test_simulator_reply_list_checks_its_parameters(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    url = f"{smsmode_sim.base_url}{REPLIES_PATH}"
    for params in (
        {"startDate": "01012030-00:00"},
        {"startDate": "01012030-00:00", "endDate": "02012030-00:00", "start": "0"},
        {"startDate": "bad", "endDate": "02012030-00:00"},
        {"start": "x"},
        {},  # no accessToken at all
    ):
        query = {"accessToken": TOKEN, **params} if params else {}
        async with http_session.post(url, data=query) as response:
            assert (await response.text()).startswith("35 | "), params
