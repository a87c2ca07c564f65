"""A fake GSM modem speaking AT commands in PDU mode, on a pseudo-terminal and over TCP.

It behaves as the modems of the field do (see shared/reference/modem-interface.md): echo
when ``ATE1``, ``+CME``/``+CMS`` errors, the ``\\r\\n> `` prompt without a line end, storage
indices, ``+CMTI``/``+CDS``/``+CDSI`` announcements, start-up lines, a SIM PIN that locks
after three wrong tries. The pty's slave is raw (no CR/LF translation) and reached through
a stable symlink, as ``/dev/serial/by-id/...``, re-pointed to a new pty on ``replug``.

Faults for the next ``count`` sends (one per ``AT+CMGS``), see ``fail_next_send``:

* ``cms_error``        - ``+CMS ERROR: <code>`` after the PDU (``delay`` s later), not sent
* ``no_prompt``        - ``ERROR`` to ``AT+CMGS``, no ``> ``: nothing sent
* ``slow_prompt``      - ``delay`` seconds before the ``> ``
* ``silent_after_pdu`` - the PDU accepted (it went: in ``submits``), never answered
* ``urc_inside``       - a genuine reply stored and its ``+CMTI`` written between the PDU
  and ``+CMGS``

``send_delay`` is the seconds the network takes to accept each accepted PDU (the ``+CMGS``
comes that late; the modem takes no other command meanwhile).
USSD (``AT+CUSD=1,"<code>",15``): answered ``OK``, then ``ussd_delay`` s later the URC
``+CUSD: <ussd_result>,"<ussd_reply>",<ussd_dcs>`` (``ussd_reply`` written as a modem gives
it: text, or hex the test encoded); ``+CUSD: <ussd_result>`` alone when the result is not 0
or 1 (2: the network ended it, 4: not supported); no URC at all when ``ussd_reply`` is None.
The codes asked are in ``ussd_requests``.

``silent = True`` is a hung modem (nothing answered); ``cmgl_refused = True`` answers
``AT+CMGL`` with ``+CMS ERROR: 303`` as some Quectel firmware does; ``answer_late`` makes
the next commands of a kind answer late (a busy modem: the commands after wait their turn).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import tempfile
import tty
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from .sms_pdus import ESC, deliver_pdus, status_report_pdu, tpdu_length

try:
    from texto_gateway.pdu import PduError, Submit, decode
except ImportError:  # Home Assistant's environment: the library inside the integration
    from custom_components.texto.gateway.pdu import PduError, Submit, decode

__all__ = ["AcceptedSubmit", "FakeModem", "deliver_pdus", "status_report_pdu"]

#: what the fake answers to AT+CGMM (the flow names an account after it)
MODEL = "Fake LTE"

CTRL_Z = 0x1A
SEND_FAULTS = frozenset({"cms_error", "no_prompt", "slow_prompt", "silent_after_pdu", "urc_inside"})
PUK = "12345678"
CAPACITY = 50
#: answers that never change
_FIXED = {
    "I": "Texto Fake LTE",
    "+CGMI": "Texto",
    "+CGMM": MODEL,
    "+CMGF?": "+CMGF: 0",
    "+CSMS?": "+CSMS: 0,1,1,1",
    "+CESQ": "+CESQ: 99,99,255,255,20,50",
}
_CNMI = re.compile(r"(\d*)(?:,(\d*))?(?:,(\d*))?(?:,(\d*))?(?:,(\d*))?")


@dataclass(frozen=True, kw_only=True)
class AcceptedSubmit(Submit):
    """An SMS-SUBMIT the fake accepted, with the TP-MR it answered (``+CMGS: <mr>``)."""

    mr: int


@dataclass
class _Link:
    """One side talking to the modem: the pty, or one TCP connection."""

    write: Callable[[bytes], None]
    close: Callable[[], None] = lambda: None
    buffer: bytearray = field(default_factory=bytearray)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False
    task: asyncio.Task[None] | None = None

    def feed(self, data: bytes) -> None:
        if not data:
            self.closed = True
        self.buffer += data
        self.arrived.set()

    async def take_until(self, stops: bytes) -> tuple[bytes, int] | None:
        """Bytes up to the first of ``stops`` (and which), None when the link closed."""
        while True:
            found = [i for i in (self.buffer.find(bytes([s])) for s in stops) if i >= 0]
            if found:
                end = min(found)
                chunk, stop = bytes(self.buffer[:end]), self.buffer[end]
                del self.buffer[: end + 1]
                return chunk, stop
            if self.closed:
                return None
            self.arrived.clear()
            await self.arrived.wait()


# --- the modem ----------------------------------------------------------------------------


class FakeModem:
    """One modem with a SIM: served on a pty (stable path) and, if asked, over TCP."""

    def __init__(
        self,
        *,
        tcp_port: int = 0,
        pin: str | None = None,
        echo: bool = False,
        reports: bool = True,
        first_index: int = 1,
        startup_lines: Sequence[str] = (),
        operator: str = "Orange F",
        signal_csq: int = 20,
        registered: bool = True,
        auto_report_after: float | None = None,
        send_delay: float = 0.0,
    ) -> None:
        self.pin = pin
        #: seconds between an accepted PDU and its ``+CMGS``, as a real network takes
        self.send_delay = send_delay
        #: seconds after which each accepted send asking for it gets a "delivered" report
        self.auto_report_after = auto_report_after
        self.initial_echo = echo
        self.reports = reports
        self.first_index = first_index
        self.startup_lines = list(startup_lines)
        self.operator = operator
        self.signal_csq = signal_csq
        self.registered = registered
        self.silent = False
        self.cmgl_refused = False
        #: the USSD answer (see the module's docstring)
        self.ussd_reply: str | None = "Votre solde est de 5,20 EUR. Valable jusqu'au 31/12/2026"
        self.ussd_dcs = 15
        self.ussd_result = 0
        self.ussd_delay = 0.05
        self.ussd_requests: list[str] = []
        # what it saw
        self.commands: list[str] = []
        self.submits: list[AcceptedSubmit] = []
        self.storage: dict[int, str] = {}
        self.wrong_pins = 0
        self.sim_state = "SIM PIN" if pin else "READY"
        self._read: set[int] = set()
        self._next_mr = 0
        self._next_reference = 0
        self._faults: deque[tuple[str, int, float]] = deque()
        self._late: list[tuple[str, float]] = []
        self._held_lines: list[str] = []
        self._links: list[_Link] = []
        self._pty: tuple[int, int] | None = None
        self._pending = bytearray()
        self._folder = Path(tempfile.mkdtemp(prefix="texto-modem-"))
        self._link_path = self._folder / "usb-Texto_Fake_LTE_Modem-if02-port0"
        #: the stable device path, as /dev/serial/by-id/... (a symlink to the current pty)
        self.path = str(self._link_path)
        self._server: asyncio.Server | None = None
        #: where ``serve_tcp`` listens (0: a free port, the one it got afterwards)
        self._tcp_port = tcp_port
        self._timers: set[asyncio.TimerHandle] = set()
        self._reset()

    def _reset(self) -> None:
        """What a power cycle forgets (the SIM keeps storage and TP-MR)."""
        self.echo = self.initial_echo
        self.cmee = 0
        self.radio_on = True
        self.cnmi = [2, 1, 0, 0, 0]
        if self.pin and self.sim_state == "READY":
            self.sim_state = "SIM PIN"

    # --- life -----------------------------------------------------------------------------

    async def start(self) -> str:
        """Open the pty; the stable path (a symlink) to give to the library."""
        self._open_pty()
        return self.path

    async def serve_tcp(self) -> str:
        """Serve the same modem over TCP, as a serial server does: ``socket://`` URL."""
        self._server = await asyncio.start_server(self._tcp_client, "127.0.0.1", self._tcp_port)
        self._tcp_port = self._server.sockets[0].getsockname()[1]
        return f"socket://127.0.0.1:{self._tcp_port}"

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        await self.unplug()
        shutil.rmtree(self._folder, ignore_errors=True)

    async def unplug(self) -> None:
        """The modem gone: the pty closed (I/O fails), the path removed, TCP clients cut."""
        self._link_path.unlink(missing_ok=True)
        if self._pty is not None:
            master, slave = self._pty
            loop = asyncio.get_running_loop()
            loop.remove_reader(master)
            loop.remove_writer(master)
            os.close(master)
            os.close(slave)
            self._pty = None
            self._pending.clear()
        if self._server is not None:
            self._server.close()
            self._server = None
        for link in list(self._links):
            link.closed = True
            link.close()
            if link.task is not None:
                link.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await link.task
        self._links.clear()

    async def replug(self) -> None:
        """A new pty behind the same path (and TCP again on the same port if it was served)."""
        serve_tcp = self._tcp_port != 0
        await self.unplug()
        self._reset()
        self._open_pty()
        if serve_tcp:
            await self.serve_tcp()

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/LF translation by the line discipline
        os.set_blocking(master, False)
        self._pty = (master, slave)  # the slave stays open here so the master never sees EIO
        link = _Link(write=self._pty_write)
        asyncio.get_running_loop().add_reader(master, self._pty_readable, link)
        self._attach(link)
        temporary = self._folder / "replugging"
        temporary.symlink_to(os.ttyname(slave))
        temporary.replace(self._link_path)

    def _pty_readable(self, link: _Link) -> None:
        assert self._pty is not None
        with contextlib.suppress(BlockingIOError):
            link.feed(os.read(self._pty[0], 4096))

    def _pty_write(self, data: bytes) -> None:
        if self._pty is None:
            return
        self._pending += data
        self._flush_pty()

    def _flush_pty(self) -> None:
        if self._pty is None:
            return
        master = self._pty[0]
        try:
            written = os.write(master, self._pending)
        except BlockingIOError:
            written = 0
        del self._pending[:written]
        loop = asyncio.get_running_loop()
        if self._pending:
            loop.add_writer(master, self._flush_pty)
        else:
            loop.remove_writer(master)

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = _Link(write=writer.write, close=writer.close)
        self._attach(link)
        try:
            while not link.closed:
                link.feed(await reader.read(4096))
        except (ConnectionError, asyncio.CancelledError):
            link.feed(b"")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _attach(self, link: _Link) -> None:
        self._links.append(link)
        link.task = asyncio.get_running_loop().create_task(self._serve(link))

    def _write(self, link: _Link, text: str) -> None:
        if not self.silent and not link.closed:
            link.write(text.encode())

    def _announce(self, text: str) -> None:
        for link in self._links:
            self._write(link, text)

    # --- what it saw ----------------------------------------------------------------------

    def sent_texts(self) -> list[tuple[str, str]]:
        """(number, text) of each whole message sent, its parts joined in order."""
        messages: list[tuple[str, dict[int, str], int]] = []
        open_parts: dict[tuple[str, int, int], dict[int, str]] = {}
        for submit in self.submits:
            text = submit.user_data.text or ""
            part = submit.user_data.concatenation
            if part is None:
                messages.append((submit.recipient, {1: text}, 1))
                continue
            key = (submit.recipient, part.reference, part.total)
            parts = open_parts.get(key)
            if parts is None or part.seq in parts:
                parts = open_parts[key] = {}
                messages.append((submit.recipient, parts, part.total))
            parts[part.seq] = text
        return [
            (number, "".join(parts[seq] for seq in sorted(parts)))
            for number, parts, total in messages
            if len(parts) == total
        ]

    # --- injecting ------------------------------------------------------------------------

    def store_pdu(self, pdu: str, *, memory: str = "SM", announce: bool = True) -> int:
        """Store any PDU (junk included) in the first free index, with ``+CMTI`` if asked."""
        index = self.first_index
        while index in self.storage:
            index += 1
        self.storage[index] = pdu
        self._read.discard(index)
        if announce and self.cnmi[1] != 0:
            self._announce(f'\r\n+CMTI: "{memory}",{index}\r\n')
        return index

    async def inject_reply(
        self,
        number: str,
        text: str,
        *,
        memory: str = "SM",
        announce: bool = True,
        parts_order: Sequence[int] | None = None,
    ) -> list[int]:
        """A reply from the network: stored part by part (``parts_order``: 1-based part
        numbers, some may be left out), each announced; the indices used, in that order."""
        reference, self._next_reference = self._next_reference, (self._next_reference + 1) % 256
        pdus = deliver_pdus(number, text, reference=reference)
        order = parts_order or range(1, len(pdus) + 1)
        return [self.store_pdu(pdus[seq - 1], memory=memory, announce=announce) for seq in order]

    async def inject_report(
        self, mr: int, number: str, status: int = 0, *, stored: bool = False
    ) -> None:
        """A status report: ``+CDS`` with its PDU, or stored and announced by ``+CDSI``
        (``stored``, or ``AT+CNMI`` asked ``<ds>=2``); dropped when ``<ds>`` is 0."""
        self._report(mr, number, status, stored=stored)

    def _report(self, mr: int, number: str, status: int, *, stored: bool) -> None:
        pdu = status_report_pdu(mr, number, status)
        if stored or self.cnmi[3] == 2:
            index = self.store_pdu(pdu, announce=False)
            self._announce(f'\r\n+CDSI: "SR",{index}\r\n')
        elif self.cnmi[3] == 1:
            self._announce(f"\r\n+CDS: {tpdu_length(pdu)}\r\n{pdu}\r\n")

    def _report_later(self, mr: int, number: str) -> None:
        def report() -> None:
            self._timers.discard(timer)
            self._report(mr, number, 0, stored=False)

        assert self.auto_report_after is not None
        timer = asyncio.get_running_loop().call_later(self.auto_report_after, report)
        self._timers.add(timer)

    async def inject_line(self, line: str, *, inside_next_answer: bool = False) -> None:
        """An unsolicited line now, or held until the next answer (before its final code)."""
        if inside_next_answer:
            self._held_lines.append(line)
        else:
            self._announce(f"\r\n{line}\r\n")

    def fail_next_send(
        self, kind: str, *, count: int = 1, code: int = 500, delay: float = 0.0
    ) -> None:
        """The next ``count`` ``AT+CMGS`` go wrong this way (see the module's docstring)."""
        if kind not in SEND_FAULTS:
            raise ValueError(f"unknown send fault {kind!r}")
        self._faults.extend([(kind, code, delay)] * count)

    def answer_late(self, command: str, delay: float, *, count: int = 1) -> None:
        """The next ``count`` commands starting with ``command`` are answered ``delay`` s
        late; the modem takes no other command meanwhile, as a busy one does."""
        self._late.extend([(command.upper(), delay)] * count)

    def clear_faults(self) -> None:
        self._faults.clear()
        self._late.clear()

    # --- the AT interpreter ---------------------------------------------------------------

    async def _serve(self, link: _Link) -> None:
        # the start-up lines come as the host first speaks (a serial port's open flushes
        # its input, so lines written before it would never be seen): still booting
        booting = True
        while (got := await link.take_until(b"\r\n")) is not None:
            if booting:
                self._write(link, "".join(f"\r\n{line}\r\n" for line in self.startup_lines))
                booting = False
            line = got[0].decode(errors="replace").strip(" \x1a\x1b")
            if not line:
                continue
            self.commands.append(line)
            if self.echo:
                self._write(link, line + "\r")
            if line.upper().startswith("AT+CMGS="):
                await self._cmgs(link, line[8:])
            else:
                late = next((f for f in self._late if line.upper().startswith(f[0])), None)
                if late is not None:
                    self._late.remove(late)
                    await asyncio.sleep(late[1])
                self._answer(link, self._command(line))
        if link in self._links:
            self._links.remove(link)

    def _answer(self, link: _Link, lines: list[str]) -> None:
        """Information lines (a ``+CMGR``'s PDU follows its header), held URCs, final code."""
        *information, final = lines
        text = "".join(information)
        text += "".join(f"\r\n{held}\r\n" for held in self._held_lines)
        self._held_lines.clear()
        self._write(link, text + f"\r\n{final}\r\n")

    def _cme(self, code: int, words: str) -> list[str]:
        if self.cmee == 0:
            return ["ERROR"]
        return [f"+CME ERROR: {code if self.cmee == 1 else words}"]

    def _sim_error(self) -> list[str] | None:
        """The error of an SMS command while the SIM is locked, None when it is ready."""
        if self.sim_state == "READY":
            return None
        return ["+CMS ERROR: 311" if self.sim_state == "SIM PIN" else "+CMS ERROR: 316"]

    def _command(self, line: str) -> list[str]:
        upper = line.upper()
        if not upper.startswith("AT"):
            return ["ERROR"]
        body = upper[2:]
        name, _, argument = body.partition("=")
        name = name.rstrip("?")
        sms = {"+CMGF", "+CNMI", "+CSMS", "+CPMS", "+CMGR", "+CMGD", "+CMGL"}
        if name in sms and (error := self._sim_error()):
            return error
        if body in {"", "V1", "Z", "&F"}:
            if body in {"Z", "&F"}:
                self._reset()
            return ["OK"]
        if body in {"E0", "E", "E1"}:
            self.echo = body == "E1"
            return ["OK"]
        if body in _FIXED:
            return [f"\r\n{_FIXED[body]}\r\n", "OK"]
        if name == "+CMEE" and argument in {"0", "1", "2"}:
            self.cmee = int(argument)
            return ["OK"]
        if body == "+CPIN?" or (name == "+CPIN" and argument):
            return self._cpin(line[8:] if argument else None)
        if name == "+CMGF" and argument in {"0", "1"}:
            return ["OK"]
        if name == "+CNMI" and argument:
            return self._cnmi(argument)
        if body == "+CNMI?":
            return [f"\r\n+CNMI: {','.join(map(str, self.cnmi))}\r\n", "OK"]
        if name == "+CSMS" and argument:
            return ["\r\n+CSMS: 1,1,1\r\n", "OK"]
        if name == "+CPMS":
            used = len(self.storage)
            if argument and argument != "?":
                return [f"\r\n+CPMS: {','.join([f'{used},{CAPACITY}'] * 3)}\r\n", "OK"]
            return [f"\r\n+CPMS: {','.join([f'"SM",{used},{CAPACITY}'] * 3)}\r\n", "OK"]
        if name in {"+CREG", "+CEREG", "+CGREG"}:
            if argument:
                return ["OK"]
            stat = 1 if self._on_network() else 0
            return [f"\r\n{name}: 0,{stat}\r\n", "OK"]
        if body == "+COPS?":
            on = self._on_network()
            return [f'\r\n+COPS: 0,0,"{self.operator}",7\r\n' if on else "\r\n+COPS: 0\r\n", "OK"]
        if body == "+CSQ":
            return [f"\r\n+CSQ: {self.signal_csq if self.radio_on else 99},99\r\n", "OK"]
        if name == "+CFUN":
            if argument.split(",")[0] in {"0", "1", "4"}:
                self.radio_on = argument.startswith("1")
                return ["OK"]
            return [f"\r\n+CFUN: {int(self.radio_on)}\r\n", "OK"] if body == "+CFUN?" else ["ERROR"]
        if name == "+CMGR" and argument.isdigit():
            return self._cmgr(int(argument))
        if name == "+CMGD" and argument:
            index, _, flag = argument.partition(",")
            if flag.strip() == "4":
                self.storage.clear()
            elif index.isdigit():
                self.storage.pop(int(index), None)
            else:
                return ["ERROR"]
            return ["OK"]
        if name in {"+CMGL"}:
            return self._cmgl(argument or "0")
        if name == "+CUSD" and argument:
            return self._cusd(line.partition("=")[2])
        return ["ERROR"]

    def _cusd(self, argument: str) -> list[str]:
        """``AT+CUSD=1,"<code>"[,<dcs>]``: ``OK`` now, the network's answer as a URC later."""
        mode, _, request = argument.partition(",")
        if mode.strip() not in {"0", "1", "2"}:
            return self._cme(50, "incorrect parameters")
        if not request:
            return ["OK"]  # presentation on/off, or the session cancelled
        if not self._on_network():
            return self._cme(30, "no network service")
        self.ussd_requests.append(request.split(",")[0].strip().strip('"'))
        if self.ussd_reply is not None:
            if self.ussd_result in {0, 1}:
                urc = f'+CUSD: {self.ussd_result},"{self.ussd_reply}",{self.ussd_dcs}'
            else:
                urc = f"+CUSD: {self.ussd_result}"

            def answer() -> None:
                self._timers.discard(timer)
                self._announce(f"\r\n{urc}\r\n")

            timer = asyncio.get_running_loop().call_later(self.ussd_delay, answer)
            self._timers.add(timer)
        return ["OK"]

    def _on_network(self) -> bool:
        return self.registered and self.radio_on and self.sim_state == "READY"

    def _cpin(self, argument: str | None) -> list[str]:
        if argument is None:
            return [f"\r\n+CPIN: {self.sim_state}\r\n", "OK"]
        values = [value.strip().strip('"') for value in argument.split(",")]
        if self.sim_state == "READY":
            return self._cme(3, "operation not allowed")
        if self.sim_state == "SIM PUK":
            if len(values) == 2 and values[0] == PUK:
                self.pin, self.sim_state, self.wrong_pins = values[1], "READY", 0
                return ["OK"]
            return self._cme(16, "incorrect password")
        if values[0] == self.pin:
            self.sim_state, self.wrong_pins = "READY", 0
            return ["OK"]
        self.wrong_pins += 1
        if self.wrong_pins >= 3:
            self.sim_state = "SIM PUK"
        return self._cme(16, "incorrect password")

    def _cnmi(self, argument: str) -> list[str]:
        match = _CNMI.fullmatch(argument.replace(" ", ""))
        if match is None:
            return ["ERROR"]
        values = [int(value) if value else 0 for value in match.groups()]
        if values[3] != 0 and not self.reports:
            return ["+CMS ERROR: 303"]
        self.cnmi = values
        return ["OK"]

    def _cmgr(self, index: int) -> list[str]:
        if index >= self.first_index + CAPACITY:
            return ["+CMS ERROR: 321"]
        pdu = self.storage.get(index)
        if pdu is None:
            return ["OK"]  # an empty slot: a bare OK, as modems do
        stat = int(index in self._read)
        self._read.add(index)
        return [f"\r\n+CMGR: {stat},,{tpdu_length(pdu)}\r\n{pdu}\r\n", "OK"]

    def _cmgl(self, argument: str) -> list[str]:
        if self.cmgl_refused:
            return ["+CMS ERROR: 303"]
        if argument not in {"0", "1", "4"}:
            return ["+CMS ERROR: 302"]
        text = ""
        for index in sorted(self.storage):
            stat = int(index in self._read)
            if argument == "4" or int(argument) == stat:
                pdu = self.storage[index]
                text += f"\r\n+CMGL: {index},{stat},,{tpdu_length(pdu)}\r\n{pdu}"
                self._read.add(index)
        return [text + "\r\n" if text else "", "OK"]

    async def _cmgs(self, link: _Link, argument: str) -> None:
        kind, code, delay = self._faults.popleft() if self._faults else ("", 0, 0.0)
        if (error := self._sim_error()) or not argument.strip().isdigit():
            self._answer(link, error or ["ERROR"])
            return
        if kind == "no_prompt":
            self._answer(link, ["ERROR"])
            return
        if kind == "slow_prompt":
            await asyncio.sleep(delay)
        self._write(link, "\r\n> ")
        got = await link.take_until(bytes([CTRL_Z, ESC]))
        if got is None:
            return
        raw, stop = got
        typed = raw.decode(errors="replace").strip()
        if self.echo:
            self._write(link, typed)
        if stop == ESC:
            self._answer(link, ["OK"])
            return
        if kind == "cms_error":
            await asyncio.sleep(delay)  # a network's refusal can take minutes
            self._answer(link, [f"+CMS ERROR: {code}"])
            return
        try:
            submit = decode(typed, smsc=True)
        except PduError:
            submit = None
        if not isinstance(submit, Submit) or tpdu_length(typed) != int(argument):
            self._answer(link, ["+CMS ERROR: 304"])
            return
        if not self._on_network():
            self._answer(link, ["+CMS ERROR: 331"])
            return
        mr, self._next_mr = self._next_mr, (self._next_mr + 1) % 256
        values = {f.name: getattr(submit, f.name) for f in fields(submit)}
        self.submits.append(AcceptedSubmit(**values, mr=mr))
        if self.auto_report_after is not None and submit.status_report_requested:
            self._report_later(mr, submit.recipient)
        if kind == "silent_after_pdu":
            return
        if kind == "urc_inside":
            self.store_pdu(deliver_pdus("+33700000001", "Reply during a send")[0])
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        self._answer(link, [f"\r\n+CMGS: {mr}\r\n", "OK"])
