"""Request-scoped dependencies: the authenticated API handle and the JSON body."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from storeflight.auth import tokens
from storeflight.auth.throttle import TokenThrottle
from storeflight.blobs.protocol import BlobStore
from storeflight.config import Settings
from storeflight.delivery.cache import SnapshotCache
from storeflight.devices.gate import DeviceGate
from storeflight.domain.errors import InvalidParameterValue, StoreflightError, Unauthorized
from storeflight.http import json_input
from storeflight.http.middleware import correlation_id, note_tenant
from storeflight.http.upload_slots import UploadSlots
from storeflight.ops.ready import Readiness
from storeflight.roughedges.gate import RoughEdges
from storeflight.services.context import Caller, Context
from storeflight.signing.live import LiveKeys
from storeflight.storage.protocol import Store, Tx

T = TypeVar("T")


class ActiveClients:
    """Which clients may use their tokens, remembered for `ttl` seconds.

    Revocation (by `storeflight admin revoke-client`, from any process) therefore takes effect within `ttl`
    seconds without costing every request a query.
    """

    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = ttl
        self._seen: dict[str, tuple[float, str | None]] = {}

    def known(self, caller: Caller) -> bool:
        """True when the client was seen active, for this tenant, within `ttl`: no database check needed."""
        cached = self._seen.get(caller.client_id)
        return cached is not None and time.monotonic() - cached[0] <= self.ttl and cached[1] == caller.tenant_id

    def check(self, tx: Tx, caller: Caller) -> None:
        now = time.monotonic()
        cached = self._seen.get(caller.client_id)
        if cached is None or now - cached[0] > self.ttl:
            client = tx.get_client(caller.client_id)
            tenant = client.tenant_id if client is not None and client.revoked_at is None else None
            cached = (now, tenant)
            self._seen[caller.client_id] = cached
        if cached[1] != caller.tenant_id:
            raise Unauthorized("The client behind this access token has been revoked.")


@dataclass(frozen=True)
class ServerState:
    """Everything a request handler may need, built once at start-up."""

    store: Store
    settings: Settings
    keys: LiveKeys  # token and URL signing keys, current and previous, re-read every few seconds
    blobs: BlobStore
    clients: ActiveClients = field(default_factory=ActiveClients)
    # Called after a commit or a manual publish, so an embedded pipeline worker starts at once.
    wake_pipeline: Callable[[], None] = field(default=lambda: None)
    tokens: tokens.VerifiedTokens = field(init=False)
    delivery: SnapshotCache = field(init=False)
    rough: RoughEdges | None = field(init=False)  # from settings.rough: throttling, 503s, stage timing
    token_throttle: TokenThrottle = field(init=False)
    upload_slots: UploadSlots = field(init=False)
    devices: DeviceGate = field(init=False)  # device credentials, remembered briefly, and their rate limits
    readiness: Readiness = field(init=False)  # what GET /readyz answers

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", tokens.VerifiedTokens(self.keys.token))
        limits = (self.settings.token_attempts_per_client, self.settings.token_attempts_per_address)
        object.__setattr__(self, "token_throttle", TokenThrottle(*limits))
        object.__setattr__(self, "delivery", SnapshotCache(self.store))
        profile = self.settings.rough
        object.__setattr__(self, "rough", RoughEdges(profile) if profile is not None else None)
        object.__setattr__(self, "upload_slots", UploadSlots(self.store, self.settings.max_tenant_uploads))
        object.__setattr__(self, "devices", DeviceGate(self.store))
        warm = self.settings.warm_delivery
        object.__setattr__(self, "readiness", Readiness(self.store, self.blobs, self.delivery, warm_delivery=warm))

    @property
    def jwt_key(self) -> str:
        """The key new access tokens are signed with."""
        return self.keys.token().current

    @property
    def sas_key(self) -> str:
        """The key new upload and download URLs are signed with."""
        return self.keys.sas().current

    def bearer_tenant(self, authorization: str) -> str | None:
        """The tenant a valid `Authorization: Bearer` header speaks for, None for any other header."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        if self.settings.allow_any_token:
            return self.settings.allow_any_token.lower()
        try:
            return self.tokens.verify(token.strip()).tenant_id
        except Unauthorized:
            return None


