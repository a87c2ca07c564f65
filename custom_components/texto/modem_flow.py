"""The modem's part of the config flow: its form, the ports offered, the check, the USB facts.

The flow steps live in config_flow.py; this module knows what a modem account needs: a
serial port (a path, ``socket://`` or ``rfc2217://``), an optional SIM PIN, and under
*Advanced* the baud rate and the user's own init commands.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import serialx
import voluptuous as vol
from homeassistant.data_entry_flow import section
from homeassistant.helpers import selector as ha_selector
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .const import (
    CONF_ADVANCED,
    CONF_BAUDRATE,
    CONF_DEVICE,
    CONF_INIT_COMMANDS,
    CONF_PIN,
    CONF_PROVIDER,
    DEFAULT_BAUDRATE,
    PROVIDER_MODEM,
)
from .gateway.modem import (
    CannotOpenError,
    InitCommandError,
    InvalidPinError,
    ModemError,
    ModemGateway,
    ModemStatus,
    NoAnswerError,
    PinRequiredError,
    SimError,
)

_LOGGER = logging.getLogger(__name__)

#: how long each AT command of the check may take (the library's own default is for sending)
COMMAND_TIMEOUT: Final = 5.0
#: the whole check: open, initialise, unlock the SIM (a modem just plugged in takes ~30 s)
CHECK_TIMEOUT: Final = 60.0

BY_ID_FOLDER: Final = "/dev/serial/by-id/"
#: the examples the device field's help shows (hassfest wants URLs out of texts)
EXAMPLE_URLS: Final = {
    "socket_url": "socket://192.168.1.20:4001",
    "rfc2217_url": "rfc2217://192.168.1.20:4001",
}
#: the types of Home Assistant serial port selectors, newest first (2026.2 has none)
SERIAL_PORT_SELECTORS: Final = ("serial_port", "serial")
#: a SIM PIN (TS 31.102: 4 to 8 digits); anything else is refused before the SIM counts it
_PIN = re.compile(r"\d{4,8}")
#: an init command: AT and printable ASCII (a line end would start another command)
_INIT_COMMAND = re.compile(r"AT[\x20-\x7e]*", re.IGNORECASE)
#: the interface part of a /dev/serial/by-id/ name: "...-if02-port0"
_INTERFACE = re.compile(r"-if(\d+)-port\d+$")

PIN_SELECTOR: Final = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
BAUDRATE_SELECTOR: Final = NumberSelector(
    NumberSelectorConfig(min=300, max=4_000_000, step=1, mode=NumberSelectorMode.BOX)
)
INIT_COMMANDS_SELECTOR: Final = TextSelector(TextSelectorConfig(multiple=True))


# --- USB discovery -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UsbModem:
    """A modem the manifest's ``usb`` matchers name."""

    name: str
    #: the ``ifNN`` of its (primary) AT port; None when its ports are not numbered alike
    at_interface: int | None


#: by (vid, pid) as Home Assistant writes them (ModemManager's udev rules)
USB_MODEMS: Final[Mapping[tuple[str, str], UsbModem]] = {
    ("2C7C", "0125"): UsbModem("Quectel EC25 / EG25-G", 2),
    ("2C7C", "0191"): UsbModem("Quectel EG91", 2),
    ("2C7C", "0195"): UsbModem("Quectel EG95", 2),
    ("2C7C", "0296"): UsbModem("Quectel BG96", 2),
    ("2C7C", "0306"): UsbModem("Quectel EG06", 2),
    ("2C7C", "0800"): UsbModem("Quectel RM500", 2),
    ("1E0E", "9001"): UsbModem("SIMCom SIM7000 / SIM7100 / SIM7600", 2),
    ("1E0E", "9205"): UsbModem("SIMCom SIM7070 / SIM7080 / SIM7090", 2),
    ("12D1", "1506"): UsbModem("Huawei E3372", None),
}
#: the Huawei E3372 with HiLink firmware: a small web router, no AT port at all
HILINK: Final = ("12D1", "14DC")
HILINK_NAME: Final = "Huawei E3372 (HiLink)"


