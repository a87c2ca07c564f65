"""The modem route end to end, against the fake modem on a pty and over ``socket://``.

No Home Assistant: the library's ``ModemGateway`` opens the fake's stable path (or its TCP
URL) with serialx, initialises it, sends, and hands replies and reports to a handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.simulator.modem import FakeModem, deliver_pdus
from texto_gateway.at import (
    AtChannel,
    AtTimeoutError,
    FinalResultError,
    NoPromptError,
    PortClosedError,
)
from texto_gateway.errors import (
    InvalidRequestError,
    InvalidSenderError,
    Outcome,
    OutcomeUnknownError,
    PartialSendError,
    RecipientsRejectedError,
    TemporarilyUnavailableError,
    UnsupportedFeatureError,
)
from texto_gateway.models import (
    DeliveryReport,
    DeliveryStatus,
    InboundMessage,
    Provider,
    Route,
    SendRequest,
)
from texto_gateway.modem import (
    CannotOpenError,
    InitCommandError,
    InvalidPinError,
    ModemGateway,
    NoAnswerError,
    PinRequiredError,
    SimError,
)

NUMBER = "+33612345678"
OTHER = "+33698765432"
FAST: dict[str, Any] = {
    "command_timeout": 2.0,
    "prompt_timeout": 2.0,
    "answer_timeout": 5.0,
    "reopen_delays": (0.1, 0.5),
}


class Inbox:
    """The handler: what was handed over, answering ``accept``."""

    def __init__(self, *, accept: bool = True) -> None:
        self.accept = accept
        self.items: list[InboundMessage | DeliveryReport] = []
        self._changed = asyncio.Event()

    async def __call__(self, item: InboundMessage | DeliveryReport) -> bool:
        self.items.append(item)
        self._changed.set()
        return self.accept

    @property
    def replies(self) -> list[InboundMessage]:
        return [item for item in self.items if isinstance(item, InboundMessage)]

    @property
    def reports(self) -> list[DeliveryReport]:
        return [item for item in self.items if isinstance(item, DeliveryReport)]

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.items) < count:
                self._changed.clear()
                await self._changed.wait()


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``check()`` holds: the modem's state changes on no event a test can await."""
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 - polling a condition, no event to wait on
            await asyncio.sleep(0.02)


@pytest.fixture
async def fake() -> AsyncIterator[FakeModem]:
    modem = FakeModem()
    await modem.start()
    yield modem
    await modem.stop()


@pytest.fixture(params=["pty", "tcp"])
async def device(request: pytest.FixtureRequest, fake: FakeModem) -> str:
    if request.param == "tcp":
        return await fake.serve_tcp()
    return fake.path


@pytest.fixture
async def gateway(device: str) -> AsyncIterator[ModemGateway]:
    client = ModemGateway(device, **FAST)
    yield client
    await client.close()


async def connected(device: str, inbox: Inbox | None = None, **settings: Any) -> ModemGateway:
    client = ModemGateway(device, **{**FAST, **settings})
    if inbox is not None:
        client.set_inbound_handler(inbox)
    await client.connect()
    return client


# --- initialisation ---------------------------------------------------------------------


async def test_connect_initialises_in_pdu_mode(fake: FakeModem, gateway: ModemGateway) -> None:
    status = await gateway.connect()

    assert gateway.connected
    assert status.signal_dbm == 2 * 20 - 113
    assert status.registered
    assert status.registration == "home"
    assert status.operator == "Orange F"
    assert status.sim_state == "ready"
    assert status.delivery_reports
    order = ["ATE0", "AT+CMEE=1", "AT+CPIN?", "AT+CMGF=0", "AT+CNMI=2,1,0,1,0", "AT+CREG?"]
    positions = [fake.commands.index(command) for command in order]
    assert positions == sorted(positions)
    assert "AT+CSQ" in fake.commands
    assert fake.cnmi == [2, 1, 0, 1, 0]


async def test_a_modem_without_reports_still_connects() -> None:
    fake = FakeModem(reports=False, signal_csq=99, registered=False)
    client = ModemGateway(await fake.start(), **FAST)
    try:
        status = await client.connect()
    finally:
        await client.close()
        await fake.stop()
    assert "AT+CNMI=2,1,2,2,0" in fake.commands
    assert fake.cnmi == [2, 1, 0, 0, 0]
    assert not status.delivery_reports
    assert status.signal_dbm is None
    assert not status.registered
    assert status.operator is None


async def test_echo_and_start_up_lines_are_no_trouble() -> None:
    lines = ("RDY", "+CFUN: 1", "+CPIN: READY", "+QIND: SMS DONE", "SMS DONE", "PB DONE")
    fake = FakeModem(echo=True, startup_lines=lines)
    client = await connected(await fake.start())
    try:
        await client.send(SendRequest(recipients=(NUMBER,), text="Echo on"))
        await client.restart_radio()
        assert client.connected
        await client.send(SendRequest(recipients=(NUMBER,), text="After restart"))
    finally:
        await client.close()
        await fake.stop()
    assert fake.sent_texts() == [(NUMBER, "Echo on"), (NUMBER, "After restart")]
    assert fake.commands.index("AT+CFUN=0") < fake.commands.index("AT+CFUN=1")


