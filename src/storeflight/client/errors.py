"""The errors the client raises. Each carries what the Store said: status, code, message and MS-CorrelationId."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from storeflight.client.retry import is_refused

if TYPE_CHECKING:
    from storeflight.client.models import SubmissionStatus


class StoreError(Exception):
    """Any failure talking to the Store (or a storeflight server).

    `status` is the HTTP status (None when no response came), `code` the Store error code (`InvalidState`,
    `ResourceNotFound`, ...; None when the body had none, e.g. an empty 404), `message` the text,
    `correlation_id` the `MS-CorrelationId` response header and `body` the decoded body (or the raw text).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        correlation_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.correlation_id = correlation_id
        self.body = body

    def __str__(self) -> str:
        parts = [str(self.status) if self.status is not None else "", self.code or "", self.message]
        text = " ".join(p for p in parts[:2] if p)
        text = f"{text}: {parts[2]}" if text else parts[2]
        if self.correlation_id:
            text += f" (MS-CorrelationId {self.correlation_id})"
        return text


class InvalidRequestError(StoreError):
    """400: invalid parameters, or an operation the API refuses (`InvalidOperation`)."""


class AuthError(StoreError):
    """401 or 403 from the API (after one token refresh), or the token endpoint refused the credentials."""


class NotFoundError(StoreError):
    """404: unknown app, flight, submission or group (the real service may send no body at all)."""


class ConflictError(StoreError):
    """409: wrong state for the operation, e.g. a pending submission already exists."""


class ThrottledError(StoreError):
    """429, still throttled after every retry."""


class ServerError(StoreError):
    """5xx, still failing after the retries allowed for the call."""


class NetworkError(StoreError):
    """No response: connection refused or reset, timeouts (after the retries allowed for the call).

    `host` is the scheme and host that did not answer (the token authority or the API), when known.
    """

    def __init__(self, message: str, *, host: str | None = None) -> None:
        super().__init__(message)
        self.host = host


def network_error(what: str, error: Exception) -> NetworkError:
    """The NetworkError for a transport failure of `what`, naming the host that failed."""
    host = None
    try:
        url = error.request.url  # type: ignore[attr-defined]
        host = f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"
    except (AttributeError, RuntimeError):
        pass
    refused = "connection refused" if is_refused(error) else repr(error)
    where = f" ({host})" if host else ""
    return NetworkError(f"{what} failed{where}: {refused}", host=host)


class WaitTimeout(StoreError):
    """`wait()` ran out of time; `last_status` is the last status seen (None if none was)."""

    def __init__(self, message: str, last_status: SubmissionStatus | None) -> None:
        super().__init__(message)
        self.last_status = last_status


class SubmissionFailed(StoreError):
    """`wait()` saw the submission end in a failed state; `status_obj` has its status and error details."""

    def __init__(self, message: str, status_obj: SubmissionStatus) -> None:
        super().__init__(message, code=status_obj.status)
        self.status_obj = status_obj


_BY_STATUS: dict[int, type[StoreError]] = {
    400: InvalidRequestError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    429: ThrottledError,
}


def error_class(status: int) -> type[StoreError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else StoreError


def decode_body(content: bytes) -> Any:
    """JSON when the body is JSON, the text otherwise, None when empty."""
    if not content.strip():
        return None
    text = content.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _code_and_message(body: Any) -> tuple[str | None, str | None]:
    """The shapes seen in the wild: the Store's `{code, message, ...}`, APIM's `{statusCode, message}`,
    Entra ID's `{error, error_description}`, and plain text."""
    if isinstance(body, Mapping):
        code = body.get("code") or body.get("error")
        message = body.get("message") or body.get("error_description") or body.get("Message")
        if isinstance(body.get("error"), Mapping):  # OData style {"error": {"code", "message"}}
            return _code_and_message(body["error"])
        return (str(code) if code else None), (str(message) if message else None)
    if isinstance(body, str):
        return None, body[:1000]
    return None, None


def from_response(status: int, headers: Mapping[str, str], content: bytes, *, what: str = "") -> StoreError:
    """The error for a non-2xx answer."""
    body = decode_body(content)
    code, message = _code_and_message(body)
    if not message:
        message = f"{what} failed with HTTP {status}" if what else f"HTTP {status}"
    return error_class(status)(
        message,
        status=status,
        code=code,
        correlation_id=_header(headers, "MS-CorrelationId"),
        body=body,
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value
