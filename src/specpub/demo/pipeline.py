"""The end-to-end demo: generated collection → embedded repository → DOIs.

:func:`run_demo` is what ``make demo`` and ``specpub demo`` run. Offline and
without a token, it

1. writes a small demo collection (Darwin Core CSV + herbarium-sheet images)
   with :func:`specpub.demo.generate_collection`,
2. loads the table, maps it to Darwin Core, flags its quality and links the
   images (:func:`specpub.load`),
3. builds one record per publishable specimen (:func:`specpub.build_records`)
   and plans them into the workspace ledger (:func:`specpub.plan`),
4. starts the embedded Zenodo-compatible repository (:func:`specpub.running`)
   on 127.0.0.1 and publishes the batch through the real client and runner
   (:func:`specpub.publish`; the repository's token goes from its handle to
   the client, never through the environment),
5. writes the batch report and the summary CSV (:func:`specpub.report`,
   :func:`specpub.summary`), and returns the DOIs and landing pages.

It uses only the public API (``import specpub``): it is also the shortest
complete example of it.

Everything lives in one folder (default ``.demo/``): ``collection/``,
``workspace/`` and ``repository/`` (the embedded repository's data, which
survives restarts). Running the demo again resumes from the ledger and
publishes nothing twice.

Examples
--------
>>> DemoRun(folder=None, workspace=None, records=[], skipped=None).published
0
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

import pandas as pd

from specpub.progress import ProgressSpec

if TYPE_CHECKING:  # pragma: no cover
    from specpub.batch.report import BatchReport
    from specpub.batch.runner import BatchResult
    from specpub.workspace import Workspace

__all__ = ["DemoRun", "run_demo"]

Say = Callable[[str], None]


@dataclass
class DemoRun:
    """What the demo published.

    Attributes
    ----------
    folder, workspace
        The demo folder and its workspace.
    records
        One dict per published record: ``catalogNumber``, ``doi``, ``landing_page``.
    skipped
        Specimens not published, with the reason (see
        :attr:`specpub.records.Records.skipped`).
    url
        The embedded repository's base URL while it ran.
    report_html, summary_csv
        The batch report page and the summary CSV.
    """

    folder: Path | None
    workspace: Workspace | None
    records: list[dict[str, str]]
    skipped: pd.DataFrame | None
    url: str | None = None
    report_html: Path | None = None
    summary_csv: Path | None = None
    result: BatchResult | None = None
    flags: dict[str, int] = field(default_factory=dict)

    @property
    def published(self) -> int:
        """Number of published records."""
        return len(self.records)


def run_demo(
    folder: str | Path = ".demo",
    *,
    specimens: int = 8,
    seed: int = 0,
    api: Literal["legacy", "native"] = "legacy",
    concurrency: int = 4,
    port: int = 0,
    serve: bool = False,
    progress: ProgressSpec = "auto",
    out: TextIO | None = None,
) -> DemoRun:
    """Run the whole demo through the public API and print what was published.

    Parameters
    ----------
    folder
        Where the collection, the workspace and the repository's data go.
    specimens
        Rows of the generated table (a few are deliberately unpublishable).
    seed
        Seed of the generated collection.
    api
        ``"legacy"`` (Zenodo deposit API) or ``"native"`` (InvenioRDM records API).
    concurrency
        Records in flight at once.
    port
        Port of the embedded repository (0: a free one). The landing-page
        links work again whenever the repository is served on the same port.
    serve
        Keep the repository running after publishing (until Ctrl-C), so the
        landing pages can be browsed.
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.
    out
        Where to print (default ``sys.stdout``).

    Returns
    -------
    DemoRun
    """
    import specpub
    from specpub.demo.collection import DemoCollection, generate_collection

    say = _printer(out if out is not None else sys.stdout)
    root = Path(folder).expanduser().resolve()
    coll_dir = root / "collection"

    # 1. The collection (kept between runs, so that a second run resumes).
    if (coll_dir / "manifest.json").is_file():
        collection = DemoCollection.load(coll_dir)
        say(f"Using the demo collection in {coll_dir} ({collection.specimens} specimens).")
    else:
        collection = generate_collection(coll_dir, specimens=specimens, seed=seed, broken=False)
        say(f"Wrote a demo collection of {collection.specimens} specimens to {coll_dir}.")

    # 2. Specimens and media.
    ws = specpub.Workspace.open_or_create(root / "workspace")
    media = [collection.masters, collection.access, collection.segmentations]
    table = specpub.load(ws, collection.table, progress=None)
    flags = {str(k): int(v) for k, v in table.summary().get("flags", {}).items()}
    linked = specpub.link(ws, media, progress=None).summary()
    say(
        f"Loaded {len(table)} specimens: {sum(flags.values())} quality flags, "
        f"{linked.get('specimens_with_files', 0)} specimens with images."
    )

    # 3. Records and plan.
    options = specpub.PayloadOptions(
        institution_name="Demo Herbarium (specpub)",
        publication_date=date.today().isoformat(),
        keywords=("specpub demo",),
    )
    records = specpub.build_records(ws, options, progress=None)
    plan = specpub.plan(ws, to="embedded", records=records, api=api, progress=None)
    say(
        f"Planned {len(records.specs)} records ({plan.added} new); "
        f"{len(records.skipped)} specimen(s) cannot be published yet."
    )

    # 4. Publish on the embedded repository.
    with specpub.running(root / "repository", port=port) as repo:
        say(f"The embedded Zenodo-compatible repository runs at {repo.url}")
        result = specpub.publish(ws, to=repo, concurrency=concurrency, progress=progress)
        say(result.summary())
        report = specpub.report(ws)
        summary = specpub.summary(ws, to=repo)
        published = (
            summary.table.drop_duplicates("record_id")[["catalogNumber", "doi", "landing_page"]]
            .astype(str)
            .to_dict("records")
        )
        run = DemoRun(
            folder=root,
            workspace=ws,
            records=published,
            skipped=records.skipped,
            url=repo.url,
            report_html=_html_path(report),
            summary_csv=summary.csv_path,
            result=result,
            flags=flags,
        )
        _print_outcome(run, say)
        if serve:
            from specpub._runtime import announcing

            say(
                "Serving until Ctrl-C; in another terminal, `specpub audit --workspace "
                f"{ws.root} --to embedded` (reconcile, summary) uses this repository ..."
            )
            with announcing(repo), contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
        used_port = repo.port
    if not serve:
        say(
            "The repository has stopped; its data is kept. Serve it again on the same port, "
            "so that the links above work:\n"
            f"  specpub sandbox serve --data {root / 'repository'} --port {used_port}\n"
            "and, in another terminal, check it with the commands that talk to it:\n"
            f"  specpub audit --workspace {ws.root} --to embedded"
        )
    return run


def _html_path(report: BatchReport) -> Path | None:
    for path in (report.files or {}).values():
        if str(path).endswith(".html"):
            return Path(path)
    return None


def _printer(out: TextIO) -> Say:
    def say(text: str) -> None:
        print(text, file=out, flush=True)

    return say


def _print_outcome(run: DemoRun, say: Say) -> None:
    say("")
    say(f"Published {run.published} records:")
    width = max((len(r["catalogNumber"]) for r in run.records), default=10)
    for rec in run.records:
        say(f"  {rec['catalogNumber']:<{width}}  doi:{rec['doi']}  {rec['landing_page']}")
    if run.skipped is not None and len(run.skipped):
        say("Not published (fix the table, then run the demo again):")
        for row in run.skipped.to_dict("records"):
            say(f"  row {row['_row']} {row['catalogNumber'] or '(empty)'}: {row['reason']}")
    if run.report_html:
        say(f"Batch report: {run.report_html}")
    if run.summary_csv:
        say(f"Summary of every DOI and file: {run.summary_csv}")
