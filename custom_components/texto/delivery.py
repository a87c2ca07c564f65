"""One delivery attempt of an outbox item: which route, and what the outcome means.

The rules, in the order they matter:

* Resend only what certainly did not go out. The library says so: a ``NOT_SENT`` failure
  (connection refused, HTTP 429/503, "temporarily unavailable") is tried again later; an
  ``UNKNOWN`` one (read timeout, dropped answer, other 5xx) is never resent blindly.
* After an unknown outcome, ask the gateway where it can tell (its capabilities say how,
  ``LostSendCheck``), and only then send again: a gateway that lists its sends is asked to
  find it (found: sent; not found: a resend is safe); one that refuses an identical text to
  the same number for a while (123-SMS, 24 hours) gets the identical resend as the question
  (refused as a duplicate: it went; accepted: it had not, and now has). Gateways that cannot
  tell (AllMySMS, Mail2SMS): the item ends ``unconfirmed``.
* Fail over (Mail2SMS, or another Texto account) only for a reason a second route can fix:
  unavailable after some retries, credit exhausted, credentials refused. Never once the
  outcome of an attempt was unknown: the first route may have sent it.

``item.route`` names the route an attempt is trying before its request leaves, so an item
found ``sending`` at start-up is verified on the route that may have carried it. Which
routes exist is the account's business (``Routes``): this module only decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from homeassistant.util import dt as dt_util

from .gateway.base import Gateway, accepted_by_all
from .gateway.errors import (
    AuthenticationError,
    CreditError,
    DuplicateRefusedError,
    GatewayError,
    Outcome,
    PartialSendError,
    RecipientsRejectedError,
    TemporarilyUnavailableError,
)
from .gateway.models import LostSendCheck, SearchOutcome, SendRequest, SendResult
from .outbox import Attempt, AttemptOutcome, OutboxItem
from .sent_log import SentLog

#: attempts the primary route gets before an unavailable gateway fails over
RETRIES_BEFORE_FAILOVER = 2
#: seconds left to a gateway before asking it about a send whose outcome is unknown (it may
#: still be working on the request: asking at once could miss it and lead to a resend)
VERIFY_DELAY = 5.0
#: the identical resend is a safe question only well inside the gateway's refusal window
DUPLICATE_WINDOW_MARGIN = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class AccountRoute:
    """A route an item may take: its client, the name the outbox records, its account's log."""

    #: the entry id of the account whose API it is, or "mail2sms"
    name: str
    gateway: Gateway
    #: the recent sends of the account the route bills
    sent_log: SentLog
    #: start the reauthentication of that account (its credentials were refused)
    start_reauth: Callable[[], None]
    #: the webhook URL of that account, as it is now (None: reports and replies not wanted)
    callback_url: str | None = None

    def with_callbacks(self, request: SendRequest) -> SendRequest:
        """``request`` as it leaves by this route: with the account's webhook URL.

        Attached at each attempt, never stored: the receive mode or the URL may have
        changed since the send was queued. A voice call sends no delivery report (smsmode
        refuses a report URL with one); the reply URL goes only with reply-allowed sends.
        """
        url = self.callback_url
        return replace(
            request,
            delivery_report_url=None if request.voice else url,
            reply_url=url if request.replies_allowed else None,
        )


class Routes(Protocol):
    """The routes an item of one account may take, as its options and entries say now."""

    def primary(self) -> AccountRoute:
        """The route a send tries first: the API, or Mail2SMS for the e-mail route."""

    def email(self) -> AccountRoute | None:
        """Mail2SMS as the ``api_then_email`` route's second way."""

    def fallback(self) -> AccountRoute | None:
        """The fallback the options name, when it can be used now."""

    def named(self, name: str | None) -> AccountRoute | None:
        """The route ``item.route`` names (None: the primary), when it still exists."""

    async def async_persist(self, item: OutboxItem) -> None:
        """Write ``item`` now (its attempt is about to send by another route: it must say so)."""

    def resends_unconfirmed(self) -> bool:
        """Whether an outcome nobody can settle is sent again once (the ``resend`` policy)."""


def request_of(item: OutboxItem) -> SendRequest:
    """The item's request, narrowed to the recipients still to send."""
    if item.remaining is None:
        return item.request
    return replace(item.request, recipients=item.remaining)


