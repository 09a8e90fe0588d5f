"""The preservation report: per-file verdicts and findings, per-collection counts.

:class:`ValidationReport` holds one :class:`FileResult` per file and shows
itself as a DataFrame (:meth:`~ValidationReport.to_frame`, one row per file;
:meth:`~ValidationReport.findings_frame`, one row per finding), a summary
(counts by verdict, by rule and severity, by format), CSV, JSON and one
self-contained HTML page with a chart. :meth:`~ValidationReport.save` writes
them into the workspace's ``preservation/`` folder:

``report.parquet`` / ``report.csv`` — one row per file, the **stable contract** the
records stage reads (:data:`REPORT_COLUMNS`):

================  ========  ====================================================================
column            dtype     meaning
================  ========  ====================================================================
path              string    absolute path of the file (``os.path.abspath``, symlinks kept)
key               string    the file's name as it is published (its base name)
catalogNumber     string    the specimen it is linked to ("" when validated without links)
role              string    ``master``, ``access``, ``label`` … from the links ("" without)
format            string    format by signature (``tiff``, ``jpeg``, ``png``, ``jp2`` …)
puid              string    PRONOM identifier ("" when none)
size              Int64     bytes
verdict           string    ``pass``, ``warn`` or ``fail`` under ``profile``
failed_rules      string    ``;``-separated rule ids with a failing finding (``INT-03;RES-02``)
warned_rules      string    ``;``-separated rule ids with a warning
failed_findings   string    ``;``-separated finding ids that fail (``TIF-12;RES-02``)
profile           string    the profile that judged the file
well_formed       boolean   no not-well-formed structural finding (JHOVE tier 1)
valid             boolean   well-formed and no invalid structural finding (JHOVE tier 2)
structure         string    the verdict of the structural checks alone
n_findings        Int64     findings kept under the profile
findings          string    JSON list of the findings (id, severity, rule, message, offset, where,
                            value)
md5, sha256       string    checksums from the same read ("" when the file could not be read)
================  ========  ====================================================================

``findings.parquet`` / ``findings.csv`` — one row per finding (path, key, id, severity,
rule, message, offset, where, value); ``summary.json``; ``report.json`` (everything,
with the profiles and tool versions); ``report.html``.

Examples
--------
>>> from specpub.preservation.findings import Finding
>>> r = FileResult("/x/BR1.tif", "tiff", 10, "fail",
...                [Finding("TIF-12", "fail", "truncated", rule="INT-03")], "master")
>>> rep = ValidationReport([r])
>>> rep.to_frame()[["key", "verdict", "failed_rules", "failed_findings"]].values.tolist()
[['BR1.tif', 'fail', 'INT-03', 'TIF-12']]
>>> rep.summary()["by_verdict"]
{'fail': 1}
"""

from __future__ import annotations

import html
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from specpub._display import FrameResult
from specpub.preservation.findings import FINDING_TYPES, Finding
from specpub.workspace import Workspace, atomic_write_bytes, atomic_write_text

__all__ = ["FINDING_COLUMNS", "REPORT_COLUMNS", "FileResult", "ValidationReport"]

#: Columns of ``report.parquet`` (name → pandas dtype). Stable: the records stage reads them.
REPORT_COLUMNS: dict[str, str] = {
    "path": "string",
    "key": "string",
    "catalogNumber": "string",
    "role": "string",
    "format": "string",
    "puid": "string",
    "size": "Int64",
    "verdict": "string",
    "failed_rules": "string",
    "warned_rules": "string",
    "failed_findings": "string",
    "profile": "string",
    "well_formed": "boolean",
    "valid": "boolean",
    "structure": "string",
    "n_findings": "Int64",
    "findings": "string",
    "md5": "string",
    "sha256": "string",
}
#: Columns of ``findings.parquet``.
FINDING_COLUMNS = ["path", "key", "id", "severity", "rule", "message", "offset", "where", "value"]
#: Properties copied into ``report.json`` per file (for people; not part of the contract).
_SHOWN_PROPERTIES = (
    "width",
    "height",
    "bits_per_sample",
    "samples_per_pixel",
    "colour",
    "photometric",
    "compression",
    "jpeg_process",
    "jp2_transformation",
    "x_resolution",
    "y_resolution",
    "resolution_unit",
    "pages",
    "bigtiff",
)


