"""Helpers: a second and third client in one tenant, with roles, and a flight submission mid-rollout."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storeflight.approvals import service
from storeflight.domain import dates
from storeflight.domain.lifecycle import Status
from storeflight.domain.models import PackageRollout, RolloutStatus
from storeflight.services import admin
from tests.support import Tenant, force_state

MakeClient = Callable[..., Tenant]


@pytest.fixture
def colleague(tenant: Tenant) -> MakeClient:
    """Another API client of the same tenant, holding `roles`."""

    def make(*roles: str) -> Tenant:
        with tenant.server.store.transaction(write=True) as tx:
            client, secret = admin.create_client(tx, tenant_id=tenant.tenant_id, name="colleague", now=dates.utcnow())
            service.set_roles(tx, client.client_id, list(roles))
        return Tenant(tenant.server, tenant.tenant_id, client.client_id, secret)

    return make


def rolling_submission(tenant: Tenant, app_id: str, percentage: float = 25.0) -> tuple[str, str]:
    """(flight id, path of a published flight submission whose rollout is in progress at `percentage`)."""
    flight = tenant.create_flight(app_id)
    sid = flight["pendingFlightSubmission"]["id"]
    state = PackageRollout(is_package_rollout=True, percentage=percentage, status=RolloutStatus.IN_PROGRESS)
    with tenant.server.store.transaction(write=False) as tx:
        current = tx.get_submission(tenant.tenant_id, sid)
    assert current is not None
    delivery = current.delivery.model_copy(update={"rollout": state})
    force_state(tenant.server, tenant, sid, status=Status.PUBLISHED, delivery=delivery)
    return flight["flightId"], f"applications/{app_id}/flights/{flight['flightId']}/submissions/{sid}"
