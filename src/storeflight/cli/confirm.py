"""Asking before a command destroys something worth keeping (`--yes` answers for scripts)."""

from __future__ import annotations

from typing import Annotated

import typer

from storeflight.cli.output import CliError, ExitCode, Output

YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def confirm(out: Output, question: str, yes: bool) -> None:
    """Go on when `yes` or the user answers yes; otherwise stop. With --json nobody is asked: --yes is needed."""
    if yes:
        return
    if not out.json:
        try:
            if typer.confirm(question, default=False, err=True):
                return
        except typer.Abort:  # no answer at all (stdin closed): the same as no
            pass
    raise CliError(ExitCode.ERROR, f"not confirmed: {question.rstrip('?')}", "pass --yes to go ahead without asking")
