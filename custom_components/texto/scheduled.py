"""Sends Texto scheduled, kept (privately) until their time so they can be cancelled.

123-SMS cancels a scheduled send by repeating it with a marker, so the whole send is kept,
not only its id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .gateway.models import EncodedText, Encoding, Provider, SendResult, SendStatus


def scheduled_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, dict[str, Any]]]:
    """Where an account's scheduled sends are kept (private: numbers and texts)."""
    return Store(hass, 1, f"{DOMAIN}.{entry_id}.scheduled", private=True)


def _dump(result: SendResult) -> dict[str, Any]:
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
        "sender": result.sender,
        "send_at": result.send_at.isoformat() if result.send_at else None,
        "reference": result.reference,
    }


def _load(data: dict[str, Any]) -> SendResult:
    send_at = data["send_at"]
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
        sender=data["sender"],
        send_at=datetime.fromisoformat(send_at) if send_at else None,
        reference=data["reference"],
    )


class ScheduledSends:
    """The account's future sends, by message id."""

    def __init__(self, store: Store[dict[str, dict[str, Any]]]) -> None:
        self._store = store
        self._sends: dict[str, SendResult] = {}

    async def async_load(self) -> None:
        """Read the stored sends, forgetting those whose time has passed."""
        stored = await self._store.async_load() or {}
        now = dt_util.utcnow()
        self._sends = {
            message_id: result
            for message_id, result in ((key, _load(value)) for key, value in stored.items())
            if result.send_at is not None and result.send_at > now
        }

    def __len__(self) -> int:
        return len(self._sends)

    def get(self, message_id: str) -> SendResult | None:
        """The scheduled send with this id, if Texto made it and it is still to come."""
        return self._sends.get(message_id)

    async def async_add(self, result: SendResult) -> None:
        """Remember a scheduled send."""
        self._sends[result.message_id] = result
        await self._save()

    async def async_remove(self, message_id: str) -> None:
        """Forget a send (cancelled)."""
        if self._sends.pop(message_id, None) is not None:
            await self._save()

    async def _save(self) -> None:
        await self._store.async_save(
            {message_id: _dump(result) for message_id, result in self._sends.items()}
        )
