"""A typed Python client for the Microsoft Store submission API and for storeflight servers.

`StoreClient` (blocking) and `AsyncStoreClient` (asyncio) have the same methods, one per endpoint. See
docs/client.md.
"""

from storeflight.client.aio import AsyncStoreClient
from storeflight.client.config import ClientConfig
from storeflight.client.errors import (
    AuthError,
    ConflictError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    ServerError,
    StoreError,
    SubmissionFailed,
    ThrottledError,
    WaitTimeout,
)
from storeflight.client.models import (
    Application,
    CertificationReport,
    DeliveredPackage,
    DeliveryAnswer,
    DeliveryExplanation,
    Flight,
    FlightGroup,
    MemberChange,
    Package,
    PackageDeliveryOptions,
    PackageRollout,
    Page,
    RolloutHealth,
    StatusDetail,
    StatusDetails,
    Submission,
    SubmissionRef,
    SubmissionStatus,
    SubmissionSummary,
)
from storeflight.client.sync import StoreClient
from storeflight.client.updater import DeviceEndpoint, Offer, Outcome, UpdateError, Updater
from storeflight.client.upload import build_package_zip
from storeflight.client.wait import FINAL_STATES

__all__ = [
    "FINAL_STATES",
    "Application",
    "AsyncStoreClient",
    "AuthError",
    "CertificationReport",
    "ClientConfig",
    "ConflictError",
    "DeliveredPackage",
    "DeliveryAnswer",
    "DeliveryExplanation",
    "DeviceEndpoint",
    "Flight",
    "FlightGroup",
    "InvalidRequestError",
    "MemberChange",
    "NetworkError",
    "NotFoundError",
    "Offer",
    "Outcome",
    "Package",
    "PackageDeliveryOptions",
    "PackageRollout",
    "Page",
    "RolloutHealth",
    "ServerError",
    "StatusDetail",
    "StatusDetails",
    "StoreClient",
    "StoreError",
    "Submission",
    "SubmissionFailed",
    "SubmissionRef",
    "SubmissionStatus",
    "SubmissionSummary",
    "ThrottledError",
    "UpdateError",
    "Updater",
    "WaitTimeout",
    "build_package_zip",
]
