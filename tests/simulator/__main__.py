"""Run every fake gateway on 127.0.0.1 until interrupted: ``python -m tests.simulator``.

Prints each gateway's base URL and credentials, to paste in Texto's config flow (the
"Advanced" section's URL) or to let ``scripts/develop`` configure them, and the fake modem's
device path (a pty) and ``socket://`` URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal

from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.mail2sms import Mail2SmsSimulator
from tests.simulator.modem import FakeModem
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SmsmodeSimulator

#: seconds after an immediate send until the simulators report it delivered
DEMO_DELIVERY_DELAY = 3.0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.simulator", description=__doc__)
    parser.add_argument(
        "--base-port",
        type=int,
        default=8901,
        help=(
            "AllMySMS listens here, smsmode on +1, 123-SMS on +2, Mail2SMS SMTP on +3, the"
            " modem's socket:// on +4; 0: each on a free port (the browser tests)"
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the settings as JSON")
    return parser.parse_args()


async def _run(base_port: int, as_json: bool) -> None:
    def port(offset: int) -> int:
        return base_port + offset if base_port else 0

    allmysms = AllMySmsSimulator(port=port(0), auto_deliver_after=DEMO_DELIVERY_DELAY)
    smsmode = SmsmodeSimulator(port=port(1), auto_deliver_after=DEMO_DELIVERY_DELAY)
    sms123 = Sms123Simulator(port=port(2), auto_deliver_after=DEMO_DELIVERY_DELAY)
    mail2sms = Mail2SmsSimulator(allmysms)
    mail2sms.port = port(3)
    modem = FakeModem(tcp_port=port(4), auto_report_after=DEMO_DELIVERY_DELAY)
    for simulator in (allmysms, smsmode, sms123):
        await simulator.start()
    smtp_host, smtp_port = await mail2sms.start()
    modem_device = await modem.start()
    modem_socket = await modem.serve_tcp()
    settings = {
        "allmysms": {
            "url": allmysms.base_url,
            "username": allmysms.login,
            "api_key": allmysms.api_key,
        },
        "smsmode": {"url": smsmode.base_url, "access_token": smsmode.access_token},
        "sms123": {"url": sms123.base_url, "username": sms123.user, "api_key": sms123.api_key},
        "mail2sms": {"smtp_host": smtp_host, "smtp_port": smtp_port, "smtp_security": "none"},
        "modem": {"device": modem_device, "socket": modem_socket},
    }
    if as_json:
        print(json.dumps(settings), flush=True)  # noqa: T201 - this is the program's output
    else:
        for name, values in settings.items():
            line = "  ".join(f"{key}={value}" for key, value in values.items())
            print(f"{name:9} {line}", flush=True)  # noqa: T201
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await mail2sms.stop()
        await modem.stop()
        for simulator in (allmysms, smsmode, sms123):
            await simulator.stop()


def main() -> None:
    """Serve until SIGINT or SIGTERM."""
    arguments = _arguments()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(arguments.base_port, arguments.json))


if __name__ == "__main__":
    main()
