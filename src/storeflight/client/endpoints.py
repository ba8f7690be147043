"""Every endpoint as data: what to send and how to read the answer (no I/O here).

Each function returns a `Call`; the sync and the async client only send it, so the two never drift apart.
Paths are relative to the API root (`.../v1.0/my/`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, quote, urlsplit

from storeflight.client.models import (
    Application,
    DeliveryAnswer,
    Flight,
    FlightGroup,
    MemberChange,
    PackageRollout,
    Page,
    RolloutHealth,
    Submission,
    SubmissionStatus,
    SubmissionSummary,
)

R = TypeVar("R")
X = TypeVar("X")
DEFAULT_PAGE = 100
_ROOT = "/v1.0/my/"


@dataclass(frozen=True)
class Call(Generic[R]):
    """One request: method, path (relative to the API root), query, JSON body, how to read the answer.

    `idempotent` calls may be retried after a network error or a 5xx; every call may be retried on 429 and 503
    (the server did not act on it).
    """

    method: str
    path: str
    parse: Callable[[Any], R]
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    idempotent: bool = False
    what: str = ""


def _nothing(_: Any) -> None:
    return None


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def get(path: str, parse: Callable[[Any], R], what: str, **params: str) -> Call[R]:
    return Call("GET", path, parse, params=params, idempotent=True, what=what)


def link(next_link: str, parse: Callable[[Any], R], what: str) -> Call[R]:
    """A `GET` of an `@nextLink` (relative to the API root, or absolute)."""
    parts = urlsplit(next_link)
    path = parts.path
    if parts.scheme or path.startswith("/"):
        path = path.split(_ROOT, 1)[-1] if _ROOT in path else path.lstrip("/")
    return Call("GET", path, parse, params=dict(parse_qsl(parts.query)), idempotent=True, what=what)


class Pager(Generic[X]):
    """Walks a paged list: follows `@nextLink`, else `skip` + items read, until an empty page or the end.

    `make(skip)` builds the call for a page. StoreBroker-style servers that leave `@nextLink` out are covered
    by `totalCount`; a repeated link ends the walk rather than looping.
    """

    def __init__(self, make: Callable[[int], Call[Page[X]]]) -> None:
        self.make = make
        self.read = 0
        self.seen: set[str] = set()

    def first(self) -> Call[Page[X]]:
        return self.make(0)

    def next(self, page: Page[X]) -> Call[Page[X]] | None:
        if not page.value:
            return None
        self.read += len(page.value)
        if page.next_link:
            if page.next_link in self.seen:
                return None
            self.seen.add(page.next_link)
            first = self.make(0)
            return link(page.next_link, first.parse, first.what)
        if self.read < page.total_count:
            return self.make(self.read)
        return None


# applications


def list_applications(skip: int = 0, top: int = 10) -> Call[Page[Application]]:
    return get("applications", Page[Application].from_json, "list applications", skip=str(skip), top=str(top))


def get_application(app_id: str) -> Call[Application]:
    return get(f"applications/{_seg(app_id)}", Application.from_json, "get application")


# flights


def list_flights(app_id: str, skip: int = 0, top: int = DEFAULT_PAGE) -> Call[Page[Flight]]:
    path = f"applications/{_seg(app_id)}/listflights"
    return get(path, Page[Flight].from_json, "list flights", skip=str(skip), top=str(top))


def _flight(app_id: str, flight_id: str) -> str:
    return f"applications/{_seg(app_id)}/flights/{_seg(flight_id)}"


def get_flight(app_id: str, flight_id: str) -> Call[Flight]:
    return get(_flight(app_id, flight_id), Flight.from_json, "get flight")


def create_flight(app_id: str, name: str, group_ids: list[str], rank_higher_than: str | None = None) -> Call[Flight]:
    body: dict[str, Any] = {"friendlyName": name, "groupIds": list(group_ids)}
    if rank_higher_than is not None:
        body["rankHigherThan"] = rank_higher_than
    return Call("POST", f"applications/{_seg(app_id)}/flights", Flight.from_json, json=body, what="create flight")


def update_flight(
    app_id: str,
    flight_id: str,
    *,
    name: str | None = None,
    group_ids: list[str] | None = None,
    rank_higher_than: str | None = None,
) -> Call[Flight]:
    """storeflight's `PUT flights/{id}`: only the fields given change."""
    body: dict[str, Any] = {}
    if name is not None:
        body["friendlyName"] = name
    if group_ids is not None:
        body["groupIds"] = list(group_ids)
    if rank_higher_than is not None:
        body["rankHigherThan"] = rank_higher_than
    return Call("PUT", _flight(app_id, flight_id), Flight.from_json, json=body, idempotent=True, what="update flight")


