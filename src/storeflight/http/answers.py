"""The bodies the server answers with, as models for the OpenAPI document, and which operation sends which.

Documentation only: `render.py`, the token service, the delivery endpoint and the reports build the bodies.
`tests/http/test_answers.py` validates real answers of a live server against these schemas, so they cannot
drift from what is sent.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from storeflight.domain.lifecycle import Status
from storeflight.domain.models import DirectXVersion, FileStatus, PublishMode, RolloutStatus, SystemRam

_DATE = (
    "ISO 8601 in UTC with seven fractional digits, e.g. 2016-06-17T21:29:44.0000000Z; "
    "1601-01-01T00:00:00.0000000Z means unset."
)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SubmissionRef(_Answer):
    id: str
    resourceLocation: str = Field(description="Relative to /v1.0/my/.")


class Application(_Answer):
    id: str
    primaryName: str
    packageFamilyName: str
    packageIdentityName: str
    publisherName: str
    firstPublishedDate: str = Field(description=_DATE)
    hasAdvancedListingPermission: bool
    lastPublishedApplicationSubmission: SubmissionRef | None = Field(None, description="Absent before the first.")
    pendingApplicationSubmission: SubmissionRef | None = Field(None, description="Absent when none is pending.")


class Flight(_Answer):
    flightId: str
    friendlyName: str
    groupIds: list[str]
    rankHigherThan: str | None = Field(description="The name of the flight ranked immediately lower, or null.")
    lastPublishedFlightSubmission: SubmissionRef | None = Field(None, description="Absent before the first.")
    pendingFlightSubmission: SubmissionRef | None = Field(None, description="Absent when none is pending.")


class Group(_Answer):
    """A flight group (storeflight extension)."""

    id: str
    name: str
    memberCount: int
    createdDate: str = Field(description=_DATE)


class MemberChange(_Answer):
    memberCount: int
    added: int = Field(description="Members that were not in the group before.")
    removed: int = Field(description="Members that were in the group before.")


class Package(_Answer):
    fileName: str
    fileStatus: FileStatus
    id: str
    version: str
    architecture: str
    languages: list[str]
    capabilities: list[str]
    targetDeviceFamilies: list[str]
    minimumDirectXVersion: DirectXVersion
    minimumSystemRam: SystemRam
    architectures: list[str] | None = Field(
        None, description="Bundles only (storeflight extension): the architectures of its application payloads."
    )


class PackageRollout(_Answer):
    isPackageRollout: bool
    packageRolloutPercentage: float
    packageRolloutStatus: RolloutStatus
    fallbackSubmissionId: str = Field(description='"0" when there is none.')


class DeliveryOptions(_Answer):
    packageRollout: PackageRollout
    isMandatoryUpdate: bool
    mandatoryUpdateEffectiveDate: str = Field(description=_DATE)


class StatusDetail(_Answer):
    code: str
    details: str


class CertificationReportLink(_Answer):
    date: str = Field(description=_DATE)
    reportUrl: str


class StatusDetails(_Answer):
    errors: list[StatusDetail]
    warnings: list[StatusDetail]
    certificationReports: list[CertificationReportLink]


class SubmissionStatus(_Answer):
    status: Status
    statusDetails: StatusDetails


class _Submission(_Answer):
    id: str
    status: Status
    statusDetails: StatusDetails
    packageDeliveryOptions: DeliveryOptions
    targetPublishMode: PublishMode
    targetPublishDate: str = Field(description=_DATE)
    notesForCertification: str
    fileUploadUrl: str | None = Field(
        None, description="Where to upload the ZIP of new packages (absent for submissions made in Partner Center)."
    )


class FlightSubmission(_Submission):
    flightId: str
    flightPackages: list[Package]


class AppSubmission(_Submission):
    """An app's submission; every other field (listings, pricing, ...) is returned as it was sent."""

    model_config = ConfigDict(extra="allow")
    applicationPackages: list[Package]


class CommitAnswer(_Answer):
    status: Status


class ShippedPackage(_Answer):
    fileName: str
    version: str
    architecture: str


class SubmissionSummary(_Answer):
    """One entry of a line's submission list (storeflight extension)."""

    id: str
    status: Status
    createdDate: str = Field(description=_DATE)
    publishedDate: str = Field(description=_DATE)
    packages: list[ShippedPackage]
    packageRollout: PackageRollout


Item = TypeVar("Item")


class Page(_Answer, Generic[Item]):
    value: list[Item]
    totalCount: int
    nextLink: str | None = Field(
        None, alias="@nextLink", description="The next page, relative to /v1.0/my/; absent on the last page."
    )


class Health(_Answer):
    status: str


