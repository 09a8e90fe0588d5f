"""The summary deposition: one CSV listing every published record and file.

The ICEDIG pilot deposited one summary record listing every record's DOI and
file links, so that a collection's whole publication can be cited and
harvested as one dataset. :func:`summary_table` builds that table from the
ledger (one row per file of every published record); :func:`write_summary`
writes it to the workspace (``reports/summary-batch-N.csv``);
:func:`publish_summary` deposits it as a dataset record through a client.

Columns: ``catalogNumber``, ``institutionCode``, ``record_id``, ``doi``,
``doi_url``, ``landing_page``, ``file_key``, ``file_size``, ``file_md5``,
``download_url``.

Examples
--------
>>> import tempfile, pathlib
>>> from specpub.batch.ledger import Ledger
>>> from specpub.repository.protocol import Marker
>>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
>>> b = led.create_batch(target="zenodo", api="legacy")
>>> rid, _ = led.add_record(b, Marker("BR1", "BR"), payload={},
...     files=[{"key": "BR1.jpg", "path": "/m/BR1.jpg", "size": 5, "md5": "a" * 32}])
>>> for st in ("creating", "created", "uploaded", "publishing"):
...     _ = led.transition(rid, st, remote_id="42")
>>> _ = led.transition(rid, "published", doi="10.5281/zenodo.42")
>>> t = summary_table(led, b)
>>> t.loc[0, "doi_url"], t.loc[0, "download_url"]
('https://doi.org/10.5281/zenodo.42', 'https://zenodo.org/records/42/files/BR1.jpg?download=1')
>>> led.close()
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd

from specpub._display import FrameResult
from specpub.errors import InputError, NotFound
from specpub.repository.protocol import RemoteRecord, RepositoryClient

__all__ = [
    "SUMMARY_COLUMNS",
    "SummaryDeposit",
    "publish_summary",
    "summary_payload",
    "summary_table",
    "write_summary",
]

#: The columns of the summary CSV, in order.
SUMMARY_COLUMNS = (
    "catalogNumber",
    "institutionCode",
    "record_id",
    "doi",
    "doi_url",
    "landing_page",
    "file_key",
    "file_size",
    "file_md5",
    "download_url",
)


def _base_url(target: str, base_url: str | None, html_url: str | None) -> str | None:
    if base_url:
        return base_url.rstrip("/")
    try:
        from specpub.repository import resolve_target

        url = resolve_target(target).base_url
        if url:
            return url.rstrip("/")
    except Exception:  # noqa: S110 - e.g. 'embedded' without its runtime URL
        pass
    if html_url:
        parts = urlsplit(html_url)
        return f"{parts.scheme}://{parts.netloc}"
    return None


def summary_table(
    ledger: Any, batch: int | None = None, *, base_url: str | None = None
) -> pd.DataFrame:
    """One row per file of every published record of ``batch`` (all batches if ``None``).

    Parameters
    ----------
    ledger
        A :class:`~specpub.batch.ledger.Ledger`.
    batch
        A batch id, or ``None`` for every batch of the ledger.
    base_url
        The repository's address for landing pages and download links
        (default: the batch target's; needed for ``embedded``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS`. A published record without files
        gets one row with empty file columns.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from specpub.batch.ledger import Ledger
    >>> with Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite") as led:
    ...     list(summary_table(led).columns[:4])
    ['catalogNumber', 'institutionCode', 'record_id', 'doi']
    """
    recs = ledger.records(batch=batch, state="published")
    files = ledger.files(batch=batch)
    by_record: dict[int, list[Mapping[str, Any]]] = {}
    for f in files.to_dict("records"):
        by_record.setdefault(int(f["record_id"]), []).append(f)
    rows = []
    for r in recs.to_dict("records"):
        base = _base_url(str(r["target"]), base_url, r.get("html_url"))
        rid = str(r["remote_id"])
        landing = f"{base}/records/{rid}" if base else (r.get("html_url") or "")
        doi = r.get("doi") or ""
        common = {
            "catalogNumber": r["catalog_number"],
            "institutionCode": r.get("institution_code") or "",
            "record_id": rid,
            "doi": doi,
            "doi_url": f"https://doi.org/{doi}" if doi else "",
            "landing_page": landing,
        }
        its = sorted(by_record.get(int(r["record_id"]), []), key=lambda f: str(f["key"]))
        if not its:
            rows.append({**common, "file_key": "", "file_size": None, "file_md5": "",
                         "download_url": ""})  # fmt: skip
        for f in its:
            key = str(f["key"])
            rows.append(
                {
                    **common,
                    "file_key": key,
                    "file_size": int(f["size"]),
                    "file_md5": str(f["md5"]),
                    "download_url": f"{landing}/files/{quote(key)}?download=1" if base else "",
                }
            )
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    frame["file_size"] = frame["file_size"].astype("Int64")
    return frame


def write_summary(
    workspace: Any, batch: int | None = None, *, base_url: str | None = None
) -> tuple[Path, pd.DataFrame]:
    """Write the summary CSV into the workspace's ``reports/`` folder.

    Returns the path (``reports/summary-batch-N.csv``, or ``summary-all.csv``)
    and the table.

    Examples
    --------
    >>> import tempfile
    >>> from specpub.workspace import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp())
    >>> path, table = write_summary(ws)
    >>> path.name, len(table)
    ('summary-all.csv', 0)
    """
    from specpub.batch.ledger import Ledger
    from specpub.workspace import atomic_write_text

    with Ledger.for_workspace(workspace) as led:
        table = summary_table(led, batch, base_url=base_url)
    name = f"summary-batch-{batch}.csv" if batch is not None else "summary-all.csv"
    path = workspace.path("reports", name)
    atomic_write_text(path, table.to_csv(index=False))
    return path, table


def _creators_from(ledger: Any, batch: int | None) -> list[dict[str, Any]]:
    ids = ledger.record_ids(batch=batch, state="published")
    if not ids:
        return []
    payload = ledger.payload(ids[0])
    meta = payload.get("metadata", {}) if isinstance(payload, Mapping) else {}
    creators = meta.get("creators") or []
    names = []
    for c in creators:
        if "name" in c:
            names.append({"name": c["name"]})
        elif "person_or_org" in c:
            po = c["person_or_org"]
            name = po.get("name") or ", ".join(
                x for x in (po.get("family_name"), po.get("given_name")) if x
            )
            if name:
                names.append({"name": name})
    return names


def summary_payload(
    *,
    api: str,
    title: str,
    description: str,
    creators: Sequence[Mapping[str, Any]],
    publication_date: str | None = None,
    keywords: Sequence[str] = (),
) -> dict[str, Any]:
    """The create payload of the summary dataset record, for ``api``.

    ``creators`` are ``{"name": "Family, Given"}`` or ``{"name": "Org"}``
    mappings (a comma marks a person).

    Examples
    --------
    >>> p = summary_payload(api="legacy", title="T", description="D",
    ...                     creators=[{"name": "Meise Botanic Garden"}],
    ...                     publication_date="2026-01-01")
    >>> p["metadata"]["upload_type"], p["metadata"]["creators"]
    ('dataset', [{'name': 'Meise Botanic Garden'}])
    >>> n = summary_payload(api="native", title="T", description="D",
    ...                     creators=[{"name": "Doe, Jane"}], publication_date="2026-01-01")
    >>> n["metadata"]["creators"][0]["person_or_org"]["family_name"]
    'Doe'
    """
    if not creators:
        raise InputError(
            "the summary record needs at least one creator",
            field="creators",
            fix="pass creators=[{'name': 'Your institution'}] (or --creator NAME)",
        )
    date = publication_date or datetime.now(UTC).date().isoformat()
    if api == "legacy":
        return {
            "metadata": {
                "upload_type": "dataset",
                "title": title,
                "description": description,
                "creators": [{"name": str(c["name"])} for c in creators],
                "publication_date": date,
                "access_right": "open",
                "license": "cc-zero",
                "keywords": list(keywords),
            }
        }
    if api != "native":
        raise InputError(f"unknown api {api!r}", field="api", fix="use 'legacy' or 'native'")
    people = []
    for c in creators:
        name = str(c["name"])
        if "," in name:
            family, given = (s.strip() for s in name.split(",", 1))
            po = {"type": "personal", "family_name": family, "given_name": given}
        else:
            po = {"type": "organizational", "name": name}
        people.append({"person_or_org": po})
    return {
        "metadata": {
            "resource_type": {"id": "dataset"},
            "title": title,
            "description": description,
            "creators": people,
            "publication_date": date,
            "rights": [{"id": "cc0-1.0"}],
            "subjects": [{"subject": k} for k in keywords],
        },
        "access": {"record": "public", "files": "public"},
        "files": {"enabled": True},
    }


@dataclass(frozen=True)
class SummaryDeposit(FrameResult):
    """What :func:`publish_summary` did: the CSV, its table, and the published record.

    Examples
    --------
    >>> from pathlib import Path
    >>> SummaryDeposit(Path("summary.csv"), pd.DataFrame(), None).doi is None
    True
    """

    csv_path: Path
    table: pd.DataFrame
    record: RemoteRecord | None

    @property
    def doi(self) -> str | None:
        """The summary record's DOI (``None`` if not published)."""
        return None if self.record is None else self.record.doi

    def to_frame(self) -> pd.DataFrame:
        """The summary table: one row per file of every published record."""
        return self.table

    def summary(self) -> str:
        """One line: records and files listed, where, and the summary record's DOI.

        Examples
        --------
        >>> from pathlib import Path
        >>> SummaryDeposit(Path("s.csv"), pd.DataFrame({"record_id": ["1", "1"]}), None).summary()
        '1 published records, 2 files listed in s.csv'
        """
        records = int(self.table["record_id"].nunique()) if len(self.table) else 0
        text = f"{records} published records, {len(self.table)} files listed in {self.csv_path}"
        if self.record is not None:
            text += f"; published as record {self.record.id}, DOI {self.doi}"
        return text


