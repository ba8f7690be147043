"""Options of `serve` and `worker` for operations: the log format and the Prometheus metrics port."""

from __future__ import annotations

from typing import Annotated

import typer

from storeflight.ops import logs

LogFormat = Annotated[
    str,
    typer.Option(
        envvar="STOREFLIGHT_LOG_FORMAT",
        help="Log lines as 'text' (for people, the default) or 'json' (one object per line, for log shippers).",
    ),
]
MetricsPort = Annotated[
    int | None,
    typer.Option(
        envvar="STOREFLIGHT_METRICS_PORT",
        min=1,
        max=65535,
        help="Serve Prometheus metrics at /metrics on this port (on --metrics-host), summed over every process "
        "of this server. Without it nothing is counted or exposed.",
    ),
]
MetricsHost = Annotated[
    str,
    typer.Option(envvar="STOREFLIGHT_METRICS_HOST", help="Address the metrics port binds (default: loopback only)."),
]


def configure_logs(level: str, fmt: str) -> None:
    """Set up logging as the options say, or stop with a clear error for an unknown format."""
    if fmt not in logs.FORMATS:
        raise typer.BadParameter(f"--log-format must be one of {', '.join(logs.FORMATS)}, not {fmt!r}.")
    logs.configure(level, fmt)
