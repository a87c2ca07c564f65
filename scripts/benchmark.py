"""Measure Texto's sending overhead on loopback, against the gateway simulators.

Not a test: run it by hand (it takes well under two minutes).

    .venv/bin/python scripts/benchmark.py [--requests 300] [--recipients 500] [--json]

What it measures, in one run, everything on 127.0.0.1:

1. ``notify.send_message`` on a recipient's entity, in a real Home Assistant (built the way
   ``homeassistant.bootstrap`` builds one, with a temporary config directory) where Texto is
   set up on the AllMySMS simulator; against a raw aiohttp POST of the very same request
   (one body Texto sent, replayed) through a shared ``ClientSession``. The two alternate in
   small batches, so that machine noise hits both. Median and p95 of each, and the ratio
   (Texto's target: at most 1.2x). Then the same again with the simulator answering after a
   gateway-like delay (``--gateway-latency-ms``, 20 by default; 0 skips it): on loopback a
   request takes well under a millisecond, so the ratio there is mostly fixed overhead.
2. ``texto.send_sms`` to N distinct French mobile numbers on each gateway: the wall time of
   the call, the HTTP send requests the simulator received for it (AllMySMS and smsmode
   take every number in one request; 123-SMS takes one number per request, sent with
   bounded concurrency), and for 123-SMS the most requests in flight at once - with no
   latency, and again with a small simulated gateway latency to show the concurrency pays.

``--profile FILE`` also runs the timed notify calls under cProfile and writes the stats to
FILE (the simulator shares the event loop, so its work shows too); the figures of such a
run are slowed by the profiler.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
# the simulators live in tests/; custom_components/texto is found there too
sys.path.insert(0, str(ROOT))

from homeassistant import bootstrap, loader  # noqa: E402
from homeassistant.config_entries import (  # noqa: E402
    SOURCE_USER,
    ConfigEntries,
    ConfigEntry,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.const import (  # noqa: E402
    CONF_ACCESS_TOKEN,
    CONF_API_KEY,
    CONF_URL,
    CONF_USERNAME,
)
from homeassistant.core import HomeAssistant  # noqa: E402
from homeassistant.core_config import async_process_ha_core_config  # noqa: E402
from homeassistant.helpers import entity_registry as er  # noqa: E402
from homeassistant.runner import HassEventLoopPolicy  # noqa: E402
from homeassistant.setup import async_setup_component  # noqa: E402

from custom_components.texto.const import (  # noqa: E402
    CONF_PHONE_NUMBER,
    CONF_PROVIDER,
    DOMAIN,
    SUBENTRY_TYPE_RECIPIENT,
)
from tests.simulator.allmysms import AllMySmsSimulator  # noqa: E402
from tests.simulator.base import SimulatorBase  # noqa: E402
from tests.simulator.sms123 import Sms123Simulator  # noqa: E402
from tests.simulator.smsmode import SEND as SMSMODE_SEND_PATH  # noqa: E402
from tests.simulator.smsmode import SmsmodeSimulator  # noqa: E402

ALLMYSMS_SEND_PATH = "/http/9.0/sendSms/"
SMS123_SEND_PATH = "/api/send/"
RECIPIENT = "+33612345678"
#: enough for every send of a run, whatever the gateway's price
PLENTY = 1_000_000_000
WARM_UP_CALLS = 20
TARGET_RATIO = 1.2
#: 123-SMS's simulated latency per request in the second variant, seconds
SMS123_LATENCY = 0.005
#: never runs out: a fault for every request of the run
FOREVER = 1_000_000_000


# --- a real Home Assistant --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def start_home_assistant(config_dir: Path) -> HomeAssistant:
    """A running Home Assistant, set up as ``bootstrap`` does minus the default integrations.

    The core, the registries, the config entries and ``http`` (Texto needs ``webhook``,
    which needs it) on a free loopback port; nothing else. Custom integrations are found
    as in a real install: ``custom_components`` is importable (here from the project).
    """
    hass = HomeAssistant(str(config_dir))
    loader.async_setup(hass)
    hass.config.skip_pip = True
    hass.config_entries = ConfigEntries(hass, {})
    await loader.async_get_custom_components(hass)
    await bootstrap.async_load_base_functionality(hass)
    await async_process_ha_core_config(
        hass, {"time_zone": "Europe/Paris", "country": "FR", "currency": "EUR"}
    )
    http = {"server_host": ["127.0.0.1"], "server_port": _free_port()}
    for domain, config in (("homeassistant", {}), ("http", {"http": http})):
        if not await async_setup_component(hass, domain, config):
            raise RuntimeError(f"{domain} did not set up")
    await hass.async_start()
    return hass


def texto_entry(title: str, data: dict[str, Any]) -> ConfigEntry:
    """A Texto account (one recipient) as the config flow stores it."""
    return ConfigEntry(
        data=data,
        discovery_keys=MappingProxyType({}),
        domain=DOMAIN,
        minor_version=1,
        options={},
        source=SOURCE_USER,
        subentries_data=[
            ConfigSubentryData(
                data={"name": "Alice", CONF_PHONE_NUMBER: RECIPIENT},
                subentry_type=SUBENTRY_TYPE_RECIPIENT,
                title="Alice",
                unique_id=RECIPIENT,
            )
        ],
        title=title,
        unique_id=f"{data[CONF_PROVIDER]}:benchmark",
        version=1,
    )


async def add_entry(hass: HomeAssistant, entry: ConfigEntry) -> ConfigEntry:
    """Add ``entry`` and wait until it is set up."""
    await hass.config_entries.async_add(entry)
    await hass.async_block_till_done()
    if entry.state is not ConfigEntryState.LOADED:
        raise RuntimeError(f"{entry.title} did not load: {entry.state}")
    return entry


def notify_entity_of(hass: HomeAssistant, entry: ConfigEntry) -> str:
    """The entity id of the entry's recipient."""
    for registered in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        if registered.domain == "notify":
            return registered.entity_id
    raise RuntimeError("no notify entity")


