"""Masking of secrets and personal data before anything reaches a log or an error."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MASK = "***"

#: request and callback fields that carry secrets, numbers or message text, by lower-cased name
SENSITIVE_FIELDS: frozenset[str] = frozenset(
    {
        # secrets
        "apikey",
        "api_key",
        "clEAPI".lower(),
        "pass",
        "password",
        "accesstoken",
        "access_token",
        "login",
        "user",
        "email",
        # numbers
        "numero",
        "numeroa",
        "mobilephone",
        "phonenumber",
        "emetteur",
        "gsm",
        "from",
        "to",
        "msisdn",
        # text
        "message",
        "text",
        "smsdata",
        "title",
    }
)

# Runs of 6+ digits, possibly after a "+": phone numbers in raw bodies (short codes stay).
_NUMBER_RE = re.compile(r"\+?\d{6,}")


def mask_number(number: str) -> str:
    """Keep a number's first four and last two characters: enough to tell two apart."""
    if len(number) <= 6:
        return MASK
    return f"{number[:4]}{MASK}{number[-2:]}"


def mask_fields(fields: Mapping[str, object] | None) -> dict[str, object]:
    """A copy of ``fields`` with sensitive values replaced, for debug logs."""
    if not fields:
        return {}
    return {
        key: (MASK if key.lower() in SENSITIVE_FIELDS else value) for key, value in fields.items()
    }


def mask_text(raw: str, secrets: Iterable[str] = ()) -> str:
    """``raw`` with each secret and each phone-number-like digit run masked."""
    for secret in secrets:
        if secret:
            raw = raw.replace(secret, MASK)
    return _NUMBER_RE.sub(lambda match: mask_number(match.group(0)), raw)
