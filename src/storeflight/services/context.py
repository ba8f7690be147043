"""What every use case needs besides the transaction: who is asking, the request, and the clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from storeflight.audit.model import Actor, ActorKind
from storeflight.audit.record import Author
from storeflight.audit.record import record as audit_record
from storeflight.domain import dates, ids
from storeflight.domain.errors import InvalidState, NotFound
from storeflight.domain.models import Application, Origin
from storeflight.domain.quotas import Quotas
from storeflight.domain.submissions import Identity
from storeflight.storage.protocol import Tx

UNSUPPORTED_FEATURES = (
    "This application uses features that are not supported by the submission API. "
    "To perform this operation, use the Dev Center dashboard."
)


@dataclass(frozen=True)
class Caller:
    """The authenticated principal: a tenant, and the client acting for it."""

    tenant_id: str
    client_id: str


@dataclass(frozen=True)
class Context:
    caller: Caller
    upload_lifetime: timedelta = timedelta(hours=24)
    now: datetime = field(default_factory=dates.utcnow)
    quotas: Quotas = field(default_factory=Quotas)
    actor: Actor | None = None  # who the audit history names; None: the caller's API client
    correlation_id: str | None = None  # the request's MS-CorrelationId, for the audit history

    @property
    def who(self) -> Actor:
        return self.actor or Actor(ActorKind.CLIENT, self.caller.client_id)

    @property
    def author(self) -> Author:
        return Author(self.who, self.correlation_id)

    def record(
        self,
        tx: Tx,
        action: str,
        resource_type: str,
        resource_id: str,
        before: Any,
        after: Any,
        *,
        reason: str | None = None,
    ) -> None:
        """Append the change to the caller's tenant's audit history, in `tx` (call it last in the transaction)."""
        audit_record(
            tx,
            tenant_id=self.caller.tenant_id,
            actor=self.who,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            before=before,
            after=after,
            correlation_id=self.correlation_id,
            reason=reason,
            at=self.now,
        )

    def new_identity(self, app_id: str, flight_id: str | None, origin: Origin = Origin.API) -> Identity:
        """Ids, upload blob and expiry for a new submission."""
        return Identity(
            id=ids.new_decimal_id(),
            tenant_id=self.caller.tenant_id,
            app_id=app_id,
            flight_id=flight_id,
            origin=origin,
            upload_blob_id=str(uuid.uuid4()),
            upload_expires_at=self.now + self.upload_lifetime,
            now=self.now,
        )


def load_app(tx: Tx, ctx: Context, app_id: str, *, lock: bool = False) -> Application:
    """The caller's app, or NotFound; InvalidState for apps with features the API does not support."""
    app = tx.get_app(ctx.caller.tenant_id, app_id.upper(), lock=lock)
    if app is None:
        raise NotFound(f"The application '{app_id}' was not found.", target="application")
    if app.unsupported_features:
        raise InvalidState(UNSUPPORTED_FEATURES, target="application")
    return app
