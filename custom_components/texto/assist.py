"""Talk to Assist: a chosen recipient's texts go to a conversation agent, answers go back by SMS.

One ``AssistDesk`` per account. The inbox asks it, for each new text from a recipient
with Assist on, what the text is (``screen``: synchronous, in the same event-loop turn
as the inbox's dedupe, so two deliveries of one text are judged once). A text that
passes starts an exchange in the background: the agent is asked, its answer is cut to
the recipient's parts and sent through the account's outbox (spending cap included).

What keeps it safe, in order: a loop guard (no answer to an answer); the check (the
PIN at the text's start, or a channel Texto can vouch for); a lock-out after failed
checks; an hourly limit; and the PIN again, even on a vouched-for channel, for words
that reach a lock, an alarm panel, a door or a cover (a sender's number can be forged,
and Home Assistant's own permissions neither refuse truthfully nor log cleanly).

A text that fails the check gets no answer at all (no oracle for someone guessing),
one debug line without number or text, and fires nothing when it holds a PIN guess.
The failures, exchanges and last answers are kept in memory: a restart resets them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Protocol

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import intent
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .alerts import DATA_ALERTS, async_get_alerts
from .assist_settings import AssistSettings, pin_matches, with_settings
from .assist_text import fit_answer, mask, needs_pin, split_pin
from .common_texts import async_common_texts
from .const import DEFAULT_AGENT_ID, DOMAIN, EVENT_ASSIST, SUBENTRY_TYPE_RECIPIENT, TRUST_PIN
from .gateway.errors import GatewayError, MessageTooLongError
from .gateway.models import PreparedSend, SendRequest, TextPolicy
from .issues import async_raise_assist_capped, async_raise_assist_locked_out
from .responses import SendOutcome
from .signals import SIGNAL_ASSIST, AssistData

_LOGGER = logging.getLogger(__name__)

#: failed checks within ``WINDOW`` that turn Assist off for a recipient ...
LOCKOUT_FAILURES: Final = 5
#: ... or within ``DAY``: four guesses an hour, all day long, are not left to go on
LOCKOUT_FAILURES_A_DAY: Final = 10
#: the window of the lock-out and of the hourly limit, in seconds
WINDOW: Final = 3600.0
DAY: Final = 86400.0
#: a text older than this when it reaches Texto (read after a restart, from a SIM's backlog,
#: a gateway's retried callback) is not acted on: "open the garage" sent at 8 is not for 8 pm
STALE_AFTER: Final = timedelta(minutes=10)
#: a text from a number this soon after Texto's answer to it is taken for an auto-reply
LOOP_GUARD_SECONDS: Final = 10.0
#: the longest an agent may think (an LLM agent can be slow; a hung one must not linger)
AGENT_TIMEOUT: Final = 60.0
#: the domains whose entities need the PIN in the text, even on a vouched-for channel
SENSITIVE_DOMAINS: Final = ("lock", "alarm_control_panel", "cover", "valve")

#: the answers Texto writes itself, when the translations cannot be read
_ENGLISH: Final = {
    "assist_needs_pin": "Start your text with your PIN to act on locks, alarms, doors and covers.",
    "assist_no_pin": (
        "Locks, alarms, doors and covers need a PIN: ask for one to be set for your number "
        "in Texto."
    ),
}


class Verdict(StrEnum):
    """What the inbox does with a text from a recipient with Assist on."""

    #: not for Assist (no PIN in ``pin`` mode): an ordinary reply
    NOT_FOR_ASSIST = "not_for_assist"
    #: an ordinary reply that failed the check (``verified`` mode, a channel not vouched for)
    ORDINARY = "ordinary"
    #: for Assist: its event fires with the command (PIN removed), then the exchange runs
    ACCEPTED = "accepted"
    #: failed the check and holds a PIN guess: fires nothing
    REFUSED = "refused"
    #: the loop guard: an answer to Texto's own answer, fires nothing
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class Screening:
    """The verdict on a text; for an accepted one, the command and whether the PIN came."""

    verdict: Verdict
    command: str = ""
    pin_given: bool = False
    #: what ``texto_sms_received`` says instead of the text (the PIN removed), if anything
    event_text: str | None = None

    @property
    def fires(self) -> bool:
        """Whether the text fires ``texto_sms_received`` (with ``command`` when accepted)."""
        return self.verdict not in (Verdict.REFUSED, Verdict.IGNORED)


class AnswerOutbox(Protocol):
    """What the desk sends answers through: the account (``TextoAccount``)."""

    def build_request(self, recipients: list[str], message: str, **fields: Any) -> SendRequest:
        """A request with the account's options."""

    def prepare(self, request: SendRequest) -> PreparedSend:
        """``request`` as the account's first route validates it; raise ``GatewayError``."""

    async def async_send(self, request: SendRequest, *, wait: bool = True) -> SendOutcome:
        """Put ``request`` in the outbox (spending cap checked)."""