async def test_a_pin_is_needed_and_sent() -> None:
    fake = FakeModem(pin="1234")
    path = await fake.start()
    try:
        with pytest.raises(PinRequiredError):
            await connected(path)
        client = await connected(path, pin="1234")
        await client.close()
    finally:
        await fake.stop()
    assert 'AT+CPIN="1234"' in fake.commands
    assert fake.wrong_pins == 0


async def test_a_refused_pin_is_sent_once() -> None:
    fake = FakeModem(pin="1234")
    client = ModemGateway(await fake.start(), pin="0000", **FAST)
    try:
        with pytest.raises(InvalidPinError):
            await client.connect()
        with pytest.raises(InvalidPinError):
            await client.connect()
    finally:
        await client.close()
        await fake.stop()
    assert fake.wrong_pins == 1
    assert [c for c in fake.commands if c.startswith("AT+CPIN=")] == ['AT+CPIN="0000"']


async def test_init_commands_must_answer_ok(fake: FakeModem) -> None:
    client = ModemGateway(fake.path, init_commands=['AT+CPMS="ME","ME","ME"', "AT+NOPE"], **FAST)
    with pytest.raises(InitCommandError) as caught:
        await client.connect()
    await client.close()
    assert caught.value.command == "AT+NOPE"
    assert 'AT+CPMS="ME","ME","ME"' in fake.commands


async def test_a_missing_port_or_a_mute_one_is_named(fake: FakeModem) -> None:
    with pytest.raises(CannotOpenError):
        await connected(fake.path + "-missing")
    fake.silent = True
    with pytest.raises(NoAnswerError):
        await connected(fake.path, command_timeout=0.3)


# --- sending ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "flash", "parts"),
    [
        ("Alarme : porte d'entrée ouverte [zone 1] €", False, 1),
        ("Привет, alarme déclenchée ✓", False, 1),
        ("Intrusion détectée au salon. " * 12, False, 3),
        ("Flash: coupure de courant", True, 1),
    ],
    ids=["gsm7", "ucs2", "long", "flash"],
)
async def test_send(
    fake: FakeModem, gateway: ModemGateway, text: str, flash: bool, parts: int
) -> None:
    await gateway.connect()

    result = await gateway.send(SendRequest(recipients=(NUMBER,), text=text, flash=flash))

    assert fake.sent_texts() == [(NUMBER, text)]
    assert result.route is Route.MODEM
    assert result.recipients == (NUMBER,)
    assert result.message_id.startswith("modem-")
    assert result.message.parts == parts
    assert result.billed_parts == parts
    assert len(fake.submits) == parts
    assert result.recipient_ids == {NUMBER: f"mr{fake.submits[-1].mr}:{NUMBER}"}
    assert all(submit.status_report_requested for submit in fake.submits)
    assert all((submit.user_data.message_class == 0) is flash for submit in fake.submits)
    assert len([c for c in fake.commands if c.startswith("AT+CMGS=")]) == parts


async def test_send_to_two_numbers_one_cmgs_per_part_and_number(
    fake: FakeModem, gateway: ModemGateway
) -> None:
    await gateway.connect()
    text = "Fuite d'eau détectée à la cave. " * 6

    result = await gateway.send(SendRequest(recipients=(NUMBER, OTHER), text=text))

    assert fake.sent_texts() == [(NUMBER, text), (OTHER, text)]
    assert result.billed_parts == 2 * result.message.parts == len(fake.submits)
    by_number = {s.recipient: s.mr for s in fake.submits}
    assert result.recipient_ids == {
        NUMBER: f"mr{by_number[NUMBER]}:{NUMBER}",
        OTHER: f"mr{by_number[OTHER]}:{OTHER}",
    }
    references = {s.user_data.concatenation.reference for s in fake.submits}  # type: ignore[union-attr]
    assert len(references) == 2


async def test_a_custom_sender_and_a_balance_are_refused(gateway: ModemGateway) -> None:
    with pytest.raises(InvalidSenderError):
        gateway.prepare(SendRequest(recipients=(NUMBER,), text="x", sender="Maison"))
    with pytest.raises(UnsupportedFeatureError):
        await gateway.get_balance()


async def test_nothing_is_sent_while_not_connected(gateway: ModemGateway) -> None:
    with pytest.raises(TemporarilyUnavailableError):
        await gateway.send(SendRequest(recipients=(NUMBER,), text="Too early"))


# --- faults -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (500, TemporarilyUnavailableError),
        (42, TemporarilyUnavailableError),
        (21, RecipientsRejectedError),
        (304, InvalidRequestError),
    ],
)
async def test_cms_errors_are_classified(
    fake: FakeModem, gateway: ModemGateway, code: int, error: type[Exception]
) -> None:
    await gateway.connect()
    fake.fail_next_send("cms_error", code=code)

    with pytest.raises(error) as caught:
        await gateway.send(SendRequest(recipients=(NUMBER,), text="Refused"))

    assert caught.value.code == str(code)  # type: ignore[attr-defined]
    assert caught.value.outcome is Outcome.NOT_SENT  # type: ignore[attr-defined]
    assert fake.submits == []
    await gateway.send(SendRequest(recipients=(NUMBER,), text="Then sent"))
    assert fake.sent_texts() == [(NUMBER, "Then sent")]


