"""Sending through the 123-SMS route, over HTTP to the simulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.simulator.base import ReceivedRequest
from tests.simulator.sms123 import Sms123Simulator
from texto_gateway.errors import (
    AuthenticationError,
    CreditError,
    DuplicateRefusedError,
    GatewayError,
    InvalidRequestError,
    Outcome,
    OutcomeUnknownError,
    PartialSendError,
    RecipientsRejectedError,
    StopMentionRequiredError,
    TemporarilyUnavailableError,
    UnsupportedFeatureError,
)
from texto_gateway.models import (
    EncodedText,
    Encoding,
    SendRequest,
    SendStatus,
    StopMention,
)
from texto_gateway.sms123 import Sms123Gateway

from .conftest import BELGIUM, LANDLINE, MOBILE, MOBILE_2, MOBILE_3, REUNION, Clock

SEND = "/api/send/"


def body(request: ReceivedRequest) -> dict[str, str]:
    data = json.loads(request.body)
    assert isinstance(data, dict)
    return data


def sms(*recipients: str, text: str = "Bonjour", **kwargs: object) -> SendRequest:
    return SendRequest(recipients=recipients or (MOBILE,), text=text, **kwargs)  # type: ignore[arg-type]


# --- accepted sends -------------------------------------------------------------------


async def test_one_recipient_is_one_json_post(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    result = await gateway.send(sms(text="Porte ouverte"))

    [request] = sim.requests_to(SEND)
    assert request.method == "POST"
    assert request.content_type == "application/json"
    assert body(request) == {
        "user": sim.user,
        "cleAPI": sim.api_key,
        "numero": "33612345678",
        "message": "Porte ouverte",
    }
    [accepted] = sim.messages
    assert result.status is SendStatus.SENT
    assert result.message_id == accepted.reference
    assert result.recipients == (MOBILE,)
    assert result.recipient_ids == {MOBILE: accepted.reference}
    assert result.invalid_recipients == ()
    assert result.billed_parts == 1
    assert result.credits_used is None
    assert sim.credits == 499


async def test_each_recipient_is_one_request(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    result = await gateway.send(sms(MOBILE, MOBILE_2, MOBILE_3, "06 12 34 56 78"))

    numbers = sorted(body(r)["numero"] for r in sim.requests_to(SEND))
    assert numbers == ["33612345678", "33612345679", "33612345680"]  # duplicate dropped
    assert result.recipients == (MOBILE, MOBILE_2, MOBILE_3)
    references = {m.reference for m in sim.messages}
    assert set(result.recipient_ids.values()) == references
    # several requests, several references: the send's id is the library's own
    assert result.message_id not in references
    assert len(result.message_id) == 32
    assert result.billed_parts == 3


async def test_requests_run_with_bounded_concurrency(
    make_gateway: Callable[..., Sms123Gateway], sim: Sms123Simulator
) -> None:
    sim.latency = 0.05
    gateway = make_gateway(max_concurrency=3)
    numbers = tuple(f"+336123456{i:02d}" for i in range(10))

    result = await gateway.send(sms(*numbers))

    assert len(result.recipients) == 10
    assert len(sim.requests_to(SEND)) == 10
    assert sim.max_in_flight == 3


def test_max_concurrency_must_be_positive(sim: Sms123Simulator) -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        Sms123Gateway("u", "k", max_concurrency=0)


async def test_long_message_bills_every_part(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    result = await gateway.send(sms(MOBILE, MOBILE_2, text="a" * 200))

    assert result.message.parts == 2
    assert result.billed_parts == 4
    assert sim.credits == 496


async def test_without_reference_the_library_makes_the_id(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    sim.delivery_reports = False

    result = await gateway.send(sms())

    assert len(result.message_id) == 32
    assert result.recipient_ids == {}


async def test_json_answer_is_read(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    sim.fail_next("malformed", body='{"retour": "80", "refenvoi": "r-42"}')

    result = await gateway.send(sms())

    assert result.message_id == "r-42"
    assert result.status is SendStatus.SENT


async def test_scheduled_send_carries_paris_time(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    send_at = datetime(2030, 9, 12, 13, 30, 5, tzinfo=UTC)  # 15:30 in Paris (summer time)

    result = await gateway.send(sms(send_at=send_at))

    assert body(sim.requests_to(SEND)[0])["diff"] == "153012092030"
    assert result.status is SendStatus.SCHEDULED
    assert result.send_at == send_at
    assert [m.diff for m in sim.scheduled] == ["153012092030"]


async def test_flash(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    await gateway.send(sms(flash=True))

    assert body(sim.requests_to(SEND)[0])["flash"] == "o"
    assert sim.messages[0].flash


async def test_voice_to_a_landline(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    result = await gateway.send(sms(LANDLINE, voice=True))

    assert body(sim.requests_to(SEND)[0])["TTS"] == "o"
    assert sim.messages[0].tts
    assert result.recipients == (LANDLINE,)


async def test_test_mode_sends_and_bills_nothing(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    result = await gateway.send(sms(MOBILE, MOBILE_2, test=True))

    assert all(body(r)["test"] == "o" for r in sim.requests_to(SEND))
    assert result.status is SendStatus.TEST
    assert result.billed_parts == 0
    assert sim.messages == []
    assert sim.credits == 500


async def test_no_reply_api(gateway: Sms123Gateway) -> None:
    with pytest.raises(UnsupportedFeatureError):
        await gateway.fetch_replies()
    with pytest.raises(UnsupportedFeatureError):
        await gateway.send(sms(replies_allowed=True))


async def test_estimate_counts_parts_per_number(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    estimate = await gateway.estimate(sms(MOBILE, MOBILE_2, text="a" * 200))

    assert estimate.billed_parts == 4
    assert sim.requests == []


# --- sender and STOP mention ----------------------------------------------------------


async def test_sender_gets_the_stop_mention_added(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    result = await gateway.send(sms(text="Alarme", sender="Maison"))

    sent = body(sim.requests_to(SEND)[0])
    assert sent["senderid"] == "Maison"
    assert sent["message"] == "Alarme\nstop SMS au 36177"
    assert result.message.text == sent["message"]
    assert result.sender == "Maison"


async def test_stop_mention_required_refuses_before_sending(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    with pytest.raises(StopMentionRequiredError):
        await gateway.send(sms(sender="Maison", stop_mention=StopMention.REQUIRE))
    assert sim.requests == []

    await gateway.send(
        sms(text="Alarme stop SMS au 36177", sender="Maison", stop_mention=StopMention.REQUIRE)
    )
    assert len(sim.messages) == 1


async def test_stop_mention_off_is_refused_by_the_gateway(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await gateway.send(sms(sender="Maison", stop_mention=StopMention.OFF))

    assert caught.value.code == "102"
    assert caught.value.field == "text"
    assert sim.messages == []


async def test_sender_to_a_foreign_number_gets_the_mention_too(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    await gateway.send(sms(BELGIUM, text="Hello", sender="Maison"))

    assert sim.messages[0].text == "Hello\nstop SMS au 36177"
    assert sim.messages[0].number == "32470123456"


async def test_foreign_number_with_the_mention_already_there(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    await gateway.send(sms(BELGIUM, text="Hello stop SMS au 36177", sender="Maison"))

    assert sim.messages[0].text == "Hello stop SMS au 36177"


async def test_foreign_number_without_sender_is_left_alone(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    await gateway.send(sms(BELGIUM, text="Hello"))

    assert sim.messages[0].text == "Hello"


# --- refusals of a number -------------------------------------------------------------


async def test_refused_numbers_are_reported_not_hidden(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    sim.dom_tom_enabled = False
    sim.blocked_numbers = {"33612345679"}

    result = await gateway.send(sms(MOBILE, MOBILE_2, LANDLINE, REUNION))

    assert result.recipients == (MOBILE,)
    assert result.invalid_recipients == (MOBILE_2, LANDLINE, REUNION)
    assert result.billed_parts == 1
    assert len(result.message_id) == 32


@pytest.mark.parametrize(
    ("number", "setup", "code"),
    [
        (LANDLINE, None, "84"),
        (REUNION, "dom_tom", "93"),
        (MOBILE, "blocked", "101"),
    ],
)
async def test_every_number_refused(
    gateway: Sms123Gateway, sim: Sms123Simulator, number: str, setup: str | None, code: str
) -> None:
    sim.dom_tom_enabled = setup != "dom_tom"
    if setup == "blocked":
        sim.blocked_numbers = {"33612345678"}

    with pytest.raises(RecipientsRejectedError) as caught:
        await gateway.send(sms(number))

    assert caught.value.numbers == [number]
    assert caught.value.code == code
    assert caught.value.outcome is Outcome.NOT_SENT
    assert number not in str(caught.value)


async def test_numbers_refused_for_different_reasons(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    sim.dom_tom_enabled = False

    with pytest.raises(RecipientsRejectedError) as caught:
        await gateway.send(sms(LANDLINE, REUNION))

    assert caught.value.numbers == [LANDLINE, REUNION]
    assert caught.value.code is None


async def test_dom_tom_enabled(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    result = await gateway.send(sms(REUNION))

    assert result.recipients == (REUNION,)


# --- duplicates (code 91) -------------------------------------------------------------


async def test_same_text_to_same_number_within_a_day_is_refused(
    gateway: Sms123Gateway, sim: Sms123Simulator, clock: Clock
) -> None:
    await gateway.send(sms(text="Rappel"))
    clock.advance(timedelta(hours=23))

    with pytest.raises(DuplicateRefusedError) as caught:
        await gateway.send(sms(text="Rappel"))
    assert caught.value.code == "91"
    assert caught.value.outcome is Outcome.NOT_SENT
    assert len(sim.messages) == 1

    await gateway.send(sms(text="Autre rappel"))
    clock.advance(timedelta(hours=1, seconds=1))
    await gateway.send(sms(text="Rappel"))
    assert len(sim.messages) == 3


async def test_a_duplicate_does_not_stop_the_other_numbers(
    make_gateway: Callable[..., Sms123Gateway], sim: Sms123Simulator
) -> None:
    gateway = make_gateway(max_concurrency=1)
    await gateway.send(sms(MOBILE, text="Rappel"))

    with pytest.raises(PartialSendError) as caught:
        await gateway.send(sms(MOBILE, MOBILE_2, text="Rappel"))

    assert caught.value.result.recipients == (MOBILE_2,)
    assert list(caught.value.failures) == [MOBILE]
    assert isinstance(caught.value.failures[MOBILE], DuplicateRefusedError)
    assert caught.value.outcome is Outcome.NOT_SENT
    assert len(caught.value.result.message_id) == 32


# --- account-level refusals -----------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("wrong_key", (AuthenticationError, "82", None)),
        ("no_credit", (CreditError, "83", None)),
        ("ip", (AuthenticationError, "96", None)),
        ("empty_user", (InvalidRequestError, "87", "username")),
        ("empty_key", (InvalidRequestError, "88", "api_key")),
        ("short_sms_only", (InvalidRequestError, "-1", None)),
    ],
)
async def test_account_refusals(
    make_gateway: Callable[..., Sms123Gateway],
    sim: Sms123Simulator,
    setup: str,
    expected: tuple[type[GatewayError], str, str | None],
) -> None:
    error, code, field = expected
    kwargs: dict[str, object] = {"max_concurrency": 1}
    if setup == "wrong_key":
        kwargs["api_key"] = "wrong"
    elif setup == "empty_user":
        kwargs["username"] = ""
    elif setup == "empty_key":
        kwargs["api_key"] = ""
    elif setup == "no_credit":
        sim.credits = 0
    elif setup == "ip":
        sim.allowed_ips = {"192.0.2.1"}
    else:
        sim.long_sms_enabled = False
    gateway = make_gateway(**kwargs)

    with pytest.raises(error) as caught:
        await gateway.send(sms(MOBILE, MOBILE_2, MOBILE_3, text="x" * 170))

    assert caught.value.code == code
    assert getattr(caught.value, "field", None) == field
    assert caught.value.outcome is Outcome.NOT_SENT
    # nothing more is launched after an account-level refusal
    assert len(sim.requests_to(SEND)) == 1
    assert sim.messages == []


async def test_long_sms_within_160_characters_when_the_option_is_off(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    sim.long_sms_enabled = False

    await gateway.send(sms(text="x" * 160))

    assert len(sim.messages) == 1


async def test_technical_error_means_outcome_unknown(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    sim.technical_errors = 1

    with pytest.raises(OutcomeUnknownError) as caught:
        await gateway.send(sms())

    assert caught.value.code == "-2"
    assert caught.value.outcome is Outcome.UNKNOWN


async def test_past_schedule_is_refused_with_85(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    # the library refuses past dates itself; bypass that to reach the gateway's check
    prepared = gateway.prepare(
        sms(send_at=datetime(2001, 1, 1, tzinfo=UTC)), now=datetime(2000, 1, 1, tzinfo=UTC)
    )

    with pytest.raises(InvalidRequestError) as caught:
        await gateway._send(prepared)

    assert caught.value.code == "85"
    assert caught.value.field == "send_at"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"recipients": ("",)}, "89", "recipients"),
        ({"message": EncodedText(text="", encoding=Encoding.GSM7, units=0, parts=1)}, "90", "text"),
        ({"sender": "Été"}, "97", "sender"),
        ({"sender": "MaisonDuBonheur"}, "97", "sender"),
    ],
)
async def test_fields_the_library_never_sends_are_refused(
    gateway: Sms123Gateway,
    sim: Sms123Simulator,
    change: dict[str, object],
    code: str,
    field: str,
) -> None:
    # the library's own checks prevent these; a crafted request shows the mapping holds
    prepared = replace(gateway.prepare(sms(text="Salut stop SMS au 36177")), **change)  # type: ignore[arg-type]

    with pytest.raises(InvalidRequestError) as caught:
        await gateway._send(prepared)

    assert (caught.value.code, caught.value.field) == (code, field)


async def test_account_error_after_some_were_accepted(
    make_gateway: Callable[..., Sms123Gateway], sim: Sms123Simulator
) -> None:
    sim.credits = 1
    gateway = make_gateway(max_concurrency=1)

    with pytest.raises(PartialSendError) as caught:
        await gateway.send(sms(MOBILE, MOBILE_2, MOBILE_3))

    partial = caught.value
    assert partial.result.recipients == (MOBILE,)
    assert partial.result.billed_parts == 1
    assert partial.result.message_id != sim.messages[0].reference
    assert partial.result.recipient_ids == {MOBILE: sim.messages[0].reference}
    assert list(partial.failures) == [MOBILE_2, MOBILE_3]
    assert all(isinstance(e, CreditError) for e in partial.failures.values())
    assert partial.outcome is Outcome.NOT_SENT
    assert len(sim.requests_to(SEND)) == 2  # the third was never attempted


async def test_refused_numbers_are_listed_among_the_failures(
    make_gateway: Callable[..., Sms123Gateway], sim: Sms123Simulator
) -> None:
    sim.credits = 1
    gateway = make_gateway(max_concurrency=1)

    with pytest.raises(PartialSendError) as caught:
        await gateway.send(sms(MOBILE, LANDLINE, MOBILE_2))

    assert caught.value.result.invalid_recipients == (LANDLINE,)
    assert isinstance(caught.value.failures[LANDLINE], RecipientsRejectedError)
    assert isinstance(caught.value.failures[MOBILE_2], CreditError)


async def test_account_error_wins_over_refused_numbers(
    make_gateway: Callable[..., Sms123Gateway], sim: Sms123Simulator
) -> None:
    sim.credits = 0
    gateway = make_gateway(max_concurrency=1)

    with pytest.raises(CreditError):
        await gateway.send(sms(LANDLINE, MOBILE))


# --- transport faults -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["http_429", "http_503"])
async def test_come_back_later_sends_nothing(
    gateway: Sms123Gateway, sim: Sms123Simulator, kind: str
) -> None:
    sim.fail_next(kind)

    with pytest.raises(TemporarilyUnavailableError) as caught:
        await gateway.send(sms())

    assert caught.value.outcome is Outcome.NOT_SENT
    assert caught.value.retryable
    assert sim.messages == []


async def test_connection_refused(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    await sim.refuse_connections()

    with pytest.raises(TemporarilyUnavailableError):
        await gateway.send(sms(MOBILE, MOBILE_2))

    await sim.accept_connections()
    await gateway.send(sms())
    assert len(sim.messages) == 1


async def test_http_500_is_outcome_unknown(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    sim.fail_next("http_500")

    with pytest.raises(OutcomeUnknownError) as caught:
        await gateway.send(sms())

    assert caught.value.outcome is Outcome.UNKNOWN


async def test_dropped_answer_is_outcome_unknown(
    gateway: Sms123Gateway, sim: Sms123Simulator
) -> None:
    sim.fail_next("drop_after_accept")

    with pytest.raises(OutcomeUnknownError) as caught:
        await gateway.send(sms())

    assert caught.value.outcome is Outcome.UNKNOWN
    assert len(sim.messages) == 1  # it did go out: a blind retry would be a duplicate (91)


async def test_slow_answer_after_accept_times_out_as_unknown(
    make_gateway: Callable[..., Sms123Gateway], sim: Sms123Simulator
) -> None:
    gateway = make_gateway(total_timeout=0.3)
    sim.fail_next("slow_after_accept", delay=0.6)

    with pytest.raises(OutcomeUnknownError):
        await gateway.send(sms())

    assert len(sim.messages) == 1


async def test_undocumented_answer(gateway: Sms123Gateway, sim: Sms123Simulator) -> None:
    sim.fail_next("malformed")

    with pytest.raises(OutcomeUnknownError) as caught:
        await gateway.send(sms())

    assert caught.value.raw == "<html><body>502 Bad Gateway</body></html>"
    assert caught.value.outcome is Outcome.UNKNOWN


async def test_transport_fault_on_some_numbers(
    make_gateway: Callable[..., Sms123Gateway], sim: Sms123Simulator
) -> None:
    gateway = make_gateway(max_concurrency=2)
    sim.fail_next("http_503")

    with pytest.raises(PartialSendError) as caught:
        await gateway.send(sms(MOBILE, MOBILE_2))

    [failed] = caught.value.failures
    [accepted] = caught.value.result.recipients
    assert {failed, accepted} == {MOBILE, MOBILE_2}
    assert isinstance(caught.value.failures[failed], TemporarilyUnavailableError)
    assert caught.value.outcome is Outcome.NOT_SENT


async def test_transport_fault_stops_the_rest(
    make_gateway: Callable[..., Sms123Gateway], sim: Sms123Simulator
) -> None:
    gateway = make_gateway(max_concurrency=1)
    sim.fail_next("slow", delay=0)  # the first request goes through untouched
    sim.fail_next("drop_after_accept")  # the second one's answer is lost

    with pytest.raises(PartialSendError) as caught:
        await gateway.send(sms(MOBILE, MOBILE_2, MOBILE_3))

    partial = caught.value
    assert partial.result.recipients == (MOBILE,)
    assert isinstance(partial.failures[MOBILE_2], OutcomeUnknownError)
    # the third never left: it is safe to send again, unlike the second
    assert isinstance(partial.failures[MOBILE_3], TemporarilyUnavailableError)
    assert partial.failures[MOBILE_3].outcome is Outcome.NOT_SENT
    assert partial.outcome is Outcome.UNKNOWN
    assert len(sim.requests_to(SEND)) == 2
    assert len(sim.messages) == 2


async def test_outcome_unknown_wins_when_nothing_was_accepted(
    make_gateway: Callable[..., Sms123Gateway], sim: Sms123Simulator
) -> None:
    gateway = make_gateway(max_concurrency=2)
    sim.fail_next("http_503")
    sim.fail_next("drop_after_accept")

    with pytest.raises(OutcomeUnknownError):
        await gateway.send(sms(MOBILE, MOBILE_2))


async def test_wrong_url(make_gateway: Callable[..., Sms123Gateway], sim: Sms123Simulator) -> None:
    gateway = make_gateway(base_url=sim.base_url + "/nope")

    with pytest.raises(InvalidRequestError) as caught:
        await gateway.send(sms())

    assert (caught.value.code, caught.value.field) == ("-3", "url")
    assert caught.value.outcome is Outcome.NOT_SENT