# --- figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Milliseconds of a series of calls."""

    calls: int
    median_ms: float
    p95_ms: float
    mean_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Timing:
        """The summary of ``seconds``."""
        ms = [value * 1000 for value in seconds]
        return cls(
            calls=len(ms),
            median_ms=statistics.median(ms),
            p95_ms=statistics.quantiles(ms, n=20, method="inclusive")[18],
            mean_ms=statistics.fmean(ms),
        )


@dataclass(frozen=True)
class BulkSend:
    """One ``texto.send_sms`` to many recipients."""

    gateway: str
    recipients: int
    wall_ms: float
    send_requests: int
    all_requests: int
    accepted: int
    max_in_flight: int | None = None
    latency_ms: float | None = None


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    """Seconds ``call`` took."""
    start = time.perf_counter()
    await call()
    return time.perf_counter() - start


# --- 1. notify.send_message against a raw POST --------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Texto's notify against a raw POST of the same request."""

    gateway_latency_ms: float
    texto_notify: Timing
    raw_post: Timing
    median_ratio: float
    p95_ratio: float

    @classmethod
    def of(cls, latency: float, texto: Timing, raw: Timing) -> Comparison:
        """The comparison of two timings."""
        return cls(
            gateway_latency_ms=latency * 1000,
            texto_notify=texto,
            raw_post=raw,
            median_ratio=texto.median_ms / raw.median_ms,
            p95_ratio=texto.p95_ms / raw.p95_ms,
        )


async def notify_vs_raw(
    hass: HomeAssistant,
    sim: AllMySmsSimulator,
    entity_id: str,
    calls: int,
    batch: int,
    *,
    latency: float = 0.0,
    profiler: cProfile.Profile | None = None,
) -> Comparison:
    """Time ``calls`` notify sends and as many raw POSTs of the same request, interleaved.

    With a ``latency``, the simulator answers every send that much later (both sides).
    """
    sim.clear_faults()
    if latency:
        sim.fail_next("slow", count=FOREVER, path=ALLMYSMS_SEND_PATH, delay=latency)
    try:
        return Comparison.of(
            latency, *await _interleaved(hass, sim, entity_id, calls, batch, profiler=profiler)
        )
    finally:
        sim.clear_faults()


