"""Log lines: human-readable (the default) or one JSON object per line, always through the scrubber.

Records may carry these fields (as `extra=`): `correlation_id`, `tenant`, `route`, `method`, `status`,
`duration_ms` (the request log), `submission_id`, `stage`, `outcome` (the pipeline); the JSON form writes
each that is present, the text form appends them as `name=value`.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from typing import TextIO

from storeflight.ops.scrub import ScrubFilter

FORMATS = ("text", "json")
REQUEST_LINE = "storeflight_request_line"  # True on the request log's records (ops/requestlog.py): a fast path
FIELDS = ("correlation_id", "tenant", "route", "method", "status", "duration_ms", "submission_id", "stage", "outcome")


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)  # made once: json.dumps with options makes one a call


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", <fields>, "exception"}` on one line."""

    def __init__(self) -> None:
        super().__init__()
        self._second, self._prefix = -1, ""

    def _timestamp(self, created: float) -> str:
        """`2026-12-04T18:50:45.287Z`, the seconds formatted once per second."""
        second = int(created)
        if second != self._second:
            self._second, self._prefix = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((created - second) * 1000):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        fields = record.__dict__
        if fields.get(REQUEST_LINE) is True:
            return self._request_line(record)
        line: dict[str, object] = {
            "ts": self._timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = fields.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return _ENCODER.encode(line)

    def _request_line(self, r: logging.LogRecord) -> str:
        f = r.__dict__
        return self.request_line(r.created, r.name, r.msg, f["correlation_id"], f["tenant"], f["route"], f["method"],
                                 f["status"], f["duration_ms"])  # fmt: skip

    def request_line(
        self, created: float, logger: str, message: str, correlation: str, tenant: str | None, route: str,
        method: str, status: int, duration_ms: float,
    ) -> str:  # fmt: skip
        """The request log's line (the same JSON as `format` would write), put together directly: all its parts
        but the tenant are our own text and numbers, which need no escaping."""
        who = f', "tenant": {_ENCODER.encode(tenant)}' if tenant is not None else ""
        return (
            f'{{"ts": "{self._timestamp(created)}", "level": "INFO", "logger": "{logger}", "message": "{message}", '
            f'"correlation_id": "{correlation}"{who}, "route": "{route}", "method": "{method}", "status": {status}, '
            f'"duration_ms": {duration_ms}}}'
        )


class TextFormatter(logging.Formatter):
    """`LEVEL logger: message name=value ...`, then the exception if any."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        fields = record.__dict__
        extra = [f"{name}={fields[name]}" for name in FIELDS if fields.get(name) is not None]
        return f"{text} {' '.join(extra)}" if extra else text


class BufferedStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Standard error through a 64 KiB buffer: written out every `every` seconds by a thread, at once for a
    warning or worse, and at exit (logging's own shutdown). A line per request then costs no system call."""

    def __init__(self, every: float = 0.2) -> None:
        super().__init__(_buffered(sys.stderr))
        self.every, self.closed = every, threading.Event()
        threading.Thread(target=self._flush_now_and_then, name="storeflight-log-flush", daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + self.terminator)
            if record.levelno >= logging.WARNING:
                self.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def write_line(self, line: str) -> None:
        """`line` as `emit` would write a record's, without a record (the request log's direct path)."""
        self.acquire()
        try:
            self.stream.write(line + self.terminator)
        except (OSError, ValueError):
            pass  # a closed stream (a test runner's capture): as emit's handleError would, say nothing more
        finally:
            self.release()

    def _flush_now_and_then(self) -> None:
        """Until the handler is closed, or its stream (a test runner's capture, say) is."""
        while not self.closed.wait(self.every):
            try:
                self.flush()
            except (OSError, ValueError):
                return

    def close(self) -> None:
        self.closed.set()
        super().close()


def _buffered(stream: TextIO) -> TextIO:
    """`stream`'s file, buffered; `stream` itself when it has no file (a test runner's capture)."""
    try:
        number = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return stream
    return open(number, "w", buffering=1 << 16, encoding="utf-8", errors="backslashreplace", closefd=False)


_DIRECT: list[BufferedStderr] = []  # the JSON handler `configure` installed last, if any


def direct_json(logger: logging.Logger) -> tuple[BufferedStderr, JsonFormatter] | None:
    """The JSON handler `configure` installed, and its formatter, when it is the only handler an INFO record of
    `logger` reaches (no filter on `logger`, no other handler on the way to the root, which holds just it);
    None otherwise (a test's capture handler, say): then records go through logging as usual."""
    if not _DIRECT or logger.filters:
        return None
    handler, current = _DIRECT[0], logger
    while not current.handlers:
        if not current.propagate or current.parent is None:
            return None
        current = current.parent
    formatter = handler.formatter
    if current is not logging.root or current.handlers != [handler] or handler.level > logging.INFO:
        return None
    return (handler, formatter) if isinstance(formatter, JsonFormatter) else None


def configure(level: str = "info", fmt: str = "text") -> None:
    """Send every logger's records (uvicorn's too: start it with `log_config=None`) to stderr, scrubbed, in
    `fmt`; replaces whatever handlers the root logger had."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    handler = BufferedStderr()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ScrubFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        if isinstance(old, BufferedStderr):
            old.close()
    root.addHandler(handler)
    root.setLevel(level.upper())
    _DIRECT[:] = [handler] if fmt == "json" else []
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # uvicorn's own handlers, if it made them
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    if root.level > logging.DEBUG:  # the request log says it, once, with more; uvicorn's lines only at debug
        logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
