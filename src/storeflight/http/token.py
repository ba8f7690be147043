"""The token service: Azure AD v1 and v2 client-credentials endpoints, the v1 and v2 discovery documents and
instance discovery."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request

from storeflight.auth import tokens
from storeflight.auth.secrets import verify_secret
from storeflight.domain import dates
from storeflight.http.deps import ServerState, public_url, server_state
from storeflight.http.errors import BodyTimeout, PayloadTooLarge
from storeflight.http.responses import StoreJSONResponse
from storeflight.ops import metrics

router = APIRouter(tags=["token"])


def _form_body(audience: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` declaring a client-credentials form (read by hand, as AAD's endpoints take it)."""
    schema = {
        "type": "object",
        "required": ["grant_type", "client_id", "client_secret", *audience],
        "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials"]},
            "client_id": {"type": "string", "minLength": 1, "pattern": "^[^\\x00]*$"},
            "client_secret": {"type": "string", "minLength": 1, "pattern": "^[^\\x00]*$"},
            **audience,
        },
    }
    return {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}}


_V1_FORM = _form_body(
    {
        "resource": {
            "type": "string",
            "enum": [tokens.RESOURCE, f"{tokens.RESOURCE}/"],
            "description": "The Store's resource, or this server's own public URL (either with or without a "
            "trailing slash).",
        }
    }
)
_V2_FORM = _form_body({"scope": {"type": "string", "enum": [tokens.SCOPE]}})


