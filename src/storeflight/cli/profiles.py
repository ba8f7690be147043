"""Named profiles (`storeflight login`): where the server is and which credentials to use.

Profiles live in `profiles.json` in the config folder (`typer.get_app_dir("storeflight")`, or
`STOREFLIGHT_CONFIG_DIR`), written with mode 0600 in a 0700 folder. A secret typed at the prompt goes to the
system keyring where there is one (`keyring_secrets.py`; the profile then names the entry), else into that
file; with `--secret-env` or `--secret-file` only the variable's name or the file's path is stored and read
on every command. Environment variables override a profile's values per option, so CI can
run without a profile at all. The secret is never printed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer

from storeflight.cli import keyring_secrets
from storeflight.cli.output import CliError, ExitCode, JsonOption, Output, guard
from storeflight.client import ClientConfig, StoreClient

MICROSOFT_API = "https://manage.devcenter.microsoft.com"
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_PROFILE = "default"

ProfileOption = Annotated[
    str | None,
    typer.Option("--profile", envvar="STOREFLIGHT_PROFILE", help="Profile to use (see `storeflight login`)."),
]

# Per-option environment variables: each overrides the profile's value (and stands in for it without one).
ENV = {
    "base_url": "STOREFLIGHT_BASE_URL",
    "tenant_id": "STOREFLIGHT_TENANT_ID",
    "client_id": "STOREFLIGHT_CLIENT_ID",
    "secret": "STOREFLIGHT_CLIENT_SECRET",
    "authority": "STOREFLIGHT_AUTHORITY",
    "token_version": "STOREFLIGHT_TOKEN_VERSION",
    "ca_bundle": "STOREFLIGHT_CA_BUNDLE",
    "max_retries": "STOREFLIGHT_MAX_RETRIES",
    "timeout": "STOREFLIGHT_HTTP_TIMEOUT",
}


@dataclass
class Profile:
    """One profile as stored (secret fields are mutually exclusive)."""

    name: str = DEFAULT_PROFILE
    base_url: str = MICROSOFT_API
    tenant_id: str = ""
    client_id: str = ""
    secret: str | None = field(default=None, repr=False)
    secret_env: str | None = None
    secret_file: str | None = None
    secret_keyring: str | None = None  # the keyring entry holding the secret (keyring_secrets.entry_name)
    authority: str = MICROSOFT_AUTHORITY
    token_version: str = "v1"
    ca_bundle: str | None = None
    insecure: bool = False
    max_retries: int = 5
    timeout: float = 60.0

    def read_secret(self) -> str:
        """The secret from wherever the profile says it is."""
        if self.secret:
            return self.secret
        if self.secret_keyring:
            return self._keyring_secret(self.secret_keyring)
        if self.secret_env:
            value = os.environ.get(self.secret_env)
            if not value:
                raise CliError(ExitCode.AUTH, f"the environment variable {self.secret_env} (the secret) is not set")
            return value
        if self.secret_file:
            try:
                return Path(self.secret_file).read_text(encoding="utf-8").strip()
            except OSError as error:
                raise CliError(ExitCode.AUTH, f"cannot read the secret file {self.secret_file}: {error}") from None
        raise CliError(ExitCode.AUTH, f"profile {self.name!r} has no secret", _login_hint(self.name))

    def _keyring_secret(self, entry: str) -> str:
        value = keyring_secrets.get(entry)
        if value:
            return value
        chosen = keyring_secrets.backend()
        where = f"the system keyring ({keyring_secrets.backend_name(chosen)})" if chosen else "a system keyring"
        raise CliError(
            ExitCode.AUTH,
            f"profile {self.name!r} keeps its secret in the system keyring, but {where} has no entry {entry!r}",
            _login_hint(self.name) + "; add --no-keyring to keep the secret in the profile file, "
            "or set STOREFLIGHT_CLIENT_SECRET",
        )

    def source(self) -> str:
        """Where the secret is: "stored" (the profile file), "keyring", "env" or "file"."""
        if self.secret:
            return "stored"
        return "keyring" if self.secret_keyring else ("env" if self.secret_env else "file")

    def config(self) -> ClientConfig:
        verify: bool | str = False if self.insecure else (self.ca_bundle or True)
        version = cast(Literal["v1", "v2"], self.token_version)
        return ClientConfig(
            tenant_id=self.tenant_id,
            client_id=self.client_id,
            client_secret=self.read_secret(),
            base_url=self.base_url.rstrip("/"),
            authority=self.authority.rstrip("/"),
            token_version=version,
            timeout=self.timeout,
            max_retries=self.max_retries,
            verify=verify,
        )

    def public(self) -> dict[str, Any]:
        """What may be shown: everything but the secret itself."""
        shown = {k: v for k, v in asdict(self).items() if k != "secret"}
        shown["secretSource"] = self.source()
        return shown


def config_dir() -> Path:
    override = os.environ.get("STOREFLIGHT_CONFIG_DIR")
    return Path(override) if override else Path(typer.get_app_dir("storeflight"))


def profiles_path() -> Path:
    return config_dir() / "profiles.json"


def load_all() -> dict[str, Any]:
    """{"default": name, "profiles": {name: {...}}}; empty when there is no file yet."""
    try:
        data = json.loads(profiles_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"default": None, "profiles": {}}
    except (OSError, ValueError) as error:
        raise CliError(ExitCode.ERROR, f"cannot read {profiles_path()}: {error}", "fix or delete the file") from None
    return dict(data)


def save_all(data: dict[str, Any]) -> Path:
    """Write the profiles file atomically, 0600 from the first byte, in a 0700 folder."""
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = profiles_path()
    temporary = target.with_name(f".profiles.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), 0o600)
        json.dump(data, fh, indent=2)
    os.replace(temporary, target)
    return target


def _login_hint(name: str) -> str:
    option = "" if name == DEFAULT_PROFILE else f" --profile {name}"
    return f"run `storeflight login{option}` (or set STOREFLIGHT_TENANT_ID, STOREFLIGHT_CLIENT_ID, ...)"


def _from_dict(name: str, values: dict[str, Any]) -> Profile:
    known = {f.name for f in fields(Profile)}
    return Profile(**{k: v for k, v in values.items() if k in known and k != "name"}, name=name)


def _with_env(profile: Profile) -> Profile:
    changes: dict[str, Any] = {}
    for attribute, variable in ENV.items():
        value = os.environ.get(variable)
        if value:
            kind = type(getattr(Profile(), attribute))
            changes[attribute] = kind(value) if kind in (int, float) else value
    if "secret" in changes:
        changes.update(secret_env=None, secret_file=None, secret_keyring=None)
    return replace(profile, **changes)


def resolve(name: str | None) -> Profile:
    """The profile a command runs with: --profile / STOREFLIGHT_PROFILE / the default one, then env overrides."""
    data = load_all()
    chosen = name or data.get("default") or DEFAULT_PROFILE
    stored = data.get("profiles", {}).get(chosen)
    if stored is None and name is not None:
        raise CliError(ExitCode.AUTH, f"there is no profile {chosen!r} in {profiles_path()}", _login_hint(chosen))
    profile = _with_env(_from_dict(chosen, stored or {}))
    if not (profile.tenant_id and profile.client_id):
        raise CliError(ExitCode.AUTH, "no credentials: no profile and no STOREFLIGHT_* variables", _login_hint(chosen))
    return profile


# ---- commands -----------------------------------------------------------------------------------------------


def _secret_source(secret_env: str | None, secret_file: Path | None) -> dict[str, Any]:
    if secret_env and secret_file:
        raise typer.BadParameter("give --secret-env or --secret-file, not both")
    if secret_env:
        return {"secret_env": secret_env}
    if secret_file:
        return {"secret_file": str(secret_file.resolve())}
    return {"secret": typer.prompt("Client secret", hide_input=True).strip()}


def _check(profile: Profile, out: Output) -> int:
    out.where = profile.base_url
    with guard(out), StoreClient(profile.config()) as client:
        return client.list_applications(top=1).total_count


def login(
    base_url: Annotated[str, typer.Option(envvar="STOREFLIGHT_BASE_URL", help="The API root.")] = MICROSOFT_API,
    tenant_id: Annotated[str, typer.Option(envvar="STOREFLIGHT_TENANT_ID", prompt=True, help="Tenant id.")] = "",
    client_id: Annotated[str, typer.Option(envvar="STOREFLIGHT_CLIENT_ID", prompt=True, help="Client id.")] = "",
    secret_env: Annotated[str | None, typer.Option(help="Read the secret from this variable on every call.")] = None,
    secret_file: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Read the secret from this file on every call.")
    ] = None,
    authority: Annotated[
        str | None,
        typer.Option(
            envvar="STOREFLIGHT_AUTHORITY",
            help="Token authority. Default: Microsoft's for Microsoft's API, else the --base-url server itself.",
        ),
    ] = None,
    token_version: Annotated[
        str, typer.Option(envvar="STOREFLIGHT_TOKEN_VERSION", help="Azure AD token endpoint: v1 or v2.")
    ] = "v1",
    ca_bundle: Annotated[Path | None, typer.Option(exists=True, help="CA bundle for HTTPS (dev-cert).")] = None,
    insecure: Annotated[bool, typer.Option(help="Do not verify TLS certificates.")] = False,
    max_retries: Annotated[int, typer.Option(min=0, help="Retries on throttling and network errors.")] = 5,
    timeout: Annotated[float, typer.Option(help="Seconds per HTTP request.")] = 60.0,
    check: Annotated[bool, typer.Option(help="Get a token and list apps before saving.")] = True,
    no_keyring: Annotated[
        bool,
        typer.Option(
            "--no-keyring",
            envvar=keyring_secrets.NO_KEYRING_ENV,
            help="Keep a typed secret in the 0600 profile file even where a system keyring exists.",
        ),
    ] = False,
    profile: ProfileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Save a named profile (base URL, tenant, client id, secret), checked against the server first."""
    if token_version not in ("v1", "v2"):
        raise typer.BadParameter("--token-version must be v1 or v2")
    name = profile or DEFAULT_PROFILE
    out = Output(json_output)
    values = Profile(
        name=name,
        base_url=base_url.rstrip("/"),
        tenant_id=tenant_id,
        client_id=client_id,
        authority=default_authority(base_url, authority),
        token_version=token_version,
        insecure=insecure,
        max_retries=max_retries,
        ca_bundle=str(ca_bundle.resolve()) if ca_bundle else None,
        timeout=timeout,
    )
    values = replace(values, **_secret_source(secret_env, secret_file))
    apps = _check(values, out) if check else None
    values, backend = _place_secret(values, keyring=not no_keyring)
    data = load_all()
    before = data.setdefault("profiles", {}).get(name) or {}
    data["profiles"][name] = {k: v for k, v in asdict(values).items() if k != "name"}
    if not data.get("default") or profile is None:
        data["default"] = name
    path = save_all(data)
    _forget_unused(data, before.get("secret_keyring"))
    where = _secret_text(values, path, backend)
    report = {"profile": name, "path": str(path), "checked": check, "applications": apps, **values.public()}
    report.update(keyringBackend=backend, secretStorage=where)
    out.result(report, lambda: out.say(_login_text(values, path, apps) + f"; {where}"))


