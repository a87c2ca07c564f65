"""Seed a Home Assistant configuration directory for the demo: Texto ready, onboarding short.

Used by scripts/develop (on ``config/``) and by the browser tests (on a temporary directory),
so that both run the same demo. Writes, only when the file is not there yet (your own setup
is never overwritten):

* ``.storage/core.config_entries``: one Texto account per simulated gateway (AllMySMS with
  its Mail2SMS route, smsmode, 123-SMS) and one on the fake modem (its ``socket://`` URL),
  each with a recipient of its own, and with the titles and unique ids the config flow gives
  (adding the same account by hand then says "already configured" instead of making a
  duplicate);
* ``.storage/onboarding``: the "Home" and analytics steps done. The "Home" step would set up
  google_translate, met and radio_browser, whose packages Home Assistant does not install
  under ``--skip-pip``: they would fail with errors and a red card. The first visit asks for
  the local user, then shows the last page, "Finish" (the web interface shows nothing when
  that step is marked done too: it signs the new user in only when it is finished);
* ``custom_components``, a link to this repository's (Home Assistant loads custom
  integrations from there), and the files the automation, script and scene editors save to.

Then prints the simulators' URLs and credentials, to add an account by hand.

Usage: python scripts/demo_config.py CONFIG_DIR SIMULATOR_SETTINGS_JSON [--without PROVIDER]
  --without PROVIDER  leave that account out (``sms123``, ``modem``...: the browser tests
                      add it by hand)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))  # run as a script: the integration is imported from here

from homeassistant.components.onboarding import STORAGE_KEY as ONBOARDING_KEY  # noqa: E402
from homeassistant.components.onboarding import STORAGE_VERSION as ONBOARDING_VERSION  # noqa: E402
from homeassistant.components.onboarding.const import STEP_ANALYTICS, STEP_CORE_CONFIG  # noqa: E402
from homeassistant.components.webhook import async_generate_id  # noqa: E402
from homeassistant.config_entries import (  # noqa: E402
    SOURCE_USER,
    STORAGE_KEY,
    STORAGE_VERSION,
    STORAGE_VERSION_MINOR,
    ConfigEntry,
    ConfigSubentryData,
)

from custom_components.texto.assist_settings import AssistSettings, hash_pin  # noqa: E402
from custom_components.texto.config_flow import TextoConfigFlow, account_unique_id  # noqa: E402
from custom_components.texto.const import (  # noqa: E402
    CONF_BAUDRATE,
    CONF_DEVICE,
    CONF_INIT_COMMANDS,
    CONF_PROVIDER,
    DEFAULT_BAUDRATE,
)
from custom_components.texto.gateway.models import Provider  # noqa: E402
from custom_components.texto.gateway.providers import PROVIDERS  # noqa: E402
from custom_components.texto.modem_flow import modem_title, modem_unique_id  # noqa: E402
from custom_components.texto.recipient_flow import recipient_title  # noqa: E402
from tests.simulator.modem import MODEL as FAKE_MODEM_MODEL  # noqa: E402

#: each account's recipient: names that tell them apart in entity ids and events
RECIPIENTS = {
    Provider.ALLMYSMS: ("Alice", "+33612345678"),
    Provider.SMSMODE: ("Bob", "+33698765432"),
    Provider.SMS123: ("Chloé", "+33611223344"),
    Provider.MODEM: ("David", "+33645678901"),
}
#: David may text Assist through the modem: "1234 turn on the kitchen light" (docs/assist.md)
DEMO_ASSIST_PIN = "1234"


def _gateway_entry(
    provider: Provider, data: dict[str, Any], options: dict[str, Any]
) -> ConfigEntry:
    # as the config flow creates it: with the webhook gateways call back
    data = {CONF_PROVIDER: str(provider), **data, "webhook_id": async_generate_id()}
    return _entry(
        provider,
        data,
        options,
        title=PROVIDERS[provider].name,
        unique_id=account_unique_id(provider, data),
    )


def _modem_entry(device: str) -> ConfigEntry:
    # as the modem's config flow creates it: no webhook, no credentials, no PIN (the fake's
    # SIM asks for none)
    data = {
        CONF_PROVIDER: str(Provider.MODEM),
        CONF_DEVICE: device,
        CONF_BAUDRATE: DEFAULT_BAUDRATE,
        CONF_INIT_COMMANDS: [],
    }
    return _entry(
        Provider.MODEM,
        data,
        {},
        title=modem_title(device, FAKE_MODEM_MODEL),
        unique_id=modem_unique_id(device),
    )


def _entry(
    provider: Provider,
    data: dict[str, Any],
    options: dict[str, Any],
    *,
    title: str,
    unique_id: str,
) -> ConfigEntry:
    name, number = RECIPIENTS[provider]
    recipient: dict[str, Any] = {"name": name, "phone_number": number}
    if provider is Provider.MODEM:
        assist = AssistSettings(enabled=True, pin_hash=hash_pin(DEMO_ASSIST_PIN))
        recipient["assist"] = assist.as_data()
    return ConfigEntry(
        data=data,
        discovery_keys={},
        domain="texto",
        minor_version=TextoConfigFlow.MINOR_VERSION,
        options=options,
        source=SOURCE_USER,
        subentries_data=[
            ConfigSubentryData(
                data=recipient,
                subentry_type="recipient",
                title=recipient_title(name, number),
                unique_id=number,
            )
        ],
        title=title,
        unique_id=unique_id,
        version=TextoConfigFlow.VERSION,
    )


def demo_entries(settings: dict[str, dict[str, Any]]) -> dict[Provider, ConfigEntry]:
    """One entry per simulated gateway, and one on the fake modem."""
    mail2sms = settings["mail2sms"]
    return {
        Provider.ALLMYSMS: _gateway_entry(
            Provider.ALLMYSMS,
            settings["allmysms"],
            {
                "route": "api_then_email",
                "smtp_host": mail2sms["smtp_host"],
                "smtp_port": mail2sms["smtp_port"],
                "smtp_security": mail2sms["smtp_security"],
                "smtp_sender": "maison@example.fr",
                "low_credit_threshold": 150,
            },
        ),
        Provider.SMSMODE: _gateway_entry(Provider.SMSMODE, settings["smsmode"], {}),
        Provider.SMS123: _gateway_entry(Provider.SMS123, settings["sms123"], {}),
        # its socket:// URL: the pty's path changes from run to run, the port does not
        Provider.MODEM: _modem_entry(settings["modem"]["socket"]),
    }


def _write_store(config_dir: Path, key: str, data: Any, version: int, minor: int = 1) -> bool:
    """Write ``.storage/<key>`` unless it exists; True when written."""
    target = config_dir / ".storage" / key
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    document = {"version": version, "minor_version": minor, "key": key, "data": data}
    target.write_text(json.dumps(document, indent=2, default=str))
    return True


def describe_gateways(settings: dict[str, dict[str, Any]]) -> str:
    """The simulators' addresses and credentials, to add an account by hand in the UI."""
    allmysms, smsmode, sms123 = settings["allmysms"], settings["smsmode"], settings["sms123"]
    mail2sms, modem = settings["mail2sms"], settings["modem"]
    rows = [
        (
            "AllMySMS",
            allmysms["url"],
            f"login {allmysms['username']}",
            f"API key {allmysms['api_key']}",
        ),
        ("smsmode", smsmode["url"], f"access token {smsmode['access_token']}", ""),
        ("123-SMS", sms123["url"], f"user {sms123['username']}", f"API key {sms123['api_key']}"),
    ]
    lines = [
        f"    {name:9} {url:23} {first:34} {second}".rstrip() for name, url, first, second in rows
    ]
    lines.append(
        f"    {'Mail2SMS':9} SMTP {mail2sms['smtp_host']}:{mail2sms['smtp_port']}, security"
        f" {mail2sms['smtp_security']}, no login (AllMySMS options > Mail2SMS)"
    )
    lines.append(f"    {'Modem':9} {modem['socket']:23} serial port, no SIM PIN")
    lines.append(f"    {'':9} or its pty {modem['device']}")
    return "\n".join(lines)


