"""sendSms over real HTTP: what goes on the wire, what comes back, every status."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.simulator.allmysms import AllMySmsSimulator
from texto_gateway.allmysms import AllMySmsGateway
from texto_gateway.errors import (
    AuthenticationError,
    CreditError,
    GatewayError,
    InvalidRequestError,
    NotFoundError,
    Outcome,
    RecipientsRejectedError,
    UnexpectedResponseError,
)
from texto_gateway.models import (
    Encoding,
    Route,
    SendRequest,
    SendStatus,
    StopMention,
)

from .conftest import ALICE, API_KEY, BOB, CAROL, LOGIN, form_of, sms_data_of

PARIS = ZoneInfo("Europe/Paris")


def request(*recipients: str, text: str = "Bonjour", **options: object) -> SendRequest:
    return SendRequest(recipients=recipients or (ALICE,), text=text, **options)  # type: ignore[arg-type]


def assert_no_personal_data(error: GatewayError) -> None:
    """Neither the key, the login, a number nor the text may reach an error message."""
    message = str(error)
    for secret in (API_KEY, LOGIN, "612345678", "698765432", "751234567", "Bonjour"):
        assert secret not in message
    for secret in (API_KEY, "33612345678", "33698765432"):
        assert secret not in (error.raw or "")


async def test_send_to_one_number(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    result = await allmysms.send(request(text="Bonjour, la porte est ouverte"))

    assert result.route is Route.ALLMYSMS
    assert result.status is SendStatus.SENT
    assert result.recipients == (ALICE,)
    assert result.invalid_recipients == ()
    assert result.message_id == allmysms_sim.messages[0].campaign_id
    assert result.recipient_ids == {ALICE: allmysms_sim.messages[0].sms_id}
    assert result.billed_parts == 1
    assert result.credits_used == 15
    assert result.balance == 15000 - 15 == allmysms_sim.credits
    [sms] = allmysms_sim.messages
    assert (sms.number, sms.text, sms.flash) == (
        "33612345678",
        "Bonjour, la porte est ouverte",
        False,
    )


async def test_request_is_one_post_form_with_json_sms_data(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    await allmysms.send(request(ALICE, BOB, CAROL, text="Alerte"))

    [sent] = allmysms_sim.requests
    assert (sent.method, sent.path) == ("POST", "/http/9.0/sendSms/")
    assert sent.content_type.startswith("application/x-www-form-urlencoded")
    form = form_of(sent)
    assert (form["login"], form["apiKey"], form["returnformat"]) == (LOGIN, API_KEY, "json")
    assert sms_data_of(sent) == {
        "MESSAGE": "Alerte",
        "SMS": [
            {"MOBILEPHONE": "33612345678"},
            {"MOBILEPHONE": "33698765432"},
            {"MOBILEPHONE": "33751234567"},
        ],
    }


async def test_many_recipients_go_in_one_request(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    numbers = tuple(f"+336{n:08d}" for n in range(12000000, 12000250))
    result = await allmysms.send(request(*numbers))

    assert len(allmysms_sim.requests) == 1
    assert len(result.recipients) == 250
    assert result.billed_parts == 250
    assert len(result.recipient_ids) == 250
    assert allmysms_sim.credits == 15000 - 250 * 15


async def test_optional_fields_reach_the_gateway(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    text = "Code 1234 STOP au 36180"
    result = await allmysms.send(
        request(
            text=text,
            sender="Maison",
            flash=True,
            reference="ref-42",
            campaign_name="Alarme",
        )
    )

    data = sms_data_of(allmysms_sim.requests[0])
    assert data["TPOA"] == "Maison"
    assert data["FLASH"] == "1"
    assert data["CLIMSGID"] == "ref-42"
    assert data["CAMPAIGN_NAME"] == "Alarme"
    assert "DATE" not in data
    [sms] = allmysms_sim.messages
    assert (sms.flash, sms.reference, sms.campaign_name) == (True, "ref-42", "Alarme")
    assert sms.sender_used == "Maison"
    assert (result.reference, result.sender) == ("ref-42", "Maison")


async def test_long_unicode_text_counts_its_parts(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    text = "ê" * 135  # UCS-2: 3 parts
    result = await allmysms.send(request(ALICE, BOB, text=text, text_policy="unicode"))

    assert result.message.encoding is Encoding.UCS2
    assert result.message.parts == 3
    assert result.billed_parts == 6
    assert result.credits_used == 6 * 15
    assert allmysms_sim.messages[0].text == text


# --- STOP mention and sender ---------------------------------------------------------


async def test_stop_mention_added_for_a_custom_sender(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    result = await allmysms.send(request(text="Portail ouvert", sender="Maison"))

    assert result.message.text == "Portail ouvert\nSTOP au 36180"
    [sms] = allmysms_sim.messages
    assert sms.text == "Portail ouvert\nSTOP au 36180"
    assert sms.sender_used == "Maison"


async def test_stop_mention_not_added_without_a_sender(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    await allmysms.send(request(text="Portail ouvert"))

    [sms] = allmysms_sim.messages
    assert sms.text == "Portail ouvert"
    assert "TPOA" not in sms_data_of(allmysms_sim.requests[0])


async def test_stop_mention_off_lets_the_platform_replace_the_sender(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    result = await allmysms.send(
        request(text="Portail ouvert", sender="Maison", stop_mention=StopMention.OFF)
    )

    assert result.message.text == "Portail ouvert"
    [sms] = allmysms_sim.messages
    assert sms.sender == "Maison"
    assert sms.sender_used == "36180"


async def test_stop_mention_required_refuses_before_sending(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    with pytest.raises(GatewayError) as caught:
        await allmysms.send(
            request(text="Portail ouvert", sender="Maison", stop_mention=StopMention.REQUIRE)
        )

    assert caught.value.outcome is Outcome.NOT_SENT
    assert "STOP au 36180" in str(caught.value)
    assert allmysms_sim.requests == []

    # already there: accepted as is
    await allmysms.send(
        request(text="Portail ouvert STOP au 36180", sender="Maison", stop_mention="require")
    )
    assert allmysms_sim.messages[0].text == "Portail ouvert STOP au 36180"


@pytest.mark.parametrize(
    "sender",
    ["AB", "ABCDEFGHIJKL", "1Maison", "Mais-on", "Maisoné", "0612345678"],
    ids=["too-short", "too-long", "digit-first", "punctuation", "accent", "digits-only"],
)
async def test_invalid_sender_sends_nothing(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, sender: str
) -> None:
    with pytest.raises(GatewayError) as caught:
        await allmysms.send(request(sender=sender))

    assert getattr(caught.value, "field", None) == "sender"
    assert allmysms_sim.requests == []


async def test_sender_with_a_space_is_allowed(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    await allmysms.send(request(text="Salut STOP au 36180", sender="Ma Maison"))

    assert allmysms_sim.messages[0].sender_used == "Ma Maison"


# --- other validation: nothing leaves the machine ---------------------------------------


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"text": "   "}, "text"),
        ({"text": "a" * 641}, "text"),
        ({"text": "ê" * 641, "text_policy": "unicode"}, "text"),
        ({"text": "😀" * 340, "text_policy": "unicode"}, "text"),
        ({"recipients": ("06 12",)}, "recipients"),
        ({"recipients": ()}, "recipients"),
        ({"send_at": datetime(2020, 1, 1, tzinfo=UTC)}, "send_at"),
        ({"send_at": datetime(2099, 1, 1)}, "send_at"),  # naive
        ({"voice": True}, "voice"),
        ({"test": True}, "test"),
    ],
    ids=[
        "empty",
        "641-gsm",
        "641-ucs2",
        "over-10-parts",
        "bad-number",
        "no-number",
        "past",
        "naive",
        "voice",
        "test-mode",
    ],
)
async def test_invalid_request_sends_nothing(
    allmysms: AllMySmsGateway,
    allmysms_sim: AllMySmsSimulator,
    options: dict[str, object],
    field: str,
) -> None:
    fields: dict[str, object] = {"recipients": (ALICE,), "text": "Bonjour"}
    fields.update(options)
    with pytest.raises(GatewayError) as caught:
        await allmysms.send(SendRequest(**fields))  # type: ignore[arg-type]

    assert getattr(caught.value, "field", None) == field
    assert caught.value.outcome is Outcome.NOT_SENT
    assert allmysms_sim.requests == []
    assert "612345678" not in str(caught.value)


async def test_640_characters_is_the_limit(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    result = await allmysms.send(request(text="a" * 640))

    assert result.message.parts == 5
    assert allmysms_sim.messages[0].text == "a" * 640
    assert allmysms_sim.credits == 15000 - 5 * 15


# --- scheduling and cancelling ---------------------------------------------------------


async def test_scheduled_send_then_cancel(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    send_at = datetime(2099, 7, 14, 8, 30, tzinfo=UTC)  # summer: Paris is UTC+2
    result = await allmysms.send(request(ALICE, BOB, send_at=send_at))

    assert result.status is SendStatus.SCHEDULED
    assert result.send_at == send_at
    assert sms_data_of(allmysms_sim.requests[0])["DATE"] == "2099-07-14 10:30:00"
    campaign = allmysms_sim.campaigns[result.message_id]
    assert campaign.scheduled
    assert allmysms_sim.credits == 15000 - 30

    await allmysms.cancel(result)

    assert campaign.cancelled
    assert {sms.status for sms in campaign.sms} == {"cancelled"}
    assert allmysms_sim.credits == 15000
    assert allmysms_sim.requests[-1].path == "/http/9.0/deleteCampaign/"
    assert form_of(allmysms_sim.requests[-1])["campId"] == result.message_id

    # a second cancel finds nothing to cancel
    with pytest.raises(NotFoundError) as caught:
        await allmysms.cancel(result)
    assert caught.value.code == "KO"


async def test_winter_date_is_paris_time(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    send_at = datetime(2099, 1, 10, 7, 0, tzinfo=ZoneInfo("America/New_York"))
    await allmysms.send(request(send_at=send_at))

    assert sms_data_of(allmysms_sim.requests[0])["DATE"] == "2099-01-10 13:00:00"


async def test_cancelling_a_sent_message_is_refused(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    result = await allmysms.send(request())

    with pytest.raises(NotFoundError):
        await allmysms.cancel(result)
    assert allmysms_sim.campaigns[result.message_id].cancelled is False


# --- numbers the gateway refuses -------------------------------------------------------


async def test_partial_acceptance_is_reported(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.unroutable_numbers = {"33698765432"}

    result = await allmysms.send(request(ALICE, BOB, CAROL))

    assert result.status is SendStatus.SENT
    assert result.recipients == (ALICE, CAROL)
    assert result.invalid_recipients == (BOB,)
    assert result.billed_parts == 2
    assert set(result.recipient_ids) == {ALICE, CAROL}
    assert [sms.number for sms in allmysms_sim.messages] == ["33612345678", "33751234567"]
    assert allmysms_sim.credits == 15000 - 30


async def test_partial_acceptance_of_a_scheduled_send(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.unroutable_numbers = {"33698765432"}
    allmysms_sim.fail_next(
        "malformed",
        body='{"status": 113, "campaignId": "C1", "invalidNumbers": "33698765432"}',
    )

    result = await allmysms.send(request(ALICE, BOB, send_at=datetime(2099, 1, 1, tzinfo=UTC)))

    assert result.status is SendStatus.SCHEDULED
    assert result.message_id == "C1"
    assert result.invalid_recipients == (BOB,)


async def test_no_valid_number(allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator) -> None:
    allmysms_sim.unroutable_numbers = {"33612345678", "33698765432"}

    with pytest.raises(RecipientsRejectedError) as caught:
        await allmysms.send(request(ALICE, BOB))

    assert caught.value.code == "114"
    assert caught.value.numbers == [ALICE, BOB]
    assert caught.value.outcome is Outcome.NOT_SENT
    assert allmysms_sim.messages == []
    assert_no_personal_data(caught.value)


async def test_no_valid_number_unlisted_names_every_recipient(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.force_status = 114

    with pytest.raises(RecipientsRejectedError) as caught:
        await allmysms.send(request(ALICE, BOB))

    assert caught.value.numbers == [ALICE, BOB]


async def test_some_invalid_without_a_campaign_is_a_refusal(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.fail_next(
        "malformed", body='{"status": "113", "invalidNumbers": "33698765432;33751234567"}'
    )

    with pytest.raises(RecipientsRejectedError) as caught:
        await allmysms.send(request(ALICE, BOB, CAROL))

    assert caught.value.code == "113"
    assert caught.value.numbers == [BOB, CAROL]


# --- every other status of the seed's table --------------------------------------------


async def test_bad_api_key(make_allmysms, allmysms_sim: AllMySmsSimulator) -> None:  # type: ignore[no-untyped-def]
    gateway = make_allmysms(api_key="wrong-key-123")

    with pytest.raises(AuthenticationError) as caught:
        await gateway.send(request())

    assert caught.value.code == "102"
    assert caught.value.outcome is Outcome.NOT_SENT
    assert not caught.value.retryable
    assert "wrong-key-123" not in str(caught.value)
    assert allmysms_sim.messages == []


async def test_no_credit_left(allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator) -> None:
    allmysms_sim.credits = 0

    with pytest.raises(CreditError) as caught:
        await allmysms.send(request())

    assert caught.value.code == "103"
    assert (caught.value.required, caught.value.available) == (None, None)
    assert allmysms_sim.messages == []


async def test_not_enough_credit_gives_the_amounts(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.credits = 20

    with pytest.raises(CreditError) as caught:
        await allmysms.send(request(ALICE, BOB))

    assert caught.value.code == "104"
    assert caught.value.required == 30
    assert caught.value.available == 20
    assert allmysms_sim.messages == []
    assert allmysms_sim.credits == 20
    assert_no_personal_data(caught.value)


@pytest.mark.parametrize(
    ("status", "error", "field"),
    [
        (102, AuthenticationError, None),
        (118, AuthenticationError, None),
        (103, CreditError, None),
        (105, InvalidRequestError, "smsData"),
        (106, InvalidRequestError, "smsData"),
        (107, InvalidRequestError, "smsData"),
        (108, InvalidRequestError, "smsData"),
        (109, InvalidRequestError, "smsData"),
        (110, InvalidRequestError, "text"),
        (111, InvalidRequestError, "text"),
        (112, InvalidRequestError, "smsData"),
        (115, InvalidRequestError, "send_at"),
        (117, InvalidRequestError, "text"),
    ],
)
async def test_error_statuses(
    allmysms: AllMySmsGateway,
    allmysms_sim: AllMySmsSimulator,
    status: int,
    error: type[GatewayError],
    field: str | None,
) -> None:
    allmysms_sim.force_status = status

    with pytest.raises(error) as caught:
        await allmysms.send(request())

    assert type(caught.value) is error
    assert caught.value.code == str(status)
    assert getattr(caught.value, "field", None) == field
    assert caught.value.outcome is Outcome.NOT_SENT
    assert allmysms_sim.messages == []
    assert_no_personal_data(caught.value)


async def test_forced_insufficient_credit(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.force_status = 104

    with pytest.raises(CreditError) as caught:
        await allmysms.send(request())

    assert (caught.value.required, caught.value.available) == (15, 0)


@pytest.mark.parametrize(
    "body",
    [
        '{"status": 116, "statusText": "?"}',
        '{"status": "200"}',
        '{"statusText": "no status"}',
        '{"status": "abc"}',
        '["100"]',
        "<html>oops</html>",
        "",
    ],
)
async def test_undocumented_answers(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, body: str
) -> None:
    allmysms_sim.fail_next("malformed", body=body)

    with pytest.raises(UnexpectedResponseError) as caught:
        await allmysms.send(request())

    # the simulator did take the message: the caller must not resend blindly
    assert caught.value.outcome is Outcome.UNKNOWN
    assert len(allmysms_sim.messages) == 1


async def test_unexpected_answer_keeps_a_redacted_copy(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.fail_next(
        "malformed",
        body=f'{{"status": "999", "apiKey": "{API_KEY}", "phone": "33612345678"}}',
    )

    with pytest.raises(UnexpectedResponseError) as caught:
        await allmysms.send(request())

    assert caught.value.code == "999"
    assert caught.value.raw is not None
    assert '"status": "999"' in caught.value.raw
    assert_no_personal_data(caught.value)


# --- tolerant parsing ---------------------------------------------------------------------


async def test_numbers_as_numbers_and_unknown_fields(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.fail_next(
        "malformed",
        body=(
            '{"status": 100, "campaignId": 4242, "credits": "1847", "creditsUsed": 30.0,'
            ' "smsIds": [{"phoneNumber": 33612345678, "smsId": "a-1"}, "junk",'
            ' {"phoneNumber": "36180", "smsId": "s-2"}, {"smsId": "s-3"}],'
            ' "invalidNumbers": "", "somethingNew": {"x": 1}}'
        ),
    )

    result = await allmysms.send(request())

    assert result.message_id == "4242"
    assert result.balance == 1847
    assert result.credits_used == 30
    assert result.recipient_ids == {ALICE: "a-1", "36180": "s-2"}
    assert result.invalid_recipients == ()


async def test_invalid_numbers_as_a_list_with_unreadable_entries(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.fail_next(
        "malformed",
        body=(
            '{"status": "113", "campaignId": "C9", "credits": "x", "creditsUsed": true,'
            ' "invalidNumbers": ["33698765432", 33751234567, "123", null, ""]}'
        ),
    )

    result = await allmysms.send(request(ALICE, BOB, CAROL))

    assert result.invalid_recipients == (BOB, CAROL, "123")
    assert result.recipients == (ALICE,)
    assert result.balance is None
    assert result.credits_used is None


async def test_sent_without_a_campaign_id_still_succeeds(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator
) -> None:
    allmysms_sim.fail_next("malformed", body='{"status": "101"}')

    result = await allmysms.send(request())

    assert result.status is SendStatus.SCHEDULED
    assert result.message_id.startswith("local-")
    assert result.recipient_ids == {}


@pytest.mark.parametrize(
    "body",
    ['{"status": "104"}', '{"status": 104, "statusText": "Crédit insuffisant"}'],
)
async def test_insufficient_credit_without_amounts(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, body: str
) -> None:
    allmysms_sim.fail_next("malformed", body=body)

    with pytest.raises(CreditError) as caught:
        await allmysms.send(request())

    assert caught.value.code == "104"
    assert (caught.value.required, caught.value.available) == (None, None)


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        ('{"status": 100.0, "campaignId": "C1"}', True),
        ('{"status": " 101 ", "campaignId": ["C1"]}', True),
        ('{"status": true, "campaignId": "C1"}', False),
        ('{"status": 100.5, "campaignId": "C1"}', False),
    ],
)
async def test_status_types(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, body: str, accepted: bool
) -> None:
    allmysms_sim.fail_next("malformed", body=body)

    if accepted:
        assert (await allmysms.send(request())).recipients == (ALICE,)
    else:
        with pytest.raises(UnexpectedResponseError):
            await allmysms.send(request())


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"status": "102"}', AuthenticationError),
        ('{"statusText": "?"}', UnexpectedResponseError),
        ('{"status": "KO"}', NotFoundError),
    ],
)
async def test_cancel_answers(
    allmysms: AllMySmsGateway,
    allmysms_sim: AllMySmsSimulator,
    body: str,
    error: type[GatewayError],
) -> None:
    result = await allmysms.send(request(send_at=datetime(2099, 1, 1, tzinfo=UTC)))
    allmysms_sim.fail_next("malformed", body=body)

    with pytest.raises(error):
        await allmysms.cancel(result)