class Readiness(_Answer):
    status: Literal["ready", "unready"]
    checks: dict[str, str] = Field(
        description="database, migrations, blobs and (with --warm-delivery) delivery: 'ok' or why not."
    )
    failing: list[str] = Field(description="The checks that are not 'ok'.")


class TokenV1(_Answer):
    token_type: str
    expires_in: str = Field(description="Seconds, as a string (Azure AD v1).")
    ext_expires_in: str
    expires_on: str = Field(description="Unix time, as a string.")
    not_before: str
    resource: str
    access_token: str


class TokenV2(_Answer):
    token_type: str
    expires_in: int
    ext_expires_in: int
    access_token: str


class OpenIdConfiguration(_Answer):
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    token_endpoint_auth_methods_supported: list[str]
    response_types_supported: list[str]
    subject_types_supported: list[str]
    id_token_signing_alg_values_supported: list[str]
    tenant_region_scope: str


class InstanceMetadata(_Answer):
    preferred_network: str
    preferred_cache: str
    aliases: list[str]


class InstanceDiscovery(_Answer):
    tenant_discovery_endpoint: str
    api_version: str = Field(alias="api-version")
    metadata: list[InstanceMetadata]


class Check(_Answer):
    name: str
    result: str = Field(description="Passed, Warning or Failed.")
    details: str


class CertificationReport(_Answer):
    """A certification report at its reportUrl (storeflight extension)."""

    submissionId: str
    applicationId: str
    flightId: str | None
    date: str = Field(description="ISO 8601.")
    result: str = Field(description="Passed, PassedWithNotes or Failed.")
    checks: list[Check]


class DeliveredPackage(_Answer):
    id: str
    fileName: str
    version: str
    architecture: str
    size: int
    sha256: str
    downloadUrl: str
    downloadUrlExpiry: str = Field(description=_DATE)


class Explanation(_Answer):
    flights: list[str] = Field(description="Ids of the customer's flights, highest rank first.")
    chosenFlight: str | None
    bucket: int | None
    threshold: int | None
    inRollout: bool | None
    notes: list[str]
    bucketScale: int


class Delivery(_Answer):
    """Which packages a customer's device gets, and why (storeflight extension)."""

    applicationId: str
    customerId: str
    submissionId: str | None
    source: str
    flightId: str | None
    reason: str
    packages: list[DeliveredPackage]
    isMandatoryUpdate: bool
    mandatoryUpdateEffectiveDate: str = Field(description=_DATE)
    explanation: Explanation | None = Field(None, description="With explain=true only.")


class RefusedEvent(_Answer):
    index: int = Field(description="The event's position in the batch.")
    id: str | None
    reason: str


class DeviceReports(_Answer):
    """What a batch of device reports counted (storeflight extension)."""

    accepted: int
    duplicates: int = Field(description="Events whose id this device had reported before.")
    refused: list[RefusedEvent]


class HealthTotals(_Answer):
    devices: int
    deviceHours: int
    installs: int
    updateFailures: int
    launches: int
    crashes: int
    heartbeats: int
    crashRate: float | None = Field(description="Crashes per launch; null without launches.")
    updateFailureRate: float | None


class VersionHealth(HealthTotals):
    version: str
    submissionId: str | None


class CohortHealth(HealthTotals):
    cohort: Literal["rollout", "fallback", "all"]
    versions: list[VersionHealth]


class Adoption(_Answer):
    version: str
    submissionId: str | None
    devices: int
    share: float | None


class HourHealth(HealthTotals):
    hour: str = Field(description=_DATE)
    cohort: Literal["rollout", "fallback", "all"]


class RolloutHealth(_Answer):
    """Device-report health of a line's rollout, per cohort and version (storeflight extension)."""

    applicationId: str
    flightId: str | None
    submissionId: str | None
    fallbackSubmissionId: str | None
    isPackageRollout: bool
    packageRolloutPercentage: float
    packageRolloutStatus: RolloutStatus | None
    hours: int
    devices: int
    cohorts: list[CohortHealth]
    adoption: list[Adoption]
    series: list[HourHealth]


class AuditActor(_Answer):
    kind: Literal["client", "delivery_key", "console", "admin", "server"]
    id: str
    display: str | None


class AuditRecord(_Answer):
    """One record of the tenant's audit history (storeflight extension): its hashed content and its hash."""

    tenantId: str
    seq: int = Field(description="1, 2, 3... in the order of the tenant's chain")
    at: str = Field(description="ISO 8601 in UTC with six fractional digits")
    actor: AuditActor
    action: str = Field(description="e.g. flight.update, rollout.halt, submission.status")
    resourceType: str
    resourceId: str
    before: Any = Field(description="The resource before the change (compact JSON), null for a creation")
    after: Any = Field(description="The resource after the change (compact JSON), null for a deletion")
    correlationId: str | None = Field(description="The MS-CorrelationId of the request that made the change")
    reason: str | None
    prevHash: str = Field(description="The previous record's hash (64 zeros for the first)")
    hash: str = Field(description="SHA-256 of the canonical JSON of every other field")


