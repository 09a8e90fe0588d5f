"""Specimens + linked media → the records the batch engine publishes.

One record per specimen that can be published safely: it has no quality
flag of severity ``error`` (a missing or shared catalogue number, the
record's idempotency marker, or a shared occurrenceID), and at
least one linked file (Zenodo publishes no metadata-only records), none of
them empty or unreadable. Each file is read once here for its fixity
(size, mtime, MD5, SHA-256). Every
other specimen is listed in :attr:`Records.skipped` with the reason and what
to do, so nothing disappears silently.

Examples
--------
>>> import tempfile, pathlib
>>> from specpub.specimens import load_specimens, link_media
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text("catalogNumber,institutionCode\\nA1,DEMO\\nA2,DEMO\\n")
>>> _ = (folder / "A1.jpg").write_bytes(b"jpeg bytes")
>>> sp = load_specimens(folder / "t.csv", progress=None)
>>> recs = build_records(sp, link_media(sp, [folder], progress=None),
...                      PayloadOptions(publication_date="2026-01-01"))
>>> len(recs.specs), recs.skipped["reason"].tolist()
(1, ['no linked file'])
>>> recs.specs[0].files[0].key
'A1.jpg'
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from specpub._display import FrameResult
from specpub.progress import make_progress
from specpub.records.payloads import PayloadOptions, build_payloads
from specpub.records.spec import FileSpec, RecordSpec
from specpub.repository.protocol import Marker

__all__ = ["Records", "build_records"]


@dataclass
class Records(FrameResult):
    """The records built from a specimen table.

    Attributes
    ----------
    specs
        One :class:`~specpub.records.spec.RecordSpec` per publishable specimen.
    skipped
        Specimens left out: ``_row``, ``catalogNumber``, ``reason``, ``fix``.
    left_out_terms
        Term → number of records whose value Zenodo's custom fields cannot hold.
    """

    specs: list[RecordSpec]
    skipped: pd.DataFrame
    left_out_terms: dict[str, int] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per record: catalogNumber, institutionCode, title, files, bytes."""
        rows = [
            {
                "catalogNumber": s.marker.catalog_number,
                "institutionCode": s.marker.institution_code,
                "title": s.display_title("legacy"),
                "files": len(s.files),
                "bytes": sum(f.size for f in s.files),
            }
            for s in self.specs
        ]
        columns = ["catalogNumber", "institutionCode", "title", "files", "bytes"]
        return pd.DataFrame(rows, columns=columns)

    def summary(self) -> dict[str, Any]:
        """Counts for display."""
        return {
            "records": len(self.specs),
            "files": sum(len(s.files) for s in self.specs),
            "skipped": len(self.skipped),
            "skipped_by_reason": self.skipped["reason"].value_counts().to_dict()
            if len(self.skipped)
            else {},
        }


def _blocking_flags(specimens: Any) -> dict[int, str]:
    """Row → the error-severity flag ids of the core table (extension rows excluded)."""
    flags: pd.DataFrame = specimens.flags
    if flags.empty:
        return {}
    errors = flags[flags["severity"] == "error"]
    frame = specimens.frame
    if "source" in errors.columns and "_source" in frame.columns and len(frame):
        core = set(frame["_source"].unique())
        errors = errors[errors["source"].isin(core) | errors["source"].isna()]
    out: dict[int, str] = {}
    for row, group in errors.dropna(subset=["row"]).groupby("row"):
        out[int(row)] = ", ".join(sorted(set(group["flag"])))
    return out


def build_records(
    specimens: Any,
    links: Any,
    options: PayloadOptions | None = None,
    *,
    progress: Any = None,
) -> Records:
    """Build one record per publishable specimen.

    Parameters
    ----------
    specimens
        A :class:`specpub.specimens.Specimens`.
    links
        The :class:`specpub.specimens.MediaLinks` of those specimens.
    options
        Collection-wide payload choices.
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object (one step per
        specimen; each linked file is read once for its fixity).

    Returns
    -------
    Records
        Specs for the batch planner, and the skipped specimens with reasons.
    """
    frame: pd.DataFrame = specimens.frame
    blocked = _blocking_flags(specimens)

    files_by_row: dict[int, list[Path]] = defaultdict(list)
    link_frame = links.links if links is not None else pd.DataFrame(columns=["_row", "path"])
    for row, path in zip(link_frame["_row"], link_frame["path"], strict=True):
        if isinstance(path, str) and path:
            files_by_row[int(row)].append(Path(path))

    specs: list[RecordSpec] = []
    skipped: list[dict[str, Any]] = []
    left_out: dict[str, int] = defaultdict(int)
    bar = make_progress(progress, total=len(frame), description="build records", unit="specimen")
    for values in frame.to_dict("records"):
        bar.update()
        row = int(values["_row"])
        catalog = str(values.get("catalogNumber") or "").strip()
        if row in blocked:
            skipped.append(
                {
                    "_row": row,
                    "catalogNumber": catalog,
                    "reason": f"quality flag {blocked[row]}",
                    "fix": "correct the table (see specimens/flags.csv), then load it again",
                }
            )
            continue
        paths = sorted(files_by_row.get(row, []))
        if not paths:
            skipped.append(
                {
                    "_row": row,
                    "catalogNumber": catalog,
                    "reason": "no linked file",
                    "fix": "add its images to the media folders (names start with the "
                    "catalogue number) or check the linking rules",
                }
            )
            continue
        try:
            files = tuple(FileSpec.from_path(p) for p in paths)
        except OSError as err:
            skipped.append(
                {
                    "_row": row,
                    "catalogNumber": catalog,
                    "reason": f"file unreadable: {err.filename}: {err.strerror}",
                    "fix": "check the file's permissions or remove it, then run again",
                }
            )
            continue
        empty = [f.path.name for f in files if f.size == 0]
        if empty:
            skipped.append(
                {
                    "_row": row,
                    "catalogNumber": catalog,
                    "reason": f"empty file: {', '.join(empty)}",
                    "fix": "re-export the image (the repository rejects empty files)",
                }
            )
            continue
        payloads = build_payloads(values, options)
        for term in payloads.left_out:
            left_out[term] += 1
        institution = str(values.get("institutionCode") or "").strip() or None
        specs.append(
            RecordSpec(
                marker=Marker(catalog, institution),
                legacy=payloads.legacy,
                native=payloads.native,
                files=files,
            )
        )
    columns = ["_row", "catalogNumber", "reason", "fix"]
    bar.close()
    return Records(specs, pd.DataFrame(skipped, columns=columns), dict(left_out))
