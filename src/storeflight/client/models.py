"""Typed views of the Store's JSON, tolerant of what the real service sends.

Every model keeps the JSON it was read from in `.raw`. Keys the model does not know are kept too (as extra
attributes and in `.raw`), omitted keys get defaults, `null` lists become empty lists, numbers may come as
strings (`"25"`), and dates may be empty, `null` or the Store's 1601-01-01 "unset" sentinel (all read as
None). `to_body()` gives back the JSON with only the fields you changed replaced, so a `PUT` of a submission
carries every key the server sent, including ones this library does not model.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

UNSET_DATE = "1601-01-01T00:00:00.0000000Z"
_UNSET_YEAR = 1601


def _store_date(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = value.strip()
        head, dot, tail = text.partition(".")
        if dot:  # .NET writes 7 fractional digits; Python reads at most 6
            digits = len(tail) - len(tail.lstrip("0123456789"))
            text = f"{head}.{tail[: min(digits, 6)]}{tail[digits:]}"
        value = datetime.fromisoformat(text.replace("z", "Z"))
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return None if value.year == _UNSET_YEAR else value
    return value


def _list(value: Any) -> Any:
    return [] if value is None else value


def _text(value: Any) -> Any:
    return "" if value is None else value


def render_date(value: datetime | None) -> str:
    """The Store's 7-digit UTC form; None is the 1601 sentinel."""
    if value is None:
        return UNSET_DATE
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0Z"


StoreDate = Annotated[datetime | None, BeforeValidator(_store_date)]
Text = Annotated[str, BeforeValidator(_text)]
TextList = Annotated[list[str], BeforeValidator(_list)]
_MISSING = object()


class StoreModel(BaseModel):
    """Base of every model: camelCase aliases, unknown keys allowed, `.raw` and `to_body()`."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", coerce_numbers_to_str=True
    )
    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)
    _original: dict[str, Any] = PrivateAttr(default_factory=dict)
    _from_wire: bool = PrivateAttr(default=False)

    @classmethod
    def from_json(cls, data: Any) -> Self:
        """Read a model from decoded JSON, remembering it in `.raw` (nested models too)."""
        data = data if isinstance(data, dict) else {}
        model = cls.model_validate(data)
        model._remember(data)
        return model

    def _remember(self, data: dict[str, Any]) -> None:
        self._raw, self._from_wire = data, True
        self._original = {name: copy.copy(getattr(self, name)) for name in type(self).model_fields}
        for name, info in type(self).model_fields.items():
            value, key = getattr(self, name), _wire_key(name, info, data)
            if isinstance(value, StoreModel) and isinstance(data.get(key), dict):
                value._remember(data[key])
            elif isinstance(value, list) and isinstance(data.get(key), list):
                for item, item_data in zip(value, data[key], strict=False):
                    if isinstance(item, StoreModel) and isinstance(item_data, dict):
                        item._remember(item_data)

    @property
    def raw(self) -> dict[str, Any]:
        """The JSON object this model was read from ({} for a model built in code)."""
        return self._raw

    def to_body(self) -> dict[str, Any]:
        """The JSON to send back: `.raw` with the fields changed since reading replaced.

        A model built in code (a new package, say) gives every field that is not None.
        """
        body = copy.deepcopy(self._raw)
        for name, info in type(self).model_fields.items():
            key = _wire_key(name, info, self._raw)
            value = getattr(self, name)
            if self._from_wire:
                nested = isinstance(value, StoreModel | list) and isinstance(self._raw.get(key), dict | list)
                if not nested and value == self._original.get(name, _MISSING):
                    continue
            elif value is None:
                continue
            body[key] = UNSET_DATE if value is None and _is_date(info.metadata) else _wire(value)
        return body


def _is_date(metadata: list[Any]) -> bool:
    return any(isinstance(m, BeforeValidator) and m.func is _store_date for m in metadata)


def _wire_key(name: str, info: FieldInfo, data: dict[str, Any]) -> str:
    """The key `data` holds the field under (any alias, any case), else the field's alias."""
    candidates = [info.alias or name]
    if isinstance(info.validation_alias, AliasChoices):
        candidates += [c for c in info.validation_alias.choices if isinstance(c, str)]
    for candidate in candidates:
        if candidate in data:
            return candidate
    lowered = {c.lower() for c in candidates}
    return next((k for k in data if k.lower() in lowered), candidates[0])


