"""Property tests: whatever is sent to a Texto webhook, no 5xx, no junk event, no error logged.

Hypothesis draws the requests (methods, bodies as bytes, forms, JSON, multipart with any
charset, huge values, control characters, wrongly encoded ones, raw query strings); one
Home Assistant and one HTTP client serve every example of a test, so thousands of requests
stay fast. The examples are drawn first, then sent over HTTP in the test's own event loop
(hypothesis does not drive coroutines).

``TEXTO_FUZZ_REQUESTS`` sets how many requests each gateway's webhook gets (``.ci/run``:
10,000); ``TEXTO_HOSTILE_CALLBACKS`` how many callbacks the memory test sends.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import logging
import os
import string
import tracemalloc
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

import pytest
from aiohttp.test_utils import TestClient
from homeassistant.components.http.security_filter import FILTERS, UNSAFE_URL_BYTES
from homeassistant.components.webhook import async_generate_path
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import async_capture_events
from yarl import URL

import custom_components.texto
from custom_components.texto.const import (
    CONF_WEBHOOK_ID,
    EVENT_DELIVERY_REPORT,
    EVENT_SMS_RECEIVED,
)
from custom_components.texto.gateway.gate import MAX_TEXT_CHARS, is_phone_or_short_code
from custom_components.texto.webhook import MAX_BODY
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.sms123 import Sms123Simulator
from tests.simulator.smsmode import SmsmodeSimulator

from .common import allmysms_entry, set_up, sms123_entry, smsmode_entry

# 10,000 requests per gateway take a minute or more, not the default two; coverage (which
# other tests give) would triple that
pytestmark = [pytest.mark.timeout(900), pytest.mark.no_cover]

type ClientFactory = Callable[[], Coroutine[Any, Any, TestClient[Any, Any]]]

#: requests per gateway: junk fields, then the parsers' own fields with junk values
FUZZ_REQUESTS = int(os.environ.get("TEXTO_FUZZ_REQUESTS", "650"))
JUNK_EXAMPLES = FUZZ_REQUESTS * 6 // 10
KNOWN_FIELD_EXAMPLES = FUZZ_REQUESTS - JUNK_EXAMPLES
#: requests in flight at once (as a flood comes): fast enough for 10,000 per gateway
CONCURRENT_CALLS = 16
#: where Texto's code is (the integration and its library)
TEXTO_CODE = str(Path(custom_components.texto.__file__).parent)
#: callbacks of the memory test (all gateways together), and what they may leave behind
HOSTILE_CALLBACKS = int(os.environ.get("TEXTO_HOSTILE_CALLBACKS", "3000"))
MAX_RETAINED_BYTES = 1_000_000

#: every field name a Texto parser reads, any case: junk values in them must not break anything
KNOWN_FIELDS = [
    "smsId",
    "smsMoId",
    "phoneNumber",
    "campaignId",
    "status",
    "statusText",
    "receptionDate",
    "message",
    "numero",
    "emetteur",
    "date_reception",
    "statut",
    "smsID",
    "refClient",
    "responseID",
    "cost",
    "mcc_mnc",
    "erreur",
    "refenvoi",
    "gsm",
    "STATUS",
    "Message",
]
METHODS = ["POST", "POST", "POST", "PUT", "DELETE", "PATCH"]
CONTENT_TYPES = [
    "multipart/form-data; boundary=b; charset=undefined",
    "application/x-www-form-urlencoded; charset=undefined",
    "text/plain; charset=utf-7",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=no-such-charset",
    "application/json",
    "application/json; charset=utf-16",
    "multipart/form-data; boundary=b",
    "multipart/form-data",
    "text/plain",
    "application/octet-stream",
    "",
]


@dataclass(frozen=True)
class Call:
    """One request to the webhook."""

    method: str
    query: str = ""
    body: bytes | None = None
    content_type: str = ""


# --- strategies ----------------------------------------------------------------------------------

_QUERY_PIECES = st.one_of(
    st.sampled_from(
        ["&", "=", "+", "%", "%E9", "%C3%A9", "%ZZ", "%00", "%FF%FE", "%ED%A0%80", ";"]
    ),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.~!*'()/:@,", max_size=12),
)
RAW_QUERIES = st.lists(_QUERY_PIECES, max_size=20).map("".join)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children)
    ),
    max_leaves=12,
)


def _form(fields: dict[str, str], charset: str) -> bytes:
    return urlencode(fields, encoding=charset, errors="ignore").encode("ascii")


#: what a multipart part may claim its text is encoded in
PART_CHARSETS = ["", "utf-8", "latin-1", "undefined", "utf-7", "no-such-charset", "utf-16"]


def _multipart(fields: dict[str, str], charset: str = "") -> bytes:
    declared = f"Content-Type: text/plain; charset={charset}\r\n" if charset else ""
    parts = "".join(
        f'--b\r\nContent-Disposition: form-data; name="{quote(name)}"\r\n{declared}\r\n{value}\r\n'
        for name, value in fields.items()
    )
    return (parts + "--b--\r\n").encode("utf-8", "surrogatepass")


def _bodies(keys: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    fields = st.dictionaries(keys, st.text(max_size=40), max_size=8)
    return st.one_of(
        st.binary(max_size=600),
        st.builds(_form, fields, st.sampled_from(["utf-8", "latin-1", "utf-16"])),
        fields.map(lambda f: json.dumps(f).encode()),
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        st.builds(_multipart, fields, st.sampled_from(PART_CHARSETS)),
        st.integers(MAX_BODY - 2, MAX_BODY * 3).map(lambda n: b"a=" + b"b" * n),
    )


def _calls(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Call]:
    gets = st.builds(Call, st.just("GET"), RAW_QUERIES)
    posts = st.builds(
        Call, st.sampled_from(METHODS), RAW_QUERIES, _bodies(keys), st.sampled_from(CONTENT_TYPES)
    )
    known_queries = st.dictionaries(keys, st.text(max_size=40), max_size=8).map(
        lambda f: urlencode(f, errors="ignore")
    )
    return st.one_of(gets, posts, st.builds(Call, st.just("GET"), known_queries))


#: real callbacks of each gateway (the simulators' formats), to mutate
REAL_CALLBACKS: list[dict[str, str]] = [
    {
        "smsId": "s-1",
        "phoneNumber": "33612345678",
        "campaignId": "c-1",
        "status": "1",
        "statusText": "Delivered",
        "receptionDate": "2025-03-14 09:30:00",
    },
    {
        "smsMoId": "mo-1",
        "message": "Oui",
        "phoneNumber": "33612345678",
        "campaignId": "c-1",
        "smsId": "s-1",
        "receptionDate": "2025-03-14 09:30:00",
    },
    {
        "numero": "33612345678",
        "date_reception": "2025-03-14 09:30:00",
        "statut": "11",
        "smsID": "abc123",
        "refClient": "r",
        "mcc_mnc": "20801",
        "cost": "1",
    },
    {
        "numero": "36180",
        "message": "1",
        "emetteur": "33612345678",
        "date_reception": "14032025-093000",
        "smsID": "abc123",
        "refClient": "",
        "responseID": "resp-1",
    },
    {"erreur": "", "refenvoi": "123456", "gsm": "33612345678"},
]


def _mutated(base: dict[str, str]) -> st.SearchStrategy[dict[str, str]]:
    """``base`` with fields dropped or given junk values."""
    junk = st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            [
                "",
                "0",
                "-1",
                "99999999999999999999",
                "2025-13-45 25:61:61",
                "+33",
                "X-Injected: 1",
                "3361234\x005678",
                "<script>alert(1)</script>",
                "../../etc/passwd",
                "Oui\r\nmerci\tbien",
            ]
        ),
        st.integers(2_000, 5_000).map(lambda n: "3" * n),
    )
    return st.fixed_dictionaries(
        {}, optional={key: st.one_of(st.just(value), junk) for key, value in base.items()}
    )


#: a query string longer than this fails in aiohttp's own parser (ERROR "Line too long"),
#: before Home Assistant or Texto see the request: such fields go in a body instead
MAX_QUERY = 16_000


def _encoded(fields: dict[str, str], how: str) -> Call:
    if how == "get" and len(urlencode(fields, errors="ignore")) <= MAX_QUERY:
        return Call("GET", urlencode(fields, errors="ignore"))
    if how == "json":
        return Call("POST", body=json.dumps(fields).encode(), content_type="application/json")
    return Call(
        "POST",
        body=_form(fields, "utf-8"),
        content_type="application/x-www-form-urlencoded",
    )


MUTATED_CALLS = st.builds(
    _encoded,
    st.sampled_from(REAL_CALLBACKS).flatmap(_mutated),
    st.sampled_from(["get", "form", "json"]),
)

#: names no parser reads (a real field name drawn by chance is skipped below)
JUNK_CALLS = _calls(st.text(max_size=12))
#: the parsers' own field names, with junk values: events may fire, nothing may break
KNOWN_FIELD_CALLS = st.one_of(_calls(st.sampled_from(KNOWN_FIELDS)), MUTATED_CALLS)
_KNOWN_LOWER = {name.lower() for name in KNOWN_FIELDS}


@functools.cache
def draw(strategy: st.SearchStrategy[Call], count: int) -> list[Call]:
    """Draw ``count`` examples of ``strategy`` (no shrinking: each failure names its call).

    Drawn once per run: every gateway's webhook gets the same calls.
    """
    calls: list[Call] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(call: Call) -> None:
        calls.append(call)

    collect()
    return calls


def mentions_a_known_field(call: Call) -> bool:
    """Whether a junk call happens to name a real field (then an event is legitimate)."""
    text = call.query + (call.body or b"").decode("latin-1")
    return any(name in text.lower() for name in _KNOWN_LOWER)


# --- the webhook under test ------------------------------------------------------------------


@pytest.fixture(params=["allmysms", "smsmode", "sms123"])
async def hook(
    request: pytest.FixtureRequest,
    hass: HomeAssistant,
    hass_client_no_auth: ClientFactory,
    *,
    allmysms_sim: AllMySmsSimulator,
    smsmode_sim: SmsmodeSimulator,
    sms123_sim: Sms123Simulator,
) -> tuple[str, TestClient[Any, Any], str]:
    """A loaded entry of each provider: (provider, client, webhook URL)."""
    entries = {
        "allmysms": lambda: allmysms_entry(allmysms_sim),
        "smsmode": lambda: smsmode_entry(smsmode_sim),
        "sms123": lambda: sms123_entry(sms123_sim),
    }
    assert await async_setup_component(hass, "webhook", {})
    entry = await set_up(hass, entries[request.param]())
    client = await hass_client_no_auth()
    url = str(client.make_url(async_generate_path(entry.data[CONF_WEBHOOK_ID])))
    return request.param, client, url


def filtered_by_home_assistant(call: Call) -> bool:
    """Whether HA's HTTP security filter refuses the query before any webhook sees it."""
    decoded = unquote(call.query)
    if any(unsafe in decoded for unsafe in UNSAFE_URL_BYTES):
        return True
    while (again := unquote(decoded)) != decoded:
        decoded = again
    return FILTERS.search(decoded) is not None


