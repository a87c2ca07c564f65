"""The fake modem answers as a real one does: what the library's modem tests stand on.

Spoken to with plain bytes on its pty (and over TCP), the way a serial port reads: the
PDUs it hands over are checked with the library's decoder, the ones it receives are made
with the library's encoder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import sys
import termios
import tty
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.simulator.billing import parts_of
from tests.simulator.modem import FakeModem, deliver_pdus, status_report_pdu
from texto_gateway.encoding import encode
from texto_gateway.pdu import Deliver, StatusReport, decode, submit_pdus

FINAL = re.compile(rb"\r\n(OK|ERROR|\+CM[ES] ERROR: [^\r]*)\r\n")


class Port:
    """The other end of the modem: a serial port on the pty, or a TCP connection."""

    def __init__(self) -> None:
        self.received = bytearray()
        self._arrived = asyncio.Event()
        self.closed = False
        self._fd: int | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None

    @classmethod
    async def open_pty(cls, path: str) -> Port:
        port = cls()
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(fd)
        port._fd = fd
        asyncio.get_running_loop().add_reader(fd, port._readable)
        return port

    @classmethod
    async def open_tcp(cls, url: str) -> Port:
        port = cls()
        host, _, number = url.removeprefix("socket://").partition(":")
        reader, port._writer = await asyncio.open_connection(host, int(number))
        port._reader_task = asyncio.get_running_loop().create_task(port._read_tcp(reader))
        return port

    def _readable(self) -> None:
        assert self._fd is not None
        try:
            data = os.read(self._fd, 4096)
        except OSError:  # EIO: the modem's side of the pty is gone
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self._fd)
            self.closed = True
        self.received += data
        self._arrived.set()

    async def _read_tcp(self, reader: asyncio.StreamReader) -> None:
        while data := await reader.read(4096):
            self.received += data
            self._arrived.set()
        self.closed = True
        self._arrived.set()

    def write(self, data: bytes) -> None:
        if self._fd is not None:
            os.write(self._fd, data)
        else:
            assert self._writer is not None
            self._writer.write(data)

    async def until(self, pattern: re.Pattern[bytes] | bytes, timeout: float = 2.0) -> bytes:
        """Everything received up to the end of ``pattern``'s first match (consumed)."""
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        async with asyncio.timeout(timeout):
            while (match := regex.search(self.received)) is None:
                if self.closed:
                    raise EOFError(bytes(self.received))
                self._arrived.clear()
                await self._arrived.wait()
        text = bytes(self.received[: match.end()])
        del self.received[: match.end()]
        return text

    async def command(self, line: str, timeout: float = 2.0) -> str:
        """Send one command line, return the answer up to its final result code."""
        self.write(line.encode() + b"\r")
        return (await self.until(FINAL, timeout)).decode()

    async def quiet_for(self, seconds: float) -> bytes:
        await asyncio.sleep(seconds)
        return bytes(self.received)

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(ValueError):
                asyncio.get_running_loop().remove_reader(self._fd)
            os.close(self._fd)
        if self._writer is not None:
            self._writer.close()
        if self._reader_task is not None:
            self._reader_task.cancel()


@pytest.fixture
async def modem() -> AsyncIterator[FakeModem]:
    fake = FakeModem()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def port(modem: FakeModem) -> AsyncIterator[Port]:
    opened = await Port.open_pty(modem.path)
    yield opened
    opened.close()


def pdus_for(text: str, number: str = "+33612345678", reference: int = 7) -> list[tuple[int, str]]:
    return [(p.tpdu_length, p.hex) for p in submit_pdus(number, encode(text), reference=reference)]


async def send(port: Port, length: int, pdu: str) -> str:
    """One AT+CMGS exchange, the PDU typed after the prompt: the final answer."""
    port.write(f"AT+CMGS={length}\r".encode())
    await port.until(b"\r\n> ")
    port.write(pdu.encode() + b"\x1a")
    return (await port.until(FINAL, timeout=3)).decode()


# --- basics -------------------------------------------------------------------------------


def link_target(path: str) -> str | None:
    """Where the stable device path points, None when it is gone."""
    link = Path(path)
    return str(link.readlink()) if link.is_symlink() else None


async def test_the_pty_is_raw_before_anyone_sets_it() -> None:
    fake = FakeModem()
    path = await fake.start()
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    try:
        assert os.isatty(fd)
        iflag, oflag, _, lflag, *_ = termios.tcgetattr(fd)
        assert not iflag & termios.ICRNL  # CR stays CR
        assert not oflag & termios.OPOST  # LF is not made CR LF
        assert not lflag & (termios.ECHO | termios.ICANON)
    finally:
        os.close(fd)
        await fake.stop()


