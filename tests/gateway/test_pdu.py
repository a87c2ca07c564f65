"""SMS PDUs for a modem: what AT+CMGS sends and what the modem hands back.

Known vectors come from published test data (python-gsmmodem, ModemManager's
test-sms-part-3gpp.c, the "hellohello" example of the PDU-mode tutorials): a codec that
agrees with them agrees with the phones and networks those projects were checked against.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from texto_gateway.encoding import GSM7_BASIC, GSM7_EXTENSION, count, encode
from texto_gateway.models import DeliveryStatus, EncodedText, Encoding, TextPolicy
from texto_gateway.pdu import (
    Concatenation,
    Deliver,
    PduError,
    StatusReport,
    Submit,
    SubmitPdu,
    decode,
    submit_pdus,
)

# /work/shared/reference/published-pdus.json: python-gsmmodem's test data, as modems hand
# SMS-DELIVER over after AT+CMGR (service-centre address first)
PUBLISHED = [
    {
        "pdu": "06917228195339040B917228214365F700003130805120618005D4F29C2E03",
        "sender": "+27821234567",
        "text": "Test2",
        "smsc": "+2782913593",
    },
    {
        "pdu": "07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06"
        "C9CB6132885EC6D341EDF27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E",
        "sender": "+85291234567",
        "text": "It is easy to read text messages via AT commands.",
        "smsc": "+85290000000",
    },
    {
        "pdu": "06917228195339040B917228214365F70000313062315352800A800D8A5E98D337A910",
        "sender": "+27821234567",
        "text": "@{tést}!",
    },
]
NUMBER = "+33612345678"

# ModemManager's test-sms-part-3gpp.c
MM_EXTENDED = (
    "07912104442961F4040B916171957291F800001120821105050A6AC8B2BC7C9A83C220F6DB7D2ECB41EDF27C"
    "1E3E97411BDE06754FD3D1A0F9BB5D0695F1F4B29B5C2683C6E8B03C3CA697E5F34D6AE303D1D1F2F7DD0D4A"
    "BB59A0797D8C0685E7A00028EC26832A960B28EC2683BE6050780EBA97D96C17"
)
MM_ALPHANUMERIC = "07919730071111F10414D04937BD2C7797E9D3E614000811309291024061080442043504410442"
MM_NATIONAL = "07912143658709F1040B818100551512F20000111010214365000AE8329BFD4697D9EC37"
MM_8BIT = "07912143658709F1040B918100551512F20004111010214365000AE8329BFD4697D9EC37DE"
MM_SFR = (
    "07913306091093F0040485810000F111604231805180A049B7F90D9A1AA5A01668F8769BD3E4B29B9E2EB3"
    "59A03FC85D06A9C3ED707A0EA2CBC3EE79BB4CA7CBCBA05643617DA7C76990FD4D979741EE77DD5E0ED741"
    "ED371D442E83E0E1F9BC0CD281E677D9B84C06C1DF7539E85C9097E520FB9B2E2F83C6EF369C5E064D8D52"
    "D0BC2E07DDEF77D7DC2C7799E5A0771D040FCB41F402BB0047BFDD6550B80ECAD966"
)
MM_KPN_16BIT = (
    "07911356131313F64004850120390011609232239180A006080400100201D7327BFD6EB340E232"
    "1BF46E83EA7790F59D1E97DBE1341B442F83C465763D3DA797E56537C81D0ECB41AB59CC1693C1"
    "6031D96C064241E5656838AF03A96230982A269BCD462917C8FA4E8FCBED709A0D7ABBE9F6B0FB"
    "5C7683D27350984D4FABC9A0B33C4C4FCF5D20EBFB2D079DCB62793DBD06D9C36E50FB2D4E97D9"
    "A0B49B5E96BBCB"
)
MM_MULTIPART = (
    "07912160130320F5440B916171056429F5000021405291650569A00500034C0201A9E8F41C949E"
    "83C2207B599E07B1DFEE33885E9ED341E4F23C7D7697C920FA1B54C697E5E3F4BC0C6AD7D9F434"
    "081E96D341E3303C2C4EB3D3F4BC0B94A483E6E8779D4D06CDD1EF3BA80E0785E7A0B7BB0C6A97"
    "E7F3F0B9CC02B9DF7450780EA2DFDF2C50780EA2A3CBA0BA9B5C96B3F369F71954768FDFE4B4FB"
    "0C9297E1F2F2BCECA6CF41"
)
MM_STORED_SUBMIT = (
    "002100098136397339F70008224F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60597D4F60"
)
MM_STATUS_REPORT = "07914356060013F1065A098136397339F7219011700463802190117004638030"
VALID = [entry["pdu"] for entry in PUBLISHED] + [
    MM_EXTENDED,
    MM_ALPHANUMERIC,
    MM_NATIONAL,
    MM_8BIT,
    MM_SFR,
    MM_KPN_16BIT,
    MM_MULTIPART,
    MM_STORED_SUBMIT,
    MM_STATUS_REPORT,
]


def _deliver(pdu: str) -> Deliver:
    result = decode(pdu)
    assert isinstance(result, Deliver)
    return result


def _sent_text(pdus: list[SubmitPdu]) -> str:
    """Decode what would go out and join the parts as the recipient's phone does."""
    texts: list[str] = []
    for seq, pdu in enumerate(pdus, start=1):
        submit = decode(pdu.hex)
        assert isinstance(submit, Submit)
        assert submit.recipient == NUMBER
        assert submit.smsc is None
        concatenation = submit.user_data.concatenation
        if len(pdus) > 1:
            assert concatenation == Concatenation(reference=7, total=len(pdus), seq=seq)
        else:
            assert concatenation is None
        assert submit.user_data.text is not None
        texts.append(submit.user_data.text)
    return "".join(texts)


