"""The compact JSON the audit history keeps of each kind of resource: what changed, never a secret or a hash
of one, never an upload URL (it carries a SAS signature)."""

from __future__ import annotations

from typing import Any

from storeflight.devices.model import DeliveryKey, DeviceSettings, DeviceUrl
from storeflight.domain.models import ApiClient, Application, Flight, FlightGroup, PackageRollout, Submission


def _time(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def app(value: Application) -> dict[str, Any]:
    return {"id": value.id, "primaryName": value.primary_name, "identityName": value.identity_name}


def flight(value: Flight) -> dict[str, Any]:
    return {
        "flightId": value.id,
        "applicationId": value.app_id,
        "friendlyName": value.friendly_name,
        "groupIds": list(value.group_ids),
        "rank": value.rank,
    }


def group(value: FlightGroup, member_count: int) -> dict[str, Any]:
    return {"id": value.id, "name": value.name, "memberCount": member_count}


def rollout(value: PackageRollout) -> dict[str, Any]:
    return {
        "isPackageRollout": value.is_package_rollout,
        "packageRolloutPercentage": value.percentage,
        "packageRolloutStatus": value.status.value,
        "fallbackSubmissionId": value.fallback_submission_id,
    }


def submission(value: Submission) -> dict[str, Any]:
    return {
        "id": value.id,
        "applicationId": value.app_id,
        "flightId": value.flight_id,
        "status": value.status.value,
        "packages": [
            {"fileName": p.file_name, "fileStatus": p.file_status.value, "version": p.version} for p in value.packages
        ],
        "packageRollout": rollout(value.delivery.rollout),
        "isMandatoryUpdate": value.delivery.is_mandatory_update,
        "targetPublishMode": value.target_publish_mode.value,
        "targetPublishDate": _time(value.target_publish_date),
        "notesForCertification": value.notes_for_certification,
    }


def client(value: ApiClient) -> dict[str, Any]:
    return {"clientId": value.client_id, "name": value.name, "revokedAt": _time(value.revoked_at)}


def delivery_key(value: DeliveryKey) -> dict[str, Any]:
    return {
        "id": value.id,
        "applicationId": value.app_id,
        "name": value.name,
        "ratePerMinute": value.rate_per_minute,
        "expiresAt": _time(value.expires_at),
        "revokedAt": _time(value.revoked_at),
    }


def device_url(value: DeviceUrl) -> dict[str, Any]:
    return {
        "id": value.id,
        "applicationId": value.app_id,
        "customerId": value.customer_id,
        "keyId": value.key_id,
        "revokedAt": _time(value.revoked_at),
    }


def device_settings(value: DeviceSettings) -> dict[str, Any]:
    return {
        "applicationId": value.app_id,
        "public": value.public,
        "hoursBetweenUpdateChecks": value.hours_between_update_checks,
        "automaticBackgroundTask": value.automatic_background_task,
        "forceUpdateFromAnyVersion": value.force_update_from_any_version,
    }