async def test_stable_path_answers_at(modem: FakeModem, port: Port) -> None:
    assert link_target(modem.path) is not None
    assert await port.command("AT") == "\r\nOK\r\n"
    port.write(b"AT\r\n")  # a CR LF line end is one command, not two
    assert await port.until(FINAL) == b"\r\nOK\r\n"
    assert await port.command("AT+NOPE") == "\r\nERROR\r\n"
    assert modem.commands == ["AT", "AT", "AT+NOPE"]


async def test_echo_on_and_off() -> None:
    fake = FakeModem(echo=True)
    await fake.start()
    port = await Port.open_pty(fake.path)
    try:
        assert await port.command("AT") == "AT\r\r\nOK\r\n"
        assert await port.command("ATE0") == "ATE0\r\r\nOK\r\n"
        assert await port.command("AT") == "\r\nOK\r\n"
    finally:
        port.close()
        await fake.stop()


async def test_status_commands(modem: FakeModem, port: Port) -> None:
    assert "+CPIN: READY" in await port.command("AT+CPIN?")
    assert "+CREG: 0,1" in await port.command("AT+CREG?")
    assert "+CEREG: 0,1" in await port.command("AT+CEREG?")
    assert '+COPS: 0,0,"Orange F",7' in await port.command("AT+COPS?")
    assert "+CSQ: 20,99" in await port.command("AT+CSQ")
    for line in ("AT+CMEE=1", "AT+CMGF=0", "AT+CNMI=2,1,0,1,0", "AT+CFUN=0"):
        assert await port.command(line) == "\r\nOK\r\n"
    assert "+CREG: 0,0" in await port.command("AT+CREG?")  # radio off: no network
    assert await port.command("AT+CFUN=1") == "\r\nOK\r\n"
    modem.registered = False
    assert "+CREG: 0,0" in await port.command("AT+CREG?")


async def test_startup_lines_come_as_the_host_first_speaks() -> None:
    fake = FakeModem(startup_lines=("RDY", "+CFUN: 1", "SMS DONE"))
    await fake.start()
    port = await Port.open_pty(fake.path)
    try:
        assert await port.quiet_for(0.1) == b""
        booting = "\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\nSMS DONE\r\n"
        assert await port.command("AT") == booting + "\r\nOK\r\n"
        assert await port.command("AT") == "\r\nOK\r\n"
        await fake.replug()
        port.close()
        port = await Port.open_pty(fake.path)
        assert await port.command("AT") == booting + "\r\nOK\r\n"
    finally:
        port.close()
        await fake.stop()


async def test_pin_flow_locks_after_three_wrong() -> None:
    fake = FakeModem(pin="1234")
    await fake.start()
    port = await Port.open_pty(fake.path)
    try:
        assert "+CPIN: SIM PIN" in await port.command("AT+CPIN?")
        assert "+CMS ERROR: 311" in await port.command("AT+CMGF=0")
        assert await port.command('AT+CPIN="0000"') == "\r\nERROR\r\n"  # AT+CMEE=0
        assert await port.command("AT+CMEE=1") == "\r\nOK\r\n"
        assert await port.command('AT+CPIN="1111"') == "\r\n+CME ERROR: 16\r\n"
        assert fake.wrong_pins == 2
        assert "+CPIN: SIM PIN" in await port.command("AT+CPIN?")
        assert await port.command('AT+CPIN="2222"') == "\r\n+CME ERROR: 16\r\n"
        assert fake.wrong_pins == 3
        assert "+CPIN: SIM PUK" in await port.command("AT+CPIN?")
        assert "+CME ERROR: 16" in await port.command('AT+CPIN="1234"')  # too late
    finally:
        port.close()
        await fake.stop()


async def test_right_pin_unlocks() -> None:
    fake = FakeModem(pin="1234")
    await fake.start()
    port = await Port.open_pty(fake.path)
    try:
        assert await port.command('AT+CPIN="1234"') == "\r\nOK\r\n"
        assert "+CPIN: READY" in await port.command("AT+CPIN?")
        assert fake.wrong_pins == 0
    finally:
        port.close()
        await fake.stop()


# --- sending ------------------------------------------------------------------------------


