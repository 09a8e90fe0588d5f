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
