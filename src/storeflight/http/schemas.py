"""The OpenAPI document: request body models, security schemes, and each operation's answers.

Documentation only: bodies are parsed by `parse.py` (which also accepts PascalCase names, numeric strings
and explicit nulls). Success answers are the models of `answers.py`, by operation. Error answers are declared
by rules (`ERRORS`, extended with `declare_error`), applied to every operation, so a new kind of error is
declared once for every operation that can answer it. Paths that describe every answer themselves (the blob
endpoint, which speaks Azure's Blob REST API) are added as they are, outside these rules.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints
from starlette.routing import BaseRoute

from storeflight.http import answers
from storeflight.http.deps import authenticate, json_body

_REF = "#/components/schemas/{model}"
# Names and customer ids: not blank, no control characters (NUL included).
_PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
# The ISO 8601 date-times accepted, conservatively: years 1601 (the "unset" sentinel) to 9899, or empty.
DATE_PATTERN = (
    r"^$|^(1[6-9]|[2-8][0-9]|9[0-8])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,7})?)?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])?)?$"
)
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
Name = Annotated[str, StringConstraints(max_length=256, pattern=_PRINTABLE)]
Member = Annotated[str, StringConstraints(max_length=320, pattern=_PRINTABLE)]
DateText = Annotated[str, StringConstraints(pattern=DATE_PATTERN)]
PercentText = Annotated[str, StringConstraints(pattern=r"^(100(\.0{1,6})?|[0-9]{1,2}(\.[0-9]{1,6})?)$")]


# Any JSON value whose strings (property names included) have no NUL: what other properties may hold.
_JSON_VALUE: dict[str, Any] = {
    "description": "Any JSON value; no string in it (nor any property name) may contain NUL or a lone surrogate.",
    "anyOf": [
        {"type": "string", "pattern": "^[^\\x00]*$"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
        {"type": "array", "items": {"$ref": "#/components/schemas/JsonValue"}},
        {
            "type": "object",
            "propertyNames": {"pattern": "^[^\\x00]*$"},
            "additionalProperties": {"$ref": "#/components/schemas/JsonValue"},
        },
    ],
}
_OTHER_PROPERTIES: dict[str, Any] = {
    "propertyNames": {"pattern": "^[^\\x00]*$"},
    "additionalProperties": {"$ref": "#/components/schemas/JsonValue"},
}


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow")


_NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
FlightName = Annotated[str, StringConstraints(max_length=256, pattern=_NOT_BLANK)]
GroupId = Text | int


def _at_least_one(*alternatives: dict[str, Any]) -> ConfigDict:
    """A body that must carry at least one of several properties (each given with the schema it needs)."""
    any_of: list[JsonValue] = [
        {"required": [name], "properties": {name: schema}} for alt in alternatives for name, schema in alt.items()
    ]
    return ConfigDict(extra="allow", json_schema_extra={"anyOf": any_of})


class FlightCreate(_Wire):
    friendlyName: FlightName = Field(description="Unique name of the flight within the app.")
    groupIds: list[GroupId] = Field(description="Flight group ids (strings or numbers).", min_length=1)
    rankHigherThan: Text | None = Field(None, description="Name or id of the flight ranked immediately lower.")


class FlightUpdate(_Wire):
    model_config = _at_least_one(
        {"friendlyName": {"type": "string"}}, {"groupIds": {"type": "array"}}, {"rankHigherThan": {}}
    )
    friendlyName: FlightName | None = Field(None, description="New unique name of the flight within the app.")
    groupIds: list[GroupId] | None = Field(None, description="Flight group ids (strings or numbers).", min_length=1)
    rankHigherThan: Text | None = Field(
        None, description="Absent: keep the rank; null or empty: top; a flight's name or id: immediately above it."
    )


class GroupCreate(_Wire):
    name: Name = Field(description="Name of the flight group.")
    members: list[Member] | None = Field(None, description="Customer ids (e-mail addresses or opaque ids).")


class GroupRename(_Wire):
    name: Name = Field(description="New name of the flight group.")


class GroupMembers(_Wire):
    model_config = _at_least_one({"add": {"type": "array"}}, {"remove": {"type": "array"}})
    add: list[Member] | None = Field(None, description="Customer ids to add; ones already in the group are ignored.")
    remove: list[Member] | None = Field(None, description="Customer ids to remove; unknown ones are ignored.")


class PackageIn(_Wire):
    fileName: Text = Field(description="For new packages, the path of the file inside the uploaded ZIP.")
    fileStatus: Literal["None", "PendingUpload", "Uploaded", "PendingDelete"]
    id: Text | int | None = None
    minimumDirectXVersion: Literal["None", "DirectX93", "DirectX100"] | None = None
    minimumSystemRam: Literal["None", "Memory2GB"] | None = None


class PackageRolloutIn(_Wire):
    isPackageRollout: bool | None = None
    packageRolloutPercentage: Annotated[float, Field(ge=0, le=100)] | PercentText | None = Field(
        None, description="0 to 100; numeric strings are accepted too."
    )


class DeliveryOptionsIn(_Wire):
    packageRollout: PackageRolloutIn | None = None
    isMandatoryUpdate: bool | None = None
    mandatoryUpdateEffectiveDate: DateText | None = Field(None, description="ISO 8601; the 1601 sentinel means unset.")


class SubmissionUpdate(_Wire):
    flightPackages: list[PackageIn] | None = Field(None, description="Flight submissions.")
    applicationPackages: list[PackageIn] | None = Field(None, description="App submissions.")
    packageDeliveryOptions: DeliveryOptionsIn | None = None
    targetPublishMode: Literal["Immediate", "Manual", "SpecificDate"] | None = None
    targetPublishDate: DateText | None = Field(None, description="ISO 8601, for SpecificDate.")
    notesForCertification: Text | None = None


class StoreError(BaseModel):
    """The Store's error body."""

    code: str
    message: str
    source: str
    target: str
    data: list[Any]
    details: list[str]
    statusCode: int | None = Field(None, description="401 answers only (the API gateway's shape).")


