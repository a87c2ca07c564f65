"""The alerts' write-ahead journal: one JSON line per change of an alert, replayed at start-up.

Beside the outbox's journals, ``.storage/texto.alerts.journal``, with the same file
operations (``journal.JournalFiles``: private, appends synced on demand, atomic rewrites).
Each record is the whole alert as it now stands (an alert is small): replaying keeps the
last record of each. What precedes an SMS (a step *starting*, with its outbox reference) is
synced to the disk before the SMS is submitted; that is what makes a step go out once
whatever the moment of a crash (see ``alerts.py``). Past a bound the file is rewritten as one
snapshot of the alerts kept (ended ones go after a day). A record that cannot be read (cut
short by a power cut) is skipped with one WARNING, the others recovered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Protocol

from homeassistant.core import HomeAssistant
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.storage import STORAGE_DIR
from homeassistant.util.json import json_loads

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

VERSION: Final = 1
#: records since the last snapshot before one is due, at least, and per alert kept
COMPACT_MIN: Final = 100
COMPACT_PER_ALERT: Final = 4

type AlertData = dict[str, Any]


class AlertFiles(Protocol):
    """What the journal needs of its file (``journal.JournalFiles``; tests keep it in memory)."""

    def read(self) -> bytes | None:
        """The file's content (None: no journal yet)."""

    def append(self, data: bytes, *, sync: bool) -> None:
        """Append ``data`` (with ``sync``: on the disk when it returns)."""

    def replace(self, data: bytes) -> None:
        """Make ``data`` the whole file, atomically."""


def alerts_journal_path(hass: HomeAssistant) -> Path:
    """Where the alerts' journal lives."""
    return Path(hass.config.path(STORAGE_DIR, f"{DOMAIN}.alerts.journal"))


class AlertStore:
    """The journal of every alert; ``snapshot`` gives the alerts to keep at a compaction."""

    def __init__(self, hass: HomeAssistant, files: AlertFiles) -> None:
        self._hass = hass
        self.files = files
        self.snapshot: Callable[[], list[AlertData]] = list
        #: one write at a time, in order (appends must not interleave)
        self._lock = asyncio.Lock()
        self._records = 0

    async def async_load(self) -> list[AlertData]:
        """The alerts as the journal leaves them (oldest first)."""
        content = await self._hass.async_add_executor_job(self.files.read)
        if not content:
            return []
        alerts, unreadable = replay_alerts(content)
        if unreadable:
            _LOGGER.warning(
                "Alerts journal: %d unreadable record(s) skipped (a write cut short?), "
                "the others recovered",
                unreadable,
            )
        self._records = len(content.splitlines())
        return alerts

    async def async_write(self, alert: AlertData, *, sync: bool) -> None:
        """Append the alert as it now stands; with ``sync``, return once it is on the disk."""
        line = json_bytes({"kind": "alert", "alert": alert}) + b"\n"
        async with self._lock:
            await self._hass.async_add_executor_job(_append, self.files, line, sync)
            self._records += 1
            if self._records >= max(COMPACT_MIN, COMPACT_PER_ALERT * len(self.snapshot())):
                await self._async_compact_locked()

    async def async_compact(self) -> None:
        """Rewrite the file as one snapshot (start-up: no torn line stays, old alerts go)."""
        async with self._lock:
            await self._async_compact_locked()

    async def _async_compact_locked(self) -> None:
        snapshot = {"kind": "snapshot", "version": VERSION, "alerts": self.snapshot()}
        await self._hass.async_add_executor_job(self.files.replace, json_bytes(snapshot) + b"\n")
        self._records = 1


def _append(files: AlertFiles, line: bytes, sync: bool) -> None:
    files.append(line, sync=sync)


def replay_alerts(content: bytes) -> tuple[list[AlertData], int]:
    """The alerts a journal's content leaves, and how many records could not be read."""
    alerts: dict[str, AlertData] = {}
    unreadable = 0
    for line in content.splitlines():
        if not line.strip():
            continue
        try:
            if not _apply(alerts, json_loads(line)):
                unreadable += 1
        except (ValueError, KeyError, TypeError, AttributeError):
            unreadable += 1
    return list(alerts.values()), unreadable


def _apply(alerts: dict[str, AlertData], record: Any) -> bool:
    """Replay one record over ``alerts`` (False: it is not one this version reads)."""
    if record["kind"] == "snapshot" and record["version"] == VERSION:
        alerts.clear()
        alerts.update((str(alert["alert_id"]), alert) for alert in record["alerts"])
        return True
    if record["kind"] == "alert":
        alert = record["alert"]
        alerts[str(alert["alert_id"])] = alert
        return True
    return False
