"""`storeflight demo`: the whole system in about a minute, on a temporary server that is gone afterwards.

It starts a server (in this process, on 127.0.0.1, SQLite and blobs in a temporary folder), creates an API
client and an app, publishes a non-flighted submission and a flight, and walks the flight's rollout
through 10% -> 50% -> halt -> a fixed submission -> finalize, all through `storeflight.client`. After
every step it counts which version each of the simulated customers gets. Asking the delivery API 10,000
times per step would take most of the minute, so the counts come from the same decision core the API uses
(`storeflight.delivery`) over the server's database, and a sample of customers is asked over HTTP too to
show the two agree. At 50%, a few insider devices update through the reference updater (a delivery key,
the device endpoints) and report, and the rollout's health numbers are shown.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from storeflight.cli import steps
from storeflight.cli.demo_devices import update_devices
from storeflight.cli.output import CliError, ExitCode, Output, guard
from storeflight.cli.profiles import Profile
from storeflight.cli.publish import Timings, clear_pending, release
from storeflight.cli.session import Session
from storeflight.client import StoreClient
from storeflight.config import Settings
from storeflight.delivery.decide import decide
from storeflight.delivery.model import Device
from storeflight.delivery.snapshot import build_members, build_view
from storeflight.domain import dates
from storeflight.http.app import build_state, create_app
from storeflight.msixbuild import PackageSpec, write_msix
from storeflight.pipeline.runner import BackgroundWorker
from storeflight.pipeline.worker import Worker, WorkerSettings
from storeflight.services import admin
from storeflight.storage.engine import make_engine, sqlite_url
from storeflight.storage.migrate import migrate
from storeflight.storage.sql import SqlStore

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
CORPUS_PACKAGE = "TestAppxPackage_x64.appx"  # 1.0.0.0, x64, Windows.Universal
DEVICE = ("Windows.Desktop", "10.0.22621.0", "x64")
SAMPLE = 25  # customers asked over HTTP at each step


@dataclass
class DemoServer:
    """A real server (uvicorn in a thread, embedded pipeline worker) on a temporary SQLite database."""

    folder: Path
    url: str = ""
    store: SqlStore = field(init=False)

    @contextmanager
    def running(self) -> Iterator[DemoServer]:
        self.store = SqlStore(make_engine(sqlite_url(self.folder)))
        migrate(self.store.engine)
        state = build_state(self.store, Settings(data_dir=self.folder))
        pipeline = BackgroundWorker(Worker(self.store, state.blobs, WorkerSettings(idle_poll=0.1))).start()
        state = dataclasses.replace(state, wake_pipeline=pipeline.wake)
        config = uvicorn.Config(create_app(state), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            self.url = _started(server, thread)
            yield self
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            pipeline.stop()
            self.store.close()


def _started(server: uvicorn.Server, thread: threading.Thread) -> str:
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise CliError(ExitCode.ERROR, "the demo server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}"


# ---- the scene ----------------------------------------------------------------------------------------------


@dataclass
class Scene:
    """Everything the steps share: the server, a client session, the app and the simulated customers."""

    server: DemoServer
    s: Session
    tenant_id: str
    app_id: str
    customers: list[str]
    insiders: frozenset[str]
    versions: list[Path]  # v1 (everyone), v2 (the flight), v3 (the fix after the halt)
    source: str  # "corpus" or "built"
    flight_id: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)


def _packages(folder: Path, corpus: Path | None) -> tuple[str, str, list[Path], str]:
    """(identity, publisher, [v1, v2, v3], source): v1 from the corpus when it is there."""
    found = corpus / "valid" / CORPUS_PACKAGE if corpus else None
    expected = corpus / "EXPECTED.json" if corpus else None
    if found is not None and expected is not None and expected.is_file() and found.is_file():
        facts = json.loads(expected.read_text(encoding="utf-8"))["valid"][CORPUS_PACKAGE]
        identity, publisher, source = facts["identityName"], facts["publisher"], "corpus"
        first = found
    else:
        identity, publisher, source = "Contoso.StoreflightDemo", "CN=Contoso Demo", "built"
        first = write_msix(folder / "Demo_1.0.0.0_x64.msix", PackageSpec(identity, publisher, "1.0.0.0"))
    later = [
        write_msix(folder / f"Demo_{version}_x64.msix", PackageSpec(identity, publisher, version))
        for version in ("1.1.0.0", "1.2.0.0")
    ]
    return identity, publisher, [first, *later], source


def _scene(server: DemoServer, folder: Path, corpus: Path | None, customers: int, out: Output) -> Scene:
    identity, publisher, versions, source = _packages(folder, corpus)
    with server.store.transaction(write=True) as tx:
        api_client, secret = admin.create_client(tx, tenant_id=None, name="demo", now=dates.utcnow())
        application = admin.create_app(
            tx,
            tenant_id=api_client.tenant_id,
            name="Contoso Demo",
            identity_name=identity,
            publisher=publisher,
            now=dates.utcnow(),
        )
    profile = Profile(
        name="demo",
        base_url=server.url,
        tenant_id=api_client.tenant_id,
        client_id=api_client.client_id,
        secret=secret,
        authority=server.url,
        max_retries=2,
        timeout=30.0,
    )
    client = StoreClient(profile.config())
    people = [f"customer-{n:05d}@contoso.example" for n in range(customers)]
    insiders = frozenset(people[: customers // 5])
    return Scene(
        server, Session(out, client, profile), api_client.tenant_id, application.id, people, insiders, versions, source
    )


def _publish(scene: Scene, changes: steps.Changes) -> str:
    flight = scene.s.client.get_flight(scene.app_id, scene.flight_id) if scene.flight_id else None
    clear_pending(scene.s, scene.app_id, flight, force=True)
    sub = release(scene.s, scene.app_id, flight, changes, Timings())
    steps.wait(scene.s, scene.app_id, sub.id, scene.flight_id, timeout=120, poll=0.1)
    return sub.id


# ---- counting who gets what ---------------------------------------------------------------------------------


def decisions(scene: Scene) -> dict[str, str]:
    """Customer -> the version the decision core gives their device (or "nothing")."""
    with scene.server.store.transaction(write=False) as tx:
        application = tx.get_app(scene.tenant_id, scene.app_id)
        assert application is not None
        view = build_view(tx, application)
        members = build_members(tx, view)
    found = {}
    for customer in scene.customers:
        decision = decide(view, Device(customer, *DEVICE), members.get(customer, frozenset()))
        found[customer] = decision.packages[0].version if decision.packages else "nothing"
    return found


def census(scene: Scene, versions: dict[str, str]) -> dict[str, dict[str, int]]:
    """Version -> number of customers, for the flight's insiders and for everyone else."""
    counts: dict[str, Counter[str]] = {"insiders": Counter(), "others": Counter()}
    for customer, version in versions.items():
        counts["insiders" if customer in scene.insiders else "others"][version] += 1
    return {group: dict(sorted(c.items())) for group, c in counts.items()}


