"""Where a workspace's batches stand: records per state, and the failed ones with reasons.

:func:`ledger_status` reads the ledger only (no network); it is what
``specpub status`` prints and what :func:`specpub.status` returns. Read while a
batch runs (another process, a notebook's dashboard polling it), it also says how
the last publish run is doing: running, stopped or done, and whether the repository
is unreachable right now (the circuit breaker is open), since when, and why.

Examples
--------
>>> import tempfile, pathlib
>>> from specpub.batch.ledger import Ledger
>>> from specpub.repository.protocol import Marker
>>> with Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite") as led:
...     b = led.create_batch(target="embedded", api="legacy")
...     _ = led.add_record(b, Marker("BR1"), payload={})
...     st = ledger_status(led)
>>> print(st.summary())
batch 1: embedded, legacy API, 1 records
  planned            1
>>> st.to_frame()[["batch", "state", "records"]].values.tolist()
[[1, 'planned', 1]]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from specpub._display import FrameResult
from specpub.batch._lock import lock_holder
from specpub.batch.ledger import STATES, Ledger

__all__ = ["BatchStatus", "Status", "ledger_status"]


@dataclass
class BatchStatus:
    """One batch: where it goes, and its records per state.

    Attributes
    ----------
    batch, label, target, api, created
        The batch as planned.
    counts
        State → records (states with no record left out).
    failed
        One dict per failed record: ``marker``, ``step``, ``reason``, ``retryable``.
    """

    batch: int
    label: str | None
    target: str
    api: str
    created: str
    counts: dict[str, int]
    failed: list[dict[str, Any]] = field(default_factory=list)
    #: The last publish run: ``run_id``, ``started``, ``ended``, ``outcome`` (``running``
    #: while it runs, or when it was killed), ``message``, and ``outage`` (``None``, or
    #: ``{"since", "cause"}`` while the repository is unreachable).
    last_run: dict[str, Any] | None = None
    #: Records created again after a lost create whose first draft is not accounted for.
    unresolved: int = 0

    @property
    def records(self) -> int:
        """Records in the batch."""
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (what ``specpub status --json`` prints per batch)."""
        return {
            "batch": self.batch,
            "label": self.label,
            "target": self.target,
            "api": self.api,
            "created": self.created,
            "records": self.records,
            "counts": dict(self.counts),
            "failed": list(self.failed),
            "last_run": self.last_run,
            "unresolved": self.unresolved,
        }


