"""Batch reports: what happened, how fast, what failed, how long is left.

A report is computed from two tables of the ledger: the *records* (one row
per record, with its state) and the append-only *events* (one row per request
attempt and per pause). :func:`build_report` works on those two DataFrames
alone; :func:`batch_report` reads them from a workspace's ledger.

The report holds:

* counts by state;
* throughput over time (records published per minute, and the cumulative
  count), drawn as an inline SVG plot;
* the error breakdown by HTTP status (like Table 5 of the ICEDIG pilot
  report: 404 50 %, 504 18 %, 502 17 %, 500 15 %) and by step;
* retries, time lost to rate-limit waits and to outage / circuit-breaker
  pauses, elapsed time, and an ETA for what remains from recent throughput;
* one row per run (the ledger's ``runs`` table): publish runs make the
  figures above; reconciliations and audits are listed in their own section
  and never counted in a publish run's elapsed time or requests.

Requests are HTTP requests (the events' ``requests`` column: a native upload
is init + content + commit), the unit of the dry run's plan and of the
server's rate limits; *attempts* are the runner's steps (one event each).
Events are classified by the ledger's own vocabulary
(:data:`~specpub.batch.ledger.OUTCOMES`, :data:`~specpub.batch.ledger.PAUSE_REASONS`,
:data:`~specpub.batch.ledger.RUN_KINDS`), never by guessing words.

It renders as DataFrames, as CSV files in the workspace's ``reports/``
folder, and as ONE self-contained HTML page (no external assets; every value
escaped).

Examples
--------
>>> import pandas as pd
>>> records = pd.DataFrame({"state": ["published", "published", "failed", "planned"]})
>>> events = pd.DataFrame({
...     "time": [0.0, 1.0, 2.0, 61.0, 62.0],
...     "step": ["create", "publish", "create", "create", "publish"],
...     "outcome": ["ok", "ok", "ambiguous", "ok", "ok"],
...     "status": [201, 202, 504, 201, 202],
... })
>>> rep = build_report(records, events, batch_id="b1")
>>> rep.counts.set_index("state")["count"].to_dict()
{'published': 2, 'failed': 1, 'planned': 1}
>>> rep.errors[["status", "count", "percent"]].values.tolist()
[['504', 1, 100.0]]
>>> "<svg" in rep.to_html()
True
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from specpub._display import FrameResult
from specpub.batch.ledger import PAUSE_REASONS, RUN_KINDS

__all__ = [
    "BatchReport",
    "batch_report",
    "build_report",
    "error_breakdown",
    "normalise_events",
    "render_svg",
    "throughput",
]

#: How the report names the ledger's pause reasons (:data:`~specpub.batch.ledger.PAUSE_REASONS`).
PAUSE_KINDS = dict(zip(PAUSE_REASONS, ("rate-limit", "outage", "backoff"), strict=True))

_EVENT_COLUMNS = [
    "time", "step", "outcome", "status", "duration", "retry", "message", "kind", "requests",
    "run_id", "detail",
]  # fmt: skip


# ---------------------------------------------------------------- normalisation
def _to_epoch(values: pd.Series) -> pd.Series:
    """Times as float epoch seconds, whatever the ledger stored (float, ISO text, datetime)."""
    if values.empty:
        return values.astype(float)
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = values if values.dt.tz is not None else values.dt.tz_localize("UTC")
        return ts.map(lambda t: t.timestamp() if pd.notna(t) else np.nan).astype(float)
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return numeric.astype(float)
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    return parsed.map(lambda t: t.timestamp() if pd.notna(t) else np.nan).astype(float)


def _classify_kind(kind: Any, step: Any) -> str:
    """``request``, ``note``, or a pause: ``rate-limit``, ``outage``, ``backoff``.

    Reads the ledger's ``kind`` column and, for pauses, its :data:`PAUSE_REASONS`.
    A table without a ``kind`` column holds request attempts.

    Examples
    --------
    >>> _classify_kind("pause", "circuit_open"), _classify_kind(None, "create")
    ('outage', 'request')
    """
    kind = "" if kind is None or kind != kind else str(kind)
    if kind == "pause":
        return PAUSE_KINDS.get(str(step), "outage")
    if kind in ("note", "request"):
        return kind
    return "request"


def _purpose(detail: Any) -> str | None:
    """The ``purpose`` an event's JSON detail names (``reconcile``, ``audit``...)."""
    if not isinstance(detail, str) or '"purpose"' not in detail:
        return None
    try:
        value = json.loads(detail).get("purpose")
    except (ValueError, AttributeError):
        return None
    return value if value in RUN_KINDS else None