def _place_secret(values: Profile, *, keyring: bool) -> tuple[Profile, str | None]:
    """The profile to save: a typed secret moved into the system keyring where one takes it (and the
    backend's name), else left for the profile file."""
    chosen = keyring_secrets.backend() if keyring and values.secret else None
    if chosen is None or values.secret is None:
        return values, None
    entry = keyring_secrets.entry_name(values.client_id, values.base_url)
    if not keyring_secrets.put(chosen, entry, values.secret):
        return values, None
    return replace(values, secret=None, secret_keyring=entry), keyring_secrets.backend_name(chosen)


def _secret_text(profile: Profile, path: Path, backend: str | None) -> str:
    if profile.secret_keyring:
        return f"secret stored in the system keyring ({backend})"
    if profile.secret:
        return f"secret stored in {path} (mode 0600)"
    if profile.secret_env:
        return f"secret read from ${profile.secret_env} on every call"
    return f"secret read from {profile.secret_file} on every call"


def _forget_unused(data: dict[str, Any], entry: str | None) -> None:
    """Delete a keyring entry no profile names any more (after a logout, or a login that moved the secret)."""
    if entry and all(p.get("secret_keyring") != entry for p in data.get("profiles", {}).values()):
        keyring_secrets.delete(entry)


def default_authority(base_url: str, authority: str | None) -> str:
    """The token authority: the one given, else Microsoft's for Microsoft's API, else the API server itself
    (a storeflight server issues its own tokens)."""
    if authority:
        return authority.rstrip("/")
    base = base_url.rstrip("/")
    return MICROSOFT_AUTHORITY if base.lower() == MICROSOFT_API else base


