"""The spending guard: a daily cap on billed parts, so an automation loop cannot empty the account.

The cap is the entry's ``daily_parts_cap`` option (0 or absent: no cap). The guard counts the
parts billed on Home Assistant's local day in a private store, so a restart does not reset
it. A send is checked when it is submitted, before it enters the outbox: parts already
billed today, plus the parts of the sends checked but not yet settled, plus its own parts
must stay within the cap. A refused send raises a translated error and a repair issue says
why; the issue goes away the next day, or when the cap is raised or removed (options change
reloads the entry, and a new guard looks again).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.util import dt as dt_util

from .const import CONF_DAILY_PARTS_CAP, CONF_MAX_AGE, DEFAULT_MAX_AGE
from .errors import validation_error
from .issues import async_clear_spending_cap, async_raise_spending_cap
from .stores import AccountState

#: a held reservation is dropped this long after its send's maximum age, whatever happened
HOLD_MARGIN: Final = timedelta(minutes=5)


@dataclass(slots=True)
class _Hold:
    """Parts set aside for a send that was checked and has not been settled yet."""

    parts: int
    #: time.monotonic() after which the hold no longer counts
    until: float


class SpendingGuard:
    """Counts the parts billed today (Home Assistant's local day) against the option's cap.

    A send goes through ``check`` (refused, or its parts held), then ``record`` (billed:
    counted, its hold dropped) or ``release`` (nothing billed: its hold dropped). A hold
    left unsettled lapses after the maximum age of a send, so a forgotten release cannot
    block the account.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], state: AccountState) -> None:
        self.hass = hass
        self.entry = entry
        self._state = state
        self._day: date = dt_util.now().date()
        self._used = 0
        #: the cap in force when a send was refused today (None: none refused today)
        self._refused_at_cap: int | None = None
        self._holds: deque[_Hold] = deque()
        self._stop_midnight: CALLBACK_TYPE | None = None
        #: the number of the last journal receipt counted (journal.py: a crash loses none)
        self._receipt_seq = 0

    # --- the figures ------------------------------------------------------------------------

    @property
    def cap(self) -> int:
        """The cap on billed parts per day; 0 when there is none."""
        return int(self.entry.options.get(CONF_DAILY_PARTS_CAP) or 0)

    @property
    def used(self) -> int:
        """Parts billed today."""
        self._roll_over()
        return self._used

    @property
    def held(self) -> int:
        """Parts of the sends checked and not yet settled."""
        now = time.monotonic()
        while self._holds and self._holds[0].until <= now:
            self._holds.popleft()
        return sum(hold.parts for hold in self._holds)

    # --- life cycle -------------------------------------------------------------------------

    def async_load(self) -> None:
        """Read today's count (the state store is loaded); show or withdraw the repair issue.

        Also starts the midnight reset; both stop with the entry.
        """
        stored = self._state.part("spending")
        if stored is not None:
            self._receipt_seq = int(stored.get("receipt_seq", 0))
        if stored is not None and date.fromisoformat(stored["day"]) == self._day:
            self._used = int(stored["parts"])
            self._refused_at_cap = stored.get("refused_at_cap")
        self._state.async_track("spending", self._as_dict)
        self._update_issue()
        self._stop_midnight = async_track_time_change(
            self.hass, self._async_midnight, hour=0, minute=0, second=0
        )
        self.entry.async_on_unload(self.async_shutdown)

    @callback
    def async_shutdown(self) -> None:
        """Stop the midnight reset (the entry unloads; the account flushes the store)."""
        if self._stop_midnight is not None:
            self._stop_midnight()
            self._stop_midnight = None

    # --- a send's way through the guard ------------------------------------------------------

    def check(self, parts: int) -> None:
        """Refuse ``parts`` more when they would pass the cap; else hold them for the send.

        Raise a translated ServiceValidationError (and the repair issue saying why); do
        nothing when the cap is off (0).
        """
        cap = self.cap
        if not cap:
            return
        used = self.used
        if used + self.held + parts > cap:
            self._refused_at_cap = cap
            self._save()
            async_raise_spending_cap(self.hass, self.entry, cap=cap, used=used)
            raise validation_error("spending_cap_reached", cap=cap, used=used, parts=parts)
        self.hold(parts)

    def hold(self, parts: int) -> None:
        """Hold ``parts`` for a send already accepted (one a restart found waiting)."""
        max_age = timedelta(minutes=self.entry.options.get(CONF_MAX_AGE) or 0) or DEFAULT_MAX_AGE
        lapse = (max_age + HOLD_MARGIN).total_seconds()
        self._holds.append(_Hold(parts, time.monotonic() + lapse))

    def today(self) -> date:
        """The local day parts billed now count for."""
        self._roll_over()
        return self._day

    def record(self, parts: int, *, held: int | None = None, receipt: int = 0) -> None:
        """Count ``parts`` billed (an accepted send), and drop its hold.

        ``held``: the parts its check held, when they differ from those billed;
        ``receipt``: the number of the journal's receipt for these parts.
        """
        self._roll_over()
        self._used += parts
        self._receipt_seq = max(self._receipt_seq, receipt)
        self.release(parts if held is None else held)
        self._save()

    def restore(self, day: date, parts: int, receipt: int) -> None:
        """Count the parts of a journal receipt that the store may not hold (a crash).

        The store says which receipt it counted last: none is counted twice.
        """
        if receipt <= self._receipt_seq:
            return
        self._receipt_seq = receipt
        if day == self._day:
            self._used += parts
        self._save()

    def release(self, parts: int) -> None:
        """Drop the hold of a checked send that billed nothing (failed, expired)."""
        while parts > 0 and self._holds:
            oldest = self._holds[0]
            taken = min(parts, oldest.parts)
            oldest.parts -= taken
            parts -= taken
            if not oldest.parts:
                self._holds.popleft()

    # --- days -------------------------------------------------------------------------------

    def _roll_over(self) -> None:
        """Start a new count when the local day changed since the last one."""
        today = dt_util.now().date()
        if today == self._day:
            return
        self._day, self._used, self._refused_at_cap = today, 0, None
        async_clear_spending_cap(self.hass, self.entry)
        self._save()

    @callback
    def _async_midnight(self, now: datetime) -> None:
        self._roll_over()

    @callback
    def _update_issue(self) -> None:
        """Keep the issue while today's refusal still holds: same day, cap not raised."""
        cap, refused_at = self.cap, self._refused_at_cap
        if refused_at is None or not cap or cap > refused_at:
            self._refused_at_cap = None
            async_clear_spending_cap(self.hass, self.entry)
            return
        # issues are not kept across restarts: show it again
        async_raise_spending_cap(self.hass, self.entry, cap=cap, used=self._used)

    # --- storage ----------------------------------------------------------------------------

    def _as_dict(self) -> dict[str, Any]:
        return {
            "day": self._day.isoformat(),
            "parts": self._used,
            "refused_at_cap": self._refused_at_cap,
            "receipt_seq": self._receipt_seq,
        }

    def _save(self) -> None:
        self._state.async_schedule_save()