def delete_flight(app_id: str, flight_id: str) -> Call[None]:
    return Call("DELETE", _flight(app_id, flight_id), _nothing, idempotent=True, what="delete flight")


# submissions (flight_id None: the app's own, non-flighted submissions)


def _submissions(app_id: str, flight_id: str | None) -> str:
    if flight_id is None:
        return f"applications/{_seg(app_id)}/submissions"
    return f"{_flight(app_id, flight_id)}/submissions"


def _submission(app_id: str, submission_id: str, flight_id: str | None) -> str:
    return f"{_submissions(app_id, flight_id)}/{_seg(submission_id)}"


def create_submission(app_id: str, flight_id: str | None = None) -> Call[Submission]:
    return Call("POST", _submissions(app_id, flight_id), Submission.from_json, what="create submission")


def get_submission(app_id: str, submission_id: str, flight_id: str | None = None) -> Call[Submission]:
    return get(_submission(app_id, submission_id, flight_id), Submission.from_json, "get submission")


def update_submission(app_id: str, submission: Submission, flight_id: str | None = None) -> Call[Submission]:
    path = _submission(app_id, submission.id, flight_id)
    body = submission.to_body()
    return Call("PUT", path, Submission.from_json, json=body, idempotent=True, what="update submission")


def commit_submission(app_id: str, submission_id: str, flight_id: str | None = None) -> Call[SubmissionStatus]:
    path = f"{_submission(app_id, submission_id, flight_id)}/commit"
    return Call("POST", path, SubmissionStatus.from_json, what="commit submission")


def get_status(app_id: str, submission_id: str, flight_id: str | None = None) -> Call[SubmissionStatus]:
    path = f"{_submission(app_id, submission_id, flight_id)}/status"
    return get(path, SubmissionStatus.from_json, "get submission status")


def list_submissions(
    app_id: str, flight_id: str | None = None, skip: int = 0, top: int = DEFAULT_PAGE
) -> Call[Page[SubmissionSummary]]:
    """The line's submissions, newest first (storeflight extension)."""
    owner = _flight(app_id, flight_id) if flight_id else f"applications/{_seg(app_id)}"
    parse = Page[SubmissionSummary].from_json
    return get(f"{owner}/submissions", parse, "list submissions", skip=str(skip), top=str(top))


def delete_submission(app_id: str, submission_id: str, flight_id: str | None = None) -> Call[None]:
    path = _submission(app_id, submission_id, flight_id)
    return Call("DELETE", path, _nothing, idempotent=True, what="delete submission")


def publish_submission(app_id: str, submission_id: str, flight_id: str | None = None) -> Call[SubmissionStatus]:
    """storeflight's "publish now" for a submission resting in Release (Manual or SpecificDate)."""
    path = f"{_submission(app_id, submission_id, flight_id)}/publish"
    return Call("POST", path, SubmissionStatus.from_json, what="publish submission")


# package rollout


def get_rollout(app_id: str, submission_id: str, flight_id: str | None = None) -> Call[PackageRollout]:
    path = f"{_submission(app_id, submission_id, flight_id)}/packagerollout"
    return get(path, PackageRollout.from_json, "get package rollout")


def set_rollout_percentage(
    app_id: str, submission_id: str, percentage: float, flight_id: str | None = None
) -> Call[PackageRollout]:
    """Setting an absolute percentage twice has the effect of once: idempotent."""
    path = f"{_submission(app_id, submission_id, flight_id)}/updatepackagerolloutpercentage"
    params = {"percentage": format(float(percentage), "g")}
    return Call("POST", path, PackageRollout.from_json, params=params, idempotent=True, what="set rollout percentage")


def halt_rollout(app_id: str, submission_id: str, flight_id: str | None = None) -> Call[PackageRollout]:
    path = f"{_submission(app_id, submission_id, flight_id)}/haltpackagerollout"
    return Call("POST", path, PackageRollout.from_json, what="halt rollout")


def finalize_rollout(app_id: str, submission_id: str, flight_id: str | None = None) -> Call[PackageRollout]:
    path = f"{_submission(app_id, submission_id, flight_id)}/finalizepackagerollout"
    return Call("POST", path, PackageRollout.from_json, what="finalize rollout")


# flight groups (storeflight extension)


def list_groups(skip: int = 0, top: int = DEFAULT_PAGE) -> Call[Page[FlightGroup]]:
    return get("flightgroups", Page[FlightGroup].from_json, "list flight groups", skip=str(skip), top=str(top))


def get_group(group_id: str) -> Call[FlightGroup]:
    return get(f"flightgroups/{_seg(group_id)}", FlightGroup.from_json, "get flight group")


def create_group(name: str, members: Iterable[str] = ()) -> Call[FlightGroup]:
    body = {"name": name, "members": list(members)}
    return Call("POST", "flightgroups", FlightGroup.from_json, json=body, what="create flight group")


