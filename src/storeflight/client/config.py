"""Where the client talks to and how: the API root, the token authority and the credentials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MICROSOFT_API = "https://manage.devcenter.microsoft.com"
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com"
API_PREFIX = "/v1.0/my/"


@dataclass(frozen=True)
class ClientConfig:
    """Credentials and endpoints. The defaults are Microsoft's; point both URLs at a storeflight server to use it.

    `base_url` is the API host (paths are `/v1.0/my/...` below it; a base URL that already ends in `/v1.0/my`
    works too). `authority` is the token host: the token endpoint is `{authority}/{tenant}/oauth2/token` (v1,
    with `resource`) or `{authority}/{tenant}/oauth2/v2.0/token` (v2, with `scope={resource}/.default`).
    """

    tenant_id: str
    client_id: str
    client_secret: str
    base_url: str = MICROSOFT_API
    authority: str = MICROSOFT_AUTHORITY
    token_version: Literal["v1", "v2"] = "v1"
    resource: str = MICROSOFT_API
    timeout: float = 60.0
    max_retries: int = 5
    verify: bool | str = True

    @property
    def api_root(self) -> str:
        """The absolute URL every API path is relative to, ending in `/v1.0/my/`."""
        base = self.base_url.rstrip("/")
        if base.lower().endswith(API_PREFIX.rstrip("/")):
            base = base[: -len(API_PREFIX.rstrip("/"))]
        return base + API_PREFIX

    @property
    def token_url(self) -> str:
        authority = self.authority.rstrip("/")
        if self.token_version == "v2":
            return f"{authority}/{self.tenant_id}/oauth2/v2.0/token"
        return f"{authority}/{self.tenant_id}/oauth2/token"

    def token_form(self) -> dict[str, str]:
        """The client-credentials form for the configured token endpoint version."""
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret}
        resource = self.resource.rstrip("/")  # a trailing slash makes Entra ID issue a token the API refuses
        if self.token_version == "v2":
            form["scope"] = f"{resource}/.default"
        else:
            form["resource"] = resource
        return form
