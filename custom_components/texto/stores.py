"""What an account keeps on disk: its stores, declared here with their versions and migrations.

Every store is private (numbers, texts, ids) and belongs to one config entry:

* ``outbox``: the sends not final yet, a journal rather than a store (journal.py: a
  change appends a record instead of rewriting the file); the store it was before is
  migrated;
* ``sent``: the recent sends, to tie reports and replies back to them (sent_log.py);
* ``seen``: digests of the reports and replies already turned into events (inbox.py);
* ``scheduled``: the future sends, so they can be cancelled (scheduled.py);
* ``state``: the small things, in one file: the last send (last_status.py) and today's
  billed parts (spending.py). Before 0.3 they had a file each, read once then removed.

A store whose shape changes gets a new version and a migration function below; Home
Assistant calls it when it reads an older file. ``AccountStores.async_remove`` removes them
all when the entry is removed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .journal import JournalFiles, OutboxJournal, journal_path

#: seconds between a change that may wait and its write (a burst of changes: one write)
SAVE_DELAY: Final = 5

type Migration = Callable[[Any], Any]


class TextoStore[T: (Mapping[str, Any] | Sequence[Any])](Store[T]):
    """A private store of one account, migrated step by step from any older version."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        name: str,
        version: int,
        migrations: Mapping[int, Migration] | None = None,
    ) -> None:
        super().__init__(hass, version, f"{DOMAIN}.{entry_id}.{name}", private=True)
        #: old version -> the function that brings its data to the next one
        self._migrations = migrations or {}

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: Any
    ) -> T:
        if old_major_version > self.version:
            # written by a newer Texto: downgrading is not supported
            raise NotImplementedError
        data = old_data
        for version in range(old_major_version, self.version):
            data = self._migrations[version](data)
        return data  # type: ignore[no-any-return]


# --- migrations ------------------------------------------------------------------------------


def _result_v1_to_v2(result: dict[str, Any]) -> dict[str, Any]:
    """A stored send result: ``provider`` became ``route``; the balance is kept now."""
    migrated = {key: value for key, value in result.items() if key != "provider"}
    migrated["route"] = result["provider"]
    migrated.setdefault("credits_used", None)
    migrated.setdefault("balance", None)
    return migrated


def _outbox_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    items = []
    for item in data.get("items", []):
        result = item.get("result")
        items.append({**item, "result": None if result is None else _result_v1_to_v2(result)})
    return {**data, "items": items}


def _scheduled_v1_to_v2(data: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {message_id: _result_v1_to_v2(result) for message_id, result in data.items()}


def _sent_v1_to_v2(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    migrated = []
    for sent in data:
        entry = {key: value for key, value in sent.items() if key != "provider"}
        entry["route"] = sent["provider"]
        entry.setdefault("text_digest", None)
        migrated.append(entry)
    return migrated


def _outbox_v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    """Requests keep no webhook URL: delivery attaches the current one at each attempt."""
    items = []
    for item in data.get("items", []):
        request = dict(item.get("request") or {})
        request.update(delivery_report_url=None, reply_url=None)
        items.append({**item, "request": request})
    return {**data, "items": items}


def _sent_v2_to_v3(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``replies_allowed`` now says whether the send could take replies: any AllMySMS send."""
    return [
        {**sent, "replies_allowed": sent.get("replies_allowed") or sent.get("route") == "allmysms"}
        for sent in data
    ]


def _seen_v1_to_v2(data: dict[str, float]) -> dict[str, dict[str, float]]:
    """Two rooms: keys tied to a Texto send, and the others (the old keys count as tied)."""
    return {"tied": dict(data), "untied": {}}


def _scheduled_v2_to_v3(data: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The text is kept only where cancelling repeats the send (123-SMS)."""
    return {
        message_id: result if result.get("route") == "sms123" else {**result, "text": ""}
        for message_id, result in data.items()
    }


# --- the stores of an account ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountStores:
    """The stores of one account."""

    outbox: OutboxJournal
    sent: TextoStore[list[dict[str, Any]]]
    seen: TextoStore[dict[str, dict[str, float]]]
    scheduled: TextoStore[dict[str, dict[str, Any]]]
    state: AccountState

    @classmethod
    def of(cls, hass: HomeAssistant, entry_id: str) -> AccountStores:
        """The stores of the entry ``entry_id``."""
        return cls(
            outbox=OutboxJournal(
                hass,
                JournalFiles(journal_path(hass, entry_id)),
                # the outbox before the journal: read when there is no journal yet
                TextoStore(hass, entry_id, "outbox", 3, {1: _outbox_v1_to_v2, 2: _outbox_v2_to_v3}),
            ),
            sent=TextoStore(hass, entry_id, "sent", 3, {1: _sent_v1_to_v2, 2: _sent_v2_to_v3}),
            seen=TextoStore(hass, entry_id, "seen", 2, {1: _seen_v1_to_v2}),
            scheduled=TextoStore(
                hass, entry_id, "scheduled", 3, {1: _scheduled_v1_to_v2, 2: _scheduled_v2_to_v3}
            ),
            state=AccountState(hass, entry_id),
        )

    async def async_remove(self) -> None:
        """Remove every file of the account (the entry is removed)."""
        await self.outbox.async_remove()
        for store in (self.sent, self.seen, self.scheduled):
            await store.async_remove()
        await self.state.async_remove()


#: the parts of the ``state`` store, each kept before 0.3 in a store of its own (version 1)
STATE_PARTS: Final = ("last_send", "spending")


class AccountState:
    """The ``state`` store: small parts (last send, spending), each owned by one module.

    An owner reads its part with ``part`` once loaded, registers how to dump it with
    ``async_track``, and calls ``async_schedule_save`` after each change.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._hass = hass
        self._entry_id = entry_id
        self._store: TextoStore[dict[str, Any]] = TextoStore(hass, entry_id, "state", 1)
        self._loaded: dict[str, Any] = {}
        self._dumps: dict[str, Callable[[], Any]] = {}

    def _legacy(self, name: str) -> Store[Any]:
        return Store(self._hass, 1, f"{DOMAIN}.{self._entry_id}.{name}", private=True)

    async def async_load(self) -> None:
        """Read the parts; the first time, from the files Texto kept before 0.3 (then removed)."""
        stored = await self._store.async_load()
        if stored is None:
            stored = {}
            for name in STATE_PARTS:
                legacy = self._legacy(name)
                if (data := await legacy.async_load()) is not None:
                    stored[name] = data
            if stored:
                await self._store.async_save(stored)
            for name in STATE_PARTS:
                await self._legacy(name).async_remove()
        self._loaded = stored

    def part(self, name: str) -> Any:
        """A part as stored (None when it never was)."""
        return self._loaded.get(name)

    @callback
    def async_track(self, name: str, dump: Callable[[], Any]) -> None:
        """Write ``dump()`` as the part ``name`` at every save (None: not written)."""
        self._dumps[name] = dump

    @callback
    def async_schedule_save(self) -> None:
        """Write the parts soon: a burst of changes makes one write."""
        self._store.async_delay_save(self._dump, SAVE_DELAY)

    async def async_flush(self) -> None:
        """Write the parts now (the entry unloads: the next account reads them)."""
        await self._store.async_save(self._dump())

    async def async_remove(self) -> None:
        """Remove the file, and any file of an older Texto."""
        await self._store.async_remove()
        for name in STATE_PARTS:
            await self._legacy(name).async_remove()

    def _dump(self) -> dict[str, Any]:
        parts = dict(self._loaded)
        for name, dump in self._dumps.items():
            if (value := dump()) is not None:
                parts[name] = value
        self._loaded = parts
        return parts