# --- decoding: published SMS-DELIVER ----------------------------------------------------


@pytest.mark.parametrize("entry", PUBLISHED, ids=lambda entry: entry["text"][:12])
def test_published_delivers_read_as_published(entry: dict[str, str]) -> None:
    deliver = _deliver(entry["pdu"])
    assert deliver.sender == entry["sender"]
    assert deliver.user_data.text == entry["text"]
    assert deliver.smsc == entry.get("smsc", deliver.smsc)


def test_the_time_stamp_keeps_its_time_zone() -> None:
    deliver = _deliver(PUBLISHED[0]["pdu"])
    assert deliver.timestamp == datetime(2013, 3, 8, 15, 2, 16, tzinfo=timezone(timedelta(hours=2)))
    extended = _deliver(MM_EXTENDED)
    assert extended.timestamp == datetime(
        2011, 2, 28, 11, 50, 50, tzinfo=timezone(timedelta(hours=-5))
    )


def test_extension_characters_and_accents_are_read() -> None:
    deliver = _deliver(MM_EXTENDED)
    assert deliver.sender == "+16175927198"
    assert deliver.smsc == "+12404492164"
    assert deliver.user_data.text == (
        "Here's a longer message [{with some extended characters}] "
        "thrown in, such as £ and ΩΠΨ and §¿ as well."
    )


def test_an_alphanumeric_sender_and_ucs2_text() -> None:
    deliver = _deliver(MM_ALPHANUMERIC)
    assert deliver.sender == "InternetSMS"
    assert deliver.user_data.text == "тест"
    assert deliver.timestamp == datetime(
        2011, 3, 29, 19, 20, 4, tzinfo=timezone(timedelta(hours=4))
    )


def test_a_national_sender_keeps_its_digits_without_plus() -> None:
    deliver = _deliver(MM_NATIONAL)
    assert deliver.sender == "18005551212"
    assert deliver.timestamp == datetime(2011, 1, 1, 12, 34, 56, tzinfo=UTC)
    assert deliver.user_data.text == "hellohello"


def test_8bit_data_is_binary_not_text() -> None:
    data = _deliver(MM_8BIT).user_data
    assert data.text is None
    assert data.binary == bytes.fromhex("E8329BFD4697D9EC37DE")


def test_a_class_1_message_from_a_short_number() -> None:
    deliver = _deliver(MM_SFR)
    assert deliver.sender == "1800"
    assert deliver.user_data.message_class == 1
    assert deliver.user_data.text == (
        "Info SFR - Confidentiel, à ne jamais transmettre -\r\n"
        "Voici votre nouveau mot de passe : sw2ced pour gérer "
        "votre compte SFR sur www.sfr.fr ou par téléphone au 963"
    )


def test_a_16bit_concatenation_reference() -> None:
    data = _deliver(MM_KPN_16BIT).user_data
    assert data.concatenation == Concatenation(reference=0x0010, total=2, seq=1)
    assert data.text is not None
    assert data.text.startswith("Welkom, bel om uw Voicemail")
    assert data.text.endswith("Voor gebruik van mobiel interne")


def test_an_8bit_concatenation_reference_with_fill_bits() -> None:
    data = _deliver(MM_MULTIPART).user_data
    assert data.concatenation == Concatenation(reference=0x4C, total=2, seq=1)
    assert data.text == (
        "This is a very long test designed to exercise multi part capability. It should "
        "show up as one message, not as two, as the underlying encoding represents "
    )


