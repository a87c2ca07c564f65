"""Home Assistant dispatcher signals of an account, typed, and the event data they carry.

Formatted with the entry id: each account has its own. ``SIGNAL_SENDS_CHANGED`` comes at
most once per event-loop turn (see ``TextoAccount.async_sends_changed``).
"""

from __future__ import annotations

from typing import TypedDict

from homeassistant.util.signal_type import SignalType, SignalTypeFormat


class DeliveryReportData(TypedDict):
    """The data of a ``texto_delivery_report`` event."""

    entry_id: str
    provider: str
    #: the send's ``message_id`` (the one the send action returned)
    message_id: str | None
    recipient: str | None
    status: str
    provider_status: str
    detail: str | None
    reported_at: str | None
    #: the send's reference, if it had one
    reference: str | None
    #: the recipient's device when the number is a recipient's, else the account's
    device_id: str | None
    #: the kind of route that carried the send (``allmysms``, ``mail2sms``, ``smsmode``, ...)
    route: str
    #: the account that carried it (its entry id, the same as ``entry_id``) and its title
    account: str
    account_name: str


class SmsReceivedData(TypedDict):
    """The data of a ``texto_sms_received`` event."""

    entry_id: str
    provider: str
    sender: str
    #: the recipient subentry whose number sent it, else None
    sender_name: str | None
    #: that recipient's notify entity, else None
    sender_entity_id: str | None
    recipient: str | None
    text: str
    received_at: str
    message_id: str
    in_reply_to: str | None
    #: in_reply_to is a Texto send to that very number, or the gateway's API confirmed it
    verified: bool
    #: when the send it answers left (ISO 8601), when Texto knows that send
    in_reply_to_sent_at: str | None
    #: the recipient's device when the sender is a recipient, else the account's
    device_id: str | None
    #: every part of a long text arrived (a modem fires what came after 10 minutes: False)
    complete: bool


class AssistData(TypedDict):
    """The data of a ``texto_assist`` event: one exchange with Assist, texts left out."""

    #: the account's entry id
    account: str
    #: the recipient's notify entity, None when it has none (removed meanwhile)
    recipient: str | None
    agent_id: str
    #: an answer was submitted to the outbox
    answered: bool
    #: the parts the answer bills (0 when none was sent)
    parts: int
    #: what was received, PIN removed, masked beyond its first three words
    text: str


#: the account's sends changed: outbox, last send, parts sent
SIGNAL_SENDS_CHANGED: SignalTypeFormat[()] = SignalTypeFormat("texto_{}_sends_changed")
#: a new delivery report (after its bus event)
SIGNAL_DELIVERY_REPORT: SignalTypeFormat[DeliveryReportData] = SignalTypeFormat(
    "texto_{}_delivery_report"
)
#: a new reply (after its bus event)
SIGNAL_SMS_RECEIVED: SignalTypeFormat[SmsReceivedData] = SignalTypeFormat("texto_{}_sms_received")

#: an exchange with Assist ended (after its bus event)
SIGNAL_ASSIST: SignalTypeFormat[AssistData] = SignalTypeFormat("texto_{}_assist")

#: the open alerts changed (raised, escalated, ended): integration-wide, not formatted
SIGNAL_ALERTS_CHANGED: SignalType[()] = SignalType("texto_alerts_changed")
