"""specpub: publish digitised natural-history specimens to Zenodo and InvenioRDM.

One verb per stage, each taking a workspace (or its path) first, saving its
output there and returning a result that shows itself as a table::

    import specpub

    ws = specpub.Workspace.open_or_create("herbarium-2026")
    specpub.load(ws, "specimens.csv", media=["images/"])
    specpub.plan(ws, to="zenodo", options=specpub.PayloadOptions(institution_name="Meise"))
    specpub.publish(ws, token_env="ZENODO_TOKEN")   # the NAME of the variable, never the token
    specpub.status(ws)

Offline, on the embedded Zenodo-compatible repository (no token needed)::

    with specpub.running() as sb:
        specpub.plan(ws, to=sb)
        specpub.publish(ws, to=sb)

Every function that talks to a repository also works inside a running event
loop (a Jupyter cell) and has an ``*_async`` twin. The full list, with one
example each, is ``docs/api.md``.

Examples
--------
>>> import specpub
>>> isinstance(specpub.__version__, str)
True
>>> "publish" in specpub.__all__ and "publish_async" in specpub.__all__
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specpub._lazy import lazy_names

# Where each public name lives. Importing specpub stays fast (the command line,
# worker processes): a module is imported the first time one of its names is used.
_HOMES = {
    "specpub._api": (
        "load", "link", "build_records", "plan", "preview", "publish", "publish_async", "status",
        "reconcile", "reconcile_async", "audit", "audit_async", "report", "summary",
        "summary_async", "rehearse", "rehearse_async", "validate", "inventory",
        "inventory_async",
    ),
    "specpub.batch.inventory": ("Inventory",),
    "specpub.preservation.report": ("ValidationReport",),
    "specpub.batch.rehearsal": ("forecast", "Forecast", "Rehearsal"),
    "specpub.sandbox": ("running",),
    "specpub.records.payloads": ("PayloadOptions",),
    "specpub.records.build": ("Records",),
    "specpub.records.presets": ("Preset", "load_preset", "list_presets"),
    "specpub.records.preview": ("PreviewResult",),
    "specpub.batch.runner": ("RunOptions", "BatchResult"),
    "specpub.specimens.model": ("Specimens",),
    "specpub.specimens.linking": ("MediaLinks",),
    "specpub.specimens.terms": ("terms",),
    "specpub.media._api": ("scan", "fetch_media", "inspect"),
    "specpub.media.manifest": ("MediaManifest",),
    "specpub.media.fetch": ("FetchResult",),
    "specpub.batch.plan": ("PlanResult",),
    "specpub.batch.status": ("Status",),
    "specpub.batch.reconcile": ("ReconcileResult",),
    "specpub.batch.audit": ("AuditResult",),
    "specpub.batch.report": ("BatchReport",),
    "specpub.batch.summary": ("SummaryDeposit",),
    "specpub._whoami": ("whoami", "whoami_async", "TokenCheck"),
}  # fmt: skip
__getattr__, __dir__ = lazy_names(__name__, _HOMES)

from specpub.errors import (  # noqa: E402 - light, and needed by every module
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
from specpub.workspace import Workspace  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover - what the lazy names are, for type checkers
    from specpub._api import (
        audit,
        audit_async,
        build_records,
        inventory,
        inventory_async,
        link,
        load,
        plan,
        preview,
        publish,
        publish_async,
        reconcile,
        reconcile_async,
        rehearse,
        rehearse_async,
        report,
        status,
        summary,
        summary_async,
        validate,
    )
    from specpub._whoami import TokenCheck, whoami, whoami_async
    from specpub.batch.audit import AuditResult
    from specpub.batch.inventory import Inventory
    from specpub.batch.plan import PlanResult
    from specpub.batch.reconcile import ReconcileResult
    from specpub.batch.rehearsal import Forecast, Rehearsal, forecast
    from specpub.batch.report import BatchReport
    from specpub.batch.runner import BatchResult, RunOptions
    from specpub.batch.status import Status
    from specpub.batch.summary import SummaryDeposit
    from specpub.media._api import fetch_media, inspect, scan
    from specpub.media.fetch import FetchResult
    from specpub.media.manifest import MediaManifest
    from specpub.preservation.report import ValidationReport
    from specpub.records.build import Records
    from specpub.records.payloads import PayloadOptions
    from specpub.records.presets import Preset, list_presets, load_preset
    from specpub.records.preview import PreviewResult
    from specpub.sandbox import running
    from specpub.specimens.linking import MediaLinks
    from specpub.specimens.model import Specimens
    from specpub.specimens.terms import terms

__version__ = "0.1.0.dev0"

# The public names, each documented in docs/api.md (a test checks both agree).
# A new stage (specpub.scan, specpub.validate) adds its verb, its *_async twin
# if it talks to a repository, and its result class here and in docs/api.md.
__all__ = [
    "Ambiguous",
    "AuditResult",
    "AuthenticationError",
    "BatchReport",
    "BatchResult",
    "ChecksumMismatch",
    "FetchResult",
    "Forecast",
    "InputError",
    "Inventory",
    "MediaLinks",
    "MediaManifest",
    "NotFound",
    "PayloadOptions",
    "PlanResult",
    "Preset",
    "PreviewResult",
    "RateLimited",
    "ReconcileResult",
    "Records",
    "Rehearsal",
    "Rejected",
    "RepositoryError",
    "RunOptions",
    "Specimens",
    "SpecpubError",
    "Status",
    "SummaryDeposit",
    "TokenCheck",
    "Transient",
    "ValidationReport",
    "Workspace",
    "__version__",
    "audit",
    "audit_async",
    "build_records",
    "fetch_media",
    "forecast",
    "inspect",
    "inventory",
    "inventory_async",
    "link",
    "list_presets",
    "load",
    "load_preset",
    "plan",
    "preview",
    "publish",
    "publish_async",
    "reconcile",
    "reconcile_async",
    "rehearse",
    "rehearse_async",
    "report",
    "running",
    "scan",
    "status",
    "summary",
    "summary_async",
    "terms",
    "validate",
    "whoami",
    "whoami_async",
]