async def post(client: TestClient[Any, Any], url: str, call: Call) -> tuple[int, str]:
    """Send ``call`` as is (raw query, raw body, the chosen Content-Type)."""
    full = URL(f"{url}?{call.query}" if call.query else url, encoded=True)
    headers = {"Content-Type": call.content_type} if call.body is not None else {}
    async with client.session.request(
        call.method, full, data=call.body, headers=headers
    ) as response:
        return response.status, await response.text()


async def _run(
    hass: HomeAssistant,
    hook: tuple[str, TestClient[Any, Any], str],
    caplog: pytest.LogCaptureFixture,
    calls: list[Call],
    *,
    events_allowed: bool,
) -> None:
    """Post every call; then: no 5xx, no ERROR, no event but replies from real numbers.

    No Texto send was made: a report event would be about a forged message id.
    """
    provider, client, url = hook
    caplog.set_level(logging.WARNING)
    # tens of thousands of refused calls: their debug lines (masking is tested elsewhere,
    # over the whole suite) would cost more than the calls
    for name in ("custom_components.texto", "texto_gateway"):
        logging.getLogger(name).setLevel(logging.INFO)
    if not events_allowed:
        # a junk call that happens to name a real field may fire legitimately: left out
        calls = [call for call in calls if not mentions_a_known_field(call)]
    replies = async_capture_events(hass, EVENT_SMS_RECEIVED)
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    for start in range(0, len(calls), CONCURRENT_CALLS):
        batch = calls[start : start + CONCURRENT_CALLS]
        answers = await asyncio.gather(*(post(client, url, call) for call in batch))
        await hass.async_block_till_done()
        for call, (status, body) in zip(batch, answers, strict=True):
            assert status < 500, call
            reaching = call.method in ("GET", "POST") and not filtered_by_home_assistant(call)
            if provider == "sms123" and reaching:
                assert (status, body) == (200, "OK"), call
        if not events_allowed:
            assert replies == [], batch

    assert reports == []
    senders = [event.data["sender"] for event in replies]
    assert [sender for sender in senders if not is_phone_or_short_code(sender)] == []
    assert all(len(event.data["text"]) <= MAX_TEXT_CHARS for event in replies)
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    texto_warnings = [
        r for r in caplog.get_records("call") if r.name.startswith("custom_components.texto")
    ]
    assert (errors, texto_warnings) == ([], [])


