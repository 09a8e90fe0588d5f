"""Which of the server's records carrying one marker is *the* record: one policy for all.

Preflight, the runner's resolution of a lost create, the end-of-run check and
reconciliation all meet the same question: the server holds several records
with this specimen's marker; which one does the ledger adopt, which are
versions of it, which are duplicates, which are leftover drafts? They all ask
:func:`choose`.

The policy:

* a published record beats any draft (the DOI exists, people may cite it);
  among several, the one the ledger already points at, else the *oldest*
  (the first DOI minted);
* without a published record: the draft the ledger points at, else the newest;
* records sharing the kept record's concept id, or that other ledger rows of
  the marker point at (edits, new versions: revisions > 0), are *versions*;
* other published records are *duplicates* (reported, never deleted);
* other unpublished drafts are *extra drafts* (deletable leftovers of lost
  creates).

Examples
--------
>>> from specpub.batch.inventory import ServerRecord
>>> c = choose([ServerRecord("5", "|A", "draft", False, created="2"),
...             ServerRecord("4", "|A", "published", True, doi="d4", created="1")])
>>> c.keep.remote_id, [d.remote_id for d in c.extra_drafts]
('4', ['5'])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from specpub.batch.inventory import ServerRecord
from specpub.repository.protocol import RemoteRecord

__all__ = ["Choice", "as_server_record", "choose"]


def as_server_record(rec: ServerRecord | RemoteRecord) -> ServerRecord:
    """Either kind of server record as a :class:`ServerRecord`.

    Examples
    --------
    >>> as_server_record(RemoteRecord("3", "draft", False)).remote_id
    '3'
    """
    return rec if isinstance(rec, ServerRecord) else ServerRecord.from_remote(rec)


def _age(rec: ServerRecord) -> tuple[str, int, str]:
    rid = rec.remote_id
    return (rec.created or "", int(rid) if rid.isdigit() else 0, rid)


@dataclass(frozen=True)
class Choice:
    """What :func:`choose` decided for one marker.

    Examples
    --------
    >>> Choice(None).found
    False
    """

    keep: ServerRecord | None
    published: tuple[ServerRecord, ...] = ()
    versions: tuple[ServerRecord, ...] = ()
    duplicates: tuple[ServerRecord, ...] = ()
    extra_drafts: tuple[ServerRecord, ...] = ()
    candidates: tuple[ServerRecord, ...] = field(default=(), repr=False)

    @property
    def found(self) -> bool:
        """Whether the server holds any record with the marker."""
        return self.keep is not None

    @property
    def ids(self) -> list[str]:
        """Every candidate's id, oldest first."""
        return [c.remote_id for c in self.candidates]


def choose(
    candidates: Iterable[ServerRecord | RemoteRecord],
    *,
    current: str | None = None,
    known: Iterable[str] = (),
) -> Choice:
    """Pick the record to adopt among the server's records carrying one marker.

    Parameters
    ----------
    candidates
        The server's records with the marker (from a listing, a search or GETs).
    current
        The id the ledger row points at, if any.
    known
        Ids (and concept ids) that *other* ledger rows of the marker point at.

    Examples
    --------
    >>> recs = [ServerRecord("1", "|A", "published", True, concept_id="0", created="1"),
    ...         ServerRecord("2", "|A", "published", True, concept_id="0", created="2"),
    ...         ServerRecord("9", "|A", "published", True, concept_id="8", created="3")]
    >>> c = choose(recs, current="2")
    >>> c.keep.remote_id, [v.remote_id for v in c.versions], [d.remote_id for d in c.duplicates]
    ('2', ['1'], ['9'])
    """
    recs = sorted((as_server_record(c) for c in candidates), key=_age)
    if not recs:
        return Choice(None)
    known = set(known)
    published = [r for r in recs if r.is_published]
    drafts = [r for r in recs if not r.is_published]
    if published:
        keep = next((r for r in published if r.remote_id == current), published[0])
    else:
        keep = next((r for r in drafts if r.remote_id == current), drafts[-1])

    def is_version(r: ServerRecord) -> bool:
        return (
            r.remote_id in known
            or (r.concept_id is not None and r.concept_id in known)
            or (keep.concept_id is not None and r.concept_id == keep.concept_id)
        )

    others = [r for r in recs if r.remote_id != keep.remote_id]
    versions = tuple(r for r in others if is_version(r))
    return Choice(
        keep=keep,
        published=tuple(published),
        versions=versions,
        duplicates=tuple(r for r in others if r.is_published and r not in versions),
        extra_drafts=tuple(r for r in others if not r.is_published and r not in versions),
        candidates=tuple(recs),
    )