async def _interleaved(
    hass: HomeAssistant,
    sim: AllMySmsSimulator,
    entity_id: str,
    calls: int,
    batch: int,
    *,
    profiler: cProfile.Profile | None,
) -> tuple[Timing, Timing]:

    async def notify() -> None:
        await hass.services.async_call(
            "notify",
            "send_message",
            {"entity_id": entity_id, "message": "Benchmark: the washing machine is done."},
            blocking=True,
        )

    for _ in range(WARM_UP_CALLS):
        await notify()
    sent = sim.requests_to(ALLMYSMS_SEND_PATH)[-1]
    url = f"{sim.base_url}{sent.path}"
    headers = {"Content-Type": sent.content_type}

    async with aiohttp.ClientSession() as session:

        async def raw_post() -> None:
            async with session.post(url, data=sent.body, headers=headers) as response:
                response.raise_for_status()
                await response.text()

        for _ in range(WARM_UP_CALLS):
            await raw_post()
        texto: list[float] = []
        raw: list[float] = []
        rounds = -(-calls // batch)
        for round_number in range(rounds):
            # who goes first alternates too: neither side always follows the other
            order = [(notify, texto), (raw_post, raw)]
            for call, samples in order if round_number % 2 == 0 else reversed(order):
                for _ in range(batch):
                    if profiler is not None and call is notify:
                        profiler.enable()
                    samples.append(await timed(call))
                    if profiler is not None:
                        profiler.disable()
    return Timing.of(texto[:calls]), Timing.of(raw[:calls])


# --- 2. texto.send_sms to many recipients -------------------------------------------------------


def french_mobiles(count: int) -> list[str]:
    """``count`` distinct valid French mobile numbers (+33 6 12 xx xx xx)."""
    if count > 1_000_000:
        raise ValueError("at most 1,000,000 numbers")
    return [f"+33612{index:06d}" for index in range(count)]


@dataclass(frozen=True)
class Account:
    """A Texto entry on a simulator, and the simulator's path for sends."""

    gateway: str
    entry: ConfigEntry
    sim: SimulatorBase
    send_path: str


async def bulk_send(
    hass: HomeAssistant, account: Account, recipients: list[str], message: str
) -> BulkSend:
    """Time one ``texto.send_sms`` to ``recipients`` and count what the simulator got."""
    sim, send_path = account.sim, account.send_path
    before_send, before_all = len(sim.requests_to(send_path)), len(sim.requests)
    start = time.perf_counter()
    response = await hass.services.async_call(
        DOMAIN,
        "send_sms",
        {"config_entry_id": account.entry.entry_id, "recipients": recipients, "message": message},
        blocking=True,
        return_response=True,
    )
    wall = time.perf_counter() - start
    accepted = response["recipients"] if response else []
    return BulkSend(
        gateway=account.gateway,
        recipients=len(recipients),
        wall_ms=wall * 1000,
        send_requests=len(sim.requests_to(send_path)) - before_send,
        all_requests=len(sim.requests) - before_all,
        accepted=len(accepted) if isinstance(accepted, list) else -1,
    )


async def bulk_sends(
    hass: HomeAssistant,
    sims: tuple[AllMySmsSimulator, SmsmodeSimulator, Sms123Simulator],
    entries: tuple[ConfigEntry, ConfigEntry, ConfigEntry],
    count: int,
) -> list[BulkSend]:
    """One big send per gateway; 123-SMS again with a simulated gateway latency."""
    allmysms, smsmode, sms123 = sims
    numbers = french_mobiles(count)
    message = "Benchmark: the heating is back on."
    results = [
        await bulk_send(
            hass, Account("AllMySMS", entries[0], allmysms, ALLMYSMS_SEND_PATH), numbers, message
        ),
        await bulk_send(
            hass, Account("smsmode", entries[1], smsmode, SMSMODE_SEND_PATH), numbers, message
        ),
    ]
    account = Account("123-SMS", entries[2], sms123, SMS123_SEND_PATH)
    for variant, latency in enumerate((0.0, SMS123_LATENCY)):
        sms123.latency, sms123.max_in_flight = latency, 0
        # another text each time: 123-SMS refuses the same text to a number within 24 hours
        result = await bulk_send(hass, account, numbers, f"{message} ({variant})")
        results.append(_with(result, max_in_flight=sms123.max_in_flight, latency_ms=latency * 1000))
    return results


def _with(result: BulkSend, **changes: Any) -> BulkSend:
    return BulkSend(**{**asdict(result), **changes})


# --- the run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """Everything one run measured."""

    notify: list[Comparison]
    bulk: list[BulkSend]


async def run(arguments: argparse.Namespace) -> Report:
    """Start the simulators and Home Assistant, measure, stop everything."""
    allmysms = AllMySmsSimulator(credits=PLENTY)
    smsmode = SmsmodeSimulator(credits=PLENTY)
    sms123 = Sms123Simulator(credits=PLENTY)
    sims = (allmysms, smsmode, sms123)
    for sim in sims:
        await sim.start()
    profiler = cProfile.Profile() if arguments.profile else None
    with tempfile.TemporaryDirectory(prefix="texto-benchmark-") as config_dir:
        hass = await start_home_assistant(Path(config_dir))
        try:
            entries = (
                await add_entry(hass, texto_entry("AllMySMS", _allmysms_data(allmysms))),
                await add_entry(hass, texto_entry("smsmode", _smsmode_data(smsmode))),
                await add_entry(hass, texto_entry("123-SMS", _sms123_data(sms123))),
            )
            entity_id = notify_entity_of(hass, entries[0])
            notify = [
                await notify_vs_raw(
                    hass,
                    allmysms,
                    entity_id,
                    arguments.requests,
                    arguments.batch,
                    profiler=profiler,
                )
            ]
            if arguments.gateway_latency_ms > 0:
                notify.append(
                    await notify_vs_raw(
                        hass,
                        allmysms,
                        entity_id,
                        arguments.latency_requests,
                        arguments.batch,
                        latency=arguments.gateway_latency_ms / 1000,
                    )
                )
            bulk = await bulk_sends(hass, sims, entries, arguments.recipients)
        finally:
            await hass.async_stop()
            for sim in sims:
                await sim.stop()
    if profiler is not None:
        profiler.dump_stats(arguments.profile)
    return Report(notify=notify, bulk=bulk)


def _allmysms_data(sim: AllMySmsSimulator) -> dict[str, Any]:
    return {
        CONF_PROVIDER: "allmysms",
        CONF_USERNAME: sim.login,
        CONF_API_KEY: sim.api_key,
        CONF_URL: sim.base_url,
    }


def _smsmode_data(sim: SmsmodeSimulator) -> dict[str, Any]:
    return {CONF_PROVIDER: "smsmode", CONF_ACCESS_TOKEN: sim.access_token, CONF_URL: sim.base_url}


def _sms123_data(sim: Sms123Simulator) -> dict[str, Any]:
    return {
        CONF_PROVIDER: "sms123",
        CONF_USERNAME: sim.user,
        CONF_API_KEY: sim.api_key,
        CONF_URL: sim.base_url,
    }


# --- output -------------------------------------------------------------------------------------


def table(report: Report) -> str:
    """The figures as plain text."""
    lines: list[str] = []
    for comparison in report.notify:
        lines += [*_comparison_lines(comparison), ""]
    lines += [
        "texto.send_sms to many recipients",
        f"  {'gateway':10}{'latency':>9}{'recipients':>11}{'accepted':>9}{'wall ms':>10}"
        f"{'send req':>9}{'all req':>8}{'max in flight':>14}",
    ]
    for bulk in report.bulk:
        latency = "-" if bulk.latency_ms is None else f"{bulk.latency_ms:g} ms"
        in_flight = "-" if bulk.max_in_flight is None else str(bulk.max_in_flight)
        lines.append(
            f"  {bulk.gateway:10}{latency:>9}{bulk.recipients:>11}{bulk.accepted:>9}"
            f"{bulk.wall_ms:>10.1f}{bulk.send_requests:>9}{bulk.all_requests:>8}{in_flight:>14}"
        )
    lines.append("  (all req: send requests plus the balance refresh each send asks for)")
    return "\n".join(lines)


def _comparison_lines(comparison: Comparison) -> list[str]:
    texto, raw = comparison.texto_notify, comparison.raw_post
    latency = comparison.gateway_latency_ms
    where = f"answering after {latency:g} ms" if latency else "loopback, no added latency"
    verdict = "ok" if comparison.median_ratio <= TARGET_RATIO else "ABOVE TARGET"
    return [
        f"notify.send_message vs raw aiohttp POST (AllMySMS simulator {where}, "
        f"{texto.calls} calls each)",
        f"  {'':27}{'median ms':>10}{'p95 ms':>10}{'mean ms':>10}",
        _timing_line("Texto notify.send_message", texto),
        _timing_line("raw aiohttp POST", raw),
        f"  {'ratio':27}{comparison.median_ratio:>9.2f}x{comparison.p95_ratio:>9.2f}x"
        f"   target <= {TARGET_RATIO}x on the median: {verdict}",
    ]


def _timing_line(name: str, timing: Timing) -> str:
    return f"  {name:27}{timing.median_ms:>10.3f}{timing.p95_ms:>10.3f}{timing.mean_ms:>10.3f}"


def as_json(report: Report) -> str:
    """The figures as JSON."""
    document: Mapping[str, Any] = {**asdict(report), "target_ratio": TARGET_RATIO}
    return json.dumps(document, indent=2)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="timed notify calls and POSTs")
    parser.add_argument("--recipients", type=int, default=500, help="numbers of the big sends")
    parser.add_argument("--batch", type=int, default=10, help="calls of one side in a row")
    parser.add_argument(
        "--gateway-latency-ms",
        type=float,
        default=20.0,
        help="compare again with the gateway answering this late (0: skip)",
    )
    parser.add_argument(
        "--latency-requests", type=int, default=100, help="timed calls of that comparison"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the notify calls to FILE")
    arguments = parser.parse_args()
    if min(arguments.requests, arguments.latency_requests) < 2:
        parser.error("--requests and --latency-requests must be at least 2")
    if arguments.recipients < 1 or arguments.batch < 1:
        parser.error("--recipients and --batch must be at least 1")
    return arguments


def main() -> None:
    """Measure and print."""
    arguments = _arguments()
    # warnings only: no log line is formatted while calls are timed
    logging.basicConfig(level=logging.WARNING)
    asyncio.set_event_loop_policy(HassEventLoopPolicy(False))
    report = asyncio.run(run(arguments))
    print(as_json(report) if arguments.json else table(report))


if __name__ == "__main__":
    main()