def _link_integration(config_dir: Path) -> None:
    link = config_dir / "custom_components"
    if link.is_symlink() and not link.exists():
        link.unlink()  # a dangling link
    if not link.exists():
        link.symlink_to(os.path.relpath(REPOSITORY / "custom_components", config_dir))
    # the automation editor saves a list; scripts and scenes start empty
    for name, empty in (("automations.yaml", "[]\n"), ("scripts.yaml", ""), ("scenes.yaml", "")):
        if not (config_dir / name).exists():
            (config_dir / name).write_text(empty)


def main() -> None:
    """Write the entries and the onboarding state unless they exist."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config_dir", type=Path)
    parser.add_argument(
        "settings", help="the simulators' settings (python -m tests.simulator --json)"
    )
    parser.add_argument("--without", type=Provider, action="append", default=[])
    arguments = parser.parse_args()
    entries = demo_entries(json.loads(arguments.settings))
    kept = [entry for provider, entry in entries.items() if provider not in arguments.without]
    data = {"entries": [entry.as_dict() for entry in kept]}
    if _write_store(
        arguments.config_dir, STORAGE_KEY, data, STORAGE_VERSION, STORAGE_VERSION_MINOR
    ):
        print(f"demo_config: wrote {len(kept)} Texto accounts on the simulators")
    done = {"done": [STEP_CORE_CONFIG, STEP_ANALYTICS]}
    _write_store(arguments.config_dir, ONBOARDING_KEY, done, ONBOARDING_VERSION)
    _link_integration(arguments.config_dir)
    print(
        "\n  The fake gateways, to add a Texto account by hand (Settings > Devices & services >"
        "\n  Add integration > Texto, then Advanced settings > Gateway URL, or Modem > Serial"
        "\n  port):"
    )
    print(describe_gateways(json.loads(arguments.settings)))


if __name__ == "__main__":
    main()
