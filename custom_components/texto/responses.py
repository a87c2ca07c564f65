"""The response data of Texto's actions: what a send became, what a message would cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .carriers import Carrier
from .const import SendState
from .gateway.models import Estimate, PreparedSend
from .outbox import OutboxItem


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What a send became by the time its caller got the answer."""

    item: OutboxItem
    #: the request as the first route validated it (recipients, text, parts)
    prepared: PreparedSend
    #: what carried it (nothing yet while it waits in the outbox)
    carrier: Carrier


def send_response(outcome: SendOutcome) -> dict[str, Any]:
    """The response of the send actions.

    A send still in the outbox (``queued``, ``sending``) has no message id yet: its
    recipients, text and parts are those validated at submission.
    """
    item, result = outcome.item, outcome.item.result
    message = outcome.prepared.message if result is None else result.message
    return {
        "message_id": None if result is None else result.message_id,
        "recipients": list(outcome.prepared.recipients if result is None else result.recipients),
        "invalid_recipients": [] if result is None else list(result.invalid_recipients),
        "parts": message.parts,
        "billed_parts": None if result is None else result.billed_parts,
        "encoding": str(message.encoding),
        "text": message.text,
        "credits_used": None if result is None else result.credits_used,
        # still in the outbox, whether or not an attempt is under way: queued
        "status": str(item.state if item.final else SendState.QUEUED),
        "outbox_id": item.outbox_id,
        # route, account, account_name: nothing carried it yet while it waits
        **outcome.carrier.as_dict(),
    }


def estimate_response(estimate: Estimate, notes: list[str]) -> dict[str, Any]:
    """The response of ``texto.estimate``; ``notes``: its warnings in the user's language."""
    message = estimate.message
    return {
        "parts": message.parts,
        "billed_parts": estimate.billed_parts,
        "encoding": str(message.encoding),
        "text": message.text,
        "units": message.units,
        "replaced": [{"from": original, "to": new} for original, new in message.replaced],
        "credits": estimate.credits,
        "warnings": list(estimate.warnings),
        "notes": notes,
    }
