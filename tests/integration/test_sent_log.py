"""The log of recent sends: bounded in size and age, at a cost that does not grow with it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from custom_components.texto import sent_log as sent_log_module
from custom_components.texto.gateway.encoding import encode
from custom_components.texto.gateway.models import Route, SendResult, SendStatus
from custom_components.texto.sent_log import KEEP, SentLog
from custom_components.texto.stores import AccountStores


def result(number: int, text: str = "Alerte") -> SendResult:
    """A send to one number, with a per-recipient id."""
    phone = f"+336{number:08d}"
    return SendResult(
        route=Route.ALLMYSMS,
        message_id=f"m{number}",
        status=SendStatus.SENT,
        recipients=(phone,),
        invalid_recipients=(),
        recipient_ids={phone: f"r{number}"},
        message=encode(text),
        billed_parts=1,
    )


async def test_the_oldest_sends_beyond_the_bound_are_forgotten(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sent_log_module, "MAX_SENDS", 3)
    log = SentLog(AccountStores.of(hass, "bound").sent)
    for number in range(5):
        await log.async_record(result(number), replies_allowed=False)

    assert [log.get(f"m{n}") is not None for n in range(5)] == [False, False, True, True, True]
    # nothing forgotten is still found by its per-recipient id
    assert log.by_recipient_id("r1") is None
    assert log.by_recipient_id("r4") is log.get("m4")


async def test_sends_older_than_a_week_are_forgotten(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    log = SentLog(AccountStores.of(hass, "age").sent)
    await log.async_record(result(1), replies_allowed=False)
    freezer.tick(KEEP + timedelta(minutes=1))

    await log.async_record(result(2), replies_allowed=False)

    assert log.get("m1") is None
    assert log.by_recipient_id("r1") is None
    assert log.get("m2") is not None


async def test_the_same_text_to_the_same_number_is_recognised_without_keeping_the_text(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    log = SentLog(AccountStores.of(hass, "text").sent)
    start = dt_util.utcnow()
    await log.async_record(result(1, "Alarme"), replies_allowed=False)

    assert log.same_text_sent("+33600000001", "Alarme", since=start - timedelta(hours=1))
    assert not log.same_text_sent("+33600000001", "Autre", since=start - timedelta(hours=1))
    assert not log.same_text_sent("+33600000002", "Alarme", since=start - timedelta(hours=1))
    assert not log.same_text_sent("+33600000001", "Alarme", since=start + timedelta(hours=1))
    assert "Alarme" not in str(log._dump())
