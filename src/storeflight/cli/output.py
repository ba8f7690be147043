"""How the user-facing commands talk back: Rich tables or `--json`, progress on stderr, and exit codes.

Every error a command can meet ends in `guard()`, the one place that maps the client's exception classes
(and the CLI's own `CliError`) to an exit code and a message that says what to do next.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from storeflight.cli.hints import conflict_hint
from storeflight.client import (
    AuthError,
    ConflictError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    ServerError,
    StoreError,
    SubmissionFailed,
    ThrottledError,
    WaitTimeout,
)


class ExitCode(IntEnum):
    """The documented exit codes (docs/cli.md)."""

    OK = 0
    ERROR = 1  # anything else
    USAGE = 2  # bad options or arguments (Typer's own code)
    VALIDATION = 3  # the server rejected the request (400) or the submission failed in the pipeline
    AUTH = 4  # 401/403 or the token endpoint refused the credentials; no usable profile
    NOT_FOUND = 5  # 404, or a flight or submission named on the command line does not exist
    CONFLICT = 6  # 409, e.g. a pending submission already exists
    NETWORK = 7  # the server could not be reached
    TIMEOUT = 8  # `wait` ran out of time; the submission keeps going
    UNAVAILABLE = 9  # 429 or 5xx after the client's retries


class CliError(Exception):
    """An error the CLI finds itself (before or between calls), with its exit code and a next step."""

    def __init__(self, code: ExitCode, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]


def to_jsonable(value: Any) -> Any:
    """Models (pydantic, with `.raw` server JSON) and plain values as JSON-ready data."""
    raw = getattr(value, "raw", None)
    if isinstance(raw, dict) and raw:
        return raw
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude={"raw"})
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: to_jsonable(item) for key, item in value.items()}
    return value


@dataclass
class Output:
    """Where a command prints: stdout for results (a table or JSON), stderr for progress and errors."""

    json: bool = False
    where: str = "the server"  # the base URL, for network errors

    @property
    def out(self) -> Console:
        return Console(file=sys.stdout, soft_wrap=True)

    @property
    def err(self) -> Console:
        return Console(file=sys.stderr, soft_wrap=True)

    def result(self, data: Any, human: Callable[[], None]) -> None:
        """The command's result: `data` as JSON with --json, otherwise whatever `human` prints."""
        if self.json:
            typer.echo(json.dumps(to_jsonable(data), indent=2, default=str))
        else:
            human()

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        self.out.print(table)

    def fields(self, title: str, pairs: Sequence[tuple[str, Any]]) -> None:
        """A two-column table: one record."""
        self.table(title, ["field", "value"], [(name, value) for name, value in pairs])

    def say(self, text: str) -> None:
        """A line for humans on stdout (nothing with --json)."""
        if not self.json:
            self.out.print(text, highlight=False)

    def note(self, text: str) -> None:
        """Progress and status lines: stderr, so stdout stays a clean result."""
        self.err.print(text, highlight=False)

    def fail(self, code: ExitCode, message: str, hint: str = "", extra: dict[str, Any] | None = None) -> NoReturn:
        if self.json:
            body = {"code": code.name.lower(), "exitCode": int(code), "message": message, "hint": hint, **(extra or {})}
            typer.echo(json.dumps({"error": body}, indent=2, default=str))
        else:
            self.err.print(f"[bold red]error:[/] {message}", highlight=False)
            if hint:
                self.err.print(f"[yellow]next:[/] {hint}", highlight=False)
        raise typer.Exit(int(code))


_LOGIN_HINT = "check the tenant, client id and secret, then run `storeflight login` (or pick another --profile)"
_NETWORK_HINT = "is the server running? Check the profile's base URL (`storeflight login` to change it)"
_WAIT_HINT = "the submission keeps going: watch it with `storeflight submission wait`, or raise --timeout"
_FAILED_HINT = (
    "see `storeflight submission status`; a failed submission cannot be changed or committed again: "
    "fix the packages and publish again (--force deletes the failed one first)"
)

# The one table from client exception to exit code: (class, code, message prefix, next step). First match wins.
_EXIT_CODES: tuple[tuple[type[StoreError], ExitCode, str, str], ...] = (
    (SubmissionFailed, ExitCode.VALIDATION, "the submission failed", _FAILED_HINT),
    (WaitTimeout, ExitCode.TIMEOUT, "gave up waiting", _WAIT_HINT),
    (AuthError, ExitCode.AUTH, "authentication failed", _LOGIN_HINT),
    (NotFoundError, ExitCode.NOT_FOUND, "not found", "check the id: `storeflight apps list`, `flights list APP`"),
    (InvalidRequestError, ExitCode.VALIDATION, "the server rejected the request", ""),
    (NetworkError, ExitCode.NETWORK, "cannot reach {where}", _NETWORK_HINT),
    (ThrottledError, ExitCode.UNAVAILABLE, "the server is throttling", "retry later"),
    (ServerError, ExitCode.UNAVAILABLE, "the server failed", "retry later; if it persists, check the server's log"),
    (StoreError, ExitCode.ERROR, "the call failed", ""),
)


def classify(error: StoreError, where: str) -> tuple[ExitCode, str, str]:
    """The exit code, message and next step for a client exception; `where` is the server's base URL."""
    if isinstance(error, NetworkError) and error.host:
        where = error.host  # the host that did not answer: the token authority is not always the API's host
    if isinstance(error, ConflictError):
        return ExitCode.CONFLICT, f"conflict: {error}", conflict_hint(error)
    for kind, code, prefix, hint in _EXIT_CODES:
        if isinstance(error, kind):
            return code, f"{prefix.format(where=where)}: {error}", hint
    raise AssertionError("StoreError matches the last row")  # pragma: no cover


@contextmanager
def guard(out: Output) -> Iterator[None]:
    """Run a command body: every known error becomes a message, a next step and its exit code."""
    try:
        yield
    except CliError as error:
        out.fail(error.code, error.message, error.hint)
    except StoreError as error:
        code, message, hint = classify(error, out.where)
        extra: dict[str, Any] = {"status": error.status, "serverCode": error.code}
        failed = getattr(error, "status_obj", None) or getattr(error, "last_status", None)
        if failed is not None:
            extra["submissionStatus"] = to_jsonable(failed)
        out.fail(code, message, hint, extra)
    except KeyboardInterrupt:
        out.fail(ExitCode.ERROR, "interrupted", "a commit already sent keeps going on the server")
