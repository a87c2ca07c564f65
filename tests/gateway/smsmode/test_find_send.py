"""``find_send``: a send whose answer was lost, looked for among smsmode's latest sends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.simulator.smsmode import SmsmodeSimulator
from texto_gateway.models import PreparedSend, SearchOutcome, SendRequest
from texto_gateway.smsmode import LIST_PATH, SentSms, SmsmodeGateway, _is_send

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def prepared(gateway: SmsmodeGateway, text: str, *numbers: str, **changes: object) -> PreparedSend:
    request = SendRequest(recipients=numbers or ("0612345678",), text=text, **changes)  # type: ignore[arg-type]
    return gateway.prepare(request)


async def test_a_send_that_reached_the_gateway_is_found(gateway: SmsmodeGateway) -> None:
    lost = prepared(gateway, "Alarme cuisine", "0612345678", "0698765432")
    sent = await gateway.send(lost.request)

    search = await gateway.find_send(lost, since=LONG_AGO)

    assert search.outcome is SearchOutcome.FOUND
    assert search.result is not None
    assert search.result.message_id == sent.message_id
    assert search.result.recipients == ("+33612345678", "+33698765432")
    assert search.result.billed_parts == 2


async def test_the_stop_mention_smsmode_appends_still_matches(gateway: SmsmodeGateway) -> None:
    lost = prepared(gateway, "Alerte", sender="MAISON")
    await gateway.send(lost.request)

    assert (await gateway.find_send(lost, since=LONG_AGO)).outcome is SearchOutcome.FOUND


async def test_another_text_or_other_numbers_are_not_the_send(gateway: SmsmodeGateway) -> None:
    await gateway.send(SendRequest(recipients=("0612345678",), text="Alarme"))
    await gateway.send(SendRequest(recipients=("0611111111", "0612345678"), text="Porte"))

    for lost in (
        prepared(gateway, "Alarme salon"),
        prepared(gateway, "Alarme", "0698765432"),
        prepared(gateway, "Porte", "0612345678"),
    ):
        assert (await gateway.find_send(lost, since=LONG_AGO)).outcome is SearchOutcome.NOT_FOUND


async def test_a_known_send_or_an_older_one_is_another(gateway: SmsmodeGateway) -> None:
    lost = prepared(gateway, "Alarme")
    sent = await gateway.send(lost.request)

    known = await gateway.find_send(lost, since=LONG_AGO, known={sent.message_id})
    later = await gateway.find_send(lost, since=datetime.now(UTC) + timedelta(hours=1))

    assert known.outcome is SearchOutcome.NOT_FOUND
    assert later.outcome is SearchOutcome.NOT_FOUND


async def test_a_list_it_cannot_read_cannot_tell(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    lost = prepared(gateway, "Alarme")
    await gateway.send(lost.request)
    smsmode_sim.answer_next(31, LIST_PATH)

    search = await gateway.find_send(lost, since=LONG_AGO)

    assert (search.outcome, search.result) == (SearchOutcome.CANNOT_TELL, None)


# --- which listed send is the lost one ---------------------------------------------------------

ALICE, BOB, CAROL = "+33612345678", "+33698765432", "+33611223344"


def listed(text: str, *numbers: str, count: int | None) -> SentSms:
    return SentSms(
        message_id="a1",
        sent_at=None,
        text=text,
        recipients=numbers,
        cost=None,
        recipient_count=count,
    )


@pytest.mark.parametrize(
    ("sms", "matches"),
    [
        (listed("Alerte", ALICE, count=2), True),
        (listed("Alerte\nSTOP 36034", ALICE, count=2), True),
        (listed("Alerte\r\nSTOP 36034", ALICE, count=2), True),
        (listed("Alerte", ALICE, BOB, count=None), True),
        (listed("Alerte", ALICE, count=None), False),  # may be another send to Alice only
        (listed("Alerte", ALICE, count=1), False),
        (listed("Alerte", CAROL, count=2), False),
        (listed("Alerte!", ALICE, count=2), False),
        (listed("Alerte\nbien plus longue que la mention STOP", ALICE, count=2), False),
        (listed("Aler", ALICE, count=2), False),
        (listed("Alerte", count=2), False),
    ],
)
def test_a_listed_send_is_the_lost_one_only_when_text_and_numbers_agree(
    gateway: SmsmodeGateway, sms: SentSms, matches: bool
) -> None:
    lost = gateway.prepare(SendRequest(recipients=(ALICE, BOB), text="Alerte"))

    assert _is_send(sms, lost, datetime.now(UTC) - timedelta(minutes=5)) is matches


def test_a_listed_send_older_than_the_lost_one_is_another(gateway: SmsmodeGateway) -> None:
    lost = gateway.prepare(SendRequest(recipients=(ALICE,), text="Alerte"))
    now = datetime.now(UTC)
    older = replace(listed("Alerte", ALICE, count=1), sent_at=now - timedelta(hours=1))

    assert not _is_send(older, lost, now)