@dataclass
class Status(FrameResult):
    """Records per state of every batch of a workspace (see :func:`ledger_status`).

    Attributes
    ----------
    workspace
        The workspace folder (or ledger path) read.
    batches
        One :class:`BatchStatus` per batch, oldest first.
    publishing
        Who is publishing from this ledger right now (``"pid 1234"``: another
        process, a notebook's dashboard, ``specpub run``), or ``None``.
    """

    workspace: str
    batches: list[BatchStatus]
    publishing: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        """State → records, over all batches.

        Examples
        --------
        >>> Status("ws", []).counts
        {}
        """
        out: dict[str, int] = {}
        for b in self.batches:
            for state, n in b.counts.items():
                out[state] = out.get(state, 0) + n
        return out

    @property
    def ok(self) -> bool:
        """True when no record failed.

        Examples
        --------
        >>> Status("ws", []).ok
        True
        """
        return not self.counts.get("failed")

    def failed(self) -> pd.DataFrame:
        """The failed records: ``batch``, ``marker``, ``step``, ``reason``, ``retryable``."""
        rows = [{"batch": b.batch, **f} for b in self.batches for f in b.failed]
        return pd.DataFrame(rows, columns=["batch", "marker", "step", "reason", "retryable"])

    def to_frame(self) -> pd.DataFrame:
        """One row per batch and state: ``batch``, ``target``, ``api``, ``state``, ``records``."""
        rows = [
            {"batch": b.batch, "target": b.target, "api": b.api, "state": s, "records": b.counts[s]}
            for b in self.batches
            for s in STATES
            if b.counts.get(s)
        ]
        return pd.DataFrame(rows, columns=["batch", "target", "api", "state", "records"])

    def summary(self, *, max_failed: int = 20) -> str:
        """Per batch: target, API, records per state, the first failed records."""
        if not self.batches:
            return f"{self.workspace}: no batches planned yet"
        lines = []
        for b in self.batches:
            label = f" ({b.label})" if b.label else ""
            lines.append(f"batch {b.batch}{label}: {b.target}, {b.api} API, {b.records} records")
            for state in STATES:
                if b.counts.get(state):
                    lines.append(f"  {state:<11} {b.counts[state]:>8}")
            run = b.last_run
            if run is not None:
                state = run["outcome"]
                if state == "running":
                    state = (
                        f"publishing now ({self.publishing})"
                        if self.publishing
                        else "stopped before its end (interrupted or killed): publish again "
                        "to resume"
                    )
                text = f"  last publish run {run['started']}: {state}"
                if run.get("outage"):
                    text += (f"; repository unreachable since {run['outage']['since']}"
                             f" ({run['outage']['cause']})")  # fmt: skip
                elif run.get("message"):
                    text += f" ({run['message']})"
                lines.append(text)
            if b.unresolved:
                lines.append(
                    f"  {b.unresolved} records may have left a draft the search did not show "
                    "yet: `specpub reconcile --delete-orphans` once it does"
                )
            for f in b.failed[:max_failed]:
                lines.append(f"  failed {f['marker']} at {f['step']}: {f['reason']}")
            if len(b.failed) > max_failed:
                lines.append(f"  ... and {len(b.failed) - max_failed} more failed records")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``specpub status --json``)."""
        return {
            "workspace": self.workspace,
            "publishing": self.publishing,
            "batches": [b.to_dict() for b in self.batches],
        }

    def __str__(self) -> str:
        return self.summary()


def ledger_status(ledger: Ledger, batch: int | None = None) -> Status:
    """Records per state of ``batch`` (every batch if ``None``), with the failed ones.

    Parameters
    ----------
    ledger
        The workspace's :class:`~specpub.batch.ledger.Ledger`.
    batch
        One batch id (checked to exist), or ``None`` for all.

    Returns
    -------
    Status
    """
    ids = [ledger.latest_batch(batch)] if batch is not None else ledger.batch_ids()
    out = []
    for bid in ids:
        info = ledger.batch(bid)
        failed = ledger.records(batch=bid, state="failed")
        out.append(
            BatchStatus(
                batch=bid,
                label=info.label,
                target=info.target,
                api=info.api,
                created=info.created,
                counts=ledger.counts(batch=bid),
                failed=[
                    {
                        "marker": r["marker_key"],
                        "step": r["step"],
                        "reason": r["reason"],
                        "retryable": r["retryable"],
                    }
                    for r in failed.to_dict("records")
                ],
                last_run=_last_run(ledger, bid),
                unresolved=len(ledger.possible_orphans(bid)),
            )
        )
    root = ledger.path.parent
    return Status(workspace=str(root), batches=out, publishing=lock_holder(ledger.path))


def _last_run(ledger: Ledger, batch: int) -> dict[str, Any] | None:
    """The batch's last publish run, and whether it is in an outage now."""
    runs = ledger.runs("publish")
    runs = runs[[batch in json.loads(b or "[]") for b in runs["batch_ids"]]]
    if not len(runs):
        return None
    run = runs.iloc[-1]
    out = {k: (None if run[k] != run[k] else run[k])
           for k in ("run_id", "started", "ended", "outcome", "message")}  # fmt: skip
    out["run_id"] = int(out["run_id"])
    out["outage"] = None
    if out["outcome"] == "running":
        ev = ledger.query(
            "SELECT kind, ts, duration, detail FROM events WHERE run_id=? AND "
            "step='circuit_open' ORDER BY event_id",
            [out["run_id"]],
        )
        opened = ev[ev.kind == "note"]
        closed = ev[ev.kind == "pause"]
        if len(opened) and (
            not len(closed) or opened.ts.iloc[-1] > (closed.ts + closed.duration.fillna(0)).max()
        ):
            since = datetime.fromtimestamp(float(opened.ts.iloc[-1]), UTC)
            cause = json.loads(opened.detail.iloc[-1] or "{}").get("cause", "")
            out["outage"] = {"since": since.isoformat(timespec="seconds"), "cause": cause}
    return out