class AadError(BaseModel):
    """The Azure AD error body of the token endpoints."""

    error: str
    error_description: str
    error_codes: list[int]


_MODELS: list[type[BaseModel]] = [
    FlightCreate,
    FlightUpdate,
    GroupCreate,
    GroupRename,
    GroupMembers,
    SubmissionUpdate,
    StoreError,
    AadError,
]


def declare_model(model: type[BaseModel]) -> type[BaseModel]:
    """Add one more body model to the document's components (for `body(model)` of another module)."""
    _MODELS.append(model)
    return model


def body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` for a route whose JSON body is described by `model`."""
    schema = {"$ref": _REF.format(model=model.__name__)}
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}


@dataclass(frozen=True)
class Operation:
    """One operation of the document, as the error rules see it."""

    path: str
    method: str
    authenticated: bool  # needs a bearer token (401 without one)
    reads_body: bool  # reads a JSON body (413 past the size cap)

    @property
    def in_app(self) -> bool:
        return self.path.startswith("/v1.0/my/applications/{application_id}")

    @property
    def is_token(self) -> bool:
        return "/oauth2/" in self.path or self.path.startswith("/common/discovery/")


@dataclass(frozen=True)
class ErrorResponse:
    """An error answer some operations give: `status`, when `applies`, with a `body` model's shape."""

    status: int
    description: str
    applies: Callable[[Operation], bool]
    body: str = "StoreError"
    headers: tuple[str, ...] = ()  # response headers it carries, e.g. Retry-After


ERRORS: list[ErrorResponse] = [
    ErrorResponse(400, "Invalid input: a malformed body, value, parameter or path", lambda op: not op.is_token),
    ErrorResponse(400, "The token request is invalid, or names an unknown client", lambda op: op.is_token, "AadError"),
    ErrorResponse(401, "The access token is missing, invalid, expired or revoked", lambda op: op.authenticated),
    ErrorResponse(401, "The client secret is wrong", lambda op: op.is_token, "AadError"),
    ErrorResponse(
        404,
        "No such resource for this tenant (another tenant's resources are not found either)",
        lambda op: (
            (op.authenticated and ("{" in op.path or op.path == "/v1.0/my/applications"))
            or op.path.startswith("/reports/")
        ),
    ),
    ErrorResponse(
        409,
        "The resource is in the wrong state for the operation (or the app uses unsupported features)",
        lambda op: op.in_app or (op.path.startswith("/v1.0/my/flightgroups/") and op.method == "delete"),
    ),
    ErrorResponse(
        409,
        "A per-tenant quota (groups, members, flights, packages, stored bytes) would be exceeded",
        lambda op: op.path.startswith("/v1.0/my/flightgroups") and op.method in ("post", "put", "patch"),
    ),
    ErrorResponse(413, "The request body is larger than the server accepts", lambda op: op.reads_body),
    ErrorResponse(408, "The request body stalled: no data for longer than the body timeout", lambda op: op.reads_body),
    ErrorResponse(
        429,
        "Throttled: too many calls for this tenant or operation (only with the rough-edges profile). Retry later",
        lambda op: op.path.startswith("/v1.0/my/"),
        headers=("Retry-After",),
    ),
    ErrorResponse(
        429,
        "Too many token attempts for this client or source address. Retry later",
        lambda op: "/oauth2/" in op.path,
        "AadError",
        headers=("Retry-After",),
    ),
    ErrorResponse(
        503,
        "Transiently unavailable (only with the rough-edges profile). Retry later",
        lambda op: op.path.startswith("/v1.0/my/") and op.method == "get",
        headers=("Retry-After",),
    ),
    ErrorResponse(
        503,
        "The server's storage is (nearly) full; changes are refused until there is room. Retry later",
        lambda op: op.path.startswith("/v1.0/") and op.method != "get",
        headers=("Retry-After",),
    ),
]

_HEADERS: dict[str, Any] = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}},
}


def declare_error(
    status: int,
    description: str,
    applies: Callable[[Operation], bool],
    body: str = "StoreError",
    headers: tuple[str, ...] = (),
) -> None:
    """Declare one more error answer, for every operation `applies` selects (`headers` named in `_HEADERS`)."""
    ERRORS.append(ErrorResponse(status, description, applies, body, headers))


def _responses(op: Operation) -> dict[str, Any]:
    declared: dict[str, Any] = {}
    for error in ERRORS:
        if not error.applies(op):
            continue
        entry = declared.setdefault(str(error.status), {"description": error.description, "bodies": []})
        if error.body not in entry["bodies"]:
            entry["bodies"].append(error.body)
        for name in error.headers:
            entry.setdefault("headers", {})[name] = _HEADERS[name]
    for entry in declared.values():
        refs = [{"$ref": _REF.format(model=name)} for name in entry.pop("bodies")]
        schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
        entry["content"] = {"application/json": {"schema": schema}}
    return declared


def _operations(routes: Iterable[BaseRoute], extra_paths: dict[str, Any]) -> dict[tuple[str, str], Operation]:
    found: dict[tuple[str, str], Operation] = {}
    for route in routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            calls = {d.call for d in route.dependant.dependencies}
            for method in route.methods or ():
                key = (route.path_format, method.lower())
                found[key] = Operation(*key, authenticated=authenticate in calls, reads_body=json_body in calls)
    for path, methods in extra_paths.items():  # plain Starlette routes: authenticated, no body
        for method in methods:
            found[(path, method)] = Operation(path, method, authenticated=True, reads_body=False)
    return found


SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from this server's token endpoints (Azure AD's client-credentials "
        "protocol), sent as `Authorization: Bearer <token>`; devices asking for packages use one too.",
    },
    "aadV2": {
        "type": "oauth2",
        "description": "Client credentials (Azure AD v2, as MSAL uses) for the bearer token.",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "/{tenant}/oauth2/v2.0/token",
                "scopes": {"https://manage.devcenter.microsoft.com/.default": "The Store submission API"},
            }
        },
    },
    "aadV1": {
        "type": "oauth2",
        "description": "Client credentials (Azure AD v1, with resource=https://manage.devcenter.microsoft.com).",
        "flows": {"clientCredentials": {"tokenUrl": "/{tenant}/oauth2/token", "scopes": {}}},
    },
}


def _success(responses: dict[str, Any], model: str | None) -> None:
    """The schema of the success answer; a 204 has no body (FastAPI's `{}` placeholders are removed)."""
    for status, answer in responses.items():
        if status == "204":
            answer.pop("content", None)
        elif status.startswith("2") and model is not None:
            answer["content"] = {"application/json": {"schema": {"$ref": _REF.format(model=model)}}}


def _describe(document: dict[str, Any], operations: dict[tuple[str, str], Operation]) -> None:
    """Declare each operation's answers and security; drop FastAPI's 422, which this server never sends."""
    for path, methods in document.get("paths", {}).items():
        for method, spec in methods.items():
            op = operations.get((path, method))
            if op is None:
                continue
            responses = spec.setdefault("responses", {})
            responses.pop("422", None)
            _success(responses, answers.SUCCESS.get((path, method)))
            responses.update(_responses(op))
            if op.authenticated:
                spec["security"] = [{"bearer": []}]
    components = document.setdefault("components", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.get("schemas", {}).pop(unused, None)
    components["securitySchemes"] = dict(SECURITY_SCHEMES)


def _add_own(document: dict[str, Any], paths: dict[str, Any], components: dict[str, Any]) -> None:
    document["paths"].update(paths)
    for kind, entries in components.items():
        document["components"].setdefault(kind, {}).update(entries)


def install_openapi(
    app: FastAPI,
    extra_paths: dict[str, Any],
    routes: Iterable[BaseRoute],
    own_paths: dict[str, Any] | None = None,
    own_components: dict[str, Any] | None = None,
) -> None:
    """Generate the document once, with the body and answer models added to its components, `extra_paths`
    (plain Starlette routes, which FastAPI does not describe) added to its paths, and answers and security
    declared for every operation of `routes`. `own_paths` describe all their answers themselves and are
    added as they are, with the `own_components` they use (`{"schemas": ..., "securitySchemes": ...}`)."""
    operations = _operations(routes, extra_paths)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            document.setdefault("paths", {}).update(copy.deepcopy(extra_paths))  # described here, not changed there
            components = document.setdefault("components", {}).setdefault("schemas", {})
            components.update(answers.component_schemas(_REF))
            for model in _MODELS:
                schema = model.model_json_schema(ref_template=_REF)
                components.update(schema.pop("$defs", {}))
                components[model.__name__] = schema
            for schema in components.values():  # extra="allow" models: other properties hold valid text too
                if schema.get("additionalProperties") is True:
                    schema.update(_OTHER_PROPERTIES)
            components["JsonValue"] = _JSON_VALUE
            _describe(document, operations)
            _add_own(document, own_paths or {}, own_components or {})
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
