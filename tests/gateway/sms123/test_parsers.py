"""The answer parsers: every documented shape, and nothing but documented errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from texto_gateway.errors import (
    AuthenticationError,
    CreditError,
    DuplicateRefusedError,
    GatewayError,
    InvalidRequestError,
    OutcomeUnknownError,
    RecipientsRejectedError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
)
from texto_gateway.models import SendStatus
from texto_gateway.sms123 import (
    interpret_balance_answer,
    interpret_send_answer,
    parse_answer,
    send_error,
)

SEND_ERRORS = (
    AuthenticationError,
    CreditError,
    DuplicateRefusedError,
    InvalidRequestError,
    OutcomeUnknownError,
    RecipientsRejectedError,
)
BALANCE_ERRORS = (
    AuthenticationError,
    InvalidRequestError,
    TemporarilyUnavailableError,
    UnexpectedResponseError,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("80", ("80", None)),
        ("80 ab12", ("80", "ab12")),
        ("80\nab12", ("80", "ab12")),
        ("80;ab12", ("80", "ab12")),
        ("80|ab12", ("80", "ab12")),
        (" 81 | ab12 \r\n", ("81", "ab12")),
        ("\ufeff92", ("92", None)),
        ("080 x", ("80", "x")),
        ("80 ab12 extra words", ("80", "ab12")),
        ("-1", ("-1", None)),
        ("\u20101", ("-1", None)),
        ("E505", ("E505", None)),
        ('{"code": 80, "ref": "ab12"}', ("80", "ab12")),
        ('{"Retour": "81", "refenvoi": 1234}', ("81", "1234")),
        ('{"status": "92", "reference": ""}', ("92", None)),
        ('{"code": "-2", "id": "z"}', ("-2", "z")),
        ('{"code": true, "status": 80}', ("80", None)),
    ],
)
def test_documented_shapes(text: str, expected: tuple[str, str | None]) -> None:
    assert parse_answer(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "OK", "80abc", "<html>80</html>", "[80]", '{"ref": "x"}', '{"code": "x"}', "{bad", "١٢"],
)
def test_answers_without_a_code(text: str) -> None:
    assert parse_answer(text) is None
    with pytest.raises(UnexpectedResponseError):
        interpret_send_answer(text)


@pytest.mark.parametrize(
    ("code", "status"),
    [("80", SendStatus.SENT), ("81", SendStatus.SCHEDULED), ("92", SendStatus.TEST)],
)
def test_success_codes(code: str, status: SendStatus) -> None:
    answer = interpret_send_answer(f"{code} ref9")
    assert (answer.code, answer.status, answer.reference) == (code, status, "ref9")


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("-1", InvalidRequestError),
        ("-2", OutcomeUnknownError),
        ("-3", InvalidRequestError),
        ("82", AuthenticationError),
        ("83", CreditError),
        ("84", RecipientsRejectedError),
        ("85", InvalidRequestError),
        ("87", InvalidRequestError),
        ("88", InvalidRequestError),
        ("89", InvalidRequestError),
        ("90", InvalidRequestError),
        ("91", DuplicateRefusedError),
        ("93", RecipientsRejectedError),
        ("94", UnexpectedResponseError),
        ("95", UnexpectedResponseError),
        ("96", AuthenticationError),
        ("97", InvalidRequestError),
        ("101", RecipientsRejectedError),
        ("102", InvalidRequestError),
        ("999", UnexpectedResponseError),
    ],
)
def test_every_send_code(code: str, error: type[GatewayError]) -> None:
    with pytest.raises(error) as caught:
        interpret_send_answer(code)
    assert caught.value.code == code
    assert type(send_error(code, code)) is type(caught.value)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("500", 500),
        (" 12\n", 12),
        ("12.5", 12.5),
        ("7,5", 7.5),
        ("0", 0),
        ("30 SMS", 30),
        ('{"solde": 42}', 42),
        ('{"Balance": "3"}', 3),
    ],
)
def test_balance_amounts(text: str, amount: float) -> None:
    assert interpret_balance_answer(text).amount == amount


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("E501", AuthenticationError),
        ("E502", AuthenticationError),
        ("E505", AuthenticationError),
        ("-1", InvalidRequestError),
        ("-2", TemporarilyUnavailableError),
        ("-3", InvalidRequestError),
        ("-4", UnexpectedResponseError),
        ('{"code": "E505"}', AuthenticationError),
        ('{"solde": "beaucoup"}', UnexpectedResponseError),
        ("[1]", UnexpectedResponseError),
        ("plenty", UnexpectedResponseError),
    ],
)
def test_balance_errors(text: str, error: type[GatewayError]) -> None:
    with pytest.raises(error):
        interpret_balance_answer(text)


def test_unexpected_answer_keeps_a_redacted_copy() -> None:
    with pytest.raises(UnexpectedResponseError) as caught:
        interpret_send_answer("Erreur pour 33612345678")
    assert caught.value.raw is not None
    assert caught.value.raw.startswith("Erreur pour 3361")
    assert "33612345678" not in caught.value.raw
    assert "33612345678" not in str(caught.value)


answers = (
    st.text()
    | st.builds(
        lambda code, sep, rest: f"{code}{sep}{rest}",
        st.sampled_from(["80", "81", "92", "-1", "E505", "102", "9" * 7]),
        st.sampled_from(["", " ", "\n", ";", "|", "x"]),
        st.text(),
    )
    | st.dictionaries(
        st.sampled_from(["code", "retour", "status", "ref", "solde", "id"]),
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    ).map(json.dumps)
)


@given(answers)
def test_any_send_answer_gives_only_documented_errors(text: str) -> None:
    error: GatewayError | None = None
    try:
        answer = interpret_send_answer(text)
    except SEND_ERRORS as err:
        error = err
    if error is None:
        assert answer.status in set(SendStatus)
    elif len(text.strip()) > 8:
        # the gateway's text is kept (redacted) in ``raw``, never in the message
        assert text.strip() not in error.message


@given(answers)
def test_any_balance_answer_gives_only_documented_errors(text: str) -> None:
    try:
        balance = interpret_balance_answer(text)
    except BALANCE_ERRORS:
        return
    assert balance.amount >= 0