def rename_group(group_id: str, name: str) -> Call[FlightGroup]:
    path = f"flightgroups/{_seg(group_id)}"
    return Call("PUT", path, FlightGroup.from_json, json={"name": name}, idempotent=True, what="rename flight group")


def delete_group(group_id: str) -> Call[None]:
    return Call("DELETE", f"flightgroups/{_seg(group_id)}", _nothing, idempotent=True, what="delete flight group")


def change_members(group_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> Call[MemberChange]:
    """Adding a member twice or removing an absent one changes nothing: idempotent."""
    body: dict[str, list[str]] = {}
    if add:
        body["add"] = list(add)
    if remove:
        body["remove"] = list(remove)
    path = f"flightgroups/{_seg(group_id)}/members"
    return Call("POST", path, MemberChange.from_json, json=body, idempotent=True, what="change group members")


def list_members(group_id: str, skip: int = 0, top: int = 1000) -> Call[Page[str]]:
    path = f"flightgroups/{_seg(group_id)}/members"
    return get(path, Page[str].from_json, "list group members", skip=str(skip), top=str(top))


# delivery (storeflight extension)


def check_delivery(
    app_id: str,
    customer_id: str,
    *,
    device_family: str = "Windows.Desktop",
    os_version: str = "10.0.22621.0",
    architecture: str = "x64",
    installed_version: str | None = None,
    manual_check: bool = False,
    explain: bool = False,
) -> Call[DeliveryAnswer]:
    params = {
        "customerId": customer_id,
        "deviceFamily": device_family,
        "osVersion": os_version,
        "architecture": architecture,
    }
    if installed_version:
        params["installedVersion"] = installed_version
    if manual_check:
        params["manualCheck"] = "true"
    if explain:
        params["explain"] = "true"
    return get(f"applications/{_seg(app_id)}/delivery", DeliveryAnswer.from_json, "check delivery", **params)


def rollout_health(
    app_id: str, flight_id: str | None = None, *, submission_id: str | None = None, hours: int = 168
) -> Call[RolloutHealth]:
    where = f"applications/{_seg(app_id)}" + (f"/flights/{_seg(flight_id)}" if flight_id else "")
    params = {"hours": str(hours)}
    if submission_id:
        params["submissionId"] = submission_id
    return get(f"{where}/rollouthealth", RolloutHealth.from_json, "get rollout health", **params)


# device credentials (storeflight extension): answers as plain JSON objects


def _object(body: Any) -> dict[str, Any]:
    return dict(body) if isinstance(body, dict) else {}


def _keys_base(app_id: str | None) -> str:
    return f"applications/{_seg(app_id)}/deliverykeys" if app_id else "deliverykeys"


def create_delivery_key(
    app_id: str | None, name: str, rate_per_minute: int | None = None, expires_in_days: int | None = None
) -> Call[dict[str, Any]]:
    body: dict[str, Any] = {"name": name}
    if rate_per_minute is not None:
        body["rateLimitPerMinute"] = rate_per_minute
    if expires_in_days is not None:
        body["expiresInDays"] = expires_in_days
    return Call("POST", _keys_base(app_id), _object, json=body, what="create delivery key")


def list_delivery_keys(app_id: str | None) -> Call[dict[str, Any]]:
    return get(_keys_base(app_id), _object, "list delivery keys")


def revoke_delivery_key(app_id: str | None, key_id: str) -> Call[dict[str, Any]]:
    return Call("DELETE", f"{_keys_base(app_id)}/{_seg(key_id)}", _object, idempotent=True, what="revoke delivery key")


def create_device_url(app_id: str, customer_id: str) -> Call[dict[str, Any]]:
    path = f"applications/{_seg(app_id)}/deviceurls"
    return Call("POST", path, _object, json={"customerId": customer_id}, what="create device URL")


def revoke_device_url(app_id: str, url_id: str) -> Call[dict[str, Any]]:
    path = f"applications/{_seg(app_id)}/deviceurls/{_seg(url_id)}"
    return Call("DELETE", path, _object, idempotent=True, what="revoke device URL")


def device_settings(app_id: str) -> Call[dict[str, Any]]:
    return get(f"applications/{_seg(app_id)}/devicesettings", _object, "get device settings")


def change_device_settings(app_id: str, changes: dict[str, Any]) -> Call[dict[str, Any]]:
    path = f"applications/{_seg(app_id)}/devicesettings"
    return Call("PATCH", path, _object, json=changes, idempotent=True, what="change device settings")


# approvals (storeflight extension): answers as plain JSON objects


def _rules_base(app_id: str) -> str:
    return f"applications/{_seg(app_id)}/approvalrules"


def create_approval_rule(app_id: str, rule: dict[str, Any]) -> Call[dict[str, Any]]:
    return Call("POST", _rules_base(app_id), _object, json=rule, what="create approval rule")


def list_approval_rules(app_id: str) -> Call[dict[str, Any]]:
    return get(_rules_base(app_id), _object, "list approval rules")


def delete_approval_rule(app_id: str, rule_id: str) -> Call[dict[str, Any]]:
    path = f"{_rules_base(app_id)}/{_seg(rule_id)}"
    return Call("DELETE", path, _object, idempotent=True, what="delete approval rule")


def list_pending_changes(status: str | None, app_id: str | None, skip: int, top: int) -> Call[dict[str, Any]]:
    params = {"skip": str(skip), "top": str(top)}
    if status:
        params["status"] = status
    if app_id:
        params["applicationId"] = app_id
    return get("pendingchanges", _object, "list pending changes", **params)


def pending_change(change_id: str) -> Call[dict[str, Any]]:
    return get(f"pendingchanges/{_seg(change_id)}", _object, "get pending change")


def approve_change(change_id: str) -> Call[dict[str, Any]]:
    return Call("POST", f"pendingchanges/{_seg(change_id)}/approve", _object, what="approve pending change")


def reject_change(change_id: str, reason: str | None) -> Call[dict[str, Any]]:
    body = {"reason": reason} if reason else {}
    return Call("POST", f"pendingchanges/{_seg(change_id)}/reject", _object, json=body, what="reject pending change")


def revise_change(change_id: str, percentage: float) -> Call[dict[str, Any]]:
    path = f"pendingchanges/{_seg(change_id)}"
    return Call("PATCH", path, _object, json={"percentage": percentage}, idempotent=True, what="change pending change")


# webhooks (storeflight extension): answers as plain JSON objects


def create_webhook(spec: dict[str, Any]) -> Call[dict[str, Any]]:
    return Call("POST", "webhooks", _object, json=spec, what="create webhook")


def list_webhooks() -> Call[dict[str, Any]]:
    return get("webhooks", _object, "list webhooks")


def webhook(webhook_id: str) -> Call[dict[str, Any]]:
    return get(f"webhooks/{_seg(webhook_id)}", _object, "get webhook")


def enable_webhook(webhook_id: str, enabled: bool) -> Call[dict[str, Any]]:
    path = f"webhooks/{_seg(webhook_id)}"
    return Call("PATCH", path, _object, json={"enabled": enabled}, idempotent=True, what="change webhook")


def delete_webhook(webhook_id: str) -> Call[dict[str, Any]]:
    return Call("DELETE", f"webhooks/{_seg(webhook_id)}", _object, idempotent=True, what="delete webhook")


def test_webhook(webhook_id: str) -> Call[dict[str, Any]]:
    return Call("POST", f"webhooks/{_seg(webhook_id)}/test", _object, what="test webhook")


def webhook_deliveries(webhook_id: str, skip: int, top: int) -> Call[dict[str, Any]]:
    path = f"webhooks/{_seg(webhook_id)}/deliveries"
    return get(path, _object, "list webhook deliveries", skip=str(skip), top=str(top))


# rollout plans (storeflight extension): answers as plain JSON objects


def _plan_path(app_id: str, submission_id: str, flight_id: str | None) -> str:
    where = f"applications/{_seg(app_id)}" + (f"/flights/{_seg(flight_id)}" if flight_id else "")
    return f"{where}/submissions/{_seg(submission_id)}/rolloutplan"


def attach_plan(app_id: str, submission_id: str, plan: dict[str, Any], flight_id: str | None) -> Call[dict[str, Any]]:
    return Call("PUT", _plan_path(app_id, submission_id, flight_id), _object, json=plan, what="attach rollout plan")


def get_plan(app_id: str, submission_id: str, flight_id: str | None) -> Call[dict[str, Any]]:
    return get(_plan_path(app_id, submission_id, flight_id), _object, "get rollout plan")


def plan_verb(app_id: str, submission_id: str, verb: str, flight_id: str | None) -> Call[dict[str, Any]]:
    path = f"{_plan_path(app_id, submission_id, flight_id)}/{_seg(verb)}"
    return Call("POST", path, _object, what=f"{verb} rollout plan")


# the audit history (storeflight extension): records as plain JSON objects

HISTORY_FILTERS = ("resourceType", "resourceId", "actor", "actorKind", "action", "since", "until")


def history(filters: dict[str, str | None], skip: int = 0, top: int = DEFAULT_PAGE) -> Call[dict[str, Any]]:
    """A page of the tenant's audit history, newest first; `filters` are named as in HISTORY_FILTERS."""
    given = {name: value for name, value in filters.items() if value and name in HISTORY_FILTERS}
    return get("history", _object, "read audit history", **given, skip=str(skip), top=str(top))
