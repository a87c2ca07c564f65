"""Gateway requests and results in Home Assistant's stores (outbox, scheduled sends).

Plain JSON, read back into the library's own types.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .gateway.models import (
    EncodedText,
    Encoding,
    Provider,
    SendRequest,
    SendResult,
    SendStatus,
    StopMention,
    TextPolicy,
)


def iso(value: datetime | None) -> str | None:
    """A datetime as stored (ISO 8601), or None."""
    return None if value is None else value.isoformat()


def from_iso(value: str | None) -> datetime | None:
    """A stored datetime, or None."""
    return None if value is None else datetime.fromisoformat(value)


def request_to_dict(request: SendRequest) -> dict[str, Any]:
    """A send request as stored."""
    return {
        "recipients": list(request.recipients),
        "text": request.text,
        "sender": request.sender,
        "send_at": iso(request.send_at),
        "text_policy": str(request.text_policy),
        "max_parts": request.max_parts,
        "reference": request.reference,
        "campaign_name": request.campaign_name,
        "flash": request.flash,
        "voice": request.voice,
        "replies_allowed": request.replies_allowed,
        "stop_mention": str(request.stop_mention),
        "delivery_report_url": request.delivery_report_url,
        "reply_url": request.reply_url,
        "test": request.test,
    }


def request_from_dict(data: dict[str, Any]) -> SendRequest:
    """A stored send request."""
    return SendRequest(
        recipients=tuple(data["recipients"]),
        text=data["text"],
        sender=data["sender"],
        send_at=from_iso(data["send_at"]),
        text_policy=TextPolicy(data["text_policy"]),
        max_parts=data["max_parts"],
        reference=data["reference"],
        campaign_name=data["campaign_name"],
        flash=data["flash"],
        voice=data["voice"],
        replies_allowed=data["replies_allowed"],
        stop_mention=StopMention(data["stop_mention"]),
        delivery_report_url=data["delivery_report_url"],
        reply_url=data["reply_url"],
        test=data["test"],
    )


def result_to_dict(result: SendResult) -> dict[str, Any]:
    """An accepted send as stored."""
    message = result.message
    return {
        "provider": str(result.provider),
        "message_id": result.message_id,
        "status": str(result.status),
        "recipients": list(result.recipients),
        "invalid_recipients": list(result.invalid_recipients),
        "recipient_ids": dict(result.recipient_ids),
        "text": message.text,
        "encoding": str(message.encoding),
        "units": message.units,
        "parts": message.parts,
        "billed_parts": result.billed_parts,
        "credits_used": result.credits_used,
        "sender": result.sender,
        "send_at": iso(result.send_at),
        "reference": result.reference,
    }


def result_from_dict(data: dict[str, Any]) -> SendResult:
    """A stored accepted send (``credits_used`` may be absent from older data)."""
    return SendResult(
        provider=Provider(data["provider"]),
        message_id=data["message_id"],
        status=SendStatus(data["status"]),
        recipients=tuple(data["recipients"]),
        invalid_recipients=tuple(data["invalid_recipients"]),
        recipient_ids=dict(data["recipient_ids"]),
        message=EncodedText(
            text=data["text"],
            encoding=Encoding(data["encoding"]),
            units=data["units"],
            parts=data["parts"],
        ),
        billed_parts=data["billed_parts"],
        credits_used=data.get("credits_used"),
        sender=data["sender"],
        send_at=from_iso(data["send_at"]),
        reference=data["reference"],
    )
