"""Turn the gateway library's errors into Home Assistant's translated errors.

Bad input becomes ``ServiceValidationError`` (the user can fix the call); the gateway's
answer becomes ``HomeAssistantError``. No message carries a secret, a phone number or the
text: recipients are named by their position in the call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .gateway.errors import (
    AuthenticationError,
    CreditError,
    DuplicateRefusedError,
    EmptyMessageError,
    EncodingNotAllowedError,
    GatewayError,
    InvalidPhoneNumberError,
    InvalidRequestError,
    InvalidScheduleError,
    InvalidSenderError,
    MessageTooLongError,
    NotFoundError,
    OutcomeUnknownError,
    PartialSendError,
    RecipientsRejectedError,
    StopMentionRequiredError,
    TemporarilyUnavailableError,
    UnsupportedFeatureError,
    ValidationError,
)
from .gateway.models import SendRequest


def validation_error(key: str, **placeholders: object) -> ServiceValidationError:
    """A translated error about the user's input."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={name: str(value) for name, value in placeholders.items()},
    )


def gateway_error(key: str, **placeholders: object) -> HomeAssistantError:
    """A translated error about the gateway's answer."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={name: str(value) for name, value in placeholders.items()},
    )


def _positions(numbers: Sequence[str], asked: Sequence[str]) -> str:
    """1-based positions of ``numbers`` in the call's recipients (never the numbers)."""
    wanted = set(numbers)
    positions = [str(index) for index, number in enumerate(asked, start=1) if number in wanted]
    return ", ".join(positions) or "?"


def _validation(err: ValidationError, request: SendRequest | None) -> ServiceValidationError:
    if isinstance(err, InvalidPhoneNumberError):
        recipients = request.recipients if request is not None else ()
        return validation_error(
            "invalid_phone_number", positions=_positions(err.numbers, recipients)
        )
    if isinstance(err, EmptyMessageError):
        return validation_error("empty_message")
    if isinstance(err, MessageTooLongError):
        if err.max_units is not None:
            return validation_error("message_too_long_characters", max_characters=err.max_units)
        return validation_error(
            "message_too_long", parts=err.parts, max_parts=err.max_parts, units=err.units
        )
    if isinstance(err, EncodingNotAllowedError):
        characters = " ".join(err.characters)
        if request is not None and request.replies_allowed:
            # smsmode's reply-allowed class carries no Unicode, whatever the text policy
            return validation_error("replies_need_gsm7", characters=characters)
        return validation_error("gsm7_not_possible", characters=characters)
    if isinstance(err, InvalidSenderError):
        return validation_error("invalid_sender")
    if isinstance(err, StopMentionRequiredError):
        return validation_error("stop_mention_required", mention=err.mention)
    if isinstance(err, InvalidScheduleError):
        return validation_error("send_at_in_past")
    if isinstance(err, UnsupportedFeatureError):
        return validation_error("unsupported_feature", feature=err.feature)
    return validation_error("invalid_field", field=err.field or "?")


def _refused(err: GatewayError) -> HomeAssistantError:
    if isinstance(err, AuthenticationError):
        return gateway_error("auth_failed")
    if isinstance(err, CreditError):
        if err.required is not None and err.available is not None:
            return gateway_error(
                "credit_insufficient", required=err.required, available=err.available
            )
        return gateway_error("credit_exhausted")
    if isinstance(err, RecipientsRejectedError):
        return gateway_error("recipients_rejected", count=len(err.numbers) or "?")
    if isinstance(err, InvalidRequestError):
        return gateway_error("gateway_refused", code=err.code or "?", field=err.field or "?")
    if isinstance(err, DuplicateRefusedError):
        return gateway_error("duplicate_refused")
    if isinstance(err, NotFoundError):
        return gateway_error("message_not_found")
    if isinstance(err, TemporarilyUnavailableError):
        return gateway_error("gateway_unavailable")
    if isinstance(err, OutcomeUnknownError):
        return gateway_error("outcome_unknown")
    if isinstance(err, PartialSendError):
        return gateway_error(
            "partial_send", sent=len(err.result.recipients), failed=len(err.failures)
        )
    return gateway_error("gateway_error", code=err.code or "?")


def raise_translated(err: GatewayError, request: SendRequest | None = None) -> NoReturn:
    """Raise ``err`` as the matching translated Home Assistant error.

    ``request`` is the send that failed, when there is one: its recipients name invalid
    numbers by position.
    """
    if isinstance(err, ValidationError):
        raise _validation(err, request) from err
    raise _refused(err) from err
