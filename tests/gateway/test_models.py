"""Requests and results in their plain JSON form, and back, unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from texto_gateway.models import (
    EncodedText,
    Encoding,
    Route,
    SendRequest,
    SendResult,
    SendStatus,
    StopMention,
    TextPolicy,
)

DATES = st.none() | st.datetimes(
    min_value=datetime(2000, 1, 1), timezones=st.sampled_from([UTC, timezone(timedelta(hours=2))])
)
TEXT = st.text(max_size=40)
OPTIONAL_TEXT = st.none() | TEXT
NUMBERS = st.lists(st.from_regex(r"\+33[67]\d{8}", fullmatch=True), max_size=4).map(tuple)

REQUESTS = st.builds(
    SendRequest,
    recipients=NUMBERS,
    text=TEXT,
    sender=OPTIONAL_TEXT,
    send_at=DATES,
    text_policy=st.sampled_from(TextPolicy),
    max_parts=st.none() | st.integers(1, 10),
    reference=OPTIONAL_TEXT,
    campaign_name=OPTIONAL_TEXT,
    flash=st.booleans(),
    voice=st.booleans(),
    replies_allowed=st.booleans(),
    stop_mention=st.sampled_from(StopMention),
    delivery_report_url=OPTIONAL_TEXT,
    reply_url=OPTIONAL_TEXT,
    test=st.booleans(),
)
RESULTS = st.builds(
    SendResult,
    route=st.sampled_from(Route),
    message_id=TEXT,
    status=st.sampled_from(SendStatus),
    recipients=NUMBERS,
    invalid_recipients=NUMBERS,
    recipient_ids=st.dictionaries(TEXT, TEXT, max_size=3),
    message=st.builds(
        EncodedText,
        text=TEXT,
        encoding=st.sampled_from(Encoding),
        units=st.integers(0, 1000),
        parts=st.integers(0, 10),
    ),
    billed_parts=st.integers(0, 100),
    credits_used=st.none() | st.floats(0, 1e6),
    balance=st.none() | st.floats(-1e6, 1e6),
    sender=OPTIONAL_TEXT,
    send_at=DATES,
    reference=OPTIONAL_TEXT,
)


@given(REQUESTS)
def test_a_request_survives_its_json_form(request: SendRequest) -> None:
    stored = json.loads(json.dumps(request.to_dict()))
    assert SendRequest.from_dict(stored) == request


@given(RESULTS)
def test_a_result_survives_its_json_form(result: SendResult) -> None:
    stored = json.loads(json.dumps(result.to_dict()))
    assert SendResult.from_dict(stored) == result


def test_the_json_form_names_its_route_by_value() -> None:
    result = SendResult(
        route=Route.MAIL2SMS,
        message_id="m-1",
        status=SendStatus.HANDED_OVER,
        recipients=("+33612345678",),
        invalid_recipients=(),
        recipient_ids={},
        message=EncodedText("Bonjour", Encoding.GSM7, 7, 1),
        billed_parts=1,
    )
    stored = result.to_dict()
    assert (stored["route"], stored["status"], stored["encoding"]) == (
        "mail2sms",
        "handed_over",
        "gsm7",
    )
