"""What every use case needs besides the transaction: who is asking, and the clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
