"""Building blocks of the integration tests: simulators and Texto entries on them."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from unittest.mock import patch

import aiohttp
import pytest
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_ACCESS_TOKEN, CONF_API_KEY, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.texto import clients
from custom_components.texto.config_flow import TextoConfigFlow
from custom_components.texto.const import (
    CONF_BAUDRATE,
    CONF_DEVICE,
    CONF_INIT_COMMANDS,
    CONF_PHONE_NUMBER,
    CONF_PIN,
    CONF_PROVIDER,
    CONF_WEBHOOK_ID,
    DOMAIN,
    SUBENTRY_TYPE_RECIPIENT,
)
from custom_components.texto.journal import JournalFiles, journal_path, replay
from custom_components.texto.recipient_flow import recipient_title
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.modem import FakeModem
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SmsmodeSimulator

#: entries as this Texto's flow stores them (no migration on setup)
CURRENT_MINOR_VERSION = TextoConfigFlow.MINOR_VERSION

ALICE = "+33612345678"
BOB = "+33698765432"


def recipient(name: str, number: str) -> ConfigSubentryData:
    """A recipient subentry as the flow stores it."""
    return ConfigSubentryData(
        data={"name": name, CONF_PHONE_NUMBER: number},
        subentry_type=SUBENTRY_TYPE_RECIPIENT,
        title=recipient_title(name, number),
        unique_id=number,
    )


def allmysms_entry(
    sim: AllMySmsSimulator, *, options: dict[str, Any] | None = None, **kwargs: Any
) -> MockConfigEntry:
    """An AllMySMS account on the simulator, with Alice as recipient."""
    return MockConfigEntry(
        domain=DOMAIN,
        minor_version=kwargs.pop("minor_version", CURRENT_MINOR_VERSION),
        title=f"AllMySMS ({sim.login})",
        unique_id=f"allmysms:{sim.login}",
        data={
            CONF_PROVIDER: "allmysms",
            CONF_USERNAME: sim.login,
            CONF_API_KEY: sim.api_key,
            CONF_URL: sim.base_url,
            CONF_WEBHOOK_ID: secrets.token_hex(32),
        },
        options=options or {},
        subentries_data=kwargs.pop("subentries_data", [recipient("Alice", ALICE)]),
        **kwargs,
    )


def smsmode_entry(
    sim: SmsmodeSimulator,
    *,
    options: dict[str, Any] | None = None,
    minor_version: int = CURRENT_MINOR_VERSION,
    subentries_data: list[ConfigSubentryData] | None = None,
) -> MockConfigEntry:
    """A smsmode account on the simulator, with Alice as recipient (or ``subentries_data``)."""
    return MockConfigEntry(
        domain=DOMAIN,
        minor_version=minor_version,
        title="smsmode",
        unique_id="smsmode:test",
        data={
            CONF_PROVIDER: "smsmode",
            CONF_ACCESS_TOKEN: sim.access_token,
            CONF_URL: sim.base_url,
            CONF_WEBHOOK_ID: secrets.token_hex(32),
        },
        options=options or {},
        subentries_data=subentries_data or [recipient("Alice", ALICE)],
    )


def sms123_entry(sim: Sms123Simulator, *, options: dict[str, Any] | None = None) -> MockConfigEntry:
    """A 123-SMS account on the simulator, with Alice as recipient."""
    return MockConfigEntry(
        domain=DOMAIN,
        minor_version=CURRENT_MINOR_VERSION,
        title="123-SMS",
        unique_id=f"sms123:{sim.user}",
        data={
            CONF_PROVIDER: "sms123",
            CONF_USERNAME: sim.user,
            CONF_API_KEY: sim.api_key,
            CONF_URL: sim.base_url,
            CONF_WEBHOOK_ID: secrets.token_hex(32),
        },
        options=options or {},
        subentries_data=[recipient("Alice", ALICE)],
    )


def modem_entry(
    fake: FakeModem,
    *,
    device: str | None = None,
    pin: str | None = None,
    options: dict[str, Any] | None = None,
    subentries_data: list[ConfigSubentryData] | None = None,
) -> MockConfigEntry:
    """A modem account on the fake modem (its pty, or ``device``), with Alice as recipient
    (or ``subentries_data``)."""
    device = device or fake.path
    data: dict[str, Any] = {
        CONF_PROVIDER: "modem",
        CONF_DEVICE: device,
        CONF_BAUDRATE: 115200,
        CONF_INIT_COMMANDS: [],
    }
    if pin is not None:
        data[CONF_PIN] = pin
    return MockConfigEntry(
        domain=DOMAIN,
        minor_version=CURRENT_MINOR_VERSION,
        title="Modem Fake LTE",
        unique_id=f"modem:{device}",
        data=data,
        options=options or {},
        subentries_data=subentries_data or [recipient("Alice", ALICE)],
    )


async def send_sms(hass: HomeAssistant, entry_id: str, **fields: Any) -> dict[str, Any]:
    """Send through ``texto.send_sms``; return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry_id, **fields},
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