@dataclass
class FileResult:
    """The validation of one file under one profile.

    Examples
    --------
    >>> FileResult("/a/b.png", "png", 3, "pass", [], "master").key
    'b.png'
    """

    path: str
    format: str
    size: int
    verdict: str
    findings: list[Finding]
    profile: str
    puid: str = ""
    structure: str = "pass"
    well_formed: bool = True
    valid: bool = True
    properties: dict[str, Any] = field(default_factory=dict)
    catalog_number: str = ""
    role: str = ""
    md5: str = ""
    sha256: str = ""

    @property
    def key(self) -> str:
        """The base name of the file (the key it is published under)."""
        return os.path.basename(self.path)

    def rules(self, severity: str) -> list[str]:
        """Sorted rule ids with a finding of ``severity``."""
        return sorted({f.rule or f.id for f in self.findings if f.severity == severity})

    def row(self) -> dict[str, Any]:
        """The file's row of ``report.parquet``."""
        return {
            "path": self.path,
            "key": self.key,
            "catalogNumber": self.catalog_number,
            "role": self.role,
            "format": self.format,
            "puid": self.puid,
            "size": self.size,
            "verdict": self.verdict,
            "failed_rules": ";".join(self.rules("fail")),
            "warned_rules": ";".join(self.rules("warn")),
            "failed_findings": ";".join(
                sorted({f.id for f in self.findings if f.severity == "fail"})
            ),
            "profile": self.profile,
            "well_formed": self.well_formed,
            "valid": self.valid,
            "structure": self.structure,
            "n_findings": len(self.findings),
            "findings": json.dumps([f.as_dict() for f in self.findings], ensure_ascii=False),
            "md5": self.md5,
            "sha256": self.sha256,
        }

    def as_dict(self) -> dict[str, Any]:
        """Everything about the file, JSON-ready (``--json`` prints this)."""
        props = {
            k: _jsonable(self.properties.get(k))
            for k in _SHOWN_PROPERTIES
            if self.properties.get(k) is not None
        }
        row = self.row()
        row["findings"] = [f.as_dict() for f in self.findings]
        row["properties"] = props
        return row


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"{len(value)} bytes"
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class ValidationReport(FrameResult):
    """Per-file verdicts and findings of a validation run.

    Parameters
    ----------
    results
        One :class:`FileResult` per file.
    profiles
        The profiles used, as dicts (:meth:`Profile.as_dict`).
    provenance
        Tool versions and the time of the run.

    Examples
    --------
    >>> rep = ValidationReport([])
    >>> rep.summary()["files"], rep.exit_code
    (0, 0)
    """

    def __init__(
        self,
        results: list[FileResult],
        *,
        profiles: list[dict[str, Any]] | None = None,
        provenance: dict[str, Any] | None = None,
    ) -> None:
        self.results = list(results)
        self.profiles = list(profiles or [])
        self.provenance = dict(provenance or {})

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Any:
        return iter(self.results)

    def __repr__(self) -> str:
        s = self.summary()["by_verdict"]
        return (
            f"<ValidationReport {len(self)} files: {s.get('pass', 0)} pass, "
            f"{s.get('warn', 0)} warn, {s.get('fail', 0)} fail>"
        )

    @property
    def frame(self) -> pd.DataFrame:
        """The same as :meth:`to_frame` (one row per file)."""
        return self.to_frame()

    @property
    def exit_code(self) -> int:
        """1 when a file fails, else 0 (what ``specpub validate`` exits with)."""
        return 1 if any(r.verdict == "fail" for r in self.results) else 0

    # -- frames -----------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per file, the columns of :data:`REPORT_COLUMNS`."""
        frame = pd.DataFrame([r.row() for r in self.results], columns=list(REPORT_COLUMNS))
        return frame.astype(REPORT_COLUMNS)

    def findings_frame(self) -> pd.DataFrame:
        """One row per finding (:data:`FINDING_COLUMNS`)."""
        rows = [
            {"path": r.path, "key": r.key, **f.as_dict()} for r in self.results for f in r.findings
        ]
        frame = pd.DataFrame(rows, columns=FINDING_COLUMNS)
        return frame.astype({"offset": "Int64"})

    def summary(self) -> dict[str, Any]:
        """Counts: files by verdict and format, findings by rule and severity, by finding id.

        Examples
        --------
        >>> ValidationReport([]).summary()["by_rule"]
        {}
        """
        by_rule: dict[str, dict[str, int]] = {}
        by_id: Counter[str] = Counter()
        files_by_rule: dict[str, set[str]] = {}
        for r in self.results:
            for f in r.findings:
                rid = f.rule or f.id
                by_rule.setdefault(rid, {}).setdefault(f.severity, 0)
                by_rule[rid][f.severity] += 1
                by_id[f.id] += 1
                files_by_rule.setdefault(rid, set()).add(r.path)
        return {
            "files": len(self.results),
            "bytes": int(sum(r.size for r in self.results)),
            "by_verdict": dict(Counter(r.verdict for r in self.results)),
            "by_format": dict(Counter(r.format for r in self.results)),
            "by_rule": {k: by_rule[k] for k in sorted(by_rule)},
            "files_by_rule": {k: len(v) for k, v in sorted(files_by_rule.items())},
            "by_finding": dict(sorted(by_id.items())),
            "profiles": sorted({r.profile for r in self.results}),
            "well_formed": sum(r.well_formed for r in self.results),
            "valid": sum(r.valid for r in self.results),
        }

    def blocking(self, allow: Any = ()) -> pd.DataFrame:
        """Files whose verdict is ``fail`` once the rule or finding ids in ``allow`` are
        overridden (``path``, ``key``, ``catalogNumber``, ``reason``).

        This is what keeps a record from being published: a failing master blocks its
        specimen unless the user accepts every failing rule.

        Examples
        --------
        >>> from specpub.preservation.findings import Finding
        >>> r = FileResult("/x/a.tif", "tiff", 1, "fail",
        ...                [Finding("RES-02", "fail", "72 ppi", rule="RES-02")], "master")
        >>> len(ValidationReport([r]).blocking()), len(ValidationReport([r]).blocking(["RES-02"]))
        (1, 0)
        """
        allowed = set(allow or ())
        rows = []
        for r in self.results:
            failing = [
                f
                for f in r.findings
                if f.severity == "fail" and f.id not in allowed and (f.rule or f.id) not in allowed
            ]
            if failing:
                reason = "; ".join(f"{f.id}: {f.message}" for f in failing[:3])
                more = len(failing) - 3
                rows.append(
                    {
                        "path": r.path,
                        "key": r.key,
                        "catalogNumber": r.catalog_number,
                        "reason": reason + (f" (+{more} more)" if more > 0 else ""),
                    }
                )
        return pd.DataFrame(rows, columns=["path", "key", "catalogNumber", "reason"])

    # -- serialisations ---------------------------------------------------------------
    def to_json(self) -> str:
        """The whole report (profiles, provenance, summary, files) as JSON."""
        return json.dumps(
            {
                "provenance": self.provenance,
                "profiles": self.profiles,
                "summary": self.summary(),
                "files": [r.as_dict() for r in self.results],
            },
            indent=2,
            ensure_ascii=False,
            default=str,
        )

    def to_csv(self) -> str:
        """``report.csv``'s content (one row per file)."""
        return self.to_frame().to_csv(index=False)

    def to_html(self, title: str = "specpub preservation report") -> str:
        """One self-contained HTML page (no scripts, no external files) with a chart.

        Every value that comes from a file (names, messages, evidence) is escaped.

        Examples
        --------
        >>> from specpub.preservation.findings import Finding
        >>> r = FileResult("/x/<b>.tif", "tiff", 1, "fail",
        ...                [Finding("TIF-01", "fail", "<script>x</script>")], "master")
        >>> page = ValidationReport([r]).to_html()
        >>> "<script>" in page, "&lt;script&gt;" in page
        (False, True)
        """
        return _html_page(self, title)

    def save(self, workspace: Workspace | str | os.PathLike[str]) -> Path:
        """Write the report into ``WS/preservation/``; returns that folder.

        Examples
        --------
        >>> import tempfile
        >>> folder = ValidationReport([]).save(tempfile.mkdtemp())
        >>> sorted(p.name for p in folder.iterdir())[:3]
        ['findings.csv', 'findings.parquet', 'report.csv']
        """
        ws = workspace if isinstance(workspace, Workspace) else Workspace.open_or_create(workspace)
        folder = ws.stage_dir("preservation")
        frame = self.to_frame()
        findings = self.findings_frame()
        atomic_write_bytes(folder / "report.parquet", frame.to_parquet(index=False))
        atomic_write_text(folder / "report.csv", frame.to_csv(index=False))
        atomic_write_bytes(folder / "findings.parquet", findings.to_parquet(index=False))
        atomic_write_text(folder / "findings.csv", findings.to_csv(index=False))
        atomic_write_text(folder / "report.json", self.to_json() + "\n")
        atomic_write_text(folder / "report.html", self.to_html())
        ws.write_json(
            "preservation",
            "summary.json",
            {
                **self.summary(),
                "provenance": self.provenance,
                "profiles": [p.get("name") for p in self.profiles],
            },
        )
        return folder

    @classmethod
    def load(cls, workspace: Workspace | str | os.PathLike[str]) -> ValidationReport:
        """Read a report saved by :meth:`save`.

        Examples
        --------
        >>> import tempfile
        >>> ws = tempfile.mkdtemp(); _ = ValidationReport([]).save(ws)
        >>> len(ValidationReport.load(ws))
        0
        """
        ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
        path = ws.root / "preservation" / "report.json"
        if not path.is_file():
            from specpub.errors import InputError

            raise InputError(
                "the workspace has no preservation report",
                file=str(ws.root),
                fix="run `specpub validate --workspace WS` first",
            )
        data = json.loads(path.read_text(encoding="utf-8"))
        results = []
        for f in data.get("files", []):
            results.append(
                FileResult(
                    path=f["path"],
                    format=f["format"],
                    size=int(f["size"] or 0),
                    verdict=f["verdict"],
                    findings=[Finding.from_dict(x) for x in f["findings"]],
                    profile=f["profile"],
                    puid=f.get("puid", ""),
                    structure=f.get("structure", ""),
                    well_formed=bool(f.get("well_formed", True)),
                    valid=bool(f.get("valid", True)),
                    properties=dict(f.get("properties", {})),
                    catalog_number=f.get("catalogNumber", ""),
                    role=f.get("role", ""),
                    md5=f.get("md5", ""),
                    sha256=f.get("sha256", ""),
                )
            )
        return cls(results, profiles=data.get("profiles"), provenance=data.get("provenance"))


