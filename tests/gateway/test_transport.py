"""The HTTP layer every route shares: retries of reads, decoding, Retry-After, masking."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from tests.simulator.base import SimulatorBase
from texto_gateway.errors import (
    Outcome,
    OutcomeUnknownError,
    TemporarilyUnavailableError,
)
from texto_gateway.redact import mask_fields, mask_number, mask_text
from texto_gateway.transport import Transport


class EchoGateway(SimulatorBase):
    """A tiny gateway: /read answers "ok", /latin answers ISO-8859-15 bytes."""

    def routes(self) -> list[web.RouteDef]:
        async def read(request: web.Request) -> web.Response:
            return web.Response(text="ok")

        async def latin(request: web.Request) -> web.Response:
            return web.Response(body="0 | Accepté | €".encode("iso-8859-15"))

        async def bad_charset(request: web.Request) -> web.Response:
            return web.Response(
                body=b"caf\xe9", headers={"Content-Type": "text/plain; charset=nonsense"}
            )

        return [
            web.route("*", "/read", read),
            web.get("/latin", latin),
            web.get("/odd", bad_charset),
        ]


@pytest.fixture
async def echo() -> AsyncIterator[tuple[EchoGateway, Transport]]:
    gateway = EchoGateway()
    await gateway.start()
    async with aiohttp.ClientSession() as session:
        yield gateway, Transport(session, gateway.base_url + "/", secrets=["s3cret"])
    await gateway.stop()


async def test_a_read_is_tried_again_when_the_connection_breaks(
    echo: tuple[EchoGateway, Transport],
) -> None:
    gateway, transport = echo
    gateway.fail_next("drop_after_accept", path="/read", count=2)

    # POST, as AllMySMS reads are: aiohttp itself repeats a GET on a reused connection
    answer = await transport.request("POST", "/read", idempotent=True)

    assert answer.text == "ok"
    assert len(gateway.requests_to("/read")) == 3


async def test_a_read_gives_up_after_three_broken_connections(
    echo: tuple[EchoGateway, Transport],
) -> None:
    gateway, transport = echo
    gateway.fail_next("drop_after_accept", path="/read", count=3)

    with pytest.raises(OutcomeUnknownError):
        await transport.request("POST", "/read", idempotent=True)
    assert len(gateway.requests_to("/read")) == 3


async def test_anything_else_is_never_repeated(echo: tuple[EchoGateway, Transport]) -> None:
    gateway, transport = echo
    gateway.fail_next("drop_after_accept", path="/read")

    with pytest.raises(OutcomeUnknownError) as raised:
        await transport.request("POST", "/read", form={"message": "x"})

    assert raised.value.outcome is Outcome.UNKNOWN
    assert len(gateway.requests_to("/read")) == 1


async def test_a_read_timeout_is_not_repeated() -> None:
    gateway = EchoGateway()
    await gateway.start()
    gateway.fail_next("slow", path="/read", delay=1.0)
    async with aiohttp.ClientSession() as session:
        transport = Transport(session, gateway.base_url, total_timeout=0.2)
        with pytest.raises(OutcomeUnknownError):
            await transport.request("POST", "/read", idempotent=True)
    await gateway.stop()
    assert len(gateway.requests_to("/read")) == 1


async def test_retry_after_is_read(echo: tuple[EchoGateway, Transport]) -> None:
    gateway, transport = echo
    gateway.fail_next("http_429", path="/read")

    with pytest.raises(TemporarilyUnavailableError) as raised:
        await transport.request("GET", "/read")

    assert raised.value.retry_after == 1.0
    assert raised.value.code == "HTTP 429"


async def test_answers_without_charset_fall_back_to_latin9(
    echo: tuple[EchoGateway, Transport],
) -> None:
    _, transport = echo
    assert (await transport.request("GET", "/latin")).text == "0 | Accepté | €"
    assert (await transport.request("GET", "/odd")).text == "café"


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("2", 2.0), ("-1", None), ("Wed, 21 Oct", None)]
)
def test_retry_after_forms(value: str | None, expected: float | None) -> None:
    from texto_gateway.transport import _seconds

    assert _seconds(value) == expected


def test_masking() -> None:
    assert mask_number("123") == "***"
    assert mask_number("+33612345678") == "+336***78"
    assert mask_fields(None) == {}
    assert mask_fields({"apiKey": "k", "numero": "336", "classe_msg": "2"}) == {
        "apiKey": "***",
        "numero": "***",
        "classe_msg": "2",
    }
    assert mask_text("key=s3cret to 33612345678, code 36034", ["s3cret", ""]) == (
        "key=*** to 3361***78, code 36034"
    )
