"""smsmode's plain-text answers: the documented shapes, and arbitrary text (hypothesis)."""

from __future__ import annotations

import contextlib
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from texto_gateway.base import PARIS
from texto_gateway.errors import (
    AuthenticationError,
    CreditError,
    GatewayError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
)
from texto_gateway.models import DeliveryStatus
from texto_gateway.smsmode import (
    SMSMODE_STANDARD_CHARSET,
    delivery_status,
    parse_balance,
    parse_delete_answer,
    parse_replies,
    parse_reports,
    parse_send_answer,
    parse_status,
    status_description,
)

#: what the parsers may raise: errors the documentation describes, or "unexpected"
DOCUMENTED = (
    AuthenticationError,
    CreditError,
    InvalidRequestError,
    NotFoundError,
    OutcomeUnknownError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
)


def keep(text: str) -> str:
    return text


# --- documented shapes ---------------------------------------------------------------------


def test_send_answer() -> None:
    assert parse_send_answer("0 | Accepté | SIlEzLzeADJE\n", keep) == "SIlEzLzeADJE"
    assert parse_send_answer("0|Accepté|abcd1234", keep) == "abcd1234"


@pytest.mark.parametrize("text", ["0 | Accepté", "0 | Accepté | ", "0 | Accepté | a b", ""])
def test_send_answer_without_a_usable_id(text: str) -> None:
    with pytest.raises(UnexpectedResponseError):
        parse_send_answer(text, keep)


def test_codes_are_read_with_leading_zeros() -> None:
    with pytest.raises(AuthenticationError):
        parse_send_answer("032 | Erreur d'authentification", keep)


def test_unexpected_answers_are_redacted() -> None:
    with pytest.raises(UnexpectedResponseError) as caught:
        parse_send_answer("oops secret", lambda text: text.replace("secret", "***"))
    assert caught.value.raw == "oops ***"


@pytest.mark.parametrize(
    ("text", "amount", "postpaid"),
    [("212.5", 212.5, False), ("212,5\n", 212.5, False), ("0", 0, False), ("-37.2", -37.2, True)],
)
def test_balance(text: str, amount: float, postpaid: bool) -> None:
    balance = parse_balance(text, keep)
    assert (balance.amount, balance.postpaid) == (amount, postpaid)


@pytest.mark.parametrize("text", ["nan", "1e5", "", "212.5 crédits", "61 | x"])
def test_balance_unexpected(text: str) -> None:
    with pytest.raises(UnexpectedResponseError):
        parse_balance(text, keep)


def test_delete_answer() -> None:
    assert parse_delete_answer("0 | SMS supprimé", keep) is None
    with pytest.raises(NotFoundError):
        parse_delete_answer("61 | SMS non trouvé", keep)


def test_reports_of_the_manual() -> None:
    reports = parse_reports("33600000000 11 | 33611111111 13", "id1", keep)
    assert [(r.recipient, r.status) for r in reports] == [
        ("+33600000000", DeliveryStatus.DELIVERED),
        ("+33611111111", DeliveryStatus.PENDING),
    ]


def test_reports_tolerate_empty_answers_and_trailing_separators() -> None:
    assert parse_reports("", "id1", keep) == []
    assert len(parse_reports("33600000000 11 |", "id1", keep)) == 1


@pytest.mark.parametrize("text", ["33600000000 | 11", "42", "33600000000 eleven"])
def test_reports_unexpected(text: str) -> None:
    with pytest.raises(UnexpectedResponseError):
        parse_reports(text, "id1", keep)


def test_status_without_description_uses_the_annex() -> None:
    status = parse_status("37", keep)
    assert (status.code, status.description, status.status) == (
        "37",
        "Message expiré",
        DeliveryStatus.EXPIRED,
    )
    assert parse_status("4242 |", keep).description == ""
    with pytest.raises(UnexpectedResponseError):
        parse_status("Envoyé", keep)


