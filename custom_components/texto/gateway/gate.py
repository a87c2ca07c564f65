"""The gate: what arrives from outside is bounded and checked before anything uses it.

Webhook callbacks are open to anyone who holds (or guesses) the URL, and a gateway's own
answers are not trusted either. Two checks, in this order:

- ``check_fields``, on a callback's raw fields, before any provider's parser: a bounded
  number of fields, bounded names and values (so no parser, phone-number cache or log sees
  a 15 KB value), names without control characters. Values are left as they came: a NUL
  inside a number must make it fail as a number, not be mended into one.
- ``screen``, on the report or reply a parser (or a polling call) produced, before any
  dedup or event: the sender must be a phone number or a short code, ids must look like
  ids, the text is capped at the longest SMS a gateway delivers.

Both raise ``CallbackError`` (polled items: the caller drops them); nothing here logs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Final

from .errors import CallbackError
from .models import DeliveryReport, InboundMessage

#: fields a callback may carry (the richest, AllMySMS's, has about fifteen)
MAX_FIELDS: Final = 64
#: characters of a field's name
MAX_NAME_CHARS: Final = 64
#: characters of a field's value: a whole reply (``MAX_TEXT_CHARS``) fits, with room
MAX_VALUE_CHARS: Final = 4096
#: characters of a reply's text kept: ten concatenated parts of 160, the longest SMS the
#: gateways deliver (smsmode and 123-SMS cap concatenation at 10 parts)
MAX_TEXT_CHARS: Final = 1600
#: characters of a report's free-text detail kept
MAX_DETAIL_CHARS: Final = 200

#: characters of a reference echoed back (Texto's own are at most 40)
MAX_LABEL_CHARS: Final = 64
#: characters of a gateway's own status kept
MAX_STATUS_CHARS: Final = 32

#: C0 controls but tab, line feed and carriage return; DEL; C1 controls
_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: tab, line feed and carriage return: kept in a text, removed elsewhere
_LINE_RE: Final = re.compile(r"[\t\n\r]")
#: an id as the gateways write them: letters, digits and a few separators
_ID_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=-]{0,127}")
#: a phone number in E.164
_E164_RE: Final = re.compile(r"\+[1-9][0-9]{6,14}")
#: a short code: the few digits a service texts from (36034, 38200, 61000...)
_SHORT_CODE_RE: Final = re.compile(r"[0-9]{3,8}")


def check_fields(params: Mapping[str, str]) -> dict[str, str]:
    """The callback's fields, bounded; ``CallbackError`` when they are not.

    The control characters of a text go in ``screen``; an id or a number holding one is
    refused there.
    """
    if len(params) > MAX_FIELDS:
        raise CallbackError("too many fields")
    for name, value in params.items():
        if len(name) > MAX_NAME_CHARS or _CONTROL_RE.search(name) or _LINE_RE.search(name):
            raise CallbackError("a field name that is not a name")
        if len(value) > MAX_VALUE_CHARS:
            raise CallbackError("field value too long")
    return dict(params)


def screen(item: DeliveryReport | InboundMessage) -> DeliveryReport | InboundMessage:
    """``item`` with every field checked and bounded; ``CallbackError`` when it cannot be."""
    if isinstance(item, InboundMessage):
        return _screen_reply(item)
    return _screen_report(item)


def is_phone_or_short_code(number: str) -> bool:
    """Whether ``number`` is E.164 or a short code (what a reply can come from)."""
    return bool(_E164_RE.fullmatch(number) or _SHORT_CODE_RE.fullmatch(number))


def clean_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` without control characters (line breaks kept, as LF), at most ``limit``."""
    text = _CONTROL_RE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return text[:limit]


def _screen_reply(reply: InboundMessage) -> InboundMessage:
    if not is_phone_or_short_code(reply.sender):
        raise CallbackError("a reply whose sender is not a phone number or a short code")
    if reply.recipient is not None and not is_phone_or_short_code(reply.recipient):
        raise CallbackError("a reply to something that is not a phone number or a short code")
    return dataclasses.replace(
        reply,
        message_id=_id(reply.message_id, "message id") or "",
        text=clean_text(reply.text),
        in_reply_to=_id(reply.in_reply_to, "in_reply_to"),
        reference=_label(reply.reference),
    )


def _screen_report(report: DeliveryReport) -> DeliveryReport:
    if report.recipient is not None and not is_phone_or_short_code(report.recipient):
        raise CallbackError("a report about something that is not a phone number")
    message_id = _id(report.message_id, "message id")
    recipient_message_id = _id(report.recipient_message_id, "recipient message id")
    if message_id is None and recipient_message_id is None:
        raise CallbackError("a report that names no message")
    detail = None
    if report.detail is not None:
        detail = _LINE_RE.sub(" ", clean_text(report.detail, MAX_DETAIL_CHARS)).strip() or None
    return dataclasses.replace(
        report,
        message_id=message_id,
        recipient_message_id=recipient_message_id,
        reference=_label(report.reference),
        detail=detail,
        # the gateway's own code, kept as a label: 123-SMS's ``erreur`` is not documented
        # as a code, and a report must not be lost over its wording
        provider_status=_label(report.provider_status, MAX_STATUS_CHARS) or "",
    )


def _label(value: str | None, limit: int = MAX_LABEL_CHARS) -> str | None:
    """A short text echoed back (a reference, a status): one line, bounded; None if empty."""
    if value is None:
        return None
    label = _LINE_RE.sub(" ", clean_text(value, limit)).strip()
    return label or None


def _id(value: str | None, what: str) -> str | None:
    """``value`` when it looks like an id; None when absent; ``CallbackError`` otherwise."""
    if value is None or value == "":
        return None
    if not _ID_RE.fullmatch(value):
        raise CallbackError(f"a {what} that is not an id")
    return value
