"""The spending guard: a daily cap on billed parts, and the repair issue saying it was reached.

The guard is tested on a real Home Assistant with a config entry that is not set up (its
options are the cap); the end-to-end tests go through ``texto.send_sms`` to the AllMySMS
simulator and count what it really received.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.texto.const import (
    CONF_DAILY_PARTS_CAP,
    CONF_FALLBACK,
    CONF_MAX_AGE,
    CONF_PROVIDER,
    DOMAIN,
    SendState,
)
from custom_components.texto.gateway.models import SendRequest
from custom_components.texto.issues import async_clear_issues
from custom_components.texto.outbox import OutboxItem
from custom_components.texto.spending import SpendingGuard
from custom_components.texto.stores import SAVE_DELAY, AccountState, TextoStore
from tests.simulator.allmysms import AllMySmsSimulator
from tests.simulator.smsmode import SmsmodeSimulator

from .common import ALICE, BOB, allmysms_entry, send_sms, set_up, smsmode_entry

PARIS = ZoneInfo("Europe/Paris")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture(autouse=True)
async def paris(hass: HomeAssistant) -> None:
    """Days start at midnight in Paris, Home Assistant's time zone here."""
    await hass.config.async_set_time_zone("Europe/Paris")


def _entry(hass: HomeAssistant, options: dict[str, Any] | None = None) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN, title="Maison", data={CONF_PROVIDER: "smsmode"}, options=options or {}
    )
    entry.add_to_hass(hass)
    return entry


