"""One delivery attempt of an outbox item: which route, and what the outcome means.

The rules, in the order they matter:

* Resend only what certainly did not go out. The library says so: a ``NOT_SENT`` failure
  (connection refused, HTTP 429/503, "temporarily unavailable") is tried again later; an
  ``UNKNOWN`` one (read timeout, dropped answer, other 5xx) is never resent blindly.
* After an unknown outcome, ask the gateway where it can tell, and only then send again:
  smsmode lists its recent sends (a lost send is found by its text and numbers); 123-SMS
  refuses an identical text to the same number for 24 hours, so the identical resend is the
  question itself (91: it went; 80: it had not, and now has). AllMySMS and Mail2SMS cannot
  tell: the item ends ``unknown``.
* Fail over (Mail2SMS, or another Texto account) only for a reason a second route can fix:
  unavailable after some retries, credit exhausted, credentials refused. Never once the
  outcome of an attempt was unknown: the first route may have sent it.

``item.route`` names the route an attempt is trying before its request leaves, so an item
found ``sending`` at start-up is verified on the route that may have carried it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.util import dt as dt_util

from .const import (
    CONF_FALLBACK,
    CONF_ROUTE,
    DOMAIN,
    FALLBACK_MAIL2SMS,
    ROUTE_API,
    ROUTE_API_THEN_EMAIL,
    ROUTE_EMAIL,
)
from .gateway.base import accepted_by_all
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
from .gateway.models import PreparedSend, SendRequest, SendResult
from .gateway.sms123 import Sms123Gateway
from .gateway.smsmode import SentSms, SmsmodeGateway

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .account import TextoAccount
    from .gateway.base import Gateway
    from .outbox import OutboxItem

#: attempts the primary route gets before an unavailable gateway fails over
RETRIES_BEFORE_FAILOVER = 2
#: seconds left to a gateway before asking it about a send whose outcome is unknown (it may
#: still be working on the request: asking at once could miss it and lead to a resend)
VERIFY_DELAY = 5.0
#: 123-SMS refuses an identical text to the same number for 24 hours: the identical resend
#: is a safe question only well inside that window
SMS123_DUPLICATE_WINDOW = timedelta(hours=23)
#: how long 123-SMS refuses an identical text to the same number
SMS123_DUPLICATE_REFUSAL = timedelta(hours=24)
#: the latest smsmode sends searched for a lost one
SMSMODE_LIST_DEPTH = 200
#: a listed send older than the item (minus this, for the clocks' difference) is another one
SMSMODE_CLOCK_SKEW = timedelta(minutes=2)
#: what smsmode may append to a stored text (its STOP mention: "\nSTOP 36034")
SMSMODE_SUFFIX_MAX = 20


class AttemptOutcome(StrEnum):
    """What one attempt concluded."""

    #: accepted by a gateway (sent or scheduled): ``result`` and ``route`` say which
    SENT = "sent"
    #: certainly not sent, worth trying again later (after the outbox's backoff)
    RETRY = "retry"
    #: certainly not sent, and trying again cannot help
    FAILED = "failed"
    #: may have gone out and the gateway cannot tell: never resend
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one attempt."""

    outcome: AttemptOutcome
    #: what a gateway accepted in this attempt, whatever the outcome: with RETRY, FAILED or
    #: UNKNOWN it is the accepted part of a partial send (record it: it is sent and billed)
    result: SendResult | None = None
    #: the entry id, or "mail2sms", that carried (or last tried) the message
    route: str | None = None
    error: GatewayError | None = None
    #: seconds the gateway asked to wait before the next try (HTTP Retry-After), or the
    #: delay before verifying a send whose outcome is unknown
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """A way to send: a gateway, the name the outbox records, the account it belongs to."""

    #: the entry id of the account whose gateway it is, or "mail2sms"
    name: str
    gateway: Gateway
    account: TextoAccount


# --- routes ----------------------------------------------------------------------------------


def primary_route(account: TextoAccount) -> Route:
    """The route an account sends by first: its API, or Mail2SMS for the e-mail route."""
    route = account.entry.options.get(CONF_ROUTE, ROUTE_API)
    if route == ROUTE_EMAIL and account.mail2sms is not None:
        return Route(FALLBACK_MAIL2SMS, account.mail2sms, account)
    return Route(account.entry.entry_id, account.gateway, account)


def email_route(account: TextoAccount) -> Route | None:
    """Mail2SMS as the ``api_then_email`` route's second way, when the API is unavailable."""
    route = account.entry.options.get(CONF_ROUTE, ROUTE_API)
    if route != ROUTE_API_THEN_EMAIL or account.mail2sms is None:
        return None
    return Route(FALLBACK_MAIL2SMS, account.mail2sms, account)