def sample_over_http(scene: Scene, versions: dict[str, str]) -> dict[str, int]:
    """Ask the delivery API over HTTP for a spread of customers; count those that match the core's answer."""
    time.sleep(0.5)  # a quiet server checks for changes before answering once 0.4 s have passed
    chosen = scene.customers[:: max(1, len(scene.customers) // SAMPLE)][:SAMPLE]
    agree = 0
    for customer in chosen:
        answer = scene.s.client.check_delivery(
            scene.app_id, customer, device_family=DEVICE[0], os_version=DEVICE[1], architecture=DEVICE[2]
        )
        agree += (answer.packages[0].version if answer.packages else "nothing") == versions[customer]
    return {"asked": len(chosen), "agree": agree}


def record(scene: Scene, title: str) -> None:
    """Count, sample over HTTP, keep the step and print it."""
    versions = decisions(scene)
    counts = census(scene, versions)
    sample = sample_over_http(scene, versions)
    step = {"step": len(scene.steps) + 1, "title": title, **counts, "httpSample": sample}
    scene.steps.append(step)
    out = scene.s.out
    out.say(f"\n[bold cyan][{step['step']}][/] [bold]{title}[/]")
    for group, label in (("insiders", f"Insiders ({len(scene.insiders):,})"), ("others", "everyone else")):
        total = sum(counts[group].values()) or 1
        spread = "   ".join(f"{v}: {n:,} ({n / total:.0%})" for v, n in counts[group].items())
        out.say(f"    {label:<18} {spread}")
    out.say(f"    delivery API over HTTP: {sample['agree']} of {sample['asked']} sampled customers get the same answer")


# ---- the story ----------------------------------------------------------------------------------------------


def story(scene: Scene) -> None:
    """The steps, each followed by who gets what."""
    v1, v2, v3 = scene.versions
    client, app_id = scene.s.client, scene.app_id
    _publish(scene, steps.Changes(add=[v1], replace=[]))
    record(scene, f"published {v1.name} to everyone (the app's non-flighted submission)")
    group = client.create_group("Insiders", sorted(scene.insiders))
    flight = client.create_flight(app_id, "Insiders ring", [group.id])
    scene.flight_id = flight.flight_id
    sub_id = _publish(scene, steps.Changes(add=[], replace=[v2], rollout=10.0))
    record(scene, f"flight 'Insiders ring' ({len(scene.insiders):,} members) published {v2.name} at 10% rollout")
    client.set_rollout_percentage(app_id, sub_id, 50.0, scene.flight_id)
    record(scene, "rollout raised to 50%")
    server, out = scene.server, scene.s.out
    reports = update_devices(scene, server.store, server.url, client, server.folder / "devices", out)
    scene.steps[-1]["deviceReports"] = reports
    client.halt_rollout(app_id, sub_id, scene.flight_id)
    record(scene, f"rollout halted (a bug!): insiders are offered the fallback again ({v1.name})")
    sub_id = _publish(scene, steps.Changes(add=[], replace=[v3], rollout=50.0))
    record(scene, f"a fixed submission, {v3.name}, at 50%: customers are offered it in the same order")
    client.finalize_rollout(app_id, sub_id, scene.flight_id)
    record(scene, "rollout finalized: every insider gets the fix")


def demo(
    customers: Annotated[int, typer.Option(min=10, max=1_000_000, help="How many customers to simulate.")] = 10_000,
    corpus: Annotated[
        Path | None, typer.Option(help="The package corpus (default: ../shared/corpus when it exists).")
    ] = None,
    built: Annotated[bool, typer.Option("--built", help="Build every package here, even with a corpus.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the steps as JSON at the end.")] = False,
) -> None:
    """Start a temporary server and show a flight's rollout step by step (about a minute; leaves nothing behind)."""
    if corpus is not None and not (corpus / "valid" / CORPUS_PACKAGE).is_file():
        raise typer.BadParameter(
            f"{corpus} is not the package corpus (no valid/{CORPUS_PACKAGE} in it); leave --corpus out to build "
            "the demo's packages here",
            param_hint="--corpus",
        )
    out = Output(json_output)
    started = time.perf_counter()
    with guard(out), tempfile.TemporaryDirectory(prefix="storeflight-demo-") as temporary:
        folder = Path(temporary)
        with DemoServer(folder).running() as server:
            out.where = server.url
            out.say(f"storeflight demo: a temporary server at {server.url}, data in {folder}")
            scene = _scene(server, folder, None if built else corpus or CORPUS, customers, out)
            out.say(
                f"app {scene.app_id}, packages {'from the corpus' if scene.source == 'corpus' else 'built here'}; "
                f"{customers:,} simulated customers, counted with the in-process decision core "
                f"(the API's own rules, without {customers:,} HTTP calls per step); {min(SAMPLE, customers)} of "
                "them are also asked over HTTP"
            )
            try:
                story(scene)
            finally:
                scene.s.client.close()
    elapsed = round(time.perf_counter() - started, 1)
    summary = {
        "customers": customers,
        "packages": scene.source,
        "steps": scene.steps,
        "seconds": elapsed,
        "cleanedUp": not folder.exists(),
    }
    out.result(summary, lambda: out.say(f"\ndone in {elapsed}s; stopped the server and removed {folder}"))