# --- one attempt -------------------------------------------------------------------------------


async def async_attempt(routes: Routes, item: OutboxItem) -> Attempt:
    """Try to deliver ``item`` once: its account's route, then its fallback when allowed.

    ``item.attempts`` counts the attempts already made (0 on the first call). The attempt
    may narrow ``item.remaining`` (a partial send) and set ``item.maybe_sent`` (an unknown
    outcome): the outbox stores both with the item.
    """
    return _resent_once(routes, item, await _async_attempt_once(routes, item))


async def _async_attempt_once(routes: Routes, item: OutboxItem) -> Attempt:
    if item.maybe_sent:
        return await _async_checked_attempt(routes, item)
    if item.resent:
        return await _async_resend(routes, item)
    primary = routes.primary()
    try:
        return await _async_send(primary, item)
    except TemporarilyUnavailableError as err:
        seconds = [routes.email()]
        if item.attempts >= RETRIES_BEFORE_FAILOVER:
            seconds.append(routes.fallback())
        return await _async_second_routes(routes, item, primary, err, seconds)
    except (CreditError, AuthenticationError) as err:
        if isinstance(err, AuthenticationError):
            primary.start_reauth()
        return await _async_second_routes(routes, item, primary, err, [routes.fallback()])
    except PartialSendError as err:
        return _partial(item, primary, err, checking=False)
    except GatewayError as err:
        if err.outcome is Outcome.UNKNOWN:
            return _unknown(item, primary, err)
        return Attempt(AttemptOutcome.FAILED, route=primary.name, error=err)


async def _async_send(route: AccountRoute, item: OutboxItem) -> Attempt:
    """Send the item's remaining request by ``route``; a failure raises."""
    # recorded before the request leaves: a restart then verifies the right gateway
    item.route = route.name
    result = await route.gateway.send(route.with_callbacks(request_of(item)))
    return Attempt(AttemptOutcome.SENT, result=result, route=route.name)


async def _async_second_routes(
    routes: Routes,
    item: OutboxItem,
    primary: AccountRoute,
    cause: GatewayError,
    seconds: list[AccountRoute | None],
) -> Attempt:
    """Try the other routes after the primary's ``cause`` (certainly not sent)."""
    retryable = cause.retryable
    for route in seconds:
        if route is None:
            continue
        # on disk before the request leaves: a restart must verify the route that may have
        # carried it, not the primary (which could then send it a second time)
        item.route = route.name
        await routes.async_persist(item)
        try:
            return await _async_send(route, item)
        except PartialSendError as err:
            return _partial(item, route, err, checking=False)
        except GatewayError as err:
            if err.outcome is Outcome.UNKNOWN:
                return _unknown(item, route, err)
            retryable = retryable or err.retryable
    item.route = primary.name
    if not retryable:
        return Attempt(AttemptOutcome.FAILED, route=primary.name, error=cause)
    retry_after = cause.retry_after if isinstance(cause, TemporarilyUnavailableError) else None
    return Attempt(AttemptOutcome.RETRY, route=primary.name, error=cause, retry_after=retry_after)


def _unknown(item: OutboxItem, route: AccountRoute, err: GatewayError) -> Attempt:
    """The send may have gone out: check later where the gateway can tell, else unknown."""
    item.maybe_sent = True
    item.route = route.name
    if can_check(route.gateway, item):
        return Attempt(AttemptOutcome.RETRY, route=route.name, error=err, retry_after=VERIFY_DELAY)
    return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name, error=err)


def can_check(gateway: Gateway, item: OutboxItem) -> bool:
    """Whether ``gateway`` can tell if the item's send went out (and still can, for it)."""
    check = gateway.capabilities.lost_send_check
    if check is LostSendCheck.LISTING:
        return True
    if check is LostSendCheck.DUPLICATE_RESEND:
        return dt_util.utcnow() - item.created_at < _duplicate_window(gateway)
    return False


def _duplicate_window(gateway: Gateway) -> timedelta:
    """How long after a send its identical resend is still refused, with a margin."""
    hours = gateway.capabilities.duplicate_refusal_hours or 0
    return timedelta(hours=hours) - DUPLICATE_WINDOW_MARGIN


