"""One ``Send a test SMS`` button per recipient, and a modem account's ``Restart the modem``.

Pressing a test button sends a short fixed text, in Home Assistant's language, to the
recipient through the account's outbox, exactly like any other send: the sensors, the
events and the delivery report follow it. Disabled by default: each press is a billed SMS.
Restarting the modem turns its radio off and on, then initialises it again.
"""

from __future__ import annotations

from typing import Final, override

from homeassistant.components.button import ButtonDeviceClass, ButtonEntity
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .common_texts import async_common_texts
from .const import CONF_PHONE_NUMBER, SUBENTRY_TYPE_RECIPIENT
from .entity import TextoEntity, account_device, recipient_device
from .entry import TextoConfigEntry

# No limit here: the outbox bounds the attempts running at once
PARALLEL_UPDATES = 0

#: the text's key under ``common`` in the translations, and its English (a missing language)
TEST_SMS_KEY: Final = "test_sms"
TEST_SMS_ENGLISH: Final = "Texto test: this SMS was sent by Home Assistant. No need to reply."


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TextoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a button for each recipient subentry, and for each one added later.

    A removed recipient's button goes with its subentry (Home Assistant removes it); a
    changed one reads the recipient's number when pressed.
    """
    added: set[str] = set()

    @callback
    def add_new_recipients() -> None:
        added.intersection_update(entry.subentries)
        for subentry_id, subentry in entry.subentries.items():
            if subentry.subentry_type != SUBENTRY_TYPE_RECIPIENT or subentry_id in added:
                continue
            added.add(subentry_id)
            async_add_entities([TestSmsButton(entry, subentry)], config_subentry_id=subentry_id)

    async def async_subentries_changed(hass: HomeAssistant, entry: TextoConfigEntry) -> None:
        add_new_recipients()

    if entry.runtime_data.modem is not None:
        async_add_entities([RestartModemButton(entry)])
    add_new_recipients()
    entry.async_on_unload(entry.add_update_listener(async_subentries_changed))


class TestSmsButton(TextoEntity, ButtonEntity):
    """Sends the recipient a short test SMS through the account's outbox."""

    _attr_translation_key = "send_test_sms"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_entity_registry_enabled_default = False

    def __init__(self, entry: TextoConfigEntry, subentry: ConfigSubentry) -> None:
        super().__init__(
            entry, f"{subentry.subentry_id}_send_test_sms", recipient_device(entry, subentry)
        )
        self._subentry_id = subentry.subentry_id

    @override
    async def async_press(self) -> None:
        """Send the test text; like the actions' default, a final failure raises."""
        number = self.entry.subentries[self._subentry_id].data[CONF_PHONE_NUMBER]
        text = await async_test_text(self.hass)
        await self.account.async_send(self.account.build_request([number], text))


class RestartModemButton(TextoEntity, ButtonEntity):
    """Turns the modem's radio off and on, then initialises it again."""

    _attr_translation_key = "restart_modem"
    _attr_device_class = ButtonDeviceClass.RESTART
    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, entry: TextoConfigEntry) -> None:
        super().__init__(entry, "restart_modem", account_device(entry))

    @override
    async def async_press(self) -> None:
        """Restart the radio; a modem that does not restart raises a translated error."""
        assert self.account.modem is not None  # the button exists only then
        await self.account.modem.async_restart()


async def async_test_text(hass: HomeAssistant) -> str:
    """The test SMS's text in Home Assistant's language."""
    texts = await async_common_texts(hass, {TEST_SMS_KEY: TEST_SMS_ENGLISH})
    return texts[TEST_SMS_KEY]
