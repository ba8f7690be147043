"""Domain objects to the Store's JSON shapes (store-api.md section 2)."""

from __future__ import annotations

from typing import Any

from storeflight.blobs.protocol import BlobStore
from storeflight.domain import dates
from storeflight.domain.models import Application, Package, PackageRollout, Submission
from storeflight.services.flights import FlightView
from storeflight.services.groups import GroupView


def reference(submission: Submission) -> dict[str, str]:
    """`{id, resourceLocation}`; flight submissions use the documented `flights/{f}/submissions/{s}` form."""
    if submission.flight_id:
        location = f"flights/{submission.flight_id}/submissions/{submission.id}"
    else:
        location = f"applications/{submission.app_id}/submissions/{submission.id}"
    return {"id": submission.id, "resourceLocation": location}


def application(app: Application, pending: Submission | None, published: Submission | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": app.id,
        "primaryName": app.primary_name,
        "packageFamilyName": app.family_name,
        "packageIdentityName": app.identity_name,
        "publisherName": app.publisher,
        "firstPublishedDate": dates.render(app.first_published_date),
        "hasAdvancedListingPermission": app.has_advanced_listing_permission,
    }
    if published is not None:
        body["lastPublishedApplicationSubmission"] = reference(published)
    if pending is not None:
        body["pendingApplicationSubmission"] = reference(pending)
    return body


def flight(view: FlightView) -> dict[str, Any]:
    body: dict[str, Any] = {
        "flightId": view.flight.id,
        "friendlyName": view.flight.friendly_name,
        "groupIds": list(view.flight.group_ids),
        "rankHigherThan": view.rank_higher_than,
    }
    if view.last_published is not None:
        body["lastPublishedFlightSubmission"] = reference(view.last_published)
    if view.pending is not None:
        body["pendingFlightSubmission"] = reference(view.pending)
    return body


def group(view: GroupView) -> dict[str, Any]:
    return {
        "id": view.group.id,
        "name": view.group.name,
        "memberCount": view.member_count,
        "createdDate": dates.render(view.group.created_at),
    }


def package(p: Package) -> dict[str, Any]:
    """A package entry; a bundle's also lists its application payloads' `architectures` (an extension)."""
    body = {
        "fileName": p.file_name,
        "fileStatus": p.file_status.value,
        "id": p.id,
        "version": p.version,
        "architecture": p.architecture,
        "languages": list(p.languages),
        "capabilities": list(p.capabilities),
        "targetDeviceFamilies": list(p.target_device_families),
        "minimumDirectXVersion": p.minimum_directx_version.value,
        "minimumSystemRam": p.minimum_system_ram.value,
    }
    if p.architectures:
        body["architectures"] = list(p.architectures)
    return body


def rollout(r: PackageRollout) -> dict[str, Any]:
    return {
        "isPackageRollout": r.is_package_rollout,
        "packageRolloutPercentage": r.percentage,
        "packageRolloutStatus": r.status.value,
        "fallbackSubmissionId": r.fallback_submission_id,
    }


def report_url(token: str, public_url: str) -> str:
    """Certification reports are stored by token; their URL is built for the caller's base URL."""
    return f"{public_url}/reports/{token}.html"


def status(s: Submission, public_url: str) -> dict[str, Any]:
    details = s.status_details
    return {
        "status": s.status.value,
        "statusDetails": {
            "errors": [{"code": d.code, "details": d.details} for d in details.errors],
            "warnings": [{"code": d.code, "details": d.details} for d in details.warnings],
            "certificationReports": [
                {"date": dates.render(r.date), "reportUrl": report_url(r.report_url, public_url)}
                for r in details.certification_reports
            ],
        },
    }


def submission(s: Submission, *, blobs: BlobStore, public_url: str) -> dict[str, Any]:
    packages = [package(p) for p in s.packages]
    body: dict[str, Any] = {"id": s.id}
    if s.flight_id:
        body["flightId"] = s.flight_id
    else:
        body.update(s.extra)
    body.update(status(s, public_url))
    body["flightPackages" if s.flight_id else "applicationPackages"] = packages
    body["packageDeliveryOptions"] = {
        "packageRollout": rollout(s.delivery.rollout),
        "isMandatoryUpdate": s.delivery.is_mandatory_update,
        "mandatoryUpdateEffectiveDate": dates.render(s.delivery.mandatory_update_effective_date),
    }
    body["targetPublishMode"] = s.target_publish_mode.value
    body["targetPublishDate"] = dates.render(s.target_publish_date)
    body["notesForCertification"] = s.notes_for_certification
    if s.origin.value == "api":  # Partner Center submissions have no upload URL (clients test for it)
        body["fileUploadUrl"] = blobs.upload_url(
            s.upload_blob_id, public_url=public_url, expires_at=s.upload_expires_at
        )
    return body


def history_item(s: Submission) -> dict[str, Any]:
    """One entry of a line's submission list: what it was and what it shipped (no upload URL)."""
    return {
        "id": s.id,
        "status": s.status.value,
        "createdDate": dates.render(s.created_at),
        "publishedDate": dates.render(s.published_at),
        "packages": [
            {"fileName": p.file_name, "version": p.version, "architecture": p.architecture}
            for p in s.packages
            if p.file_status.value != "PendingDelete"
        ],
        "packageRollout": rollout(s.delivery.rollout),
    }