def _partial(
    item: OutboxItem, route: AccountRoute, err: PartialSendError, *, checking: bool
) -> Attempt:
    """Some numbers were accepted (123-SMS): keep those, try again only the others.

    ``checking``: the request was the identical resend that checks an unknown outcome, so a
    duplicate refusal means that number had it already.
    """
    result = err.result
    duplicates = [n for n, e in err.failures.items() if checking and _is_duplicate(e)]
    already = _proven_by_duplicate(route, item, duplicates) if duplicates else []
    if already:
        result = _with_recipients(result, already)
    retry, unknown, lost = [], [], []
    for number, error in err.failures.items():
        if number in already or isinstance(error, RecipientsRejectedError):
            continue  # sent, or listed in the result's invalid recipients
        if error.outcome is Outcome.UNKNOWN:
            unknown.append(number)
        elif number in duplicates:
            continue  # refused as a duplicate of another send: see below
        elif error.retryable or isinstance(error, CreditError | AuthenticationError):
            retry.append(number)  # the next attempt fails over for credit or credentials
        else:
            lost.append(error)
    error = next(iter(err.failures.values()))
    if ambiguous := [n for n in duplicates if n not in already]:
        # a refusal that proves nothing: checking again would get it again; say unknown for
        # every number not confirmed
        item.remaining = (*ambiguous, *unknown, *retry)
        item.route = route.name
        return Attempt(AttemptOutcome.UNCONFIRMED, result, route.name, err.failures[ambiguous[0]])
    checkable = can_check(route.gateway, item)
    remaining = [*retry, *unknown] if checkable else retry
    item.remaining = tuple(remaining)
    item.route = route.name
    if unknown and checkable:
        item.maybe_sent = True
    if remaining:
        delay = VERIFY_DELAY if item.maybe_sent else None
        return Attempt(AttemptOutcome.RETRY, result, route.name, error, retry_after=delay)
    if unknown:
        return Attempt(AttemptOutcome.UNCONFIRMED, result, route.name, error)
    if lost:
        return Attempt(AttemptOutcome.FAILED, result, route.name, lost[0])
    return Attempt(AttemptOutcome.SENT, result, route.name)


def _is_duplicate(error: GatewayError) -> bool:
    return isinstance(error, DuplicateRefusedError)


def _proven_by_duplicate(
    route: AccountRoute, item: OutboxItem, numbers: Sequence[str]
) -> list[str]:
    """Those of ``numbers`` the refusal of the identical resend proves the item reached.

    Not a number another send of this account carried the same text to within the refusal
    window before the item: the refusal may be about that one.
    """
    text = route.gateway.prepare(request_of(item), now=item.created_at).message.text
    hours = route.gateway.capabilities.duplicate_refusal_hours or 0
    since = item.created_at - timedelta(hours=hours)
    return [n for n in numbers if not route.sent_log.same_text_sent(n, text, since)]


def _with_recipients(result: SendResult, numbers: list[str]) -> SendResult:
    """``result`` counting ``numbers`` as accepted too (they had the message already)."""
    return replace(
        result,
        recipients=(*result.recipients, *numbers),
        billed_parts=result.billed_parts + result.message.parts * len(numbers),
    )


# --- after an unknown outcome ------------------------------------------------------------------


async def async_verify(routes: Routes, item: OutboxItem) -> Attempt:
    """Find out whether an item whose outcome is unknown went out.

    Used after an attempt's unknown outcome, and for items found ``sending`` at start-up.
    The item is checked on the route ``item.route`` names (the primary when none). A
    gateway that lists its sends: found -> SENT with its id; not found -> RETRY (a resend
    is safe, after one more look); cannot tell -> UNCONFIRMED. One that refuses duplicates:
    the identical resend -> SENT (refused: it had gone; accepted: it goes now). Others:
    UNCONFIRMED. From now on the item never fails over.
    """
    item.maybe_sent = True
    route = routes.named(item.route)
    if route is None:
        return Attempt(AttemptOutcome.UNCONFIRMED, route=item.route)
    if route.gateway.capabilities.lost_send_check is LostSendCheck.LISTING:
        found = await _async_find_sent(route, item)
        return found or Attempt(AttemptOutcome.RETRY, route=route.name)
    return _resent_once(routes, item, await _async_checked_send(route, item))


# --- the "resend" policy for unconfirmed outcomes -----------------------------------------------


