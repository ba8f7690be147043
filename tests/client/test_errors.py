"""Errors from every body shape the service (and Entra ID, and APIM) sends."""

from __future__ import annotations

import json

import pytest

from storeflight.client import AuthError, ConflictError, NotFoundError, ServerError, StoreError, ThrottledError
from storeflight.client.errors import from_response

HEADERS = {"MS-CorrelationId": "c0ffee"}


@pytest.mark.parametrize(
    ("status", "body", "kind", "code", "message"),
    [
        (409, {"code": "InvalidState", "message": "m", "target": "application"}, ConflictError, "InvalidState", "m"),
        (401, {"statusCode": 401, "message": "APIM: Unauthorized."}, AuthError, None, "APIM: Unauthorized."),
        (
            400,
            {"error": "invalid_client", "error_description": "AADSTS7000215"},
            StoreError,
            "invalid_client",
            "AADSTS7000215",
        ),
        (500, {"error": {"code": "Boom", "message": "odata"}}, ServerError, "Boom", "odata"),
        (429, "Too many requests", ThrottledError, None, "Too many requests"),
        (404, None, NotFoundError, None, "get flight failed with HTTP 404"),
        (418, None, StoreError, None, "get flight failed with HTTP 418"),
    ],
)
def test_each_shape(status: int, body: object, kind: type[StoreError], code: str | None, message: str) -> None:
    content = b"" if body is None else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
    error = from_response(status, HEADERS, content, what="get flight")
    assert type(error) is kind or (kind is StoreError and isinstance(error, StoreError))
    assert (error.status, error.code, error.message, error.correlation_id) == (status, code, message, "c0ffee")


def test_the_correlation_id_header_is_found_in_any_case_and_shown() -> None:
    error = from_response(409, {"ms-correlationid": "abc"}, b'{"code": "InvalidState", "message": "busy"}')
    assert error.correlation_id == "abc"
    assert str(error) == "409 InvalidState: busy (MS-CorrelationId abc)"
