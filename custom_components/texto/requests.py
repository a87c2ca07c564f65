"""A gateway request from an action's fields, the account's options filling the gaps.

The fields are checked here, not by the actions' schemas: a schema's error is Home
Assistant's English ("value must be at most 10 for dictionary value"), these are Texto's
translated ones, naming the field and what it accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

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
from .gateway.models import Capabilities, SendRequest, StopMention, TextPolicy

#: the parts a send may be limited to (the gateways concatenate at most ten)
MIN_PARTS: Final = 1
MAX_PARTS: Final = 10
#: characters of a caller's reference (smsmode's refClient and AllMySMS's cliMsgId fit)
MAX_REFERENCE_CHARS: Final = 40
#: how far ahead a send may be scheduled
MAX_SCHEDULE_AHEAD: Final = timedelta(days=365)
TEXT_POLICIES: Final = tuple(str(policy) for policy in TextPolicy)


def build_request(
    options: Mapping[str, Any],
    recipients: list[str],
    message: str,
    *,
    sender: str | None = None,
    send_at: object = None,
    max_parts: object = None,
    text_policy: object = None,
    reference: object = None,
    flash: bool = False,
    voice: bool = False,
) -> SendRequest:
    """The request the fields describe; raise a translated error for what cannot be sent.

    No webhook URL: delivery attaches the account's at each attempt (``with_callbacks``).
    """
    sender = sender.strip() if isinstance(sender, str) else None  # blank: no sender given
    when = _send_at(send_at)
    parts = _max_parts(max_parts)
    policy = _text_policy(text_policy)
    label = _reference(reference)
    replies_allowed = options.get(CONF_MESSAGE_CLASS) == MESSAGE_CLASS_REPLIES
    if replies_allowed and sender:
        raise validation_error("sender_with_replies")
    return SendRequest(
        recipients=tuple(recipients),
        text=message,
        # the default sender never applies to messages that allow replies
        sender=sender or (None if replies_allowed else options.get(CONF_DEFAULT_SENDER)),
        send_at=when,
        text_policy=policy or TextPolicy(options.get(CONF_TEXT_POLICY, TextPolicy.AUTO)),
        max_parts=parts if parts is not None else options.get(CONF_MAX_PARTS),
        reference=label,
        flash=flash,
        voice=voice,
        replies_allowed=replies_allowed,
        stop_mention=StopMention(options.get(CONF_STOP_MENTION, StopMention.ADD)),
    )


def replies_come_back(capabilities: Capabilities, options: Mapping[str, Any]) -> bool:
    """Whether replies to the account's sends reach Texto.

    The route takes replies and, where they must be asked for (smsmode), the account sends in
    its "replies allowed" class (as ``build_request`` marks its requests).
    """
    return capabilities.replies and (
        not capabilities.replies_on_request
        or options.get(CONF_MESSAGE_CLASS) == MESSAGE_CLASS_REPLIES
    )


def _send_at(value: object) -> datetime | None:
    """A date in the future, within ``MAX_SCHEDULE_AHEAD`` (naive: Home Assistant's zone)."""
    if value is None or value == "":
        return None
    when = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        when = dt_util.parse_datetime(value.strip())
    if when is None:
        raise validation_error("invalid_send_at")
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt_util.get_default_time_zone())
    now = dt_util.utcnow()
    if when <= now:
        raise validation_error("send_at_in_past")
    # a difference of aware dates: year 9999 is refused here, and never overflows later
    if when - now > MAX_SCHEDULE_AHEAD:
        raise validation_error("send_at_too_far", days=MAX_SCHEDULE_AHEAD.days)
    return when


def _max_parts(value: object) -> int | None:
    """A whole number of parts in ``MIN_PARTS``..``MAX_PARTS`` (the UI gives a number)."""
    if value is None or value == "":
        return None
    parts: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        parts = value
    elif isinstance(value, float) and value.is_integer():
        parts = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        parts = int(value.strip())
    if parts is None or not MIN_PARTS <= parts <= MAX_PARTS:
        raise validation_error("invalid_max_parts", min=MIN_PARTS, max=MAX_PARTS)
    return parts


def _text_policy(value: object) -> TextPolicy | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value.strip() not in TEXT_POLICIES:
        raise validation_error("invalid_text_policy", policies=", ".join(TEXT_POLICIES))
    return TextPolicy(value.strip())


def _reference(value: object) -> str | None:
    """The caller's label for a send: one printable line of at most ``MAX_REFERENCE_CHARS``."""
    if value is None:
        return None
    label = str(value).strip() if isinstance(value, str | int) else None
    if label is None or len(label) > MAX_REFERENCE_CHARS or not label.isprintable():
        raise validation_error("invalid_reference", max=MAX_REFERENCE_CHARS)
    return label or None
