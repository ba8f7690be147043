"""Reading a JSON file named by a CLI option, with an error that names the option."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer


def read_frameworks(path: Path) -> Any:
    """The JSON list in `path` (the server checks each entry); a clear error when it is not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        message = f"{path} is not a readable JSON file: {error}"
        raise typer.BadParameter(message, param_hint="--frameworks-file") from None
