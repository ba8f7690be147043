"""Request bodies to domain inputs. Property names match case-insensitively; explicit nulls mean "not sent".

Every type error becomes InvalidParameterValue naming the field, so bad input never reaches a 500.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, TypeVar

from storeflight.domain import dates
from storeflight.domain.errors import InvalidParameterValue
from storeflight.domain.models import DirectXVersion, FileStatus, PublishMode, SystemRam
from storeflight.domain.submissions import PackageChange, SubmissionUpdate
from storeflight.services import groups as group_rules
from storeflight.services.flights import FlightChange, NewFlight

E = TypeVar("E", bound=StrEnum)

# Keys the server owns: echoed back by clients, ignored on input.
_READ_ONLY = {"id", "flightid", "status", "statusdetails", "fileuploadurl"}
_SUBMISSION_KEYS = {"packagedeliveryoptions", "targetpublishmode", "targetpublishdate", "notesforcertification"}


class Fields:
    """A JSON object read case-insensitively."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise InvalidParameterValue(f"{where} must be a JSON object.", target=where)
        self.where = where
        self.items = {str(k).lower(): v for k, v in value.items()}
        self.original = value

    def get(self, name: str) -> Any:
        return self.items.get(name.lower())

    def has(self, name: str) -> bool:
        return name.lower() in self.items and self.items[name.lower()] is not None

    def field(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where != "body" else name


def text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidParameterValue(f"{field} must be a string.", target=field)
    return value


def boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidParameterValue(f"{field} must be true or false.", target=field)


def number(value: Any, field: str) -> float:
    """A JSON number or a numeric string (the Azure DevOps task sends `"25"`)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidParameterValue(f"{field} must be a number.", target=field)
    try:
        result = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise InvalidParameterValue(f"{field} is too large a number.", target=field) from None
    except ValueError:
        raise InvalidParameterValue(f"{field} must be a number, not '{value}'.", target=field) from None
    if not math.isfinite(result):
        raise InvalidParameterValue(f"{field} must be a finite number.", target=field)
    return result


def enum(cls: type[E], value: Any, field: str) -> E:
    """An enum value, matched case-insensitively; unknown values list the allowed ones."""
    if isinstance(value, str):
        for member in cls:
            if member.value.lower() == value.strip().lower():
                return member
    allowed = ", ".join(m.value for m in cls)
    raise InvalidParameterValue(f"{field} must be one of {allowed}; got {value!r}.", target=field)


def date(value: Any, field: str) -> Any:
    if value is not None and not isinstance(value, str):
        raise InvalidParameterValue(f"{field} must be an ISO 8601 date string.", target=field)
    return dates.parse(value, field=field)


def new_flight(body: Any) -> NewFlight:
    fields = Fields(body if body is not None else {}, "body")
    if not fields.has("friendlyName"):
        raise InvalidParameterValue("friendlyName is required.", target="friendlyName")
    rank = fields.get("rankHigherThan")
    return NewFlight(
        friendly_name=text(fields.get("friendlyName"), "friendlyName"),
        group_ids=_group_ids(fields.get("groupIds")),
        rank_higher_than=text(rank, "rankHigherThan") if rank not in (None, "") else None,
    )


def _group_ids(groups: Any) -> list[str]:
    if groups is None:
        groups = []
    if not isinstance(groups, list) or not all(isinstance(g, str | int) and not isinstance(g, bool) for g in groups):
        raise InvalidParameterValue("groupIds must be an array of group ids.", target="groupIds")
    return [str(g).strip() for g in groups]


def flight_change(body: Any) -> FlightChange:
    """A modify-flight body. An absent (or null) friendlyName or groupIds keeps the value; `rankHigherThan`
    absent keeps the rank, null or "" moves the flight to the top."""
    fields = Fields(body if body is not None else {}, "body")
    rank_changed = "rankhigherthan" in fields.items
    if not (fields.has("friendlyName") or fields.has("groupIds") or rank_changed):
        raise InvalidParameterValue("Send at least one of friendlyName, groupIds and rankHigherThan.", target="body")
    rank = fields.get("rankHigherThan")
    return FlightChange(
        friendly_name=text(fields.get("friendlyName"), "friendlyName") if fields.has("friendlyName") else None,
        group_ids=_group_ids(fields.get("groupIds")) if fields.has("groupIds") else None,
        rank_changed=rank_changed,
        rank_higher_than=text(rank, "rankHigherThan") if rank not in (None, "") else None,
    )


def group_create(body: Any) -> tuple[str, list[str]]:
    """`{name, members?}` of a new flight group: the name and the normalised members."""
    fields = Fields(body if body is not None else {}, "body")
    if not fields.has("name"):
        raise InvalidParameterValue("name is required.", target="name")
    new_members = group_rules.members(fields.get("members"), "members") if fields.has("members") else []
    return text(fields.get("name"), "name"), new_members


def group_rename(body: Any) -> str:
    fields = Fields(body if body is not None else {}, "body")
    if not fields.has("name"):
        raise InvalidParameterValue("name is required.", target="name")
    return text(fields.get("name"), "name")


def member_changes(body: Any) -> tuple[list[str], list[str]]:
    """`{"add": [...], "remove": [...]}`, each optional but not both missing, normalised."""
    fields = Fields(body if body is not None else {}, "body")
    if not (fields.has("add") or fields.has("remove")):
        raise InvalidParameterValue(
            'Send members to add and/or remove: {"add": [...], "remove": [...]}.', target="body"
        )
    add = group_rules.members(fields.get("add"), "add") if fields.has("add") else []
    remove = group_rules.members(fields.get("remove"), "remove") if fields.has("remove") else []
    return add, remove


def submission_update(body: Any, *, packages_key: str) -> SubmissionUpdate:
    fields = Fields(body, "body")
    values: dict[str, Any] = {}
    if fields.has(packages_key):
        values["packages"] = _packages(fields.get(packages_key), packages_key)
    if fields.has("packageDeliveryOptions"):
        values.update(_delivery(Fields(fields.get("packageDeliveryOptions"), "packageDeliveryOptions")))
    if fields.has("targetPublishMode"):
        values["target_publish_mode"] = enum(PublishMode, fields.get("targetPublishMode"), "targetPublishMode")
    if "targetpublishdate" in fields.items:
        values["target_publish_date"] = date(fields.get("targetPublishDate"), "targetPublishDate")
    if "notesforcertification" in fields.items:
        notes = fields.get("notesForCertification")
        values["notes_for_certification"] = "" if notes is None else text(notes, "notesForCertification")
    if packages_key == "applicationPackages":
        values["extra"] = _extra(fields, packages_key)
    return SubmissionUpdate(**values)


def _packages(value: Any, key: str) -> list[PackageChange]:
    if not isinstance(value, list):
        raise InvalidParameterValue(f"{key} must be an array.", target=key)
    return [_package(Fields(item, f"{key}[{i}]")) for i, item in enumerate(value)]


def _package(p: Fields) -> PackageChange:
    if not p.has("fileName"):
        raise InvalidParameterValue(f"{p.field('fileName')} is required.", target=p.field("fileName"))
    if not p.has("fileStatus"):
        raise InvalidParameterValue(f"{p.field('fileStatus')} is required.", target=p.field("fileStatus"))
    package_id = p.get("id")
    if package_id is not None and (isinstance(package_id, bool) or not isinstance(package_id, str | int)):
        raise InvalidParameterValue(f"{p.field('id')} must be a string.", target=p.field("id"))
    return PackageChange(
        file_name=text(p.get("fileName"), p.field("fileName")),
        file_status=enum(FileStatus, p.get("fileStatus"), p.field("fileStatus")),
        id=str(package_id) if package_id not in (None, "") else None,
        minimum_directx_version=_optional_enum(p, DirectXVersion, "minimumDirectXVersion", DirectXVersion.NONE),
        minimum_system_ram=_optional_enum(p, SystemRam, "minimumSystemRam", SystemRam.NONE),
    )


def _optional_enum(p: Fields, cls: type[E], name: str, default: E) -> E:
    return enum(cls, p.get(name), p.field(name)) if p.has(name) else default


def _delivery(d: Fields) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if d.has("packageRollout"):
        r = Fields(d.get("packageRollout"), "packageDeliveryOptions.packageRollout")
        if r.has("isPackageRollout"):
            values["is_package_rollout"] = boolean(r.get("isPackageRollout"), r.field("isPackageRollout"))
        if r.has("packageRolloutPercentage"):
            values["package_rollout_percentage"] = number(
                r.get("packageRolloutPercentage"), r.field("packageRolloutPercentage")
            )
    if d.has("isMandatoryUpdate"):
        values["is_mandatory_update"] = boolean(d.get("isMandatoryUpdate"), d.field("isMandatoryUpdate"))
    if "mandatoryupdateeffectivedate" in d.items:
        field = d.field("mandatoryUpdateEffectiveDate")
        values["mandatory_update_effective_date"] = date(d.get("mandatoryUpdateEffectiveDate"), field)
    return values


def _extra(fields: Fields, packages_key: str) -> dict[str, Any]:
    """App-submission fields we do not interpret (listings, pricing, ...), kept as sent in camelCase."""
    skip = _READ_ONLY | _SUBMISSION_KEYS | {packages_key.lower()}
    return {k[:1].lower() + k[1:]: v for k, v in fields.original.items() if str(k).lower() not in skip}


def rollout_percentage(query: str | None, body: Any) -> float:
    """`?percentage=` (float or numeric string), or `{"percentage": n}` in a JSON body, as one client sends."""
    value: Any = query
    if value is None and body is not None:
        value = Fields(body, "body").get("percentage")
    if value is None:
        raise InvalidParameterValue("The percentage query parameter is required.", target="percentage")
    return number(value, "percentage")