def _wire(value: Any) -> Any:
    if isinstance(value, StoreModel):
        return value.to_body()
    if isinstance(value, list):
        return [_wire(v) for v in value]
    if isinstance(value, datetime):
        return render_date(value)
    return value


class SubmissionRef(StoreModel):
    """`{id, resourceLocation}`: a pointer to a submission."""

    id: Text = ""
    resource_location: Text = ""


class Application(StoreModel):
    id: Text = ""
    primary_name: Text = ""
    package_family_name: Text = ""
    package_identity_name: Text = ""
    publisher_name: Text = ""
    first_published_date: StoreDate = None
    pending_application_submission: SubmissionRef | None = None
    last_published_application_submission: SubmissionRef | None = None
    has_advanced_listing_permission: bool = False


class Flight(StoreModel):
    flight_id: Text = ""
    friendly_name: Text = ""
    group_ids: TextList = Field(default_factory=list)
    rank_higher_than: str | None = None
    last_published_flight_submission: SubmissionRef | None = None
    pending_flight_submission: SubmissionRef | None = None


class FlightGroup(StoreModel):
    """A flight group (storeflight extension; on the real service groups live in Partner Center)."""

    id: Text = ""
    name: Text = ""
    member_count: int = 0
    created_date: StoreDate = None


class MemberChange(StoreModel):
    """The answer to a bulk member change: what actually changed."""

    member_count: int = 0
    added: int = 0
    removed: int = 0


class StatusDetail(StoreModel):
    code: Text = ""
    details: Text = ""


class CertificationReport(StoreModel):
    date: StoreDate = None
    report_url: Text = ""


class StatusDetails(StoreModel):
    errors: Annotated[list[StatusDetail], BeforeValidator(_list)] = Field(default_factory=list)
    warnings: Annotated[list[StatusDetail], BeforeValidator(_list)] = Field(default_factory=list)
    certification_reports: Annotated[list[CertificationReport], BeforeValidator(_list)] = Field(default_factory=list)


def _details(value: Any) -> Any:
    return {} if value is None else value


Details = Annotated[StatusDetails, BeforeValidator(_details)]


class SubmissionStatus(StoreModel):
    """`GET .../status` (and the commit answer, which has only `status`)."""

    status: Text = ""
    status_details: Details = Field(default_factory=StatusDetails)


class PackageRollout(StoreModel):
    is_package_rollout: bool = False
    package_rollout_percentage: float = 0.0
    package_rollout_status: Text = "PackageRolloutNotStarted"
    fallback_submission_id: Text = "0"


class PackageDeliveryOptions(StoreModel):
    package_rollout: PackageRollout | None = None
    is_mandatory_update: bool = False
    mandatory_update_effective_date: StoreDate = None


class Package(StoreModel):
    """An entry of `flightPackages` / `applicationPackages`. Build a new one with just `file_name`."""

    id: Text = ""
    file_name: Text = ""
    file_status: Text = "PendingUpload"
    version: Text = ""
    architecture: Text = ""
    languages: TextList = Field(default_factory=list)
    capabilities: TextList = Field(default_factory=list)
    minimum_direct_x_version: Text = "None"
    minimum_system_ram: Text = "None"
    target_device_families: TextList = Field(default_factory=list)
    # storeflight only: a bundle's application payloads' architectures (None for single packages).
    architectures: TextList | None = None


_PACKAGES = AliasChoices("applicationPackages", "flightPackages", "application_packages")


class Submission(StoreModel):
    """A flight submission or an app submission.

    `application_packages` holds the packages of either kind (`flightPackages` for a flight submission);
    `flight_packages` is the same list under the other name. `to_body()` writes them under the key the
    server used.
    """

    id: Text = ""
    status: Text = ""
    status_details: Details = Field(default_factory=StatusDetails)
    flight_id: str | None = None
    application_packages: Annotated[list[Package], BeforeValidator(_list)] = Field(
        default_factory=list, validation_alias=_PACKAGES, serialization_alias="applicationPackages"
    )
    package_delivery_options: PackageDeliveryOptions | None = None
    target_publish_mode: Text = "Immediate"
    target_publish_date: StoreDate = None
    file_upload_url: str | None = None
    notes_for_certification: Text = ""
    friendly_name: str | None = None

    @property
    def flight_packages(self) -> list[Package]:
        return self.application_packages

    @property
    def packages_key(self) -> str:
        """`flightPackages` for a flight submission, `applicationPackages` otherwise."""
        if "flightPackages" in self.raw or (self.flight_id and "applicationPackages" not in self.raw):
            return "flightPackages"
        return "applicationPackages"

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        packages = body.pop("applicationPackages", None)
        if packages is not None:
            body[self.packages_key] = packages
        return body

    def rollout(self) -> PackageRollout:
        """The delivery options' rollout settings, created (empty) if the submission had none."""
        if self.package_delivery_options is None:
            self.package_delivery_options = PackageDeliveryOptions()
        if self.package_delivery_options.package_rollout is None:
            self.package_delivery_options.package_rollout = PackageRollout()
        return self.package_delivery_options.package_rollout