class TokenError(Exception):
    """An OAuth error, answered in the AAD shape `{error, error_description}`."""

    def __init__(self, status: int, error: str, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.retry_after = retry_after

    def response(self) -> StoreJSONResponse:
        codes = aadsts_codes(self.description)
        body = {"error": self.error, "error_description": self.description, "error_codes": codes}
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        return StoreJSONResponse(body, status_code=self.status, headers=headers)


def aadsts_codes(description: str) -> list[int]:
    """The numeric AADSTS codes a description names (Entra ID lists them in `error_codes`)."""
    return [int(code) for code in re.findall(r"\bAADSTS(\d+)", description)]


async def _form(request: Request) -> dict[str, str]:
    """The form, read within the token endpoints' body bounds (http/body_limit.py), as AAD errors."""
    try:
        raw = (await request.body()).decode("utf-8", errors="replace")
    except PayloadTooLarge:
        raise TokenError(413, "invalid_request", "The request body is too large.") from None
    except BodyTimeout:
        raise TokenError(408, "invalid_request", "The request body did not arrive in time.") from None
    # parse_qs copes with unencoded values such as `resource=https://manage.devcenter.microsoft.com`
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def _throttled(retry_after: int | None, what: str) -> None:
    if retry_after is not None:
        raise TokenError(
            429,
            "temporarily_unavailable",
            f"Too many token requests {what}; retry after {retry_after} seconds.",
            retry_after=retry_after,
        )


async def _attempt(request: Request, state: ServerState) -> dict[str, str]:
    """One counted attempt: the source address's limit, then the form, then the client id's limit."""
    client = request.client.host if request.client else ""
    _throttled(state.token_throttle.address(client), "from this address")
    form = await _form(request)
    if form.get("client_id"):
        _throttled(state.token_throttle.client(form["client_id"]), "for this client")
    return form


def _check_client(state: ServerState, tenant: str, form: dict[str, str]) -> tuple[str, str]:
    if form.get("grant_type") != "client_credentials":
        raise TokenError(400, "unsupported_grant_type", "AADSTS70003: Only client_credentials is supported.")
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id or not secret or "\x00" in client_id + secret:
        raise TokenError(400, "invalid_request", "AADSTS900144: client_id and client_secret are required.")
    with state.store.transaction(write=False) as tx:
        client = tx.get_client(client_id)
    if client is None or client.revoked_at is not None:
        raise TokenError(400, "unauthorized_client", f"AADSTS700016: Application '{client_id}' was not found.")
    if client.tenant_id != tenant.lower():
        raise TokenError(
            400, "unauthorized_client", f"AADSTS700016: Application '{client_id}' was not found in tenant '{tenant}'."
        )
    if not verify_secret(secret, client.secret_hash):
        raise TokenError(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
    return client.tenant_id, client.client_id


def _refused(error: TokenError) -> StoreJSONResponse:
    if (counted := metrics.ACTIVE) is not None:
        counted.token(error.error)  # the OAuth error code: a small fixed set
    return error.response()


def _issue(request: Request, state: ServerState, tenant: str, client_id: str) -> tokens.Issued:
    if (counted := metrics.ACTIVE) is not None:
        counted.token("issued")
    return tokens.issue(
        state.jwt_key,
        tenant_id=tenant,
        client_id=client_id,
        issuer=f"{public_url(request, state)}/{tenant}/",
        now=dates.utcnow(),
        lifetime=state.settings.token_lifetime,
    )


@router.post("/{tenant}/oauth2/token", summary="Azure AD v1 client-credentials token", openapi_extra=_V1_FORM)
async def token_v1(tenant: str, request: Request) -> StoreJSONResponse:
    state = server_state(request)
    try:
        form = await _attempt(request, state)
        if not tokens.is_store_resource(form.get("resource", ""), public_url(request, state)):
            raise TokenError(
                400,
                "invalid_resource",
                f"AADSTS500011: The resource must be '{tokens.RESOURCE}' or this server's URL.",
            )
        tenant_id, client_id = _check_client(state, tenant, form)
    except TokenError as error:
        return _refused(error)
    issued = _issue(request, state, tenant_id, client_id)
    lifetime = str(int((issued.expires_at - issued.issued_at).total_seconds()))
    return StoreJSONResponse(
        {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "expires_on": str(int(issued.expires_at.timestamp())),
            "not_before": str(int(issued.issued_at.timestamp())),
            "resource": tokens.RESOURCE,
            "access_token": issued.token,
        }
    )


@router.post(
    "/{tenant}/oauth2/v2.0/token", summary="Azure AD v2 client-credentials token (MSAL)", openapi_extra=_V2_FORM
)
async def token_v2(tenant: str, request: Request) -> StoreJSONResponse:
    state = server_state(request)
    try:
        form = await _attempt(request, state)
        if tokens.SCOPE not in form.get("scope", "").split():
            raise TokenError(400, "invalid_scope", f"AADSTS70011: The scope must be '{tokens.SCOPE}'.")
        tenant_id, client_id = _check_client(state, tenant, form)
    except TokenError as error:
        return _refused(error)
    issued = _issue(request, state, tenant_id, client_id)
    lifetime = int((issued.expires_at - issued.issued_at).total_seconds())
    return StoreJSONResponse(
        {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": issued.token,
        }
    )


def _openid(request: Request, tenant: str, issuer: str, endpoints: str) -> StoreJSONResponse:
    """The OpenID discovery document; `endpoints` is "/oauth2" (v1) or "/oauth2/v2.0"."""
    base = f"{public_url(request, server_state(request))}/{tenant}"
    return StoreJSONResponse(
        {
            "issuer": f"{base}{issuer}",
            "authorization_endpoint": f"{base}{endpoints}/authorize",
            "token_endpoint": f"{base}{endpoints}/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "tenant_region_scope": "storeflight",
        }
    )


@router.get("/{tenant}/v2.0/.well-known/openid-configuration", summary="OpenID discovery for MSAL")
def openid_configuration(tenant: str, request: Request) -> StoreJSONResponse:
    return _openid(request, tenant, "/v2.0", "/oauth2/v2.0")


@router.get("/{tenant}/.well-known/openid-configuration", summary="OpenID discovery, v1 endpoints")
def openid_configuration_v1(tenant: str, request: Request) -> StoreJSONResponse:
    return _openid(request, tenant, "/", "/oauth2")


_AUTHORIZE = re.compile(r"^/([^/]{1,256})/oauth2(/v2\.0)?/authorize/?$")


_DISCOVERY_QUERY = {
    "name": "authorization_endpoint",
    "in": "query",
    "required": True,
    "schema": {"type": "string", "pattern": "^https://[A-Za-z0-9.-]+/[A-Za-z0-9-]+/oauth2(/v2\\.0)?/authorize$"},
}


@router.get(
    "/common/discovery/instance",
    summary="Instance discovery (MSAL asks it before the first token)",
    openapi_extra={"parameters": [_DISCOVERY_QUERY]},
)
def instance_discovery(request: Request) -> StoreJSONResponse:
    """Where the authority's OpenID configuration is, and this host as the only alias: on our own host, since
    whoever asks reached this server under the name it uses for the authority."""
    endpoint = request.query_params.get("authorization_endpoint", "")
    parsed = urlsplit(endpoint)
    match = _AUTHORIZE.match(parsed.path) if parsed.scheme == "https" and parsed.hostname else None
    if match is None:
        return TokenError(
            400,
            "invalid_instance",
            "AADSTS50049: 'authorization_endpoint' must be https://<host>/<tenant>/oauth2[/v2.0]/authorize.",
        ).response()
    base = public_url(request, server_state(request))
    tenant, version = match.group(1), match.group(2) or ""
    host = urlsplit(base).hostname or parsed.hostname
    return StoreJSONResponse(
        {
            "tenant_discovery_endpoint": f"{base}/{tenant}{version}/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }
    )
