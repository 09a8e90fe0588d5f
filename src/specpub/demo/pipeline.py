"""The end-to-end demo: generated collection → embedded repository → DOIs.

:func:`run_demo` is what ``make demo`` and ``specpub demo`` run. Offline and
without a token, it

1. writes a small demo collection (Darwin Core CSV + herbarium-sheet images)
   with :func:`specpub.demo.generate_collection`,
2. loads the table, maps it to Darwin Core, flags its quality and links the
   images (:mod:`specpub.specimens`),
3. builds one record per publishable specimen (:mod:`specpub.records`) and
   plans them into the workspace ledger (:mod:`specpub.batch`),
4. starts the embedded Zenodo-compatible repository (:mod:`specpub.sandbox`)
   on 127.0.0.1 and publishes the batch through the real client and runner,
5. writes the batch report and the summary CSV, and returns the DOIs and
   landing pages.

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

import asyncio
import os
import secrets
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

__all__ = ["DemoRun", "run_demo"]

#: The environment variable that carries the demo token inside this process.
DEMO_TOKEN_ENV = "SPECPUB_DEMO_TOKEN"  # noqa: S105 - a variable name, not a secret


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
    workspace: Any
    records: list[dict[str, str]]
    skipped: pd.DataFrame | None
    url: str | None = None
    report_html: Path | None = None
    summary_csv: Path | None = None
    result: Any = None
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
    api: str = "legacy",
    concurrency: int = 4,
    serve: bool = False,
    progress: Any = "auto",
    out: TextIO | None = None,
) -> DemoRun:
    """Run the whole demo and print what was published.

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
    from specpub import sandbox
    from specpub.batch import plan_records, write_summary
    from specpub.batch.report import batch_report
    from specpub.demo.collection import DemoCollection, generate_collection
    from specpub.records import PayloadOptions, build_records
    from specpub.specimens import link_media, load_specimens
    from specpub.workspace import Workspace

    out = out if out is not None else sys.stdout
    root = Path(folder).expanduser().resolve()
    coll_dir = root / "collection"
    say = _printer(out)

    # 1. The collection (kept between runs, so that a second run resumes).
    if (coll_dir / "manifest.json").is_file():
        collection = DemoCollection.load(coll_dir)
        say(f"Using the demo collection in {coll_dir} ({collection.specimens} specimens).")
    else:
        collection = generate_collection(coll_dir, specimens=specimens, seed=seed, broken=False)
        say(f"Wrote a demo collection of {collection.specimens} specimens to {coll_dir}.")

    # 2. Specimens and media.
    ws = Workspace.open_or_create(root / "workspace")
    table = load_specimens(collection.table, progress=None)
    links = link_media(
        table, [collection.masters, collection.access, collection.segmentations], progress=None
    )
    table.links = links
    table.save(ws)
    links.save(ws)
    flags = {str(k): int(v) for k, v in table.summary().get("flags", {}).items()}
    say(
        f"Loaded {len(table)} specimens: {sum(flags.values())} quality flags, "
        f"{links.summary().get('specimens_with_files', 0)} specimens with images."
    )

    # 3. Records and plan.
    records = build_records(
        table,
        links,
        PayloadOptions(
            institution_name="Demo Herbarium (specpub)",
            publication_date=date.today().isoformat(),
            keywords=("specpub demo",),
        ),
    )
    plan = plan_records(ws, records.specs, target="embedded", api=api)
    say(
        f"Planned {len(records.specs)} records ({plan.added} new); "
        f"{len(records.skipped)} specimen(s) cannot be published yet."
    )

    # 4. Publish on the embedded repository.
    token = secrets.token_urlsafe(24)
    previous = os.environ.get(DEMO_TOKEN_ENV)
    os.environ[DEMO_TOKEN_ENV] = token  # this process only; never printed or saved
    handle = sandbox.start(root / "repository", token=token)
    try:
        say(f"The embedded Zenodo-compatible repository runs at {handle.url}")
        result = asyncio.run(_publish(ws, handle.url, api, concurrency, progress))
        say(result.summary())
        report = batch_report(ws, None, write_to=ws)
        summary_path, summary = write_summary(ws, None, base_url=handle.url)
        published = (
            summary.drop_duplicates("record_id")[["catalogNumber", "doi", "landing_page"]]
            .astype(str)
            .to_dict("records")
        )
        run = DemoRun(
            folder=root,
            workspace=ws,
            records=published,
            skipped=records.skipped,
            url=handle.url,
            report_html=_html_path(report),
            summary_csv=summary_path,
            result=result,
            flags=flags,
        )
        _print_outcome(run, say)
        if serve:
            say("Serving until Ctrl-C ...")
            try:
                while True:
                    asyncio.run(asyncio.sleep(3600))
            except KeyboardInterrupt:
                pass
    finally:
        handle.stop()
        if previous is None:
            os.environ.pop(DEMO_TOKEN_ENV, None)
        else:
            os.environ[DEMO_TOKEN_ENV] = previous
    if not serve:
        say(
            "The repository has stopped; its data is kept. Browse it again with:\n"
            f"  specpub sandbox serve --data {root / 'repository'} --port 8000"
        )
    return run


async def _publish(ws: Any, url: str, api: str, concurrency: int, progress: Any) -> Any:
    from specpub.batch import run_batch_async
    from specpub.batch.pacing import Pacer
    from specpub.repository import open_client

    pacer = Pacer.for_target("zenodo")  # the embedded repository enforces Zenodo's limits
    client = open_client(
        "embedded", api=api, token_env=DEMO_TOKEN_ENV, base_url=url, on_response=pacer.on_response
    )
    try:
        return await run_batch_async(
            ws, client, concurrency=concurrency, pacer=pacer, progress=progress
        )
    finally:
        await client.aclose()


def _html_path(report: Any) -> Path | None:
    files = getattr(report, "files", None) or {}
    if isinstance(files, dict):
        for path in files.values():
            if str(path).endswith(".html"):
                return Path(path)
    return None


def _printer(out: TextIO) -> Any:
    def say(text: str) -> None:
        print(text, file=out, flush=True)

    return say


def _print_outcome(run: DemoRun, say: Any) -> None:
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
