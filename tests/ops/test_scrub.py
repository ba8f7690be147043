"""The log scrubber: secrets never reach a log line, ordinary text goes through untouched."""

from __future__ import annotations

import io
import json
import logging

import pytest

from storeflight.ops.logs import JsonFormatter, TextFormatter
from storeflight.ops.scrub import REDACTED, ScrubFilter, scrub

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ0aWQiOiJ4In0.c2lnbmF0dXJlLXBhcnQ"
SECRET = "sfs_Q2xpZW50U2VjcmV0VmFsdWVUaGF0SXNMb25n"


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("GET /blobs/abc?sv=2024&se=2026&sp=rw&sig=AbC%2Bdef%3D HTTP/1.1", "AbC%2Bdef%3D"),
        ("url=https://h/b?x=1%26sig%3Dsecretsig", "secretsig"),
        ("Authorization: Bearer opaque-token-123", "opaque-token-123"),
        (f"token {JWT} refused", JWT),
        (f"client secret {SECRET} made", SECRET),
        ("grant_type=client_credentials&client_secret=hunter2&client_id=x", "hunter2"),
        ('{"client_secret": "hunter2"}', "hunter2"),
        ("DefaultEndpointsProtocol=http;AccountName=a;AccountKey=c2VjcmV0a2V5;BlobEndpoint=x", "c2VjcmV0a2V5"),
        ("postgresql://storeflight:pa55word@db:5432/sf", "pa55word"),
        ("delivery key sfdk_abcDEF123 and url sfdu_xyz789", "abcDEF123"),
        ("webhook signed with whsec_c2lnbmluZy1zZWNyZXQ", "c2lnbmluZy1zZWNyZXQ"),
    ],
)
def test_every_kind_of_secret_is_redacted(text: str, gone: str) -> None:
    cleaned = scrub(text)
    assert gone not in cleaned
    assert REDACTED in cleaned


def test_ordinary_lines_are_left_alone() -> None:
    line = "GET /v1.0/my/applications/{application_id} 200 1.2 ms; signed in as the designer"
    assert scrub(line) is line


def _emit(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(ScrubFilter())
    handler.handle(record)
    return out.getvalue()


def _record(msg: str, *args: object, exc: BaseException | None = None, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("storeflight.test", logging.INFO, __file__, 1, msg, args, None)
    if exc is not None:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    record.__dict__.update(extra)
    return record


def test_arguments_extra_fields_and_exceptions_are_scrubbed_in_both_formats() -> None:
    try:
        raise ValueError(f"bad token {JWT}")
    except ValueError as error:
        failure = error
    for formatter in (TextFormatter(), JsonFormatter()):
        line = _emit(formatter, _record("posted %s", f"client_secret={SECRET}", exc=failure, tenant=f"Bearer {JWT}"))
        assert SECRET not in line
        assert JWT not in line
        assert "ValueError" in line  # the exception is still there, without its secret


def test_a_request_line_is_the_json_the_general_path_writes() -> None:
    fields = {"correlation_id": "c-1", "tenant": 'a"b', "route": "/x/{id}", "method": "GET", "status": 404,
              "duration_ms": 0.25}  # fmt: skip
    record = _record("GET /x/{id} 404 0.2 ms", **fields)
    general = json.loads(_emit(JsonFormatter(), record))
    record.__dict__["storeflight_request_line"] = True
    fast = json.loads(_emit(JsonFormatter(), record))
    assert fast == general
    assert fast["tenant"] == 'a"b'


def test_json_lines_carry_the_known_fields() -> None:
    line = _emit(JsonFormatter(), _record("done", route="/x/{id}", status=200, duration_ms=1.5, submission_id="1"))
    parsed = json.loads(line)
    assert parsed["message"] == "done"
    assert parsed["level"] == "INFO"
    assert parsed["logger"] == "storeflight.test"
    fields = (parsed["route"], parsed["status"], parsed["duration_ms"], parsed["submission_id"])
    assert fields == ("/x/{id}", 200, 1.5, "1")
    assert "tenant" not in parsed  # absent fields are left out, not null