async def test_cmgs_accepts_real_pdus_and_numbers_them(modem: FakeModem, port: Port) -> None:
    [(length, pdu)] = pdus_for("Alarme maison")
    assert await send(port, length, pdu) == "\r\n+CMGS: 0\r\n\r\nOK\r\n"
    parts = pdus_for("x" * 200 + " €", number="+33700000002")
    answers = [await send(port, length, pdu) for length, pdu in parts]
    assert answers == ["\r\n+CMGS: 1\r\n\r\nOK\r\n", "\r\n+CMGS: 2\r\n\r\nOK\r\n"]
    assert [submit.mr for submit in modem.submits] == [0, 1, 2]
    assert modem.submits[0].status_report_requested
    assert modem.sent_texts() == [
        ("+33612345678", "Alarme maison"),
        ("+33700000002", "x" * 200 + " €"),
    ]


async def test_mr_wraps_after_255(modem: FakeModem, port: Port) -> None:
    modem._next_mr = 255
    [(length, pdu)] = pdus_for("a")
    assert "+CMGS: 255" in await send(port, length, pdu)
    assert "+CMGS: 0" in await send(port, length, pdu)


async def test_the_prompt_has_no_line_end_and_echo_repeats_the_pdu() -> None:
    fake = FakeModem(echo=True)
    await fake.start()
    port = await Port.open_pty(fake.path)
    [(length, pdu)] = pdus_for("Bonjour")
    try:
        port.write(f"AT+CMGS={length}\r".encode())
        assert await port.until(b"> ") == f"AT+CMGS={length}\r\r\n> ".encode()
        assert await port.quiet_for(0.1) == b""
        port.write(pdu.encode() + b"\x1a")
        assert await port.until(FINAL) == f"{pdu}\r\n+CMGS: 0\r\n\r\nOK\r\n".encode()
    finally:
        port.close()
        await fake.stop()


async def test_escape_at_the_prompt_sends_nothing(modem: FakeModem, port: Port) -> None:
    [(length, pdu)] = pdus_for("Désarmer")
    port.write(f"AT+CMGS={length}\r".encode())
    await port.until(b"> ")
    port.write(pdu.encode() + b"\x1b")
    assert await port.until(FINAL) == b"\r\nOK\r\n"
    assert modem.submits == []


async def test_a_bad_pdu_or_length_is_refused(modem: FakeModem, port: Port) -> None:
    [(length, pdu)] = pdus_for("Bonjour")
    assert "+CMS ERROR: 304" in await send(port, length + 1, pdu)
    assert "+CMS ERROR: 304" in await send(port, 3, "00ZZ11")
    assert modem.submits == []


async def test_no_network_refuses_after_the_pdu(modem: FakeModem, port: Port) -> None:
    modem.registered = False
    [(length, pdu)] = pdus_for("Bonjour")
    assert "+CMS ERROR: 331" in await send(port, length, pdu)
    assert modem.submits == []


# --- receiving ----------------------------------------------------------------------------


async def test_reply_announced_read_and_deleted(modem: FakeModem, port: Port) -> None:
    assert await modem.inject_reply("+33612345678", "Oui, c'est moi [ok]") == [1]
    assert await port.until(b'+CMTI: "SM",1\r\n') == b'\r\n+CMTI: "SM",1\r\n'
    answer = await port.command("AT+CMGR=1")
    header, pdu, _, final, _ = answer.removeprefix("\r\n").split("\r\n")
    message = decode(pdu)
    assert isinstance(message, Deliver)
    assert (message.sender, message.user_data.text) == ("+33612345678", "Oui, c'est moi [ok]")
    assert header == f"+CMGR: 0,,{len(pdu) // 2 - 1 - int(pdu[:2], 16)}"
    assert final == "OK"
    assert (await port.command("AT+CMGR=1")).startswith("\r\n+CMGR: 1,,")  # now read
    assert await port.command("AT+CMGD=1") == "\r\nOK\r\n"
    assert modem.storage == {}
    assert await port.command("AT+CMGR=1") == "\r\nOK\r\n"  # an empty slot


