"""The demo as a user meets it: the simulators and a real Home Assistant, in processes of their own.

Started the way ``scripts/develop`` starts them (the simulators' settings, then
``scripts/demo_config.py`` seeding the configuration, then ``hass --skip-pip``), but in a
temporary configuration directory and on free ports, so that a running demo is not disturbed.
Everything here is synchronous: the browser tests drive Playwright's synchronous API.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]
#: seconds Home Assistant may take to start (importing it alone takes 5-10 s here)
START_TIMEOUT = 120.0
#: seconds it may take to stop
STOP_TIMEOUT = 30.0
USERNAME = "demo"
PASSWORD = "demo-password-1234"
#: how each record of home-assistant.log starts: "2026-12-01 21:25:00.123 ERROR (MainThread) [x]"
_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (?P<level>[A-Z]+) \([^)]*\) \[(?P<logger>[^\]]+)\]"
)


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class LogRecord:
    """One record of Home Assistant's log: its level, logger and first line."""

    level: str
    logger: str
    text: str


def read_records(text: str) -> list[LogRecord]:
    """The records of a home-assistant.log text (continuation lines belong to their record)."""
    matches = (_RECORD.match(line) for line in text.splitlines())
    return [LogRecord(match["level"], match["logger"], match.string) for match in matches if match]


@dataclass
class Demo:
    """The simulators and Home Assistant with the demo's configuration, until ``stop``."""

    workdir: Path
    #: gateways whose demo account is left out (a test adds it through the config flow)
    without: tuple[str, ...] = ()
    port: int = 0
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_token: str | None = None
    _simulators: subprocess.Popen[str] | None = None
    _home_assistant: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Home Assistant's address."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_dir(self) -> Path:
        """Home Assistant's configuration directory."""
        return self.workdir / "config"

    @property
    def log_file(self) -> Path:
        """What Home Assistant logged."""
        return self.config_dir / "home-assistant.log"

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the simulators, seed the configuration, start Home Assistant, onboard it."""
        self._start_simulators()
        self.config_dir.mkdir(parents=True)
        shutil.copy(REPOSITORY / "config" / "configuration.yaml", self.config_dir)
        without = [argument for name in self.without for argument in ("--without", name)]
        subprocess.run(
            [
                sys.executable,
                str(REPOSITORY / "scripts" / "demo_config.py"),
                str(self.config_dir),
                json.dumps(self.settings),
                *without,
            ],
            check=True,
            cwd=REPOSITORY,
            capture_output=True,
        )
        self.port = free_port()
        self._home_assistant = subprocess.Popen(
            [sys.executable, "-m", "homeassistant", "--config", str(self.config_dir), "--skip-pip"],
            cwd=REPOSITORY,
            env={**os.environ, "TEXTO_HA_PORT": str(self.port)},
            stdout=subprocess.DEVNULL,
            stderr=(self.workdir / "hass.stderr").open("wb"),
        )
        self._wait_until_up()
        self.onboard()
        self._wait_until_running()

    def _start_simulators(self) -> None:
        self._simulators = subprocess.Popen(
            [sys.executable, "-m", "tests.simulator", "--json", "--base-port", "0"],
            cwd=REPOSITORY,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._simulators.stdout is not None
        line = self._simulators.stdout.readline()  # the settings, once they all listen
        if not line:
            raise RuntimeError("the simulators did not start")
        self.settings = json.loads(line)

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self._home_assistant is not None
            if self._home_assistant.poll() is not None:
                raise RuntimeError(f"Home Assistant stopped: {self.stderr()[-2000:]}")
            try:
                self.request("GET", "/api/onboarding", authorized=False)
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        raise RuntimeError(f"Home Assistant did not answer within {START_TIMEOUT} s")

    def _wait_until_running(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.request("GET", "/api/config")["state"] == "RUNNING":
                return
            time.sleep(0.5)
        raise RuntimeError(f"Home Assistant was not running within {START_TIMEOUT} s")

    def stop(self) -> None:
        """Stop Home Assistant (it writes its stores), then the simulators."""
        for process in (self._home_assistant, self._simulators):
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._simulators is not None and self._simulators.stdout is not None:
            self._simulators.stdout.close()

    # --- talking to it ------------------------------------------------------------------

    def request(
        self, method: str, path: str, body: object | None = None, *, authorized: bool = True
    ) -> Any:
        """Call Home Assistant's REST API; the decoded JSON answer."""
        headers = {"Content-Type": "application/json"}
        if authorized:
            assert self.access_token is not None, "onboard first"
            headers["Authorization"] = f"Bearer {self.access_token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, headers=headers, method=method
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def onboard(self) -> None:
        """Onboard as the onboarding page does: the owner, then "Finish"; keep a token.

        The demo's configuration has the "Home" and analytics steps done already.
        """
        client_id = f"{self.url}/"
        created = self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": client_id,
                "name": "Demo",
                "username": USERNAME,
                "password": PASSWORD,
                "language": "en",
            },
            authorized=False,
        )
        form = urllib.parse.urlencode(
            {
                "grant_type": "authorization_code",
                "code": created["auth_code"],
                "client_id": client_id,
            }
        ).encode()
        request = urllib.request.Request(f"{self.url}/auth/token", data=form, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            self.access_token = json.loads(response.read())["access_token"]
        self.request(
            "POST",
            "/api/onboarding/integration",
            {"client_id": client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
        )

    # --- what it logged -----------------------------------------------------------------

    def log_text(self) -> str:
        """Home Assistant's log so far."""
        return (
            self.log_file.read_text(encoding="utf-8", errors="replace")
            if self.log_file.exists()
            else ""
        )

    def stderr(self) -> str:
        """What Home Assistant wrote to its standard error."""
        path = self.workdir / "hass.stderr"
        return path.read_text(errors="replace") if path.exists() else ""
