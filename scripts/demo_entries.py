"""Write config/.storage/core.config_entries with Texto accounts on the local simulators.

Used by scripts/develop so that Home Assistant starts with Texto ready: one account per
gateway (AllMySMS with its Mail2SMS route, smsmode, 123-SMS), each with a "Demo phone"
recipient. Does nothing when the file exists (your own setup is never overwritten).

Usage: python scripts/demo_entries.py CONFIG_DIR SIMULATOR_SETTINGS_JSON
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from homeassistant.config_entries import (
    SOURCE_USER,
    STORAGE_KEY,
    STORAGE_VERSION,
    STORAGE_VERSION_MINOR,
    ConfigEntry,
    ConfigSubentryData,
)

DEMO_PHONE = "+33612345678"


def _entry(
    title: str, unique_id: str, data: dict[str, Any], options: dict[str, Any]
) -> ConfigEntry:
    return ConfigEntry(
        data=data,
        discovery_keys={},
        domain="texto",
        minor_version=1,
        options=options,
        source=SOURCE_USER,
        subentries_data=[
            ConfigSubentryData(
                data={"name": "Demo phone", "phone_number": DEMO_PHONE},
                subentry_type="recipient",
                title="Demo phone",
                unique_id=DEMO_PHONE,
            )
        ],
        title=title,
        unique_id=unique_id,
        version=1,
    )


def demo_entries(settings: dict[str, dict[str, Any]]) -> list[ConfigEntry]:
    """One entry per simulated gateway."""
    allmysms, smsmode, sms123 = settings["allmysms"], settings["smsmode"], settings["sms123"]
    mail2sms = settings["mail2sms"]
    return [
        _entry(
            f"AllMySMS ({allmysms['username']})",
            f"allmysms:{allmysms['username']}",
            {"provider": "allmysms", **allmysms},
            {
                "route": "api_then_email",
                "smtp_host": mail2sms["smtp_host"],
                "smtp_port": mail2sms["smtp_port"],
                "smtp_security": mail2sms["smtp_security"],
                "smtp_sender": "maison@example.fr",
                "low_credit_threshold": 150,
            },
        ),
        _entry("smsmode", "smsmode:demo", {"provider": "smsmode", **smsmode}, {}),
        _entry(
            f"123-SMS ({sms123['username']})",
            f"sms123:{sms123['username']}",
            {"provider": "sms123", **sms123},
            {},
        ),
    ]


def main() -> None:
    """Write the entries file unless it exists."""
    config_dir, settings_json = Path(sys.argv[1]), sys.argv[2]
    target = config_dir / ".storage" / STORAGE_KEY
    if target.exists():
        print(f"{target} exists: keeping your configuration")
        return
    entries = demo_entries(json.loads(settings_json))
    target.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "version": STORAGE_VERSION,
        "minor_version": STORAGE_VERSION_MINOR,
        "key": STORAGE_KEY,
        "data": {"entries": [entry.as_dict() for entry in entries]},
    }
    target.write_text(json.dumps(document, indent=2, default=str))
    print(f"wrote {len(entries)} Texto accounts on the simulators to {target}")


if __name__ == "__main__":
    main()
