"""The stage functions behind ``import specpub``: one verb per stage, workspace first.

Each function takes a :class:`~specpub.workspace.Workspace` or the path of
one, reads what the earlier stages saved there, saves its own output, and
returns a result object that shows itself as a table (``to_frame()``,
``_repr_html_``) and summarises itself (``summary()``).

The functions that talk to a repository (:func:`publish`, :func:`reconcile`,
:func:`audit`, :func:`summary` with ``publish=True``, :func:`rehearse`) are
synchronous and also work inside a running event loop (a Jupyter cell):
they run through :func:`specpub._sync.run_sync`. Code that owns its event
loop awaits the ``*_async`` twins instead.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text("catalogNumber,institutionCode\\nBR1,BR\\n")
>>> _ = (folder / "BR1.jpg").write_bytes(b"jpeg")
>>> ws = folder / "ws"
>>> load(ws, folder / "t.csv", progress=None).summary()["rows"]
1
>>> link(ws, [folder], progress=None).summary()["files_linked"]
1
>>> plan(ws, to="embedded", progress=None).added
1
>>> status(ws).counts
{'planned': 1}
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal

from specpub._connect import TargetLike, connect_target, target_name
from specpub._sync import run_sync
from specpub.batch.audit import AuditResult
from specpub.batch.inventory import Inventory
from specpub.batch.ledger import Ledger
from specpub.batch.pacing import Pacer
from specpub.batch.plan import PlanResult, plan_records
from specpub.batch.reconcile import ReconcileResult
from specpub.batch.rehearsal import Rehearsal
from specpub.batch.report import BatchReport
from specpub.batch.runner import BatchResult, RunOptions
from specpub.batch.status import Status, ledger_status
from specpub.batch.summary import SummaryDeposit
from specpub.errors import InputError
from specpub.preservation.report import ValidationReport
from specpub.progress import ProgressSpec
from specpub.records.build import Records
from specpub.records.payloads import PayloadOptions
from specpub.records.presets import Preset
from specpub.records.preview import PreviewResult
from specpub.repository._token import DEFAULT_TOKEN_ENV, TokenProvider
from specpub.repository.protocol import RepositoryClient
from specpub.repository.targets import Target, open_client
from specpub.specimens.linking import MediaLinks
from specpub.specimens.model import Specimens
from specpub.workspace import Workspace

__all__ = [
    "WorkspaceLike",
    "audit",
    "audit_async",
    "build_records",
    "inventory",
    "inventory_async",
    "link",
    "load",
    "plan",
    "preview",
    "publish",
    "publish_async",
    "reconcile",
    "reconcile_async",
    "rehearse",
    "rehearse_async",
    "report",
    "status",
    "summary",
    "summary_async",
    "validate",
]

#: A workspace, or the path of its folder.
WorkspaceLike = Workspace | str | os.PathLike[str]
Api = Literal["legacy", "native"]
RetryFailed = Literal["retryable", "all", "none"]


def _open(workspace: WorkspaceLike, *, create: bool = False) -> Workspace:
    if isinstance(workspace, Workspace):
        return workspace
    if not isinstance(workspace, str | os.PathLike):
        raise InputError(
            f"expected a Workspace or the path of its folder, not {type(workspace).__name__}",
            fix="pass specpub.Workspace(...) or a folder path",
        )
    return Workspace.open_or_create(workspace) if create else Workspace.open(workspace)


# ----------------------------------------------------------------- local stages
def load(
    workspace: WorkspaceLike,
    table: str | os.PathLike[str],
    *,
    media: Iterable[str | os.PathLike[str]] = (),
    mapping: Mapping[str, str] | str | os.PathLike[str] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    progress: ProgressSpec = "auto",
) -> Specimens:
    """Load a specimen table into a workspace: map it to Darwin Core and flag its quality.

    Parameters
    ----------
    workspace
        The workspace (created if the folder holds none yet).
    table
        A CSV/TSV file, an Excel ``.xlsx`` workbook or a Darwin Core Archive
        (``.zip`` or an extracted folder with ``meta.xml``).
    media
        Image folders to link at once (same as calling :func:`link` next).
        A Darwin Core Archive's multimedia extension is linked even without.
    mapping
        ``{source column: Darwin Core term}`` overrides, or a TOML/JSON file of them.
    sheet, encoding
        Excel sheet name; forced text encoding (default: detected).
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.

    Returns
    -------
    Specimens
        Saved in ``WS/specimens/``; ``.frame``, ``.flags``, ``.flag_summary()``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("catalogNumber\\nA1\\nA2\\n")
    >>> len(load(folder / "ws", folder / "t.csv", progress=None))
    2
    """
    from specpub.specimens.linking import link_media
    from specpub.specimens.load import load_specimens

    ws = _open(workspace, create=True)
    specimens = load_specimens(
        Path(table), mapping=mapping, sheet=sheet, progress=progress, encoding=encoding
    )
    specimens.save(ws)
    folders = [Path(m) for m in media]
    if folders or any(k.endswith("Multimedia") for k in specimens.extensions):
        link_media(specimens, folders, progress=progress).save(ws)
    else:  # links made for an earlier load of a table would not match its rows
        MediaLinks.discard(ws)
    return specimens


def validate(
    workspace: WorkspaceLike,
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    profile: str | os.PathLike[str] | None = None,
    access_profile: str | os.PathLike[str] | None = "access",
    decode: bool = False,
    progress: ProgressSpec = "auto",
) -> ValidationReport:
    """Check the workspace's image files for preservation: structure and a policy profile.

    Each file is identified by its signature, its structure is checked (TIFF IFDs and
    strips, JPEG markers, PNG chunks and CRCs, JPEG 2000 boxes with jpylyzer) and it is
    judged under a profile. A file the media scan already read with the ``structure``
    analyser (``specpub scan --analyser structure``) is judged from that read; any other
    is read once here. Files linked as access copies are judged under ``access_profile``.

    Parameters
    ----------
    workspace
        The workspace (its media links and scan say which files).
    paths
        Files or folders to validate instead of the linked ones.
    profile
        ``master`` (default), ``master-strict``, ``herbarium-master``, ``access``,
        ``structure``, or a ``.toml`` file of your own.
    access_profile
        The profile for files linked as access copies (``None``: ``profile``).
    decode
        Also decode every image fully (slower; truncated-image loading off).
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.

    Returns
    -------
    ValidationReport
        Saved in ``WS/preservation/`` (``report.parquet``, ``findings.csv``,
        ``report.html`` …); ``.to_frame()``, ``.findings_frame()``, ``.summary()``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "images").mkdir()
    >>> Image.new("RGB", (8, 8)).save(folder / "images" / "A1.png")
    >>> report = validate(folder / "ws", [folder / "images"], profile="structure",
    ...                   progress=None)
    >>> report.to_frame()[["key", "verdict"]].values.tolist()
    [['A1.png', 'pass']]
    """
    from specpub.preservation.validation import validate_workspace

    ws = _open(workspace, create=True)
    return validate_workspace(
        ws,
        [Path(p) for p in paths],
        profile=None if profile is None else os.fspath(profile),
        access_profile=None if access_profile is None else os.fspath(access_profile),
        decode=decode,
        progress=progress,
    )


def link(
    workspace: WorkspaceLike,
    media: Iterable[str | os.PathLike[str]],
    *,
    progress: ProgressSpec = "auto",
) -> MediaLinks:
    """Link the image files in ``media`` folders to the workspace's specimens.

    Files are matched to specimens by catalogue number (file names starting
    with it, or a Darwin Core Archive's multimedia extension).

    Parameters
    ----------
    workspace
        A workspace with loaded specimens (:func:`load`).
    media
        Folders to walk recursively.
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.

    Returns
    -------
    MediaLinks
        Saved in ``WS/specimens/``; ``.links``, ``.unlinked_specimens``, ``.ambiguous``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("catalogNumber\\nA1\\n")
    >>> _ = (folder / "A1_front.jpg").write_bytes(b"jpeg")
    >>> _ = load(folder / "ws", folder / "t.csv", progress=None)
    >>> link(folder / "ws", [folder], progress=None).links["catalogNumber"].tolist()
    ['A1']
    """
    from specpub.specimens.linking import link_media

    ws = _open(workspace)
    specimens = Specimens.load(ws)
    links = link_media(specimens, [Path(m) for m in media], progress=progress)
    links.save(ws)
    return links


def build_records(
    workspace: WorkspaceLike,
    preset: Preset | str | os.PathLike[str] | PayloadOptions | None = None,
    *,
    options: PayloadOptions | None = None,
    progress: ProgressSpec = "auto",
) -> Records:
    """Build and check one record per specimen of the workspace, under a preset.

    Each record gets both payloads (legacy and native) from one model, a
    JSON-LD sidecar with the full Darwin Core row, and the Zenodo-side checks.
    Specimens without a publishable record (an error flag, no linked file, a
    failing master, a blocking finding) are listed with the reason and the fix
    in ``.skipped`` and ``WS/records/skipped.csv``. The records are saved in
    ``WS/records/``. When a media scan exists its fixity is used; otherwise
    each linked file is read once.

    Parameters
    ----------
    workspace
        A workspace with loaded specimens and media links.
    preset
        A preset name (``"icedig-benchmark"``, ``"meise-belgium-herbarium"``,
        ``"minimal"``, or one of yours), a ``.toml`` path or a :class:`Preset`;
        default ``"minimal"``. (A :class:`PayloadOptions` here is taken as ``options``.)
    options
        Overrides of the preset (:class:`specpub.PayloadOptions`: licence,
        keywords, institution names…).
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.

    Returns
    -------
    Records

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("catalogNumber,institutionCode\\nA1,BR\\nA2,BR\\n")
    >>> _ = (folder / "A1.jpg").write_bytes(b"jpeg")
    >>> _ = load(folder / "ws", folder / "t.csv", media=[folder], progress=None)
    >>> recs = build_records(folder / "ws", options=PayloadOptions(license="cc0-1.0"),
    ...                      progress=None)
    >>> len(recs.specs), recs.skipped["reason"].tolist()
    (1, ['no linked file'])
    """
    from specpub.records.build import build_workspace_records

    if isinstance(preset, PayloadOptions):
        options, preset = preset, None
    return build_workspace_records(_open(workspace), preset, overrides=options, progress=progress)


def plan(
    workspace: WorkspaceLike,
    to: TargetLike,
    *,
    records: Records | None = None,
    options: PayloadOptions | None = None,
    api: Api | None = None,
    batch_size: int = 10_000,
    label: str | None = None,
    progress: ProgressSpec = "auto",
) -> PlanResult:
    """Plan the workspace's records for a repository (written into the ledger).

    Planning is idempotent: planning the same records again adds nothing.

    Parameters
    ----------
    workspace
        A workspace with loaded specimens and media links.
    to
        Where they will go: ``"zenodo"``, ``"zenodo-sandbox"``, ``"embedded"``,
        an InvenioRDM base URL, or a running repository handle.
    records
        Records built by :func:`build_records` (default: the workspace's saved
        records if they are up to date, else built now with the preset used
        before, or the default preset).
    options
        :class:`specpub.PayloadOptions`: build the records again with these overrides.
    api
        ``"legacy"`` (Zenodo's deposit API) or ``"native"`` (InvenioRDM's
        records API); default: the target's.
    batch_size
        Records per batch.
    label
        A label saved with new batches.
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.

    Returns
    -------
    PlanResult

    Raises
    ------
    InputError
        No record can be planned (every specimen was left out: the message
        counts the reasons; see ``WS/records/skipped.csv``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("catalogNumber\\nA1\\n")
    >>> _ = load(folder / "ws", folder / "t.csv", media=[folder], progress=None)
    >>> plan(folder / "ws", to="zenodo", progress=None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: ...no record to plan: none of the 1 specimens can be published...
    """
    from specpub.repository.targets import resolve_target

    ws = _open(workspace)
    name = target_name(to)
    chosen = api or resolve_target(to, need_url=False).api_default
    if records is None:
        from specpub.records.build import workspace_records

        records = workspace_records(ws, overrides=options, progress=progress)
    specs = records.specs_for(chosen)
    if not specs:
        reasons = records.skipped["reason"].value_counts() if len(records.skipped) else {}
        why = ", ".join(f"{n} {reason}" for reason, n in dict(reasons).items())
        raise InputError(
            f"no record to plan: none of the {len(records.skipped)} specimens can be published"
            + (f" ({why})" if why else ""),
            file=str(ws.root / "records" / "skipped.csv"),
            fix="see the reason and fix of each specimen in records/skipped.csv, correct the "
            "table or link the images, then load and plan again",
        )
    return plan_records(ws, specs, target=name, api=chosen, batch_size=batch_size,
                        label=label)  # fmt: skip


def preview(
    workspace: WorkspaceLike,
    out: str | os.PathLike[str],
    *,
    record: str | Sequence[str] | None = None,
    page_size: int = 60,
    api: Api = "native",
    target: str | None = None,
    progress: ProgressSpec = "auto",
    say: Callable[[str], None] | None = None,
) -> PreviewResult:
    """Write each record as an HTML page close to its Zenodo landing page, and a gallery.

    Pages show the record as it will be deposited (thumbnails of the images,
    TIFF masters included, cached in ``WS/records/thumbnails``; the Darwin
    Core table; the values left to the sidecar; corrections; every check's
    finding; the payload), and, for a record already published from this
    workspace, the changes an edit would make. All table values are escaped.

    Parameters
    ----------
    workspace
        A workspace (its records, built now with the default preset if needed).
    out
        Output folder; open ``out/index.html``.
    record
        Only these catalogue numbers.
    page_size
        Cards per gallery page.
    api
        The payload shown in full and compared (``"native"`` or ``"legacy"``).
    target
        Compare with the records published to this target (default: any).
    progress
        For the thumbnails.
    say
        ``say(text)`` is told when records are built first.

    Returns
    -------
    PreviewResult

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("catalogNumber\\nA1\\n")
    >>> _ = (folder / "A1.jpg").write_bytes(b"jpeg")
    >>> _ = load(folder / "ws", folder / "t.csv", media=[folder], progress=None)
    >>> preview(folder / "ws", folder / "preview", progress=None).index.name
    'index.html'
    """
    import json

    from specpub.records.build import workspace_records
    from specpub.records.preview import preview as write_preview

    ws = _open(workspace)
    records = workspace_records(ws, progress=progress, say=say)
    previous: dict[str, Any] = {}
    if ws.ledger_path.is_file():
        with Ledger.for_workspace(ws) as led:
            done = led.records(state="published", payload=True)
        done = done[done["api"] == api]
        if target:
            done = done[done["target"] == target]
        for row in done.sort_values("revision").itertuples():
            previous[row.marker_key] = json.loads(row.payload)
    return write_preview(
        records, Path(out), workspace=ws, record=record, page_size=page_size, api=api,
        previous=previous, progress=progress,
    )  # fmt: skip


def status(workspace: WorkspaceLike, *, batch: int | None = None) -> Status:
    """Records per state of every batch (or of ``batch``), and the failed ones with reasons.

    Reads the ledger only; no network.

    Examples
    --------
    >>> import tempfile
    >>> print(status(Workspace.create(tempfile.mkdtemp())).summary())  # doctest: +ELLIPSIS
    /...: no batches planned yet
    """
    ws = _open(workspace)
    with Ledger.for_workspace(ws) as led:
        return ledger_status(led, batch)


def report(
    workspace: WorkspaceLike,
    *,
    batch: int | None = None,
    html_path: str | os.PathLike[str] | None = None,
) -> BatchReport:
    """The batch report (counts, throughput, errors by status and step, pauses).

    Written to ``WS/reports/`` as CSV files and one HTML page with plots.

    Parameters
    ----------
    batch
        One batch, or ``None`` for all batches together.
    html_path
        Where to write the HTML page instead of ``WS/reports/``.

    Examples
    --------
    >>> import tempfile
    >>> report(Workspace.create(tempfile.mkdtemp())).stats["remaining"]
    0
    """
    from specpub.batch.report import batch_report

    ws = _open(workspace)
    with Ledger.for_workspace(ws) as led:
        if batch is not None:
            led.batch(batch)
        return batch_report(
            led, batch, write_to=ws, html_path=Path(html_path) if html_path else None
        )


# ----------------------------------------------------------------- repository stages
def _planned_target(ledger: Ledger, batch: int | Sequence[int] | None) -> tuple[str, str]:
    """The target name and api of the batches concerned (the latest batch's api)."""
    if batch is None:
        ids = ledger.batch_ids()
    elif isinstance(batch, int):
        ids = [ledger.latest_batch(batch)]
    else:
        ids = [ledger.latest_batch(int(b)) for b in batch]
    if not ids:
        ledger.latest_batch()  # raises: nothing is planned, with what to do
    infos = [ledger.batch(b) for b in ids]
    names = sorted({i.target for i in infos})
    if len(names) > 1:
        raise InputError(
            f"the batches were planned for different targets ({', '.join(names)})",
            field="batch",
            fix="pass batch= with the batches of one target",
        )
    return names[0], infos[-1].api


@contextlib.asynccontextmanager
async def _connection(
    ws: Workspace,
    to: TargetLike | None,
    *,
    batch: int | Sequence[int] | None,
    url: str | None,
    api: Api | None,
    token_env: str,
    auth: TokenProvider | None,
    concurrency: int = 8,
) -> AsyncIterator[tuple[Ledger, Target, RepositoryClient, Pacer]]:
    """The ledger, the checked target, a client for it and the pacer it reports to."""
    with Ledger.for_workspace(ws) as led:
        planned, planned_api = _planned_target(led, batch)
        target = connect_target(to, planned=planned, url=url)
        pacer = Pacer.for_target(target)
        client = open_client(
            target,
            api=api or planned_api,
            token_env=token_env,
            auth=auth,
            on_response=pacer.on_response,
            concurrency=concurrency,
        )
        try:
            yield led, target, client, pacer
        finally:
            await client.aclose()


async def publish_async(
    workspace: WorkspaceLike,
    to: TargetLike | None = None,
    *,
    url: str | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    api: Api | None = None,
    batch: int | Sequence[int] | None = None,
    concurrency: int | None = None,
    retry_failed: RetryFailed | None = None,
    options: RunOptions | None = None,
    dry_run: bool = False,
    progress: ProgressSpec = "auto",
) -> BatchResult:
    """:func:`publish` for code that owns its event loop (``await specpub.publish_async(...)``).

    Examples
    --------
    >>> import asyncio, tempfile
    >>> ws = Workspace.create(tempfile.mkdtemp())
    >>> asyncio.run(publish_async(ws, dry_run=True)).total
    0
    """
    from specpub.batch.runner import run_batch_async

    ws = _open(workspace)
    if dry_run:
        return await run_batch_async(ws, None, batch=batch, dry_run=True, progress=progress)
    pool = concurrency or (options.concurrency if options is not None else 8)
    async with _connection(
        ws, to, batch=batch, url=url, api=api, token_env=token_env, auth=auth,
        concurrency=pool,
    ) as (_led, _target, client, pacer):  # fmt: skip
        return await run_batch_async(
            ws,
            client,
            batch=batch,
            concurrency=concurrency,
            retry_failed=retry_failed,
            options=options,
            pacer=pacer,
            progress=progress,
        )


def publish(
    workspace: WorkspaceLike,
    to: TargetLike | None = None,
    *,
    url: str | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    api: Api | None = None,
    batch: int | Sequence[int] | None = None,
    concurrency: int | None = None,
    retry_failed: RetryFailed | None = None,
    options: RunOptions | None = None,
    dry_run: bool = False,
    progress: ProgressSpec = "auto",
) -> BatchResult:
    """Publish the planned records: parallel, paced to the limits, resumable, reconciled.

    Safe to interrupt at any instant and to run again: it resumes from the
    ledger and publishes nothing twice.

    Parameters
    ----------
    workspace
        A workspace with planned records (:func:`plan`).
    to
        The repository (default: the target the batch was planned for): a
        target name, an InvenioRDM URL, or a running repository handle
        (``with specpub.running() as sb: specpub.publish(ws, to=sb)``).
    url
        Where a target given by name runs (the embedded repository's URL).
    token_env
        The NAME of the environment variable holding the token (never the
        token itself); the keyring entry of that name is the fallback. Not
        needed with a running handle, which knows its own token.
    auth
        A token provider instead (:class:`specpub.repository.KeyringToken`...).
    api
        ``"legacy"`` or ``"native"`` (default: the batch's).
    batch
        One batch id, several, or ``None`` for all.
    concurrency
        Records in flight at once (default: ``options.concurrency``, 8).
    retry_failed
        Which failed records to try again: ``"retryable"``, ``"all"``, ``"none"``
        (default: ``options.retry_failed``, ``"retryable"``).
    options
        Further :class:`specpub.RunOptions` (``max_outage``, ``preflight``...);
        ``concurrency``/``retry_failed`` given above win over the options'.
    dry_run
        Write every payload and request to ``WS/reports/dry-run/``; send nothing.
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.

    Returns
    -------
    BatchResult
        ``.ok``, ``.published``, ``.failed``, ``.summary()``, ``.to_frame()``.

    Examples
    --------
    >>> import tempfile
    >>> publish(Workspace.create(tempfile.mkdtemp()), dry_run=True).total
    0
    """
    return run_sync(partial(publish_async, **locals()), name="specpub-publish")


async def reconcile_async(
    workspace: WorkspaceLike,
    to: TargetLike | None = None,
    *,
    url: str | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    api: Api | None = None,
    batch: int | None = None,
    delete_orphans: bool = False,
    correct_ledger: bool = True,
    progress: ProgressSpec = None,
) -> ReconcileResult:
    """:func:`reconcile` for code that owns its event loop.

    Examples
    --------
    >>> import asyncio, tempfile
    >>> asyncio.run(reconcile_async(Workspace.create(tempfile.mkdtemp())))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: ...nothing is planned in this workspace...
    """
    from specpub.batch.reconcile import reconcile as run_reconcile

    ws = _open(workspace)
    with Ledger.for_workspace(ws) as led:
        batch = led.latest_batch(batch)
    async with _connection(
        ws, to, batch=batch, url=url, api=api, token_env=token_env, auth=auth
    ) as (led, _target, client, pacer):
        return await run_reconcile(
            led, client, batch, delete_orphans=delete_orphans, correct_ledger=correct_ledger,
            progress=progress, pacer=pacer,
        )  # fmt: skip


def reconcile(
    workspace: WorkspaceLike,
    to: TargetLike | None = None,
    *,
    url: str | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    api: Api | None = None,
    batch: int | None = None,
    delete_orphans: bool = False,
    correct_ledger: bool = True,
    progress: ProgressSpec = None,
) -> ReconcileResult:
    """Compare a batch's ledger with the repository, correct the ledger, find duplicates.

    The user's records on the server are listed once; what the server has is
    adopted, records it confirmed gone (a GET by id, never a search) are
    planned again, and duplicates, orphan drafts and checksum mismatches are
    reported. A published record is never demoted.

    Parameters
    ----------
    workspace, to, url, token_env, auth, api
        As for :func:`publish`.
    batch
        The batch (default: the latest).
    delete_orphans
        Delete the orphan drafts found (never a published record).
    correct_ledger
        ``False``: only report.
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.

    Returns
    -------
    ReconcileResult
        ``.ok``, ``.findings``, ``.counts()``, ``.summary()``, ``.to_frame()``.

    Examples
    --------
    >>> import tempfile
    >>> reconcile(Workspace.create(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: ...nothing is planned in this workspace...
    """
    return run_sync(partial(reconcile_async, **locals()), name="specpub-reconcile")


async def audit_async(
    workspace: WorkspaceLike,
    to: TargetLike | None = None,
    *,
    url: str | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    api: Api | None = None,
    batch: int | None = None,
    verify_local: bool = False,
    progress: ProgressSpec = None,
) -> AuditResult:
    """:func:`audit` for code that owns its event loop.

    Examples
    --------
    >>> import asyncio, tempfile
    >>> asyncio.run(audit_async(Workspace.create(tempfile.mkdtemp())))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: ...nothing is planned in this workspace...
    """
    from specpub.batch.audit import audit as run_audit

    ws = _open(workspace)
    with Ledger.for_workspace(ws) as led:
        batch = led.latest_batch(batch)
    async with _connection(
        ws, to, batch=batch, url=url, api=api, token_env=token_env, auth=auth
    ) as (led, _target, client, pacer):
        return await run_audit(
            led, client, batch, verify_local=verify_local, progress=progress, pacer=pacer
        )


def audit(
    workspace: WorkspaceLike,
    to: TargetLike | None = None,
    *,
    url: str | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    api: Api | None = None,
    batch: int | None = None,
    verify_local: bool = False,
    progress: ProgressSpec = None,
) -> AuditResult:
    """Re-check every published file of a batch: key, size and MD5 against the ledger.

    Parameters
    ----------
    workspace, to, url, token_env, auth, api
        As for :func:`publish`.
    batch
        The batch (default: the latest).
    verify_local
        Also re-hash the local files (reads every byte again).
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.

    Returns
    -------
    AuditResult
        ``.ok``, ``.problems``, ``.summary()``, ``.to_frame()``.

    Examples
    --------
    >>> import tempfile
    >>> audit(Workspace.create(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: ...nothing is planned in this workspace...
    """
    return run_sync(partial(audit_async, **locals()), name="specpub-audit")


async def summary_async(
    workspace: WorkspaceLike,
    *,
    batch: int | None = None,
    base_url: str | None = None,
    publish: bool = False,
    to: TargetLike | None = None,
    url: str | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    api: Api | None = None,
    title: str | None = None,
    creators: Sequence[str] | None = None,
) -> SummaryDeposit:
    """:func:`summary` for code that owns its event loop.

    Examples
    --------
    >>> import asyncio, tempfile
    >>> asyncio.run(summary_async(Workspace.create(tempfile.mkdtemp()))).csv_path.name
    'summary-all.csv'
    """
    from specpub.batch.summary import publish_summary, write_summary

    ws = _open(workspace)
    served = to if to is not None and not isinstance(to, str | Target) else None
    if not publish:
        links_base = base_url or getattr(served, "url", None) or url
        path, table = write_summary(ws, batch, base_url=links_base)
        return SummaryDeposit(path, table, None)
    async with _connection(
        ws, to, batch=batch, url=url, api=api, token_env=token_env, auth=auth
    ) as (_led, target, client, _pacer):
        links_base = base_url or (target.base_url if target.name == "embedded" else None)
        return await publish_summary(
            ws,
            client,
            batch,
            title=title,
            creators=[{"name": n} for n in creators] if creators else None,
            base_url=links_base,
        )


def summary(
    workspace: WorkspaceLike,
    *,
    batch: int | None = None,
    base_url: str | None = None,
    publish: bool = False,
    to: TargetLike | None = None,
    url: str | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    api: Api | None = None,
    title: str | None = None,
    creators: Sequence[str] | None = None,
) -> SummaryDeposit:
    """The summary CSV of every published record (DOI, landing page, file links).

    Written to ``WS/reports/summary-*.csv``. With ``publish=True`` it is
    also deposited as one dataset record (the pilot's summary deposition),
    resumably.

    Parameters
    ----------
    batch
        One batch, or ``None`` for all.
    base_url
        The repository address for landing and download links (default: the
        target's; a running handle's own URL).
    publish
        Deposit the CSV as one record on ``to``.
    to, url, token_env, auth, api
        As for :func:`publish`.
    title, creators
        Of the summary record (default: a title naming the batch; the
        creators of the first published record).

    Returns
    -------
    SummaryDeposit
        ``.csv_path``, ``.table``, ``.record`` and ``.doi`` (when published).

    Examples
    --------
    >>> import tempfile
    >>> len(summary(Workspace.create(tempfile.mkdtemp())).table)
    0
    """
    return run_sync(partial(summary_async, **locals()), name="specpub-summary")


async def rehearse_async(
    workspace: WorkspaceLike,
    to: TargetLike = "zenodo",
    *,
    batch: int | None = None,
    sample: int = 200,
    faults: str | None = "icedig-2019",
    time_scale: float = 60.0,
    concurrency: int = 8,
    api: Api | None = None,
    seed: int = 0,
    progress: ProgressSpec = None,
) -> Rehearsal:
    """:func:`rehearse` for code that owns its event loop.

    Examples
    --------
    >>> import asyncio, tempfile
    >>> asyncio.run(rehearse_async(Workspace.create(tempfile.mkdtemp())))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: ...nothing is planned in this workspace...
    """
    from specpub.batch.rehearsal import rehearse_async as run_rehearsal

    target = to if isinstance(to, str) else target_name(to)
    return await run_rehearsal(
        _open(workspace), batch=batch, sample=sample, target=target, faults=faults,
        time_scale=time_scale, concurrency=concurrency, api=api, seed=seed, progress=progress,
    )  # fmt: skip


def rehearse(
    workspace: WorkspaceLike,
    to: TargetLike = "zenodo",
    *,
    batch: int | None = None,
    sample: int = 200,
    faults: str | None = "icedig-2019",
    time_scale: float = 60.0,
    concurrency: int = 8,
    api: Api | None = None,
    seed: int = 0,
    progress: ProgressSpec = None,
) -> Rehearsal:
    """Rehearse a batch on a private embedded repository and forecast the real run.

    A sample of the planned records is published to an embedded repository
    started for the purpose, at the target's rate limits compressed in time
    (``time_scale``) and with a fault profile; the real ledger is not
    touched. What it measures (requests per record, retries, failures)
    feeds a forecast of the whole batch at the real limits.

    Parameters
    ----------
    to
        Whose limits to rehearse: a target name, an InvenioRDM URL, or a
        limit spec such as ``"100/minute;5000/hour"``.
    batch
        The batch (default: the latest).
    sample
        Records to run (a seeded random sample).
    faults
        A fault profile (``"icedig-2019"``, ``"flaky"``, ``"lossy"``, ``"outage"``) or ``None``.
    time_scale
        How much faster than real time the limits run (60: an hour in a minute).
    concurrency, api, seed, progress
        As for :func:`publish`.

    Returns
    -------
    Rehearsal
        ``.forecast`` (hours, days, bottleneck), ``.summary()``, ``.to_frame()``.

    Examples
    --------
    >>> import tempfile
    >>> rehearse(Workspace.create(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: ...nothing is planned in this workspace...
    """
    return run_sync(partial(rehearse_async, **locals()), name="specpub-rehearse")


# ----------------------------------------------------------------- the server inventory
async def inventory_async(
    workspace: WorkspaceLike,
    to: TargetLike | None = None,
    *,
    url: str | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    api: Api | None = None,
    refresh: bool = True,
    full: bool = False,
) -> Inventory:
    """:func:`inventory` for code that owns its event loop.

    Examples
    --------
    >>> import asyncio, tempfile
    >>> ws = Workspace.create(tempfile.mkdtemp())
    >>> asyncio.run(inventory_async(ws, "zenodo", refresh=False)).summary()
    '0 records on https://zenodo.org (legacy API): 0 published, 0 drafts'
    """
    ws = _open(workspace)
    if not refresh and to is None and url is None:
        return Inventory.latest(ws, api=api)
    planned = planned_api = None
    if to is None and ws.ledger_path.exists():
        with Ledger.for_workspace(ws) as led:
            if led.batch_ids():
                planned, planned_api = _planned_target(led, None)
    target = connect_target(to, planned=planned, url=url)  # nothing planned, no to: says so
    chosen = api or planned_api or target.api_default
    inv = Inventory.for_workspace(ws, str(target.base_url), chosen)
    if not refresh:
        return inv
    pacer = Pacer.for_target(target)
    client = open_client(
        target, api=chosen, token_env=token_env, auth=auth, on_response=pacer.on_response
    )
    try:
        return await inv.refresh_with(client, pacer=pacer, full=full)
    finally:
        await client.aclose()


def inventory(
    workspace: WorkspaceLike,
    to: TargetLike | None = None,
    *,
    url: str | None = None,
    token_env: str = DEFAULT_TOKEN_ENV,
    auth: TokenProvider | None = None,
    api: Api | None = None,
    refresh: bool = True,
    full: bool = False,
) -> Inventory:
    """The user's own records and drafts on a repository (the server's side of the ledger).

    One paged listing of every record and draft the token's owner holds
    (every version, published or not), paced to the target's limits and
    cached in the workspace (``WS/inventory.sqlite``) with its time; a later
    call lists only what changed since. It is what ``publish``'s preflight
    and ``reconcile`` read. A listing has the search index's lag: a record
    missing from it is "not seen yet", never "gone".

    Parameters
    ----------
    workspace
        The workspace that keeps the cache.
    to, url, token_env, auth, api
        As for :func:`publish` (default: the target and API the workspace's
        batches were planned for). Any target may be listed, planned or not.
    refresh
        ``False``: return the cached inventory without a request (and without
        a token): of ``to`` if given, else the workspace's latest listing;
        ``.fetched_at`` is ``None`` when nothing was ever listed.
    full
        List everything again instead of what changed since the last listing.

    Returns
    -------
    specpub.batch.inventory.Inventory
        ``.to_frame()`` (one row per server record: id, marker, catalogue
        number, institution code, state, DOI, dates, landing page, title,
        number of files), ``.find(marker)``, ``.counts()``, ``.summary()``,
        ``.fetched_at``.

    Raises
    ------
    specpub.RepositoryError
        The repository is unreachable or refuses the token (the cache is
        kept as it was).

    Examples
    --------
    >>> import tempfile
    >>> with running() as sb:                                  # doctest: +SKIP
    ...     inventory(tempfile.mkdtemp(), to=sb).to_frame()
    >>> inventory(Workspace.create(tempfile.mkdtemp()), "zenodo", refresh=False).fetched_at is None
    True
    """
    return run_sync(partial(inventory_async, **locals()), name="specpub-inventory")
