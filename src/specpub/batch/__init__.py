"""specpub.batch: publish records at scale, safely (the engine under :func:`specpub.publish`).

Most users need only the verbs of :mod:`specpub` (``specpub.plan``,
``specpub.publish``, ``specpub.reconcile``...). This package is the engine
underneath, for code that composes its own runs: the ledger
(:class:`Ledger`: SQLite, every intent written before its request), planning
(:func:`plan_records`, :func:`plan_edits`, :func:`plan_new_versions`), the
runner (:func:`run_batch`, :func:`run_batch_async`) and its shared parts
(:class:`Pacer`, :class:`RetryPolicy`, :class:`CircuitBreaker`). Everything
else lives in its module (``specpub.batch.reconcile``, ``.audit``,
``.report``, ``.summary``, ``.rehearsal``).

Examples
--------
>>> from specpub.batch import Ledger, STATES
>>> STATES[0], STATES[-1]
('planned', 'ambiguous')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specpub._lazy import lazy_names

# Imported on first use (specpub._lazy): a submodule, a worker process or the command
# line does not pay for the whole package.
_HOMES = {
    "specpub.batch.ledger": ("STATES", "Ledger"),
    "specpub.batch.pacing": ("Pacer",),
    "specpub.batch.plan": ("PlanResult", "plan_edits", "plan_new_versions", "plan_records"),
    "specpub.batch.retry": ("CircuitBreaker", "RetryPolicy"),
    "specpub.batch.runner": ("BatchResult", "RunOptions", "run_batch", "run_batch_async"),
    "specpub.records.spec": ("FileSpec", "RecordSpec"),
}
__getattr__, __dir__ = lazy_names(__name__, _HOMES)

if TYPE_CHECKING:  # pragma: no cover - what the lazy names are, for type checkers
    from specpub.batch.ledger import STATES, Ledger
    from specpub.batch.pacing import Pacer
    from specpub.batch.plan import PlanResult, plan_edits, plan_new_versions, plan_records
    from specpub.batch.retry import CircuitBreaker, RetryPolicy
    from specpub.batch.runner import BatchResult, RunOptions, run_batch, run_batch_async
    from specpub.records.spec import FileSpec, RecordSpec

__all__ = [
    "STATES",
    "BatchResult",
    "CircuitBreaker",
    "FileSpec",
    "Ledger",
    "Pacer",
    "PlanResult",
    "RecordSpec",
    "RetryPolicy",
    "RunOptions",
    "plan_edits",
    "plan_new_versions",
    "plan_records",
    "run_batch",
    "run_batch_async",
]
