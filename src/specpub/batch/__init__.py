"""specpub.batch: publish records at scale, safely.

The ledger (:mod:`specpub.batch.ledger`) records every intent and outcome;
planning (:mod:`specpub.batch.plan`) writes records into it; the runner
(:mod:`specpub.batch.runner`) drives them to ``published`` through any
:class:`~specpub.repository.protocol.RepositoryClient`, paced
(:mod:`specpub.batch.pacing`) and retried (:mod:`specpub.batch.retry`).

Examples
--------
>>> from specpub.batch import Ledger, STATES
>>> STATES[0], STATES[-1]
('planned', 'ambiguous')
"""

from specpub.batch.ledger import (
    FILE_STATES,
    OUTCOMES,
    STATES,
    TRANSITIONS,
    BatchInfo,
    IllegalTransition,
    Ledger,
    LedgerFile,
    LedgerRecord,
)
from specpub.batch.pacing import Limit, Pacer
from specpub.batch.plan import (
    FileSpec,
    PlanResult,
    RecordSpec,
    plan_edits,
    plan_new_versions,
    plan_records,
)
from specpub.batch.retry import CircuitBreaker, RetryPolicy
from specpub.batch.runner import BatchResult, RunOptions, run_batch, run_batch_async

__all__ = [
    "FILE_STATES",
    "OUTCOMES",
    "STATES",
    "TRANSITIONS",
    "BatchInfo",
    "BatchResult",
    "CircuitBreaker",
    "FileSpec",
    "IllegalTransition",
    "Ledger",
    "LedgerFile",
    "LedgerRecord",
    "Limit",
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
