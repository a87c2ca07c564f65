"""Sends Texto scheduled, kept (privately) until their time so they can be cancelled.

123-SMS cancels a scheduled send by repeating it with a marker, so its whole send is kept;
for the other gateways the id is enough, and the text is not kept.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .gateway.models import SendResult


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
            for message_id, result in (
                (key, SendResult.from_dict(value)) for key, value in stored.items()
            )
            if result.send_at is not None and result.send_at > now
        }

    def __len__(self) -> int:
        return len(self._sends)

    def get(self, message_id: str) -> SendResult | None:
        """The scheduled send with this id, if Texto made it and it is still to come."""
        return self._sends.get(message_id)

    async def async_add(self, result: SendResult, *, keep_text: bool) -> None:
        """Remember a scheduled send; its text only with ``keep_text`` (its cancel needs it)."""
        if not keep_text:
            result = replace(result, message=replace(result.message, text=""))
        self._sends[result.message_id] = result
        await self._async_save()

    async def async_remove(self, message_id: str) -> None:
        """Forget a send (cancelled)."""
        if self._sends.pop(message_id, None) is not None:
            await self._async_save()

    async def _async_save(self) -> None:
        await self._store.async_save(
            {message_id: result.to_dict() for message_id, result in self._sends.items()}
        )
