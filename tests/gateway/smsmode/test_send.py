"""Sending through smsmode over HTTP: encodings, parts, STOP, classes, schedule, voice, codes."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from tests.simulator.smsmode import SmsmodeSimulator
from texto_gateway.errors import (
    AuthenticationError,
    CreditError,
    EncodingNotAllowedError,
    InvalidRequestError,
    InvalidSenderError,
    MessageTooLongError,
    NotFoundError,
    Outcome,
    OutcomeUnknownError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
    UnsupportedFeatureError,
    ValidationError,
)
from texto_gateway.models import (
    Encoding,
    Route,
    SendRequest,
    SendStatus,
    StopMention,
    TextPolicy,
)
from texto_gateway.smsmode import (
    MAX_RECIPIENTS,
    SEND_PATH,
    VOICE_PATH,
    SmsmodeGateway,
)

from .conftest import TOKEN, CallbackReceiver

NUMBER = "06 12 34 56 78"
E164 = "+33612345678"
FUTURE = datetime(2030, 7, 14, 10, 30, tzinfo=UTC)


def sent_fields(sim: SmsmodeSimulator, path: str = SEND_PATH) -> dict[str, bytes]:
    """The fields of the last request to ``path``, percent-decoded to bytes."""
    body = sim.requests_to(path)[-1].body.decode("ascii")
    pairs = urllib.parse.parse_qsl(body, keep_blank_values=True, encoding="latin-1")
    return {name: value.encode("latin-1") for name, value in pairs}


# --- the standard (ISO-8859-15) path ----------------------------------------------------


async def test_french_text_arrives_intact_in_iso_8859_15(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    text = "Café livré : é è à ù € £ ok"
    result = await gateway.send(SendRequest(recipients=(NUMBER,), text=text))

    assert result.route is Route.SMSMODE
    assert result.status is SendStatus.SENT
    assert result.recipients == (E164,)
    assert result.invalid_recipients == ()
    assert result.message.encoding is Encoding.GSM7
    assert result.billed_parts == 1
    assert result.credits_used is None
    [stored] = smsmode_sim.messages
    assert stored.sms_id == result.message_id
    assert stored.text == text
    assert stored.number == "33612345678"
    assert stored.classe_msg == 2
    assert smsmode_sim.encoding_violations == []
    request = smsmode_sim.requests_to(SEND_PATH)[-1]
    assert request.method == "POST"
    assert request.content_type == "application/x-www-form-urlencoded; charset=ISO-8859-15"
    assert b"%E9" in request.body  # é
    assert b"%A4" in request.body  # € in ISO-8859-15
    assert b"%C3" not in request.body  # no UTF-8 lead byte
    assert sent_fields(smsmode_sim)["nbr_msg"] == b"1"
    assert smsmode_sim.credits == 999


async def test_all_recipients_travel_in_one_post(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    numbers = ("0612345678", "+33 7 56 78 12 34", "0033644556677")
    result = await gateway.send(SendRequest(recipients=numbers, text="Bonjour"))

    assert len(smsmode_sim.requests_to(SEND_PATH)) == 1
    assert sent_fields(smsmode_sim)["numero"] == b"33612345678,33756781234,33644556677"
    assert result.recipients == ("+33612345678", "+33756781234", "+33644556677")
    assert result.billed_parts == 3
    assert {m.sms_id for m in smsmode_sim.messages} == {result.message_id}
    assert smsmode_sim.credits == 997


async def test_too_many_recipients_are_refused_before_sending(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    numbers = tuple(f"06{index:08d}" for index in range(MAX_RECIPIENTS + 1))
    with pytest.raises(ValidationError) as caught:
        await gateway.send(SendRequest(recipients=numbers, text="Bonjour"))
    assert caught.value.field == "recipients"
    assert smsmode_sim.requests == []


async def test_look_alikes_are_replaced_under_the_auto_policy(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    result = await gateway.send(SendRequest(recipients=(NUMBER,), text="C’est l’heure"))

    assert result.message.encoding is Encoding.GSM7
    assert result.message.replaced == (("’", "'"),)
    assert sent_fields(smsmode_sim)["classe_msg"] == b"2"
    assert smsmode_sim.messages[0].text == "C'est l'heure"


# --- the Unicode path (classe_msg=9) -------------------------------------------------------


@pytest.mark.parametrize("text", ["Vous êtes prêt ?", "Bravo 😀 !", "À l’heure, ça va"])
async def test_text_outside_the_table_goes_as_unicode_and_arrives_intact(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, text: str
) -> None:
    result = await gateway.send(
        SendRequest(recipients=(NUMBER,), text=text, text_policy=TextPolicy.UNICODE)
    )

    assert result.message.encoding is Encoding.UCS2
    assert sent_fields(smsmode_sim)["classe_msg"] == b"9"
    request = smsmode_sim.requests_to(SEND_PATH)[-1]
    assert request.content_type.endswith("charset=UTF-8")
    assert smsmode_sim.messages[0].text == text
    assert smsmode_sim.messages[0].classe_msg == 9
    assert smsmode_sim.encoding_violations == []


async def test_unicode_long_text_is_counted_in_70_and_67(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    text = "ê" * 300
    result = await gateway.send(SendRequest(recipients=(NUMBER,), text=text))

    assert result.message.parts == 5
    assert sent_fields(smsmode_sim)["nbr_msg"] == b"5"
    assert smsmode_sim.messages[0].text == text
    assert smsmode_sim.credits == 995


# --- parts and nbr_msg: the gateway cuts, the library never lets it --------------------


@pytest.mark.parametrize(("length", "parts"), [(160, 1), (161, 2), (459, 3), (460, 4), (700, 5)])
async def test_long_text_declares_its_parts_and_arrives_uncut(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, length: int, parts: int
) -> None:
    text = "a" * length
    result = await gateway.send(SendRequest(recipients=(NUMBER,), text=text))

    assert result.message.parts == parts
    assert sent_fields(smsmode_sim)["nbr_msg"] == str(parts).encode()
    assert smsmode_sim.messages[0].text == text
    assert smsmode_sim.messages[0].parts == parts
    assert smsmode_sim.credits == 1000 - parts


async def test_text_over_five_parts_is_refused_before_sending(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    with pytest.raises(MessageTooLongError) as caught:
        await gateway.send(SendRequest(recipients=(NUMBER,), text="a" * 766))
    assert (caught.value.parts, caught.value.max_parts) == (6, 5)
    assert smsmode_sim.requests == []


async def test_callers_part_cap_is_honoured(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    with pytest.raises(MessageTooLongError):
        await gateway.send(SendRequest(recipients=(NUMBER,), text="a" * 200, max_parts=1))
    assert smsmode_sim.requests == []


async def test_simulator_cuts_what_a_careless_client_sends(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    """Without nbr_msg the gateway keeps 5 parts (765 characters): the cut the library avoids."""
    form = {"accessToken": TOKEN, "message": "a" * 1000, "numero": "0612345678"}
    async with http_session.post(f"{smsmode_sim.base_url}{SEND_PATH}", data=form) as response:
        assert (await response.text()).startswith("0 | ")
    assert len(smsmode_sim.messages[0].text) == 765
    form["nbr_msg"] = "1"
    async with http_session.post(f"{smsmode_sim.base_url}{SEND_PATH}", data=form) as response:
        assert (await response.text()).startswith("0 | ")
    assert len(smsmode_sim.messages[1].text) == 160


async def test_simulator_flags_utf8_sent_as_a_standard_message(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    # aiohttp encodes a form in UTF-8: the bug a naive client has
    form = {"accessToken": TOKEN, "message": "Café", "numero": "0612345678"}
    async with http_session.post(f"{smsmode_sim.base_url}{SEND_PATH}", data=form) as response:
        assert (await response.text()).startswith("0 | ")
    assert smsmode_sim.encoding_violations == ["CafÃ©"]
    assert smsmode_sim.messages[0].text == "Caf??"  # Ã and © are not in the table


async def test_simulator_turns_characters_outside_its_table_into_question_marks(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    body = urllib.parse.urlencode(
        {"accessToken": TOKEN, "message": "Prêt ? €", "numero": "0612345678"},
        encoding="iso-8859-15",
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    url = f"{smsmode_sim.base_url}{SEND_PATH}"
    async with http_session.post(url, data=body, headers=headers) as response:
        assert (await response.text()).startswith("0 | ")
    assert smsmode_sim.messages[0].text == "Pr?t ? €"
    assert smsmode_sim.encoding_violations == []
    # the table's other € (%80, Windows-1252) is read as € too
    query = f"accessToken={TOKEN}&message=5%80&numero=0612345678"
    async with http_session.get(f"{url}?{query}") as response:
        assert (await response.text()).startswith("0 | ")
    assert smsmode_sim.messages[1].text == "5€"


# --- custom sender and STOP --------------------------------------------------------------


@pytest.mark.parametrize(("length", "parts"), [(149, 1), (150, 2)])
async def test_custom_sender_to_france_asks_for_stop_and_counts_it(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, length: int, parts: int
) -> None:
    text = "b" * length
    result = await gateway.send(SendRequest(recipients=(NUMBER,), text=text, sender="MaBoutique"))

    fields = sent_fields(smsmode_sim)
    assert fields["stop"] == b"2"
    assert fields["emetteur"] == b"MaBoutique"
    assert fields["nbr_msg"] == str(parts).encode()
    assert result.message.parts == parts
    assert result.sender == "MaBoutique"
    stored = smsmode_sim.messages[0]
    assert stored.text == text + "\nSTOP 36034"  # appended whole, nothing cut
    assert stored.sender == "MaBoutique"
    assert smsmode_sim.credits == 1000 - parts


async def test_stop_mention_off_sends_no_stop(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    await gateway.send(
        SendRequest(recipients=(NUMBER,), text="Hello", sender="Shop", stop_mention=StopMention.OFF)
    )
    assert "stop" not in sent_fields(smsmode_sim)
    assert smsmode_sim.messages[0].text == "Hello"


async def test_no_stop_without_a_french_recipient_or_without_sender(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    await gateway.send(SendRequest(recipients=("+44 7911 123456",), text="Hi", sender="Shop"))
    assert "stop" not in sent_fields(smsmode_sim)
    await gateway.send(SendRequest(recipients=(NUMBER,), text="Hi"))
    assert "stop" not in sent_fields(smsmode_sim)
    assert "emetteur" not in sent_fields(smsmode_sim)


@pytest.mark.parametrize("sender", ["ABCDEFGHIJKL", "Ma Boutique", "0612345678", "Bébé"])
async def test_invalid_sender_is_refused_before_sending(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, sender: str
) -> None:
    with pytest.raises(InvalidSenderError):
        await gateway.send(SendRequest(recipients=(NUMBER,), text="Hi", sender=sender))
    assert smsmode_sim.requests == []


# --- replies allowed (classe_msg=4) --------------------------------------------------------


async def test_replies_allowed_sends_class_4_with_the_reply_url(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    await gateway.send(
        SendRequest(
            recipients=(NUMBER,),
            text="Confirmez-vous ? Répondez OUI",
            replies_allowed=True,
            reply_url="https://ha.example/api/webhook/reply",
            delivery_report_url="https://ha.example/api/webhook/dlr",
        )
    )
    fields = sent_fields(smsmode_sim)
    assert fields["classe_msg"] == b"4"
    assert "emetteur" not in fields
    assert fields["notification_url_reponse"] == b"https://ha.example/api/webhook/reply"
    assert fields["notification_url"] == b"https://ha.example/api/webhook/dlr"
    assert smsmode_sim.messages[0].classe_msg == 4
    assert smsmode_sim.messages[0].text == "Confirmez-vous ? Répondez OUI"


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"sender": "Shop"}, InvalidSenderError, "sender"),
        ({"text": "Vous êtes là ?"}, EncodingNotAllowedError, "text"),
        ({"recipients": ("+44 7911 123456",)}, ValidationError, "recipients"),
    ],
)
async def test_class_4_refusals(
    gateway: SmsmodeGateway,
    smsmode_sim: SmsmodeSimulator,
    changes: dict[str, object],
    error: type[ValidationError],
    field: str,
) -> None:
    fields: dict[str, object] = {"recipients": (NUMBER,), "text": "Hi", "replies_allowed": True}
    with pytest.raises(error) as caught:
        await gateway.send(SendRequest(**{**fields, **changes}))  # type: ignore[arg-type]
    assert caught.value.field == field
    assert smsmode_sim.requests == []


async def test_class_4_unicode_refusal_names_the_characters(gateway: SmsmodeGateway) -> None:
    request = SendRequest(recipients=(NUMBER,), text="Vous êtes là ?", replies_allowed=True)
    with pytest.raises(EncodingNotAllowedError) as caught:
        gateway.prepare(request)
    assert caught.value.characters == ["ê"]


async def test_reply_url_needs_replies_allowed(gateway: SmsmodeGateway) -> None:
    request = SendRequest(recipients=(NUMBER,), text="Hi", reply_url="https://ha.example/r")
    with pytest.raises(ValidationError) as caught:
        gateway.prepare(request)
    assert caught.value.field == "reply_url"


# --- reference, URLs -------------------------------------------------------------------------


async def test_reference_is_sent_as_ref_client(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    reference = "r" * 40
    result = await gateway.send(SendRequest(recipients=(NUMBER,), text="Hi", reference=reference))
    assert sent_fields(smsmode_sim)["refClient"] == reference.encode()
    assert smsmode_sim.messages[0].ref_client == reference
    assert result.reference == reference


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reference": "r" * 41}, "reference"),
        ({"reference": "ref 😀"}, "reference"),
        ({"delivery_report_url": "https://ha.example/😀"}, "delivery_report_url"),
    ],
)
async def test_reference_and_urls_the_gateway_cannot_take_are_refused(
    gateway: SmsmodeGateway,
    smsmode_sim: SmsmodeSimulator,
    changes: dict[str, str],
    field: str,
) -> None:
    with pytest.raises(ValidationError) as caught:
        await gateway.send(SendRequest(recipients=(NUMBER,), text="Hi", **changes))  # type: ignore[arg-type]
    assert caught.value.field == field
    assert smsmode_sim.requests == []


# --- scheduling and cancelling ---------------------------------------------------------------


async def test_scheduled_send_is_dated_in_paris_and_can_be_deleted(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    result = await gateway.send(SendRequest(recipients=(NUMBER,), text="Plus tard", send_at=FUTURE))

    assert result.status is SendStatus.SCHEDULED
    assert result.send_at == FUTURE
    assert sent_fields(smsmode_sim)["date_envoi"] == b"14072030-12:30"  # 10:30 UTC, summer
    assert smsmode_sim.messages[0].status == 10
    assert smsmode_sim.credits == 999

    await gateway.cancel(result)
    assert smsmode_sim.messages[0].deleted
    assert smsmode_sim.credits == 1000  # never went out
    with pytest.raises(NotFoundError) as caught:
        await gateway.cancel(result)
    assert caught.value.code == "61"


async def test_a_past_or_naive_date_is_refused(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    for send_at in (datetime.now(UTC) - timedelta(minutes=1), datetime(2030, 1, 1)):
        with pytest.raises(ValidationError):
            await gateway.send(SendRequest(recipients=(NUMBER,), text="x", send_at=send_at))
    assert smsmode_sim.requests == []


# --- voice ------------------------------------------------------------------------------------


async def test_voice_message_goes_to_send_voice_message(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    text = "Bonjour, votre colis est arrivé. Vous êtes attendu."
    result = await gateway.send(
        SendRequest(recipients=(NUMBER,), text=text, voice=True, send_at=FUTURE)
    )

    assert result.status is SendStatus.SCHEDULED
    assert smsmode_sim.requests_to(SEND_PATH) == []
    fields = sent_fields(smsmode_sim, VOICE_PATH)
    assert fields["language"] == b"fr-FR"
    assert fields["date_envoi"] == b"14072030-12:30"
    assert "classe_msg" not in fields
    [stored] = smsmode_sim.messages
    assert stored.voice
    assert stored.text == text
    assert stored.sms_id == result.message_id
    assert smsmode_sim.encoding_violations == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sender": "Shop"}, "sender"),
        ({"text": "Bravo 😀", "text_policy": TextPolicy.UNICODE}, "text"),
        ({"delivery_report_url": "https://ha.example/dlr"}, "delivery_report_url"),
        ({"replies_allowed": True}, "replies_allowed"),
    ],
)
async def test_voice_refusals(
    gateway: SmsmodeGateway,
    smsmode_sim: SmsmodeSimulator,
    changes: dict[str, object],
    field: str,
) -> None:
    fields: dict[str, object] = {"recipients": (NUMBER,), "text": "Bonjour", "voice": True}
    with pytest.raises(ValidationError) as caught:
        await gateway.send(SendRequest(**{**fields, **changes}))  # type: ignore[arg-type]
    assert caught.value.field == field
    assert smsmode_sim.requests == []


async def test_flash_is_not_supported(gateway: SmsmodeGateway) -> None:
    with pytest.raises(UnsupportedFeatureError):
        await gateway.send(SendRequest(recipients=(NUMBER,), text="x", flash=True))


# --- every answer code of the send endpoints ---------------------------------------------


@pytest.mark.parametrize("path", [SEND_PATH, VOICE_PATH])
@pytest.mark.parametrize(
    ("code", "error"),
    [
        (31, OutcomeUnknownError),
        (32, AuthenticationError),
        (33, CreditError),
        (35, InvalidRequestError),
        (50, TemporarilyUnavailableError),
        (42, UnexpectedResponseError),
    ],
)
async def test_send_answer_codes(
    gateway: SmsmodeGateway,
    smsmode_sim: SmsmodeSimulator,
    path: str,
    code: int,
    error: type[Exception],
) -> None:
    smsmode_sim.answer_next(code, path)
    request = SendRequest(recipients=(NUMBER,), text="Hello", voice=path == VOICE_PATH)
    with pytest.raises(error) as caught:
        await gateway.send(request)
    assert type(caught.value) is error
    assert smsmode_sim.messages == []


async def test_internal_error_leaves_the_outcome_unknown(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    smsmode_sim.answer_next(31, SEND_PATH)
    with pytest.raises(OutcomeUnknownError) as caught:
        await gateway.send(SendRequest(recipients=(NUMBER,), text="Hello"))
    assert caught.value.outcome is Outcome.UNKNOWN
    assert caught.value.code == "31"


async def test_wrong_token_is_an_authentication_error(
    smsmode_sim: SmsmodeSimulator, http_session: aiohttp.ClientSession
) -> None:
    gateway = SmsmodeGateway("not-the-token", session=http_session, base_url=smsmode_sim.base_url)
    with pytest.raises(AuthenticationError) as caught:
        await gateway.send(SendRequest(recipients=(NUMBER,), text="Hello"))
    assert caught.value.code == "32"
    assert not caught.value.retryable
    assert smsmode_sim.messages == []


async def test_not_enough_credit_sends_nothing(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    smsmode_sim.credits = 2
    with pytest.raises(CreditError) as caught:
        await gateway.send(SendRequest(recipients=(NUMBER, "0756781234"), text="a" * 200))
    assert caught.value.code == "33"
    assert smsmode_sim.messages == []
    assert smsmode_sim.credits == 2


async def test_temporarily_unavailable_is_retryable(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator
) -> None:
    smsmode_sim.answer_next(50, SEND_PATH)
    request = SendRequest(recipients=(NUMBER,), text="Hello")
    with pytest.raises(TemporarilyUnavailableError) as caught:
        await gateway.send(request)
    assert caught.value.retryable
    result = await gateway.send(request)  # the caller's retry goes through once
    assert [m.sms_id for m in smsmode_sim.messages] == [result.message_id]


async def test_empty_access_token_is_refused(http_session: aiohttp.ClientSession) -> None:
    with pytest.raises(ValidationError) as caught:
        SmsmodeGateway("  ", session=http_session)
    assert caught.value.field == "access_token"


async def test_estimate_counts_parts_times_recipients(gateway: SmsmodeGateway) -> None:
    estimate = await gateway.estimate(
        SendRequest(recipients=(NUMBER, "0756781234"), text="a" * 150, sender="Shop")
    )
    assert (estimate.recipients, estimate.billed_parts) == (2, 4)  # STOP counted: 2 parts


# --- the delivery-report URL of a send ------------------------------------------------------


async def test_delivery_report_url_is_called_back(
    gateway: SmsmodeGateway, smsmode_sim: SmsmodeSimulator, receiver: CallbackReceiver
) -> None:
    result = await gateway.send(
        SendRequest(
            recipients=(NUMBER,),
            text="Hi",
            reference="order-42",
            delivery_report_url=receiver.url("dlr"),
        )
    )
    await smsmode_sim.deliver(result.message_id, 11)

    [params] = receiver.calls
    report = SmsmodeGateway.parse_callback(params)
    assert report is not None
    assert report.message_id == result.message_id  # type: ignore[union-attr]
    assert report.reference == "order-42"  # type: ignore[union-attr]
    assert report.recipient == E164  # type: ignore[union-attr]
