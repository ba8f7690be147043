"""The request log's direct path: taken only when our JSON handler is the only one a request line reaches."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from storeflight.ops import logs


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in handlers:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logs._DIRECT.clear()


def test_json_alone_takes_the_direct_path_and_any_other_handler_turns_it_off(restore_root: None) -> None:
    requests = logging.getLogger("storeflight.requests")
    logs.configure("info", "json")
    found = logs.direct_json(requests)
    assert found is not None and found[0] is logging.getLogger().handlers[0]
    other = logging.NullHandler()
    logging.getLogger().addHandler(other)  # as pytest's caplog does
    assert logs.direct_json(requests) is None
    logging.getLogger().removeHandler(other)
    logging.getLogger("storeflight").addHandler(other)  # on the way to the root
    assert logs.direct_json(requests) is None
    logging.getLogger("storeflight").removeHandler(other)
    assert logs.direct_json(requests) is not None
    logs.configure("info", "text")
    assert logs.direct_json(requests) is None


def test_the_direct_line_is_the_json_a_record_would_give(restore_root: None) -> None:
    formatter = logs.JsonFormatter()
    direct = formatter.request_line(1_780_000_000.25, "storeflight.requests", "GET /x 200 1.0 ms", "id-1",
                                    'te"nant', "/x", "GET", 200, 1.0)  # fmt: skip
    record = logging.LogRecord("storeflight.requests", logging.INFO, __file__, 0, "GET /x 200 1.0 ms", None, None)
    record.created = 1_780_000_000.25
    record.__dict__.update(correlation_id="id-1", tenant='te"nant', route="/x", method="GET", status=200,
                           duration_ms=1.0)  # fmt: skip
    assert json.loads(direct) == json.loads(formatter.format(record))
    assert json.loads(direct)["tenant"] == 'te"nant'