async def test_junk_never_fires_nor_fails(
    hass: HomeAssistant,
    hook: tuple[str, TestClient[Any, Any], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _run(hass, hook, caplog, draw(JUNK_CALLS, JUNK_EXAMPLES), events_allowed=False)


async def test_junk_in_real_fields_never_fails(
    hass: HomeAssistant,
    hook: tuple[str, TestClient[Any, Any], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _run(
        hass, hook, caplog, draw(KNOWN_FIELD_CALLS, KNOWN_FIELD_EXAMPLES), events_allowed=True
    )


async def test_a_huge_chunked_body_is_refused_without_reading_it_all(
    hass: HomeAssistant,
    hook: tuple[str, TestClient[Any, Any], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No Content-Length to trust: the cap applies to what is read."""
    provider, client, url = hook
    events = async_capture_events(hass, EVENT_SMS_RECEIVED)

    async def chunks() -> Any:
        yield b"message=x&smsMoId=1&phoneNumber=33612345678&emetteur=33612345678&x="
        for _ in range(64):
            yield b"y" * 1024

    async with client.session.post(
        url, data=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    ) as response:
        status = response.status

    await hass.async_block_till_done()
    assert status == (200 if provider == "sms123" else 413)
    assert events == []


async def test_hostile_callbacks_leave_almost_nothing_behind(
    hass: HomeAssistant,
    hook: tuple[str, TestClient[Any, Any], str],
) -> None:
    """Huge numbers, ids and texts, each one new: nothing of them may be kept (caches, dedup)."""
    _provider, client, url = hook

    def hostile(n: int) -> Call:
        huge = f"{n}" + "3" * 2_000
        fields = {
            "phoneNumber": huge,
            "emetteur": huge,
            "numero": huge,
            "gsm": huge,
            "smsId": f"{n}" + "i" * 500,
            "smsMoId": f"{n}",
            "responseID": f"{n}",
            "refenvoi": f"{n}",
            "message": "x" * 1_500,
            "statut": "11",
        }
        return Call("GET", urlencode(fields))

    # debug lines would be kept by the test's log capture: that memory is not Texto's
    for name in ("custom_components.texto", "texto_gateway"):
        logging.getLogger(name).setLevel(logging.INFO)
    for warm_up in range(50):  # imports, first-use caches, pools
        await post(client, url, hostile(-1 - warm_up))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        count = HOSTILE_CALLBACKS // 3  # a third for each gateway
        for start in range(0, count, CONCURRENT_CALLS):
            numbers = range(start, min(start + CONCURRENT_CALLS, count))
            await asyncio.gather(*(post(client, url, hostile(n)) for n in numbers))
        await hass.async_block_till_done()
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()

    # what Texto's code allocated and still holds (the test harness keeps every access-log
    # line: not Texto's doing)
    texto = [tracemalloc.Filter(inclusive=True, filename_pattern=f"{TEXTO_CODE}/*")]
    changes = after.filter_traces(texto).compare_to(before.filter_traces(texto), "lineno")
    retained = sum(stat.size_diff for stat in changes)
    assert retained < MAX_RETAINED_BYTES, changes[:10]