def _login_text(profile: Profile, path: Path, apps: int | None) -> str:
    seen = "" if apps is None else f"; the client sees {apps} app(s)"
    where = f"({profile.base_url}, tokens from {profile.authority}, tenant {profile.tenant_id})"
    return f"saved profile [bold]{profile.name}[/] {where} to {path}{seen}"


def logout(profile: ProfileOption = None) -> None:
    """Delete a profile (the default one unless --profile), and its secret in the system keyring."""
    data = load_all()
    name = profile or data.get("default") or DEFAULT_PROFILE
    removed = data.get("profiles", {}).pop(name, None)
    if removed is None:
        Output().fail(ExitCode.NOT_FOUND, f"there is no profile {name!r}", "`storeflight profiles` lists them")
    if data.get("default") == name:
        data["default"] = next(iter(data["profiles"]), None)
    save_all(data)
    _forget_unused(data, removed.get("secret_keyring"))
    gone = " and its secret in the system keyring" if removed.get("secret_keyring") else ""
    typer.echo(f"deleted profile {name}{gone}")


def list_profiles(json_output: JsonOption = False) -> None:
    """List the saved profiles (never their secrets)."""
    data = load_all()
    out = Output(json_output)
    shown = [_from_dict(n, v).public() | {"default": n == data.get("default")} for n, v in data["profiles"].items()]
    rows = [(p["name"], "*" if p["default"] else "", p["base_url"], p["tenant_id"], p["client_id"]) for p in shown]
    out.result(shown, lambda: out.table("profiles", ["name", "default", "base URL", "tenant", "client id"], rows))
