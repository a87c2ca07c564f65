"""A gateway request from an action's fields, the account's options filling the gaps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from homeassistant.util import dt as dt_util

from .const import (
    CONF_DEFAULT_SENDER,
    CONF_MAX_PARTS,
    CONF_MESSAGE_CLASS,
    CONF_STOP_MENTION,
    CONF_TEXT_POLICY,
    MESSAGE_CLASS_REPLIES,
)
from .errors import validation_error
from .gateway.models import SendRequest, StopMention, TextPolicy


def build_request(
    options: Mapping[str, Any],
    callback_url: str | None,
    recipients: list[str],
    message: str,
    *,
    sender: str | None = None,
    send_at: datetime | None = None,
    max_parts: int | None = None,
    text_policy: str | None = None,
    reference: str | None = None,
    flash: bool = False,
    voice: bool = False,
) -> SendRequest:
    """The request the fields describe; raise a translated error for what cannot be sent.

    ``callback_url`` is the webhook's URL, for gateways that take one with each send.
    """
    if send_at is not None and send_at.tzinfo is None:
        # a naive date is in Home Assistant's time zone
        send_at = send_at.replace(tzinfo=dt_util.get_default_time_zone())
    if send_at is not None and send_at <= dt_util.utcnow():
        raise validation_error("send_at_in_past")
    replies_allowed = options.get(CONF_MESSAGE_CLASS) == MESSAGE_CLASS_REPLIES
    if replies_allowed and sender:
        raise validation_error("sender_with_replies")
    return SendRequest(
        recipients=tuple(recipients),
        text=message,
        # the default sender never applies to messages that allow replies
        sender=sender or (None if replies_allowed else options.get(CONF_DEFAULT_SENDER)),
        send_at=send_at,
        text_policy=TextPolicy(text_policy or options.get(CONF_TEXT_POLICY, TextPolicy.AUTO)),
        max_parts=max_parts if max_parts is not None else options.get(CONF_MAX_PARTS),
        reference=reference,
        flash=flash,
        voice=voice,
        replies_allowed=replies_allowed,
        stop_mention=StopMention(options.get(CONF_STOP_MENTION, StopMention.ADD)),
        delivery_report_url=callback_url,
        reply_url=callback_url if replies_allowed else None,
    )
