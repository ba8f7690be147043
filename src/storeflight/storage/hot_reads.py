"""Single-statement reads on a raw driver connection per thread, for the API's busiest GETs."""

from __future__ import annotations

import json
import threading
from contextlib import suppress
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, Text, bindparam, cast, select

from storeflight.domain.models import Application, Submission
from storeflight.storage import tables as t

M = TypeVar("M", bound=BaseModel)

# The documents as JSON text: pydantic parses text faster than the driver's dicts, and no result processing.
_SUBMISSION_AND_APP = (
    select(cast(t.submissions.c.doc, Text), cast(t.applications.c.doc, Text))
    .join(t.applications, t.applications.c.id == t.submissions.c.app_id)
    .where(t.submissions.c.id == bindparam("sid"), t.submissions.c.tenant_id == bindparam("tid"))
)


def _parse(model: type[M], text: str) -> M:
    """pydantic's JSON parser refuses the lone surrogates older versions stored (escaped); `json` keeps them,
    and rendering sends them as U+FFFD, as on the transaction path."""
    try:
        return model.model_validate_json(text)
    except ValidationError:
        return model.model_validate(json.loads(text))


class HotReads:
    """One statement, compiled once, run outside SQLAlchemy's execution path on a connection kept per thread.

    A single SELECT in autocommit is its own consistent snapshot (SQLite WAL, PostgreSQL MVCC), so no
    transaction is opened around it. Every row is fetched, so SQLite ends its read at once.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        compiled = _SUBMISSION_AND_APP.compile(dialect=engine.dialect)
        self._sql = str(compiled)
        self._positional = engine.dialect.positional
        self._order = list(compiled.positiontup or ())
        self._local = threading.local()
        self._opened: list[Any] = []  # every connection handed out, closed by close()
        self._lock = threading.Lock()

    def submission_and_app(self, tenant_id: str, submission_id: str) -> tuple[Submission, Application] | None:
        """The tenant's submission and its app; None when there is none or the driver failed (the caller then
        asks a transaction, which answers as usual)."""
        values = {"sid": submission_id, "tid": tenant_id}
        params: Any = [values[name] for name in self._order] if self._positional else values
        try:
            rows = self._run(params)
        except self._engine.dialect.loaded_dbapi.Error:
            return None
        if not rows:
            return None
        submission_doc, app_doc = rows[0]
        return _parse(Submission, submission_doc), _parse(Application, app_doc)

    def _run(self, params: Any) -> list[Any]:
        connection = self._connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self._sql, params)
                return list(cursor.fetchall())
            finally:
                cursor.close()
        except Exception:
            self._discard()  # a broken connection is not reused; the next call opens another
            raise

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            fairy = self._engine.raw_connection()  # configured like every other connection (engine events)
            connection = fairy.driver_connection
            fairy.detach()  # ours for the thread's lifetime, outside the pool's limits
            assert connection is not None
            if self._engine.dialect.name == "postgresql":
                connection.autocommit = True
            self._local.connection = connection
            with self._lock:
                self._opened.append(connection)
        return connection

    def _discard(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with self._lock:
                if connection in self._opened:
                    self._opened.remove(connection)
            with suppress(Exception):  # already broken: closing is best effort
                connection.close()

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            with suppress(Exception):  # closing is best effort
                connection.close()
