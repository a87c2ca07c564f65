"""The persistent outbox: every send is written here before its first attempt.

CONTRACT (to be implemented by helper H1): see the docstrings. States are account.SendState:
queued -> sending -> sent | scheduled | failed | expired | unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .const import SendState
from .gateway.models import SendRequest, SendResult


@dataclass
class OutboxItem:
    """One send in the outbox."""

    outbox_id: str
    entry_id: str
    created_at: datetime
    request: SendRequest
    state: SendState
    attempts: int = 0
    #: when the next attempt is due (None: now, or no more attempts)
    next_attempt_at: datetime | None = None
    #: what carried it: the entry id, or "mail2sms"
    route: str | None = None
    result: SendResult | None = None
    #: why it failed, expired or is unknown (a GatewayError class name, or "expired")
    reason: str | None = None
