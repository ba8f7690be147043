"""GET submission and GET submission status, under flights and apps: plain Starlette routes, matched first.

They are the Store API's busiest reads (clients poll the status until Published), so they skip FastAPI's
dependency and parameter machinery and read with one statement outside a transaction
(`Store.read_submission_and_app`). Anything but a hit on the right path takes the FastAPI handlers' own
path (`services.submissions.get`), so every error answer is theirs. The FastAPI routes stay registered
behind these, for the OpenAPI document and the other methods of the same paths.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from storeflight.domain.models import Submission
from storeflight.http import render
from storeflight.http.deps import Api, authenticate
from storeflight.http.responses import StoreJSONResponse, ok
from storeflight.services import submissions
from storeflight.services.submissions import Parent


async def _lookup(request: Request) -> tuple[Api, Submission]:
    api = await authenticate(request)
    params = request.path_params
    parent = Parent(params["application_id"], params.get("flight_id"))
    submission_id: str = params["submission_id"]
    if not api.check_client or api.state.clients.known(api.caller):
        found = api.state.store.read_submission_and_app(api.caller.tenant_id, submission_id)
        hit = submissions.on_path(found, parent)
        if hit is not None:
            return api, hit
    # A miss, a wrong path or a client not checked within the last second: the transaction path.
    return api, await api.read(lambda tx: submissions.get(tx, api.ctx, parent, submission_id))


async def get_submission(request: Request) -> StoreJSONResponse:
    api, found = await _lookup(request)
    return ok(render.submission(found, blobs=api.state.blobs, public_url=api.public_url))


async def get_status(request: Request) -> StoreJSONResponse:
    api, found = await _lookup(request)
    return ok(render.status(found, api.public_url))


def _route(path: str, endpoint: object, name: str) -> Route:
    route = Route(path, endpoint, methods=["GET"], name=name)  # type: ignore[arg-type]
    route.methods.discard("HEAD")  # type: ignore[union-attr]  # as the FastAPI routes: HEAD is a 405
    return route


_FLIGHT = "/v1.0/my/applications/{application_id}/flights/{flight_id}/submissions/{submission_id}"
_APP = "/v1.0/my/applications/{application_id}/submissions/{submission_id}"
ROUTES = [
    _route(_FLIGHT, get_submission, "hot_get_flight_submission"),
    _route(_FLIGHT + "/status", get_status, "hot_get_flight_submission_status"),
    _route(_APP, get_submission, "hot_get_app_submission"),
    _route(_APP + "/status", get_status, "hot_get_app_submission_status"),
]
