"""What a worker process needs to build the app and serve: picklable, sent to each spawned worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storeflight.config import Settings

STARTUP_FAILURE = 3  # a worker's exit code when it could not start serving: the supervisor stops, not restarts


@dataclass(frozen=True)
class WorkerSpec:
    settings: Settings
    options: dict[str, Any]  # uvicorn.Config options (plain values: log_level, TLS files, graceful timeout...)
    supervisor: int  # the supervisor's process id: woken with SIGUSR1 after a commit; a worker stops without it
    pipeline: bool = False  # the supervisor runs the ingestion pipeline (wake it after commits)
    warm_delivery: bool = False
    leaf: tuple[Path, Path] | None = None  # interception mode: the TLS listener's certificate and key
    # Where each worker listens on a socket of its own (SO_REUSEPORT: the kernel spreads new connections evenly
    # between the workers); None: every worker accepts from the one socket it inherits.
    listen: tuple[str, int] | None = None
