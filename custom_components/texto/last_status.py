"""What the account's last send became: the ``last_status`` sensor's model, kept on disk.

It follows the latest outbox item (queued, sending, then what the gateway said) and then the
delivery reports of the numbers the gateway accepted: delivered once all are, failed once
any failed or expired. Stored in the account's ``state`` store (part ``last_send``), so the
sensor and its counts survive a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .carriers import Carrier
from .const import SendState
from .gateway.models import DeliveryStatus, Route
from .outbox import OutboxItem
from .signals import DeliveryReportData
from .stores import AccountState

#: statuses no later report takes back (a late "pending" does not undo "delivered")
FINAL_STATUSES: Final[frozenset[DeliveryStatus]] = frozenset(
    {DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.EXPIRED}
)
#: send states stored under an older name (before 0.2 a lost answer was "unknown")
_RENAMED_STATES: Final = {"unknown": SendState.UNCONFIRMED}


@dataclass(frozen=True, slots=True)
class LastSend:
    """What the last send through this account became."""

    state: SendState
    message_id: str | None = None
    recipients: int = 0
    parts: int | None = None
    billed_parts: int | None = None
    #: the translation key of the error, when it failed
    error: str | None = None
    at: datetime = field(default_factory=dt_util.utcnow)
    #: E.164 numbers the gateway accepted: the delivery reports are counted against them
    accepted: tuple[str, ...] = ()
    #: the latest delivery status reported for each accepted number
    reports: Mapping[str, DeliveryStatus] = field(default_factory=dict)
    #: the outbox item of this send
    outbox_id: str | None = None
    #: the kind of route that carried it (``allmysms``, ``mail2sms``, ``smsmode``, ``sms123``)
    route: str | None = None
    #: the entry id of the account that carried it (this one, or its fallback account)
    account: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "state": str(self.state),
            "message_id": self.message_id,
            "recipients": self.recipients,
            "parts": self.parts,
            "billed_parts": self.billed_parts,
            "error": self.error,
            "at": self.at.isoformat(),
            "accepted": list(self.accepted),
            "reports": {number: str(status) for number, status in self.reports.items()},
            "outbox_id": self.outbox_id,
            "route": self.route,
            "account": self.account,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LastSend:
        """Read the stored form."""
        return cls(
            state=SendState(_RENAMED_STATES.get(data["state"], data["state"])),
            message_id=data["message_id"],
            recipients=data["recipients"],
            parts=data["parts"],
            billed_parts=data["billed_parts"],
            error=data["error"],
            at=datetime.fromisoformat(data["at"]),
            accepted=tuple(data["accepted"]),
            reports={number: DeliveryStatus(status) for number, status in data["reports"].items()},
            # stored before the outbox existed: neither
            outbox_id=data.get("outbox_id"),
            route=data.get("route"),
            account=data.get("account"),
        )


def delivery_counts(last: LastSend) -> dict[str, int]:
    """How many accepted recipients were delivered, failed, expired, or still pending."""
    counts = {"delivered": 0, "failed": 0, "expired": 0, "pending": 0}
    for number in last.accepted:
        status = last.reports.get(number)
        # no report yet, or one that settles nothing (pending, unknown): still pending
        counts[str(status) if status in FINAL_STATUSES else "pending"] += 1
    return counts


def state_after_reports(last: LastSend) -> SendState:
    """Failed when any recipient failed or expired, delivered when all were, else sent."""
    counts = delivery_counts(last)
    if counts["failed"] or counts["expired"]:
        return SendState.FAILED
    if counts["delivered"] == len(last.accepted):
        return SendState.DELIVERED
    return SendState.SENT


def last_send_of(item: OutboxItem, carrier: Carrier) -> LastSend:
    """What ``last_status`` shows of an outbox item (``carrier``: what carried it)."""
    result = item.result
    route, account = carrier.route, carrier.account
    if result is not None and item.state in (SendState.SENT, SendState.SCHEDULED):
        return LastSend(
            item.state,
            message_id=result.message_id,
            recipients=len(result.recipients),
            parts=result.message.parts,
            billed_parts=result.billed_parts,
            accepted=result.recipients,
            outbox_id=item.outbox_id,
            route=route,
            account=account,
        )
    # a partial send's accepted part does not turn a failure into a delivery: no
    # `accepted`, its reports are not counted here
    return LastSend(
        item.state,
        message_id=None if result is None else result.message_id,
        recipients=len(item.request.recipients),
        error=item.reason if item.final else None,
        outbox_id=item.outbox_id,
        route=route,
        account=account,
    )


class LastStatus:
    """Follows the account's latest send; ``changed`` is called after every change."""

    def __init__(
        self,
        state: AccountState,
        changed: Callable[[], None],
        carrier_of: Callable[[str | None, Route | None], Carrier],
    ) -> None:
        self._state = state
        self._changed = changed
        #: what an item's internal way (and the route its answer names) means to a user
        self._carrier_of = carrier_of
        self.last: LastSend | None = None
        #: the outbox item followed: the latest send
        self._outbox_id: str | None = None

    def async_load(self) -> None:
        """Read the last send from the account's (loaded) state store."""
        if (stored := self._state.part("last_send")) is not None:
            self.last = LastSend.from_dict(stored)
            if "account" not in stored:
                # stored before "account" existed: "route" was the way (an entry id, "mail2sms")
                carrier = self._carrier_of(self.last.route, None)
                self.last = replace(self.last, route=carrier.route, account=carrier.account)
            self._outbox_id = self.last.outbox_id
        self._state.async_track("last_send", self._dump)

    def _dump(self) -> dict[str, Any] | None:
        return None if self.last is None else self.last.to_dict()

    @callback
    def async_follow(self, item: OutboxItem) -> None:
        """A new send: ``last_status`` follows it from now on."""
        self._outbox_id = item.outbox_id
        self.async_item_changed(item)

    @callback
    def async_item_changed(self, item: OutboxItem) -> bool:
        """Show the item when it is the one followed; True when it is."""
        if item.outbox_id != self._outbox_id:
            return False
        carried_by = None if item.result is None else item.result.route
        way = item.route if item.final else None
        self._set(last_send_of(item, self._carrier_of(way, carried_by)))
        return True

    @callback
    def async_report(self, report: DeliveryReportData) -> None:
        """Count a delivery report of the last send (other sends' reports are ignored)."""
        last = self.last
        number = report["recipient"]
        if (
            last is None
            or report["message_id"] != last.message_id
            or number is None
            or number not in last.accepted
        ):
            return
        status = DeliveryStatus(report["status"])
        if last.reports.get(number) in FINAL_STATUSES and status not in FINAL_STATUSES:
            return  # reports can arrive out of order
        updated = replace(last, reports={**last.reports, number: status}, at=dt_util.utcnow())
        self._set(replace(updated, state=state_after_reports(updated)))

    @callback
    def _set(self, last: LastSend) -> None:
        self.last = last
        self._state.async_schedule_save()
        self._changed()
