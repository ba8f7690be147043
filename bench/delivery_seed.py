"""Seeding shared by the delivery benchmarks: an app with flights, groups, members and published submissions.

Written straight through the storage layer (SqlStore, `services.admin`, the domain constructors), as
tests/support.py `force_state` does, because the pipeline is not what these benchmarks measure. On PostgreSQL
the memberships are loaded with COPY (a million rows in seconds); on SQLite with executemany.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from storeflight.domain import dates, ids
from storeflight.domain import submissions as subs
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import (
    FileStatus,
    Flight,
    FlightGroup,
    Origin,
    Package,
    PackageRollout,
    RolloutStatus,
    Submission,
)
from storeflight.services import admin
from storeflight.storage import tables as t
from storeflight.storage.engine import make_engine
from storeflight.storage.migrate import migrate
from storeflight.storage.sql import SqlStore


@dataclass
class Seeded:
    tenant: str
    client_id: str
    secret: str
    app_id: str
    flight_ids: list[str]
    flight_submissions: dict[str, str]  # flight id -> its published submission
    rollout_flights: list[str]  # flights whose published submission is rolling out
    halted_flights: list[str]  # flights whose latest rollout is halted (their customers get the fallback)
    members: list[str]  # every customer that is in at least one group
    groups_of_flight: dict[str, list[str]]
    members_of_group: dict[str, list[str]]

    def as_http_bench(self) -> dict[str, str]:
        return {"tenant": self.tenant, "client_id": self.client_id, "secret": self.secret, "app_id": self.app_id}


def open_store(url: str) -> SqlStore:
    engine = make_engine(url)
    migrate(engine)
    return SqlStore(engine)


def package(version: str, arch: str = "x64") -> Package:
    digest = hashlib.sha256(f"{version}-{arch}".encode()).hexdigest()
    return Package(
        id=uuid.uuid4().hex,
        file_name=f"bench_{version}_{arch}.msix",
        file_status=FileStatus.UPLOADED,
        version=version,
        architecture=arch,
        size=10_000_000,
        sha256=digest,
        device_families=[("Windows.Desktop", "10.0.17763.0")],
    )


def _arches(version: str) -> list[Package]:
    return [package(version, arch) for arch in ("x64", "x86", "arm64")]


def published(  # type: ignore[no-untyped-def]
    tenant: str,
    app_id: str,
    flight_id: str | None,
    packages: list[Package],
    rollout: PackageRollout | None,
    when,
    extra: dict[str, object] | None = None,
) -> Submission:
    identity = subs.Identity(
        id=ids.new_decimal_id(),
        tenant_id=tenant,
        app_id=app_id,
        flight_id=flight_id,
        origin=Origin.API,
        upload_blob_id=str(uuid.uuid4()),
        upload_expires_at=when,
        now=when,
    )
    sub = subs.fresh(identity)
    delivery = sub.delivery.model_copy(update={"rollout": rollout or PackageRollout()})
    return sub.model_copy(
        update={
            "status": Status.PUBLISHED,
            "published_at": when,
            "packages": packages,
            "delivery": delivery,
            "extra": {**sub.extra, **(extra or {})},
        }
    )


def seed(  # noqa: PLR0915 - one linear seeding script
    url: str,
    *,
    flights: int,
    groups: int,
    members_per_group: int,
    customers: int,
    groups_per_flight: int,
    rollout_share: float,
    rng: random.Random,
    halted_share: float = 0.0,
    seek: bool = False,
    percentage: float | None = None,
) -> Seeded:
    """Every flight publishes a finalized submission, then a newer one: rolling out (`rollout_share` of the
    flights, at `percentage` or else 5-50%) or halted (`halted_share`), both falling back to the finalized
    one, or plain. `seek` turns "always provide the newest packages" on: a manual check gets the newest."""
    store = open_store(url)
    now = dates.utcnow()
    tenant = str(uuid.uuid4())
    with store.transaction(write=True) as tx:
        client, secret = admin.create_client(tx, tenant_id=tenant, name="bench", now=now)
        app = admin.create_app(
            tx,
            tenant_id=tenant,
            name="Bench App",
            identity_name="Bench.App",
            publisher="CN=Bench",
            now=now - timedelta(days=2),
        )
        # The app's baseline (published, no packages) is replaced by a newer non-flighted one with a package.
        extra = {"isSeekEnabled": True} if seek else None
        tx.add_submission(published(tenant, app.id, None, [package("1.0.0.0")], None, now - timedelta(days=1), extra))
    customer_ids = [f"customer{i:07d}@bench.example" for i in range(customers)]
    group_ids = [ids.new_decimal_id() for _ in range(groups)]
    members_of_group: dict[str, list[str]] = {}
    with store.transaction(write=True) as tx:
        for index, group_id in enumerate(group_ids):
            tx.add_group(FlightGroup(id=group_id, tenant_id=tenant, name=f"group-{index}", created_at=now), [])
            members_of_group[group_id] = rng.sample(customer_ids, members_per_group)
    rows = [(g, m) for g, ms in members_of_group.items() for m in ms]
    engine = store.engine if hasattr(store, "engine") else make_engine(url)
    if url.startswith("postgresql"):
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur, cur.copy("COPY group_members (group_id, member) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            raw.commit()
        finally:
            raw.close()
    else:
        with engine.begin() as conn:
            conn.execute(t.group_members.insert(), [{"group_id": g, "member": m} for g, m in rows])
    flight_ids: list[str] = []
    flight_submissions: dict[str, str] = {}
    rollout_flights: list[str] = []
    halted_flights: list[str] = []
    groups_of_flight: dict[str, list[str]] = {}
    with store.transaction(write=True) as tx:
        for index in range(flights):
            chosen = group_ids[index * groups_per_flight : (index + 1) * groups_per_flight]
            flight = Flight(
                id=ids.new_flight_id(),
                tenant_id=tenant,
                app_id=app.id,
                friendly_name=f"flight-{index}",
                group_ids=chosen,
                rank=index + 1,
                created_at=now,
            )
            tx.add_flight(flight)
            when = now - timedelta(minutes=2 * (flights - index))
            finalized = PackageRollout(is_package_rollout=True, percentage=100.0, status=RolloutStatus.COMPLETE)
            previous = published(tenant, app.id, flight.id, _arches(f"1.{index + 1}.0.0"), finalized, when)
            tx.add_submission(previous)
            draw = rng.random()
            rolling, halted = draw < rollout_share, rollout_share <= draw < rollout_share + halted_share
            rollout = (
                PackageRollout(
                    is_package_rollout=True,
                    percentage=percentage or rng.choice([5.0, 10.0, 25.0, 50.0]),
                    status=RolloutStatus.STOPPED if halted else RolloutStatus.IN_PROGRESS,
                    fallback_submission_id=previous.id,
                )
                if rolling or halted
                else None
            )
            latest = _arches(f"1.{index + 1}.1.0")
            sub = published(tenant, app.id, flight.id, latest, rollout, when + timedelta(minutes=1))
            tx.add_submission(sub)
            flight_ids.append(flight.id)
            flight_submissions[flight.id] = sub.id
            groups_of_flight[flight.id] = chosen
            if rolling:
                rollout_flights.append(flight.id)
            if halted:
                halted_flights.append(flight.id)
        tx.bump_delivery_version(tenant, app.id, members=True)
    everyone = sorted({m for ms in members_of_group.values() for m in ms})
    return Seeded(
        tenant,
        client.client_id,
        secret,
        app.id,
        flight_ids,
        flight_submissions,
        rollout_flights,
        halted_flights,
        everyone,
        groups_of_flight,
        members_of_group,
    )