async def test_long_reply_out_of_order_and_listed() -> None:
    fake = FakeModem(first_index=0)
    await fake.start()
    port = await Port.open_pty(fake.path)
    text = "Réponse très longue 😀 " * 5
    try:
        assert await fake.inject_reply("+33611111111", text, memory="ME", parts_order=[2, 1]) == [
            0,
            1,
        ]
        await port.until(b'+CMTI: "ME",1\r\n')
        answer = await port.command("AT+CMGL=4")
        assert answer.count("+CMGL: ") == 2
        assert answer.startswith("\r\n+CMGL: 0,0,,")
        assert answer.endswith("\r\n\r\nOK\r\n")
        pdus = [line for line in answer.split("\r\n") if re.fullmatch(r"[0-9A-F]+", line)]
        parts = [decode(pdu) for pdu in pdus]
        assert all(isinstance(part, Deliver) for part in parts)
        seqs = [part.user_data.concatenation.seq for part in parts]  # type: ignore[union-attr]
        assert seqs == [2, 1]
        texts = {part.user_data.concatenation.seq: part.user_data.text for part in parts}  # type: ignore[union-attr]
        assert texts[1] + texts[2] == text
        assert await port.command("AT+CMGD=0,4") == "\r\nOK\r\n"
        assert await port.command("AT+CMGL=4") == "\r\nOK\r\n"
    finally:
        port.close()
        await fake.stop()


async def test_quiet_reply_and_refused_list(modem: FakeModem, port: Port) -> None:
    await modem.inject_reply("+33612345678", "hors ligne", announce=False)
    assert await port.quiet_for(0.1) == b""
    modem.cmgl_refused = True
    assert await port.command("AT+CMGL=4") == "\r\n+CMS ERROR: 303\r\n"
    assert "+CMGR: 0,," in await port.command("AT+CMGR=1")


async def test_reports_direct_and_stored(modem: FakeModem, port: Port) -> None:
    await port.command("AT+CNMI=2,1,0,1,0")
    await modem.inject_report(17, "+33612345678", status=0)
    lines = (await port.until(re.compile(rb"\+CDS: \d+\r\n[0-9A-F]+\r\n"))).decode().split("\r\n")
    report = decode(lines[2])
    assert isinstance(report, StatusReport)
    assert (report.reference, report.recipient, report.status) == (17, "+33612345678", 0)
    await modem.inject_report(18, "+33612345678", status=0x45, stored=True)
    assert await port.until(b"\r\n") == b"\r\n"
    assert await port.until(b"\r\n") == b'+CDSI: "SR",1\r\n'
    stored = decode(modem.storage[1])
    assert isinstance(stored, StatusReport)
    assert (stored.reference, stored.status) == (18, 0x45)


async def test_a_modem_without_reports_refuses_them() -> None:
    fake = FakeModem(reports=False)
    await fake.start()
    port = await Port.open_pty(fake.path)
    try:
        assert await port.command("AT+CNMI=2,1,0,1,0") == "\r\n+CMS ERROR: 303\r\n"
        assert await port.command("AT+CNMI=2,1,0,0,0") == "\r\nOK\r\n"
        await fake.inject_report(1, "+33612345678")
        assert await port.quiet_for(0.1) == b""
    finally:
        port.close()
        await fake.stop()


async def test_urcs_now_and_inside_an_answer(modem: FakeModem, port: Port) -> None:
    await modem.inject_line("RING")
    assert await port.until(b"RING\r\n") == b"\r\nRING\r\n"
    await modem.inject_line("^RSSI: 14", inside_next_answer=True)
    assert await port.command("AT+CSQ") == "\r\n+CSQ: 20,99\r\n\r\n^RSSI: 14\r\n\r\nOK\r\n"


# --- faults -------------------------------------------------------------------------------


async def test_cms_error_after_the_pdu(modem: FakeModem, port: Port) -> None:
    modem.fail_next_send("cms_error", code=42, count=2)
    [(length, pdu)] = pdus_for("Bonjour")
    assert await send(port, length, pdu) == "\r\n+CMS ERROR: 42\r\n"
    assert await send(port, length, pdu) == "\r\n+CMS ERROR: 42\r\n"
    assert await send(port, length, pdu) == "\r\n+CMGS: 0\r\n\r\nOK\r\n"
    assert len(modem.submits) == 1
    modem.fail_next_send("cms_error", code=350, delay=0.3)  # late, as an EG06-E
    port.write(f"AT+CMGS={length}\r".encode())
    await port.until(b"> ")
    port.write(pdu.encode() + b"\x1a")
    assert await port.quiet_for(0.15) == b""
    assert await port.until(FINAL) == b"\r\n+CMS ERROR: 350\r\n"


async def test_no_prompt(modem: FakeModem, port: Port) -> None:
    modem.fail_next_send("no_prompt")
    [(length, _)] = pdus_for("Bonjour")
    assert await port.command(f"AT+CMGS={length}") == "\r\nERROR\r\n"
    assert b">" not in await port.quiet_for(0.1)