T = TypeVar("T")


class Page(StoreModel, Generic[T]):
    """One page of a list: `value`, `totalCount` (of the whole list) and `@nextLink` while more remain."""

    value: Annotated[list[T], BeforeValidator(_list)] = Field(default_factory=list)
    total_count: int = 0
    next_link: str | None = Field(default=None, alias="@nextLink")


class SubmissionSummary(StoreModel):
    """One entry of a line's submission list (storeflight extension): the pending one, then the published."""

    id: Text = ""
    status: Text = ""
    created_date: StoreDate = None
    published_date: StoreDate = None
    packages: list[Package] = Field(default_factory=list)
    package_rollout: PackageRollout = Field(default_factory=PackageRollout)


class DeliveredPackage(StoreModel):
    id: Text = ""
    file_name: Text = ""
    version: Text = ""
    architecture: Text = ""
    size: int = 0
    sha256: Text = ""
    download_url: Text = ""
    download_url_expiry: StoreDate = None


class DeliveryExplanation(StoreModel):
    flights: TextList = Field(default_factory=list)
    chosen_flight: str | None = None
    bucket: int | None = None
    threshold: int | None = None
    in_rollout: bool | None = None
    notes: TextList = Field(default_factory=list)
    bucket_scale: int = 1_000_000


class DeliveryAnswer(StoreModel):
    """What `GET applications/{id}/delivery` (storeflight extension) decided for one device."""

    application_id: Text = ""
    customer_id: Text = ""
    submission_id: str | None = None
    source: Text = ""
    flight_id: str | None = None
    reason: Text = ""
    packages: Annotated[list[DeliveredPackage], BeforeValidator(_list)] = Field(default_factory=list)
    is_mandatory_update: bool = False
    mandatory_update_effective_date: StoreDate = None
    explanation: DeliveryExplanation | None = None


class HealthCounts(StoreModel):
    """Exact device-report counts; `devices` are distinct devices (now, or in the hour for a series entry)."""

    devices: int = 0
    device_hours: int = 0
    installs: int = 0
    update_failures: int = 0
    launches: int = 0
    crashes: int = 0
    heartbeats: int = 0
    crash_rate: float | None = None
    update_failure_rate: float | None = None


class HealthVersion(HealthCounts):
    version: Text = ""
    submission_id: str | None = None


class HealthCohort(HealthCounts):
    cohort: Text = ""  # rollout, fallback, or all (no rollout in progress)
    versions: Annotated[list[HealthVersion], BeforeValidator(_list)] = Field(default_factory=list)


class HealthAdoption(StoreModel):
    version: Text = ""
    submission_id: str | None = None
    devices: int = 0
    share: float | None = None


class HealthHour(HealthCounts):
    hour: StoreDate = None
    cohort: Text = ""


class RolloutHealth(StoreModel):
    """What `GET .../rollouthealth` (storeflight extension) counts from device reports for a line's rollout."""

    application_id: Text = ""
    flight_id: str | None = None
    submission_id: str | None = None
    fallback_submission_id: str | None = None
    is_package_rollout: bool = False
    package_rollout_percentage: float = 0.0
    package_rollout_status: str | None = None
    hours: int = 0
    devices: int = 0
    cohorts: Annotated[list[HealthCohort], BeforeValidator(_list)] = Field(default_factory=list)
    adoption: Annotated[list[HealthAdoption], BeforeValidator(_list)] = Field(default_factory=list)
    series: Annotated[list[HealthHour], BeforeValidator(_list)] = Field(default_factory=list)

    def cohort(self, name: str) -> HealthCohort | None:
        return next((c for c in self.cohorts if c.cohort == name), None)