def normalise_events(events: pd.DataFrame | None) -> pd.DataFrame:
    """Bring an events table to the report's columns.

    Columns: ``time`` (epoch seconds), ``step``, ``outcome``, ``status``
    (nullable int), ``duration`` (seconds), ``retry`` (int), ``message``,
    ``kind`` (``request`` / ``note`` / ``rate-limit`` / ``outage`` / ``backoff``),
    ``requests`` (HTTP requests: 1 per request row unless the ledger says
    otherwise, 0 for the rest), ``run_id``, ``ok`` (bool: outcome ``ok``) and
    ``purpose`` (what the event's detail says it was for). The ledger's own
    names (``ts``, ``http_status``, ``error``) are understood.

    Examples
    --------
    >>> ev = normalise_events(pd.DataFrame({"time": ["2026-01-01T00:00:00Z"], "kind": ["pause"],
    ...                                     "step": ["rate_limit"], "outcome": ["pause"],
    ...                                     "duration": [3.0]}))
    >>> ev.loc[0, "kind"], float(ev.loc[0, "time"]), int(ev.loc[0, "requests"])
    ('rate-limit', 1767225600.0, 0)
    """
    if events is None:
        events = pd.DataFrame()
    ev = events.copy()
    # The ledger's column names (specpub.batch.ledger): ts, http_status, error.
    if "ts" in ev.columns:
        ev["time"] = ev["ts"]
    if "http_status" in ev.columns and "status" not in ev.columns:
        ev["status"] = ev["http_status"]
    if "error" in ev.columns and "message" not in ev.columns:
        ev["message"] = ev["error"]
    for col in _EVENT_COLUMNS:
        if col not in ev.columns:
            ev[col] = None
    ev["time"] = _to_epoch(ev["time"])
    ev["status"] = pd.to_numeric(ev["status"], errors="coerce").astype("Int64")
    ev["duration"] = pd.to_numeric(ev["duration"], errors="coerce").fillna(0.0).astype(float)
    ev["retry"] = pd.to_numeric(ev["retry"], errors="coerce").fillna(0).astype(int)
    ev["step"] = ev["step"].fillna("").astype(str)
    ev["outcome"] = ev["outcome"].fillna("").astype(str)
    ev["message"] = ev["message"].fillna("").astype(str)
    ev["kind"] = [_classify_kind(k, st) for k, st in zip(ev["kind"], ev["step"], strict=True)]
    given = pd.to_numeric(ev["requests"], errors="coerce")
    ev["requests"] = given.where(given.notna(), (ev["kind"] == "request").astype(int))
    ev["requests"] = ev["requests"].astype(int)
    ev["run_id"] = pd.to_numeric(ev["run_id"], errors="coerce").astype("Int64")
    ev["purpose"] = [_purpose(d) for d in ev["detail"]]
    ev["ok"] = ev["outcome"] == "ok"
    return ev.sort_values("time", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- computations
def error_breakdown(events: pd.DataFrame, *, by_step: bool = False) -> pd.DataFrame:
    """Failed request attempts by HTTP status (and step): counts and percentages.

    Attempts with no HTTP response (timeouts, dropped connections) count
    under status ``"no response"``. Percentages are of all failed attempts
    (within the step when ``by_step``), like Table 5 of the ICEDIG report.

    Examples
    --------
    >>> ev = pd.DataFrame({"step": ["create"] * 4, "outcome": ["error"] * 4,
    ...                    "status": [404, 404, 502, None], "time": [0, 1, 2, 3]})
    >>> error_breakdown(ev)[["status", "count", "percent"]].values.tolist()
    [['404', 2, 50.0], ['502', 1, 25.0], ['no response', 1, 25.0]]
    """
    ev = normalise_events(events) if "ok" not in events.columns else events
    failed = ev[(ev["kind"] == "request") & ~ev["ok"]].copy()
    cols = (["step"] if by_step else []) + ["status", "count", "percent"]
    if failed.empty:
        return pd.DataFrame(columns=cols)
    failed["status"] = [
        "no response" if pd.isna(s) else str(int(s)) for s in failed["status"].tolist()
    ]
    keys = (["step"] if by_step else []) + ["status"]
    table = failed.groupby(keys, sort=False).size().reset_index(name="count")
    totals = table.groupby("step")["count"].transform("sum") if by_step else table["count"].sum()
    table["percent"] = (100.0 * table["count"] / totals).round(1)
    table["_nr"] = table["status"] == "no response"
    table = table.sort_values(
        (["step"] if by_step else []) + ["_nr", "count", "status"],
        ascending=([True] if by_step else []) + [True, False, True],
        kind="stable",
    )
    return table[cols].reset_index(drop=True)


def throughput(
    published_times: Iterable[float],
    *,
    bin_seconds: float | None = None,
    start: float | None = None,
) -> pd.DataFrame:
    """Records published per time bin, per minute, and cumulatively.

    Parameters
    ----------
    published_times
        Epoch seconds at which records became published.
    bin_seconds
        Bin width; default 60 s, widened so that there are at most 240 bins, and
        narrowed (down to 1 s) for runs shorter than 10 minutes so that the plot
        has at least 10 bins.
    start
        Start of the first bin (default: the first time).

    Returns
    -------
    pandas.DataFrame
        ``start`` (UTC timestamp), ``published``, ``per_minute``, ``cumulative``.

    Examples
    --------
    >>> t = throughput([0, 10, 59, 60, 200], bin_seconds=60)
    >>> t[["published", "cumulative"]].values.tolist()
    [[3, 3], [1, 4], [0, 4], [1, 5]]
    >>> len(throughput([0, 10, 59, 60, 200]))  # a short run: 15 s bins
    14
    """
    times = np.sort(np.asarray([t for t in published_times if pd.notna(t)], dtype=float))
    cols = ["start", "published", "per_minute", "cumulative"]
    if times.size == 0:
        return pd.DataFrame(columns=cols)
    t0 = float(times[0] if start is None else min(start, times[0]))
    span = float(times[-1] - t0)
    if bin_seconds is None:
        if span > 600:
            bin_seconds = 60.0
            while span / bin_seconds > 240:
                bin_seconds *= 2
        else:  # a short run still gets a curve: the widest bin giving 10 or more
            widths = (60.0, 30.0, 15.0, 10.0, 5.0, 2.0)
            bin_seconds = next((w for w in widths if span / w >= 10), 1.0)
    n_bins = int(span // bin_seconds) + 1
    idx = ((times - t0) // bin_seconds).astype(int)
    counts = np.bincount(idx, minlength=n_bins)
    starts = pd.to_datetime(t0 + np.arange(n_bins) * bin_seconds, unit="s", utc=True)
    return pd.DataFrame(
        {
            "start": starts,
            "published": counts.astype(int),
            "per_minute": counts * 60.0 / bin_seconds,
            "cumulative": np.cumsum(counts).astype(int),
        },
        columns=cols,
    )


def _published_times(records: pd.DataFrame, ev: pd.DataFrame) -> list[float]:
    for col in ("published_at", "published_time"):
        if col in records.columns:
            times = _to_epoch(records[col]).dropna()
            if not times.empty:
                return times.tolist()
    pub = ev[(ev["kind"] == "request") & ev["ok"] & (ev["step"].str.lower() == "publish")]
    return (pub["time"] + pub["duration"]).tolist()


def _fmt_seconds(seconds: float | None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    if math.isinf(seconds):
        return "never"
    seconds = round(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


# ---------------------------------------------------------------- the report
@dataclass
class BatchReport(FrameResult):
    """The report of one batch (see the module docstring).

    Attributes
    ----------
    batch_id
        The batch, if known.
    counts
        DataFrame ``state, count, percent``.
    throughput
        DataFrame ``start, published, per_minute, cumulative`` (see :func:`throughput`).
    errors, errors_by_step
        DataFrames from :func:`error_breakdown`.
    stats
        Scalar figures of the *publish* runs: ``records``, ``published``,
        ``remaining``, ``failed``, ``publish_runs``, ``requests`` (HTTP),
        ``preflight_requests`` (of which: listings of the server),
        ``check_requests`` (of which: marker searches of the index check
        before publishing, see :mod:`specpub.batch._gate`),
        ``attempts``, ``failed_attempts``, ``retries``, ``rate_limit_wait_s``,
        ``outage_pause_s``, ``backoff_wait_s``, ``elapsed_s`` (the publish
        runs' own durations, summed), ``recent_per_minute``, ``eta_s``,
        ``generated``.
    runs
        DataFrame, one row per run (:func:`run_table`): publish runs,
        reconciliations and audits, each with its own elapsed time and requests.

    Examples
    --------
    >>> rep = build_report(pd.DataFrame({"state": ["published", "planned"]}), None, batch_id="7")
    >>> rep
    BatchReport(batch='7', published=1/2, failed_attempts=0, eta=-)
    """

    batch_id: str | None
    counts: pd.DataFrame
    throughput: pd.DataFrame
    errors: pd.DataFrame
    errors_by_step: pd.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: The files written by :meth:`write` (name → path), empty until then.
    files: dict[str, Path] = field(default_factory=dict)

    def __repr__(self) -> str:
        s = self.stats
        return (
            f"BatchReport(batch={self.batch_id!r}, published={s.get('published')}/"
            f"{s.get('records')}, failed_attempts={s.get('failed_attempts')}, "
            f"eta={_fmt_seconds(s.get('eta_s'))})"
        )

    def to_frame(self) -> pd.DataFrame:
        """The scalar figures as a two-column DataFrame (``figure``, ``value``).

        Examples
        --------
        >>> rep = build_report(pd.DataFrame({"state": ["planned"]}), None)
        >>> rep.to_frame().set_index("figure").loc["remaining", "value"]
        1
        """
        return pd.DataFrame(
            {"figure": list(self.stats), "value": list(self.stats.values())},
            columns=["figure", "value"],
        )

    def summary(self) -> str:
        """A few lines for people (the CLI prints this).

        Examples
        --------
        >>> print(build_report(pd.DataFrame({"state": ["planned"]}), None).summary())
        ... # doctest: +ELLIPSIS
        batch -: 0/1 published, 0 failed, 1 remaining...
        """
        s = self.stats
        lines = [
            f"batch {self.batch_id or '-'}: {s['published']}/{s['records']} published, "
            f"{s['failed']} failed, {s['remaining']} remaining",
            f"  publishing ({s['publish_runs']} runs): {s['requests']} requests "
            f"({s['preflight_requests']} listing the server, {s['check_requests']} checking "
            f"the index for duplicates), {s['attempts']} attempts, "
            f"{s['failed_attempts']} failed, {s['retries']} retries",
            f"  elapsed {_fmt_seconds(s['elapsed_s'])}, rate-limit waits "
            f"{_fmt_seconds(s['rate_limit_wait_s'])}, outage pauses "
            f"{_fmt_seconds(s['outage_pause_s'])}",
            f"  recent throughput {s['recent_per_minute']:.1f} records/min, ETA "
            f"{_fmt_seconds(s['eta_s'])}",
        ]
        if not self.errors.empty:
            parts = [f"{r.status} {r.count} ({r.percent:g} %)" for r in self.errors.itertuples()]
            lines.append("  errors by status: " + ", ".join(parts))
        checks = self.runs[self.runs["kind"] != "publish"] if len(self.runs) else self.runs
        for r in checks.itertuples(index=False):
            lines.append(
                f"  {r.kind} {r.started}: {r.outcome}, {r.requests} requests, "
                f"{_fmt_seconds(r.elapsed_s)}"
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict: stats, counts and errors (the CLI's ``--json``)."""
        return {
            "batch": self.batch_id,
            "stats": {k: _jsonable(v) for k, v in self.stats.items()},
            "counts": _records(self.counts),
            "errors": _records(self.errors),
            "errors_by_step": _records(self.errors_by_step),
            "runs": _records(self.runs),
        }

    # -- files -----------------------------------------------------------------------
    def write(self, folder: Path | str, *, html_path: Path | str | None = None) -> dict[str, Path]:
        """Write CSV files and the HTML page into ``folder`` (e.g. ``WS/reports``).

        Returns the paths written, by name (``counts``, ``throughput``,
        ``errors``, ``errors_by_step``, ``runs``, ``stats``, ``html``).

        Examples
        --------
        >>> import tempfile
        >>> rep = build_report(pd.DataFrame({"state": ["planned"]}), None, batch_id="b")
        >>> sorted(rep.write(tempfile.mkdtemp()))
        ['counts', 'errors', 'errors_by_step', 'html', 'runs', 'stats', 'throughput']
        """
        from specpub.workspace import atomic_write_text

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"batch-{_safe_name(self.batch_id)}" if self.batch_id else "batch"
        out: dict[str, Path] = {}
        tables = {
            "counts": self.counts,
            "throughput": self.throughput,
            "errors": self.errors,
            "errors_by_step": self.errors_by_step,
            "runs": self.runs,
            "stats": self.to_frame(),
        }
        for name, frame in tables.items():
            path = folder / f"{stem}-{name}.csv"
            atomic_write_text(path, frame.to_csv(index=False))
            out[name] = path
        hpath = Path(html_path) if html_path is not None else folder / f"{stem}.html"
        atomic_write_text(hpath, self.to_html())
        out["html"] = hpath
        return out

    # -- HTML ------------------------------------------------------------------------
    def to_html(self) -> str:
        """ONE self-contained HTML page: inline CSS and SVG, every value escaped."""
        esc = html.escape
        s = self.stats
        title = self.title or f"specpub batch report: {self.batch_id or 'all batches'}"
        figures = [
            ("Records", f"{s['records']:,}"),
            ("Published", f"{s['published']:,}"),
            ("Failed", f"{s['failed']:,}"),
            ("Remaining", f"{s['remaining']:,}"),
            ("Publish runs", f"{s['publish_runs']:,}"),
            ("HTTP requests (publish runs)", f"{s['requests']:,}"),
            ("of which listing the server (preflight)", f"{s['preflight_requests']:,}"),
            ("of which checking the index for duplicates", f"{s['check_requests']:,}"),
            ("Request attempts", f"{s['attempts']:,}"),
            ("Failed attempts", f"{s['failed_attempts']:,}"),
            ("Retries", f"{s['retries']:,}"),
            ("Elapsed (publish runs)", _fmt_seconds(s["elapsed_s"])),
            ("Lost to rate-limit waits", _fmt_seconds(s["rate_limit_wait_s"])),
            ("Lost to outages / breaker pauses", _fmt_seconds(s["outage_pause_s"])),
            ("Retry back-off waits (summed over records)", _fmt_seconds(s["backoff_wait_s"])),
            ("Recent throughput", f"{s['recent_per_minute']:.1f} records/min"),
            ("ETA for the rest", _fmt_seconds(s["eta_s"])),
        ]
        fig_rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in figures)
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{esc(title)}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<h1>{esc(title)}</h1>",
            f"<p class='meta'>Generated {esc(str(s.get('generated', '')))} by specpub.</p>",
            f"<table class='figures'>{fig_rows}</table>",
            "<h2>Throughput</h2>",
            render_svg(self.throughput),
            "<h2>Records by state</h2>",
            _html_table(self.counts),
            "<h2>Errors by HTTP status</h2>",
            "<p>Failed request attempts (each attempt counts, retried or not), "
            "as in Table 5 of the ICEDIG pilot report.</p>",
            _html_table(self.errors),
            "<h2>Errors by step and status</h2>",
            _html_table(self.errors_by_step),
            "<h2>Runs</h2>",
            "<p>Each publish run, reconciliation and audit with its own time and requests; "
            "only publish runs count in the figures above.</p>",
            _html_table(self.runs),
            "</body></html>",
        ]
        return "\n".join(parts) + "\n"


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:60em}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".figures th{background:#f4f4f4;font-weight:600}.meta{color:#666}"
    "svg{max-width:100%;height:auto}"
)


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(text))[:80]


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _html_table(frame: pd.DataFrame) -> str:
    esc = html.escape
    if frame.empty:
        return "<p><em>none</em></p>"
    head = "".join(f"<th>{esc(str(c))}</th>" for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            num = isinstance(value, int | float | np.integer | np.floating)
            text = f"{value:g}" if isinstance(value, float | np.floating) else str(value)
            cls = " class='num'" if num else ""
            cells.append(f"<td{cls}>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


# ---------------------------------------------------------------- SVG
def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * exp:
            return m * exp
    return 10 * exp  # pragma: no cover


def render_svg(tp: pd.DataFrame, *, width: int = 720, height: int = 280) -> str:
    """Draw throughput (bars, records/min, left axis) and cumulative published
    (line, right axis) as an inline SVG element. No external assets.

    Examples
    --------
    >>> svg = render_svg(throughput([0, 30, 90, 100]))
    >>> svg.startswith("<svg") and "polyline" in svg and svg.count("<rect") >= 2
    True
    >>> "no records published yet" in render_svg(throughput([]))
    True
    """
    esc = html.escape
    ml, mr, mt, mb = 56, 64, 16, 40
    pw, ph = width - ml - mr, height - mt - mb
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        'aria-label="records published per minute and cumulative">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>'
    )
    if tp is None or tp.empty:
        return (
            head + f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" '
            'font-size="14" fill="#666">no records published yet</text></svg>'
        )
    rate = tp["per_minute"].astype(float).to_numpy()
    cum = tp["cumulative"].astype(float).to_numpy()
    n = len(tp)
    rmax, cmax = _nice_max(float(rate.max())), _nice_max(float(cum.max()))
    bw = pw / n
    out = [head]
    # grid and left axis (rate)
    for i in range(5):
        frac = i / 4
        y = mt + ph - frac * ph
        out.append(
            f'<line x1="{ml}" y1="{y:.1f}" x2="{ml + pw}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{ml - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#1f6fb2">{esc(f"{rmax * frac:g}")}</text>'
            f'<text x="{ml + pw + 6}" y="{y + 4:.1f}" font-size="11" '
            f'fill="#c0392b">{esc(f"{cmax * frac:,.0f}")}</text>'
        )
    for i, r in enumerate(rate):
        h = 0.0 if rmax == 0 else r / rmax * ph
        x = ml + i * bw
        out.append(
            f'<rect x="{x + 0.1 * bw:.2f}" y="{mt + ph - h:.2f}" width="{max(0.8 * bw, 0.5):.2f}" '
            f'height="{h:.2f}" fill="#1f6fb2" opacity="0.75"/>'
        )
    pts = " ".join(
        f"{ml + (i + 0.5) * bw:.2f},{mt + ph - (c / cmax * ph if cmax else 0):.2f}"
        for i, c in enumerate(cum)
    )
    out.append(f'<polyline points="{pts}" fill="none" stroke="#c0392b" stroke-width="2"/>')
    # x axis: first, middle, last bin start times
    out.append(f'<line x1="{ml}" y1="{mt + ph}" x2="{ml + pw}" y2="{mt + ph}" stroke="#888"/>')
    starts = pd.to_datetime(tp["start"], utc=True)
    ticks = sorted({0, n // 2, n - 1})
    step = (starts.iloc[-1] - starts.iloc[0]).total_seconds() / max(1, n - 1)
    fmt = "%H:%M:%S" if n > 1 and step < 60 else "%H:%M"
    for i in ticks:
        x = ml + (i + 0.5) * bw
        label = starts.iloc[i].strftime(fmt if n > 1 else "%Y-%m-%d %H:%M")
        out.append(
            f'<text x="{x:.1f}" y="{mt + ph + 16}" text-anchor="middle" font-size="11" '
            f'fill="#444">{esc(label)} UTC</text>'
        )
    out.append(
        f'<text x="{ml}" y="{height - 6}" font-size="11" fill="#1f6fb2">'
        "bars: records published per minute (left)</text>"
        f'<text x="{ml + pw}" y="{height - 6}" text-anchor="end" font-size="11" '
        'fill="#c0392b">line: cumulative published (right)</text>'
    )
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------- builder
def _count_retries(requests: pd.DataFrame) -> int:
    """Request attempts that repeat a failed attempt of the same record, step and file.

    The ledger's ``retry`` column counts the attempts charged to a *record* so
    far (across its steps), so it cannot tell a retry from the next step;
    the order of the attempts can. Without record ids, fall back to ``retry > 0``.

    Examples
    --------
    >>> req = pd.DataFrame({"record_id": [1, 1, 1, 2], "step": ["create", "create", "upload",
    ...                     "create"], "file_key": [None] * 4, "ok": [False, True, True, True],
    ...                     "time": [0, 1, 2, 3], "retry": [0, 1, 1, 0]})
    >>> _count_retries(req)
    1
    """
    rec_col = next((c for c in ("record_id", "record") if c in requests.columns), None)
    if rec_col is None:
        return int((requests["retry"] > 0).sum())
    ordered = requests.sort_values("time", kind="stable")
    fkey = ordered["file_key"] if "file_key" in ordered.columns else None
    keys = [ordered[rec_col].astype(str), ordered["step"].astype(str)]
    if fkey is not None:
        keys.append(fkey.fillna("").astype(str))
    failed = ~ordered["ok"].astype(bool)
    previous_failed = failed.groupby(keys).shift(1, fill_value=False)
    return int(previous_failed.astype(bool).sum())


def _run_kinds(ev: pd.DataFrame, runs: pd.DataFrame | None) -> pd.Series:
    """The kind of run each event belongs to: its run's kind, else its purpose, else publish."""
    kinds: dict[int, str] = {}
    if runs is not None and not runs.empty:
        kinds = {int(r): str(k) for r, k in zip(runs["run_id"], runs["kind"], strict=True)}
    out = []
    for run_id, purpose in zip(ev["run_id"], ev["purpose"], strict=True):
        if run_id is not pd.NA and run_id == run_id and int(run_id) in kinds:
            out.append(kinds[int(run_id)])
        else:
            out.append(purpose if isinstance(purpose, str) and purpose else "publish")
    return pd.Series(out, index=ev.index, dtype=object)


def run_table(ev: pd.DataFrame, runs: pd.DataFrame | None) -> pd.DataFrame:
    """One row per run: kind, start, elapsed, outcome, requests, attempts, failures, publishes.

    Events written outside any recorded run (ledgers older than the ``runs``
    table) form one row per kind with ``run_id`` empty. A run that was killed
    (outcome still ``running``) ends at its last event and reads
    ``interrupted``.

    Examples
    --------
    >>> ev = normalise_events(pd.DataFrame({"time": [0.0, 5.0], "step": ["create", "publish"],
    ...                                     "outcome": ["ok", "ok"], "run_id": [1, 1]}))
    >>> runs = pd.DataFrame({"run_id": [1], "kind": ["publish"], "ts_start": [0.0],
    ...                      "ts_end": [6.0], "outcome": ["ok"]})
    >>> run_table(ev, runs)[["kind", "elapsed_s", "requests", "published"]].values.tolist()
    [['publish', 6.0, 2, 1]]
    """
    cols = ["run_id", "kind", "started", "elapsed_s", "outcome", "requests", "attempts",
            "failed_attempts", "published", "rate_limit_wait_s", "outage_pause_s"]  # fmt: skip
    if ev.empty and (runs is None or runs.empty):
        return pd.DataFrame(columns=cols)
    kinds = _run_kinds(ev, runs) if not ev.empty else pd.Series(dtype=object)
    rows = []

    def figures(part: pd.DataFrame) -> dict[str, Any]:
        req = part[part["kind"] == "request"]
        return {
            "requests": int(req["requests"].sum()),
            "attempts": len(req),
            "failed_attempts": int((~req["ok"]).sum()),
            "published": int(((req["step"] == "publish") & req["ok"]).sum()),
            "rate_limit_wait_s": float(part.loc[part["kind"] == "rate-limit", "duration"].sum()),
            "outage_pause_s": float(part.loc[part["kind"] == "outage", "duration"].sum()),
        }

    known: set[int] = set()
    if runs is not None and not runs.empty:
        for r in runs.itertuples(index=False):
            rid = int(r.run_id)
            known.add(rid)
            part = ev[ev["run_id"] == rid] if not ev.empty else ev
            start = float(r.ts_start)
            end = getattr(r, "ts_end", None)
            if end is None or end != end:
                end = float((part["time"] + part["duration"]).max()) if len(part) else start
            outcome = str(r.outcome)
            rows.append({
                "run_id": rid, "kind": str(r.kind), "started": _iso(start),
                "elapsed_s": max(0.0, float(end) - start),
                "outcome": "interrupted" if outcome == "running" else outcome,
                **figures(part),
            })  # fmt: skip
    if not ev.empty:
        loose = ev[[(x is pd.NA or x != x or int(x) not in known) for x in ev["run_id"]]]
        for kind in sorted(set(kinds[loose.index])):
            part = loose[kinds[loose.index] == kind]
            t0 = float(part["time"].min())
            t1 = float((part["time"] + part["duration"]).max())
            rows.append({
                "run_id": None, "kind": kind, "started": _iso(t0), "elapsed_s": max(0.0, t1 - t0),
                "outcome": "-", **figures(part),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def build_report(
    records: pd.DataFrame,
    events: pd.DataFrame | None,
    *,
    runs: pd.DataFrame | None = None,
    batch_id: str | None = None,
    now: float | None = None,
    window_seconds: float = 600.0,
    bin_seconds: float | None = None,
    title: str | None = None,
) -> BatchReport:
    """Compute a :class:`BatchReport` from the records, events and runs of one batch.

    Parameters
    ----------
    records
        One row per record, with a ``state`` column (``published``,
        ``failed``, ``planned``...), and optionally ``published_at``.
    events
        One row per request attempt / pause / note (see
        :func:`normalise_events`). ``None`` for a batch that never ran.
    runs
        The ledger's ``runs`` table: the figures of the report (elapsed time,
        requests, errors, throughput) come from *publish* runs only;
        reconciliations and audits appear in :attr:`BatchReport.runs`.
    batch_id, title
        Shown in the report.
    now
        Epoch seconds for "now" (default: the clock); only stamps the report.
    window_seconds
        Recent-throughput window for the ETA: the published records in the
        last ``window_seconds`` of activity, divided by that window (or by the
        whole elapsed time if shorter).
    bin_seconds
        Throughput bin width (default: 60 s, widened for long runs).

    Examples
    --------
    >>> recs = pd.DataFrame({"state": ["published"] * 6 + ["planned"] * 4})
    >>> ev = pd.DataFrame({"time": [0, 60, 120, 180, 240, 300], "step": ["publish"] * 6,
    ...                    "outcome": ["ok"] * 6})
    >>> rep = build_report(recs, ev, window_seconds=300)
    >>> rep.stats["recent_per_minute"], rep.stats["eta_s"]
    (1.0, 240.0)
    """
    all_ev = normalise_events(events)
    table = run_table(all_ev, runs)
    ev = all_ev[_run_kinds(all_ev, runs) == "publish"] if not all_ev.empty else all_ev
    states = records["state"].fillna("unknown").astype(str) if "state" in records else pd.Series()
    counts = states.value_counts(sort=True).rename_axis("state").reset_index(name="count")
    total = len(records)
    counts["percent"] = (100.0 * counts["count"] / total).round(1) if total else 0.0
    published = int((states == "published").sum())
    failed = int((states == "failed").sum())
    remaining = total - published

    requests = ev[ev["kind"] == "request"]
    ptimes = _published_times(records, ev)
    publish_runs = table[table["kind"] == "publish"]
    if not ev.empty:
        t_start = float(ev["time"].min())
        t_end = float((ev["time"] + ev["duration"]).max())
        elapsed = float(publish_runs["elapsed_s"].sum()) if len(publish_runs) else 0.0
    else:
        t_start = t_end = math.nan
        elapsed = 0.0
    tp = throughput(ptimes, bin_seconds=bin_seconds, start=None if math.isnan(t_start) else t_start)
    # recent throughput -> ETA
    recent = 0.0
    if ptimes:
        end = max(max(ptimes), t_end) if not math.isnan(t_end) else max(ptimes)
        begin = min(ptimes) if math.isnan(t_start) else t_start
        window = min(window_seconds, max(end - begin, 1e-9))
        n_recent = sum(1 for t in ptimes if t > end - window)
        recent = n_recent / window * 60.0 if window > 0 else 0.0
    if remaining == 0:
        eta: float | None = 0.0
    elif recent > 0:
        eta = remaining / recent * 60.0
    else:
        eta = None
    listing = requests[requests["step"] == "list"]
    stats: dict[str, Any] = {
        "records": total,
        "published": published,
        "failed": failed,
        "remaining": remaining,
        "publish_runs": int((publish_runs["run_id"].notna()).sum()) or len(publish_runs),
        "requests": int(requests["requests"].sum()),
        "preflight_requests": int(listing["requests"].sum()),
        "check_requests": int(requests.loc[requests["step"] == "index_check", "requests"].sum()),
        "attempts": len(requests),
        "failed_attempts": int((~requests["ok"]).sum()),
        "retries": _count_retries(requests),
        "rate_limit_wait_s": float(ev.loc[ev["kind"] == "rate-limit", "duration"].sum()),
        "outage_pause_s": float(ev.loc[ev["kind"] == "outage", "duration"].sum()),
        "backoff_wait_s": float(ev.loc[ev["kind"] == "backoff", "duration"].sum()),
        "elapsed_s": elapsed,
        "recent_per_minute": round(recent, 3),
        "eta_s": None if eta is None else round(eta, 3),
        "generated": datetime.fromtimestamp(
            now if now is not None else datetime.now(UTC).timestamp(), UTC
        ).isoformat(timespec="seconds"),
    }
    return BatchReport(
        batch_id=batch_id,
        counts=counts,
        throughput=tp,
        errors=error_breakdown(ev),
        errors_by_step=error_breakdown(ev, by_step=True),
        stats=stats,
        title=title,
        runs=table,
    )


def batch_report(
    ledger: Any,
    batch: int | None = None,
    *,
    write_to: Any = None,
    html_path: Path | str | None = None,
    **kwargs: Any,
) -> BatchReport:
    """The report of one batch (or of all batches) from a ledger.

    Parameters
    ----------
    ledger
        A :class:`~specpub.batch.ledger.Ledger`, a ledger path, or a
        :class:`~specpub.workspace.Workspace`.
    batch
        The batch id; ``None`` reports on every batch of the ledger together.
    write_to
        A :class:`~specpub.workspace.Workspace` (files go to its ``reports/``
        folder) or a folder: write the CSV files and the HTML page there.
    html_path
        Where to write the HTML page instead of the default.
    **kwargs
        Passed to :func:`build_report` (``window_seconds``, ``bin_seconds``...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from specpub.batch.ledger import Ledger
    >>> from specpub.repository.protocol import Marker
    >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite")
    >>> b = led.create_batch(target="embedded", api="legacy")
    >>> _ = led.add_record(b, Marker("A1"), payload={})
    >>> batch_report(led, b).stats["remaining"]
    1
    >>> led.close()
    """
    from specpub.batch.ledger import Ledger
    from specpub.workspace import Workspace

    own = False
    if isinstance(ledger, Workspace):
        if write_to is None and html_path is not None:
            write_to = ledger
        ledger, own = Ledger.for_workspace(ledger), True
    elif isinstance(ledger, str | Path):
        ledger, own = Ledger.open(ledger), True
    try:
        records = ledger.records(batch=batch)
        events = ledger.events(batch=batch)
        runs = ledger.runs()
        if batch is not None and not runs.empty:
            runs = runs[[batch in json.loads(b or "[]") for b in runs["batch_ids"]]]
        label = None
        if batch is not None:
            info = ledger.batch(batch)
            label = f"{batch}" + (f" ({info.label})" if info.label else "")
            kwargs.setdefault(
                "title", f"specpub batch report: batch {label}, {info.target} ({info.api} API)"
            )
    finally:
        if own:
            ledger.close()
    report = build_report(
        records, events, runs=runs, batch_id=None if batch is None else str(batch), **kwargs
    )
    if write_to is not None:
        folder = (
            write_to.stage_dir("reports") if isinstance(write_to, Workspace) else Path(write_to)
        )
        report.files = report.write(folder, html_path=html_path)
    return report


def _dump(report: BatchReport) -> str:  # pragma: no cover - debugging aid
    return json.dumps(report.to_json(), indent=2)
