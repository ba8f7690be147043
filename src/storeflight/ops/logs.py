"""Log lines: human-readable (the default) or one JSON object per line, always through the scrubber.

Records may carry these fields (as `extra=`): `correlation_id`, `tenant`, `route`, `method`, `status`,
`duration_ms` (the request log), `submission_id`, `stage`, `outcome` (the pipeline); the JSON form writes
each that is present, the text form appends them as `name=value`.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from storeflight.ops.scrub import ScrubFilter

FORMATS = ("text", "json")
FIELDS = ("correlation_id", "tenant", "route", "method", "status", "duration_ms", "submission_id", "stage", "outcome")


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", <fields>, "exception"}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = record.__dict__
        for name in FIELDS:
            value = fields.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`LEVEL logger: message name=value ...`, then the exception if any."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        fields = record.__dict__
        extra = [f"{name}={fields[name]}" for name in FIELDS if fields.get(name) is not None]
        return f"{text} {' '.join(extra)}" if extra else text


def configure(level: str = "info", fmt: str = "text") -> None:
    """Send every logger's records (uvicorn's too: start it with `log_config=None`) to stderr, scrubbed, in
    `fmt`; replaces whatever handlers the root logger had."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ScrubFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # uvicorn's own handlers, if it made them
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    if root.level > logging.DEBUG:  # the request log says it, once, with more; uvicorn's lines only at debug
        logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
