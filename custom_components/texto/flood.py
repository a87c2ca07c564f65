"""A bound on unverified replies: what anyone holding a webhook URL can post, at will.

A reply Texto cannot verify (a stranger's, or a forged callback from any number) becomes an
event like any other, but at most ``limit`` of them a minute per account: a flood of forged
callbacks would otherwise fill the event bus, the event entity and the recorder. The ones
over the bound are not fired, only counted: one debug line a minute sums them up, and
diagnostics show the total. Verified replies and delivery reports never pass through here,
so they never wait behind a flood.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

_LOGGER = logging.getLogger(__name__)

#: the length of the window the bound counts in, in seconds
WINDOW: Final = 60.0


class UnverifiedReplyBound:
    """At most ``limit`` unverified replies a minute; the others counted, not fired."""

    def __init__(self, hass: HomeAssistant, account_title: str, limit: int) -> None:
        self._hass = hass
        self._account_title = account_title
        self._limit = limit
        #: when the current window began (seconds since the epoch) and what it let through
        self._window_start = 0.0
        self._let_through = 0
        #: held back since the last summary line, and since the account started
        self._held_back = 0
        self.held_back_total = 0
        self._summary_due: CALLBACK_TYPE | None = None

    @callback
    def allow(self) -> bool:
        """Whether one more unverified reply may fire now (counted when it may not)."""
        now = dt_util.utcnow().timestamp()
        if now - self._window_start >= WINDOW:
            self._window_start = now
            self._let_through = 0
        if self._let_through < self._limit:
            self._let_through += 1
            return True
        self._held_back += 1
        self.held_back_total += 1
        if self._summary_due is None:
            self._summary_due = async_call_later(self._hass, WINDOW, self._summarize)
        return False

    @callback
    def _summarize(self, _now: datetime | None = None) -> None:
        self._summary_due = None
        if self._held_back:
            _LOGGER.debug(
                "%s: %d unverified replies not fired in the last minute (at most %d a minute)",
                self._account_title,
                self._held_back,
                self._limit,
            )
            self._held_back = 0

    @callback
    def async_stop(self) -> None:
        """Say what is still held back, and schedule nothing more (the account unloads)."""
        if self._summary_due is not None:
            self._summary_due()
        self._summarize()