async def test_slow_prompt(modem: FakeModem, port: Port) -> None:
    modem.fail_next_send("slow_prompt", delay=0.3)
    [(length, pdu)] = pdus_for("Bonjour")
    port.write(f"AT+CMGS={length}\r".encode())
    with pytest.raises(TimeoutError):
        await port.until(b"> ", timeout=0.2)
    await port.until(b"> ", timeout=0.5)
    port.write(pdu.encode() + b"\x1a")
    assert "+CMGS: 0" in (await port.until(FINAL)).decode()


async def test_silent_after_the_pdu_but_sent(modem: FakeModem, port: Port) -> None:
    modem.fail_next_send("silent_after_pdu")
    [(length, pdu)] = pdus_for("Alarme maison")
    port.write(f"AT+CMGS={length}\r".encode())
    await port.until(b"> ")
    port.write(pdu.encode() + b"\x1a")
    assert await port.quiet_for(0.3) == b""
    assert modem.sent_texts() == [("+33612345678", "Alarme maison")]
    assert await port.command("AT") == "\r\nOK\r\n"  # answers again afterwards


async def test_urc_inside_a_send(modem: FakeModem, port: Port) -> None:
    modem.fail_next_send("urc_inside")
    [(length, pdu)] = pdus_for("Bonjour")
    assert await send(port, length, pdu) == '\r\n+CMTI: "SM",1\r\n\r\n+CMGS: 0\r\n\r\nOK\r\n'
    assert isinstance(decode(modem.storage[1]), Deliver)


async def test_unknown_fault_is_a_test_mistake(modem: FakeModem) -> None:
    with pytest.raises(ValueError, match="unknown send fault"):
        modem.fail_next_send("explode")


async def test_silent_modem(modem: FakeModem, port: Port) -> None:
    modem.silent = True
    port.write(b"AT\r")
    assert await port.quiet_for(0.2) == b""
    assert modem.commands == ["AT"]
    modem.silent = False
    assert await port.command("AT") == "\r\nOK\r\n"


async def test_unplug_and_replug_at_the_same_path(modem: FakeModem, port: Port) -> None:
    first = link_target(modem.path)
    await modem.unplug()
    assert link_target(modem.path) is None
    with pytest.raises(EOFError):
        await port.until(b"never")
    with pytest.raises(OSError):  # noqa: PT011 - EIO, as a USB serial port gone
        port.write(b"AT\r")
    await modem.replug()
    assert link_target(modem.path) not in {None, first}
    again = await Port.open_pty(modem.path)
    try:
        assert await again.command("AT") == "\r\nOK\r\n"
    finally:
        again.close()


async def test_replug_forgets_the_pin_and_echo() -> None:
    fake = FakeModem(pin="1234")
    await fake.start()
    port = await Port.open_pty(fake.path)
    try:
        await port.command('AT+CPIN="1234"')
        await port.command("ATE1")
        await fake.replug()
        port.close()
        port = await Port.open_pty(fake.path)
        assert await port.command("AT+CPIN?") == "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
    finally:
        port.close()
        await fake.stop()


# --- over TCP -----------------------------------------------------------------------------


async def test_the_same_modem_over_tcp(modem: FakeModem, port: Port) -> None:
    url = await modem.serve_tcp()
    assert re.fullmatch(r"socket://127\.0\.0\.1:\d+", url)
    remote = await Port.open_tcp(url)
    try:
        assert await remote.command("AT") == "\r\nOK\r\n"
        [(length, pdu)] = pdus_for("Par le réseau")
        assert "+CMGS: 0" in await send(remote, length, pdu)
        await modem.inject_reply("+33612345678", "Oui")
        assert b"+CMTI" in await remote.until(b'\r\n+CMTI: "SM",1\r\n')
        assert b"+CMTI" in await port.until(b'\r\n+CMTI: "SM",1\r\n')
        await modem.unplug()
        with pytest.raises(EOFError):
            await remote.until(b"never")
        await modem.replug()
        remote.close()
        remote = await Port.open_tcp(url)
        assert await remote.command("AT") == "\r\nOK\r\n"
    finally:
        remote.close()


# --- the encoder, read back by the library's decoder -------------------------------------------


