"""Reports and replies as the gateways call them back, read by the library's own parsers.

The parameters are the simulators' callback fields (tests/simulator): what a real gateway
sends to the webhook. The inbox tests feed the parsed items to ``account.inbox`` directly;
the webhook's HTTP path is tested on its own.
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.components.webhook import async_generate_path
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.texto.account import TextoAccount
from custom_components.texto.const import CONF_WEBHOOK_ID
from custom_components.texto.gateway.allmysms import AllMySmsGateway
from custom_components.texto.gateway.models import DeliveryReport, InboundMessage
from custom_components.texto.gateway.sms123 import Sms123Gateway
from custom_components.texto.gateway.smsmode import SmsmodeGateway
from tests.simulator.allmysms import DELIVERY_TEXTS, SentSms
from tests.simulator.smsmode import SHORT_CODE, SimMessage

#: a winter date, Paris time (UTC+1), as the gateways write it
ALLMYSMS_DATE = "2025-03-14 09:30:00"
SMSMODE_REPORT_DATE = "2025-03-14 09:30:00"
SMSMODE_REPLY_DATE = "14032025-093000"
#: the same moment, as the events give it
ISO_DATE = "2025-03-14T09:30:00+01:00"


def account_of(hass: HomeAssistant, entry_id: str) -> TextoAccount:
    """The running account of an entry."""
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    account: TextoAccount = entry.runtime_data
    return account


def _report(item: DeliveryReport | InboundMessage | None) -> DeliveryReport:
    assert isinstance(item, DeliveryReport)
    return item


def _reply(item: DeliveryReport | InboundMessage | None) -> InboundMessage:
    assert isinstance(item, InboundMessage)
    return item


def allmysms_report(sms: SentSms, status: int = 1) -> DeliveryReport:
    """AllMySMS's delivery report webhook (POST form) for one SMS."""
    return _report(
        AllMySmsGateway.parse_callback(
            {
                "smsId": sms.sms_id,
                "phoneNumber": sms.number,
                "campaignId": sms.campaign_id,
                "status": str(status),
                "statusText": DELIVERY_TEXTS.get(status, "Unknown"),
                "receptionDate": ALLMYSMS_DATE,
            }
        )
    )


def allmysms_reply(
    number: str, text: str, *, mo_id: str = "mo-1", campaign_id: str = "", sms_id: str = ""
) -> InboundMessage:
    """AllMySMS's reply webhook (POST form); ``number`` as the gateway writes it (336...)."""
    return _reply(
        AllMySmsGateway.parse_callback(
            {
                "smsMoId": mo_id,
                "message": text,
                "phoneNumber": number,
                "campaignId": campaign_id,
                "smsId": sms_id,
                "receptionDate": ALLMYSMS_DATE,
            }
        )
    )


def smsmode_report(message: SimMessage, status: int = 11) -> DeliveryReport:
    """smsmode's ``notification_url`` call (GET) for one number of a send."""
    return _report(
        SmsmodeGateway.parse_callback(
            {
                "numero": message.number,
                "date_reception": SMSMODE_REPORT_DATE,
                "statut": str(status),
                "smsID": message.sms_id,
                "refClient": message.ref_client or "",
                "mcc_mnc": "20801",
                "cost": str(message.parts),
            }
        )
    )


def smsmode_reply(
    number: str, text: str, *, response_id: str = "rep1", sms_id: str = ""
) -> InboundMessage:
    """smsmode's ``notification_url_reponse`` call (GET); ``number`` as 336..."""
    return _reply(
        SmsmodeGateway.parse_callback(
            {
                "numero": SHORT_CODE,
                "message": text,
                "emetteur": number,
                "date_reception": SMSMODE_REPLY_DATE,
                "smsID": sms_id,
                "refClient": "",
                "responseID": response_id,
            }
        )
    )


def sms123_report(reference: str, number: str | None, erreur: str = "") -> DeliveryReport:
    """123-SMS's callback (GET ``erreur``, ``refenvoi``, ``gsm``); ``number`` as 336..."""
    params = {"erreur": erreur, "refenvoi": reference}
    if number is not None:
        params["gsm"] = number
    return _report(Sms123Gateway.parse_callback(params))


def url_of(client: TestClient[Any, Any], entry: MockConfigEntry) -> str:
    """The full URL of ``entry``'s webhook on the test server."""
    return str(client.make_url(async_generate_path(entry.data[CONF_WEBHOOK_ID])))
