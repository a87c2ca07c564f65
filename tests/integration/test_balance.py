"""Balance sensors, the credit repair issues, the sent-parts total and diagnostics."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import mock_restore_cache_with_extra_data
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.texto.const import DOMAIN
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.smsmode import SmsmodeSimulator

from .common import (
    ALICE,
    allmysms_entry,
    set_up,
    smsmode_entry,
)


async def next_poll(hass: HomeAssistant) -> None:
    """What the 30-minute timer does.

    Moving the clock instead would fire every timer of the real sockets in play (the
    simulators' keep-alive timers, the requests' timeouts) along with the coordinator's.
    """
    for entry in hass.config_entries.async_entries(DOMAIN):
        await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


def issue_ids(hass: HomeAssistant) -> set[str]:
    return {issue_id for (domain, issue_id) in ir.async_get(hass).issues if domain == DOMAIN}


async def test_balance_is_polled_every_30_minutes(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    assert entry.runtime_data.coordinator.update_interval == timedelta(minutes=30)
    allmysms_sim.credits = 1500

    await next_poll(hass)

    assert hass.states.get("sensor.allmysms_demo_credit").state == "1500"
    assert hass.states.get("sensor.allmysms_demo_remaining_sms").state == "100"


async def test_unreachable_gateway_makes_balance_unavailable_and_logs_once(
    hass: HomeAssistant,
    allmysms_sim: AllMySmsSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await set_up(hass, allmysms_entry(allmysms_sim))
    await allmysms_sim.refuse_connections()
    caplog.set_level(logging.INFO)

    await next_poll(hass)
    await next_poll(hass)

    assert hass.states.get("sensor.allmysms_demo_credit").state == "unavailable"
    errors = [r for r in caplog.records if "balance" in r.getMessage().lower()]
    assert len([r for r in errors if r.levelno >= logging.ERROR]) == 1
    # a sensor that does not need the gateway stays available
    assert hass.states.get("sensor.allmysms_demo_sent_parts").state == "0"

    await allmysms_sim.accept_connections()
    await next_poll(hass)
    assert hass.states.get("sensor.allmysms_demo_credit").state == "15000"


async def test_low_credit_issue_raised_then_cleared(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(
        hass, allmysms_entry(allmysms_sim, options={"low_credit_threshold": 20000})
    )
    assert issue_ids(hass) == {f"low_credit_{entry.entry_id}"}
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"low_credit_{entry.entry_id}")
    assert issue.translation_placeholders["balance"] == "15000"
    assert issue.translation_placeholders["threshold"] == "20000"

    allmysms_sim.credits = 25000
    await next_poll(hass)
    assert issue_ids(hass) == set()


async def test_exhausted_credit_issue(hass: HomeAssistant, allmysms_sim: AllMySmsSimulator) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim))
    assert issue_ids(hass) == set()

    allmysms_sim.credits = 0
    await next_poll(hass)
    assert issue_ids(hass) == {f"credit_exhausted_{entry.entry_id}"}

    allmysms_sim.credits = 300
    await next_poll(hass)
    assert issue_ids(hass) == set()


async def test_postpaid_account_never_warns(
    hass: HomeAssistant, smsmode_sim: SmsmodeSimulator
) -> None:
    smsmode_sim.postpaid = True
    smsmode_sim.credits = -42.5
    await set_up(hass, smsmode_entry(smsmode_sim, options={"low_credit_threshold": 100}))

    state = hass.states.get("sensor.smsmode_credit")
    assert state.state == "-42.5"
    assert state.attributes["postpaid"] is True
    assert issue_ids(hass) == set()


async def test_sent_parts_total_survives_a_restart(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State("sensor.allmysms_demo_sent_parts", "41"),
                {"native_value": 41, "native_unit_of_measurement": None},
            )
        ],
    )
    entry = await set_up(hass, allmysms_entry(allmysms_sim))

    await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": [ALICE], "message": "x"},
        blocking=True,
    )

    assert hass.states.get("sensor.allmysms_demo_sent_parts").state == "42"


async def test_entry_removal_clears_issues(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options={"low_credit_threshold": 1e6}))
    assert issue_ids(hass)

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert issue_ids(hass) == set()


async def test_diagnostics_are_redacted(
    hass: HomeAssistant,
    hass_client: object,
    allmysms_sim: AllMySmsSimulator,
    snapshot: SnapshotAssertion,
) -> None:
    entry = await set_up(
        hass, allmysms_entry(allmysms_sim, options={"sender": "MAISON", "smtp_password": "pw"})
    )
    await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": entry.entry_id, "recipients": [ALICE], "message": "Secret text"},
        blocking=True,
    )

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    flat = repr(diagnostics)
    for secret in (allmysms_sim.api_key, "33612345678", "Secret text", "pw", "MAISON"):
        assert secret not in flat
    assert diagnostics == snapshot
