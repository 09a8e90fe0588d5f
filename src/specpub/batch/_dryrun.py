"""Dry run: write every payload and request plan of a batch, send nothing.

One JSON line per record in ``reports/dry-run/batch-<id>.jsonl`` (or next to the
ledger when there is no workspace): the marker, the state, the payload, and
the requests the runner would send (method, path template, body size).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from specpub.batch.ledger import Ledger, LedgerFile, LedgerRecord
from specpub.workspace import atomic_write_text

_LEGACY = "/api/deposit/depositions"
_NATIVE = "/api/records"


def request_plan(rec: LedgerRecord, files: Sequence[LedgerFile], body_size: int) -> list[dict]:
    """The requests the runner sends for ``rec`` on the happy path.

    Examples
    --------
    >>> from specpub.batch.ledger import LedgerRecord
    >>> rec = LedgerRecord(1, 1, "t", "legacy", "|A", "A", None, 0, "create", None, None, "",
    ...     "planned", None, None, None, None, None, None, None, 0, None, None, (), "", "", None)
    >>> f = LedgerFile(1, 1, "a.jpg", "/a.jpg", 10, None, "0" * 32, None, "planned", None, None, 0)
    >>> [(r["method"], r["path"]) for r in request_plan(rec, [f], 100)]
    [('POST', '/api/deposit/depositions'), ('PUT', '{bucket}/a.jpg'), \
('POST', '/api/deposit/depositions/{id}/actions/publish')]
    """
    out: list[dict[str, Any]] = []

    def add(method: str, path: str, size: int = 0, file_key: str | None = None) -> None:
        item: dict[str, Any] = {"method": method, "path": path, "body_bytes": size}
        if file_key is not None:
            item["file"] = file_key
        out.append(item)

    legacy = rec.api == "legacy"
    base = _LEGACY if legacy else _NATIVE
    if rec.operation == "create":
        add("POST", base, body_size)
    else:
        action = "edit" if rec.operation == "edit" else "newversion"
        if legacy:
            add("POST", f"{base}/{{base_id}}/actions/{action}")
            add("PUT", f"{base}/{{id}}", body_size)
        else:
            path = "draft" if rec.operation == "edit" else "versions"
            add("POST", f"{base}/{{base_id}}/{path}")
            add("PUT", f"{base}/{{id}}/draft", body_size)
        if rec.operation == "new_version":
            add("GET", f"{base}/{{id}}/files" if legacy else f"{base}/{{id}}/draft/files")
    for f in files:
        if legacy:
            add("PUT", f"{{bucket}}/{f.key}", f.size, f.key)
        else:
            add("POST", f"{base}/{{id}}/draft/files", 0, f.key)
            add("PUT", f"{base}/{{id}}/draft/files/{f.key}/content", f.size, f.key)
            add("POST", f"{base}/{{id}}/draft/files/{f.key}/commit", 0, f.key)
    if legacy:
        add("POST", f"{base}/{{id}}/actions/publish")
    else:
        add("POST", f"{base}/{{id}}/draft/actions/publish")
    return out


def write_dry_run(ledger: Ledger, batch_ids: Sequence[int], workspace: Any | None) -> Path:
    """Write the dry-run JSON lines of ``batch_ids``; return the folder."""
    if workspace is not None and hasattr(workspace, "path"):
        folder = Path(workspace.stage_dir("reports")) / "dry-run"
    elif workspace is not None and hasattr(workspace, "root"):
        folder = Path(workspace.root) / "reports" / "dry-run"
    else:
        folder = ledger.path.parent / "reports" / "dry-run"
    folder.mkdir(parents=True, exist_ok=True)
    for bid in batch_ids:
        lines = []
        for rid in ledger.record_ids(batch=bid):
            rec = ledger.record(rid)
            payload = ledger.payload(rid)
            body = json.dumps(payload, ensure_ascii=False)
            files = ledger.record_files(rid)
            lines.append(
                json.dumps(
                    {
                        "record_id": rid,
                        "marker": rec.marker_key,
                        "revision": rec.revision,
                        "operation": rec.operation,
                        "state": rec.state,
                        "api": rec.api,
                        "target": rec.target,
                        "files": [
                            {"key": f.key, "path": f.path, "size": f.size, "md5": f.md5}
                            for f in files
                        ],
                        "requests": request_plan(rec, files, len(body.encode("utf-8"))),
                        "payload": payload,
                    },
                    ensure_ascii=False,
                )
            )
        atomic_write_text(folder / f"batch-{bid}.jsonl", "".join(x + "\n" for x in lines))
    return folder