class Guards:
    """Loaded guards, shut down at the end of the test (as the entry's unload would)."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.loaded: dict[SpendingGuard, AccountState] = {}

    async def load(self, entry: MockConfigEntry) -> SpendingGuard:
        """A guard of ``entry`` that read its store (a start-up, or a reload)."""
        state = AccountState(self.hass, entry.entry_id)
        await state.async_load()
        guard = SpendingGuard(self.hass, entry, state)
        guard.async_load()
        self.loaded[guard] = state
        return guard

    async def restart(self, guard: SpendingGuard, entry: MockConfigEntry) -> SpendingGuard:
        """The guard after the entry unloaded and loaded again (options changed, restart)."""
        guard.async_shutdown()
        await self.loaded.pop(guard).async_flush()
        return await self.load(entry)


@pytest.fixture
async def guards(hass: HomeAssistant) -> AsyncIterator[Guards]:
    """Make guards; stop them afterwards."""
    made = Guards(hass)
    yield made
    for guard, state in made.loaded.items():
        guard.async_shutdown()
        await state.async_flush()


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"spending_cap_{entry.entry_id}")


# --- the guard -----------------------------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {CONF_DAILY_PARTS_CAP: 0}])
async def test_no_cap_refuses_nothing(
    hass: HomeAssistant, guards: Guards, options: dict[str, Any]
) -> None:
    entry = _entry(hass, options)
    guard = await guards.load(entry)

    for _ in range(5):
        guard.check(10_000)
        guard.record(10_000)

    assert guard.used == 50_000
    assert _issue(hass, entry) is None


async def test_over_the_cap_is_refused_with_a_translated_error_and_an_issue(
    hass: HomeAssistant, guards: Guards
) -> None:
    entry = _entry(hass, {CONF_DAILY_PARTS_CAP: 10})
    guard = await guards.load(entry)
    guard.check(4)
    guard.record(4)
    guard.check(6)  # exactly the cap: allowed
    guard.record(6)

    with pytest.raises(ServiceValidationError) as raised:
        guard.check(1)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "spending_cap_reached"
    assert raised.value.translation_placeholders == {"cap": "10", "used": "10", "parts": "1"}
    issue = _issue(hass, entry)
    assert issue is not None
    assert issue.translation_key == "spending_cap"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {"account": "Maison", "cap": "10", "used": "10"}
    assert guard.used == 10  # a refused send counts nothing


async def test_one_send_bigger_than_what_is_left_is_refused(
    hass: HomeAssistant, guards: Guards
) -> None:
    entry = _entry(hass, {CONF_DAILY_PARTS_CAP: 10})
    guard = await guards.load(entry)
    guard.check(3)
    guard.record(3)

    with pytest.raises(ServiceValidationError) as raised:
        guard.check(8)

    assert raised.value.translation_placeholders == {"cap": "10", "used": "3", "parts": "8"}
    guard.check(7)  # what is left still goes


async def test_sends_checked_but_not_yet_billed_count(hass: HomeAssistant, guards: Guards) -> None:
    """A burst queued at once cannot pass the cap before the first of them is billed."""
    entry = _entry(hass, {CONF_DAILY_PARTS_CAP: 10})
    guard = await guards.load(entry)
    for _ in range(5):
        guard.check(2)  # queued in the outbox, none sent yet
    assert guard.held == 10

    with pytest.raises(ServiceValidationError):
        guard.check(1)

    guard.record(2)  # the first one went out
    guard.release(2)  # the second one failed: nothing billed
    assert (guard.used, guard.held) == (2, 6)
    guard.check(2)
    with pytest.raises(ServiceValidationError):
        guard.check(1)


async def test_a_hold_never_settled_lapses_after_the_maximum_age(
    hass: HomeAssistant, guards: Guards, freezer: FrozenDateTimeFactory
) -> None:
    entry = _entry(hass, {CONF_DAILY_PARTS_CAP: 10, CONF_MAX_AGE: 10})
    guard = await guards.load(entry)
    guard.check(10)
    freezer.tick(10 * 60)
    assert guard.held == 10  # the send may still be in the outbox

    freezer.tick(6 * 60)  # past its maximum age, and a margin

    assert guard.held == 0
    guard.check(10)


async def test_billed_parts_differing_from_the_check_release_the_hold(
    hass: HomeAssistant, guards: Guards
) -> None:
    entry = _entry(hass, {CONF_DAILY_PARTS_CAP: 10})
    guard = await guards.load(entry)
    guard.check(4)

    guard.record(3, held=4)  # the gateway billed fewer parts than counted

    assert (guard.used, guard.held) == (3, 0)


async def test_the_count_survives_a_restart(hass: HomeAssistant, guards: Guards) -> None:
    entry = _entry(hass, {CONF_DAILY_PARTS_CAP: 10})
    guard = await guards.load(entry)
    guard.check(7)
    guard.record(7)

    guard = await guards.restart(guard, entry)

    assert guard.used == 7
    with pytest.raises(ServiceValidationError):
        guard.check(4)


async def test_a_count_from_yesterday_is_not_read(
    hass: HomeAssistant, guards: Guards, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(datetime(2026, 3, 10, 23, 30, tzinfo=PARIS))
    entry = _entry(hass, {CONF_DAILY_PARTS_CAP: 10})
    guard = await guards.load(entry)
    guard.record(9)
    with pytest.raises(ServiceValidationError):
        guard.check(2)
    guard.async_shutdown()
    await guards.loaded.pop(guard).async_flush()

    # Home Assistant was off over midnight
    freezer.move_to(datetime(2026, 3, 11, 7, 0, tzinfo=PARIS))
    guard = await guards.load(entry)

    assert guard.used == 0
    assert _issue(hass, entry) is None
    guard.check(10)


async def test_midnight_starts_a_new_count_and_withdraws_the_issue(
    hass: HomeAssistant, guards: Guards, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to(datetime(2026, 3, 10, 23, 59, 50, tzinfo=PARIS))
    entry = _entry(hass, {CONF_DAILY_PARTS_CAP: 5})
    guard = await guards.load(entry)
    guard.record(5)
    with pytest.raises(ServiceValidationError):
        guard.check(1)
    assert _issue(hass, entry) is not None

    freezer.move_to(datetime(2026, 3, 11, 0, 0, 1, tzinfo=PARIS))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    # withdrawn at midnight, before anyone sends again
    assert _issue(hass, entry) is None
    assert guard.used == 0
    freezer.tick(SAVE_DELAY)  # the new count reaches the disk
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    state = await TextoStore[dict[str, Any]](hass, entry.entry_id, "state", 1).async_load()
    assert state is not None
    assert (state["spending"]["day"], state["spending"]["parts"]) == ("2026-03-11", 0)


async def test_the_day_is_home_assistants_local_day(
    hass: HomeAssistant, guards: Guards, freezer: FrozenDateTimeFactory
) -> None:
    # 23:30 UTC on the 10th is already the 11th in Paris
    freezer.move_to(datetime(2026, 3, 10, 22, 30, tzinfo=ZoneInfo("UTC")))
    entry = _entry(hass, {CONF_DAILY_PARTS_CAP: 5})
    guard = await guards.load(entry)
    guard.record(5)
    freezer.move_to(datetime(2026, 3, 10, 23, 30, tzinfo=ZoneInfo("UTC")))

    assert guard.used == 0  # a new day in Paris, though not in UTC


@pytest.mark.parametrize(
    ("new_cap", "issue_kept"),
    [(5, True), (3, True), (6, False), (0, False)],
)
async def test_the_issue_stays_until_the_cap_is_raised_or_removed(
    hass: HomeAssistant, guards: Guards, new_cap: int, issue_kept: bool
) -> None:
    entry = _entry(hass, {CONF_DAILY_PARTS_CAP: 5})
    guard = await guards.load(entry)
    guard.record(5)
    with pytest.raises(ServiceValidationError):
        guard.check(1)

    # the options change and the entry reloads: the new guard looks again
    hass.config_entries.async_update_entry(entry, options={CONF_DAILY_PARTS_CAP: new_cap})
    guard = await guards.restart(guard, entry)

    assert (_issue(hass, entry) is not None) is issue_kept


async def test_the_issue_is_shown_again_after_a_restart(
    hass: HomeAssistant, guards: Guards
) -> None:
    entry = _entry(hass, {CONF_DAILY_PARTS_CAP: 5})
    guard = await guards.load(entry)
    guard.record(5)
    with pytest.raises(ServiceValidationError):
        guard.check(1)
    guard.async_shutdown()
    await guards.loaded.pop(guard).async_flush()
    # issues that are not persistent are gone after a restart
    ir.async_delete_issue(hass, DOMAIN, f"spending_cap_{entry.entry_id}")

    await guards.load(entry)

    issue = _issue(hass, entry)
    assert issue is not None
    assert issue.translation_placeholders == {"account": "Maison", "cap": "5", "used": "5"}


async def test_removing_the_entry_clears_the_issue(hass: HomeAssistant, guards: Guards) -> None:
    entry = _entry(hass, {CONF_DAILY_PARTS_CAP: 1})
    guard = await guards.load(entry)
    with pytest.raises(ServiceValidationError):
        guard.check(2)

    async_clear_issues(hass, entry)  # type: ignore[arg-type]

    assert _issue(hass, entry) is None


# --- end to end: texto.send_sms on the AllMySMS simulator ---------------------------------


async def test_over_the_cap_a_send_is_refused_and_the_gateway_gets_nothing(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options={CONF_DAILY_PARTS_CAP: 3}))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alerte 1")
    await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="Alerte 2")

    with pytest.raises(ServiceValidationError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alerte 3")

    assert raised.value.translation_key == "spending_cap_reached"
    assert raised.value.translation_placeholders == {"cap": "3", "used": "3", "parts": "1"}
    assert "3 of 3" in str(raised.value)
    # what the gateway really received: the two sends within the cap, three SMS
    assert [sms.text for sms in allmysms_sim.messages] == ["Alerte 1", "Alerte 2", "Alerte 2"]
    issue = _issue(hass, entry)
    assert issue is not None
    assert issue.translation_placeholders == {
        "account": entry.title,
        "cap": "3",
        "used": "3",
    }


async def test_sends_waiting_after_a_restart_still_count_against_the_cap(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, hass_storage: dict[str, Any]
) -> None:
    entry = allmysms_entry(allmysms_sim, options={CONF_DAILY_PARTS_CAP: 3})
    # a previous run accepted a send to two numbers; the gateway has been down since
    waiting = OutboxItem(
        outbox_id="0123456789abcdef0123456789abcdef",
        entry_id=entry.entry_id,
        created_at=dt_util.utcnow(),
        request=SendRequest(recipients=(ALICE, BOB), text="D'avant"),
        state=SendState.QUEUED,
        attempts=1,
    )
    hass_storage[f"{DOMAIN}.{entry.entry_id}.outbox"] = {
        "version": 2,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.outbox",
        "data": {"items": [waiting.to_dict()]},
    }
    await allmysms_sim.refuse_connections()
    await set_up(hass, entry)

    # its two parts are held: two more would pass the cap of three
    with pytest.raises(ServiceValidationError) as raised:
        await send_sms(hass, entry.entry_id, recipients=[ALICE, BOB], message="Alerte", wait=False)
    assert raised.value.translation_placeholders == {"cap": "3", "used": "0", "parts": "2"}
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alerte", wait=False)

    await allmysms_sim.accept_connections()
    await entry.runtime_data.outbox.async_drain()
    assert sorted(sms.text for sms in allmysms_sim.messages) == ["Alerte", "D'avant", "D'avant"]


async def test_a_long_message_counts_every_part_for_every_recipient(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options={CONF_DAILY_PARTS_CAP: 5}))

    # 2 parts x 3 recipients = 6 parts
    with pytest.raises(ServiceValidationError) as raised:
        await send_sms(
            hass, entry.entry_id, recipients=[ALICE, BOB, "+33611111111"], message="x" * 200
        )

    assert raised.value.translation_placeholders == {"cap": "5", "used": "0", "parts": "6"}
    assert allmysms_sim.messages == []


async def test_raising_the_cap_in_the_options_lets_sends_through_again(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options={CONF_DAILY_PARTS_CAP: 1}))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alerte 1")
    with pytest.raises(ServiceValidationError):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alerte 2")
    assert _issue(hass, entry) is not None

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "delivery"}
    )
    await hass.config_entries.options.async_configure(result["flow_id"], {CONF_DAILY_PARTS_CAP: 2})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # the issue is withdrawn and today's count kept across the reload: one more part
    assert _issue(hass, entry) is None
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alerte 2")
    with pytest.raises(ServiceValidationError):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alerte 3")
    assert [sms.text for sms in allmysms_sim.messages] == ["Alerte 1", "Alerte 2"]


@pytest.mark.parametrize(("new_cap", "then_sent"), [(2, 2), (0, 3)])
async def test_the_issue_raises_or_removes_the_cap_from_its_fix_flow(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, new_cap: int, then_sent: int
) -> None:
    await async_setup_component(hass, "repairs", {})
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options={CONF_DAILY_PARTS_CAP: 1}))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alerte 1")
    with pytest.raises(ServiceValidationError):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alerte 2")
    issue = _issue(hass, entry)
    assert issue is not None
    assert issue.is_fixable

    flows = repairs_flow_manager(hass)
    assert flows is not None
    result = await flows.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    # the form names the account and today's figures, and offers the cap as it is
    assert result["step_id"] == "cap"
    assert result["description_placeholders"] == {"account": entry.title, "cap": "1", "used": "1"}
    result = await flows.async_configure(result["flow_id"], {CONF_DAILY_PARTS_CAP: new_cap})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_DAILY_PARTS_CAP] == new_cap
    assert entry.state is ConfigEntryState.LOADED
    assert _issue(hass, entry) is None
    for number in range(2, then_sent + 1):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message=f"Alerte {number}")
    assert len(allmysms_sim.messages) == then_sent


async def test_a_send_carried_by_the_fallback_counts_against_the_fallbacks_cap(
    hass: HomeAssistant, allmysms_sim: AllMySmsSimulator, smsmode_sim: SmsmodeSimulator
) -> None:
    backup = await set_up(hass, smsmode_entry(smsmode_sim, options={CONF_DAILY_PARTS_CAP: 10}))
    primary = await set_up(
        hass,
        allmysms_entry(
            allmysms_sim, options={CONF_DAILY_PARTS_CAP: 1, CONF_FALLBACK: backup.entry_id}
        ),
    )
    allmysms_sim.credits = 0  # the primary's credit is exhausted: the fallback takes it

    response = await send_sms(hass, primary.entry_id, recipients=[ALICE], message="Alerte 1")

    assert (response["route"], response["account"]) == ("smsmode", backup.entry_id)
    assert len(smsmode_sim.messages) == 1
    assert allmysms_sim.messages == []
    primary_guard, backup_guard = primary.runtime_data.spending, backup.runtime_data.spending
    assert (backup_guard.used, backup_guard.held) == (1, 0)
    # the primary billed nothing, and holds nothing back for a send that is over
    assert (primary_guard.used, primary_guard.held) == (0, 0)
    await send_sms(hass, primary.entry_id, recipients=[ALICE], message="Alerte 2")
    assert len(smsmode_sim.messages) == 2


async def test_removing_the_account_forgets_its_count_and_issue(
    hass: HomeAssistant, hass_storage: dict[str, Any], allmysms_sim: AllMySmsSimulator
) -> None:
    entry = await set_up(hass, allmysms_entry(allmysms_sim, options={CONF_DAILY_PARTS_CAP: 1}))
    await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alerte 1")
    with pytest.raises(ServiceValidationError):
        await send_sms(hass, entry.entry_id, recipients=[ALICE], message="Alerte 2")
    key = f"{DOMAIN}.{entry.entry_id}.spending"

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage
    assert _issue(hass, entry) is None


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_issue_and_the_error_use_exactly_the_placeholders_given(language: str) -> None:
    path = Path(__file__).parents[2] / "custom_components/texto/translations" / f"{language}.json"
    strings = json.loads(path.read_text(encoding="utf-8"))
    issue = strings["issues"]["spending_cap"]
    fix = issue["fix_flow"]["step"]["cap"]
    error = strings["exceptions"]["spending_cap_reached"]["message"]

    assert set(_PLACEHOLDER.findall(issue["title"] + fix["title"] + fix["description"])) == {
        "account",
        "cap",
        "used",
    }
    assert set(_PLACEHOLDER.findall(error)) == {"cap", "used", "parts"}