async def publish_summary(
    workspace: Any,
    client: RepositoryClient,
    batch: int | None = None,
    *,
    title: str | None = None,
    description: str | None = None,
    creators: Sequence[Mapping[str, Any]] | None = None,
    base_url: str | None = None,
    publication_date: str | None = None,
) -> SummaryDeposit:
    """Write the summary CSV and publish it as one dataset record.

    Resumable: the summary record's id is saved in
    ``reports/summary-record.json`` right after the create answer, so a
    repeat call continues that record (re-uploads the CSV, publishes)
    instead of creating another one; once published it is returned as is
    unless the CSV changed (then a new record is made).

    Parameters
    ----------
    workspace
        The :class:`~specpub.workspace.Workspace`.
    client
        A client for the target.
    batch
        The batch (``None``: every batch).
    title, description
        Default: a title naming the batch and a description with counts.
    creators
        ``[{"name": ...}]``; default: the creators of the first published record.
    base_url
        For landing/download links (see :func:`summary_table`).
    publication_date
        ISO date (default: today).

    Examples
    --------
    >>> import asyncio, tempfile
    >>> from specpub.workspace import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp())
    >>> asyncio.run(publish_summary(ws, client=None))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: ...no published records to summarise. Fix: publish the batch first...
    """
    from specpub.batch.ledger import Ledger

    path, table = write_summary(workspace, batch, base_url=base_url)
    if table.empty:
        raise InputError(
            "no published records to summarise",
            file=str(path),
            fix="publish the batch first (`specpub publish`), then make the summary",
        )
    digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    state_path = workspace.path("reports", "summary-record.json")
    state = json.loads(state_path.read_text()) if state_path.is_file() else {}
    if state.get("csv_md5") != digest and state.get("published"):
        state = {}
    if creators is None:
        with Ledger.for_workspace(workspace) as led:
            creators = _creators_from(led, batch)
    n_records = table["record_id"].nunique()
    label = f"batch {batch}" if batch is not None else "all batches"
    title = title or f"Summary of {n_records:,} published specimen records ({label})"
    description = description or (
        f"<p>A table of {n_records:,} specimen records published as individual records "
        f"({len(table):,} files): catalogue number, institution code, record id, DOI, "
        "landing page, and for each file its name, size, MD5 checksum and download link."
        "</p><p>Made by specpub.</p>"
    )
    remote: RemoteRecord | None = None
    if state.get("record_id"):
        try:
            remote = await client.get(str(state["record_id"]))
        except NotFound:
            remote = None
        if remote is not None and remote.is_published and state.get("csv_md5") == digest:
            return SummaryDeposit(path, table, remote)
    if remote is None or remote.is_published:
        payload = summary_payload(
            api=client.api,
            title=title,
            description=description,
            creators=creators,
            publication_date=publication_date,
            keywords=["specimen", "natural history collection", "summary"],
        )
        remote = await client.create(payload)
        state = {"record_id": remote.id, "csv_md5": digest, "published": False}
        workspace.write_json("reports", "summary-record.json", state)
        remote = await client.get(remote.id)
    await client.upload(remote, path, path.name, md5=digest, size=path.stat().st_size)
    published = await client.publish(remote.id)
    state.update(published=True, doi=published.doi)
    workspace.write_json("reports", "summary-record.json", state)
    return SummaryDeposit(path, table, published)
