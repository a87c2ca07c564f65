"""Phone numbers: parse what people type, give E.164 and each gateway's form."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

import phonenumbers

from .errors import InvalidPhoneNumberError

if TYPE_CHECKING:
    from collections.abc import Iterable

DEFAULT_REGION = "FR"
#: France's overseas departments and territories that have their own numbering region
OVERSEAS_REGIONS = ("RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF")
FRENCH_REGIONS = frozenset({"FR", *OVERSEAS_REGIONS})

#: longer input is not a phone number someone typed (and keeps the parser's work bounded)
_MAX_LENGTH = 32
#: what is left once the usual separators are gone: an optional "+" and ASCII digits
_DIALLABLE = re.compile(r"\+?[0-9]{2,20}")


def normalize(number: str, region: str = DEFAULT_REGION) -> str:
    """Return ``number`` in E.164 (``+33612345678``).

    Accepts the usual ways of typing a French number (``06 12 34 56 78``, ``06.12.34.56.78``,
    ``+33 (0)6 12 34 56 78``, ``0033…``, ``33612345678``). National numbers are read in
    ``region``; a number invalid there is tried in France's overseas regions (RE, GP, MQ,
    GF, YT, PM, BL, MF). Raise ``InvalidPhoneNumberError`` naming ``number`` when no
    reading is valid.
    """
    e164 = _parse(number, region)
    if e164 is None:
        raise InvalidPhoneNumberError([number])
    return e164


def normalize_all(numbers: Iterable[str], region: str = DEFAULT_REGION) -> tuple[str, ...]:
    """Normalise every number, drop duplicates, keep order.

    Raise one ``InvalidPhoneNumberError`` listing every invalid number (and none when the
    list is empty: that check belongs to the caller).
    """
    valid: dict[str, None] = {}  # an ordered set
    invalid: list[str] = []
    for number in numbers:
        e164 = _parse(number, region)
        if e164 is None:
            invalid.append(number)
        else:
            valid[e164] = None
    if invalid:
        raise InvalidPhoneNumberError(invalid)
    return tuple(valid)


def to_gateway(e164: str) -> str:
    """E.164 without the ``+`` (``33612345678``): the form AllMySMS, smsmode, 123-SMS take."""
    return e164.removeprefix("+")


def from_gateway(raw: str) -> str | None:
    """Read a number as a gateway writes it (``33612345678``, ``0612345678``, ``+33…``).

    Return E.164, or None when it is not a valid phone number (a short code like 36034).
    Never raises: gateway text is not trusted.
    """
    digits = raw.strip()
    if digits.isascii() and digits.isdigit() and not digits.startswith("0"):
        # gateways write E.164 without the "+": read it as international first, so a
        # Belgian 32470123456 is not taken for a French national number
        international = _parse(f"+{digits}", DEFAULT_REGION)
        if international is not None:
            return international
    return _parse(raw, DEFAULT_REGION)


def is_french(e164: str) -> bool:
    """Return True for metropolitan France and the overseas departments and territories."""
    return len(e164) <= _MAX_LENGTH and _is_french(e164)


@lru_cache(maxsize=4096)
def _is_french(e164: str) -> bool:
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.region_code_for_number(parsed) in FRENCH_REGIONS


def _parse(number: str, region: str) -> str | None:
    """Return the E.164 form of ``number``, or None when no reading of it is valid.

    Longer input is refused before the cache: a flood of 15 KB "numbers" must not be kept.
    """
    if len(number) > _MAX_LENGTH:
        return None
    return _parse_short(number, region)


# Parsing costs tens of microseconds and the same few numbers come back at every send (a
# notify entity always texts the same phone): remember the answers of a pure function.
@lru_cache(maxsize=4096)
def _parse_short(number: str, region: str) -> str | None:
    cleaned = _clean(number)
    if cleaned is None:
        return None
    for candidate_region in (region, *OVERSEAS_REGIONS):
        try:
            parsed = phonenumbers.parse(cleaned, candidate_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return None


def _clean(number: str) -> str | None:
    """Drop spaces, dots, dashes and the "(0)" of "+33 (0)6…"; None if not diallable."""
    cleaned = "".join(number.split())
    for separator in ("(0)", ".", "-"):
        cleaned = cleaned.replace(separator, "")
    return cleaned if _DIALLABLE.fullmatch(cleaned) else None
