"""Reconcile a batch: compare the ledger with what the repository holds, and correct the ledger.

The ICEDIG pilot's log disagreed with Zenodo both ways (701 more records
published than logged). :func:`reconcile` asks the repository, never the log,
and never takes the search index's word for an absence:

1. **Listing.** The user's whole account is listed once
   (:mod:`specpub.batch.inventory`: every record and draft, every version,
   100 per request, paced at the target's limits; on Zenodo the listing counts
   against the global 100/min and 5000/h, not the 30/min of the public search).
   The listing is cached in the workspace for the next preflight.
2. **GETs by id where the listing is no proof.** A record the ledger knows by
   id that the listing does not show, or shows in another state than the
   ledger says (a published record listed as a draft: the index lags), is
   fetched by id. A GET has no index lag.
3. **Confirming 404s.** A 404 is an outage symptom until confirmed (Zenodo
   answered 404 to everything in May 2019): the id is fetched again after
   ``confirm_delay`` seconds, and up to three records seen moments ago must
   still answer. Otherwise the findings are ``unconfirmed`` and nothing is
   corrected for them.
4. **Classification**, one finding per ledger row (every revision: edits and
   new versions too), plus duplicates and leftover drafts per marker
   (:mod:`specpub.batch._adoption` decides which server record is *the* one).
5. **Corrections**, each one logged move of the ledger (:meth:`Ledger.adopt`,
   :meth:`Ledger.replan`, or a workflow transition) in its own transaction: a
   reconcile killed at any instant leaves every record either corrected or
   untouched. A record is demoted only after a GET by id confirmed it, and
   never while the server holds it published.

Categories:

``published``
    The server has it published and the ledger agrees.
``ledger-behind``
    Published (or drafted) on the server, but the ledger did not know: the
    ledger **adopts** the server's id, DOI and links.
``draft``
    An unpublished draft carries the marker; the ledger points at it (adopted
    if it did not; a publish whose answer was lost and did not happen is put
    back to ``uploaded``).
``missing`` (serious)
    The ledger says published but the server confirmed it holds nothing (GET
    404, confirmed): planned again for a re-run. Or it holds only an
    unpublished draft with that id: the draft is resumed.
``lost-draft``
    The ledger had a draft id that the server confirmed gone: planned again.
``unresolved-create``
    A create whose answer was lost, not in the listing: publish resolves it
    (it waits for the index, then consults the inventory). Nothing corrected:
    an absence from a listing proves nothing.
``not-created``
    Never sent, and nothing on the server.
``duplicate-published`` (serious)
    Several *published* records carry one marker: reported, never deleted.
    Versions of one record (same concept id, or ids other ledger rows point
    at) are not duplicates.
``orphan-draft``
    A draft carrying the marker that no ledger row points at (an extra draft
    of a retried create): deletable with ``delete_orphans=True``.
``checksum-mismatch`` (serious)
    A file's server MD5 (or its presence) differs from the ledger's scan
    (checked when the listing or a GET shows the files; ``specpub audit``
    checks every file).
``unconfirmed``
    A GET answered 404 (twice) or failed, but the repository's health could
    not be confirmed. Nothing corrected; run reconcile again later.

A correcting (or deleting) reconciliation holds the ledger's run lock, so it
never races a runner publishing from the same ledger; a refused token stops
it at the first answer. Cost at the pilot's scale (281,372 records):
2,814 listing requests plus a GET per doubtful record; see
``benchmarks/reconcile_cost.py``.

Examples
--------
>>> f = Finding("BR|BR1", 3, "ledger-behind", ledger_state="creating", remote_id="17")
>>> f.serious, f.cleanable
(False, False)
>>> ReconcileResult([f], batch=1).summary().splitlines()[0]
'reconcile batch 1: 1 records checked against 0 on the server; ledger-behind 1'
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from specpub._display import FrameResult
from specpub.batch._adoption import as_server_record, choose
from specpub.batch._lock import RunLock
from specpub.batch._paced import CHECK_RETRY, CheckRun
from specpub.batch.inventory import Inventory, ServerRecord, list_all
from specpub.batch.pacing import Pacer
from specpub.batch.retry import RetryPolicy
from specpub.errors import NotFound, RepositoryError, classify
from specpub.repository.protocol import Marker, RemoteRecord, RepositoryClient

__all__ = [
    "CATEGORIES",
    "SERIOUS",
    "Finding",
    "ReconcileResult",
    "delete_orphan_drafts",
    "reconcile",
]

#: Every finding category, in report order.
CATEGORIES = (
    "published",
    "ledger-behind",
    "draft",
    "missing",
    "lost-draft",
    "unresolved-create",
    "not-created",
    "duplicate-published",
    "orphan-draft",
    "checksum-mismatch",
    "unconfirmed",
)
#: Categories that need a person's attention.
SERIOUS = frozenset({"missing", "duplicate-published", "checksum-mismatch"})


@dataclass(frozen=True)
class Finding:
    """One row of a reconciliation.

    Attributes
    ----------
    marker
        The marker key (``institution|catalog``).
    record_id
        The local ledger record id.
    category
        One of :data:`CATEGORIES`.
    ledger_state, ledger_state_after
        The ledger's state before and after reconciliation.
    remote_id
        The server record this finding is about.
    server_ids
        Every server record id found for the marker.
    action
        What was done: ``adopted``, ``re-run``, ``deleted``, ``none``, ...
    detail
        Human-readable explanation.

    Examples
    --------
    >>> Finding("BR|A", None, "orphan-draft", remote_id="12").cleanable
    True
    >>> Finding("BR|B", 4, "missing").serious
    True
    """

    marker: str
    record_id: int | None
    category: str
    ledger_state: str | None = None
    ledger_state_after: str | None = None
    remote_id: str | None = None
    server_ids: tuple[str, ...] = ()
    action: str = "none"
    detail: str = ""

    @property
    def serious(self) -> bool:
        """Whether a person should look at this."""
        return self.category in SERIOUS

    @property
    def cleanable(self) -> bool:
        """Whether the server record is a draft that may be deleted."""
        return self.category == "orphan-draft"


@dataclass
class ReconcileResult(FrameResult):
    """The outcome of :func:`reconcile`.

    Examples
    --------
    >>> r = ReconcileResult([Finding("|A", 1, "missing", action="re-run")], batch=2)
    >>> r.ok, r.counts()
    (False, {'missing': 1})
    >>> r.to_frame()[["marker", "category", "serious"]].values.tolist()
    [['|A', 'missing', True]]
    """

    findings: list[Finding]
    batch: int | None = None
    #: Server records listed, and the requests the listing took.
    listed: int = 0
    searches: int = 0
    gets: int = 0
    #: HTTP requests of the whole reconciliation.
    requests: int = 0
    deleted: list[str] = field(default_factory=list)
    corrected: int = 0
    elapsed: float = 0.0
    #: Why the repository's health could not be confirmed (``None``: it was, or no 404).
    unconfirmed_reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when no finding is serious and none is left unconfirmed."""
        return not any(f.serious or f.category == "unconfirmed" for f in self.findings)

    def counts(self) -> dict[str, int]:
        """Findings per category (categories with none left out), in :data:`CATEGORIES` order."""
        c = collections.Counter(f.category for f in self.findings)
        return {k: c[k] for k in CATEGORIES if c[k]}

    def by_category(self, category: str) -> list[Finding]:
        """The findings of one category."""
        return [f for f in self.findings if f.category == category]

    def to_frame(self) -> pd.DataFrame:
        """One row per finding (marker, record_id, category, states, ids, action, detail)."""
        cols = [
            "marker",
            "record_id",
            "category",
            "serious",
            "ledger_state",
            "ledger_state_after",
            "remote_id",
            "server_ids",
            "action",
            "detail",
        ]
        rows = []
        for f in self.findings:
            row = asdict(f)
            row["server_ids"] = " ".join(f.server_ids)
            row["serious"] = f.serious
            rows.append(row)
        return pd.DataFrame(rows, columns=cols)

    def summary(self) -> str:
        """A few lines for people."""
        checked = len({f.record_id for f in self.findings if f.record_id is not None})
        counts = ", ".join(f"{k} {v}" for k, v in self.counts().items()) or "nothing found"
        lines = [
            f"reconcile batch {self.batch}: {checked} records checked against {self.listed} "
            f"on the server; {counts}"
        ]
        if self.requests or self.corrected or self.deleted:
            lines.append(
                f"  ledger corrected for {self.corrected} records; {len(self.deleted)} drafts "
                f"deleted; {self.requests} requests ({self.searches} listing, {self.gets} "
                f"GETs), {self.elapsed:.1f}s"
            )
        orphans = [f for f in self.findings if f.cleanable and f.action != "deleted"]
        if orphans:
            lines.append(
                f"  {len(orphans)} orphan drafts left on the server "
                "(delete them with delete_orphans=True / --delete-orphans)"
            )
        unsure = self.by_category("unconfirmed")
        if unsure:
            lines.append(
                f"  UNCONFIRMED {len(unsure)} records: the repository looks unhealthy "
                f"({self.unconfirmed_reason}); nothing was corrected for them. "
                "Run reconcile again when the repository answers normally."
            )
        for f in self.findings:
            if f.serious:
                lines.append(f"  SERIOUS {f.category}: {f.marker} {f.detail}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (the CLI's ``--json``)."""
        return {
            "batch": self.batch,
            "ok": self.ok,
            "counts": self.counts(),
            "corrected": self.corrected,
            "deleted": list(self.deleted),
            "listed": self.listed,
            "searches": self.searches,
            "gets": self.gets,
            "requests": self.requests,
            "unconfirmed_reason": self.unconfirmed_reason,
            "findings": [
                {**asdict(f), "server_ids": list(f.server_ids), "serious": f.serious}
                for f in self.findings
            ],
        }

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"ReconcileResult(batch={self.batch}, {counts or 'empty'}, ok={self.ok})"


# ----------------------------------------------------------------- what the server holds
@dataclass
class _ServerView:
    """The server's side: the listing, and what GETs by id said since."""

    listing: Inventory
    got: dict[str, ServerRecord] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    doubt: str | None = None

    def candidates(self, marker: Marker) -> list[ServerRecord]:
        """The marker's server records, GET answers winning over the listing."""
        out = {e.remote_id: e for e in self.listing.find(marker)}
        for rid, e in self.got.items():
            if e.marker_key == marker.key:
                out[rid] = e
        for rid in self.gone:
            out.pop(rid, None)
        return list(out.values())

    def own(self, remote_id: str) -> ServerRecord | None:
        return self.got.get(remote_id) or self.listing.get(remote_id)


async def _list_server(check: CheckRun, recs: Sequence[Any], result: ReconcileResult) -> Inventory:
    """1. The full listing (cached for preflight); marker searches for clients without one."""
    client = check.client
    base = str(getattr(client, "base_url", "") or "memory")
    inv = Inventory.for_workspace(check.ledger.path, base, client.api)
    if base == "memory":
        inv.path = None
    lister = getattr(client, "list_records", None)
    if lister is not None:

        async def page(query: str, page: int, size: int) -> list[RemoteRecord]:
            result.searches += 1
            return await check.call(
                "list", lister, query, page=page, size=size, endpoint="list",
                detail={"page": page},
            )  # fmt: skip

        records, _ = await list_all(page, "")
    else:
        records = []
        markers = sorted({r.marker for r in recs})
        for i in range(0, len(markers), 40):
            result.searches += 1
            hits = await check.call(
                "search", client.find_by_markers, markers[i : i + 40], endpoint="search"
            )
            records += [r for found in hits.values() for r in found]
    inv.merge(records, full=True)
    if inv.path is not None:
        inv.save()
    result.listed = len(inv)
    return inv


def _needs_get(rec: Any, listed: ServerRecord | None) -> bool:
    """Whether the listing is no proof for this ledger row (2.)."""
    if rec.remote_id is None:
        return False
    if listed is None:
        return True  # not seen: lag, a version the listing hides, or gone
    if listed.is_published:
        return False  # published stays published: the listing can only lag behind it
    return rec.state in ("published", "publishing", "ambiguous")


async def _get(check: CheckRun, view: _ServerView, rid: str, result: ReconcileResult) -> None:
    result.gets += 1
    try:
        got = await check.call("get", check.client.get, rid)
    except NotFound:
        view.gone.add(rid)
        return
    except RepositoryError as err:
        if classify(err).stop:
            raise
        view.failed[rid] = str(err)
        return
    view.gone.discard(rid)
    view.got[rid] = as_server_record(got)


async def _fetch_doubtful(
    check: CheckRun, recs: Sequence[Any], view: _ServerView, result: ReconcileResult
) -> None:
    """2. GET by id what the listing cannot prove (and the files of what will be adopted)."""
    for rec in recs:
        if _needs_get(rec, view.listing.get(str(rec.remote_id or ""))):
            await _get(check, view, str(rec.remote_id), result)
        elif rec.state != "published" or rec.remote_id is None:
            keep = choose(view.candidates(rec.marker), current=rec.remote_id).keep
            if keep is not None and keep.is_published and keep.files is None:
                await _get(check, view, keep.remote_id, result)


async def _confirm_gone(
    check: CheckRun, view: _ServerView, result: ReconcileResult, delay: float
) -> None:
    """3. A 404 counts only when it repeats while records seen moments ago still answer."""
    if not view.gone and not view.failed:
        return
    if view.failed:
        first = next(iter(view.failed.items()))
        view.doubt = f"GET {first[0]} failed: {first[1]}"
        return
    if delay > 0:
        await asyncio.sleep(delay)
    for rid in sorted(view.gone):
        await _get(check, view, rid, result)
    if view.failed:
        first = next(iter(view.failed.items()))
        view.doubt = f"GET {first[0]} failed: {first[1]}"
        return
    if not view.gone:
        return
    seen = [e for e in list(view.got.values()) + list(view.listing) if e.remote_id not in view.gone]
    seen.sort(key=lambda e: not e.is_published)  # published records cannot vanish
    probes = list(dict.fromkeys(e.remote_id for e in seen))[:3]
    if not probes:
        view.doubt = "no other record of the repository could be fetched to compare"
        return
    for rid in probes:
        result.gets += 1
        try:
            await check.call("get", check.client.get, rid, detail={"health": True})
        except RepositoryError as err:
            if classify(err).stop:
                raise
            view.doubt = f"record {rid}, seen moments ago, answered {err.status or err}"
            return


# ----------------------------------------------------------------- classification
@dataclass(frozen=True)
class _Correction:
    """What to change in the ledger for one finding (applied in one transaction)."""

    move: str  # "adopt-published" | "adopt-draft" | "replan" | "uploaded"
    remote: ServerRecord | None = None
    confirmed: str | None = None
    reason: str = ""


def _classify(
    rec: Any, view: _ServerView, known: set[str]
) -> tuple[str, str, str | None, str, _Correction | None]:
    """4. (category, detail, remote id, action, correction) for one ledger row."""
    before = rec.state
    cands = view.candidates(rec.marker)
    choice = choose(cands, current=rec.remote_id, known=known)
    keep = choice.keep
    rid = rec.remote_id
    if rid is not None and (rid in view.gone or rid in view.failed) and view.doubt is not None:
        what = f"GET {rid} answered 404 twice" if rid in view.gone else f"GET {rid} failed"
        detail = f"{what}, but the repository's health is not confirmed ({view.doubt})"
        return "unconfirmed", detail + "; nothing corrected", rid, "none", None
    if rid is not None and rid not in view.gone:
        own = view.own(rid)
        if own is not None and own.is_published:
            if before == "published" and (own.doi or None) == (rec.doi or None):
                stale = " (the search index still listed a draft)" if rid in view.got else ""
                return "published", f"doi {own.doi}{stale}", rid, "none", None
            return (
                "ledger-behind", f"the server holds it published (doi {own.doi})", rid,
                "adopted", _Correction("adopt-published", own, reason="published on the server"),
            )  # fmt: skip
        if own is not None:  # an unpublished draft with the ledger's id
            if before == "published":
                return (
                    "missing",
                    f"the ledger says published ({rec.doi}); GET {rid} shows an unpublished "
                    "draft: resumed, to be published", rid, "adopted draft",
                    _Correction("adopt-draft", own, reason="the server holds only a draft"),
                )  # fmt: skip
            if before in ("publishing", "ambiguous") and rec.step == "publish":
                return (
                    "draft", f"GET {rid}: the publish did not take effect", rid, "publish again",
                    _Correction("uploaded", own, reason="the publish did not take effect"),
                )  # fmt: skip
            return "draft", "the ledger points at this draft", rid, "none", None
    # the ledger has no id, or the server confirmed its id gone
    if keep is not None and keep.remote_id != rid:
        was = f" (ledger had id {rid}, gone)" if rid else ""
        if keep.is_published:
            return (
                "ledger-behind", f"the server holds it published (doi {keep.doi}){was}",
                keep.remote_id, "adopted",
                _Correction("adopt-published", keep, reason="published on the server"),
            )  # fmt: skip
        if before == "published" and rid is None:
            return "draft", "a draft carries the marker", keep.remote_id, "none", None
        return (
            "draft", f"adopted the server's draft{was}", keep.remote_id, "adopted",
            _Correction("adopt-draft", keep, reason="a draft carries the marker"),
        )  # fmt: skip
    if rid is not None:  # confirmed gone, nothing else on the server
        confirmed = f"GET {rid} -> 404 twice while other records answered"
        if before == "published":
            return (
                "missing",
                f"the ledger says published as {rid} ({rec.doi}); the server confirmed it holds "
                "no such record", rid, "re-run",
                _Correction("replan", confirmed=confirmed, reason="the published record is gone"),
            )  # fmt: skip
        return (
            "lost-draft", f"draft {rid} is gone from the server", rid, "re-run",
            _Correction("replan", confirmed=confirmed, reason="the draft is gone"),
        )  # fmt: skip
    if before in ("creating", "ambiguous"):
        return (
            "unresolved-create",
            "its create's answer was lost and no listing shows it yet; `specpub publish` "
            "resolves it (it waits for the search index, then consults the inventory)",
            None, "none", None,
        )  # fmt: skip
    return "not-created", f"not sent yet ({before})", None, "none", None


def _apply(ledger: Any, rec: Any, fix: _Correction) -> None:
    """5. One correction, one logged move of the ledger."""
    e = fix.remote
    if fix.move == "adopt-published":
        assert e is not None
        ledger.adopt(
            rec.record_id, "published", remote_id=e.remote_id, concept_id=e.concept_id,
            doi=e.doi or rec.doi, concept_doi=e.concept_doi, html_url=e.html_url,
            source="reconcile", reason=fix.reason, files=e.files,
        )  # fmt: skip
    elif fix.move == "adopt-draft":
        assert e is not None
        ledger.adopt(
            rec.record_id, "created", remote_id=e.remote_id, concept_id=e.concept_id,
            html_url=e.html_url, source="reconcile", reason=fix.reason,
        )  # fmt: skip
    elif fix.move == "uploaded":
        ledger.transition(rec.record_id, "uploaded")
    elif fix.move == "replan":
        ledger.replan(rec.record_id, source="reconcile", reason=fix.reason, confirmed=fix.confirmed)


def _file_problems(entry: ServerRecord | None, planned: Mapping[str, tuple[int, str]]) -> list[str]:
    if entry is None or entry.files is None:
        return []
    remote = {k: (size, md5) for k, size, md5 in entry.files}
    problems = []
    for key, (size, md5) in sorted(planned.items()):
        got = remote.get(key)
        if got is None:
            problems.append(f"{key}: missing on the server")
        elif got[1] is not None and got[1].lower() != md5.lower():
            problems.append(f"{key}: server md5 {got[1]} != local {md5}")
        elif got[0] is not None and size is not None and int(got[0]) != int(size):
            problems.append(f"{key}: server size {got[0]} != local {size}")
    for key in sorted(set(remote) - set(planned)):
        problems.append(f"{key}: extra file on the server")
    return problems


def _marker_extras(
    rows: Sequence[Any], view: _ServerView, pointed: set[str]
) -> list[tuple[str, ServerRecord, str]]:
    """Duplicates and leftover drafts of one marker: (category, record, detail)."""
    cands = view.candidates(rows[0].marker)
    concepts = {e.concept_id for e in cands if e.remote_id in pointed and e.concept_id}
    out = []
    for e in cands:
        if e.remote_id in pointed or (e.concept_id and e.concept_id in concepts):
            continue  # what the ledger points at, or a version of it
        if e.is_published:
            out.append(("duplicate-published", e, f"a second published record (doi {e.doi})"))
        elif e.state == "draft":
            out.append(("orphan-draft", e, "a draft no ledger record points at"))
    return out


# ----------------------------------------------------------------- the algorithm
async def reconcile(
    ledger: Any,
    client: RepositoryClient,
    batch: int | None = None,
    *,
    delete_orphans: bool = False,
    correct_ledger: bool = True,
    check_files: bool = True,
    progress: Any = None,
    pacer: Pacer | None = None,
    limits: Sequence[Any] | None = None,
    retry: RetryPolicy | None = None,
    confirm_delay: float = 1.0,
) -> ReconcileResult:
    """Compare a batch's ledger with the repository, correct the ledger, optionally clean up.

    Parameters
    ----------
    ledger
        A :class:`~specpub.batch.ledger.Ledger`.
    client
        A :class:`~specpub.repository.protocol.RepositoryClient` for the batch's target.
    batch
        The batch id (``None``: the ledger's latest batch).
    delete_orphans
        Delete the orphan drafts found (never a published record, never a
        draft any ledger record points at).
    correct_ledger
        Adopt what the server has and plan lost records again (``False``: only report).
    check_files
        Compare the files the listing (or a GET) shows for published records
        with the ledger's scan (``specpub audit`` checks every file).
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.
    pacer
        The :class:`~specpub.batch.pacing.Pacer` to share (wire its
        ``on_response`` into the client). Default: the target's documented limits.
    limits
        Pace when no ``pacer`` is given (``()``: none).
    retry
        Retries of 429 and 5xx answers (default: 4 attempts, backoff up to 8 s).
    confirm_delay
        Seconds before a 404ed id is fetched again (see the module docstring).

    Returns
    -------
    ReconcileResult

    Raises
    ------
    AuthenticationError
        The token was refused: the reconciliation stops at the first answer.

    Examples
    --------
    >>> import asyncio, tempfile, pathlib
    >>> from specpub.batch.ledger import Ledger
    >>> class EmptyRepository:  # holds nothing
    ...     api = "legacy"
    ...     async def list_records(self, query="", *, page=1, size=100, sort="oldest"):
    ...         return []
    >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite")
    >>> b = led.create_batch(target="embedded", api="legacy")
    >>> rid, _ = led.add_record(b, Marker("A1", "BR"), payload={})
    >>> _ = led.transition(rid, "creating")  # the create's answer was lost
    >>> res = asyncio.run(reconcile(led, EmptyRepository(), b, limits=()))
    >>> res.counts(), led.record(rid).state  # absence from a listing proves nothing
    ({'unresolved-create': 1}, 'creating')
    >>> led.close()
    """
    from specpub.progress import make_progress

    started = time.monotonic()
    if not ledger.batch_ids():
        return ReconcileResult([], batch=None)
    check = CheckRun(
        ledger, client, ledger.latest_batch(batch), kind="reconcile", pacer=pacer,
        limits=limits, search_limits=limits, retry=retry,
    )  # fmt: skip
    result = ReconcileResult([], batch=check.batch)
    recs = [ledger.record(int(r)) for r in ledger.records(batch=check.batch)["record_id"]]
    # a runner working on this ledger meanwhile would race the corrections
    lock = RunLock(ledger.path) if (correct_ledger or delete_orphans) else None
    info = check.info
    with lock or _nothing(), ledger.run("reconcile", batch_ids=[check.batch],
                                        target=info.target, api=info.api) as run:  # fmt: skip
        bar = make_progress(progress, total=len(recs), description="reconcile")
        try:
            view = _ServerView(await _list_server(check, recs, result))
            await _fetch_doubtful(check, recs, view, result)
            await _confirm_gone(check, view, result, confirm_delay)
            result.unconfirmed_reason = view.doubt
            _check_rows(ledger, recs, view, result, correct_ledger, check_files, bar.update)
            if delete_orphans:
                await _delete_orphans(ledger, client, result, check.pacer, check.policy)
        except BaseException:
            run.outcome = "stopped"
            raise
        finally:
            bar.close()
        result.requests = check.requests
        result.elapsed = time.monotonic() - started
        run.outcome = "ok" if result.ok else "incomplete"
        run.detail = {"counts": result.counts(), "corrected": result.corrected}
    return result


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _check_rows(
    ledger: Any,
    recs: Sequence[Any],
    view: _ServerView,
    result: ReconcileResult,
    correct: bool,
    check_files: bool,
    advance: Callable[[int], None],
) -> None:
    """4.–5. Classify every ledger row, correct it, then report duplicates and orphans."""
    by_marker: dict[str, list[Any]] = collections.defaultdict(list)
    for rec in recs:
        by_marker[rec.marker.key].append(rec)
    pending = {b: ledger.possible_orphans(b) for b in {r.batch_id for r in recs}}
    for key, rows in by_marker.items():
        for rec in rows:
            known = _known_ids(ledger, rec)
            category, detail, remote_id, action, fix = _classify(rec, view, known)
            ids = tuple(e.remote_id for e in choose(view.candidates(rec.marker)).candidates)
            if fix is not None and correct:
                _apply(ledger, rec, fix)
                result.corrected += 1
            elif fix is not None:
                action = "none"
            after = ledger.record(rec.record_id).state
            result.findings.append(
                Finding(
                    key,
                    rec.record_id,
                    category,
                    ledger_state=rec.state,
                    ledger_state_after=after,
                    remote_id=remote_id,
                    server_ids=ids,
                    action=action,
                    detail=detail,
                )
            )
            entry = view.own(remote_id) if remote_id else None
            _settle(ledger, rec, view, pending)
            if check_files and entry is not None and entry.is_published:
                problems = _file_problems(entry, _planned_files(ledger, rec.record_id))
                if problems:
                    result.findings.append(
                        Finding(
                            key,
                            rec.record_id,
                            "checksum-mismatch",
                            ledger_state=rec.state,
                            ledger_state_after=after,
                            remote_id=remote_id,
                            server_ids=ids,
                            detail="; ".join(problems),
                        )
                    )
            advance(1)
        pointed = _pointed(ledger, rows[0])
        for category, e, detail in _marker_extras(rows, view, pointed):
            result.findings.append(
                Finding(
                    key,
                    rows[0].record_id,
                    category,
                    ledger_state=rows[0].state,
                    ledger_state_after=ledger.record(rows[0].record_id).state,
                    remote_id=e.remote_id,
                    detail=detail,
                )
            )


def _settle(ledger: Any, rec: Any, view: _ServerView, pending: Mapping[int, Any]) -> None:
    """A record the runner created again after a lost create is settled once a listing
    shows its published version (the drafts the lost create left are then listed too,
    and reported as orphans)."""
    if rec.record_id not in pending.get(rec.batch_id, {}) or rec.remote_id is None:
        return
    own = view.listing.get(rec.remote_id)
    if own is not None and own.is_published:
        ledger.record_event(
            rec.batch_id, rec.record_id, "settled", "note", kind="note",
            detail={"source": "reconcile"},
        )  # fmt: skip


def _known_ids(ledger: Any, rec: Any) -> set[str]:
    """Ids and concept ids the marker's other ledger rows point at (versions, not duplicates)."""
    rows = ledger.query(
        "SELECT remote_id, concept_id FROM records WHERE target=? AND marker_key=? "
        "AND record_id!=?",
        [rec.target, rec.marker_key, rec.record_id],
    )
    return {str(v) for v in rows.to_numpy().ravel() if v is not None and v == v}


def _pointed(ledger: Any, rec: Any) -> set[str]:
    """Every id a ledger row of this marker points at, after the corrections."""
    rows = ledger.query(
        "SELECT remote_id FROM records WHERE target=? AND marker_key=? AND remote_id IS NOT NULL",
        [rec.target, rec.marker_key],
    )
    return set(rows["remote_id"].astype(str))


def _planned_files(ledger: Any, rid: int) -> dict[str, tuple[int, str]]:
    return {f.key: (f.size, f.md5) for f in ledger.record_files(rid)}


async def delete_orphan_drafts(
    ledger: Any,
    client: RepositoryClient,
    result: ReconcileResult,
    *,
    pacer: Pacer | None = None,
    retry: RetryPolicy | None = None,
) -> list[str]:
    """Delete the orphan drafts a reconciliation found; returns the ids deleted.

    Never deletes a published record or a draft any ledger record points at
    (checked again against the ledger right before each delete). A draft that
    is already gone (404) counts as deleted. The findings are updated in place
    (``action="deleted"``). The deletes go through ``pacer`` (default: one
    without limits, which still honours 429) with ``retry`` for 429 and 5xx.
    Holds the ledger's run lock meanwhile: a runner could be adopting one of
    these drafts (:class:`~specpub.errors.InputError` if one is running).

    Examples
    --------
    >>> import asyncio, tempfile, pathlib
    >>> from specpub.batch.ledger import Ledger
    >>> class Repo:
    ...     async def delete_draft(self, record_id):
    ...         print("DELETE", record_id)
    >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite")
    >>> res = ReconcileResult([Finding("|A", None, "orphan-draft", remote_id="12")], batch=1)
    >>> asyncio.run(delete_orphan_drafts(led, Repo(), res))
    DELETE 12
    ['12']
    >>> led.close()
    """
    with RunLock(ledger.path):
        return await _delete_orphans(
            ledger, client, result, pacer if pacer is not None else Pacer(), retry or CHECK_RETRY
        )


async def _delete_orphans(
    ledger: Any,
    client: RepositoryClient,
    result: ReconcileResult,
    pacer: Pacer,
    policy: RetryPolicy,
) -> list[str]:
    """6. Delete the leftover drafts (re-checked against the ledger right before)."""
    from specpub.batch._paced import paced_call

    done = []
    for i, f in enumerate(result.findings):
        if not f.cleanable or f.action == "deleted" or f.remote_id is None:
            continue
        pointed = ledger.query(
            "SELECT 1 FROM records WHERE remote_id=? LIMIT 1", [str(f.remote_id)]
        )
        if len(pointed):
            continue
        t = time.monotonic()
        await paced_call(pacer, client.delete_draft, f.remote_id, retry=policy, client=client)
        ledger.record_event(
            result.batch, f.record_id, "delete_draft", "ok", duration=time.monotonic() - t,
            detail={"purpose": "reconcile", "remote_id": f.remote_id},
        )  # fmt: skip
        result.deleted.append(f.remote_id)
        done.append(f.remote_id)
        result.findings[i] = Finding(**{**asdict(f), "action": "deleted"})
    return done
