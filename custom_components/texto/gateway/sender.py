"""Sender ids (alphanumeric originators): each route's rule, checked before sending.

Gateways replace or refuse a sender they do not accept, sometimes after billing, so the
rule is checked here before anything leaves the machine.
"""

from __future__ import annotations

import string

from .errors import InvalidSenderError, SenderProblem
from .models import SenderRule

__all__ = ["SenderRule", "validate_sender"]

_LETTERS = frozenset(string.ascii_letters)
_LETTERS_AND_DIGITS = _LETTERS | frozenset(string.digits)


def validate_sender(sender: str, rule: SenderRule) -> str:
    """Return the sender (surrounding white space removed) or raise ``InvalidSenderError``.

    Only ASCII letters and digits (and spaces where ``allow_space``) are allowed: no
    accents, no punctuation. The error's ``problem`` says which part of the rule broke (its
    ``reason`` says it in words).
    """
    cleaned = sender.strip()
    if not rule.min_length <= len(cleaned) <= rule.max_length:
        raise InvalidSenderError(
            f"must be {rule.min_length} to {rule.max_length} characters",
            SenderProblem.LENGTH,
            rule,
        )
    allowed = _LETTERS_AND_DIGITS | {" "} if rule.allow_space else _LETTERS_AND_DIGITS
    if not set(cleaned) <= allowed:
        words = "letters, digits and spaces" if rule.allow_space else "letters and digits"
        raise InvalidSenderError(
            f"only {words} (no accents or punctuation)", SenderProblem.CHARACTERS, rule
        )
    if rule.forbid_digits_only and not set(cleaned) & _LETTERS:
        raise InvalidSenderError(
            "cannot be a phone number (needs at least one letter)",
            SenderProblem.DIGITS_ONLY,
            rule,
        )
    if rule.must_start_with_letter and cleaned[0] not in _LETTERS:
        raise InvalidSenderError("must start with a letter", SenderProblem.FIRST_CHARACTER, rule)
    return cleaned
