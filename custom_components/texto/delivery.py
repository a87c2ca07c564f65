"""One delivery attempt of an outbox item: which route, and what the outcome means.

CONTRACT (to be implemented by helper H2): see the docstrings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .gateway.errors import GatewayError
from .gateway.models import SendResult

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .account import TextoAccount
    from .outbox import OutboxItem


class AttemptOutcome(StrEnum):
    """What one attempt concluded."""

    #: accepted by a gateway (sent or scheduled): ``result`` and ``route`` say which
    SENT = "sent"
    #: certainly not sent, worth trying again later (after the outbox's backoff)
    RETRY = "retry"
    #: certainly not sent, and trying again cannot help
    FAILED = "failed"
    #: may have gone out and the gateway cannot tell: never resend
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one attempt."""

    outcome: AttemptOutcome
    result: SendResult | None = None
    #: the entry id, or "mail2sms", that carried (or last tried) the message
    route: str | None = None
    error: GatewayError | None = None
    #: seconds the gateway asked to wait before the next try (HTTP Retry-After)
    retry_after: float | None = None


async def async_attempt(hass: HomeAssistant, account: TextoAccount, item: OutboxItem) -> Attempt:
    """Try to deliver ``item`` once: its account's route, then its fallback when allowed.

    ``item.attempts`` counts the attempts already made (0 on the first call).
    """
    raise NotImplementedError
