"""What can stop a modem from being used: each names what a person must do."""

from __future__ import annotations

from .errors import GatewayError


class ModemError(GatewayError):
    """The modem could not be opened or initialised."""


class CannotOpenError(ModemError):
    """The port cannot be opened (missing, held by another program such as ModemManager)."""


class NoAnswerError(ModemError):
    """The port opened but nothing answers ``AT`` (another interface of the modem?)."""


class PinRequiredError(ModemError):
    """The SIM asks for its PIN and none was given."""


class InvalidPinError(ModemError):
    """The SIM refused the PIN: it is never sent again by this client (3 tries lock the SIM)."""


class SimError(ModemError):
    """The SIM is missing, or locked beyond its PIN (PUK): a person must act."""

    def __init__(self, message: str, *, sim_state: str) -> None:
        super().__init__(message)
        self.sim_state = sim_state


class InitCommandError(ModemError):
    """One of the user's init commands did not answer ``OK``."""

    def __init__(self, command: str) -> None:
        super().__init__(f"the init command {command!r} did not answer OK")
        self.command = command


class UssdError(ModemError):
    """A USSD request got no usable answer: refused, ended by the network, or none in time."""

    def __init__(self, message: str, *, result: int | None = None) -> None:
        super().__init__(message, code=None if result is None else str(result))
        #: the ``+CUSD: <m>`` the network answered (2 ended, 4 not supported, ...), None: none
        self.result = result


class InvalidUssdCodeError(ModemError):
    """A USSD code other than ``*``, ``#`` and digits (at most 20): never sent."""


__all__ = [
    "CannotOpenError",
    "InitCommandError",
    "InvalidPinError",
    "InvalidUssdCodeError",
    "ModemError",
    "NoAnswerError",
    "PinRequiredError",
    "SimError",
    "UssdError",
]
