"""HTTP clients for Zenodo's legacy deposit API and the InvenioRDM records API.

Both clients implement :class:`~specpub.repository.protocol.RepositoryClient`;
:func:`open_client` picks one for a target (``"zenodo"``, ``"zenodo-sandbox"``,
``"embedded"``, any ``https://`` InvenioRDM address, or a running repository
handle such as :func:`specpub.running`'s). The access token comes from a
token provider: by default :class:`EnvToken`, the environment variable whose
*name* is given (default ``ZENODO_TOKEN``, keyring fallback); or
:class:`KeyringToken`; or the handle's own (:class:`ServedToken`). It is only
ever sent as an ``Authorization`` header to the target's own origin.

Examples
--------
>>> from specpub.repository import resolve_target
>>> resolve_target("zenodo-sandbox").doi_prefix
'10.5072'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specpub._lazy import lazy_names

# Imported on first use (specpub._lazy): a submodule, a worker process or the command
# line does not pay for the whole package.
_HOMES = {
    "specpub.repository._token": ("EnvToken", "KeyringToken", "ServedToken", "TokenProvider"),
    "specpub.repository.legacy": ("LegacyClient",),
    "specpub.repository.native": ("NativeClient",),
    "specpub.repository.protocol": (
        "Marker",
        "RateLimitInfo",
        "RemoteFile",
        "RemoteRecord",
        "RepositoryClient",
        "ResponseHook",
    ),
    "specpub.repository.targets": (
        "RunningRepository",
        "Target",
        "available_targets",
        "open_client",
        "register_target",
        "resolve_target",
    ),
}
__getattr__, __dir__ = lazy_names(__name__, _HOMES)

if TYPE_CHECKING:  # pragma: no cover - what the lazy names are, for type checkers
    from specpub.repository._token import EnvToken, KeyringToken, ServedToken, TokenProvider
    from specpub.repository.legacy import LegacyClient
    from specpub.repository.native import NativeClient
    from specpub.repository.protocol import (
        Marker,
        RateLimitInfo,
        RemoteFile,
        RemoteRecord,
        RepositoryClient,
        ResponseHook,
    )
    from specpub.repository.targets import (
        RunningRepository,
        Target,
        available_targets,
        open_client,
        register_target,
        resolve_target,
    )

__all__ = [
    "EnvToken",
    "KeyringToken",
    "LegacyClient",
    "Marker",
    "NativeClient",
    "RateLimitInfo",
    "RemoteFile",
    "RemoteRecord",
    "RepositoryClient",
    "ResponseHook",
    "RunningRepository",
    "ServedToken",
    "Target",
    "TokenProvider",
    "available_targets",
    "open_client",
    "register_target",
    "resolve_target",
]
