"""`storeflight groups list|show|create|add|remove|delete` (flight groups, a storeflight extension)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from storeflight.cli.confirm import YesOption, confirm
from storeflight.cli.output import JsonOption, Output
from storeflight.cli.profiles import ProfileOption
from storeflight.cli.session import Session, session
from storeflight.client import FlightGroup

app = typer.Typer(rich_markup_mode=None, help="Flight groups: who is in which flight.", no_args_is_help=True)

GroupArgument = Annotated[str, typer.Argument(help="The group's id.")]
MembersArgument = Annotated[list[str] | None, typer.Argument(help="Customer ids (e-mail addresses or opaque ids).")]
MembersFile = Annotated[
    Path | None,
    typer.Option(
        "--file",
        exists=True,
        dir_okay=False,
        help="Read members from this file, one per line (blank lines and # comments skipped).",
    ),
]


def read_members(members: list[str] | None, file: Path | None) -> list[str]:
    """Members from the arguments and the file (one per line; blank lines and # comments skipped)."""
    found = [m.strip() for m in members or [] if m.strip()]
    if file is not None:
        found.extend(_lines(file))
    return found


def _lines(file: Path) -> Iterator[str]:
    with file.open(encoding="utf-8-sig") as fh:
        for line in fh:
            member = line.strip()
            if member and not member.startswith("#"):
                yield member


def _show(out: Output, group: FlightGroup, extra: dict[str, object] | None = None) -> None:
    rows = [("id", group.id), ("name", group.name), ("members", group.member_count)]
    rows += [(key, value) for key, value in (extra or {}).items() if key != "members"]
    out.result({"group": group, **(extra or {})}, lambda: out.fields(f"flight group {group.name}", rows))


@app.command("list")
def list_groups(profile: ProfileOption = None, json_output: JsonOption = False) -> None:
    """List the tenant's flight groups."""
    with session(profile, json_output) as s:
        groups = s.client.list_groups()
        rows = [(g.id, g.name, g.member_count) for g in groups]
        s.out.result(groups, lambda: s.out.table("flight groups", ["id", "name", "members"], rows))


@app.command("show")
def show_group(
    group_id: GroupArgument,
    members: Annotated[bool, typer.Option("--members", help="Also list every member.")] = False,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show a group (and with --members, its members)."""
    with session(profile, json_output) as s:
        group = s.client.get_group(group_id)
        if not members:
            _show(s.out, group)
            return
        listed = s.client.list_members(group_id)

        def human() -> None:
            _show(Output(), group)
            s.out.table("members", ["customer id"], [(m,) for m in listed])

        s.out.result({"group": group, "members": listed}, human)


@app.command("create")
def create_group(
    name: Annotated[str, typer.Option("--name", help="The group's name.")],
    members: MembersArgument = None,
    file: MembersFile = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a flight group with members from the arguments and/or --file."""
    wanted = read_members(members, file)
    with session(profile, json_output) as s:
        _show(s.out, s.client.create_group(name, wanted))


@app.command("add")
def add_members(
    group_id: GroupArgument,
    members: MembersArgument = None,
    file: MembersFile = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Add members (100,000 in one call are fine); members already in the group are no error."""
    _change_members(lambda s, wanted: s.client.add_members(group_id, wanted), members, file, profile, json_output)


@app.command("remove")
def remove_members(
    group_id: GroupArgument,
    members: MembersArgument = None,
    file: MembersFile = None,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Remove members; members not in the group are no error."""
    _change_members(lambda s, wanted: s.client.remove_members(group_id, wanted), members, file, profile, json_output)


def _change_members(
    change: Callable[[Session, list[str]], FlightGroup],
    members: list[str] | None,
    file: Path | None,
    profile: str | None,
    json_output: bool,
) -> None:
    wanted = read_members(members, file)
    if not wanted:
        raise typer.BadParameter("give members as arguments or with --file")
    with session(profile, json_output) as s:
        _show(s.out, change(s, wanted), {"requested": len(wanted)})


@app.command("delete")
def delete_group(
    group_id: GroupArgument, yes: YesOption = False, profile: ProfileOption = None, json_output: JsonOption = False
) -> None:
    """Delete a group (refused with 409 while a flight names it); asks first if it has members."""
    with session(profile, json_output) as s:
        group = s.client.get_group(group_id)
        if group.member_count:
            confirm(s.out, f"flight group {group.name or group_id} has {group.member_count} member(s); delete it?", yes)
        s.client.delete_group(group_id)
        s.out.result({"deleted": group_id}, lambda: s.out.say(f"deleted flight group {group_id}"))