def _resent_once(routes: Routes, item: OutboxItem, attempt: Attempt) -> Attempt:
    """With the ``resend`` policy, an outcome nobody can settle is sent again, once.

    At least once rather than at most once: the alert may then arrive twice. Only by the
    route that may have carried it (never a fallback), and never a second time.
    """
    if (
        attempt.outcome is not AttemptOutcome.UNCONFIRMED
        or item.resent
        or not routes.resends_unconfirmed()
    ):
        return attempt
    item.resent = True
    item.maybe_sent = False
    return Attempt(AttemptOutcome.RETRY, route=attempt.route, error=attempt.error, retry_after=0)


async def _async_resend(routes: Routes, item: OutboxItem) -> Attempt:
    """The one resend of the ``resend`` policy: by the item's route, no failover."""
    route = routes.named(item.route)
    if route is None:
        return Attempt(AttemptOutcome.UNCONFIRMED, route=item.route)
    try:
        return await _async_send(route, item)
    except TemporarilyUnavailableError as err:
        return Attempt(
            AttemptOutcome.RETRY, route=route.name, error=err, retry_after=err.retry_after
        )
    except PartialSendError as err:
        return _partial(item, route, err, checking=False)
    except GatewayError as err:
        if err.outcome is Outcome.UNKNOWN:
            return _unknown(item, route, err)
        # refused now; the first attempt may still have gone out
        return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name, error=err)


async def _async_checked_attempt(routes: Routes, item: OutboxItem) -> Attempt:
    """An attempt after an unknown outcome: only by that route, and only once it is safe."""
    route = routes.named(item.route)
    if route is None:
        return Attempt(AttemptOutcome.UNCONFIRMED, route=item.route)
    if route.gateway.capabilities.lost_send_check is LostSendCheck.LISTING:
        found = await _async_find_sent(route, item)
        if found is not None:
            return found
    # not among the sends the gateway lists (it never arrived), or the resend is the check
    return await _async_checked_send(route, item)


async def _async_checked_send(route: AccountRoute, item: OutboxItem) -> Attempt:
    """Send again by ``route`` where that is known to be safe, reading a duplicate as sent."""
    if not can_check(route.gateway, item):
        return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name)
    checking = route.gateway.capabilities.lost_send_check is LostSendCheck.DUPLICATE_RESEND
    try:
        return await _async_send(route, item)
    except DuplicateRefusedError as err:
        if not checking:
            return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name, error=err)
        # refused for every number: each had the message already, unless another send of
        # the same text could be the one refused
        numbers = request_of(item).recipients
        if len(_proven_by_duplicate(route, item, numbers)) < len(numbers):
            return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name, error=err)
        result = _reconstructed(route.gateway, item)
        return Attempt(AttemptOutcome.SENT, result=result, route=route.name)
    except PartialSendError as err:
        return _partial(item, route, err, checking=checking)
    except TemporarilyUnavailableError as err:
        return Attempt(
            AttemptOutcome.RETRY, route=route.name, error=err, retry_after=err.retry_after
        )
    except GatewayError as err:
        if err.outcome is Outcome.UNKNOWN:
            return _unknown(item, route, err)
        if isinstance(err, AuthenticationError):
            route.start_reauth()
        # refused now, but the earlier attempt may still have gone out
        return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name, error=err)


def _reconstructed(gateway: Gateway, item: OutboxItem) -> SendResult:
    """The result of a send the gateway confirmed by refusing it again (its id is lost)."""
    # validated at submission: a send date then in the future is no reason to refuse it now
    prepared = gateway.prepare(request_of(item), now=item.created_at)
    return accepted_by_all(gateway.route, prepared, message_id=item.outbox_id)


async def _async_find_sent(route: AccountRoute, item: OutboxItem) -> Attempt | None:
    """Ask the gateway for the item among its sends: SENT, UNCONFIRMED, or None (not there)."""
    try:
        prepared = route.gateway.prepare(request_of(item), now=item.created_at)
    except GatewayError as err:
        return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name, error=err)
    # a send this account knows the answer of is another one with the same text
    search = await route.gateway.find_send(prepared, since=item.created_at, known=route.sent_log)
    if search.outcome is SearchOutcome.FOUND:
        return Attempt(AttemptOutcome.SENT, result=search.result, route=route.name)
    if search.outcome is SearchOutcome.CANNOT_TELL:
        return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name)
    return None
