"""The demo's devices: a few insiders update through the reference updater and report; then the rollout health."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from storeflight.audit.record import ADMIN
from storeflight.cli.output import Output
from storeflight.client import StoreClient
from storeflight.client.updater import DeviceEndpoint, Updater
from storeflight.devices import service
from storeflight.domain import dates
from storeflight.storage.protocol import Store

DEVICES = 40  # insiders that run the updater


class DemoScene(Protocol):
    tenant_id: str
    app_id: str
    flight_id: str | None
    insiders: frozenset[str]


def update_devices(
    scene: DemoScene, store: Store, url: str, client: StoreClient, folder: Path, out: Output
) -> dict[str, Any]:
    """Let DEVICES insiders update with a delivery key and report a launch each (every fifth a crash too)."""
    with store.transaction(write=True) as tx:
        _, key = service.create_key(
            tx, scene.tenant_id, scene.app_id, name="demo devices", now=dates.utcnow(), by=ADMIN
        )
    installed = 0
    for n, customer in enumerate(sorted(scene.insiders)[:DEVICES]):
        endpoint = DeviceEndpoint.with_key(url, scene.app_id, key, customer)
        updater = Updater(endpoint, folder / f"device-{n}", installed_version="1.0.0.0")
        try:
            outcome = updater.update()
            installed += outcome.offer is not None and outcome.error is None
            updater.event("launched")
            if n % 5 == 0:
                updater.event("crashed")
            updater.report()
        finally:
            updater.http.close()
    health = client.rollout_health(scene.app_id, scene.flight_id, hours=1)
    out.say(
        f"    {DEVICES} insider devices ran the reference updater (check, download, SHA-256, report): "
        f"{installed} installed the rollout's version"
    )
    for cohort in health.cohorts:
        rate = "" if cohort.crash_rate is None else f", crash rate {cohort.crash_rate:.0%}"
        out.say(
            f"    rollout health, {cohort.cohort}: {cohort.devices} devices, {cohort.installs} installs, "
            f"{cohort.launches} launches, {cohort.crashes} crashes{rate}"
        )
    return {"devices": DEVICES, "installed": installed, "cohorts": [c.raw for c in health.cohorts]}
