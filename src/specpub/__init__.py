"""specpub: publish digitised natural-history specimens to Zenodo and InvenioRDM.

The flow goes one way: specimen tables → :mod:`specpub.specimens`; image
folders → media manifest → preservation report; → records → batch →
repository. Each stage saves to a :class:`~specpub.workspace.Workspace`.

Examples
--------
>>> import specpub
>>> isinstance(specpub.__version__, str)
True
"""

from specpub.errors import (
    Ambiguous,
    AuthenticationError,
    ChecksumMismatch,
    InputError,
    NotFound,
    RateLimited,
    Rejected,
    RepositoryError,
    SpecpubError,
    Transient,
)
from specpub.workspace import Workspace

__version__ = "0.1.0.dev0"

__all__ = [
    "Ambiguous",
    "AuthenticationError",
    "ChecksumMismatch",
    "InputError",
    "NotFound",
    "RateLimited",
    "Rejected",
    "RepositoryError",
    "SpecpubError",
    "Transient",
    "Workspace",
    "__version__",
]
