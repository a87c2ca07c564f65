"""What every route inherits: defaults for what a gateway cannot do, shared checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from texto_gateway.base import Gateway
from texto_gateway.errors import (
    UnsupportedFeatureError,
    ValidationError,
)
from texto_gateway.mail2sms import (
    Mail2SmsGateway,
    SmtpSecurity,
    SmtpSettings,
)
from texto_gateway.models import SendRequest, SendResult, SendStatus

SMTP = SmtpSettings(
    host="127.0.0.1", port=25, security=SmtpSecurity.NONE, sender_address="maison@example.fr"
)


@pytest.fixture
def mail2sms() -> Gateway:
    """A route with few capabilities; nothing here touches the network."""
    return Mail2SmsGateway("demo", "key", SMTP)


def request(**fields: object) -> SendRequest:
    values: dict[str, object] = {"recipients": ("+33612345678",), "text": "Bonjour", **fields}
    return SendRequest(**values)  # type: ignore[arg-type]


async def test_unsupported_operations_say_which(mail2sms: Gateway) -> None:
    sent = SendResult(
        route=mail2sms.route,
        message_id="m",
        status=SendStatus.SCHEDULED,
        recipients=(),
        invalid_recipients=(),
        recipient_ids={},
        message=mail2sms.prepare(request()).message,
        billed_parts=0,
    )
    for call, feature in (
        (mail2sms.cancel(sent), "cancel"),
        (mail2sms.fetch_delivery_reports("m"), "delivery_reports"),
        (mail2sms.fetch_replies(), "replies"),
    ):
        with pytest.raises(UnsupportedFeatureError) as raised:
            await call
        assert raised.value.feature == feature
    with pytest.raises(UnsupportedFeatureError):
        Mail2SmsGateway.parse_callback({"status": "1"})


def test_shared_checks(mail2sms: Gateway) -> None:
    with pytest.raises(UnsupportedFeatureError):
        mail2sms.prepare(request(flash=True))
    with pytest.raises(ValidationError) as no_one:
        mail2sms.prepare(SendRequest(recipients=(), text="x"))
    assert no_one.value.field == "recipients"
    with pytest.raises(ValidationError) as zero_parts:
        mail2sms.prepare(request(max_parts=0))
    assert zero_parts.value.field == "max_parts"


def test_flash_and_voice_together_are_refused() -> None:
    from texto_gateway.sms123 import Sms123Gateway

    gateway = Sms123Gateway("u", "k")
    with pytest.raises(ValidationError) as raised:
        gateway.prepare(request(flash=True, voice=True))
    assert raised.value.field == "voice"


def test_a_stop_mention_glued_to_the_text_does_not_count(mail2sms: Gateway) -> None:
    prepared = mail2sms.prepare(request(sender="MAISON", text="AlarmeSTOP au 36180"))
    assert prepared.message.text == "AlarmeSTOP au 36180\nSTOP au 36180"


def test_a_date_without_time_zone_is_refused(mail2sms: Gateway) -> None:
    naive = datetime.now() + timedelta(hours=1)
    with pytest.raises(ValidationError):
        mail2sms.prepare(request(send_at=naive))
    future = datetime.now(UTC) + timedelta(hours=1)
    assert mail2sms.prepare(request(send_at=future)).send_at == future