# -- the HTML page ------------------------------------------------------------------------

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f3f3f3}
.fail{color:#b00020;font-weight:600}.warn{color:#a05a00;font-weight:600}.pass{color:#1b7a1b}
.info{color:#555}.bar{height:14px;display:inline-block}.small{color:#666;font-size:12px}
details{margin:2px 0}code{font-size:12px}
"""
_COLOURS = {"fail": "#d33", "warn": "#e9a23b", "info": "#9ab", "pass": "#4a4"}


def _bar_chart(counts: dict[str, dict[str, int]]) -> str:
    """An inline SVG stacked bar chart: findings per rule, by severity."""
    rows = sorted(counts.items(), key=lambda kv: -sum(kv[1].values()))[:30]
    if not rows:
        return "<p>No findings.</p>"
    top = max(sum(v.values()) for _, v in rows)
    width, bar_h, label_w = 640, 18, 90
    height = bar_h * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + label_w + 60}" '
        f'height="{height}" role="img" aria-label="findings per rule">'
    ]
    for i, (rule_id, sev) in enumerate(rows):
        y = i * bar_h + 4
        parts.append(f'<text x="0" y="{y + 12}" font-size="12">{html.escape(rule_id)}</text>')
        x = label_w
        for name in ("fail", "warn", "info"):
            n = sev.get(name, 0)
            if not n:
                continue
            w = max(1, round(width * n / top))
            parts.append(
                f'<rect x="{x}" y="{y}" width="{w}" height="{bar_h - 4}" '
                f'fill="{_COLOURS[name]}"><title>{html.escape(rule_id)} {name}: {n}'
                "</title></rect>"
            )
            x += w
        parts.append(f'<text x="{x + 4}" y="{y + 12}" font-size="12">{sum(sev.values())}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _html_page(report: ValidationReport, title: str) -> str:
    e = html.escape
    s = report.summary()
    verdicts = " · ".join(
        f'<span class="{e(k)}">{s["by_verdict"].get(k, 0)} {e(k)}</span>'
        for k in ("pass", "warn", "fail")
    )
    rule_rows = "".join(
        f"<tr><td><code>{e(rid)}</code></td><td>{e(_rule_title(rid))}</td>"
        f"<td class='fail'>{c.get('fail', 0) or ''}</td><td class='warn'>{c.get('warn', 0) or ''}"
        f"</td><td class='info'>{c.get('info', 0) or ''}</td>"
        f"<td>{s['files_by_rule'].get(rid, 0)}</td></tr>"
        for rid, c in s["by_rule"].items()
    )
    order = {"fail": 0, "warn": 1, "pass": 2}
    file_rows = []
    for r in sorted(report.results, key=lambda r: (order.get(r.verdict, 3), r.path)):
        items = "".join(
            f"<li><span class='{e(f.severity)}'>{e(f.severity)}</span> <code>{e(f.id)}</code>"
            f"{' (' + e(f.rule) + ')' if f.rule and f.rule != f.id else ''}: {e(f.message)}"
            f"{_at(f.offset)}"
            f"{' <span class=small>' + e(f.where) + '</span>' if f.where else ''}"
            f"{' <span class=small>measured: ' + e(f.value) + '</span>' if f.value else ''}</li>"
            for f in r.findings
        )
        details = (
            (f"<details><summary>{len(r.findings)} findings</summary><ul>{items}</ul></details>")
            if r.findings
            else ""
        )
        file_rows.append(
            f"<tr><td class='{e(r.verdict)}'>{e(r.verdict)}</td><td>{e(r.key)}"
            f"<div class=small>{e(r.path)}</div></td><td>{e(r.format)}"
            f"<div class=small>{e(r.puid)}</div></td><td>{e(r.profile)}</td>"
            f"<td>{e(', '.join(r.rules('fail')))}</td><td>{details}</td></tr>"
        )
    prov = report.provenance
    prov_text = ", ".join(f"{e(str(k))} {e(str(v))}" for k, v in prov.items())
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{e(title)}</h1><p>{s['files']} files, {s['bytes']:,} bytes: {verdicts}</p>"
        f"<p class=small>{prov_text}</p>"
        f"<h2>Findings per rule</h2>{_bar_chart(s['by_rule'])}"
        "<table><tr><th>rule</th><th>what it checks</th><th>fail</th><th>warn</th><th>info</th>"
        f"<th>files</th></tr>{rule_rows}</table>"
        "<h2>Files</h2><table><tr><th>verdict</th><th>file</th><th>format</th><th>profile</th>"
        f"<th>failing rules</th><th>findings</th></tr>{''.join(file_rows)}</table>"
        "</body></html>\n"
    )


def _at(offset: int | None) -> str:
    return "" if offset is None else f" <span class=small>at byte {offset}</span>"


def _rule_title(rule_id: str) -> str:
    from specpub.preservation.policy import RULES

    if rule_id in RULES:
        return RULES[rule_id].title
    if rule_id in FINDING_TYPES:
        return FINDING_TYPES[rule_id].title
    return ""


def provenance() -> dict[str, Any]:
    """Tool versions and time of a run (``FIX-03``: record what judged the files).

    Examples
    --------
    >>> sorted(provenance())[:2]
    ['Pillow', 'created']
    """
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, Any] = {"created": datetime.now(UTC).isoformat(timespec="seconds")}
    for dist in ("specpub", "jpylyzer", "tifffile", "Pillow"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover
            out[dist] = "not installed"
    return out
