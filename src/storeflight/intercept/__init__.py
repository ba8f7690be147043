"""Interception mode: a CONNECT proxy and a TLS listener that answer for Microsoft's hosts with a local CA."""

from __future__ import annotations

# The hosts clients hard-code: Entra ID's token service (StoreBroker still uses its older alias
# login.windows.net) and the Store submission API. Upload URLs are issued under the API host, so they are
# intercepted too. The CA may sign for these names only.
INTERCEPTED_HOSTS: tuple[str, ...] = (
    "login.microsoftonline.com",
    "login.windows.net",
    "manage.devcenter.microsoft.com",
)
HTTPS_PORT = 443