async def test_no_prompt_is_certainly_not_sent(fake: FakeModem, gateway: ModemGateway) -> None:
    await gateway.connect()
    fake.fail_next_send("no_prompt")

    with pytest.raises(TemporarilyUnavailableError) as caught:
        await gateway.send(SendRequest(recipients=(NUMBER,), text="No prompt"))

    assert caught.value.retryable
    assert fake.submits == []


async def test_a_prompt_too_slow_is_abandoned_with_esc(fake: FakeModem) -> None:
    client = await connected(fake.path, prompt_timeout=0.3)
    try:
        fake.fail_next_send("slow_prompt", delay=0.8)
        with pytest.raises(TemporarilyUnavailableError):
            await client.send(SendRequest(recipients=(NUMBER,), text="Slow"))
        fake.fail_next_send("slow_prompt", delay=0.1)
        await client.send(SendRequest(recipients=(NUMBER,), text="Slow but in time"))
    finally:
        await client.close()
    assert fake.sent_texts() == [(NUMBER, "Slow but in time")]


async def test_silence_after_the_pdu_is_an_unknown_outcome(fake: FakeModem) -> None:
    client = await connected(fake.path, answer_timeout=0.5)
    try:
        fake.fail_next_send("silent_after_pdu")
        with pytest.raises(OutcomeUnknownError) as caught:
            await client.send(SendRequest(recipients=(NUMBER,), text="Maybe gone"))
        assert caught.value.outcome is Outcome.UNKNOWN
        assert fake.sent_texts() == [(NUMBER, "Maybe gone")]
        await client.send(SendRequest(recipients=(NUMBER,), text="Next one"))
    finally:
        await client.close()
    assert fake.sent_texts()[-1] == (NUMBER, "Next one")


async def test_a_reply_announced_inside_a_send_is_read(fake: FakeModem, device: str) -> None:
    inbox = Inbox()
    client = await connected(device, inbox)
    try:
        fake.fail_next_send("urc_inside")
        await client.send(SendRequest(recipients=(NUMBER,), text="Sent"))
        await inbox.wait_for(1)
    finally:
        await client.close()
    assert [r.text for r in inbox.replies] == ["Reply during a send"]
    assert fake.sent_texts() == [(NUMBER, "Sent")]
    assert fake.storage == {}


async def test_a_late_cms_error_is_a_refusal_and_a_later_one_unknown(fake: FakeModem) -> None:
    client = await connected(fake.path, answer_timeout=0.6)
    try:
        fake.fail_next_send("cms_error", code=350, delay=0.2)
        with pytest.raises(InvalidRequestError):
            await client.send(SendRequest(recipients=(NUMBER,), text="Late refusal"))
        fake.fail_next_send("cms_error", code=500, delay=1.0)
        with pytest.raises(OutcomeUnknownError):
            await client.send(SendRequest(recipients=(NUMBER,), text="Too late to tell"))
        # its +CMS ERROR comes while the next message waits: that one still goes
        await client.send(SendRequest(recipients=(NUMBER,), text="Sent after all"))
    finally:
        await client.close()
    assert fake.sent_texts() == [(NUMBER, "Sent after all")]


async def test_a_late_answer_does_not_end_the_next_command(fake: FakeModem) -> None:
    client = await connected(fake.path, command_timeout=0.3)
    try:
        fake.operator = "Bouygues Telecom"
        fake.answer_late("AT+COPS?", 0.45)
        with pytest.raises(TemporarilyUnavailableError):
            await client.status()
        fake.answer_late("AT+CPIN?", 0.1)  # so that the late answer comes on its own
        status = await client.status()
        await client.send(SendRequest(recipients=(NUMBER,), text="In step again"))
        assert client.connected
    finally:
        await client.close()
    assert (status.operator, status.registration, status.sim_state) == (
        "Bouygues Telecom",
        "home",
        "ready",
    )
    assert status.signal_dbm == 2 * 20 - 113
    assert fake.sent_texts() == [(NUMBER, "In step again")]


async def test_one_number_refused_among_two_is_a_partial_send(
    fake: FakeModem, gateway: ModemGateway
) -> None:
    await gateway.connect()
    fake.fail_next_send("cms_error", code=21)

    with pytest.raises(PartialSendError) as caught:
        await gateway.send(SendRequest(recipients=(NUMBER, OTHER), text="Half"))

    assert caught.value.result.recipients == (OTHER,)
    assert caught.value.result.billed_parts == 1
    assert isinstance(caught.value.failures[NUMBER], RecipientsRejectedError)
    assert caught.value.outcome is Outcome.NOT_SENT
    assert fake.sent_texts() == [(OTHER, "Half")]
    fake.fail_next_send("no_prompt", count=2)
    with pytest.raises(TemporarilyUnavailableError):
        await gateway.send(SendRequest(recipients=(NUMBER, OTHER), text="Neither"))


