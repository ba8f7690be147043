"""OpenAPI descriptions of the request bodies. Documentation only: bodies are parsed by `parse.py`,
which also accepts PascalCase names, numeric strings and explicit nulls."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

_REF = "#/components/schemas/{model}"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow")


class FlightCreate(_Wire):
    friendlyName: str = Field(description="Unique name of the flight within the app.")
    groupIds: list[str | int] = Field(description="Flight group ids (strings or numbers).", min_length=1)
    rankHigherThan: str | None = Field(None, description="Name or id of the flight ranked immediately lower.")


class FlightUpdate(_Wire):
    friendlyName: str | None = Field(None, description="New unique name of the flight within the app.")
    groupIds: list[str | int] | None = Field(None, description="Flight group ids (strings or numbers).")
    rankHigherThan: str | None = Field(
        None, description="Absent: keep the rank; null: top; a flight's name or id: immediately above it."
    )


class GroupCreate(_Wire):
    name: str = Field(description="Name of the flight group.")
    members: list[str] | None = Field(None, description="Customer ids (e-mail addresses or opaque ids).")


class GroupRename(_Wire):
    name: str = Field(description="New name of the flight group.")


class GroupMembers(_Wire):
    add: list[str] | None = Field(None, description="Customer ids to add; ones already in the group are ignored.")
    remove: list[str] | None = Field(None, description="Customer ids to remove; unknown ones are ignored.")


class PackageIn(_Wire):
    fileName: str = Field(description="For new packages, the path of the file inside the uploaded ZIP.")
    fileStatus: Literal["None", "PendingUpload", "Uploaded", "PendingDelete"]
    id: str | None = None
    minimumDirectXVersion: Literal["None", "DirectX93", "DirectX100"] | None = None
    minimumSystemRam: Literal["None", "Memory2GB"] | None = None


class PackageRolloutIn(_Wire):
    isPackageRollout: bool | None = None
    packageRolloutPercentage: float | str | None = Field(None, description="0 to 100; numeric strings accepted.")


class DeliveryOptionsIn(_Wire):
    packageRollout: PackageRolloutIn | None = None
    isMandatoryUpdate: bool | None = None
    mandatoryUpdateEffectiveDate: str | None = Field(None, description="ISO 8601; the 1601 sentinel means unset.")


class SubmissionUpdate(_Wire):
    flightPackages: list[PackageIn] | None = Field(None, description="Flight submissions.")
    applicationPackages: list[PackageIn] | None = Field(None, description="App submissions.")
    packageDeliveryOptions: DeliveryOptionsIn | None = None
    targetPublishMode: Literal["Immediate", "Manual", "SpecificDate"] | None = None
    targetPublishDate: str | None = None
    notesForCertification: str | None = None


def body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` for a route whose JSON body is described by `model`."""
    schema = {"$ref": _REF.format(model=model.__name__)}
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}


def install_openapi(app: FastAPI, extra_paths: dict[str, Any]) -> None:
    """Generate the document once, with the body models added to its components and `extra_paths` (plain
    Starlette routes, which FastAPI does not describe) added to its paths."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            document.setdefault("paths", {}).update(extra_paths)
            components = document.setdefault("components", {}).setdefault("schemas", {})
            for model in (FlightCreate, FlightUpdate, GroupCreate, GroupRename, GroupMembers, SubmissionUpdate):
                schema = model.model_json_schema(ref_template=_REF)
                components.update(schema.pop("$defs", {}))
                components[model.__name__] = schema
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
