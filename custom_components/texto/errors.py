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
    SenderProblem,
    StopMentionRequiredError,
    TemporarilyUnavailableError,
    UnsupportedFeatureError,
    ValidationError,
)
from .gateway.models import Route, SendRequest
from .gateway.providers import PROVIDERS

#: the modem's name in messages (a placeholder: one word in every language)
MODEM_NAME = "Modem"


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


def sender_error(err: InvalidSenderError) -> tuple[str, dict[str, str]]:
    """The translation key naming the part of the sender rule that failed, and its values.

    The same keys serve the actions (``exceptions``) and the options flow (``error``).
    """
    rule = err.rule
    if rule is None or err.problem is SenderProblem.NOT_ALLOWED:
        return "sender_not_allowed", {}
    if err.problem is SenderProblem.LENGTH:
        limits = {"sender_min": str(rule.min_length), "sender_max": str(rule.max_length)}
        return "sender_length", limits
    if err.problem is SenderProblem.CHARACTERS:
        return ("sender_characters_spaces" if rule.allow_space else "sender_characters"), {}
    if err.problem is SenderProblem.DIGITS_ONLY:
        return "sender_digits_only", {}
    return "sender_first_letter", {}


#: offending characters an encoding error names at most
MAX_CHARACTERS_SHOWN = 3

#: the features an action asks for that have a message of their own when a gateway lacks them
NAMED_FEATURES = frozenset({"flash", "voice", "send_at", "replies", "cancel"})


def _positions(numbers: Sequence[str], asked: Sequence[str]) -> list[str]:
    """``#n`` for each of ``numbers`` in the call's recipients (never the numbers)."""
    wanted = set(numbers)
    return [f"#{index}" for index, number in enumerate(asked, start=1) if number in wanted]


def _validation(err: ValidationError, request: SendRequest | None) -> ServiceValidationError:
    if isinstance(err, InvalidPhoneNumberError):
        positions = _positions(err.numbers, request.recipients if request is not None else ())
        if len(positions) == 1:
            return validation_error("invalid_phone_number", position=positions[0])
        return validation_error("invalid_phone_numbers", positions=", ".join(positions) or "?")
    if isinstance(err, EmptyMessageError):
        return validation_error("empty_message")
    if isinstance(err, MessageTooLongError):
        if err.max_units is not None:
            return validation_error("message_too_long_characters", max_characters=err.max_units)
        return validation_error(
            "message_too_long", parts=err.parts, max_parts=err.max_parts, units=err.units
        )
    if isinstance(err, EncodingNotAllowedError):
        # three are enough to find them; a whole CJK text would make an unreadable error
        shown = err.characters[:MAX_CHARACTERS_SHOWN]
        characters = " ".join(shown) + (" …" if len(err.characters) > len(shown) else "")
        if request is not None and request.replies_allowed:
            # smsmode's reply-allowed class carries no Unicode, whatever the text policy
            return validation_error("replies_need_gsm7", characters=characters)
        return validation_error("gsm7_not_possible", characters=characters)
    if isinstance(err, InvalidSenderError):
        key, placeholders = sender_error(err)
        return validation_error(key, **placeholders)
    if isinstance(err, StopMentionRequiredError):
        return validation_error("stop_mention_required", mention=err.mention)
    if isinstance(err, InvalidScheduleError):
        return validation_error("send_at_in_past")
    if isinstance(err, UnsupportedFeatureError):
        gateway = route_name(Route(err.route))
        if err.feature in NAMED_FEATURES:
            return validation_error(f"unsupported_{err.feature}", gateway=gateway)
        return validation_error("unsupported_feature", feature=err.feature, gateway=gateway)
    return validation_error("invalid_field", field=err.field or "?")


def route_name(route: Route) -> str:
    """The name users know a route by: its company's, or "Modem" (the same in French)."""
    provider = PROVIDERS.get(route.provider)
    return MODEM_NAME if provider is None else provider.name


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
        return gateway_error("send_unconfirmed")
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
