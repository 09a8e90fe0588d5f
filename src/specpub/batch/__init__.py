"""specpub.batch: publish records at scale, safely.

The ledger (:mod:`specpub.batch.ledger`) records every intent and outcome;
planning (:mod:`specpub.batch.plan`) writes records into it; the runner
(:mod:`specpub.batch.runner`) drives them to ``published`` through any
:class:`~specpub.repository.protocol.RepositoryClient`, paced
(:mod:`specpub.batch.pacing`) and retried (:mod:`specpub.batch.retry`).
Afterwards :func:`specpub.batch.reconcile.reconcile` compares the ledger with
the repository, :func:`specpub.batch.audit.audit` re-checks every published
file, :mod:`specpub.batch.report` and :mod:`specpub.batch.summary` report and
list what was published, and :mod:`specpub.batch.rehearsal` forecasts a run.
(The ``reconcile`` and ``audit`` functions are not re-exported here, so that
the module names stay importable as modules.)

Examples
--------
>>> from specpub.batch import Ledger, STATES
>>> STATES[0], STATES[-1]
('planned', 'ambiguous')
"""

from specpub.batch.audit import AuditResult, AuditRow
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
from specpub.batch.reconcile import Finding, ReconcileResult, delete_orphan_drafts
from specpub.batch.rehearsal import Forecast, Rehearsal, forecast, rehearse, requests_per_record
from specpub.batch.report import BatchReport, batch_report, build_report
from specpub.batch.retry import CircuitBreaker, RetryPolicy
from specpub.batch.runner import BatchResult, RunOptions, run_batch, run_batch_async
from specpub.batch.summary import SummaryDeposit, publish_summary, summary_table, write_summary

__all__ = [
    "FILE_STATES",
    "OUTCOMES",
    "STATES",
    "TRANSITIONS",
    "AuditResult",
    "AuditRow",
    "BatchInfo",
    "BatchReport",
    "BatchResult",
    "CircuitBreaker",
    "FileSpec",
    "Finding",
    "Forecast",
    "IllegalTransition",
    "Ledger",
    "LedgerFile",
    "LedgerRecord",
    "Limit",
    "Pacer",
    "PlanResult",
    "ReconcileResult",
    "RecordSpec",
    "Rehearsal",
    "RetryPolicy",
    "RunOptions",
    "SummaryDeposit",
    "batch_report",
    "build_report",
    "delete_orphan_drafts",
    "forecast",
    "plan_edits",
    "plan_new_versions",
    "plan_records",
    "publish_summary",
    "rehearse",
    "requests_per_record",
    "run_batch",
    "run_batch_async",
    "summary_table",
    "write_summary",
]
