"""The attempt policy, one attempt at a time, against the simulators.

Items are made by hand and given to ``delivery.async_attempt`` / ``async_verify`` directly:
what each attempt concludes, what it narrows on the item, and what the gateway received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import uuid4

import pytest
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.texto import delivery
from custom_components.texto.account import TextoAccount
from custom_components.texto.const import SendState
from custom_components.texto.delivery import async_attempt, async_verify
from custom_components.texto.gateway.errors import (
    AuthenticationError,
    CreditError,
    DuplicateRefusedError,
    TemporarilyUnavailableError,
)
from custom_components.texto.gateway.models import SendRequest
from custom_components.texto.outbox import Attempt, AttemptOutcome, OutboxItem
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.mail2sms import Mail2SmsSimulator
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SmsmodeSimulator

from .common import ALICE, BOB, allmysms_entry, set_up, sms123_entry, smsmode_entry

CAROL = "+33611223344"
LIST = "/http/1.6/smsList.do"
SMSMODE_SEND = "/http/1.6/sendSMS.do"
SMS123_SEND = "/api/send/"


def item_for(
    entry: MockConfigEntry, *numbers: str, text: str = "Alerte", **fields: object
) -> OutboxItem:
    return OutboxItem(
        outbox_id=uuid4().hex,
        entry_id=entry.entry_id,
        created_at=dt_util.utcnow(),
        request=SendRequest(recipients=numbers or (ALICE,), text=text),
        state=SendState.SENDING,
        **fields,  # type: ignore[arg-type]
    )


def account_of(entry: MockConfigEntry) -> TextoAccount:
    account: TextoAccount = entry.runtime_data
    return account


async def attempt(hass: HomeAssistant, entry: MockConfigEntry, item: OutboxItem) -> Attempt:
    result = await async_attempt(account_of(entry).routes, item)
    item.attempts += 1
    return result


# --- 123-SMS: partial sends, and the identical resend as the question -----------------------------


async def test_partial_send_keeps_the_accepted_and_checks_the_unknown_number(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    sms123_sim.blocked_numbers.add(CAROL[1:])
    sms123_sim.technical_errors = 1  # one number's request ends "-2": maybe sent
    item = item_for(entry, ALICE, BOB, CAROL)

    first = await attempt(hass, entry, item)

    assert first.outcome is AttemptOutcome.RETRY
    assert first.result is not None
    [accepted] = first.result.recipients
    assert first.result.invalid_recipients == (CAROL,)  # refused for good: not retried
    [unknown] = {ALICE, BOB} - {accepted}
    assert item.remaining == (unknown,)
    assert item.maybe_sent
    assert first.retry_after == delivery.VERIFY_DELAY

    second = await attempt(hass, entry, item)

    # the identical resend to that number only: 80, it had not gone
    assert second.outcome is AttemptOutcome.SENT
    assert second.result is not None
    assert second.result.recipients == (unknown,)
    assert sorted(sms.number for sms in sms123_sim.messages) == sorted([ALICE[1:], BOB[1:]])


async def test_identical_resend_counts_numbers_that_had_it_as_sent(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    gateway = account_of(entry).gateway
    await gateway.send(SendRequest(recipients=(ALICE,), text="Alerte"))  # went, answer lost
    item = item_for(entry, ALICE, BOB, maybe_sent=True)

    result = await attempt(hass, entry, item)

    assert result.outcome is AttemptOutcome.SENT
    assert result.result is not None
    assert set(result.result.recipients) == {ALICE, BOB}
    assert result.result.billed_parts == 2
    assert sorted(sms.number for sms in sms123_sim.messages) == sorted([ALICE[1:], BOB[1:]])


async def test_a_duplicate_on_a_first_try_fails(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    await account_of(entry).gateway.send(SendRequest(recipients=(ALICE,), text="Alerte"))

    result = await attempt(hass, entry, item_for(entry))

    assert result.outcome is AttemptOutcome.FAILED
    assert isinstance(result.error, DuplicateRefusedError)


async def test_credit_running_out_mid_send_retries_the_rest_then_fails(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    sms123_sim.credits = 1
    item = item_for(entry, ALICE, BOB)

    first = await attempt(hass, entry, item)

    assert first.outcome is AttemptOutcome.RETRY
    assert first.result is not None
    assert len(first.result.recipients) == 1
    assert item.remaining is not None
    assert len(item.remaining) == 1
    assert not item.maybe_sent

    second = await attempt(hass, entry, item)

    # no fallback: the account's credit is the user's to fix
    assert second.outcome is AttemptOutcome.FAILED
    assert isinstance(second.error, CreditError)
    assert len(sms123_sim.messages) == 1


async def test_no_identical_resend_near_the_end_of_the_duplicate_window(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    item = item_for(entry, maybe_sent=True)
    # 123-SMS refuses duplicates for 24 hours: 23 hours on, a resend could go out twice
    item.created_at -= timedelta(hours=23)

    result = await attempt(hass, entry, item)

    assert result.outcome is AttemptOutcome.UNCONFIRMED
    assert sms123_sim.requests_to(SMS123_SEND) == []


async def test_a_refusal_of_the_identical_resend_leaves_the_outcome_unknown(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    sms123_sim.api_key = "changed"  # 82: the credentials were refused

    result = await async_verify(account_of(entry).routes, item_for(entry))

    assert result.outcome is AttemptOutcome.UNCONFIRMED
    assert isinstance(result.error, AuthenticationError)
    await hass.async_block_till_done()
    assert list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))


async def test_an_unavailable_gateway_during_the_check_is_tried_again(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    sms123_sim.fail_next("http_503")
    item = item_for(entry, maybe_sent=True)

    result = await attempt(hass, entry, item)

    assert result.outcome is AttemptOutcome.RETRY
    assert isinstance(result.error, TemporarilyUnavailableError)
    assert item.maybe_sent  # still to be checked: never by another route


async def test_a_check_that_ends_unknown_again_is_checked_again_later(
    hass: HomeAssistant, sms123_sim: Sms123Simulator
) -> None:
    entry = await set_up(hass, sms123_entry(sms123_sim))
    sms123_sim.technical_errors = 1
    item = item_for(entry, maybe_sent=True)

    first = await attempt(hass, entry, item)

    assert (first.outcome, first.retry_after) == (AttemptOutcome.RETRY, delivery.VERIFY_DELAY)
    assert (await attempt(hass, entry, item)).outcome is AttemptOutcome.SENT
    assert len(sms123_sim.messages) == 1


# --- smsmode: the list of sends ----------------------------------------------------------------


async def test_verify_finds_a_send_that_went_out(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    sent = await account_of(entry).gateway.send(SendRequest(recipients=(ALICE,), text="Alerte"))

    result = await async_verify(account_of(entry).routes, item_for(entry))

    assert result.outcome is AttemptOutcome.SENT
    assert result.result is not None
    assert result.result.message_id == sent.message_id
    assert result.route == entry.entry_id
    assert len(smsmode_sim.messages) == 1


async def test_verify_then_send_what_never_arrived(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    item = item_for(entry)

    verified = await async_verify(account_of(entry).routes, item)

    assert verified.outcome is AttemptOutcome.RETRY
    assert item.maybe_sent
    assert smsmode_sim.messages == []

    sent = await attempt(hass, entry, item)

    # listed once more, still absent: sent now
    assert sent.outcome is AttemptOutcome.SENT
    assert len(smsmode_sim.messages) == 1
    assert len(smsmode_sim.requests_to(LIST)) == 2


async def test_an_older_send_of_the_same_text_is_another_one(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    await account_of(entry).gateway.send(SendRequest(recipients=(ALICE,), text="Alerte"))
    smsmode_sim.messages[0].accepted_at -= timedelta(hours=1)

    result = await async_verify(account_of(entry).routes, item_for(entry))

    assert result.outcome is AttemptOutcome.RETRY


async def test_a_send_the_account_knows_is_another_one(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    account = account_of(entry)
    known = await account.gateway.send(SendRequest(recipients=(ALICE,), text="Alerte"))
    await account.sent_log.async_record(known, replies_allowed=False)

    result = await async_verify(account.routes, item_for(entry))

    assert result.outcome is AttemptOutcome.RETRY


async def test_an_unavailable_list_leaves_the_outcome_unknown(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    smsmode_sim.answer_next(31, LIST, count=3)  # every try of the read

    result = await async_verify(account_of(entry).routes, item_for(entry))

    assert result.outcome is AttemptOutcome.UNCONFIRMED
    assert smsmode_sim.messages == []


# --- gateways that cannot tell ------------------------------------------------------------------


async def test_allmysms_cannot_verify(hass: HomeAssistant, allmysms_sim: AllMySmsSimulator) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    before = len(allmysms_sim.requests)

    result = await async_verify(account_of(entry).routes, item_for(entry))

    assert result.outcome is AttemptOutcome.UNCONFIRMED
    assert len(allmysms_sim.requests) == before


@pytest.fixture
async def mail2sms_sim(allmysms_sim: AllMySmsSimulator) -> AsyncIterator[Mail2SmsSimulator]:
    sim = Mail2SmsSimulator(allmysms_sim)
    await sim.start()
    yield sim
    await sim.stop()


async def test_mail2sms_unknown_outcome_is_final(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, mail2sms_sim: Mail2SmsSimulator
) -> None:
    options = {
        "route": "email",
        "smtp_host": mail2sms_sim.host,
        "smtp_port": mail2sms_sim.port,
        "smtp_security": "none",
        "smtp_sender": "maison@example.fr",
    }
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options=options))
    mail2sms_sim.fail_next("drop_after_data")
    item = item_for(entry)

    result = await attempt(hass, entry, item)

    assert (result.outcome, result.route) == (AttemptOutcome.UNCONFIRMED, "mail2sms")
    assert item.maybe_sent


# --- routes ---------------------------------------------------------------------------------------


async def test_credentials_refused_fail_over_and_start_reauth(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, sms123_sim: Sms123Simulator
) -> None:
    backup = await set_up(hass, sms123_entry(sms123_sim))
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options={"fallback": backup.entry_id}))
    smsmode_sim.access_token = "revoked"

    result = await attempt(hass, entry, item_for(entry))

    assert (result.outcome, result.route) == (AttemptOutcome.SENT, backup.entry_id)
    assert len(sms123_sim.messages) == 1
    await hass.async_block_till_done()
    assert list(entry.async_get_active_flows(hass, {SOURCE_REAUTH}))


async def test_a_fallback_not_loaded_is_no_fallback(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, sms123_sim: Sms123Simulator
) -> None:
    backup = await set_up(hass, sms123_entry(sms123_sim))
    entry = await set_up(hass, smsmode_entry(smsmode_sim, options={"fallback": backup.entry_id}))
    await hass.config_entries.async_unload(backup.entry_id)
    smsmode_sim.credits = 0

    result = await attempt(hass, entry, item_for(entry))

    assert result.outcome is AttemptOutcome.FAILED
    assert isinstance(result.error, CreditError)
    assert sms123_sim.messages == []


@pytest.mark.parametrize("fallback", ["mail2sms", "self"])
async def test_fallbacks_that_cannot_help_are_ignored(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, fallback: str
) -> None:
    entry = smsmode_entry(smsmode_sim)
    entry.add_to_hass(hass)
    name = entry.entry_id if fallback == "self" else fallback
    hass.config_entries.async_update_entry(entry, options={"fallback": name})
    await hass.config_entries.async_setup(entry.entry_id)
    smsmode_sim.credits = 0

    result = await attempt(hass, entry, item_for(entry))

    assert result.outcome is AttemptOutcome.FAILED
    assert len(smsmode_sim.requests_to(SMSMODE_SEND)) == 1


async def test_a_send_checked_on_the_fallback_that_may_have_carried_it(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator, sms123_sim: Sms123Simulator
) -> None:
    backup = await set_up(hass, smsmode_entry(smsmode_sim))
    entry = await set_up(hass, sms123_entry(sms123_sim, options={"fallback": backup.entry_id}))
    sent = await account_of(backup).gateway.send(SendRequest(recipients=(ALICE,), text="Alerte"))
    item = item_for(entry, route=backup.entry_id)

    result = await async_verify(account_of(entry).routes, item)

    assert (result.outcome, result.route) == (AttemptOutcome.SENT, backup.entry_id)
    assert result.result is not None
    assert result.result.message_id == sent.message_id
    assert sms123_sim.requests_to(SMS123_SEND) == []


async def test_a_send_whose_route_is_gone_stays_unknown(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    entry = await set_up(hass, smsmode_entry(smsmode_sim))
    item = item_for(entry, route="no-such-entry", maybe_sent=True)

    assert (
        await async_verify(account_of(entry).routes, item)
    ).outcome is AttemptOutcome.UNCONFIRMED
    assert (await attempt(hass, entry, item)).outcome is AttemptOutcome.UNCONFIRMED
    assert smsmode_sim.requests_to(SMSMODE_SEND) == []
    assert smsmode_sim.requests_to(LIST) == []
