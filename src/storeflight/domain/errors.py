"""Domain errors. Services raise only these; the HTTP layer maps them to responses in one place.

StoreflightError
├── NotFound                  unknown (or another tenant's) app, flight, group or submission
├── InvalidParameterValue     the request is malformed or a value is out of range
├── InvalidOperation          the operation is not allowed for this resource at all
│   └── NotCreatedThroughApi  the submission was made in "Partner Center" (not through the API)
├── InvalidState              the resource is in the wrong state for the operation
│   └── ApprovalRequired      an approval rule guards the action: it waits as a pending change
├── QuotaExceeded             the tenant would keep more than one of its quotas allows
├── Unauthorized              missing, invalid, expired or revoked credentials
├── Forbidden                 valid credentials, but not for this resource
├── Throttled                 too many requests for now; retry after `retry_after` seconds
├── Unavailable               the service cannot take the request at this time; retry later
├── ServiceError              an internal failure; clients may retry
└── StorageFull               the disk is full (or at its free-space floor); retry after some is freed
"""

from __future__ import annotations


class StoreflightError(Exception):
    """Base of every error the service reports to a client."""

    code = "Other"
    target = "submission"

    def __init__(self, message: str, *, target: str | None = None, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if target is not None:
            self.target = target
        self.details = details or []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, target={self.target!r})"


class NotFound(StoreflightError):
    """The resource does not exist, or belongs to another tenant."""

    code = "ResourceNotFound"


class InvalidParameterValue(StoreflightError):
    """A request parameter or body value is invalid."""

    code = "InvalidParameterValue"


class InvalidOperation(StoreflightError):
    """The operation is not valid for this resource."""

    code = "InvalidOperation"


class NotCreatedThroughApi(InvalidOperation):
    """The submission was not created through the API, so the API may not change it."""

    target = "applicationSubmission"

    def __init__(self) -> None:
        super().__init__(
            "Ingestion API can only update, delete, and commit submissions that are created through the API. "
            "Please delete the current in-progress submission and create one using the API"
        )


class InvalidState(StoreflightError):
    """The resource is in a state that does not allow the operation."""

    code = "InvalidState"


class ApprovalRequired(InvalidState):
    """An approval rule guards the action: nothing was done, and the action now waits as a pending change.

    `keeps_writes`: the transaction that raises it still commits (the pending change it recorded stays)."""

    target = "approval"
    keeps_writes = True

    def __init__(self, message: str, *, rule_ids: list[str], change_id: str) -> None:
        super().__init__(message, details=[*(f"rule={r}" for r in rule_ids), f"pendingChange={change_id}"])
        self.rule_ids, self.change_id = rule_ids, change_id


class QuotaExceeded(StoreflightError):
    """Adding this would take the tenant past one of its quotas (`quota`, with its `limit`)."""

    code = "QuotaExceeded"
    target = "quota"

    def __init__(self, quota: str, limit: int, used: int, adding: int) -> None:
        super().__init__(
            f"The {quota} quota of this tenant is {limit}: {used} in use, so {adding} more do not fit.",
            details=[f"quota={quota}", f"limit={limit}", f"used={used}"],
        )
        self.quota, self.limit, self.used = quota, limit, used


class Unauthorized(StoreflightError):
    """Credentials are missing, invalid, expired or revoked."""

    code = "Unauthorized"
    target = "authorization"


class Forbidden(StoreflightError):
    """The credentials are valid, but not for this resource (a delivery key of another app)."""

    code = "Forbidden"
    target = "authorization"


class Throttled(StoreflightError):
    """The caller sent more requests than its rate allows; nothing was done."""

    code = "RateLimitExceeded"
    target = "request"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Rate limit is exceeded. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


class Unavailable(StoreflightError):
    """The service cannot take the request at this time (nothing was done); `retry_after` seconds, if known."""

    code = "InvalidOperation"
    target = "request"

    def __init__(self, retry_after: int | None = None) -> None:
        super().__init__(
            "This operation cannot be completed at this time. Retry your operation using exponential backoff."
        )
        self.retry_after = retry_after


class ServiceError(StoreflightError):
    """An unexpected internal failure."""

    code = "ServiceError"
    target = "service"


class StorageFull(StoreflightError):
    """No room to store the change: the disk is full or at the free-space floor kept for deletes."""

    code = "ServiceUnavailable"
    target = "service"
    retry_after = 60  # seconds

    def __init__(self, message: str = "The server is out of storage space. Retry later.") -> None:
        super().__init__(message)