class AssistDesk:
    """One account's exchanges with Assist: the checks, the limits, the answers."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], outbox: AnswerOutbox) -> None:
        self.hass = hass
        self.entry = entry
        self._outbox = outbox
        #: monotonic times of failed checks, and of exchanges, per recipient subentry
        self._failures: dict[str, deque[float]] = {}
        self._exchanges: dict[str, deque[float]] = {}
        #: number -> (Texto's last answer to it, comparable form; monotonic time it left)
        self._last_answers: dict[str, tuple[str, float]] = {}

    @callback
    def async_load(self) -> None:
        """Show again the lock-outs stored (repair issues do not outlive a restart)."""
        for subentry in self._recipients():
            if AssistSettings.of(subentry.data).locked_out:
                async_raise_assist_locked_out(
                    self.hass, self.entry, subentry.subentry_id, _name(subentry)
                )

    def counts(self, subentry_id: str) -> dict[str, int]:
        """Failed checks and exchanges in the past hour (diagnostics)."""
        now = time.monotonic()
        return {
            "failures_this_hour": len(_recent(self._failures.get(subentry_id), now)),
            "exchanges_this_hour": len(_recent(self._exchanges.get(subentry_id), now)),
        }

    # --- the check, inline in the inbox -------------------------------------------------------

    @callback
    def screen(
        self, subentry: ConfigSubentry, number: str, text: str, *, trusted: bool
    ) -> Screening:
        """Judge a new text from ``subentry``'s ``number``; count a failed check.

        ``trusted``: Texto can vouch for the sender (a verified reply, the gateway's
        polling API, the modem); never a bare webhook callback.
        """
        settings = AssistSettings.of(subentry.data)
        # a PIN-shaped token opening the text, when a PIN is stored (else it is just words)
        found = split_pin(text) if settings.pin_set else None
        if not settings.enabled:
            if settings.locked_out and found is not None:
                # after a lock-out, a PIN or a guess must not reach the recorder either
                _LOGGER.debug("%s: a text holding a PIN, Assist locked out: ignored", self._title)
                return Screening(Verdict.REFUSED)
            if found is not None and pin_matches(settings.pin_hash, found[0]):
                # Assist turned off, a PIN still stored: the text is a reply, the PIN not in it
                return Screening(Verdict.NOT_FOR_ASSIST, event_text=found[1])
            return Screening(Verdict.NOT_FOR_ASSIST)
        if self._is_answer_to_answer(number, text):
            _LOGGER.debug(
                "%s: a text right after Assist's answer: taken for an auto-reply", self._title
            )
            return Screening(Verdict.IGNORED)
        if settings.trust == TRUST_PIN:
            if found is None:
                # an alert's "OK", a "reply 1": ordinary replies, no failure
                return Screening(Verdict.NOT_FOR_ASSIST)
            return self._check_pin(subentry, settings, *found)
        if not trusted:
            self._fail(subentry)
            # a text opening with a PIN-shaped token may hold the PIN: not in any event
            return Screening(Verdict.REFUSED if found else Verdict.ORDINARY)
        if found is None:
            if DATA_ALERTS in self.hass.data and async_get_alerts(self.hass).acknowledges(
                number, text
            ):
                # an open alert's "OK": it acknowledges the alert, and is not a question
                return Screening(Verdict.NOT_FOR_ASSIST)
            command = text.strip()
            return Screening(Verdict.ACCEPTED, command=command, event_text=command)
        return self._check_pin(subentry, settings, *found)

    def _check_pin(
        self, subentry: ConfigSubentry, settings: AssistSettings, pin: str, rest: str
    ) -> Screening:
        if not pin_matches(settings.pin_hash, pin):
            self._fail(subentry)
            return Screening(Verdict.REFUSED)
        return Screening(Verdict.ACCEPTED, command=rest, pin_given=True, event_text=rest)

    def _is_answer_to_answer(self, number: str, text: str) -> bool:
        last = self._last_answers.get(number)
        if last is None:
            return False
        answer, sent_at = last
        return time.monotonic() - sent_at < LOOP_GUARD_SECONDS or _comparable(text) == answer

    def _fail(self, subentry: ConfigSubentry) -> None:
        """Count a failed check; the fifth in an hour or the tenth in a day locks Assist out.

        Only for this recipient; a repair issue turns it back on.
        """
        failures = self._failures.setdefault(subentry.subentry_id, deque())
        now = time.monotonic()
        _drop_old(failures, now, DAY)
        failures.append(now)
        this_hour = len(_recent(failures, now))
        _LOGGER.debug(
            "%s: a text failed Talk to Assist's check (%d in the past hour, %d in the day)",
            self._title,
            this_hour,
            len(failures),
        )
        if this_hour >= LOCKOUT_FAILURES or len(failures) >= LOCKOUT_FAILURES_A_DAY:
            self._lock_out(subentry.subentry_id)

    def _lock_out(self, subentry_id: str) -> None:
        del self._failures[subentry_id]
        current = self.entry.subentries.get(subentry_id)
        if current is None:
            return
        settings = AssistSettings.of(current.data).locked()
        # recipients' changes do not reload the account (see __init__.py)
        self.hass.config_entries.async_update_subentry(
            self.entry, current, data=with_settings(current.data, settings)
        )
        async_raise_assist_locked_out(self.hass, self.entry, subentry_id, _name(current))
        _LOGGER.info(
            "%s: Talk to Assist is now off for a recipient after %d failed checks in an hour; "
            "the repair issue turns it back on",
            self._title,
            LOCKOUT_FAILURES,
        )

    # --- the exchange, in the background ------------------------------------------------------

    @callback
    def async_start(
        self,
        subentry: ConfigSubentry,
        number: str,
        screening: Screening,
        *,
        recipient: str | None,
        complete: bool,
        received_at: datetime | None,
    ) -> None:
        """Run the exchange of an accepted text (its event has fired)."""
        if received_at is not None and dt_util.utcnow() - received_at > STALE_AFTER:
            _LOGGER.debug("%s: a text received long ago is not passed to Assist", self._title)
            return
        if not complete:
            # a part that never came could have changed the command ("... and unlock")
            _LOGGER.debug("%s: a text that arrived in part is not passed to Assist", self._title)
            return
        if not screening.command:
            _LOGGER.debug("%s: nothing after the PIN: Assist not asked", self._title)
            return
        self.entry.async_create_background_task(
            self.hass,
            self._async_exchange(subentry.subentry_id, number, screening, recipient),
            f"{DOMAIN} assist exchange",
        )

    async def _async_exchange(
        self, subentry_id: str, number: str, screening: Screening, recipient: str | None
    ) -> None:
        subentry = self.entry.subentries.get(subentry_id)
        if subentry is None:
            return
        settings = AssistSettings.of(subentry.data)
        context = Context(user_id=settings.user_id)
        parts: int | None = None
        if not self._take_turn(subentry_id, settings.max_per_hour):
            _LOGGER.debug("%s: Assist's hourly limit for a recipient is reached", self._title)
        elif answer := await self._async_answer(subentry, settings, screening, context):
            parts = await self._async_send(subentry, settings, number, answer)
        data = AssistData(
            account=self.entry.entry_id,
            recipient=recipient,
            agent_id=settings.agent_id,
            answered=parts is not None,
            parts=parts or 0,
            text=mask(screening.command),
        )
        self.hass.bus.async_fire(EVENT_ASSIST, dict(data), context=context)
        async_dispatcher_send(self.hass, SIGNAL_ASSIST.format(self.entry.entry_id), data)

    def _take_turn(self, subentry_id: str, per_hour: int) -> bool:
        """Count an exchange, unless the recipient's hourly limit is reached."""
        exchanges = self._exchanges.setdefault(subentry_id, deque())
        now = time.monotonic()
        _drop_old(exchanges, now)
        if len(exchanges) >= per_hour:
            return False
        exchanges.append(now)
        return True

    async def _async_answer(
        self,
        subentry: ConfigSubentry,
        settings: AssistSettings,
        screening: Screening,
        context: Context,
    ) -> str | None:
        """What to text back: the agent's answer, or Texto's own asking for the PIN."""
        command = screening.command
        if not screening.pin_given and (
            needs_pin(command, self._sensitive_names())
            or self._llm_reaches_sensitive(settings.agent_id)
        ):
            _LOGGER.debug("%s: a lock, alarm, door or cover without the PIN", self._title)
            return await self._async_pin_needed(settings)
        if not await self._async_user_can_act(settings):
            return None
        if "conversation" not in self.hass.config.components:
            _LOGGER.warning("%s: Assist is not set up in Home Assistant: no answer", self._title)
            return None
        # imported once it is loaded: the conversation component is a heavy module
        from homeassistant.components import conversation  # noqa: PLC0415

        if not screening.pin_given and await self._async_recognized_sensitive(
            conversation, command, settings.agent_id, context
        ):
            _LOGGER.debug("%s: Assist would act on a lock, alarm or cover: PIN needed", self._title)
            return await self._async_pin_needed(settings)
        if conversation.async_get_agent_info(self.hass, settings.agent_id) is None:
            _LOGGER.warning(
                "%s: the conversation agent chosen for a recipient is not there", self._title
            )
            return None
        try:
            async with asyncio.timeout(AGENT_TIMEOUT):
                result = await conversation.async_converse(
                    self.hass,
                    command,
                    # one conversation per recipient: "and the garage?" follows on; the
                    # texts without the PIN have their own, so that "the left one" does
                    # not carry on "1234 open the garage"
                    f"texto-{subentry.subentry_id}{'-pin' if screening.pin_given else ''}",
                    context,
                    language=self.hass.config.language,
                    agent_id=settings.agent_id,
                )
                response = result.response
                speech = str((response.speech.get("plain") or {}).get("speech") or "")
                not_understood = (
                    response.response_type is intent.IntentResponseType.ERROR
                    and response.error_code is intent.IntentResponseErrorCode.NO_INTENT_MATCH
                )
        except TimeoutError:
            _LOGGER.warning(
                "%s: the conversation agent did not answer within %g s", self._title, AGENT_TIMEOUT
            )
            return None
        except Exception as err:  # noqa: BLE001 - another integration's agent: anything
            # its type only: the message could quote the text
            _LOGGER.warning(
                "%s: the conversation agent failed (%s)", self._title, type(err).__name__
            )
            return None
        if not_understood and not screening.pin_given:
            # "thanks", "👍", an auto-reply: a paid "Sorry, I couldn't understand" helps no one
            _LOGGER.debug("%s: Assist did not understand a text without the PIN", self._title)
            return None
        # a lone surrogate from an agent cannot be encoded for the network
        return "".join(c for c in speech if not 0xD800 <= ord(c) <= 0xDFFF).strip() or None

    async def _async_recognized_sensitive(
        self, conversation: Any, command: str, agent_id: str, context: Context
    ) -> bool:
        """Whether Home Assistant's own agent would act on a lock, alarm panel, cover, valve.

        Its own intent recognition is asked first, and the targets it would reach looked up
        as it would look them up ("set the kitchen to 100%" reaches the kitchen's covers, in
        no word of the text). A question ("HassGetState") acts on nothing. Should this
        Home Assistant's agent be asked differently, the words alone decide (logged).
        """
        if agent_id != DEFAULT_AGENT_ID:
            return False
        agent = conversation.async_get_agent(self.hass, DEFAULT_AGENT_ID)
        try:
            result = await agent.async_recognize_intent(
                conversation.ConversationInput(
                    text=command,
                    context=context,
                    conversation_id=None,
                    device_id=None,
                    satellite_id=None,
                    language=self.hass.config.language,
                    agent_id=DEFAULT_AGENT_ID,
                )
            )
        except Exception as err:  # noqa: BLE001 - Home Assistant's own API, which may change
            _LOGGER.debug("%s: intent recognition not available (%s)", self._title, err)
            return False
        if result is None or "Get" in result.intent.name:
            return False
        slots = {name: entity.value for name, entity in result.entities.items()}
        domains = _as_list(slots.get("domain"))
        if any(domain in SENSITIVE_DOMAINS for domain in domains):
            return True
        constraints = intent.MatchTargetsConstraints(
            name=_as_text(slots.get("name")),
            area_name=_as_text(slots.get("area")),
            floor_name=_as_text(slots.get("floor")),
            domains=domains or None,
            device_classes=_as_list(slots.get("device_class")) or None,
            assistant="conversation",
        )
        if not (constraints.name or constraints.area_name or constraints.floor_name):
            return False
        match = intent.async_match_targets(self.hass, constraints)
        return any(state.domain in SENSITIVE_DOMAINS for state in match.states)

    def _llm_reaches_sensitive(self, agent_id: str) -> bool:
        """Whether an agent other than HA's own can act on an exposed lock, alarm, cover, valve.

        Words cannot bound what an LLM understands ("let the delivery man in"): every text
        without the PIN needs it then.
        """
        if agent_id == DEFAULT_AGENT_ID:
            return False
        try:
            return any(
                async_should_expose(self.hass, "conversation", state.entity_id)
                for state in self.hass.states.async_all(SENSITIVE_DOMAINS)
            )
        except KeyError:  # Home Assistant's exposure settings not loaded: assume exposed
            return bool(self.hass.states.async_entity_ids(SENSITIVE_DOMAINS))

    async def _async_user_can_act(self, settings: AssistSettings) -> bool:
        """Whether the user the exchanges act as still exists and is active (when one is set)."""
        if settings.user_id is None:
            return True
        user = await self.hass.auth.async_get_user(settings.user_id)
        if user is not None and user.is_active:
            return True
        _LOGGER.warning(
            "%s: the Home Assistant user chosen for a recipient is gone or inactive: "
            "Assist not asked",
            self._title,
        )
        return False

    async def _async_send(
        self, subentry: ConfigSubentry, settings: AssistSettings, number: str, answer: str
    ) -> int | None:
        """Send ``answer`` to ``number``, cut to its parts; the parts billed, None if not sent."""
        try:
            request = self._outbox.build_request(
                [number],
                answer,
                max_parts=settings.max_parts,
                text_policy=str(TextPolicy.AUTO),
                reference=f"assist-{subentry.subentry_id}",
            )
            # no custom sender: a name cannot be answered, and the next text follows on
            request = replace(request, sender=None)
            text = fit_answer(answer, lambda candidate: self._fits(request, candidate))
            request = replace(request, text=text)
            sent_text = self._outbox.prepare(request).message.text
            # before the send: an auto-reply cannot come sooner than this
            self._last_answers[number] = (_comparable(sent_text), time.monotonic())
            outcome = await self._outbox.async_send(request, wait=False)
        except ServiceValidationError as err:
            if err.translation_key == "spending_cap_reached":
                _LOGGER.debug("%s: the daily cap refused an Assist answer", self._title)
                async_raise_assist_capped(self.hass, self.entry, _name(subentry))
                return None
            _LOGGER.warning(
                "%s: an Assist answer was refused (%s)", self._title, err.translation_key
            )
            return None
        except HomeAssistantError as err:
            _LOGGER.warning(
                "%s: an Assist answer could not be queued (%s)", self._title, err.translation_key
            )
            return None
        except GatewayError as err:
            _LOGGER.warning(
                "%s: an Assist answer could not be sent (%s)", self._title, type(err).__name__
            )
            return None
        return outcome.prepared.billed_parts

    def _fits(self, request: SendRequest, text: str) -> bool:
        try:
            self._outbox.prepare(replace(request, text=text))
        except MessageTooLongError:
            return False
        return True

    # --- what it reads around it ----------------------------------------------------------

    def _sensitive_names(self) -> Iterator[str]:
        """Names and aliases of the locks, alarm panels and covers (exposed or not)."""
        registry = er.async_get(self.hass)
        for state in self.hass.states.async_all(SENSITIVE_DOMAINS):
            yield state.name
            yield state.object_id.replace("_", " ")
            if (registered := registry.async_get(state.entity_id)) is not None:
                yield from (alias for alias in registered.aliases if isinstance(alias, str))

    async def _async_pin_needed(self, settings: AssistSettings) -> str:
        """The answer to a text that would need the PIN, in Home Assistant's language."""
        key = "assist_needs_pin" if settings.pin_set else "assist_no_pin"
        return (await async_common_texts(self.hass, {key: _ENGLISH[key]}))[key]

    def _recipients(self) -> Iterator[ConfigSubentry]:
        for subentry in self.entry.subentries.values():
            if subentry.subentry_type == SUBENTRY_TYPE_RECIPIENT:
                yield subentry

    @property
    def _title(self) -> str:
        return self.entry.title


def _name(subentry: ConfigSubentry) -> str:
    """How issues name a recipient: as its row does (a nameless one's number is masked there)."""
    return subentry.title


def _comparable(text: str) -> str:
    """A text as the loop guard compares it: spaces, case and "…" as GSM-7 writes it."""
    return " ".join(text.replace("…", "...").split()).casefold()


def _as_list(value: object) -> list[str]:
    """A slot's value as a list of words (a slot may hold one or several)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return []


def _as_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _drop_old(times: deque[float], now: float, window: float = WINDOW) -> None:
    while times and now - times[0] >= window:
        times.popleft()


def _recent(times: deque[float] | None, now: float) -> list[float]:
    return [] if times is None else [at for at in times if now - at < WINDOW]