def at_port(device: str, modem: UsbModem | None) -> str:
    """The by-id path of the modem's AT port, from the path of any of its ports.

    Home Assistant discovers each port of a modem (DIAG, GPS, PPP ...); they all lead
    here, to the one that answers AT commands.
    """
    if modem is None or modem.at_interface is None:
        return device
    return _INTERFACE.sub(f"-if{modem.at_interface:02d}-port0", device)


def modem_key(device: str) -> str:
    """What tells one modem from another: a by-id path without its interface part."""
    if device.startswith(BY_ID_FOLDER):
        return _INTERFACE.sub("", device)
    return device


def modem_unique_id(device: str) -> str:
    """The unique id of the modem account on ``device``."""
    return f"{PROVIDER_MODEM}:{device}"


# --- the form ----------------------------------------------------------------------------


def port_options(ports: Iterable[serialx.SerialPortInfo]) -> list[SelectOptionDict]:
    """The ports found, /dev/serial/by-id/ first (their names survive a reboot)."""
    ordered = sorted(
        ports, key=lambda port: (not port.device.startswith(BY_ID_FOLDER), port.device)
    )
    return [SelectOptionDict(value=port.device, label=_port_label(port)) for port in ordered]


def _port_label(port: serialx.SerialPortInfo) -> str:
    """Maker, model and interface, then the path: the interface tells a modem's ports apart."""
    words = [word for word in (port.manufacturer, port.product) if word]
    if port.interface_num is not None:
        words.append(f"(interface {port.interface_num})")
    return f"{' '.join(words)} - {port.device}" if words else port.device


async def async_port_options() -> list[SelectOptionDict]:
    """The serial ports of this machine; none when they cannot be listed."""
    try:
        ports = await serialx.async_list_serial_ports()
    except (OSError, serialx.SerialException) as err:
        _LOGGER.debug("The serial ports cannot be listed: %s", err)
        return []
    return port_options(ports)


def device_selector(options: list[SelectOptionDict]) -> ha_selector.Selector[Any]:
    """Home Assistant's serial port selector where it has one, else a list open to typing."""
    for name in SERIAL_PORT_SELECTORS:
        if name in ha_selector.SELECTORS:
            return ha_selector.selector({name: {}})
    return SelectSelector(
        SelectSelectorConfig(options=options, custom_value=True, mode=SelectSelectorMode.DROPDOWN)
    )


def modem_schema(
    options: list[SelectOptionDict], errors: Mapping[str, str], shown: Mapping[str, Any]
) -> vol.Schema:
    """The modem's form; *Advanced* is folded unless it holds a value or an error."""
    advanced = shown.get(CONF_ADVANCED) or {}
    customised = advanced.get(CONF_BAUDRATE, DEFAULT_BAUDRATE) != DEFAULT_BAUDRATE or any(
        command.strip() for command in advanced.get(CONF_INIT_COMMANDS) or []
    )
    return vol.Schema(
        {
            # an empty suggestion: without one the frontend fills a required list with its
            # first port, which may be another device's (a Zigbee stick) or the modem's DIAG port
            vol.Required(CONF_DEVICE, description={"suggested_value": ""}): device_selector(
                options
            ),
            vol.Optional(CONF_PIN): PIN_SELECTOR,
            vol.Optional(CONF_ADVANCED, default={}): section(
                vol.Schema(
                    {
                        vol.Optional(CONF_BAUDRATE, default=DEFAULT_BAUDRATE): BAUDRATE_SELECTOR,
                        vol.Optional(CONF_INIT_COMMANDS): INIT_COMMANDS_SELECTOR,
                    }
                ),
                {"collapsed": CONF_ADVANCED not in errors and not customised},
            ),
        }
    )


@dataclass(slots=True)
class ModemInput:
    """What the modem form describes: entry data, or errors found without opening a port."""

    data: dict[str, Any]
    errors: dict[str, str]
    placeholders: dict[str, str]


