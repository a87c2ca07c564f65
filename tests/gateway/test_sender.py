"""Sender ids are checked against the route's rule before anything is sent."""

from __future__ import annotations

import pytest

from texto_gateway.errors import InvalidSenderError
from texto_gateway.sender import SenderRule, validate_sender

STRICT = SenderRule(min_length=3, max_length=11, allow_space=False, must_start_with_letter=True)
LOOSE = SenderRule(
    min_length=1,
    max_length=11,
    allow_space=True,
    must_start_with_letter=False,
    forbid_digits_only=False,
)
SPACES_NO_DIGITS_ONLY = SenderRule(
    min_length=3, max_length=11, allow_space=True, must_start_with_letter=False
)


@pytest.mark.parametrize("sender", ["Mairie", "ABC", "Texto2026", "Boulangerie"])
def test_valid_sender_is_returned(sender: str) -> None:
    assert validate_sender(sender, STRICT) == sender


def test_surrounding_white_space_is_removed() -> None:
    assert validate_sender("  Mairie \n", STRICT) == "Mairie"


@pytest.mark.parametrize("sender", ["AB", "Boulangeries", "", "   "])
def test_length_is_checked_after_stripping(sender: str) -> None:
    with pytest.raises(InvalidSenderError) as caught:
        validate_sender(sender, STRICT)
    assert caught.value.reason == "must be 3 to 11 characters"
    assert caught.value.field == "sender"


@pytest.mark.parametrize("sender", ["Café", "Ma-Mairie", "Mairie!", "Ma Mairie", "Mairie_1"])
def test_only_ascii_letters_and_digits(sender: str) -> None:
    with pytest.raises(InvalidSenderError) as caught:
        validate_sender(sender, STRICT)
    assert caught.value.reason.startswith("only letters and digits")


def test_spaces_allowed_when_the_rule_says_so() -> None:
    assert validate_sender("Ma Mairie", SPACES_NO_DIGITS_ONLY) == "Ma Mairie"
    with pytest.raises(InvalidSenderError) as caught:
        validate_sender("Ma Mairie!", SPACES_NO_DIGITS_ONLY)
    assert caught.value.reason.startswith("only letters, digits and spaces")


@pytest.mark.parametrize("sender", ["2Mairie", "123Go"])
def test_must_start_with_a_letter(sender: str) -> None:
    with pytest.raises(InvalidSenderError) as caught:
        validate_sender(sender, STRICT)
    assert caught.value.reason == "must start with a letter"


def test_digit_first_allowed_when_the_rule_allows_it() -> None:
    assert validate_sender("2Mairie", SPACES_NO_DIGITS_ONLY) == "2Mairie"


@pytest.mark.parametrize("sender", ["0612345678", "06 12 34", "36034"])
def test_digits_only_is_refused_as_a_phone_number(sender: str) -> None:
    with pytest.raises(InvalidSenderError) as caught:
        validate_sender(sender, SPACES_NO_DIGITS_ONLY)
    assert caught.value.reason.startswith("cannot be a phone number")


def test_digits_only_is_refused_before_the_first_letter_rule() -> None:
    with pytest.raises(InvalidSenderError) as caught:
        validate_sender("0612345678", STRICT)
    assert caught.value.reason.startswith("cannot be a phone number")


def test_digits_only_allowed_when_the_rule_allows_it() -> None:
    assert validate_sender("36034", LOOSE) == "36034"
    assert validate_sender("A", LOOSE) == "A"


def test_reason_never_repeats_the_sender() -> None:
    with pytest.raises(InvalidSenderError) as caught:
        validate_sender("Secret-Name", STRICT)
    assert "Secret" not in str(caught.value)
