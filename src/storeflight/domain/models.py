"""Domain entities. Plain pydantic models: serialisable, validated, with no HTTP or SQL knowledge."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from storeflight.domain.lifecycle import Status


class Entity(BaseModel):
    model_config = ConfigDict(validate_assignment=False, extra="forbid")


class Origin(StrEnum):
    """Who created a submission. Only API-created submissions may be changed through the API."""

    API = "api"
    PORTAL = "portal"


class FileStatus(StrEnum):
    NONE = "None"
    PENDING_UPLOAD = "PendingUpload"
    UPLOADED = "Uploaded"
    PENDING_DELETE = "PendingDelete"


class PublishMode(StrEnum):
    IMMEDIATE = "Immediate"
    MANUAL = "Manual"
    SPECIFIC_DATE = "SpecificDate"


class RolloutStatus(StrEnum):
    NOT_STARTED = "PackageRolloutNotStarted"
    IN_PROGRESS = "PackageRolloutInProgress"
    COMPLETE = "PackageRolloutComplete"
    STOPPED = "PackageRolloutStopped"


class DirectXVersion(StrEnum):
    NONE = "None"
    DIRECTX93 = "DirectX93"
    DIRECTX100 = "DirectX100"


class SystemRam(StrEnum):
    NONE = "None"
    MEMORY2GB = "Memory2GB"


class ApiClient(Entity):
    client_id: str
    tenant_id: str
    name: str
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None


class Application(Entity):
    id: str
    tenant_id: str
    primary_name: str
    identity_name: str
    publisher: str
    family_name: str
    first_published_date: datetime | None = None
    has_advanced_listing_permission: bool = False
    unsupported_features: bool = False
    created_at: datetime


class Fault(Entity):
    """A failure an operator asked for: the app's next submission to reach `stage` fails with `code`."""

    id: int
    app_id: str
    stage: Status
    code: str
    details: str


class FlightGroup(Entity):
    id: str
    tenant_id: str
    name: str
    created_at: datetime


class Flight(Entity):
    id: str
    tenant_id: str
    app_id: str
    friendly_name: str
    group_ids: list[str]
    rank: int
    created_at: datetime


class Package(Entity):
    file_name: str
    file_status: FileStatus
    id: str = ""
    version: str = ""
    architecture: str = ""
    languages: list[str] = Field(default_factory=list)
    capabilities: list[str] = Field(default_factory=list)
    target_device_families: list[str] = Field(default_factory=list)
    minimum_directx_version: DirectXVersion = DirectXVersion.NONE
    minimum_system_ram: SystemRam = SystemRam.NONE
    # Filled in by ingestion, not part of the Store's wire shape: what delivery hands out.
    size: int = 0
    sha256: str = ""
    device_families: list[tuple[str, str]] = Field(default_factory=list)
    # The architectures the package covers: a bundle's application payloads', else empty (its own).
    architectures: list[str] = Field(default_factory=list)
    # The framework packages it needs (name, publisher, minimum version): for App Installer files.
    dependencies: list[tuple[str, str, str]] = Field(default_factory=list)


class PackageRollout(Entity):
    is_package_rollout: bool = False
    percentage: float = 0.0
    status: RolloutStatus = RolloutStatus.NOT_STARTED
    fallback_submission_id: str = "0"


class DeliveryOptions(Entity):
    rollout: PackageRollout = Field(default_factory=PackageRollout)
    is_mandatory_update: bool = False
    mandatory_update_effective_date: datetime | None = None


class StatusDetail(Entity):
    code: str
    details: str


class CertificationReport(Entity):
    date: datetime
    report_url: str


class StatusDetails(Entity):
    errors: list[StatusDetail] = Field(default_factory=list)
    warnings: list[StatusDetail] = Field(default_factory=list)
    certification_reports: list[CertificationReport] = Field(default_factory=list)


class Submission(Entity):
    """A flight submission (flight_id set) or an app's non-flighted submission (flight_id None)."""

    id: str
    tenant_id: str
    app_id: str
    flight_id: str | None
    status: Status
    origin: Origin
    packages: list[Package] = Field(default_factory=list)
    delivery: DeliveryOptions = Field(default_factory=DeliveryOptions)
    target_publish_mode: PublishMode = PublishMode.IMMEDIATE
    target_publish_date: datetime | None = None
    notes_for_certification: str = ""
    status_details: StatusDetails = Field(default_factory=StatusDetails)
    upload_blob_id: str
    upload_expires_at: datetime
    # App submissions: every field beyond the package and publishing ones, stored and returned as sent.
    extra: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    published_at: datetime | None = None
    # The pipeline's schedule: when it next looks at this submission (None: nothing to do, or waiting for a
    # manual publish), and when a Manual-mode submission was released for publishing.
    next_run_at: datetime | None = None
    release_approved_at: datetime | None = None
    # Orders customers inside a gradual rollout (their bucket is a hash of customer id and seed). A submission
    # created after a halt inherits the halted one's seed, so customers are offered it in the same order.
    rollout_seed: str = ""

    @property
    def parent_key(self) -> str:
        """The flight or app this submission is "the pending one" of."""
        return f"flight:{self.flight_id}" if self.flight_id else f"app:{self.app_id}"
