"""One notify entity per recipient: ``notify.send_message`` sends them an SMS."""

from __future__ import annotations

from typing import Any, override

from homeassistant.components.notify import NotifyEntity, NotifyEntityFeature
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_PHONE_NUMBER, SUBENTRY_TYPE_RECIPIENT
from .entity import TextoEntity, recipient_device
from .entry import TextoConfigEntry
from .responses import send_response

# No limit here: every send goes through the account's outbox, which bounds the attempts
# running at once (a caller waiting for a slow gateway must not hold up the others).
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TextoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a notify entity for each recipient subentry, and follow the subentries.

    A recipient added later gets its entity at once; a changed one sends to its new
    number under its new name; a removed one loses entity and device with its subentry
    (Home Assistant removes them). The account is not reloaded for any of it.
    """
    entities: dict[str, RecipientNotifyEntity] = {}

    @callback
    def follow_subentries() -> None:
        for subentry_id, subentry in entry.subentries.items():
            if subentry.subentry_type != SUBENTRY_TYPE_RECIPIENT:
                continue
            if (entity := entities.get(subentry_id)) is not None:
                entity.async_follow(subentry)
                continue
            entities[subentry_id] = RecipientNotifyEntity(entry, subentry)
            async_add_entities([entities[subentry_id]], config_subentry_id=subentry_id)
        for subentry_id in set(entities) - set(entry.subentries):
            del entities[subentry_id]

    async def async_subentries_changed(hass: HomeAssistant, entry: TextoConfigEntry) -> None:
        follow_subentries()

    follow_subentries()
    entry.async_on_unload(entry.add_update_listener(async_subentries_changed))


class RecipientNotifyEntity(TextoEntity, NotifyEntity):
    """Sends SMS to one recipient; named after its device (the recipient)."""

    _attr_name = None
    _attr_translation_key = "recipient"
    _attr_supported_features = NotifyEntityFeature.TITLE

    def __init__(self, entry: TextoConfigEntry, subentry: ConfigSubentry) -> None:
        super().__init__(entry, subentry.subentry_id, recipient_device(entry, subentry))
        self.phone_number: str = subentry.data[CONF_PHONE_NUMBER]

    @callback
    def async_follow(self, subentry: ConfigSubentry) -> None:
        """The recipient was changed: its new number, and its device's new name."""
        self.phone_number = subentry.data[CONF_PHONE_NUMBER]
        device = recipient_device(self.entry, subentry)
        if device != self._attr_device_info and self.device_entry is not None:
            self._attr_device_info = device
            dr.async_get(self.hass).async_update_device(
                self.device_entry.id, name=device.get("name")
            )

    @override
    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send ``message`` (after ``title`` on its own line, when given).

        Waits like the actions' default ``wait``: a final failure raises.
        """
        text = f"{title}\n{message}" if title else message
        await self.account.async_send(self.account.build_request([self.phone_number], text))

    async def async_send_sms(
        self, message: str, *, wait: bool = True, **options: Any
    ) -> dict[str, Any]:
        """The ``texto.send_message`` action: an SMS with Texto's options, and its result.

        ``options`` are the action's optional fields (sender, send_at, max_parts,
        text_policy, reference, flash, voice), checked by ``build_request``; ``wait``
        says whether to wait for the outcome (see the action).
        """
        request = self.account.build_request([self.phone_number], message, **options)
        result = await self.account.async_send(request, wait=wait)
        # From HA 2026.4 a custom action records the notification itself (older: no such API).
        record = getattr(self, "_async_record_notification", None)
        if record is not None:
            record()
        return send_response(result)
