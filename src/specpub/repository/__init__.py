"""HTTP clients for Zenodo's legacy deposit API and the InvenioRDM records API.

Both clients implement :class:`~specpub.repository.protocol.RepositoryClient`;
:func:`open_client` picks one for a target (``"zenodo"``, ``"zenodo-sandbox"``,
``"embedded"`` or any ``https://`` InvenioRDM address). The access token is
read from the environment variable whose *name* is given (default
``ZENODO_TOKEN``) and is only ever sent as an ``Authorization`` header.

Examples
--------
>>> from specpub.repository import resolve_target
>>> resolve_target("zenodo-sandbox").doi_prefix
'10.5072'
"""

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
    RateRule,
    Target,
    available_targets,
    open_client,
    register_target,
    resolve_target,
)

__all__ = [
    "LegacyClient",
    "Marker",
    "NativeClient",
    "RateLimitInfo",
    "RateRule",
    "RemoteFile",
    "RemoteRecord",
    "RepositoryClient",
    "ResponseHook",
    "Target",
    "available_targets",
    "open_client",
    "register_target",
    "resolve_target",
]
