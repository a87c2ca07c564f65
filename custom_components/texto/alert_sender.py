"""How alerts reach people: recipients resolved to accounts, steps through their outboxes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import override

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er

from .account import TextoAccount
from .alerts import AlertSender, Rung, SpendingCapError
from .const import (
    CONF_PHONE_NUMBER,
    DOMAIN,
    SUBENTRY_TYPE_RECIPIENT,
)
from .errors import gateway_error, raise_translated, route_name, validation_error
from .gateway.errors import GatewayError, MessageTooLongError
from .gateway.models import Route
from .requests import replies_come_back


def _account(hass: HomeAssistant, entry_id: str) -> TextoAccount | None:
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        return None
    account: TextoAccount = entry.runtime_data
    return account


def resolve_rung(hass: HomeAssistant, entity_id: str) -> tuple[Rung, TextoAccount]:
    """A ladder's recipient from its notify entity; a translated refusal when it is not one."""
    registered = er.async_get(hass).async_get(entity_id)
    if (
        registered is None
        or registered.platform != DOMAIN
        or registered.domain != Platform.NOTIFY
        or registered.config_entry_id is None
        or registered.config_subentry_id is None
        or (account := _account(hass, registered.config_entry_id)) is None
    ):
        raise validation_error("alert_recipient_unknown", entity_id=entity_id)
    subentry = account.entry.subentries.get(registered.config_subentry_id)
    if subentry is None or subentry.subentry_type != SUBENTRY_TYPE_RECIPIENT:
        raise validation_error("alert_recipient_unknown", entity_id=entity_id)
    rung = Rung(
        entity_id=entity_id,
        entry_id=account.entry.entry_id,
        subentry_id=subentry.subentry_id,
        number=subentry.data[CONF_PHONE_NUMBER],
        name=subentry.data.get(CONF_NAME) or subentry.title,
    )
    return rung, account


def check_rung(
    account: TextoAccount,
    rung: Rung,
    message: str,
    *,
    reply: bool,
    call: bool,
    max_parts: int | None,
) -> None:
    """Refuse at once what the rung's route cannot do: receive replies, call, fit the message."""
    gateway = account.routes.first_gateway
    capabilities = gateway.capabilities
    if reply and not replies_come_back(capabilities, account.entry.options):
        raise validation_error(
            "alert_reply_not_received",
            entity_id=rung.entity_id,
            gateway=_route_label(gateway.route),
        )
    if call and not capabilities.voice:
        raise validation_error(
            "alert_call_not_possible",
            entity_id=rung.entity_id,
            gateway=_route_label(gateway.route),
        )
    request = account.build_request([rung.number], message, max_parts=max_parts)
    try:
        gateway.prepare(request)
    except GatewayError as err:
        raise_translated(err, request)


def _route_label(route: Route) -> str:
    """The route as the user chose it: AllMySMS's e-mail route is known as Mail2SMS."""
    return "Mail2SMS" if route is Route.MAIL2SMS else route_name(route)


class OutboxSender(AlertSender):
    """Each step through its recipient's account outbox, never waiting for the gateway."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass

    def _loaded(self, entry_id: str) -> TextoAccount:
        account = _account(self.hass, entry_id)
        if account is None:
            raise gateway_error("entry_not_loaded", title=entry_id)
        return account

    @override
    async def async_submit(
        self, rung: Rung, text: str, *, reference: str, max_parts: int | None, voice: bool
    ) -> str:
        account = self._loaded(rung.entry_id)
        request = account.build_request(
            [rung.number], text, reference=reference, max_parts=max_parts, voice=voice
        )
        if voice:
            # a call takes no reply and has no sender, whatever the account's SMS class
            # (smsmode refuses a voice message in the replies class that ``reply`` needs)
            request = replace(request, replies_allowed=False, sender=None)
        try:
            outcome = await account.async_send(request, wait=False)
        except ServiceValidationError as err:
            if err.translation_key == "spending_cap_reached":
                raise SpendingCapError from err
            raise
        return outcome.item.outbox_id

    @override
    def find_submitted(self, rung: Rung, reference: str, since: datetime) -> str | None:
        account = _account(self.hass, rung.entry_id)
        if account is None:
            return None
        for item in account.outbox.items:
            if item.request.reference == reference:
                return item.outbox_id
        for sent in account.sent_log.recent(since):
            if sent.reference == reference:
                return f"sent:{sent.message_id}"
        return None

    @override
    def fits(self, rung: Rung, text: str, max_parts: int | None) -> bool:
        account = _account(self.hass, rung.entry_id)
        if account is None:
            return True  # refused at submission anyway
        try:
            account.routes.first_gateway.prepare(
                account.build_request([rung.number], text, max_parts=max_parts)
            )
        except MessageTooLongError:
            return False
        except GatewayError:
            return True  # another refusal: the submission says it
        return True

    @override
    def step_of_message(self, entry_id: str, message_id: str | None) -> str | None:
        if not message_id:
            return None
        for entry in self.hass.config_entries.async_loaded_entries(DOMAIN):
            account: TextoAccount = entry.runtime_data
            if (sent := account.sent_log.get(message_id)) is not None:
                return sent.reference
        return None
