"""What publishing does to a submission."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storeflight.domain.lifecycle import Status
from storeflight.domain.models import (
    DeliveryOptions,
    FileStatus,
    Origin,
    Package,
    PackageRollout,
    RolloutStatus,
    Submission,
)
from storeflight.domain.submissions import Identity, fresh
from storeflight.pipeline.publish import published

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _submission(n: int, *, rollout: bool = False) -> Submission:
    identity = Identity(
        id=str(n),
        tenant_id="t",
        app_id="A",
        flight_id="f",
        origin=Origin.API,
        upload_blob_id="b",
        upload_expires_at=NOW + timedelta(days=1),
        now=NOW,
    )
    sub = fresh(identity).model_copy(
        update={
            "status": Status.PUBLISHING,
            "packages": [
                Package(file_name="new.msix", file_status=FileStatus.PENDING_UPLOAD, id="1", version="2.0.0.0"),
                Package(file_name="keep.msix", file_status=FileStatus.UPLOADED, id="2", version="1.0.0.0"),
                Package(file_name="old.msix", file_status=FileStatus.PENDING_DELETE, id="3", version="0.9.0.0"),
            ],
        }
    )
    if rollout:
        sub = sub.model_copy(
            update={
                "delivery": sub.delivery.model_copy(
                    update={"rollout": PackageRollout(is_package_rollout=True, percentage=25.0)}
                )
            }
        )
    return sub


def test_packages_settle_and_the_submission_is_published() -> None:
    result = published(_submission(1), now=NOW, fallback=None)
    assert result.status == Status.PUBLISHED and result.published_at == NOW and result.next_run_at is None
    assert [(p.file_name, p.file_status) for p in result.packages] == [
        ("new.msix", FileStatus.UPLOADED),
        ("keep.msix", FileStatus.UPLOADED),
    ]
    assert result.delivery.rollout == PackageRollout()


def test_a_gradual_rollout_starts_with_the_fallback_submission() -> None:
    previous = _submission(7)
    result = published(_submission(8, rollout=True), now=NOW, fallback=previous)
    assert result.delivery.rollout == PackageRollout(
        is_package_rollout=True, percentage=25.0, status=RolloutStatus.IN_PROGRESS, fallback_submission_id="7"
    )


def test_a_first_rollout_without_fallback_reports_zero() -> None:
    result = published(_submission(8, rollout=True), now=NOW, fallback=None)
    assert result.delivery.rollout.fallback_submission_id == "0"


def test_publishing_fixes_the_rollout_seed_once() -> None:
    assert published(_submission(8, rollout=True), now=NOW, fallback=None).rollout_seed == "8"
    inherited = _submission(9, rollout=True).model_copy(update={"rollout_seed": "from-halted"})
    assert published(inherited, now=NOW, fallback=None).rollout_seed == "from-halted"


def _with_rollout(sub: Submission, status: RolloutStatus) -> Submission:
    rollout = PackageRollout(is_package_rollout=True, status=status, fallback_submission_id="6")
    return sub.model_copy(update={"delivery": DeliveryOptions(rollout=rollout)})


def test_after_a_halt_the_fallback_is_what_the_halted_one_fell_back_to() -> None:
    def fallback_after(previous: Submission) -> str:
        result = published(_submission(8, rollout=True), now=NOW, fallback=previous)
        return result.delivery.rollout.fallback_submission_id

    assert fallback_after(_with_rollout(_submission(7), RolloutStatus.STOPPED)) == "6"
    assert fallback_after(_with_rollout(_submission(7), RolloutStatus.COMPLETE)) == "7"
