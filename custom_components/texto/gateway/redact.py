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
#: an e-mail address (an account holder's, a Mail2SMS sender's), or anything with an "@"
_EMAIL_RE = re.compile(r"[^\s\"'<>,;:()\[\]{}]*@[^\s\"'<>,;:()\[\]{}]*")
#: the domain an address ends with, kept when it reads as one
_DOMAIN_RE = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
#: a URL: webhook URLs carry the webhook id, which is a secret
_URL_RE = re.compile(r"https?://\S+", re.IGNORECASE)


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
        key: (MASK if key.lower() in SENSITIVE_FIELDS or _is_url(value) else value)
        for key, value in fields.items()
    }


def _is_url(value: object) -> bool:
    return isinstance(value, str) and _URL_RE.match(value.strip()) is not None


def mask_text(raw: str, secrets: Iterable[str] = ()) -> str:
    """``raw`` with each secret, URL, e-mail address and phone-number-like run masked."""
    for secret in secrets:
        if secret:
            raw = raw.replace(secret, MASK)
    raw = _URL_RE.sub(MASK, raw)
    raw = _EMAIL_RE.sub(_masked_address, raw)
    return _NUMBER_RE.sub(lambda match: mask_number(match.group(0)), raw)


def _masked_address(match: re.Match[str]) -> str:
    domain = match.group(0).rsplit("@", 1)[1]
    return f"{MASK}@{domain if _DOMAIN_RE.fullmatch(domain) else MASK}"
