"""A small real HTTP server that answers the way the real Microsoft Store service does (store-api.md 0.4-0.7).

Unlike storeflight, it sends empty 404 bodies, older error shapes without `data`/`details`, the 1601 date
sentinel and `""` dates, numbers as strings, `null` lists, omitted keys, APIM-shaped 401s, and no `@nextLink`.
Tests queue extra answers per (method, path) (429 with Retry-After, 503, a dropped connection, ...) and read
the request log afterwards. Tokens expire on the clock the test shares with the client, so simulated time
makes them run out.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn

from tests.support import free_port

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

APP_IDS = [f"9NBLGGH4R3{i:02d}" for i in range(5)]
SUBMISSION_ID = "1152921504621243649"
FLIGHT_ID = "cd2e368a-0da5-4026-9f34-0e7934bc6f23"


def app_json(app_id: str) -> dict[str, Any]:
    """As the get-all-apps example: no pending/last-published keys, the 1601 sentinel without fraction."""
    return {
        "id": app_id,
        "primaryName": f"App {app_id}",
        "packageFamilyName": f"Contoso.App_{app_id.lower()}",
        "publisherName": "CN=Contoso",
        "firstPublishedDate": "1601-01-01T00:00:00Z",
    }


def submission_json() -> dict[str, Any]:
    """The documented flight submission example, with the quirks the real service and its clients show."""
    return {
        "id": SUBMISSION_ID,
        "flightId": FLIGHT_ID,
        "status": "PendingCommit",
        "statusDetails": None,
        "flightPackages": [
            {
                "fileName": "old.appx",
                "fileStatus": "Uploaded",
                "id": 1152921504606980000,
                "version": "1.0.0.0",
                "languages": None,
                "capabilities": [],
                "minimumDirectXVersion": "None",
                "minimumSystemRam": "None",
                "targetPlatform": "Windows.Desktop",
            }
        ],
        "packageDeliveryOptions": {
            "packageRollout": {
                "isPackageRollout": "true",
                "packageRolloutPercentage": "25",
                "packageRolloutStatus": "PackageRolloutNotStarted",
                "fallbackSubmissionId": 0,
            },
            "isMandatoryUpdate": False,
            "mandatoryUpdateEffectiveDate": "1601-01-01T00:00:00.0000000Z",
        },
        "fileUploadUrl": "https://productingestionbin1.blob.core.windows.net/ingestion/x?sv=2014-02-14&sig=a+b",
        "targetPublishMode": "Immediate",
        "targetPublishDate": "",
        "notesForCertification": "No special steps are required for certification of this app.",
        "friendlyNameOfSomethingNew": {"kept": True},
    }


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON, bytes as they are, None -> empty
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # start the answer, then close the connection mid-body


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    token: str | None


class QuirksServer:
    """The server and what it saw. `queue(method, path, *replies)` makes the next calls answer those first."""

    def __init__(self, clock: Callable[[], float], token_lifetime: int = 3600) -> None:
        self.clock = clock
        self.token_lifetime = token_lifetime
        self.tokens: dict[str, float] = {}
        self.token_forms: list[dict[str, str]] = []
        self.seen: list[Seen] = []
        self.unauthorized = 0
        self.statuses: deque[str] = deque(["CommitStarted"])
        self.queued: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self, host="127.0.0.1", port=self.port, log_level="critical", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> QuirksServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the quirks server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def queue(self, method: str, path: str, *replies: Reply) -> None:
        self.queued[(method, path)].extend(replies)

    def revoke_tokens(self) -> None:
        """Make every token issued so far invalid (as an expired or revoked one is)."""
        self.tokens.clear()

    def calls(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if (s.method, s.path) == (method, path)]

    # ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        reply = self.answer(scope["method"], scope["path"], _query(scope), body, _bearer(scope))
        await _send(send, reply)

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes, token: str | None) -> Reply:
        if path.endswith("/oauth2/token") or path.endswith("/oauth2/v2.0/token"):
            self.seen.append(Seen(method, path, query, body, None))
            return self._queued(method, path) or self._issue(body)
        self.seen.append(Seen(method, path, query, body, token))
        if token is None or self.tokens.get(token, -1.0) <= self.clock():
            self.unauthorized += 1
            return Reply(401, {"statusCode": 401, "message": "APIM: Unauthorized. Access token is missing or invalid."})
        return self._queued(method, path) or self._default(method, path, query, body)

    def _queued(self, method: str, path: str) -> Reply | None:
        replies = self.queued.get((method, path))
        return replies.popleft() if replies else None

    def _issue(self, body: bytes) -> Reply:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        self.token_forms.append(form)
        token = f"token-{len(self.token_forms)}"
        self.tokens[token] = self.clock() + self.token_lifetime
        lifetime = str(self.token_lifetime)  # v1 sends numbers as strings
        return Reply(200, {"token_type": "Bearer", "expires_in": lifetime, "access_token": token})

    def _default(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        route = path.removeprefix("/v1.0/my/")
        if method == "GET" and route.startswith("applications") and route.count("/") <= 1:
            return self._applications(route, query)
        if method == "GET" and route.endswith(f"/submissions/{SUBMISSION_ID}/status"):
            status = self.statuses.popleft() if len(self.statuses) > 1 else self.statuses[0]
            return Reply(200, {"status": status, "statusDetails": {"errors": [], "warnings": []}})
        if method in ("GET", "PUT") and route.endswith(f"/submissions/{SUBMISSION_ID}"):
            return Reply(200, json.loads(body) if method == "PUT" else submission_json())
        if method == "POST" and route.endswith("/submissions"):
            return Reply(201, submission_json())
        if method == "POST" and route.endswith("/commit"):
            return Reply(200, {"status": "CommitStarted"})
        return Reply(404)

    def _applications(self, route: str, query: dict[str, str]) -> Reply:
        if route == "applications":
            skip, top = int(query.get("skip", 0)), int(query.get("top", 10))
            # no @nextLink, totalCount as a string: clients must page by skip
            return Reply(200, {"value": [app_json(a) for a in APP_IDS[skip : skip + top]], "totalCount": "5"})
        app_id = route.split("/")[1]
        return Reply(200, app_json(app_id)) if app_id in APP_IDS else Reply(404)  # empty 404 body


def _query(scope: Scope) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization" and value.startswith(b"Bearer "):
            return str(value[7:].decode())
    return None


async def _send(send: Send, reply: Reply) -> None:
    if isinstance(reply.body, bytes):
        content = reply.body
    else:
        content = b"" if reply.body is None else json.dumps(reply.body).encode()
    headers = [(b"ms-correlationid", str(uuid.uuid4()).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in reply.headers.items()]
    if content:
        headers.append((b"content-type", b"application/json; charset=utf-8"))
    length = len(content) + (100 if reply.drop else 0)  # a dropped answer promises more than it sends
    headers.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": content, "more_body": reply.drop})
    if reply.drop:
        raise ConnectionAbortedError("the quirks server drops this connection on purpose")
