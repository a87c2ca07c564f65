"""The gate: callback fields and parsed items bounded and checked before anything uses them."""

from __future__ import annotations

import pytest

from texto_gateway import phone
from texto_gateway.errors import CallbackError
from texto_gateway.gate import (
    MAX_FIELDS,
    MAX_TEXT_CHARS,
    MAX_VALUE_CHARS,
    check_fields,
    is_phone_or_short_code,
    screen,
)
from texto_gateway.models import DeliveryReport, DeliveryStatus, InboundMessage, Provider


def reply(**fields: object) -> InboundMessage:
    base: dict[str, object] = {
        "provider": Provider.SMSMODE,
        "message_id": "r-1",
        "sender": "+33612345678",
        "text": "Oui",
    }
    return InboundMessage(**{**base, **fields})  # type: ignore[arg-type]


def report(**fields: object) -> DeliveryReport:
    base: dict[str, object] = {
        "provider": Provider.SMSMODE,
        "message_id": "abc123",
        "recipient": "+33612345678",
        "status": DeliveryStatus.DELIVERED,
        "provider_status": "11",
    }
    return DeliveryReport(**{**base, **fields})  # type: ignore[arg-type]


def test_fields_are_bounded_before_any_parser() -> None:
    assert check_fields({"a": "1"}) == {"a": "1"}
    with pytest.raises(CallbackError):
        check_fields({f"f{n}": "" for n in range(MAX_FIELDS + 1)})
    with pytest.raises(CallbackError):
        check_fields({"message": "x" * (MAX_VALUE_CHARS + 1)})
    with pytest.raises(CallbackError):
        check_fields({"x" * 65: ""})
    with pytest.raises(CallbackError):
        check_fields({"X-Injected: 1\r\nmessage": ""})


@pytest.mark.parametrize(
    "sender",
    ["X-Injected: 1", "3361234\x005678", "33612345678", "+33 6 12", "1" * 16, "", "ab", "12"],
)
def test_a_reply_from_what_is_not_a_phone_or_short_code_is_refused(sender: str) -> None:
    with pytest.raises(CallbackError):
        screen(reply(sender=sender))


@pytest.mark.parametrize("sender", ["+33612345678", "+3247012345", "36180", "38200"])
def test_phones_and_short_codes_pass(sender: str) -> None:
    assert is_phone_or_short_code(sender)
    assert screen(reply(sender=sender)).sender == sender


def test_a_text_is_cleaned_and_capped_line_breaks_kept() -> None:
    screened = screen(reply(text="Oui\x00\x1b[31m\r\nmerci\x7f\x85" + "é" * 5000))
    assert isinstance(screened, InboundMessage)
    assert screened.text.startswith("Oui[31m\nmerci")
    assert len(screened.text) == MAX_TEXT_CHARS


@pytest.mark.parametrize("field", ["message_id", "in_reply_to"])
def test_a_reply_whose_ids_are_not_ids_is_refused(field: str) -> None:
    with pytest.raises(CallbackError):
        screen(reply(**{field: "<script>alert(1)</script>"}))


def test_a_report_is_checked_field_by_field() -> None:
    assert screen(report()) == report()
    for bad in (
        {"recipient": "X-Injected: 1"},
        {"message_id": "a b"},
        {"message_id": None, "recipient_message_id": None},
    ):
        with pytest.raises(CallbackError):
            screen(report(**bad))
    detailed = screen(report(detail="line\none\x00" + "d" * 500, reference="ref\nx"))
    assert isinstance(detailed, DeliveryReport)
    assert detailed.detail is not None
    assert "\n" not in detailed.detail
    assert len(detailed.detail) == 200
    assert detailed.reference == "ref x"
    # a gateway's status is a label, cleaned and bounded, never a reason to lose the report
    worded = screen(report(provider_status="Numéro\x00 non\nattribué" + "!" * 40))
    assert isinstance(worded, DeliveryReport)
    assert worded.provider_status == "Numéro non attribué" + "!" * 13


def test_huge_numbers_are_not_kept_by_the_phone_cache() -> None:
    """The parser's cache is keyed by the input: a flood of 15 KB "numbers" must not stay."""
    before = phone._parse_short.cache_info().currsize
    for n in range(100):
        assert phone.from_gateway(f"{n}" + "3" * 15_000) is None
    assert phone._parse_short.cache_info().currsize == before
