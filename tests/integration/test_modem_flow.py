"""The modem's config flow, against the fake modem (a pty, and the same modem over TCP).

Nothing in the library is patched: the flow opens the fake's port through serialx, the
fake answers AT commands as modems do, and counts what it was sent (PINs, init commands).
Every flow result is checked against en.json (``check_flow_translations``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock

import pytest
import serialx
import voluptuous as vol
from homeassistant.config_entries import SOURCE_USB, SOURCE_USER, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import selector
from homeassistant.helpers.service_info.usb import UsbServiceInfo
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.texto import modem_flow
from custom_components.texto.const import (
    CONF_ADVANCED,
    CONF_BAUDRATE,
    CONF_DEVICE,
    CONF_INIT_COMMANDS,
    CONF_PIN,
    CONF_PROVIDER,
    DOMAIN,
)
from custom_components.texto.modem_flow import at_port, modem_key, port_options
from tests.simulator.modem import FakeModem

pytestmark = pytest.mark.usefixtures("check_flow_translations")

PIN = "1234"
QUECTEL = ("2C7C", "0125")


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A silent modem is given up on in about a second, not in fifteen."""
    monkeypatch.setattr(modem_flow, "COMMAND_TIMEOUT", 0.3)


@pytest.fixture
async def modem() -> AsyncIterator[FakeModem]:
    """A ready modem with a SIM that needs no PIN, on a pty."""
    fake = FakeModem()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def locked_modem() -> AsyncIterator[FakeModem]:
    """A modem whose SIM asks for its PIN (1234)."""
    fake = FakeModem(pin=PIN)
    await fake.start()
    yield fake
    await fake.stop()


async def _modem_form(hass: HomeAssistant) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "modem"}
    )