def fallback_route(hass: HomeAssistant, account: TextoAccount) -> Route | None:
    """The fallback the account's options name, when it can be used now."""
    name = account.entry.options.get(CONF_FALLBACK) or ""
    if name == FALLBACK_MAIL2SMS:
        primary = primary_route(account)
        if account.mail2sms is None or primary.name == FALLBACK_MAIL2SMS:
            return None
        return Route(FALLBACK_MAIL2SMS, account.mail2sms, account)
    if not name or name == account.entry.entry_id:
        return None
    other = _loaded_account(hass, name)
    if other is None:
        return None
    return Route(name, primary_route(other).gateway, other)


def route_named(hass: HomeAssistant, account: TextoAccount, name: str | None) -> Route | None:
    """The route an item's ``route`` names (None: the account's primary route)."""
    if name is None:
        return primary_route(account)
    if name == FALLBACK_MAIL2SMS:
        if account.mail2sms is None:
            return None
        return Route(FALLBACK_MAIL2SMS, account.mail2sms, account)
    if name == account.entry.entry_id:
        return Route(name, account.gateway, account)
    other = _loaded_account(hass, name)
    return None if other is None else Route(name, primary_route(other).gateway, other)


def _loaded_account(hass: HomeAssistant, entry_id: str) -> TextoAccount | None:
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        return None
    return cast("TextoAccount", entry.runtime_data)


def request_of(item: OutboxItem) -> SendRequest:
    """The item's request, narrowed to the recipients still to send."""
    if item.remaining is None:
        return item.request
    return replace(item.request, recipients=item.remaining)


# --- one attempt -------------------------------------------------------------------------------


async def async_attempt(hass: HomeAssistant, account: TextoAccount, item: OutboxItem) -> Attempt:
    """Try to deliver ``item`` once: its account's route, then its fallback when allowed.

    ``item.attempts`` counts the attempts already made (0 on the first call). The attempt
    may narrow ``item.remaining`` (a partial send) and set ``item.maybe_sent`` (an unknown
    outcome): the outbox stores both with the item.
    """
    if item.maybe_sent:
        return await _async_checked_attempt(hass, account, item)
    primary = primary_route(account)
    try:
        return await _async_send(primary, item)
    except TemporarilyUnavailableError as err:
        seconds = [email_route(account)]
        if item.attempts >= RETRIES_BEFORE_FAILOVER:
            seconds.append(fallback_route(hass, account))
        return await _async_second_routes(item, primary, err, seconds)
    except (CreditError, AuthenticationError) as err:
        if isinstance(err, AuthenticationError):
            account.entry.async_start_reauth(hass)
        return await _async_second_routes(item, primary, err, [fallback_route(hass, account)])
    except PartialSendError as err:
        return _partial(item, primary, err, checking=False)
    except GatewayError as err:
        if err.outcome is Outcome.UNKNOWN:
            return _unknown(item, primary, err)
        return Attempt(AttemptOutcome.FAILED, route=primary.name, error=err)


async def _async_send(route: Route, item: OutboxItem) -> Attempt:
    """Send the item's remaining request by ``route``; a failure raises."""
    # recorded before the request leaves: a restart then verifies the right gateway
    item.route = route.name
    result = await route.gateway.send(request_of(item))
    return Attempt(AttemptOutcome.SENT, result=result, route=route.name)


async def _async_second_routes(
    item: OutboxItem, primary: Route, cause: GatewayError, routes: list[Route | None]
) -> Attempt:
    """Try the other routes after the primary's ``cause`` (certainly not sent)."""
    retryable = cause.retryable
    for route in routes:
        if route is None:
            continue
        # on disk before the request leaves: a restart must verify the route that may have
        # carried it, not the primary (which could then send it a second time)
        item.route = route.name
        await primary.account.outbox.async_persist()
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


def _unknown(item: OutboxItem, route: Route, err: GatewayError) -> Attempt:
    """The send may have gone out: check later where the gateway can tell, else unknown."""
    item.maybe_sent = True
    item.route = route.name
    if can_check(route.gateway, item):
        return Attempt(AttemptOutcome.RETRY, route=route.name, error=err, retry_after=VERIFY_DELAY)
    return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name, error=err)


def can_check(gateway: Gateway, item: OutboxItem) -> bool:
    """Whether ``gateway`` can tell if the item's send went out."""
    if isinstance(gateway, SmsmodeGateway):
        return True
    if isinstance(gateway, Sms123Gateway):
        return dt_util.utcnow() - item.created_at < SMS123_DUPLICATE_WINDOW
    return False


def _partial(item: OutboxItem, route: Route, err: PartialSendError, *, checking: bool) -> Attempt:
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


def _proven_by_duplicate(route: Route, item: OutboxItem, numbers: Sequence[str]) -> list[str]:
    """Those of ``numbers`` 123-SMS's refusal of the identical resend proves the item reached.

    Not a number another send of this account carried the same text to in the 24 hours
    before the item: the refusal may be about that one.
    """
    text = route.gateway.prepare(request_of(item), now=item.created_at).message.text
    since = item.created_at - SMS123_DUPLICATE_REFUSAL
    sent_log = route.account.sent_log
    return [number for number in numbers if not sent_log.same_text_sent(number, text, since)]