def journal_content(hass: HomeAssistant, entry_id: str) -> bytes:
    """The outbox's journal file, as the disk holds it now."""
    return journal_path(hass, entry_id).read_bytes()


@contextlib.contextmanager
def slow_journal(seconds: float = 0.2) -> Iterator[None]:
    """A slow disk under the outbox's journal: each append takes ``seconds`` more."""
    append = JournalFiles.append

    def slow_append(files: JournalFiles, data: bytes, *, sync: bool) -> None:
        time.sleep(seconds)  # in the executor's thread, as a slow disk would
        append(files, data, sync=sync)

    with patch.object(JournalFiles, "append", slow_append):
        yield


def stored_outbox(hass: HomeAssistant, entry_id: str) -> list[dict[str, Any]]:
    """The items the outbox's journal holds on disk now, as a restart would read them.

    The records that precede a request are on the disk before it leaves; the others are
    appended without waiting, and are there after a stop or ``hass.async_block_till_done``.
    """
    items, unreadable = replay(journal_content(hass, entry_id))
    assert unreadable == 0
    return items


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add ``entry`` and set it up; return it."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def allmysms_sim(socket_enabled: None) -> AsyncIterator[AllMySmsSimulator]:
    """The AllMySMS simulator on 127.0.0.1."""
    sim = AllMySmsSimulator()
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def smsmode_sim(socket_enabled: None) -> AsyncIterator[SmsmodeSimulator]:
    """The smsmode simulator on 127.0.0.1."""
    sim = SmsmodeSimulator()
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def sms123_sim(socket_enabled: None) -> AsyncIterator[Sms123Simulator]:
    """The 123-SMS simulator on 127.0.0.1."""
    sim = Sms123Simulator()
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def fake_modem() -> AsyncIterator[FakeModem]:
    """The fake modem on a pseudo-terminal (``fake_modem.path``, as /dev/serial/by-id/...)."""
    fake = FakeModem()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def fast_modem(monkeypatch: pytest.MonkeyPatch) -> None:
    """The modem's timings in tenths of seconds, not minutes."""
    monkeypatch.setattr(clients, "MODEM_COMMAND_TIMEOUT", 1.0)
    monkeypatch.setattr(clients, "MODEM_PROMPT_TIMEOUT", 1.0)
    monkeypatch.setattr(clients, "MODEM_ANSWER_TIMEOUT", 1.0)
    monkeypatch.setattr(clients, "MODEM_REOPEN_DELAYS", (0.05, 0.2))


def device_id_of(hass: HomeAssistant, entry: MockConfigEntry, number: str | None = None) -> str:
    """The device of the recipient with ``number`` (None: the account's device)."""
    identifier = entry.entry_id
    if number is not None:
        subentry = next(sub for sub in entry.subentries.values() if sub.unique_id == number)
        identifier = f"{entry.entry_id}_{subentry.subentry_id}"
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, identifier)})
    assert device is not None
    return device.id


def short_read_timeout(entry: MockConfigEntry, seconds: float = 0.3) -> None:
    """The gateway gives up reading an answer after ``seconds`` (the tests' slow gateway)."""
    transport = entry.runtime_data.gateway._transport
    transport._timeout = aiohttp.ClientTimeout(total=seconds, connect=seconds)