async def test_status_reads_the_modem_now(fake: FakeModem, gateway: ModemGateway) -> None:
    await gateway.connect()
    fake.signal_csq = 31
    fake.operator = "SFR"
    await fake.inject_line("+CREG: 5")
    await eventually(
        lambda: gateway.last_status is not None and gateway.last_status.registration == "roaming"
    )

    status = await gateway.status()

    assert (status.signal_dbm, status.operator, status.registration) == (-51, "SFR", "home")


async def test_a_sim_locked_by_its_puk_is_named(fake: FakeModem) -> None:
    fake.sim_state = "SIM PUK"
    client = ModemGateway(fake.path, pin="1234", **FAST)
    with pytest.raises(SimError) as caught:
        await client.connect()
    await client.close()
    assert caught.value.sim_state == "puk_required"
    assert not [c for c in fake.commands if c.startswith("AT+CPIN=")]


async def test_a_handler_that_fails_leaves_the_reply_stored(
    fake: FakeModem, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(item: InboundMessage | DeliveryReport) -> bool:
        raise RuntimeError("bug")

    client = ModemGateway(fake.path, **FAST)
    client.set_inbound_handler(broken)
    await client.connect()
    try:
        await client.read_stored()
        (index,) = await fake.inject_reply(NUMBER, "Not lost")
        await eventually(lambda: "handler of the modem" in caplog.text)
    finally:
        await client.close()
    assert index in fake.storage


# --- receiving --------------------------------------------------------------------------


async def test_a_reply_is_fired_once_then_deleted(fake: FakeModem, device: str) -> None:
    inbox = Inbox()
    client = await connected(device, inbox)
    try:
        await fake.inject_reply(NUMBER, "Oui, c'est moi 👍")
        await inbox.wait_for(1)
        await eventually(lambda: fake.storage == {})
        await client.read_stored()
        await asyncio.sleep(0.2)
    finally:
        await client.close()
    (reply,) = inbox.items
    assert isinstance(reply, InboundMessage)
    assert reply.provider is Provider.MODEM
    assert reply.sender == NUMBER
    assert reply.text == "Oui, c'est moi 👍"
    assert reply.complete
    assert reply.received_at is not None


async def test_a_reply_refused_by_the_handler_stays_stored(fake: FakeModem) -> None:
    inbox = Inbox(accept=False)
    client = await connected(fake.path, inbox)
    try:
        await client.read_stored()  # the one at connect done: one read per announcement
        (index,) = await fake.inject_reply(NUMBER, "Keep me")
        await inbox.wait_for(1)
        await asyncio.sleep(0.2)
        assert index in fake.storage
        assert f"AT+CMGD={index}" not in fake.commands
        inbox.accept = True
        await client.read_stored()
    finally:
        await client.close()
    assert [r.text for r in inbox.replies] == ["Keep me", "Keep me"]
    assert fake.storage == {}


async def test_a_long_reply_out_of_order_is_joined(fake: FakeModem, device: str) -> None:
    inbox = Inbox()
    client = await connected(device, inbox)
    text = "Je rentre vers 19 h, la porte du garage est restée ouverte. " * 6
    try:
        indexes = await fake.inject_reply(OTHER, text, parts_order=[3, 1, 2])
        await inbox.wait_for(1)
        await eventually(lambda: fake.storage == {})
    finally:
        await client.close()
    assert len(indexes) == 3
    (reply,) = inbox.replies
    assert (reply.sender, reply.text, reply.complete) == (OTHER, text, True)


async def test_a_reply_missing_a_part_is_fired_incomplete(fake: FakeModem) -> None:
    inbox = Inbox()
    client = await connected(fake.path, inbox, part_timeout=0.3)
    text = "Alerte : " + "la température du congélateur monte. " * 9
    try:
        await fake.inject_reply(NUMBER, text, parts_order=[1, 3])
        await asyncio.sleep(0.1)
        assert inbox.items == []
        await inbox.wait_for(1)
        await eventually(lambda: fake.storage == {})
    finally:
        await client.close()
    (reply,) = inbox.replies
    assert not reply.complete
    assert text.startswith(reply.text[:100])
    assert len(reply.text) < len(text)


async def test_stored_replies_are_read_at_connect(fake: FakeModem) -> None:
    await fake.inject_reply(NUMBER, "While you were away", announce=False)
    await fake.inject_reply(OTHER, "Me too", announce=False)
    inbox = Inbox()
    client = await connected(fake.path, inbox)
    try:
        await inbox.wait_for(2)
        await eventually(lambda: fake.storage == {})
    finally:
        await client.close()
    assert sorted(r.text for r in inbox.replies) == ["Me too", "While you were away"]
    assert "AT+CMGL=4" in fake.commands


async def test_stored_replies_are_read_one_by_one_where_cmgl_is_refused(
    fake: FakeModem,
) -> None:
    fake.cmgl_refused = True
    await fake.inject_reply(NUMBER, "Read by index", announce=False)
    inbox = Inbox()
    client = await connected(fake.path, inbox)
    try:
        await inbox.wait_for(1)
        await eventually(lambda: fake.storage == {})
    finally:
        await client.close()
    assert [r.text for r in inbox.replies] == ["Read by index"]
    assert any(c.startswith("AT+CMGR=") for c in fake.commands)


@pytest.mark.parametrize("cmgl_refused", [False, True], ids=["cmgl", "cmgr"])
async def test_a_reply_whose_announcement_was_lost_is_found_by_the_sweep(
    fake: FakeModem, cmgl_refused: bool
) -> None:
    fake.cmgl_refused = cmgl_refused
    inbox = Inbox()
    client = await connected(fake.path, inbox, sweep_interval=0.3)
    try:
        await client.read_stored()
        await fake.inject_reply(NUMBER, "My +CMTI got lost", announce=False)
        await inbox.wait_for(1)
        await eventually(lambda: fake.storage == {})
        await asyncio.sleep(0.7)  # more sweeps: nothing new, nothing fired twice
    finally:
        await client.close()
    assert [r.text for r in inbox.replies] == ["My +CMTI got lost"]
    if cmgl_refused:
        assert any(c.startswith("AT+CMGR=") for c in fake.commands)
    else:
        assert fake.commands.count("AT+CMGL=4") >= 3


async def test_a_reply_the_handler_did_not_take_is_offered_again_by_the_sweep(
    fake: FakeModem,
) -> None:
    inbox = Inbox(accept=False)
    client = await connected(fake.path, inbox, sweep_interval=0.3)
    try:
        await fake.inject_reply(NUMBER, "Take me later", announce=False)
        await inbox.wait_for(1)
        inbox.accept = True
        await inbox.wait_for(2)
        await eventually(lambda: fake.storage == {})
    finally:
        await client.close()
    assert [r.text for r in inbox.replies] == ["Take me later", "Take me later"]


async def test_no_sweep_before_its_time(fake: FakeModem) -> None:
    inbox = Inbox()
    client = await connected(fake.path, inbox)
    try:
        await client.read_stored()
        await fake.inject_reply(NUMBER, "Lost announcement", announce=False)
        await asyncio.sleep(0.5)
    finally:
        await client.close()
    assert inbox.items == []
    assert fake.commands.count("AT+CMGL=4") == 2  # at connect, and read_stored


@pytest.mark.parametrize("stored", [False, True], ids=["cds", "cdsi"])
async def test_a_report_is_mapped_by_its_mr(fake: FakeModem, device: str, stored: bool) -> None:
    inbox = Inbox()
    client = await connected(device, inbox)
    try:
        result = await client.send(SendRequest(recipients=(NUMBER,), text="Report me"))
        await fake.inject_report(fake.submits[-1].mr, NUMBER, 0, stored=stored)
        await fake.inject_report(7, OTHER, 0x45, stored=stored)
        await inbox.wait_for(2)
        await eventually(lambda: fake.storage == {})
    finally:
        await client.close()
    delivered, failed = inbox.reports
    assert delivered.provider is Provider.MODEM
    assert delivered.message_id is None
    assert delivered.recipient == NUMBER
    assert delivered.recipient_message_id == result.recipient_ids[NUMBER]
    assert delivered.status is DeliveryStatus.DELIVERED
    assert (failed.recipient, failed.recipient_message_id) == (OTHER, f"mr7:{OTHER}")
    assert failed.status is DeliveryStatus.FAILED


async def test_reports_still_match_their_send_once_the_mr_wraps(fake: FakeModem) -> None:
    """The modem numbers sends 0..255 and starts again: the number tells them apart."""
    inbox = Inbox()
    client = await connected(fake.path, inbox)
    try:
        fake._next_mr = 255  # the SIM has sent 255 messages already
        first = await client.send(SendRequest(recipients=(NUMBER,), text="Number 255"))
        second = await client.send(SendRequest(recipients=(OTHER, NUMBER), text="Then 0, 1"))
        assert [s.mr for s in fake.submits] == [255, 0, 1]
        # a national number in the report (type 0x81) is the same recipient
        await fake.inject_report(0, "0698765432", 0)
        await fake.inject_report(255, NUMBER, 0x45)
        await inbox.wait_for(2)
    finally:
        await client.close()
    delivered, failed = inbox.reports
    assert delivered.recipient_message_id == second.recipient_ids[OTHER] == f"mr0:{OTHER}"
    assert delivered.recipient == OTHER
    assert failed.recipient_message_id == first.recipient_ids[NUMBER] == f"mr255:{NUMBER}"
    assert second.recipient_ids[NUMBER] == f"mr1:{NUMBER}"


async def test_junk_from_the_network_never_breaks_reception(
    fake: FakeModem, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="texto_gateway")
    inbox = Inbox()
    client = await connected(fake.path, inbox)
    junk_lines = [
        "+CMTI: ,-1",
        '+CMTI: "SM",',
        "^RSSI:17",
        "+CDS: 12",
        "GARBAGE \x00\x7f\xff",
        "+CREG: 1",
        "RING",
        '+CLIP: "+33611111111",145',
        "+ZPASR: LTE",
        "+QIND: SMS DONE",
    ]
    good = deliver_pdus(NUMBER, "Genuine among junk")[0]
    junk_pdus = [
        "07913396050066F0040B913316",  # cut short
        "0003" + "00" * 12,  # a reserved message type
        good[:-4] + "F" * 3,  # an odd number of digits
        "0004" + "0B913316325476F8" + "0004" + "00" * 7 + "FF" + "00",  # 8-bit, UDL too long
    ]
    try:
        for round_ in range(10):
            for _ in range(3):
                for line in junk_lines:
                    await fake.inject_line(line)
            for pdu in junk_pdus:
                fake.store_pdu(pdu)
            if round_ == 5:
                fake.store_pdu(good)
            await eventually(lambda: fake.storage == {}, timeout=10)
        await fake.inject_line("X" * 10000)
        await inbox.wait_for(1)
        result = await client.send(SendRequest(recipients=(NUMBER,), text="Still sending"))
    finally:
        await client.close()
    assert [r.text for r in inbox.replies] == ["Genuine among junk"]
    assert result.recipients == (NUMBER,)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "+33611111111" not in caplog.text
    assert "Genuine among junk" not in caplog.text


# --- recovery ---------------------------------------------------------------------------


async def test_unplugged_then_replugged(fake: FakeModem, device: str) -> None:
    inbox = Inbox()
    client = await connected(device, inbox)
    try:
        await fake.unplug()
        await eventually(lambda: not client.connected)
        with pytest.raises(TemporarilyUnavailableError):
            await client.send(SendRequest(recipients=(NUMBER,), text="While unplugged"))
        await fake.inject_reply(NUMBER, "Stored while away", announce=False)
        await asyncio.sleep(0.3)  # a few reopen attempts fail
        await fake.replug()
        await eventually(lambda: client.connected)
        await client.send(SendRequest(recipients=(NUMBER,), text="Back"))
        await inbox.wait_for(1)
    finally:
        await client.close()
    assert fake.sent_texts() == [(NUMBER, "Back")]
    assert [r.text for r in inbox.replies] == ["Stored while away"]


async def test_the_ready_handler_hears_each_time_the_modem_can_send_again(
    fake: FakeModem, gateway: ModemGateway
) -> None:
    ready: list[bool] = []
    gateway.set_ready_handler(lambda: ready.append(gateway.connected))
    await gateway.connect()
    assert ready == [True]

    await fake.unplug()
    await eventually(lambda: not gateway.connected)
    await asyncio.sleep(0.3)  # a few reopen attempts fail: nothing heard
    assert ready == [True]
    await fake.replug()
    await eventually(lambda: len(ready) == 2)
    await gateway.restart_radio()

    assert ready == [True, True, True]  # connected each time it was told


async def test_a_hung_modem_is_reopened(fake: FakeModem) -> None:
    client = await connected(fake.path, command_timeout=0.3, keepalive_interval=0.2)
    try:
        fake.silent = True
        await eventually(lambda: not client.connected)
        await asyncio.sleep(0.3)
        fake.silent = False
        await eventually(lambda: client.connected)
        await client.send(SendRequest(recipients=(NUMBER,), text="Awake again"))
        status = await client.status()
    finally:
        await client.close()
    assert fake.sent_texts() == [(NUMBER, "Awake again")]
    assert status.sim_state == "ready"
    assert fake.commands.count("AT+CMGF=0") >= 2


# --- the AT channel alone ---------------------------------------------------------------


@pytest.fixture
async def wire() -> AsyncIterator[
    tuple[AtChannel, asyncio.StreamReader, asyncio.StreamWriter, list[str]]
]:
    """A channel on one end of a socket pair; the test plays the modem on the other."""
    import socket

    ours, theirs = socket.socketpair()
    reader, writer = await asyncio.open_connection(sock=ours)
    modem_reader, modem_writer = await asyncio.open_connection(sock=theirs)
    urcs: list[str] = []
    channel = AtChannel(
        reader, writer, lambda line, pdu: urcs.append(line + (pdu or "")), lambda: None
    )
    yield channel, modem_reader, modem_writer, urcs
    await channel.close()
    modem_writer.close()


async def _answer(
    modem_reader: asyncio.StreamReader, modem_writer: asyncio.StreamWriter, text: bytes
) -> None:
    await modem_reader.readuntil(b"\r")
    modem_writer.write(text)


@pytest.mark.parametrize(
    ("answer", "kind", "code", "words"),
    [
        (b"\r\n+CME ERROR:58\r\n", "CME", 58, None),
        (b"\r\n+CMS ERROR:\r\n", "CMS", None, None),
        (b"\r\n+CMS ERROR: Unknown error\r\n", "CMS", None, "Unknown error"),
        (b"\r\nCOMMAND NOT SUPPORT\r\n", None, None, None),
    ],
)
async def test_final_results_as_real_modems_write_them(
    wire: Any, answer: bytes, kind: str | None, code: int | None, words: str | None
) -> None:
    channel, modem_reader, modem_writer, _ = wire
    answering = asyncio.ensure_future(_answer(modem_reader, modem_writer, answer))
    with pytest.raises(FinalResultError) as caught:
        await channel.command("AT+X", within=2)
    await answering
    assert (caught.value.kind, caught.value.code, caught.value.text) == (kind, code, words)


async def test_cpin_without_ok_and_urcs_inside_an_answer(wire: Any) -> None:
    channel, modem_reader, modem_writer, urcs = wire
    answering = asyncio.ensure_future(
        _answer(modem_reader, modem_writer, b'\r\n+CMTI: "SM",4\r\n+CPIN: READY\r\n')
    )
    lines = await channel.command("AT+CPIN?", within=2, prefixes=("+CPIN:",), info_only=True)
    await answering
    assert lines == ["+CPIN: READY"]

    async def modem() -> None:
        # its OK might still come: a quiet AT first, answered, then the next command
        assert await modem_reader.readuntil(b"\r") == b"AT\r"
        modem_writer.write(b"\r\nOK\r\n")
        await _answer(modem_reader, modem_writer, b"\r\n^RSSI:15+CMGR: 0,,5\r\n0011\r\n\r\nOK\r\n")

    answering = asyncio.ensure_future(modem())
    lines = await channel.command("AT+CMGR=1", within=2, prefixes=("+CMGR:",))
    await answering
    assert lines == ["+CMGR: 0,,5", "0011"]
    assert urcs == ['+CMTI: "SM",4', "^RSSI:15"]


async def test_junk_without_line_ends_is_bounded(wire: Any) -> None:
    channel, _modem_reader, modem_writer, urcs = wire
    modem_writer.write(b"J" * 100_000 + b"\r\nRING\r\n")
    await eventually(lambda: urcs == ["RING"])
    assert len(channel._buffer) < 4096


async def test_a_command_never_answered_does_not_shift_the_answers(wire: Any) -> None:
    channel, modem_reader, modem_writer, _ = wire
    with pytest.raises(AtTimeoutError):
        await channel.command("AT+COPS=?", within=0.2)
    assert await modem_reader.readuntil(b"\r") == b"AT+COPS=?\r"

    async def modem() -> None:
        # the first command dropped for good: only the quiet AT and then the next answer
        assert await modem_reader.readuntil(b"\r") == b"AT\r"
        modem_writer.write(b"\r\nOK\r\n")
        assert await modem_reader.readuntil(b"\r") == b"AT+CSQ\r"
        modem_writer.write(b"\r\n+CSQ: 17,99\r\n\r\nOK\r\n")

    answering = asyncio.ensure_future(modem())
    lines = await channel.command("AT+CSQ", within=2, prefixes=("+CSQ:",))
    await answering
    assert lines == ["+CSQ: 17,99"]


async def test_a_late_answer_between_commands_is_dropped(wire: Any) -> None:
    channel, modem_reader, modem_writer, urcs = wire
    with pytest.raises(AtTimeoutError):
        await channel.command("AT+CMGL=4", within=0.2)
    await modem_reader.readuntil(b"\r")
    modem_writer.write(b"\r\n+CMS ERROR: 500\r\n")
    await asyncio.sleep(0.1)
    answering = asyncio.ensure_future(_answer(modem_reader, modem_writer, b"\r\nOK\r\n"))
    assert await channel.command("AT+CMGD=3", within=2) == []
    await answering
    assert urcs == []


async def test_a_modem_that_answers_nothing_after_a_timeout_times_out_again(
    wire: Any,
) -> None:
    channel, modem_reader, _, _ = wire
    with pytest.raises(AtTimeoutError):
        await channel.command("AT+CSQ", within=0.2)
    with pytest.raises(AtTimeoutError):
        await channel.command("AT+CSQ", within=0.2)
    with pytest.raises(NoPromptError):
        await channel.submit("AT+CMGS=5", "00", prompt_timeout=0.2, answer_timeout=1)
    sent = await modem_reader.read(100)
    assert sent == b"AT+CSQ\rAT\rAT\r"  # nothing more is written until it answers


async def test_a_closed_port_fails_the_command(wire: Any) -> None:
    channel, modem_reader, modem_writer, _ = wire
    closing = asyncio.ensure_future(modem_reader.readuntil(b"\r"))
    command = asyncio.ensure_future(channel.command("AT", within=5))
    await closing
    modem_writer.close()
    with pytest.raises(PortClosedError):
        await command
    assert channel.closed


async def test_no_carrier_ends_a_dial_only_and_huge_answers_are_bounded(wire: Any) -> None:
    channel, modem_reader, modem_writer, urcs = wire
    answering = asyncio.ensure_future(_answer(modem_reader, modem_writer, b"\r\nNO CARRIER\r\n"))
    with pytest.raises(FinalResultError):
        await channel.command("ATD+33612345678;", within=2)
    await answering
    many = b"".join(b"\r\n+CMGL: %d,1,,5\r\n0011\r\n" % i for i in range(800))
    answering = asyncio.ensure_future(
        _answer(modem_reader, modem_writer, b"\r\nNO CARRIER\r\n" + many + b"\r\nOK\r\n")
    )
    lines = await channel.command("AT+CMGL=4", within=5, prefixes=("+CMGL:",))
    await answering
    assert urcs == ["NO CARRIER"]
    assert len(lines) == 1024
    assert lines[:2] == ["+CMGL: 0,1,,5", "0011"]


async def test_a_line_too_long_is_dropped_and_a_failing_urc_handler_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import socket

    ours, theirs = socket.socketpair()
    reader, writer = await asyncio.open_connection(sock=ours)
    _, modem_writer = await asyncio.open_connection(sock=theirs)
    seen: list[str] = []

    def broken(line: str, pdu: str | None) -> None:
        seen.append(line)
        if line == "RING":
            raise RuntimeError("bug")

    channel = AtChannel(reader, writer, broken, lambda: None)
    try:
        modem_writer.write(b"\r\n" + b"Y" * 3000 + b"\r\nRING\r\n+CLIP: 1\r\nRI")
        await eventually(lambda: len(seen) == 2)
    finally:
        await channel.close()
        modem_writer.close()
    assert seen == ["RING", "+CLIP: 1"]
    assert "could not be handled" in caplog.text


async def test_a_port_gone_at_the_prompt_sent_nothing(wire: Any) -> None:
    channel, modem_reader, modem_writer, _ = wire

    async def modem() -> None:
        await modem_reader.readuntil(b"\r")
        modem_writer.write(b"\r\n> ")
        modem_writer.close()

    answering = asyncio.ensure_future(modem())
    with pytest.raises(PortClosedError) as caught:
        await channel.submit("AT+CMGS=5", "0011", prompt_timeout=2, answer_timeout=2)
    await answering
    assert not caught.value.pdu_written


async def test_a_send_cancelled_at_the_prompt_is_abandoned_with_esc(wire: Any) -> None:
    channel, modem_reader, modem_writer, _ = wire
    sending = asyncio.ensure_future(
        channel.submit("AT+CMGS=5", "0011", prompt_timeout=5, answer_timeout=5)
    )
    await modem_reader.readuntil(b"\r")
    sending.cancel()
    assert await modem_reader.readexactly(1) == b"\x1b"
    modem_writer.write(b"\r\nOK\r\n")
    with pytest.raises(asyncio.CancelledError):
        await sending


async def test_sent_messages_binary_ones_and_bad_indexes_in_storage(fake: FakeModem) -> None:
    from texto_gateway.encoding import encode
    from texto_gateway.pdu import submit_pdus

    inbox = Inbox()
    client = await connected(fake.path, inbox)
    try:
        await client.read_stored()
        (sent,) = submit_pdus(NUMBER, encode("Sent"), reference=1)
        kept = fake.store_pdu(sent.hex)
        await fake.inject_line('+CMTI: "SM",99')  # beyond the SIM: refused
        await fake.inject_line("+CREG: x")
        await fake.inject_reply(NUMBER, "Still read")
        await inbox.wait_for(1)
    finally:
        await client.close()
    assert kept in fake.storage  # a sent message is left alone
    assert "AT+CMGR=99" in fake.commands
    assert [r.text for r in inbox.replies] == ["Still read"]


def test_pdus_on_the_header_line_or_without_a_header_are_read() -> None:
    from texto_gateway.modem_inbox import list_answer_pdus, read_answer_pdu, urc_index

    pdu = deliver_pdus(NUMBER, "Header line")[0]
    assert read_answer_pdu([f"+CMGR: 0,,23,{pdu}"]) == pdu
    assert read_answer_pdu(["+CMGR: 0,,23"]) is None
    assert read_answer_pdu(["^RSSI:3", pdu]) == pdu
    assert read_answer_pdu([]) is None
    assert list_answer_pdus([f"+CMGL: 3,1,,23,{pdu}", "+CMGL: x,1", pdu]) == [(3, pdu)]
    assert [urc_index(line) for line in ("+CMTI: ,-1", "+CMTI", '+CDSI: "SR",0')] == [
        None,
        None,
        0,
    ]


async def test_serial_debug_lines_never_show_the_pin_numbers_or_texts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """serialx logs the bytes it reads and writes at DEBUG: only their length gets through."""
    modem = FakeModem(pin="4321")
    device = await modem.start()
    gateway = ModemGateway(device, pin="4321")
    try:
        with caplog.at_level(logging.DEBUG):
            await gateway.connect()
            await gateway.send(SendRequest(recipients=("+33612345678",), text="Fuite d'eau"))
    finally:
        await gateway.close()
        await modem.stop()

    shown = "\n".join(record.getMessage() for record in caplog.records)
    assert "bytes>" in shown  # serialx did log what it wrote and read: its length only
    for private in ("4321", "612345678", "3316325476F8", "Fuite"):
        assert private not in shown