def _with_recipients(result: SendResult, numbers: list[str]) -> SendResult:
    """``result`` counting ``numbers`` as accepted too (they had the message already)."""
    return replace(
        result,
        recipients=(*result.recipients, *numbers),
        billed_parts=result.billed_parts + result.message.parts * len(numbers),
    )


# --- after an unknown outcome ------------------------------------------------------------------


async def async_verify(hass: HomeAssistant, account: TextoAccount, item: OutboxItem) -> Attempt:
    """Find out whether an item whose outcome is unknown went out.

    Used after an attempt's unknown outcome, and for items found ``sending`` at start-up.
    The item is checked on the route ``item.route`` names (the account's primary when
    none). smsmode: found among the recent sends -> SENT with its smsID; not found -> RETRY
    (a resend is safe, after one more look); the list unavailable -> UNKNOWN. 123-SMS: the
    identical resend -> SENT (91: it had gone; 80: it goes now). Other gateways: UNKNOWN.
    From now on the item never fails over.
    """
    item.maybe_sent = True
    route = route_named(hass, account, item.route)
    if route is None:
        return Attempt(AttemptOutcome.UNCONFIRMED, route=item.route)
    if isinstance(route.gateway, SmsmodeGateway):
        found = await _async_find_sent(route, route.gateway, item)
        return found or Attempt(AttemptOutcome.RETRY, route=route.name)
    return await _async_checked_send(hass, route, item)


async def _async_checked_attempt(
    hass: HomeAssistant, account: TextoAccount, item: OutboxItem
) -> Attempt:
    """An attempt after an unknown outcome: only by that route, and only once it is safe."""
    route = route_named(hass, account, item.route)
    if route is None:
        return Attempt(AttemptOutcome.UNCONFIRMED, route=item.route)
    if isinstance(route.gateway, SmsmodeGateway):
        found = await _async_find_sent(route, route.gateway, item)
        if found is not None:
            return found
    # smsmode does not list it (it never arrived), or 123-SMS (the resend is the check)
    return await _async_checked_send(hass, route, item)


async def _async_checked_send(hass: HomeAssistant, route: Route, item: OutboxItem) -> Attempt:
    """Send again by ``route`` where that is known to be safe, reading 123-SMS's 91 as sent."""
    if not can_check(route.gateway, item):
        return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name)
    checking = isinstance(route.gateway, Sms123Gateway)
    try:
        return await _async_send(route, item)
    except DuplicateRefusedError as err:
        if not checking:
            return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name, error=err)
        # 91 for every number: each had the message already, unless another send of the
        # same text could be the one refused
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
            route.account.entry.async_start_reauth(hass)
        # refused now, but the earlier attempt may still have gone out
        return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name, error=err)


def _reconstructed(gateway: Gateway, item: OutboxItem) -> SendResult:
    """The result of a send 123-SMS confirmed by refusing it again (its reference is lost)."""
    # validated at submission: a send date then in the future is no reason to refuse it now
    prepared = gateway.prepare(request_of(item), now=item.created_at)
    return accepted_by_all(gateway.provider, prepared, message_id=item.outbox_id)


async def _async_find_sent(
    route: Route, gateway: SmsmodeGateway, item: OutboxItem
) -> Attempt | None:
    """Look for the item among smsmode's latest sends: SENT, UNKNOWN, or None (not there)."""
    try:
        prepared = gateway.prepare(request_of(item), now=item.created_at)
        listed = await gateway.list_sent(SMSMODE_LIST_DEPTH)
    except GatewayError as err:
        return Attempt(AttemptOutcome.UNCONFIRMED, route=route.name, error=err)
    since = item.created_at - SMSMODE_CLOCK_SKEW
    for sms in listed:
        # a send this account knows the answer of is another one with the same text
        if route.account.sent_log.get(sms.message_id) is None and _is_this_send(
            sms, prepared, since
        ):
            result = accepted_by_all(
                gateway.provider, prepared, message_id=sms.message_id, credits_used=sms.cost
            )
            return Attempt(AttemptOutcome.SENT, result=result, route=route.name)
    return None


def _is_this_send(sms: SentSms, prepared: PreparedSend, since: datetime) -> bool:
    """Whether a listed send is the item's: same text, same numbers, not older than it.

    A line whose date cannot be read is taken as a match: wrongly thinking a send went out
    reports it sent; wrongly thinking it did not sends it twice.
    """
    if sms.sent_at is not None and sms.sent_at < since:
        return False
    if not _same_text(sms.text, prepared.message.text):
        return False
    ours = set(prepared.recipients)
    shown = set(sms.recipients)
    if not shown or not shown <= ours:
        return False
    if sms.recipient_count is not None:
        return sms.recipient_count == len(ours)
    return shown == ours


def _same_text(listed: str, sent: str) -> bool:
    """The listed text is the sent one, maybe with the STOP mention smsmode appended."""
    listed, sent = listed.replace("\r\n", "\n"), sent.replace("\r\n", "\n")
    if listed == sent:
        return True
    rest = listed.removeprefix(sent)
    return rest != listed and rest.startswith("\n") and len(rest) <= SMSMODE_SUFFIX_MAX
