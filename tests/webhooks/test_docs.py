"""The signature check docs/webhooks.md shows receivers accepts what the server signs, and nothing else."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storeflight.webhooks import signing
from storeflight.webhooks.model import Event, EventType

DOC = Path(__file__).parents[2] / "docs" / "webhooks.md"


def _documented_verify() -> Any:
    [code] = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace["verify"]


def test_the_documented_check_accepts_a_real_signature_and_refuses_changes() -> None:
    verify = _documented_verify()
    event = Event("e", "t", None, EventType.PING, datetime.now(UTC), {"x": 1})
    body = signing.body(event)
    now = int(time.time())
    headers = {k.lower(): v for k, v in signing.headers(event, "whsec_abc", now, body, 1).items()}
    assert verify("whsec_abc", headers, body)
    assert not verify("whsec_abd", headers, body)
    assert not verify("whsec_abc", headers, body.replace(b'"x":1', b'"x":2'))
    old = {k.lower(): v for k, v in signing.headers(event, "whsec_abc", now - 3600, body, 1).items()}
    assert not verify("whsec_abc", old, body)
