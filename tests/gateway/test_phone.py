"""Phone numbers as people type them and as gateways write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from texto_gateway.errors import InvalidPhoneNumberError
from texto_gateway.phone import (
    from_gateway,
    is_french,
    normalize,
    normalize_all,
    to_gateway,
)


@pytest.mark.parametrize(
    "typed",
    [
        "0612345678",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        " 06 12 34 56 78 ",
        "06\u00a012\u00a034\u00a056\u00a078",
        "+33612345678",
        "+33 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "+33(0)612345678",
        "0033612345678",
        "0033 6 12 34 56 78",
        "33612345678",
    ],
)
def test_french_mobile_typed_every_usual_way(typed: str) -> None:
    assert normalize(typed) == "+33612345678"


def test_07_mobiles_and_landlines() -> None:
    assert normalize("07 81 23 45 67") == "+33781234567"
    assert normalize("01 42 68 53 00") == "+33142685300"


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0692 12 34 56", "+262692123456"),  # La Réunion
        ("0690 12 34 56", "+590690123456"),  # Guadeloupe
        ("0696 12 34 56", "+596696123456"),  # Martinique
        ("0694 12 34 56", "+594694123456"),  # Guyane
        ("262692123456", "+262692123456"),
        ("+262 692 12 34 56", "+262692123456"),
    ],
)
def test_overseas_national_numbers_use_their_own_region(typed: str, e164: str) -> None:
    assert normalize(typed) == e164
    assert is_french(e164)


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+32 470 12 34 56", "+32470123456"),
        ("+44 7400 123456", "+447400123456"),
        ("0032470123456", "+32470123456"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_valid_foreign_numbers_are_accepted(typed: str, e164: str) -> None:
    assert normalize(typed) == e164
    assert not is_french(e164)


def test_region_reads_national_numbers() -> None:
    assert normalize("0470 12 34 56", region="BE") == "+32470123456"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "36034",
        "06123",
        "061234567890",
        "06 12 34 56 7a",
        "call me",
        "+33 6 12 34 56 78 " + "0" * 20,
        "06/12/34/56/78",
        "+",
        "++33612345678",
        "+999 612345678",
        "\uff10\uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",  # fullwidth digits
    ],
)
def test_invalid_numbers_are_refused_naming_the_input(typed: str) -> None:
    with pytest.raises(InvalidPhoneNumberError) as caught:
        normalize(typed)
    assert caught.value.numbers == [typed]
    assert caught.value.field == "recipients"


def test_long_input_is_refused_before_parsing() -> None:
    typed = "0" * 33
    with pytest.raises(InvalidPhoneNumberError):
        normalize(typed)


def test_normalize_all_dedupes_and_keeps_order() -> None:
    numbers = ["07 81 23 45 67", "0612345678", "+33 7 81 23 45 67", "33612345678"]
    assert normalize_all(numbers) == ("+33781234567", "+33612345678")
    assert normalize_all([]) == ()


def test_normalize_all_lists_every_invalid_number_in_one_error() -> None:
    with pytest.raises(InvalidPhoneNumberError) as caught:
        normalize_all(["0612345678", "abc", "36034", "0781234567"])
    assert caught.value.numbers == ["abc", "36034"]
    # the numbers are for the user, never in the message a log may print
    assert "36034" not in str(caught.value)


def test_to_gateway_drops_the_plus() -> None:
    assert to_gateway("+33612345678") == "33612345678"
    assert to_gateway("+262692123456") == "262692123456"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("33612345678", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("+33612345678", "+33612345678"),
        ("262692123456", "+262692123456"),
        ("32470123456", "+32470123456"),
        ("447400123456", "+447400123456"),
        ("36034", None),
        ("38100", None),
        ("", None),
        ("OPERATEUR", None),
        ("null", None),
    ],
)
def test_from_gateway(raw: str, e164: str | None) -> None:
    assert from_gateway(raw) == e164


@pytest.mark.parametrize(
    ("e164", "french"),
    [
        ("+33612345678", True),
        ("+262692123456", True),
        ("+590690123456", True),
        ("+596696123456", True),
        ("+594694123456", True),
        ("+32470123456", False),
        ("not a number", False),
        ("", False),
    ],
)
def test_is_french(e164: str, french: bool) -> None:
    assert is_french(e164) is french


@given(st.text(max_size=40))
def test_normalize_raises_only_invalid_phone_number(text: str) -> None:
    try:
        e164 = normalize(text)
    except InvalidPhoneNumberError as error:
        refused = error.numbers
    else:
        assert e164.startswith("+")
        assert e164[1:].isdigit()
        assert normalize(e164) == e164
        return
    assert refused == [text]


@given(st.from_regex(r"[+0-9 ().-]{0,32}", fullmatch=True))
def test_normalize_on_number_like_text(text: str) -> None:
    try:
        e164 = normalize(text)
    except InvalidPhoneNumberError:
        return
    assert from_gateway(to_gateway(e164)) == e164


@given(st.text(max_size=60))
def test_from_gateway_never_raises(raw: str) -> None:
    result = from_gateway(raw)
    assert result is None or result.startswith("+")


@given(st.text(max_size=60))
def test_is_french_never_raises(raw: str) -> None:
    assert is_french(raw) in (True, False)