def test_a_submit_kept_on_the_sim_is_recognised() -> None:
    submit = decode(MM_STORED_SUBMIT)
    assert isinstance(submit, Submit)
    assert submit.recipient == "639337937"
    assert submit.status_report_requested
    assert submit.user_data.text == "你好" * 8 + "你"


def test_a_status_report() -> None:
    report = decode(MM_STATUS_REPORT)
    assert isinstance(report, StatusReport)
    assert report.smsc == "+34656000311"
    assert report.reference == 0x5A
    assert report.recipient == "639337937"
    assert report.submitted == datetime(2012, 9, 11, 7, 40, 36, tzinfo=timezone(timedelta(hours=2)))
    assert report.status == 0x30
    assert report.delivery_status is DeliveryStatus.PENDING


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (0x00, DeliveryStatus.DELIVERED),
        (0x1F, DeliveryStatus.DELIVERED),
        (0x20, DeliveryStatus.PENDING),
        (0x3F, DeliveryStatus.PENDING),
        (0x40, DeliveryStatus.FAILED),
        (0x46, DeliveryStatus.EXPIRED),
        (0x65, DeliveryStatus.FAILED),
    ],
)
def test_status_report_outcome_from_tp_st(status: int, expected: DeliveryStatus) -> None:
    # without the service-centre prefix, as some modems hand +CDS over
    pdu = f"065A0B913316325476F8{'21901170046380' * 2}{status:02X}"
    report = decode(pdu, smsc=False)
    assert isinstance(report, StatusReport)
    assert report.recipient == NUMBER
    assert report.delivery_status is expected


@pytest.mark.parametrize(
    "timestamp",
    ["219011700463A0", "219011700463F0", "21A01170046380", "21023170046380"],
    ids=["zone-digit-A", "zone-digit-F", "month-digit-A", "31-february"],
)
def test_invalid_time_stamp_digits_give_no_time_not_a_crash(timestamp: str) -> None:
    pdu = "00040B913316325476F80000" + timestamp + "0AE8329BFD4697D9EC37"
    deliver = _deliver(pdu)
    assert deliver.timestamp is None
    assert deliver.user_data.text == "hellohello"


def test_a_negative_time_zone() -> None:
    pdu = "00040B913316325476F800007040213252242B0AE8329BFD4697D9EC37"
    deliver = _deliver(pdu)
    assert deliver.timestamp == datetime(
        2007, 4, 12, 23, 25, 42, tzinfo=timezone(-timedelta(hours=8))
    )


def test_flash_class_and_reserved_dcs_groups() -> None:
    body = "00040B913316325476F800{dcs}21901170046380{ud}"
    flash = _deliver(body.format(dcs="10", ud="0AE8329BFD4697D9EC37"))
    assert flash.user_data.message_class == 0
    ucs2_waiting = _deliver(body.format(dcs="E0", ud="0400E900E0"))
    assert ucs2_waiting.user_data.text == "éà"
    reserved = _deliver(body.format(dcs="80", ud="0AE8329BFD4697D9EC37"))
    assert reserved.user_data.text == "hellohello"
    compressed = _deliver(body.format(dcs="20", ud="020102"))
    assert compressed.user_data.binary == b"\x01\x02"


def test_an_unknown_extension_code_shows_its_basic_character() -> None:
    # septets 1B 41 ("A" after the escape, not in the extension table), then "b"
    pdu = "00040B913316325476F800002190117004638003" + "9BA018"
    assert _deliver(pdu).user_data.text == "Ab"


def test_a_concatenation_element_with_sequence_zero_is_ignored() -> None:
    pdu = "00440B913316325476F80008219011700463800805000307020000E9"
    data = _deliver(pdu).user_data
    assert data.concatenation is None
    assert data.text == "é"


# --- encoding: known SMS-SUBMIT vectors -------------------------------------------------


def test_hellohello_packs_as_the_tutorials_show() -> None:
    encoded = encode("hellohello")
    (pdu,) = submit_pdus(
        "+46708251358", encoded, reference=0, status_report=False, validity=timedelta(days=4)
    )
    assert pdu.hex == "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
    assert pdu.tpdu_length == 23