def test_reply_lines() -> None:
    text = (
        "r2 | 02012014-10:05 | 33601020304 | a | b | c | 36034 | m1\n"
        "r1 | 01012014-09:00 | 33699 | first line\r\nsecond | line | 36034 | \n"
    )
    newest, oldest = parse_replies(text, keep)
    assert (newest.message_id, newest.text, newest.in_reply_to) == ("r2", "a | b | c", "m1")
    assert newest.received_at == datetime(2014, 1, 2, 10, 5, tzinfo=PARIS)
    assert (oldest.sender, oldest.text, oldest.in_reply_to) == (
        "33699",
        "first line\nsecond | line",
        None,
    )


def test_reply_with_an_impossible_date_is_kept() -> None:
    [reply] = parse_replies("r1 | 99999999-99:99 | 33601020304 | hi | 36034 | m1", keep)
    assert reply.received_at is None
    assert reply.text == "hi"


@pytest.mark.parametrize("text", ["hello", "r1 | 01012014-09:00 | 33601020304 | hi", "32 | a | b"])
def test_replies_unexpected(text: str) -> None:
    with pytest.raises(UnexpectedResponseError):
        parse_replies(text, keep)


def test_status_mapping_helpers() -> None:
    assert delivery_status("14") is DeliveryStatus.DELIVERED
    assert delivery_status("nope") is DeliveryStatus.UNKNOWN
    assert status_description("3998") == "Destinataire invalide"
    assert status_description("nope") is None


def test_standard_charset_is_the_gsm7_part_of_the_table() -> None:
    from texto_gateway.encoding import GSM7_CHARSET

    assert SMSMODE_STANDARD_CHARSET <= GSM7_CHARSET
    assert {"é", "è", "à", "ù", "€", "£", "ü", "'", '"', "\n"} <= SMSMODE_STANDARD_CHARSET
    assert not {"È", "ê", "ç", "’", "Δ", "¤", "\f"} & SMSMODE_STANDARD_CHARSET
    for char in SMSMODE_STANDARD_CHARSET:
        char.encode("iso-8859-15")  # every one travels in the gateway's charset


# --- arbitrary text ------------------------------------------------------------------------

_PIPEY = st.text(alphabet=st.sampled_from("0123456789 |-:\n\rabcS+é"), max_size=80)
_TEXTS = st.text(max_size=120) | _PIPEY


@given(_TEXTS)
def test_send_answer_never_raises_anything_else(text: str) -> None:
    try:
        sms_id = parse_send_answer(text, keep)
    except DOCUMENTED:
        return
    assert sms_id


@given(_TEXTS)
def test_delete_answer_never_raises_anything_else(text: str) -> None:
    with contextlib.suppress(*DOCUMENTED):
        parse_delete_answer(text, keep)


@given(_TEXTS)
def test_balance_never_raises_anything_else(text: str) -> None:
    with contextlib.suppress(*DOCUMENTED):
        parse_balance(text, keep)


@given(_TEXTS)
def test_reports_never_raise_anything_else(text: str) -> None:
    try:
        reports = parse_reports(text, "id", keep)
    except DOCUMENTED:
        return
    assert all(r.message_id == "id" for r in reports)


@given(_TEXTS)
def test_status_never_raises_anything_else(text: str) -> None:
    with contextlib.suppress(*DOCUMENTED):
        parse_status(text, keep)


@given(_TEXTS | st.builds("r | 01012014-09:00 | {} | 36034 | m".format, _TEXTS))
def test_replies_never_raise_anything_else(text: str) -> None:
    try:
        replies = parse_replies(text, keep)
    except DOCUMENTED:
        return
    assert all(reply.message_id for reply in replies)


@given(st.text(max_size=60).filter(lambda t: "\n" not in t and "\r" not in t))
def test_any_reply_text_survives_the_line_format(text: str) -> None:
    line = f"r1 | 01012014-09:00 | 33601020304 | {text} | 36034 | m1"
    [reply] = parse_replies(line, keep)
    assert reply.text == text


def test_parsers_raise_gateway_errors() -> None:
    assert all(issubclass(error, GatewayError) for error in DOCUMENTED)