MODELS: dict[str, type[BaseModel]] = {
    "Application": Application,
    "ApplicationPage": Page[Application],
    "Flight": Flight,
    "FlightPage": Page[Flight],
    "Group": Group,
    "GroupPage": Page[Group],
    "MemberPage": Page[str],
    "MemberChange": MemberChange,
    "FlightSubmission": FlightSubmission,
    "AppSubmission": AppSubmission,
    "SubmissionSummaryPage": Page[SubmissionSummary],
    "SubmissionStatus": SubmissionStatus,
    "CommitAnswer": CommitAnswer,
    "PackageRollout": PackageRollout,
    "Health": Health,
    "Readiness": Readiness,
    "TokenV1": TokenV1,
    "TokenV2": TokenV2,
    "OpenIdConfiguration": OpenIdConfiguration,
    "InstanceDiscovery": InstanceDiscovery,
    "CertificationReport": CertificationReport,
    "Delivery": Delivery,
    "DeviceReports": DeviceReports,
    "RolloutHealth": RolloutHealth,
    "AuditPage": Page[AuditRecord],
}


def _submission_answers(base: str, submission: str) -> dict[tuple[str, str], str]:
    one = f"{base}/{{submission_id}}"
    answers = {
        (base, "post"): submission,
        (base, "get"): "SubmissionSummaryPage",
        (one, "get"): submission,
        (one, "put"): submission,
        (f"{one}/status", "get"): "SubmissionStatus",
        (f"{one}/commit", "post"): "CommitAnswer",
        (f"{one}/publish", "post"): "CommitAnswer",
        (f"{one}/packagerollout", "get"): "PackageRollout",
    }
    for action in ("updatepackagerolloutpercentage", "haltpackagerollout", "finalizepackagerollout"):
        answers[(f"{one}/{action}", "post")] = "PackageRollout"
    return answers


_APP = "/v1.0/my/applications/{application_id}"
_GROUP = "/v1.0/my/flightgroups/{group_id}"
# (path, method) -> the model of its success answer (204s and the HTML report need none).
SUCCESS: dict[tuple[str, str], str] = {
    ("/healthz", "get"): "Health",
    ("/readyz", "get"): "Readiness",
    ("/v1.0/my/applications", "get"): "ApplicationPage",
    (_APP, "get"): "Application",
    (f"{_APP}/listflights", "get"): "FlightPage",
    (f"{_APP}/flights", "post"): "Flight",
    (f"{_APP}/flights/{{flight_id}}", "get"): "Flight",
    (f"{_APP}/flights/{{flight_id}}", "put"): "Flight",
    **_submission_answers(f"{_APP}/flights/{{flight_id}}/submissions", "FlightSubmission"),
    **_submission_answers(f"{_APP}/submissions", "AppSubmission"),
    (f"{_APP}/delivery", "get"): "Delivery",
    (f"{_APP}/rollouthealth", "get"): "RolloutHealth",
    (f"{_APP}/flights/{{flight_id}}/rollouthealth", "get"): "RolloutHealth",
    ("/devices/v1/apps/{app_id}/reports", "post"): "DeviceReports",
    ("/devices/v1/d/{token}/reports", "post"): "DeviceReports",
    ("/v1.0/my/history", "get"): "AuditPage",
    ("/v1.0/my/flightgroups", "get"): "GroupPage",
    ("/v1.0/my/flightgroups", "post"): "Group",
    (_GROUP, "get"): "Group",
    (_GROUP, "put"): "Group",
    (f"{_GROUP}/members", "get"): "MemberPage",
    (f"{_GROUP}/members", "post"): "MemberChange",
    ("/{tenant}/oauth2/token", "post"): "TokenV1",
    ("/{tenant}/oauth2/v2.0/token", "post"): "TokenV2",
    ("/{tenant}/v2.0/.well-known/openid-configuration", "get"): "OpenIdConfiguration",
    ("/{tenant}/.well-known/openid-configuration", "get"): "OpenIdConfiguration",
    ("/common/discovery/instance", "get"): "InstanceDiscovery",
    ("/reports/{token}.json", "get"): "CertificationReport",
}


def component_schemas(ref_template: str) -> dict[str, Any]:
    """Every answer model's JSON schema (and the schemas they refer to), keyed by component name."""
    components: dict[str, Any] = {}
    for name, model in MODELS.items():
        schema = model.model_json_schema(ref_template=ref_template, by_alias=True, mode="serialization")
        components.update(schema.pop("$defs", {}))
        schema["title"] = name
        components[name] = schema
    return components
