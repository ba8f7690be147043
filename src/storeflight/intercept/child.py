"""The interception proxy as a child process of `storeflight serve`, on the listening socket it inherits.

Relaying a tunnel's bytes is Python work; in a process of its own it runs on the second core instead of
taking turns with the API for one interpreter (measured: bench/intercept_bench.py). The child stops on
SIGTERM or SIGINT, and by itself when the server that started it is gone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket

from storeflight.intercept.proxy import InterceptProxy
from storeflight.ops import logs

PARENT_CHECK = 1.0  # seconds between checks that the server is still there


async def _serve(proxy: InterceptProxy, sock: socket.socket, parent: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    await proxy.start(sock)
    while not stop.is_set() and os.getppid() == parent:
        try:
            await asyncio.wait_for(stop.wait(), PARENT_CHECK)
        except TimeoutError:
            continue
    await proxy.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="storeflight-intercept")
    parser.add_argument("--fd", type=int, required=True, help="the listening socket, inherited")
    parser.add_argument("--upstream", required=True, help="host:port of the TLS listener")
    parser.add_argument("--parent", type=int, required=True, help="the server's process id")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logs.configure(args.log_level, "text")  # scrubbed like the server's lines
    host, _, port = args.upstream.rpartition(":")
    sock = socket.socket(fileno=args.fd)
    sock.setblocking(False)
    asyncio.run(_serve(InterceptProxy((host.strip("[]"), int(port))), sock, args.parent))


if __name__ == "__main__":
    main()