@pytest.mark.parametrize(
    ("sender", "text"),
    [
        ("+33612345678", "Oui"),
        ("0612345678", "{€} ^ [~] | \\ @£$"),
        ("Texto", "Bonjour"),
        ("+33612345678", "é" * 160 + "à"),
        ("+33612345678", "Привет 😀" * 20),
    ],
)
def test_deliver_pdus_decode_to_what_was_sent(sender: str, text: str) -> None:
    when = datetime(2026, 3, 9, 14, 5, 7, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    parts = [decode(pdu) for pdu in deliver_pdus(sender, text, reference=200, when=when)]
    assert all(isinstance(part, Deliver) for part in parts)
    assert {part.sender for part in parts} == {sender}  # type: ignore[union-attr]
    assert {part.timestamp for part in parts} == {when}  # type: ignore[union-attr]
    assert "".join(part.user_data.text or "" for part in parts) == text  # type: ignore[union-attr]
    concatenations = [part.user_data.concatenation for part in parts]  # type: ignore[union-attr]
    if len(parts) == 1:
        assert concatenations == [None]
    else:
        assert [(c.reference, c.total, c.seq) for c in concatenations if c] == [
            (200, len(parts), seq) for seq in range(1, len(parts) + 1)
        ]


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=600))
def test_any_text_decodes_back(text: str) -> None:
    parts = [decode(pdu) for pdu in deliver_pdus("+33612345678", text, reference=1)]
    assert "".join(part.user_data.text or "" for part in parts) == text  # type: ignore[union-attr]
    assert len(parts) == parts_of(text)  # the parts a gateway would bill


def test_status_report_pdu_decodes() -> None:
    report = decode(status_report_pdu(255, "+33612345678", 0x40))
    assert isinstance(report, StatusReport)
    assert (report.reference, report.recipient, report.status) == (255, "+33612345678", 0x40)
    assert report.submitted is not None
    assert report.discharged is not None
    assert report.discharged - report.submitted == timedelta(seconds=5)
    assert report.discharged.astimezone(UTC) <= datetime.now(UTC)


async def test_junk_stored_as_is_and_storage_counted(modem: FakeModem, port: Port) -> None:
    assert modem.store_pdu("0011FF") == 1
    assert await port.until(b'+CMTI: "SM",1\r\n') == b'\r\n+CMTI: "SM",1\r\n'
    assert await port.command("AT+CMGR=1") == "\r\n+CMGR: 0,,2\r\n0011FF\r\n\r\nOK\r\n"
    assert modem.store_pdu("not a PDU", announce=False) == 2
    assert "+CMGL: 2,0,,4\r\nnot a PDU\r\n" in await port.command("AT+CMGL=4")
    assert "+CPMS: 2,50,2,50,2,50" in await port.command('AT+CPMS="SM","SM","SM"')
    assert await port.command("AT+CMGR=999") == "\r\n+CMS ERROR: 321\r\n"


async def test_automatic_delivery_reports() -> None:
    fake = FakeModem(auto_report_after=0.1)
    await fake.start()
    port = await Port.open_pty(fake.path)
    try:
        await port.command("AT+CNMI=2,1,0,1,0")
        [(length, pdu)] = pdus_for("Alarme maison")
        assert "+CMGS: 0" in await send(port, length, pdu)
        lines = (await port.until(re.compile(rb"\+CDS: \d+\r\n[0-9A-F]+\r\n"))).split(b"\r\n")
        report = decode(lines[2].decode())
        assert isinstance(report, StatusReport)
        assert (report.reference, report.recipient, report.status) == (0, "+33612345678", 0)
    finally:
        port.close()
        await fake.stop()


async def test_the_modem_is_served_on_the_tcp_port_it_is_given() -> None:
    """The demo's modem keeps one address across runs and replugs."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    fake = FakeModem(tcp_port=free)
    await fake.start()
    try:
        assert await fake.serve_tcp() == f"socket://127.0.0.1:{free}"
        await fake.replug()
        port = await Port.open_tcp(f"socket://127.0.0.1:{free}")
        try:
            assert await port.command("AT") == "\r\nOK\r\n"
        finally:
            port.close()
    finally:
        await fake.stop()


async def test_the_demo_starts_a_modem() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.simulator",
        "--json",
        "--base-port",
        "0",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        settings = json.loads(line)["modem"]
        port = await Port.open_tcp(settings["socket"])
        try:
            assert await port.command("AT") == "\r\nOK\r\n"
        finally:
            port.close()
        assert link_target(settings["device"]) is not None
    finally:
        process.terminate()
        await process.wait()