@pytest.mark.parametrize(
    ("text", "validity", "expected"),
    [
        (
            "Hi there...Tue 17th Jan 2012 05:30.18 pm (GMT+1) ΔΔΔΔΔ",
            timedelta(minutes=5),
            "0011000B915155551532F400000036C834888E2ECBCB2E978B5A2F8362373A1AA40CBB4132584C06"
            "82D57433982B8603C1DB20D4B1495DC552200804028100",
        ),
        (
            "This is really cool ΔΔΔΔΔ",  # 25 septets: the last alone in its octet
            timedelta(minutes=5),
            "0011000B915155661632F40000001954747A0E4ACF41F27298CDCE83C6EF371B0481402010",
        ),
        (
            "This is really cool ΔΔΔΔΔ",
            None,
            "0001000B915155661632F400001954747A0E4ACF41F27298CDCE83C6EF371B0481402010",
        ),
        (
            "Да здравствует король, детка!",
            timedelta(minutes=5),
            "0011000B915155551532F40008003A041404300020043704340440043004320441044204320443043504"
            "420020043A043E0440043E043B044C002C0020043404350442043A04300021",
        ),
    ],
    ids=["gsm7", "gsm7-25-septets", "no-validity", "ucs2"],
)
def test_modemmanager_submit_vectors(text: str, validity: timedelta | None, expected: str) -> None:
    number = "+15556661234" if "cool" in text else "+15555551234"
    (pdu,) = submit_pdus(number, encode(text), reference=0, status_report=False, validity=validity)
    assert pdu.hex == expected
    assert pdu.tpdu_length == len(expected) // 2 - 1


def test_a_national_number_has_the_unknown_type() -> None:
    (pdu,) = submit_pdus("9037029920", encode("a"), reference=0, status_report=False)
    assert pdu.hex.startswith("0001000A81097320990200")


@pytest.mark.parametrize(
    ("validity", "octet"),
    [
        (timedelta(minutes=1), 0),
        (timedelta(minutes=30), 5),
        (timedelta(hours=12), 143),
        (timedelta(hours=16), 151),
        (timedelta(days=1), 167),
        (timedelta(days=3), 169),
        (timedelta(days=30), 196),
        (timedelta(weeks=5), 197),
        (timedelta(days=31), 197),  # rounded up: never less time than asked
        (timedelta(weeks=1000), 255),  # the longest the standard can say
    ],
)
def test_relative_validity(validity: timedelta, octet: int) -> None:
    (pdu,) = submit_pdus(NUMBER, encode("a"), reference=0, validity=validity)
    assert pdu.hex[:4] == "0031"  # SUBMIT, relative validity, status report requested
    assert pdu.hex[26:28] == f"{octet:02X}"


# --- encoding: round trips --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Prix : 10 € [promo] {ok} ~|^\\ \f",
        "Bonjour 😀 ça va ? 👍🏽",
        "a" * 161,
        "a" * 459 + "€",
        "]" * 153,  # 306 septets, an escape never cut: 3 parts, not 2
        "ê" * 135,
        "a" * 66 + "😀" + "a" * 10,  # the pair moves whole to part 2
        "😀" * 36,
    ],
    ids=[
        "gsm7-ext",
        "ucs2-emoji",
        "161",
        "460-euro",
        "153-brackets",
        "135-e",
        "pair-edge",
        "36-emoji",
    ],
)
def test_round_trip_sends_exactly_the_counted_parts(text: str) -> None:
    encoded = encode(text, TextPolicy.UNICODE)
    pdus = submit_pdus(NUMBER, encoded, reference=7)
    assert len(pdus) == encoded.parts == count(text, encoded.encoding)[1]
    assert _sent_text(pdus) == text
    for pdu in pdus:
        octets = bytes.fromhex(pdu.hex)
        assert octets[0] == 0  # no service centre: the SIM's
        assert pdu.tpdu_length == len(octets) - 1
        assert pdu.tpdu_length <= 164  # 140 octets of user data + the SUBMIT header


def test_random_texts_round_trip() -> None:
    rng = random.Random(2026)
    alphabet = sorted(GSM7_BASIC | GSM7_EXTENSION)
    for _ in range(150):
        chars = alphabet + (["é", "ç", "😀", "中"] if rng.random() < 0.5 else [])
        text = "".join(rng.choices(chars, k=rng.randint(1, 500)))
        encoded = encode(text, TextPolicy.UNICODE)
        pdus = submit_pdus(NUMBER, encoded, reference=7)
        assert len(pdus) == encoded.parts
        assert _sent_text(pdus) == text


def test_flash_is_class_0_in_both_alphabets() -> None:
    for text, dcs in (("hello", 0x10), ("héllo ç", 0x18)):
        (pdu,) = submit_pdus(NUMBER, encode(text), reference=0, flash=True)
        assert bytes.fromhex(pdu.hex)[12] == dcs
        submit = decode(pdu.hex)
        assert isinstance(submit, Submit)
        assert submit.user_data.message_class == 0
        assert submit.user_data.text == text


