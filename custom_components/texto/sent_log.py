"""What Texto sent recently: to tie delivery reports and replies back to their send.

Kept in a private store (numbers are personal data) so that a report or a reply arriving
after a restart is still recognised. Bounded: the last ``MAX_SENDS`` sends of the last
``KEEP`` days.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .gateway.models import Route, SendResult
from .stores import SAVE_DELAY

#: gateways report delivery within 48 hours (smsmode's manual); replies come later
KEEP: Final = timedelta(days=7)
MAX_SENDS: Final = 1000


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A send Texto made: enough to recognise what comes back about it."""

    message_id: str
    #: what carried it
    route: Route
    #: E.164 numbers the gateway accepted
    recipients: tuple[str, ...]
    #: per-recipient ids the gateway gave (E.164 -> id)
    recipient_ids: dict[str, str]
    reference: str | None
    replies_allowed: bool
    sent_at: datetime
    #: a digest of the text as sent (not the text): tells an identical later send apart
    text_digest: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "message_id": self.message_id,
            "route": str(self.route),
            "recipients": list(self.recipients),
            "recipient_ids": self.recipient_ids,
            "reference": self.reference,
            "replies_allowed": self.replies_allowed,
            "sent_at": self.sent_at.isoformat(),
            "text_digest": self.text_digest,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SentMessage:
        """Read the stored form."""
        return cls(
            message_id=data["message_id"],
            route=Route(data["route"]),
            recipients=tuple(data["recipients"]),
            recipient_ids=dict(data["recipient_ids"]),
            reference=data["reference"],
            replies_allowed=data["replies_allowed"],
            sent_at=datetime.fromisoformat(data["sent_at"]),
            text_digest=data["text_digest"],
        )


def text_digest(text: str) -> str:
    """What the log keeps of a text: enough to recognise it again, not to read it."""
    return hashlib.sha256(text.encode()).hexdigest()


class SentLog:
    """Recent sends, by message id and by per-recipient id."""

    def __init__(self, store: Store[list[dict[str, Any]]]) -> None:
        self._store = store
        self._sends: dict[str, SentMessage] = {}
        self._by_recipient_id: dict[str, SentMessage] = {}

    async def async_load(self) -> None:
        """Read the stored sends that are still recent."""
        for data in await self._store.async_load() or []:
            self._add(SentMessage.from_dict(data))
        self._forget_old()

    async def async_record(self, result: SendResult, *, replies_allowed: bool) -> SentMessage:
        """Remember an accepted send."""
        sent = SentMessage(
            message_id=result.message_id,
            route=result.route,
            recipients=result.recipients,
            recipient_ids=dict(result.recipient_ids),
            reference=result.reference,
            replies_allowed=replies_allowed,
            sent_at=dt_util.utcnow(),
            text_digest=text_digest(result.message.text),
        )
        self._add(sent)
        self._forget_old()
        self._store.async_delay_save(self._dump, SAVE_DELAY)
        return sent

    def restore(self, sent: SentMessage) -> None:
        """Remember a send the store may not hold (read back from the outbox's journal)."""
        if sent.message_id in self._sends:
            return
        self._add(sent)
        self._forget_old()
        self._store.async_delay_save(self._dump, SAVE_DELAY)

    async def async_flush(self) -> None:
        """Write the sends now (the entry unloads: a new log will read them)."""
        await self._store.async_save(self._dump())

    def __contains__(self, message_id: object) -> bool:
        """Whether a send with this ``message_id`` is known."""
        return message_id in self._sends

    def get(self, message_id: str) -> SentMessage | None:
        """The send with this ``message_id``."""
        return self._sends.get(message_id)

    def by_recipient_id(self, recipient_message_id: str) -> SentMessage | None:
        """The send one of whose recipients got this per-recipient id."""
        return self._by_recipient_id.get(recipient_message_id)

    def recent(self, since: datetime) -> list[SentMessage]:
        """Sends made at or after ``since``, oldest first."""
        return [sent for sent in self._sends.values() if sent.sent_at >= since]

    def last_sent_to(self, number: str, since: datetime) -> SentMessage | None:
        """The latest send to ``number`` (E.164) made at or after ``since``."""
        return next(
            (
                sent
                for sent in reversed(self._sends.values())
                if sent.sent_at >= since and number in sent.recipients
            ),
            None,
        )

    def same_text_sent(self, number: str, text: str, since: datetime) -> bool:
        """Whether ``text`` was sent to ``number`` at or after ``since`` (E.164)."""
        digest = text_digest(text)
        return any(
            sent.text_digest == digest and number in sent.recipients
            for sent in self._sends.values()
            if sent.sent_at >= since
        )

    def _add(self, sent: SentMessage) -> None:
        self._sends[sent.message_id] = sent
        for recipient_id in sent.recipient_ids.values():
            self._by_recipient_id[recipient_id] = sent

    def _forget_old(self) -> None:
        """Forget the oldest sends: those past ``KEEP``, and any beyond ``MAX_SENDS``.

        The sends are kept in the order they were made, so only the first ones are looked
        at: a send costs the same with a full log as with an empty one.
        """
        oldest = dt_util.utcnow() - KEEP
        while self._sends:
            first = next(iter(self._sends.values()))
            if len(self._sends) <= MAX_SENDS and first.sent_at >= oldest:
                return
            del self._sends[first.message_id]
            for recipient_id in first.recipient_ids.values():
                if self._by_recipient_id.get(recipient_id) is first:
                    del self._by_recipient_id[recipient_id]

    def _dump(self) -> list[dict[str, Any]]:
        return [sent.to_dict() for sent in self._sends.values()]
