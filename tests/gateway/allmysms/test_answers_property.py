"""Arbitrary gateway answers never raise anything but the library's own errors."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.simulator.allmysms import AllMySmsSimulator
from texto_gateway.allmysms import AllMySmsGateway
from texto_gateway.errors import GatewayError
from texto_gateway.models import SendRequest

from .conftest import ALICE, BOB

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["100", "101", "113", "114", "104", "0", "OK", "33612345678", "1"]),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
_known_keys = st.sampled_from(
    [
        "status",
        "statusText",
        "campaignId",
        "invalidNumbers",
        "smsIds",
        "credits",
        "creditsUsed",
        "nbCredits",
        "acks",
        "mos",
        "cliMsgId",
        "phoneNumber",
        "message",
        "receptionDate",
    ]
)
_answers = st.one_of(
    st.dictionaries(_known_keys, _json, max_size=6).map(json.dumps),
    _json.map(json.dumps),
    st.text(max_size=60),
)

_REQUEST = SendRequest(recipients=(ALICE, BOB), text="Bonjour")


def _calls(gateway: AllMySmsGateway) -> list[Callable[[], Awaitable[object]]]:
    return [
        lambda: gateway.send(_REQUEST),
        lambda: gateway.estimate(_REQUEST),
        gateway.get_balance,
        lambda: gateway.fetch_delivery_reports("C1"),
        gateway.fetch_replies,
        lambda: gateway.get_reply("s1"),
    ]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=_answers, which=st.integers(min_value=0, max_value=5))
async def test_any_answer_is_a_result_or_a_gateway_error(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, body: str, which: int
) -> None:
    allmysms_sim.credits = 15000  # keep the simulator accepting, whatever came before
    allmysms_sim.fail_next("malformed", body=body)
    with contextlib.suppress(GatewayError):
        await _calls(allmysms)[which]()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=_answers)
async def test_any_cancel_answer(
    allmysms: AllMySmsGateway, allmysms_sim: AllMySmsSimulator, body: str
) -> None:
    result = await allmysms.send(_REQUEST)
    allmysms_sim.fail_next("malformed", body=body)
    with contextlib.suppress(GatewayError):
        await allmysms.cancel(result)
