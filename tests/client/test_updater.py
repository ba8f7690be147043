"""The reference updater against a live server's device endpoints: check, resumed download, SHA-256, report."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from storeflight.audit.record import ADMIN
from storeflight.client.updater import (
    DOWNLOAD_FAILED,
    INSTALL_FAILED,
    VERIFY_FAILED,
    DeviceEndpoint,
    Offer,
    UpdateError,
    Updater,
)
from storeflight.devices import service
from storeflight.domain import dates
from storeflight.pipeline.worker import Worker
from tests.http.test_delivery import app, flight_rollout  # noqa: F401 - the app fixture
from tests.support import Tenant

CUSTOMER = "dev@example.com"


@pytest.fixture
def rolled_out(tenant: Tenant, app: str, worker: Worker) -> tuple[str, str]:  # noqa: F811
    """(app id, flight id): 1.2.3.0 published for everyone, 2.0.0.0 for the flight's member at 100%."""
    url = flight_rollout(tenant, app, worker, [CUSTOMER], 100.0)
    tenant.server.state.delivery.refresh()
    return app, url.split("/")[3]


def _key(tenant: Tenant, app_id: str) -> str:
    with tenant.server.store.transaction(write=True) as tx:
        _, secret = service.create_key(tx, tenant.tenant_id, app_id, name="updater", now=dates.utcnow(), by=ADMIN)
    return secret


def test_update_downloads_resumes_verifies_and_reports(
    tenant: Tenant, rolled_out: tuple[str, str], tmp_path: Path
) -> None:
    app_id, flight_id = rolled_out
    ranges: list[str | None] = []
    http = httpx.Client(event_hooks={"request": [lambda r: ranges.append(r.headers.get("range"))]})
    endpoint = DeviceEndpoint.with_key(tenant.server.url, app_id, _key(tenant, app_id), CUSTOMER)
    updater = Updater(endpoint, tmp_path, installed_version="1.2.3.0", http=http)
    offer = updater.check()
    assert offer is not None and offer.version == "2.0.0.0"
    with pytest.raises(UpdateError) as interrupted:
        updater.download(offer, stop_after=100)
    assert interrupted.value.code == DOWNLOAD_FAILED
    assert (tmp_path / f"{offer.package_id}-{offer.file_name}.partial").stat().st_size == 100
    ranges.clear()
    path = updater.download(offer)  # resumes where it stopped
    assert ranges == ["bytes=100-"]
    assert path.stat().st_size == offer.size
    outcome = updater.update()  # downloads again into place (the file is the caller's to install), reports
    assert (outcome.installed, outcome.error) == ("2.0.0.0", None)
    assert outcome.reports == [{"accepted": 1, "duplicates": 0, "refused": []}]
    assert updater.check() is None  # nothing newer now
    health = tenant.http.get(f"applications/{app_id}/flights/{flight_id}/rollouthealth").json()
    (cohort,) = health["cohorts"]
    assert (cohort["cohort"], cohort["installs"], cohort["devices"]) == ("rollout", 1, 1)


def test_a_wrong_download_or_a_failed_install_is_reported_as_a_failure(
    tenant: Tenant, rolled_out: tuple[str, str], tmp_path: Path
) -> None:
    app_id, flight_id = rolled_out
    endpoint = DeviceEndpoint.with_key(tenant.server.url, app_id, _key(tenant, app_id), CUSTOMER)
    updater = Updater(endpoint, tmp_path, installed_version="1.2.3.0")
    offer = updater.check()
    assert offer is not None
    forged: Offer = dataclasses.replace(offer, sha256="00" * 32)
    with pytest.raises(UpdateError) as wrong:
        updater.download(forged)
    assert wrong.value.code == VERIFY_FAILED
    assert list(tmp_path.iterdir()) == []  # nothing unverified is kept

    def broken(path: Path, offer: Offer) -> None:
        raise OSError("disk full")

    outcome = updater.update(install=broken)
    assert outcome.error is not None and outcome.error.code == INSTALL_FAILED
    assert outcome.installed == "1.2.3.0"
    health = tenant.http.get(f"applications/{app_id}/flights/{flight_id}/rollouthealth").json()
    (cohort,) = health["cohorts"]
    assert (cohort["updateFailures"], cohort["installs"], cohort["updateFailureRate"]) == (1, 0, 1.0)


def test_a_device_url_needs_no_key(tenant: Tenant, rolled_out: tuple[str, str], tmp_path: Path) -> None:
    app_id, _ = rolled_out
    with tenant.server.store.transaction(write=True) as tx:
        _, token = service.create_url(tx, tenant.tenant_id, app_id, CUSTOMER, dates.utcnow(), by=ADMIN)
    updater = Updater(DeviceEndpoint.with_url(f"{tenant.server.url}/devices/v1/d/{token}"), tmp_path)
    outcome = updater.update()
    assert outcome.installed == "2.0.0.0" and outcome.reports[0]["accepted"] == 1
    updater.event("launched")
    updater.event("crashed")
    assert updater.report() == {"accepted": 2, "duplicates": 0, "refused": []}
    assert updater.report() is None  # nothing queued
