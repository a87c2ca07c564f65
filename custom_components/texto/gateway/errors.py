"""One exception tree for every gateway.

Two questions matter to a caller after a failed send, and every error answers them:

* ``outcome`` - was the message possibly handed to the operator? ``NOT_SENT`` means the
  gateway certainly did not take it (nothing billed, a resend cannot double it);
  ``UNKNOWN`` means it may have gone out, so resending blindly could send it twice.
* ``retryable`` - is the same request worth trying again later unchanged?

The library itself never retries: that policy belongs to the caller (Texto's outbox).
Messages never contain secrets, phone numbers or message text; ``raw`` keeps a redacted
copy of an unexpected answer for bug reports.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import SenderRule, SendResult


class Outcome(StrEnum):
    """Whether a failed request may have had an effect at the gateway."""

    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"


class GatewayError(Exception):
    """Base of every error the gateway library raises."""

    outcome: Outcome = Outcome.NOT_SENT
    retryable: bool = False

    def __init__(self, message: str, *, code: str | None = None, raw: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: the gateway's own status code, when it gave one (as text: "102", "E505", "-1")
        self.code = code
        #: the gateway's answer with secrets removed, when it helps a bug report
        self.raw = raw


# --- refused before anything left this machine ------------------------------------------


class ValidationError(GatewayError):
    """The request is invalid; the library refused it before any network call."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        #: the request field at fault ("recipients", "text", "sender", "send_at", ...)
        self.field = field


class InvalidPhoneNumberError(ValidationError):
    """One or more recipients are not valid phone numbers."""

    def __init__(self, numbers: list[str]) -> None:
        # The numbers are the user's own input: they are kept on the exception so the caller
        # can show them to that user, but never put in the message that may reach a log.
        super().__init__(f"{len(numbers)} invalid phone number(s)", field="recipients")
        self.numbers = numbers


class EmptyMessageError(ValidationError):
    """The text is empty (or only white space)."""

    def __init__(self) -> None:
        super().__init__("the message is empty", field="text")


class MessageTooLongError(ValidationError):
    """The text needs more parts (or characters) than the route or the caller allows."""

    def __init__(self, *, parts: int, max_parts: int, units: int, max_units: int | None) -> None:
        limit = f"{max_parts} parts" if max_units is None else f"{max_units} characters"
        super().__init__(
            f"the message needs {parts} parts ({units} units); the limit is {limit}",
            field="text",
        )
        self.parts = parts
        self.max_parts = max_parts
        self.units = units
        self.max_units = max_units


class EncodingNotAllowedError(ValidationError):
    """The ``gsm7`` policy was asked for but the text still needs UCS-2."""

    def __init__(self, characters: list[str]) -> None:
        super().__init__(f"{len(characters)} character(s) cannot be sent in GSM-7", field="text")
        self.characters = characters


class SenderProblem(StrEnum):
    """Which part of a route's sender rule a sender id breaks."""

    #: fewer or more characters than the rule allows
    LENGTH = "length"
    #: a character the rule does not allow (accent, punctuation, a space where none is allowed)
    CHARACTERS = "characters"
    #: digits only: a phone number, not a name
    DIGITS_ONLY = "digits_only"
    #: the rule wants a letter first
    FIRST_CHARACTER = "first_character"
    #: no custom sender at all in this context (replies allowed, a voice call)
    NOT_ALLOWED = "not_allowed"


class InvalidSenderError(ValidationError):
    """The sender id breaks the route's rule (length, characters, context)."""

    def __init__(
        self,
        reason: str,
        problem: SenderProblem = SenderProblem.NOT_ALLOWED,
        rule: SenderRule | None = None,
    ) -> None:
        super().__init__(f"invalid sender id: {reason}", field="sender")
        self.reason = reason
        #: the part of the rule that failed, for a message that names it
        self.problem = problem
        #: the rule it was checked against (None: no custom sender is allowed at all)
        self.rule = rule


class StopMentionRequiredError(ValidationError):
    """A custom sender to France needs the route's STOP mention at the end of the text."""

    def __init__(self, mention: str) -> None:
        super().__init__(f"a custom sender needs the text to end with '{mention}'", field="text")
        self.mention = mention


class InvalidScheduleError(ValidationError):
    """The scheduled date is in the past or not timezone-aware."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid send date: {reason}", field="send_at")
        self.reason = reason


class UnsupportedFeatureError(ValidationError):
    """The route cannot do what was asked (flash, voice, cancel, replies ...)."""

    def __init__(self, feature: str, route: str) -> None:
        super().__init__(f"{route} does not support {feature}", field=feature)
        self.feature = feature
        #: the route that lacks it (a ``Route`` value)
        self.route = route


# --- refused by the gateway (nothing sent) ----------------------------------------------


class AuthenticationError(GatewayError):
    """The credentials were refused."""


class CreditError(GatewayError):
    """The account has no credit, or not enough for this send."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        required: float | None = None,
        available: float | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.required = required
        self.available = available


class RecipientsRejectedError(GatewayError):
    """The gateway refused every recipient."""

    def __init__(self, message: str, *, code: str | None = None, numbers: list[str]) -> None:
        super().__init__(message, code=code)
        #: E.164 numbers the gateway refused (may be empty when it does not say which)
        self.numbers = numbers


class InvalidRequestError(GatewayError):
    """The gateway refused the request's content (bad field, bad date, bad sender ...)."""

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class DuplicateRefusedError(GatewayError):
    """The gateway refused an identical message sent to the same number recently."""


class NotFoundError(GatewayError):
    """The message (to cancel, to look up) is unknown to the gateway."""


# --- transport ---------------------------------------------------------------------------


class TemporarilyUnavailableError(GatewayError):
    """The gateway could not be reached or asked to come back later; nothing was sent."""

    retryable = True

    def __init__(
        self, message: str, *, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        #: seconds the gateway asked to wait (HTTP Retry-After), when it said
        self.retry_after = retry_after


class OutcomeUnknownError(GatewayError):
    """The request may have been carried out: never resend without asking the gateway."""

    outcome = Outcome.UNKNOWN


class UnexpectedResponseError(OutcomeUnknownError):
    """The gateway answered something the documentation does not describe."""


class PartialSendError(GatewayError):
    """Some recipients were accepted, others failed (routes that send one request each).

    ``result`` describes what was accepted (and billed); ``failures`` maps each E.164
    number that was not accepted to its error. The outcome is UNKNOWN when any failure's
    is: a caller retries only the numbers in ``failures`` whose outcome is NOT_SENT.
    """

    def __init__(self, result: SendResult, failures: dict[str, GatewayError]) -> None:
        super().__init__(f"{len(result.recipients)} recipient(s) accepted, {len(failures)} failed")
        self.result = result
        self.failures = failures
        if any(error.outcome is Outcome.UNKNOWN for error in failures.values()):
            self.outcome = Outcome.UNKNOWN


class CallbackError(GatewayError):
    """A callback (webhook request) is malformed or incomplete: no event must come of it."""
