"""Hand a request body, as it arrives, to blocking code in a worker thread, in constant memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from starlette.requests import Request

from storeflight.http.errors import BodyTimeout, PayloadTooLarge

T = TypeVar("T")

BATCH = 1024 * 1024  # one thread hop per MiB, not per network read
DEPTH = 4  # batches in flight between the event loop and the thread: at most ~5 MiB per request
UPLOAD_THREADS = 64  # bodies being stored at once; more wait. Apart from the pool API handlers use.
_limiter: anyio.CapacityLimiter | None = None


class BodyInterrupted(Exception):
    """The client stopped sending before the body was complete."""


async def consume_body(request: Request, consume: Callable[[Iterator[bytes]], T]) -> T:
    """Run `consume(chunks)` in a worker thread while the event loop feeds it the request body.

    If `consume` returns or raises before the end of the body, the rest is not read. If the client goes
    away first, the iterator raises BodyInterrupted, so `consume` never mistakes a cut body for a whole one.
    """
    send, receive = anyio.create_memory_object_stream[bytes](max_buffer_size=DEPTH)
    failures: list[Exception] = []

    def work() -> T:
        try:
            return consume(_chunks(receive, failures))
        finally:
            anyio.from_thread.run_sync(receive.close)

    error: Exception | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(_pump, request, send, failures)
        try:
            result = await anyio.to_thread.run_sync(work, limiter=_upload_limiter())
        except Exception as raised:  # re-raised below: inside the group it would come out wrapped
            error = raised
        group.cancel_scope.cancel()
    if error is not None:
        raise error
    return result


def _upload_limiter() -> anyio.CapacityLimiter:
    """Uploads hold a thread for as long as the client sends; they get their own tokens, so that slow uploads
    never starve the request handlers of the default thread pool."""
    global _limiter  # noqa: PLW0603 - one per process, made inside the event loop on first use
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(UPLOAD_THREADS)
    return _limiter


async def _pump(request: Request, send: MemoryObjectSendStream[bytes], failures: list[Exception]) -> None:
    async with send:
        try:
            pending: list[bytes] = []
            size = 0
            async for part in request.stream():
                pending.append(part)
                size += len(part)
                if size >= BATCH:
                    await send.send(b"".join(pending))
                    pending.clear()
                    size = 0
            if pending:
                await send.send(b"".join(pending))
        except anyio.BrokenResourceError:
            pass  # the consumer finished early
        except Exception as error:  # handed to the consumer, which raises it
            failures.append(error)


def _chunks(receive: MemoryObjectReceiveStream[bytes], failures: list[Exception]) -> Iterator[bytes]:
    while True:
        try:
            chunk = anyio.from_thread.run(receive.receive)
        except anyio.EndOfStream:
            if failures and isinstance(failures[0], PayloadTooLarge | BodyTimeout):
                raise failures[0] from None  # the body's bounds (http/body_limit.py), answered as such
            if failures:
                raise BodyInterrupted("the request body ended early") from failures[0]
            return
        yield chunk