@dataclass(frozen=True)
class Api:
    """An authenticated request: opens transactions for its caller and renders URLs for it."""

    state: ServerState
    caller: Caller
    public_url: str
    check_client: bool
    correlation_id: str | None = None  # the response's MS-CorrelationId, recorded in the audit history

    @property
    def ctx(self) -> Context:
        settings = self.state.settings
        return Context(
            caller=self.caller,
            upload_lifetime=settings.upload_lifetime,
            quotas=settings.quotas,
            correlation_id=self.correlation_id,
        )

    async def read(self, query: Callable[[Tx], T]) -> T:
        """Run a read-only `query` in a transaction, on the event loop.

        Reads never wait on locks (SQLite WAL, PostgreSQL MVCC) and are short, so the hop to a worker thread
        would cost more than it saves: measured on both backends (docs/benchmarks.md). Writes, which can wait
        for a lock, run in the thread pool.
        """
        with self.tx() as tx:
            return query(tx)

    @contextmanager
    def tx(self, *, write: bool = False) -> Iterator[Tx]:
        """A transaction for the caller; an error that `keeps_writes` (ApprovalRequired) commits it first."""
        kept: StoreflightError | None = None
        with self.state.store.transaction(write=write) as tx:
            if self.check_client:
                self.state.clients.check(tx, self.caller)
            try:
                yield tx
            except StoreflightError as error:
                if not getattr(error, "keeps_writes", False):
                    raise
                kept = error
        if kept is not None:
            raise kept


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.storeflight
    return state


_BASE_URLS: dict[tuple[Any, ...], str] = {}  # (scheme, server, root path, Host header) -> base URL
_BASE_URLS_LIMIT = 256  # Host headers come from clients: bounded


def public_url(request: Request, state: ServerState) -> str:
    """The configured public URL, or the one the request was sent to (Starlette's base URL, remembered per
    scheme, server and Host header, as working it out costs more than most handlers).

    In interception mode a request for an intercepted host gets `https://<that host>`: its clients know
    the server by that name only."""
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    if state.settings.intercept_hosts and host is not None:
        name = host.decode("latin-1").lower().removesuffix(":443")
        if name in state.settings.intercept_hosts:
            return f"https://{name}"
    if state.settings.public_url:
        return state.settings.public_url
    key = (scope.get("scheme"), scope.get("server"), scope.get("root_path"), host)
    found = _BASE_URLS.get(key)
    if found is None:
        if len(_BASE_URLS) >= _BASE_URLS_LIMIT:
            _BASE_URLS.clear()
        found = _BASE_URLS[key] = str(request.base_url).rstrip("/")
    return found


async def authenticate(request: Request) -> Api:
    """A valid bearer token (or any bearer, in the explicit proxy mode) or 401."""
    state = server_state(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Access token is missing or invalid: send 'Authorization: Bearer <token>'.")
    proxy_tenant = state.settings.allow_any_token
    correlation = correlation_id(request.scope)
    if proxy_tenant:
        caller = Caller(proxy_tenant.lower(), "proxy")
        note_tenant(request.scope, caller.tenant_id)
        return Api(state, caller, public_url(request, state), check_client=False, correlation_id=correlation)
    claims = state.tokens.verify(token.strip())
    caller = Caller(claims.tenant_id, claims.client_id)
    note_tenant(request.scope, caller.tenant_id)
    return Api(state, caller, public_url(request, state), check_client=True, correlation_id=correlation)


async def json_body(request: Request) -> Any:
    """The parsed JSON body, None for an empty one; 400 for malformed JSON. Its size (413) and the time it
    may take to arrive (408) are bounded by `body_limit.BodyLimitMiddleware`, while it is read."""
    chunks = [chunk async for chunk in request.stream()]
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidParameterValue(f"The request body is not valid UTF-8: {error}.", target="body") from None
    return json_input.parse(decoded)


ApiDep = Annotated[Api, Depends(authenticate)]
BodyDep = Annotated[Any, Depends(json_body)]
