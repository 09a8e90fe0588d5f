"""What every ``specpub`` sub-command says the same way: options, metavars, the target.

Each area's ``_cli`` module adds its options through these helpers, so that
``--workspace WS``, ``--to TARGET``, ``--url URL``, ``--api {legacy,native}``,
``--token-env VAR``, ``--progress {auto,text,none}`` and ``--json`` read the
same, with help, on every sub-command (a test walks them all).

The target story (:func:`connect`): ``--to`` names the repository;
``--url`` says where it runs. ``--to embedded`` without ``--url`` uses the
embedded repository the user started with ``specpub sandbox serve`` (found
through :mod:`specpub._runtime`), never a private one, and refuses when none
or several run. Every command that talks to a repository says which one it
uses, on stderr. The token comes from the variable named by ``--token-env``
(keyring fallback) or, for ``--to embedded`` when ``--token-env`` is left at its
default, from the running repository; it is never printed.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_workspace(parser); add_target(parser)
>>> args = parser.parse_args(["-w", "ws", "--to", "zenodo"])
>>> args.workspace, args.to, args.api, args.token_env
('ws', 'zenodo', None, 'ZENODO_TOKEN')
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from specpub.errors import InputError
from specpub.progress import ProgressSpec
from specpub.repository._token import (
    DEFAULT_TOKEN_ENV,
    EnvToken,
    ServedToken,
    TokenProvider,
    describe_token_env,
    shown_name,
)

if TYPE_CHECKING:  # pragma: no cover
    # the targets module imports the HTTP clients (httpx): only a command that talks to
    # a repository pays for them, not every parser
    from specpub.repository.targets import Target

__all__ = [
    "API_CHOICES",
    "PROGRESS_CHOICES",
    "TARGET_HELP",
    "Connection",
    "add_api",
    "add_json",
    "add_progress",
    "add_target",
    "add_workspace",
    "check_token_env",
    "connect",
    "progress_of",
]

API_CHOICES = ("legacy", "native")
PROGRESS_CHOICES = ("auto", "text", "none")
TARGET_HELP = (
    "zenodo, zenodo-sandbox, embedded (the one `specpub sandbox serve` runs, or --url), "
    "or an InvenioRDM base URL (https://...)"
)


def add_workspace(
    parser: argparse.ArgumentParser, *, required: bool = True, help: str = "the workspace folder"
) -> None:
    """``--workspace/-w WS``."""
    parser.add_argument("--workspace", "-w", required=required, metavar="WS", help=help)


def add_api(parser: argparse.ArgumentParser, *, default_help: str = "the batch's") -> None:
    """``--api {legacy,native}``."""
    parser.add_argument(
        "--api",
        choices=API_CHOICES,
        default=None,
        help=f"Zenodo's deposit API (legacy) or InvenioRDM's records API (native); "
        f"default: {default_help}",
    )


def add_target(
    parser: argparse.ArgumentParser, *, required: bool = True, api_default: str = "the batch's"
) -> None:
    """``--to TARGET``, ``--url URL``, ``--api``, ``--token-env VAR``."""
    parser.add_argument("--to", required=required, default=None, metavar="TARGET",
                        help=TARGET_HELP)  # fmt: skip
    parser.add_argument(
        "--url",
        default=None,
        metavar="URL",
        help="where the target runs, e.g. the http://127.0.0.1:PORT a `specpub sandbox serve` "
        "printed (default: the target's own address)",
    )
    add_api(parser, default_help=api_default)
    parser.add_argument(
        "--token-env",
        default=DEFAULT_TOKEN_ENV,
        metavar="VAR",
        help="NAME of the environment variable holding the token, never the token itself "
        f"(default {DEFAULT_TOKEN_ENV}; a keyring entry of that name works too; not needed "
        "for the embedded repository `specpub sandbox serve` runs)",
    )


def add_progress(parser: argparse.ArgumentParser) -> None:
    """``--progress {auto,text,none}``."""
    parser.add_argument(
        "--progress",
        choices=PROGRESS_CHOICES,
        default="auto",
        help="a bar in a terminal, plain lines otherwise (auto, the default), lines, or none",
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    """``--json``."""
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")


def progress_of(args: argparse.Namespace) -> ProgressSpec:
    """The ``progress=`` value for ``--progress`` (plain lines on stderr with ``--json``)."""
    choice = getattr(args, "progress", "auto")
    if getattr(args, "json", False) and choice == "auto":
        return "text"
    return None if choice == "none" else choice


def check_token_env(var: str) -> None:
    """The variable named by ``--token-env`` must exist; its value is never printed back."""
    if not var or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):
        raise InputError(
            "--token-env must be the NAME of an environment variable (letters, digits, _); "
            "the value given is not one (it is not shown: it may be the token itself)",
            field="--token-env",
            fix="export ZENODO_TOKEN=<your token>, then pass --token-env ZENODO_TOKEN",
        )
    if not os.environ.get(var):
        from specpub.repository._token import _from_keyring

        if _from_keyring(var):
            return
        name = shown_name(var) or DEFAULT_TOKEN_ENV
        raise InputError(
            f"{describe_token_env(var)} is not set (it should hold your access token)",
            field="--token-env",
            fix=f"export {name}=<your token> (the token is read only from the environment or "
            f"the keyring), and pass --token-env {name}",
        )


@dataclass(frozen=True)
class Connection:
    """The repository a command talks to: the target, its token provider, and how to name it."""

    target: Target
    auth: TokenProvider
    description: str


def connect(args: argparse.Namespace) -> Connection:
    """The repository of ``--to`` / ``--url`` / ``--token-env`` (see the module docstring).

    Raises
    ------
    InputError
        An unknown target; ``--to embedded`` with none (or several) running and
        no ``--url``; the token variable unset.
    """
    from specpub.repository.targets import resolve_target

    to = (args.to or "").strip()
    if to.lower() == "embedded" and not args.url:
        return _running_embedded(args.token_env)
    target = resolve_target(to, base_url=args.url)
    check_token_env(args.token_env)
    where = target.name if target.name == target.base_url else f"{target.name} at {target.base_url}"
    return Connection(target, EnvToken(args.token_env), where)


def _running_embedded(token_env: str | None = None) -> Connection:
    """The one running embedded repository; its token from ``token_env`` when the user
    named a variable (not the default), else the way the repository announced it."""
    from specpub._runtime import running_repositories
    from specpub.repository.targets import resolve_target

    repos = running_repositories()
    if not repos:
        raise InputError(
            "--to embedded: no embedded repository is running (specpub does not start a private "
            "one: its records and links would be gone when the command ends)",
            field="--to",
            fix="start it in another terminal with `specpub sandbox serve --data DIR` (it keeps "
            "its data in DIR and prints its URL), then run this command again; or pass --url "
            "with the address of a running one and --token-env with its token's variable",
        )
    if len(repos) > 1:
        urls = ", ".join(r.url for r in repos)
        raise InputError(
            f"--to embedded: {len(repos)} embedded repositories are running ({urls})",
            field="--to",
            fix="pass --url with the one to use",
        )
    repo = repos[0]
    target = resolve_target(repo)
    named = token_env if token_env and token_env != DEFAULT_TOKEN_ENV else repo.token_env
    if named:
        check_token_env(named)
        auth: TokenProvider = EnvToken(named)
    else:
        auth = ServedToken(repo)
    return Connection(target, auth, f"the embedded repository at {repo.describe()}")
