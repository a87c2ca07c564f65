"""A recipient's *Talk to Assist* settings: their stored shape, and the PIN kept as a hash.

Stored under the recipient subentry's ``assist`` key; a recipient without it (one made
before Assist existed, or on a route that receives nothing) has Assist off. The PIN
itself is never stored: a salted PBKDF2 hash, so the settings (and a backup of them)
cannot be read back for it. The iterations stay low on purpose: the check runs inline
as each text arrives, and a 4 to 8 digit PIN cannot be protected from offline guessing
by iterations anyway; the lock-out after failed checks is what protects it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Final

from .const import (
    CONF_AGENT_ID,
    CONF_ASSIST,
    CONF_ASSIST_ENABLED,
    CONF_ASSIST_PIN,
    CONF_LOCKED_OUT,
    CONF_MAX_PARTS,
    CONF_MAX_PER_HOUR,
    CONF_PIN_HASH,
    CONF_TRUST,
    CONF_USER_ID,
    DEFAULT_AGENT_ID,
    DEFAULT_ASSIST_MAX_PARTS,
    DEFAULT_ASSIST_MAX_PER_HOUR,
    TRUST_PIN,
    TRUST_VERIFIED,
)

#: what a PIN is: 4 to 8 ASCII digits (no other script's digits: a phone may not type them)
PIN_PATTERN: Final = re.compile(r"[0-9]{4,8}")
PIN_ITERATIONS: Final = 10_000
_SCHEME: Final = "pbkdf2_sha256"
#: the bounds the form offers, and the default: (lowest, highest, default)
MAX_PER_HOUR_RANGE: Final = (1, 60, DEFAULT_ASSIST_MAX_PER_HOUR)
MAX_PARTS_RANGE: Final = (1, 10, DEFAULT_ASSIST_MAX_PARTS)
TRUSTS: Final = (TRUST_PIN, TRUST_VERIFIED)


class InvalidPinError(ValueError):
    """The PIN typed is not 4 to 8 digits, or Assist in ``pin`` mode is left without one."""


def hash_pin(pin: str, *, iterations: int = PIN_ITERATIONS) -> str:
    """``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>`` of ``pin``, freshly salted."""
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"{_SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def pin_matches(stored: str | None, pin: str) -> bool:
    """Whether ``pin`` is the one ``stored`` (a ``hash_pin`` value) was made from."""
    if not stored:
        return False
    try:
        scheme, iterations, salt, expected = stored.split("$")
        if scheme != _SCHEME:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False  # a damaged hash matches nothing: Assist answers no one
    return hmac.compare_digest(digest.hex(), expected)


@dataclass(frozen=True, slots=True, kw_only=True)
class AssistSettings:
    """One recipient's settings, as stored (``as_data``) under its ``assist`` key."""

    enabled: bool = False
    agent_id: str = DEFAULT_AGENT_ID
    trust: str = TRUST_PIN
    pin_hash: str | None = None
    user_id: str | None = None
    max_per_hour: int = DEFAULT_ASSIST_MAX_PER_HOUR
    max_parts: int = DEFAULT_ASSIST_MAX_PARTS
    locked_out: bool = False

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> AssistSettings:
        """The settings in a recipient's subentry data (off when it has none)."""
        stored = data.get(CONF_ASSIST)
        if not isinstance(stored, Mapping):
            return cls()
        trust = stored.get(CONF_TRUST)
        return cls(
            enabled=stored.get(CONF_ASSIST_ENABLED) is True,
            agent_id=str(stored.get(CONF_AGENT_ID) or DEFAULT_AGENT_ID),
            # anything else than the two known words is read as the stricter one
            trust=trust if trust in TRUSTS else TRUST_PIN,
            pin_hash=stored.get(CONF_PIN_HASH) or None,
            user_id=stored.get(CONF_USER_ID) or None,
            max_per_hour=_bounded(stored.get(CONF_MAX_PER_HOUR), MAX_PER_HOUR_RANGE),
            max_parts=_bounded(stored.get(CONF_MAX_PARTS), MAX_PARTS_RANGE),
            locked_out=stored.get(CONF_LOCKED_OUT) is True,
        )

    @property
    def pin_set(self) -> bool:
        """Whether a PIN is stored."""
        return self.pin_hash is not None

    def as_data(self) -> dict[str, Any]:
        """The settings as the subentry stores them."""
        return asdict(self)

    def as_form(self) -> dict[str, Any]:
        """What the form shows of them: never the PIN (nor its hash)."""
        shown = {
            CONF_ASSIST_ENABLED: self.enabled,
            CONF_AGENT_ID: self.agent_id,
            CONF_TRUST: self.trust,
            CONF_MAX_PER_HOUR: self.max_per_hour,
            CONF_MAX_PARTS: self.max_parts,
        }
        if self.user_id:
            shown[CONF_USER_ID] = self.user_id
        return shown

    def turned_on(self) -> AssistSettings:
        """The same settings, Assist on again (a lock-out lifted)."""
        return replace(self, enabled=True, locked_out=False)

    def locked(self) -> AssistSettings:
        """The same settings, Assist off after too many failed checks."""
        return replace(self, enabled=False, locked_out=True)


def with_settings(data: Mapping[str, Any], settings: AssistSettings) -> dict[str, Any]:
    """A recipient's subentry data with these Assist settings."""
    return {**data, CONF_ASSIST: settings.as_data()}


def settings_from_form(form: Mapping[str, Any], stored: AssistSettings) -> AssistSettings:
    """The settings the form's ``assist`` section describes; raise ``InvalidPinError``.

    An empty PIN keeps the stored one (a PIN is never shown back). Turning Assist on
    lifts a lock-out; leaving it off keeps what a lock-out wrote.
    """
    pin = str(form.get(CONF_ASSIST_PIN) or "").strip()
    if pin and not PIN_PATTERN.fullmatch(pin):
        raise InvalidPinError
    pin_hash = hash_pin(pin) if pin else stored.pin_hash
    enabled = form.get(CONF_ASSIST_ENABLED) is True
    trust = form.get(CONF_TRUST)
    trust = trust if trust in TRUSTS else TRUST_PIN
    if enabled and trust == TRUST_PIN and pin_hash is None:
        raise InvalidPinError
    return AssistSettings(
        enabled=enabled,
        agent_id=str(form.get(CONF_AGENT_ID) or DEFAULT_AGENT_ID),
        trust=trust,
        pin_hash=pin_hash,
        user_id=form.get(CONF_USER_ID) or None,
        max_per_hour=_bounded(form.get(CONF_MAX_PER_HOUR), MAX_PER_HOUR_RANGE),
        max_parts=_bounded(form.get(CONF_MAX_PARTS), MAX_PARTS_RANGE),
        locked_out=stored.locked_out and not enabled,
    )


def _bounded(value: object, bounds: tuple[int, int, int]) -> int:
    """A whole number brought within ``bounds``; their default when it is no number."""
    low, high, default = bounds
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return min(max(int(value), low), high)
