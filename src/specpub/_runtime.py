"""Running embedded repositories this user started, found by the command line.

``specpub sandbox serve`` writes one small JSON file per server into a
private runtime folder while it serves (the way Jupyter's servers announce
themselves in ``jupyter/runtime``) and removes it when it stops. A command
given ``--to embedded`` without ``--url`` reads these files to use *the*
repository the user started, instead of starting a private one whose links
would die with it.

The folder is ``$SPECPUB_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/specpub``, else
``~/.cache/specpub/runtime``; it is created with mode 0700 and each file with
mode 0600. A file holds the server's URL, process id and data folder, and how
to authenticate: the *name* of the environment variable holding the token
when the server was given one by ``--token-env``, else the token the server
generated for itself (a local test repository's token, readable only by its
user, as Jupyter's files hold their server tokens). Files of servers that no
longer run are removed when found.

Examples
--------
>>> import tempfile, os
>>> os.environ["SPECPUB_RUNTIME_DIR"] = tempfile.mkdtemp()
>>> path = announce("http://127.0.0.1:9", pid=os.getpid(), data_dir="/tmp/repo", token="t0k")
>>> [r.url for r in announced()]
['http://127.0.0.1:9']
>>> announced()[0]
ServedRepository('http://127.0.0.1:9', pid=..., data_dir='/tmp/repo', token=<hidden>)
>>> withdraw(path); announced()
[]
>>> del os.environ["SPECPUB_RUNTIME_DIR"]
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from specpub.limits import RateLimit, format_rate_limits, parse_rate_limits

if TYPE_CHECKING:  # pragma: no cover
    from specpub.sandbox.server import SandboxHandle

__all__ = [
    "ServedRepository",
    "announce",
    "announced",
    "announcing",
    "running_repositories",
    "runtime_dir",
    "withdraw",
]

_PREFIX = "sandbox-"


def runtime_dir() -> Path:
    """The private folder of the announcement files (created, mode 0700)."""
    root = os.environ.get("SPECPUB_RUNTIME_DIR")
    if root:
        folder = Path(root)
    elif os.environ.get("XDG_RUNTIME_DIR"):
        folder = Path(os.environ["XDG_RUNTIME_DIR"]) / "specpub"
    else:
        folder = Path.home() / ".cache" / "specpub" / "runtime"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


@dataclass(frozen=True)
class ServedRepository:
    """One announced embedded repository: where it runs and how to authenticate.

    ``token`` is set only when the server generated it; otherwise
    ``token_env`` names the variable that holds it. Either way this object
    can be passed as a target (it has ``url`` and ``token``).
    """

    url: str
    pid: int
    data_dir: str
    token_env: str | None = None
    token: str = field(default="", repr=False)
    rate_limit: str | None = None
    search_rate_limit: str | None = None
    doi_prefix: str | None = None
    path: Path | None = field(default=None, repr=False, compare=False)

    @property
    def config(self) -> SimpleNamespace | None:
        """The server's limits and DOI prefix, as a running handle's ``config`` shows them."""
        if self.rate_limit is None or self.search_rate_limit is None:
            return None
        return SimpleNamespace(
            rate_limits=parse_rate_limits(self.rate_limit),
            search_rate_limits=parse_rate_limits(self.search_rate_limit),
            doi_prefix=self.doi_prefix,
        )

    def __repr__(self) -> str:
        auth = f"token_env={self.token_env!r}" if self.token_env else "token=<hidden>"
        return f"ServedRepository({self.url!r}, pid={self.pid}, data_dir={self.data_dir!r}, {auth})"

    def describe(self) -> str:
        """``URL (specpub sandbox serve, pid N, data DIR)`` for messages."""
        return f"{self.url} (specpub sandbox serve, pid {self.pid}, data {self.data_dir})"


def announce(
    url: str,
    *,
    pid: int,
    data_dir: str | os.PathLike[str],
    token: str | None = None,
    token_env: str | None = None,
    rate_limits: tuple[RateLimit, ...] | None = None,
    search_rate_limits: tuple[RateLimit, ...] | None = None,
    doi_prefix: str | None = None,
) -> Path:
    """Write the announcement of a server that now serves; returns the file (remove it later).

    Give ``token_env`` when the server's token came from that variable (the
    file then holds only the name), else the ``token`` it generated; and its
    limits, so that clients pace by them exactly.
    """
    data: dict[str, object] = {"url": url, "pid": int(pid), "data_dir": str(data_dir)}
    if rate_limits is not None and search_rate_limits is not None:
        data["rate_limit"] = format_rate_limits(rate_limits)
        data["search_rate_limit"] = format_rate_limits(search_rate_limits)
    if doi_prefix:
        data["doi_prefix"] = doi_prefix
    if token_env:
        data["token_env"] = token_env
    elif token:
        data["token"] = token
    path = runtime_dir() / f"{_PREFIX}{pid}-{urlsplit(url).port}.json"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)
    return path


@contextlib.contextmanager
def announcing(handle: SandboxHandle, *, token_env: str | None = None) -> Iterator[Path]:
    """Announce a running embedded repository handle while the block runs.

    ``handle`` is what :func:`specpub.running` yields (``url``, ``token``,
    ``data_dir``, ``config``). With ``token_env`` naming the variable that
    holds the handle's token, the file keeps only that name; otherwise the
    generated token itself (mode 0600).

    Examples
    --------
    >>> import specpub  # doctest: +SKIP
    >>> with specpub.running() as sb, announcing(sb):  # doctest: +SKIP
    ...     pass  # `specpub audit --to embedded` in another terminal uses sb
    """
    config = getattr(handle, "config", None)
    from_env = token_env if token_env and os.environ.get(token_env) == handle.token else None
    path = announce(
        handle.url,
        pid=os.getpid(),
        data_dir=handle.data_dir,
        token=None if from_env else handle.token,
        token_env=from_env,
        rate_limits=getattr(config, "rate_limits", None),
        search_rate_limits=getattr(config, "search_rate_limits", None),
        doi_prefix=getattr(config, "doi_prefix", None),
    )
    try:
        yield path
    finally:
        withdraw(path)


def withdraw(path: Path | None) -> None:
    """Remove an announcement (no error if it is gone)."""
    if path is not None:
        Path(path).unlink(missing_ok=True)


def announced() -> list[ServedRepository]:
    """Every announcement on file whose process still exists (stale files are removed)."""
    out = []
    for path in sorted(runtime_dir().glob(f"{_PREFIX}*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            repo = ServedRepository(
                url=str(data["url"]),
                pid=int(data["pid"]),
                data_dir=str(data.get("data_dir", "")),
                token_env=data.get("token_env"),
                token=str(data.get("token", "")),
                rate_limit=data.get("rate_limit"),
                search_rate_limit=data.get("search_rate_limit"),
                doi_prefix=data.get("doi_prefix"),
                path=path,
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written, or not ours
        if _alive(repo.pid):
            out.append(repo)
        else:
            withdraw(path)
    return out


def running_repositories(timeout: float = 1.0) -> list[ServedRepository]:
    """The announced repositories that also answer on their port."""
    return [repo for repo in announced() if _listening(repo.url, timeout)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process with that id: not our server
        return False
    return True


def _listening(url: str, timeout: float) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout):
            return True
    except OSError:
        return False