def _form(device: str, *, pin: str | None = None, **advanced: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {CONF_DEVICE: device, CONF_ADVANCED: advanced}
    if pin is not None:
        fields[CONF_PIN] = pin
    return fields


def _suggested(result: Mapping[str, Any], field: str) -> Any:
    for marker in result["data_schema"].schema:
        if marker == field:
            return (marker.description or {}).get("suggested_value")
    raise AssertionError(f"{field} is not in the form")


def _advanced_is_folded(result: Mapping[str, Any]) -> bool:
    for marker, value in result["data_schema"].schema.items():
        if marker == CONF_ADVANCED:
            return bool(value.options["collapsed"])
    raise AssertionError("no advanced section")


def _field(result: Mapping[str, Any], field: str) -> Any:
    for marker, value in result["data_schema"].schema.items():
        if marker == field:
            return value
    raise AssertionError(f"{field} is not in the form")


# --- the form ------------------------------------------------------------------------------


async def test_the_menu_offers_a_modem_after_the_gateways(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["menu_options"] == ["allmysms", "smsmode", "sms123", "modem"]


async def test_the_form_has_a_device_an_optional_pin_and_a_folded_advanced_section(
    hass: HomeAssistant,
) -> None:
    result = await _modem_form(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "modem"
    device = _field(result, CONF_DEVICE)
    assert isinstance(device, selector.SelectSelector)
    assert device.config["custom_value"] is True  # a typed path or URL is accepted
    # no port chosen for the person (the frontend would pick the first one listed)
    assert _suggested(result, CONF_DEVICE) == ""
    assert _advanced_is_folded(result)
    # the section's defaults, as a submitted form without it gets them
    assert _field(result, CONF_ADVANCED)({}) == {CONF_BAUDRATE: 115200}


def test_ports_by_id_come_first_named_by_maker_model_and_interface() -> None:
    def port(device: str, **info: Any) -> serialx.SerialPortInfo:
        fields: dict[str, Any] = dict.fromkeys(
            ("vid", "pid", "serial_number", "manufacturer", "product", "bcd_device"), None
        )
        fields |= {"interface_description": None, "interface_num": None}
        return serialx.SerialPortInfo(device=device, resolved_device=device, **(fields | info))

    by_id = "/dev/serial/by-id/usb-Quectel_EG25-G-if02-port0"
    options = port_options(
        [
            port("/dev/ttyS0"),
            port(by_id, manufacturer="Quectel", product="EG25-G", interface_num=2),
            port("/dev/ttyACM0", manufacturer="Arduino"),
        ]
    )
    assert [option["value"] for option in options] == [by_id, "/dev/ttyACM0", "/dev/ttyS0"]
    assert options[0]["label"] == f"Quectel EG25-G (interface 2) - {by_id}"
    assert options[1]["label"] == "Arduino - /dev/ttyACM0"
    assert options[2]["label"] == "/dev/ttyS0"


async def test_home_assistants_serial_port_selector_is_used_where_it_has_one(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newer Home Assistant registers one by name; this one (2026.2) has none."""
    assert "serial_port" not in selector.SELECTORS
    monkeypatch.setitem(selector.SELECTORS, "serial_port", selector.TextSelector)
    result = await _modem_form(hass)
    assert type(_field(result, CONF_DEVICE)) is selector.TextSelector


# --- success ---------------------------------------------------------------------------------


async def test_a_modem_on_a_pty_is_set_up(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, modem: FakeModem
) -> None:
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _form(modem.path, baudrate=9600, init_commands=['AT+CPMS="ME","ME","ME"', " "]),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Modem Fake LTE"  # the model it names (AT+CGMM)
    assert result["description"] == "modem"
    assert result["data"] == {
        CONF_PROVIDER: "modem",
        CONF_DEVICE: modem.path,
        CONF_BAUDRATE: 9600,
        CONF_INIT_COMMANDS: ['AT+CPMS="ME","ME","ME"'],
    }
    assert result["result"].unique_id == f"modem:{modem.path}"
    # Texto's initialisation in PDU mode, then the user's command
    assert {"ATE0", "AT+CMGF=0", 'AT+CPMS="ME","ME","ME"'} <= set(modem.commands)
    assert not any(command.startswith("AT+CMGL") for command in modem.commands)  # SIM left
    assert mock_setup_entry.call_count == 1


async def test_a_modem_behind_a_serial_server_is_set_up(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, modem: FakeModem, socket_enabled: None
) -> None:
    url = await modem.serve_tcp()
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(url))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_DEVICE] == url
    assert result["title"] == "Modem Fake LTE"
    assert result["result"].unique_id == f"modem:{url}"


async def test_a_modem_without_network_is_set_up_with_a_warning(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    fake = FakeModem(registered=False)
    await fake.start()
    try:
        result = await _modem_form(hass)
        result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(fake.path))
    finally:
        await fake.stop()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "modem_no_network"


# --- nothing answers -------------------------------------------------------------------------


async def test_a_path_to_nothing_cannot_connect(hass: HomeAssistant, tmp_path: Path) -> None:
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(str(tmp_path / "ttyUSB9"))
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_DEVICE: "cannot_connect"}
    assert _suggested(result, CONF_DEVICE) == str(tmp_path / "ttyUSB9")


async def test_a_silent_port_cannot_connect(hass: HomeAssistant, modem: FakeModem) -> None:
    """Another interface of the modem (DIAG, GPS), or a modem that hangs."""
    modem.silent = True
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(modem.path))
    assert result["errors"] == {CONF_DEVICE: "cannot_connect"}


async def test_the_whole_check_is_bounded(
    hass: HomeAssistant, modem: FakeModem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(modem_flow, "CHECK_TIMEOUT", 0.001)
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(modem.path))
    assert result["errors"] == {CONF_DEVICE: "cannot_connect"}


async def test_an_empty_device_is_required(hass: HomeAssistant) -> None:
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form("  "))
    assert result["errors"] == {CONF_DEVICE: "required"}


# --- the SIM -------------------------------------------------------------------------------


async def test_a_sim_asking_for_its_pin_needs_one(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, locked_modem: FakeModem
) -> None:
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(locked_modem.path)
    )
    assert result["errors"] == {CONF_PIN: "pin_required"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(locked_modem.path, pin=f" {PIN} ")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PIN] == PIN
    assert PIN not in result["title"]


async def test_a_refused_pin_is_never_sent_again_by_itself(
    hass: HomeAssistant,
    mock_setup_entry: AsyncMock,
    locked_modem: FakeModem,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(locked_modem.path, pin="9999")
    )
    assert result["errors"] == {CONF_PIN: "invalid_pin"}
    assert locked_modem.wrong_pins == 1
    # the form comes back without the PIN: submitting it again sends none
    assert _suggested(result, CONF_PIN) is None
    assert _suggested(result, CONF_DEVICE) == locked_modem.path
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(locked_modem.path)
    )
    assert result["errors"] == {CONF_PIN: "pin_required"}
    assert locked_modem.wrong_pins == 1
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(locked_modem.path, pin=PIN)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # every logger but serialx's, which logs each byte it writes at DEBUG (PIN included)
    lines = [r.getMessage() for r in caplog.records if not r.name.startswith("serialx")]
    assert not [line for line in lines if "9999" in line or PIN in line]


async def test_a_pin_that_is_not_4_to_8_digits_is_never_sent(
    hass: HomeAssistant, locked_modem: FakeModem
) -> None:
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(locked_modem.path, pin='12"4')
    )
    assert result["errors"] == {CONF_PIN: "invalid_pin_format"}
    assert locked_modem.commands == []


async def test_a_sim_locked_by_its_puk_says_so(
    hass: HomeAssistant, locked_modem: FakeModem
) -> None:
    locked_modem.sim_state = "SIM PUK"
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(locked_modem.path, pin=PIN)
    )
    assert result["errors"] == {"base": "sim_puk_required"}
    assert not any(command.startswith("AT+CPIN=") for command in locked_modem.commands)


# --- init commands ---------------------------------------------------------------------------


async def test_a_failing_init_command_is_named_and_its_section_opened(
    hass: HomeAssistant, modem: FakeModem
) -> None:
    result = await _modem_form(hass)
    commands = ['AT+CPMS="ME","ME","ME"', 'AT+QCFG="nope"']
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(modem.path, init_commands=commands)
    )
    assert result["errors"] == {CONF_ADVANCED: "init_command_failed"}
    assert (result["description_placeholders"] or {}).get("command") == 'AT+QCFG="nope"'
    assert not _advanced_is_folded(result)


async def test_an_init_command_without_at_is_refused_before_opening_the_port(
    hass: HomeAssistant, modem: FakeModem
) -> None:
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(modem.path, init_commands=["AT+CMEE=2", "CFUN=1"])
    )
    assert result["errors"] == {CONF_ADVANCED: "invalid_init_command"}
    assert (result["description_placeholders"] or {}).get("command") == "CFUN=1"
    assert not _advanced_is_folded(result)
    assert modem.commands == []


async def test_the_section_stays_open_when_it_holds_a_value(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(str(tmp_path / "nothing"), baudrate=9600)
    )
    assert result["errors"] == {CONF_DEVICE: "cannot_connect"}
    assert not _advanced_is_folded(result)


# --- already there ---------------------------------------------------------------------------


async def test_a_configured_modem_is_not_opened_again(
    hass: HomeAssistant, modem: FakeModem
) -> None:
    """The running entry holds the port: the flow aborts before it opens it."""
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"modem:{modem.path}",
        data={CONF_PROVIDER: "modem", CONF_DEVICE: modem.path},
    ).add_to_hass(hass)
    result = await _modem_form(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(modem.path))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert modem.commands == []


# --- USB discovery ---------------------------------------------------------------------------


def _usb(device: str, ids: tuple[str, str] = QUECTEL) -> UsbServiceInfo:
    return UsbServiceInfo(
        device=device,
        vid=ids[0],
        pid=ids[1],
        serial_number="0123456789",
        manufacturer="Quectel",
        description="EG25-G",
    )


def test_the_manifest_matches_the_modems_the_flow_knows() -> None:
    manifest = json.loads(
        (Path(modem_flow.__file__).parent / "manifest.json").read_text(encoding="utf-8")
    )
    matched = {(matcher["vid"], matcher["pid"]) for matcher in manifest["usb"]}
    assert matched == {*modem_flow.USB_MODEMS, modem_flow.HILINK}
    # no generic USB-serial adapter (CH340, CP210x, PL2303): every Zigbee stick would match
    assert not matched & {("1A86", "7523"), ("10C4", "EA60"), ("067B", "2303")}


def test_a_by_id_path_leads_to_the_modems_at_port() -> None:
    by_id = "/dev/serial/by-id/usb-Quectel_EG25-G_0123-if00-port0"
    quectel = modem_flow.USB_MODEMS[QUECTEL]
    assert at_port(by_id, quectel) == by_id.replace("-if00-", "-if02-")
    huawei = modem_flow.USB_MODEMS[("12D1", "1506")]
    assert at_port(by_id, huawei) == by_id  # its AT port is not numbered alike
    assert modem_key(by_id) == modem_key(by_id.replace("-if00-", "-if03-"))
    assert modem_key("/dev/ttyUSB2") != modem_key("/dev/ttyUSB3")


async def test_a_plugged_modem_is_offered_with_its_at_port(
    hass: HomeAssistant, mock_setup_entry: AsyncMock, modem: FakeModem
) -> None:
    """Any of its ports discovered (here its DIAG port, if00): the form names its AT port."""
    diag = modem.path.replace("-if02-", "-if00-")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(diag)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "usb_confirm"
    assert result["description_placeholders"] == {
        "name": "Quectel EC25 / EG25-G",
        "device": modem.path,
    }
    # its other ports discovered meanwhile make no second offer
    other = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(modem.path.replace("-if02-", "-if03-"))
    )
    assert other["type"] is FlowResultType.ABORT
    assert other["reason"] == "already_in_progress"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "modem"
    assert _suggested(result, CONF_DEVICE) == modem.path
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(modem.path))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == f"modem:{modem.path}"


async def test_a_plugged_modem_already_configured_is_not_offered(
    hass: HomeAssistant, modem: FakeModem
) -> None:
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"modem:{modem.path}",
        data={CONF_PROVIDER: "modem", CONF_DEVICE: modem.path},
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(modem.path)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_another_port_of_a_configured_modem_is_not_offered(hass: HomeAssistant) -> None:
    """A Huawei's ports are not numbered alike: its other ports are known by its by-id name."""
    pcui = "/dev/serial/by-id/usb-HUAWEI_Mobile-if02-port0"
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"modem:{pcui}",
        data={CONF_PROVIDER: "modem", CONF_DEVICE: pcui},
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USB},
        data=_usb(pcui.replace("-if02-", "-if00-"), ("12D1", "1506")),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_a_modem_whose_ports_are_not_numbered_alike_is_offered_once(
    hass: HomeAssistant,
) -> None:
    """Each port of a Huawei stick is discovered; the first found is offered, the rest not."""
    huawei = ("12D1", "1506")
    port = "/dev/serial/by-id/usb-HUAWEI_Mobile-if{:02d}-port0"
    first = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(port.format(0), huawei)
    )
    assert first["step_id"] == "usb_confirm"
    assert first["description_placeholders"] == {"name": "Huawei E3372", "device": port.format(0)}
    second = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb(port.format(2), huawei)
    )
    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "already_in_progress"


async def test_a_hilink_stick_is_named_as_such(hass: HomeAssistant) -> None:
    """No AT port: the user who opens the offer learns why Texto cannot use it."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_USB},
        data=_usb("/dev/serial/by-id/usb-HUAWEI_HiLink-if00-port0", ("12D1", "14DC")),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hilink"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "hilink_no_at_port"


def test_the_form_schema_validates_what_the_frontend_sends() -> None:
    schema = modem_flow.modem_schema([], {}, {})
    assert schema({CONF_DEVICE: "/dev/ttyUSB2"}) == {
        CONF_DEVICE: "/dev/ttyUSB2",
        CONF_ADVANCED: {CONF_BAUDRATE: 115200},
    }
    with pytest.raises(vol.Invalid):
        schema({CONF_PIN: PIN})


# --- reconfigure ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_changes_the_port_and_keeps_the_pin_left_empty(
    hass: HomeAssistant, modem: FakeModem
) -> None:
    """The form shows the stored settings (never the PIN); the running modem is not opened."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Modem ttyUSB2",
        unique_id=modem_flow.modem_unique_id("/dev/ttyUSB2"),
        data={
            CONF_PROVIDER: "modem",
            CONF_DEVICE: "/dev/ttyUSB2",
            CONF_PIN: "1234",
            CONF_BAUDRATE: 115200,
            CONF_INIT_COMMANDS: ['AT+CPMS="ME","ME","ME"'],
        },
    )
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)

    assert result["step_id"] == "reconfigure_modem"
    assert _suggested(result, CONF_DEVICE) == "/dev/ttyUSB2"
    assert "1234" not in repr(result)
    assert not _advanced_is_folded(result)  # it holds an init command
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(modem.path, baudrate=9600)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_DEVICE] == modem.path
    assert entry.data[CONF_PIN] == "1234"
    assert entry.data[CONF_BAUDRATE] == 9600
    assert entry.unique_id == modem_flow.modem_unique_id(modem.path)
    assert modem.commands == []  # the port is left to the account


@pytest.mark.usefixtures("mock_setup_entry")
async def test_reconfigure_refuses_a_port_another_account_has(hass: HomeAssistant) -> None:
    def modem_account(device: str) -> MockConfigEntry:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"Modem {device}",
            unique_id=modem_flow.modem_unique_id(device),
            data={CONF_PROVIDER: "modem", CONF_DEVICE: device, CONF_BAUDRATE: 115200},
        )
        entry.add_to_hass(hass)
        return entry

    first, _ = modem_account("/dev/ttyUSB2"), modem_account("/dev/ttyUSB5")

    result = await first.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form("/dev/ttyUSB5")
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert first.data[CONF_DEVICE] == "/dev/ttyUSB2"