def read_modem_input(user_input: Mapping[str, Any]) -> ModemInput:
    """The entry data of the form; errors are keyed by field, or by the section (as core does)."""
    errors: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    device = str(user_input.get(CONF_DEVICE) or "").strip()
    if not device:
        errors[CONF_DEVICE] = "required"
    pin = str(user_input.get(CONF_PIN) or "").strip()
    if pin and not _PIN.fullmatch(pin):
        errors[CONF_PIN] = "invalid_pin_format"
    advanced = user_input.get(CONF_ADVANCED) or {}
    commands = [str(command).strip() for command in advanced.get(CONF_INIT_COMMANDS) or []]
    commands = [command for command in commands if command]
    for command in commands:
        if not _INIT_COMMAND.fullmatch(command):
            # the frontend shows an error of a field inside a section only under its name
            errors[CONF_ADVANCED] = "invalid_init_command"
            placeholders["command"] = command
            break
    data: dict[str, Any] = {
        CONF_PROVIDER: PROVIDER_MODEM,
        CONF_DEVICE: device,
        CONF_BAUDRATE: int(advanced.get(CONF_BAUDRATE, DEFAULT_BAUDRATE)),
        CONF_INIT_COMMANDS: commands,
    }
    if pin:
        data[CONF_PIN] = pin
    return ModemInput(data, errors, placeholders)


def shown_input(user_input: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a form shown again keeps of the input: everything but the PIN.

    A PIN is never sent back to the browser, and never submitted again unless typed again:
    three wrong ones lock the SIM.
    """
    return {key: value for key, value in (user_input or {}).items() if key != CONF_PIN}


def modem_title(device: str, model: str | None = None) -> str:
    """'Modem' and its model when it names itself; else the end of its path or URL.

    Never the PIN.
    """
    if model and model.strip():
        return f"Modem {model.strip()}"
    return f"Modem {device.rstrip('/').rsplit('/', 1)[-1]}"


# --- the check ---------------------------------------------------------------------------


@dataclass(slots=True)
class ModemCheck:
    """The outcome of opening the modem: its status, or the form's errors."""

    status: ModemStatus | None
    errors: dict[str, str]
    placeholders: dict[str, str]


async def async_check_modem(data: Mapping[str, Any]) -> ModemCheck:
    """Open the port, initialise the modem (SIM PIN, init commands), close it again.

    No inbound handler is set: the SIM's messages stay where they are for the entry.
    """
    gateway = ModemGateway(
        data[CONF_DEVICE],
        pin=data.get(CONF_PIN),
        baudrate=data[CONF_BAUDRATE],
        init_commands=data[CONF_INIT_COMMANDS],
        command_timeout=COMMAND_TIMEOUT,
    )
    errors: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    status: ModemStatus | None = None
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            status = await gateway.connect()
    except (CannotOpenError, NoAnswerError, TimeoutError) as err:
        _LOGGER.debug("The modem cannot be reached: %s", err)
        errors[CONF_DEVICE] = "cannot_connect"
    except PinRequiredError:
        errors[CONF_PIN] = "pin_required"
    except InvalidPinError:
        errors[CONF_PIN] = "invalid_pin"
    except SimError as err:
        errors["base"] = "sim_puk_required" if err.sim_state == "puk_required" else "sim_missing"
    except InitCommandError as err:
        errors[CONF_ADVANCED] = "init_command_failed"
        placeholders["command"] = err.command
    except ModemError as err:
        # it answers AT but refuses what SMS needs (PDU mode): not a modem's AT port
        _LOGGER.debug("The modem refused its initialisation: %s", err)
        errors[CONF_DEVICE] = "cannot_connect"
    except Exception:
        _LOGGER.exception("Unexpected error while checking the modem")
        errors["base"] = "unknown"
    finally:
        await gateway.close()
    return ModemCheck(status, errors, placeholders)