def test_status_report_request_is_the_srr_bit() -> None:
    (asked,) = submit_pdus(NUMBER, encode("x"), reference=0)
    (not_asked,) = submit_pdus(NUMBER, encode("x"), reference=0, status_report=False)
    assert asked.hex[:6] == "002100"  # SRR set, TP-MR 0
    assert not_asked.hex[:6] == "000100"
    submits = [decode(asked.hex), decode(not_asked.hex)]
    assert [isinstance(s, Submit) and s.status_report_requested for s in submits] == [True, False]


def test_concatenated_gsm7_header_and_fill_bits() -> None:
    pdus = submit_pdus(NUMBER, encode("a" * 161), reference=0xAB)
    first = bytes.fromhex(pdus[0].hex)
    # UDHI + SRR, then after the 12 octets up to DCS: UDL 160, UDH 05 00 03 AB 02 01
    assert first[1] == 0x61
    assert first[13:20] == bytes([160, 5, 0, 3, 0xAB, 2, 1])
    # 153 "a" (0x61) start after one fill bit: 0x61 << 1 = 0xC2
    assert first[20] == 0xC2
    assert bytes.fromhex(pdus[1].hex)[13:20] == bytes([7 + 8, 5, 0, 3, 0xAB, 2, 2])


# --- refusals and defensive parsing -----------------------------------------------------


@pytest.mark.parametrize("number", ["", "+", "+33 6 12", "0612x", "+" + "1" * 21, "٣٣"])
def test_a_bad_number_is_refused(number: str) -> None:
    with pytest.raises(PduError, match="phone number"):
        submit_pdus(number, encode("a"), reference=0)


def test_bad_send_inputs_are_refused() -> None:
    with pytest.raises(PduError, match="reference"):
        submit_pdus(NUMBER, encode("a"), reference=256)
    with pytest.raises(PduError, match="counted"):
        submit_pdus(NUMBER, EncodedText("a" * 200, Encoding.GSM7, 200, 1), reference=0)
    with pytest.raises(PduError, match="counted"):
        submit_pdus(NUMBER, EncodedText("", Encoding.GSM7, 0, 0), reference=0)
    with pytest.raises(PduError, match="outside GSM-7"):
        submit_pdus(NUMBER, EncodedText("ç", Encoding.GSM7, 1, 1), reference=0)
    with pytest.raises(PduError, match="positive"):
        submit_pdus(NUMBER, encode("a"), reference=0, validity=timedelta(0))


@pytest.mark.parametrize(
    ("pdu", "reason"),
    [
        ("0", "hex"),
        ("0G", "hex"),
        ("", "early"),
        # ModemManager's "insufficient data": UDL 11 septets, data for 10
        ("07912143658709F1040B918100551512F20000111010214365000BE8329BFD4697D9EC37", "early"),
        ("0003", "reserved"),
        ("00040B913316325476F8000021901170046380A1" + "00" * 150, "beyond"),
        ("00040B913316325476F8000821901170046380" + "8D" + "00" * 141, "beyond"),
        ("00440B913316325476F800002190117004638001" + "00", "header longer"),
        ("00440B913316325476F80008219011700463800208000000", "early"),
        ("00040B913316325476F80008219011700463800300E900", "odd"),
        ("00440B913316325476F8000821901170046380050400050100", "early"),
    ],
    ids=[
        "odd-hex",
        "not-hex",
        "empty",
        "udl-beyond-data",
        "reserved-type",
        "udl-over-160",
        "udl-over-140",
        "gsm7-header-over-udl",
        "header-beyond-data",
        "odd-ucs2",
        "element-beyond-header",
    ],
)
def test_malformed_pdus_raise_pdu_error(pdu: str, reason: str) -> None:
    with pytest.raises(PduError, match=reason):
        decode(pdu)


def test_fuzz_only_pdu_errors_or_results() -> None:
    """Random bytes, truncations and one-octet mutations of every valid PDU."""
    rng = random.Random(23040)
    candidates = [rng.randbytes(rng.randint(0, 60)) for _ in range(3000)]
    for pdu in VALID:
        octets = bytes.fromhex(pdu)
        candidates += [octets[:end] for end in range(len(octets))]
        for _ in range(300):
            mutated = bytearray(octets)
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            candidates.append(bytes(mutated))
    results = 0
    for candidate in candidates:
        try:
            decode(candidate.hex())
        except PduError:
            continue
        results += 1
    assert results > 1000  # the mutations mostly still read: the check is not vacuous
