"""Configuration of the embedded Zenodo-compatible repository: one object for every starter.

:class:`SandboxConfig` says everything a sandbox needs: where its data lives, who may use it,
where it listens, how strict and how slow it is. :func:`~specpub.sandbox.running`,
:func:`~specpub.sandbox.start`, :func:`~specpub.sandbox.running_subprocess` and
``specpub sandbox serve --config FILE`` all take it (or its fields as keywords).

Examples
--------
>>> cfg = SandboxConfig(data_dir="/tmp/sb", tokens={"secret-token": "alice"})
>>> cfg.doi_prefix, cfg.index_lag
('10.5072', 1.0)
>>> cfg.user_for("secret-token")
'alice'
>>> SandboxConfig(rate_limit="off").search_rate_limits
()
>>> parse_rate_limits("100/minute;5000/hour")
(RateLimit(count=100, seconds=60.0), RateLimit(count=5000, seconds=3600.0))
>>> parse_rate_limits("off")
()
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specpub.limits import RateLimit, parse_rate_limits  # the one type (re-exported)

if TYPE_CHECKING:  # pragma: no cover
    from specpub.sandbox.faults import FaultPlan

__all__ = [
    "DEFAULT_INDEX_LAG",
    "DEFAULT_RATE_LIMITS",
    "DEFAULT_SEARCH_RATE_LIMITS",
    "DEFAULT_USER",
    "Community",
    "RateLimit",
    "SandboxConfig",
    "parse_rate_limits",
]


#: zenodo.org's documented limits for authenticated users.
DEFAULT_RATE_LIMITS = parse_rate_limits("100/minute;5000/hour")
#: zenodo.org's documented limit for the search endpoints.
DEFAULT_SEARCH_RATE_LIMITS = parse_rate_limits("30/minute")


#: The user name that owns the records created with :attr:`SandboxConfig.token`.
DEFAULT_USER = "sandbox-user"
#: Seconds before a change shows in search: OpenSearch's default refresh interval, as on Zenodo.
DEFAULT_INDEX_LAG = 1.0

RateLimitSpec = str | Sequence[RateLimit] | None


def _parse_limits(spec: RateLimitSpec) -> tuple[RateLimit, ...]:
    if spec is None or spec is False:
        return ()
    if isinstance(spec, str):
        return parse_rate_limits(spec)
    return tuple(spec)


def _spec_text(spec: RateLimitSpec) -> str | None:
    """A rate-limit spec as text (for files and command lines)."""
    if spec is None or isinstance(spec, str):
        return spec
    return ";".join(f"{r.count}/{r.seconds:g}s" for r in spec) or "off"


@dataclass(frozen=True)
class Community:
    """A community known to the sandbox: ``slug``, its UUID, and its owners (user names)."""

    slug: str
    id: str
    title: str = ""
    owners: tuple[str, ...] = ()


@dataclass
class SandboxConfig:
    """Everything the embedded repository needs to start.

    Parameters
    ----------
    data_dir
        Folder for the SQLite database and file contents; survives restarts. ``None``: the
        starters use a temporary folder and remove it when they stop.
    token
        Bearer token of :data:`DEFAULT_USER`. ``None``: the starters generate one (read it
        from the handle's ``.token``).
    tokens
        More users: token → user name. Each token is one user who owns its records.
        Anonymous requests get 403, unknown tokens 401.
    host, port
        Where the server listens (loopback by default; port 0 picks a free port).
    doi_prefix
        ``10.5072`` (test DOIs, like sandbox.zenodo.org) or ``10.5281``.
    base_url
        Public base URL used in ``links`` (set by the server once the port is known).
    index_lag
        Seconds before a created or changed record becomes visible to search (the next
        index refresh). Default :data:`DEFAULT_INDEX_LAG`, as on Zenodo; a handle's
        ``refresh_index()`` makes everything visible at once, like an OpenSearch refresh.
    rate_limit, search_rate_limit
        Flask-Limiter style specs (``"100/minute;5000/hour"``), limits, or ``"off"``/``None``.
        Moving windows per (User-Agent + client address). ``search_rate_limit="auto"`` (the
        default) is Zenodo's ``30/minute``, or off when ``rate_limit`` is off. Parsed values:
        :attr:`rate_limits`, :attr:`search_rate_limits`.
    search_paths
        Paths whose ``GET`` counts as a search for the search limits (default: the public
        search ``/api/records`` only; see :mod:`specpub.sandbox.ratelimit`).
    faults
        Name of a fault profile, a :class:`~specpub.sandbox.faults.FaultPlan`, or ``None``.
    communities
        Known communities (slug → UUID, owners).
    awards
        Known grant awards as ``"<funder DOI>::<number>"`` (the award vocabulary): a legacy
        ``grants`` entry naming another award is "Not a valid value." as on Zenodo.
        ``None``: the built-in sample (:data:`specpub.sandbox._vocabularies.AWARDS`).
    max_json_body
        Largest accepted JSON body in bytes (larger: 413).
    max_query_length
        Longest accepted query string in characters (longer: 414/400).
    max_files_per_record, quota_bytes, max_file_bytes
        Zenodo's limits: 100 files, 50 GB per record, 50 GB per file.
    seed
        Seed for fault injection and latency jitter (reproducible runs).

    Examples
    --------
    >>> cfg = SandboxConfig(rate_limit="10/s", index_lag=0.5)
    >>> cfg.rate_limits, cfg.search_rate_limits[0].count
    ((RateLimit(count=10, seconds=1.0),), 30)
    >>> SandboxConfig.from_dict(cfg.to_dict()) == cfg
    True
    """

    data_dir: Path | str | None = None
    token: str | None = field(default=None, repr=False)
    tokens: dict[str, str] = field(default_factory=dict, repr=False)
    host: str = "127.0.0.1"
    port: int = 0
    doi_prefix: str = "10.5072"
    base_url: str = "http://127.0.0.1:0"
    index_lag: float = DEFAULT_INDEX_LAG
    rate_limit: RateLimitSpec = "100/minute;5000/hour"
    search_rate_limit: RateLimitSpec = "auto"
    search_paths: tuple[str, ...] = ("/api/records",)
    faults: str | FaultPlan | None = None
    communities: tuple[Community, ...] = ()
    awards: frozenset[str] | None = None
    max_json_body: int = 10 * 1024 * 1024
    max_query_length: int = 8192
    max_files_per_record: int = 100
    quota_bytes: int = 50 * 10**9
    max_file_bytes: int = 50 * 10**9
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.data_dir is not None:
            self.data_dir = Path(self.data_dir)
        self.index_lag = float(self.index_lag)
        if self.index_lag < 0:
            raise ValueError(f"index_lag must be >= 0 seconds, not {self.index_lag}")
        self.search_paths = tuple(self.search_paths)
        self.communities = tuple(
            c if isinstance(c, Community) else Community(**c) for c in self.communities
        )
        if self.awards is not None:
            self.awards = frozenset(self.awards)
        # fail early on a malformed spec (ValueError names the part and the expected form)
        _ = self.rate_limits, self.search_rate_limits

    # -- derived values ---------------------------------------------------------------

    @property
    def rate_limits(self) -> tuple[RateLimit, ...]:
        """The general limits, parsed (``()``: off)."""
        return _parse_limits(self.rate_limit)

    @property
    def search_rate_limits(self) -> tuple[RateLimit, ...]:
        """The search limits, parsed (``"auto"``: 30/minute unless ``rate_limit`` is off)."""
        if self.search_rate_limit == "auto":
            return DEFAULT_SEARCH_RATE_LIMITS if self.rate_limits else ()
        return _parse_limits(self.search_rate_limit)

    def user_for(self, token: str) -> str | None:
        """The user name a bearer token belongs to (``None``: unknown token)."""
        if self.token is not None and token == self.token:
            return DEFAULT_USER
        return self.tokens.get(token)

    def changed(self, **changes: Any) -> SandboxConfig:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return replace(self, **changes) if changes else self

    # -- files --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field except the secrets (``token``, ``tokens``).

        Examples
        --------
        >>> SandboxConfig(rate_limit="off", token="secret").to_dict()["rate_limit"]
        'off'
        >>> "token" in SandboxConfig(token="secret").to_dict()
        False
        """
        from specpub.sandbox.faults import FaultPlan

        out = {f.name: getattr(self, f.name) for f in fields(self)}
        del out["token"], out["tokens"]
        out["data_dir"] = None if self.data_dir is None else str(self.data_dir)
        out["rate_limit"] = _spec_text(self.rate_limit) or "off"
        out["search_rate_limit"] = _spec_text(self.search_rate_limit) or "off"
        out["search_paths"] = list(self.search_paths)
        if isinstance(self.faults, FaultPlan):
            out["faults"] = self.faults.to_dict()
        out["communities"] = [asdict(c) for c in self.communities]
        out["awards"] = None if self.awards is None else sorted(self.awards)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SandboxConfig:
        """The configuration described by ``data`` (as made by :meth:`to_dict`).

        Raises
        ------
        ValueError
            For an unknown key (the message lists the known ones) or a bad value.
        """
        from specpub.sandbox.faults import FaultPlan

        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"sandbox config: unknown key(s) {sorted(unknown)}; use {sorted(known)}"
            )
        kwargs = dict(data)
        if isinstance(kwargs.get("faults"), Mapping):
            kwargs["faults"] = FaultPlan.from_dict(kwargs["faults"])
        if "communities" in kwargs:
            kwargs["communities"] = tuple(
                Community(**{**c, "owners": tuple(c.get("owners", ()))})
                for c in kwargs["communities"]
            )
        if "search_paths" in kwargs:
            kwargs["search_paths"] = tuple(kwargs["search_paths"])
        return cls(**kwargs)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> SandboxConfig:
        """Read a configuration written by :meth:`to_file` (JSON)."""
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))

    def to_file(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_dict` as JSON to ``path`` (no secrets); returns the path."""
        out = Path(path)
        out.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return out
