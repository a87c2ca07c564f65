"""Constants of the Texto integration: its public names live here."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Final

DOMAIN: Final = "texto"

# --- config entry data ---------------------------------------------------------------------
CONF_PROVIDER: Final = "provider"
CONF_ADVANCED: Final = "advanced"
SUBENTRY_TYPE_RECIPIENT: Final = "recipient"
CONF_PHONE_NUMBER: Final = "phone_number"
# a modem account (provider "modem", gateway.models.Provider.MODEM): its serial port
PROVIDER_MODEM: Final = "modem"
CONF_DEVICE: Final = "device"
#: the SIM's PIN: a secret (redacted in diagnostics, never logged)
CONF_PIN: Final = "pin"
CONF_BAUDRATE: Final = "baudrate"
CONF_INIT_COMMANDS: Final = "init_commands"
DEFAULT_BAUDRATE: Final = 115200

# --- options -------------------------------------------------------------------------------
CONF_DEFAULT_SENDER: Final = "sender"
CONF_LOW_CREDIT_THRESHOLD: Final = "low_credit_threshold"
CONF_TEXT_POLICY: Final = "text_policy"
CONF_MAX_PARTS: Final = "max_parts"
CONF_STOP_MENTION: Final = "stop_mention"
CONF_MESSAGE_CLASS: Final = "message_class"
#: a modem account's USSD code for its balance (e.g. "#123#"); no balance sensor without one
CONF_USSD_CODE: Final = "ussd_code"
CONF_ROUTE: Final = "route"

MESSAGE_CLASS_STANDARD: Final = "standard"
MESSAGE_CLASS_REPLIES: Final = "replies_allowed"

ROUTE_API: Final = "api"
ROUTE_EMAIL: Final = "email"
ROUTE_API_THEN_EMAIL: Final = "api_then_email"

# Mail2SMS (AllMySMS by e-mail), kept in the options of an AllMySMS entry
CONF_SMTP_HOST: Final = "smtp_host"
CONF_SMTP_PORT: Final = "smtp_port"
CONF_SMTP_SECURITY: Final = "smtp_security"
CONF_SMTP_USERNAME: Final = "smtp_username"
CONF_SMTP_PASSWORD: Final = "smtp_password"  # noqa: S105 - a field name
CONF_SMTP_SENDER: Final = "smtp_sender"

# --- actions and their fields ----------------------------------------------------------------
SERVICE_SEND_MESSAGE: Final = "send_message"
SERVICE_SEND_SMS: Final = "send_sms"
SERVICE_ESTIMATE: Final = "estimate"
SERVICE_CANCEL_SCHEDULED: Final = "cancel_scheduled"
SERVICE_RAISE_ALERT: Final = "raise_alert"
SERVICE_ACKNOWLEDGE_ALERT: Final = "acknowledge_alert"
SERVICE_CANCEL_ALERT: Final = "cancel_alert"

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_RECIPIENTS: Final = "recipients"
ATTR_MESSAGE: Final = "message"
ATTR_TITLE: Final = "title"
ATTR_SENDER: Final = "sender"
ATTR_SEND_AT: Final = "send_at"
ATTR_MAX_PARTS: Final = "max_parts"
ATTR_TEXT_POLICY: Final = "text_policy"
ATTR_REFERENCE: Final = "reference"
ATTR_FLASH: Final = "flash"
ATTR_VOICE: Final = "voice"
ATTR_MESSAGE_ID: Final = "message_id"

# --- receiving: webhooks, polling, events --------------------------------------------------
CONF_WEBHOOK_ID: Final = "webhook_id"
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"
CONF_RECEIVE_MODE: Final = "receive_mode"
CONF_ALLOW_INTERNAL_URL: Final = "allow_internal_url"
#: unverified replies fired per minute at most (anyone holding the webhook URL can post them)
CONF_UNVERIFIED_PER_MINUTE: Final = "unverified_per_minute"
DEFAULT_UNVERIFIED_PER_MINUTE: Final = 30

RECEIVE_WEBHOOK: Final = "webhook"
RECEIVE_POLLING: Final = "polling"
RECEIVE_BOTH: Final = "both"

EVENT_SMS_RECEIVED: Final = "texto_sms_received"
EVENT_DELIVERY_REPORT: Final = "texto_delivery_report"

# --- the outbox: delivery guarantee, failover, spending guard -------------------------------
CONF_MAX_AGE: Final = "max_age"
#: what becomes of an outcome nobody can settle: reported (never twice), or sent again once
CONF_UNCONFIRMED_POLICY: Final = "unconfirmed_policy"
UNCONFIRMED_REPORT: Final = "report"
UNCONFIRMED_RESEND: Final = "resend"
CONF_FALLBACK: Final = "fallback"
CONF_DAILY_PARTS_CAP: Final = "daily_parts_cap"
#: the highest daily cap the forms take
DAILY_PARTS_CAP_LIMIT: Final = 100_000
#: the fallback value naming Mail2SMS (the others are Texto config entry ids)
FALLBACK_MAIL2SMS: Final = "mail2sms"
DEFAULT_MAX_AGE: Final = timedelta(hours=1)

ATTR_WAIT: Final = "wait"
EVENT_SEND_FAILED: Final = "texto_send_failed"

# --- alerts that escalate until someone answers ------------------------------------------
EVENT_ALERT: Final = "texto_alert"
#: the ``type`` of a ``texto_alert`` event, in the order an alert lives them
ALERT_EVENT_TYPES: Final = ("raised", "escalated", "acknowledged", "cancelled", "unanswered")

# --- Talk to Assist: texts from chosen recipients go to a conversation agent ----------------
#: the recipient subentry's key (and its form's section) holding the settings below
CONF_ASSIST: Final = "assist"
CONF_ASSIST_ENABLED: Final = "enabled"
CONF_AGENT_ID: Final = "agent_id"
CONF_TRUST: Final = "trust"
#: the form's field: the PIN itself is never stored, only ``CONF_PIN_HASH``
CONF_ASSIST_PIN: Final = "pin"
CONF_PIN_HASH: Final = "pin_hash"
CONF_USER_ID: Final = "user_id"
CONF_MAX_PER_HOUR: Final = "max_per_hour"
#: Assist was turned off by too many failed checks (a repair issue turns it back on)
CONF_LOCKED_OUT: Final = "locked_out"
#: the text must begin with the recipient's PIN
TRUST_PIN: Final = "pin"
#: only texts Texto can vouch for (a verified reply, polling, the modem)
TRUST_VERIFIED: Final = "verified"
#: Home Assistant's own conversation agent (``conversation.HOME_ASSISTANT_AGENT``; the
#: conversation component is imported only when an exchange runs: it is heavy)
DEFAULT_AGENT_ID: Final = "conversation.home_assistant"
DEFAULT_ASSIST_MAX_PER_HOUR: Final = 10
DEFAULT_ASSIST_MAX_PARTS: Final = 2
#: an SMS exchange with Assist: account, recipient, agent_id, answered, parts, text (masked
#: beyond its first three words)
EVENT_ASSIST: Final = "texto_assist"

# --- polling -------------------------------------------------------------------------------
BALANCE_INTERVAL: Final = timedelta(minutes=30)
#: how often the balance is asked for while the gateway cannot be reached
BALANCE_RETRY_INTERVAL: Final = timedelta(minutes=5)

DEFAULT_LOW_CREDIT_THRESHOLD: Final = 0.0

# --- a modem account -------------------------------------------------------------------------
#: how often the modem's signal, network and SIM are read
MODEM_STATUS_INTERVAL: Final = timedelta(seconds=60)
#: how often a modem never reached since the start is tried again
MODEM_CONNECT_INTERVAL: Final = timedelta(seconds=15)
#: how often the SIM's balance is asked by USSD, at most (a user may ask sooner)
USSD_BALANCE_INTERVAL: Final = timedelta(hours=1)


class SendState(StrEnum):
    """The words ``last_status`` and the responses use for a send."""

    QUEUED = "queued"
    SENDING = "sending"
    SCHEDULED = "scheduled"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"
    UNCONFIRMED = "unconfirmed"
