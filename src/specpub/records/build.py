"""Specimens + media (+ scan + preservation verdicts) → checked records, as a preset says.

:func:`build_records` makes one record per specimen that can have one, with
the preset's mapping (:mod:`specpub.records.mapping`), its JSON-LD sidecar
(:mod:`specpub.records.sidecar`) and the Zenodo-side checks of both payloads
(:mod:`specpub.records.checks`). Nothing disappears silently: a specimen
that gets no record — an error-severity quality flag (a missing or shared
catalogue number: the record's identity), no linked file, an unreadable or
empty file, a failing preservation master — is listed in
:attr:`Records.skipped` with the reason and what to do, and so is every
record a check or the preset blocks.

When a media scan exists (``media=``, or the workspace's
``media/manifest.parquet``) its fixity is used and no image is read again;
otherwise each linked file is read once here. When a preservation report
exists (``preservation=``, or ``preservation/report.parquet``), a master
file whose verdict is ``fail`` blocks its record unless every failed rule is
in the preset's ``[preservation] allow_rules``.

Examples
--------
>>> import tempfile, pathlib
>>> from specpub.specimens import load_specimens, link_media
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text("catalogNumber,institutionCode\\nA1,DEMO\\nA2,DEMO\\n")
>>> _ = (folder / "A1.jpg").write_bytes(b"jpeg bytes")
>>> sp = load_specimens(folder / "t.csv", progress=None)
>>> recs = build_records(sp, link_media(sp, [folder], progress=None),
...                      PayloadOptions(publication_date="2026-01-01"), sidecar_dir=folder / "sc")
>>> len(recs.specs), recs.skipped["reason"].tolist()
(1, ['no linked file'])
>>> [f.key for f in recs.specs[0].files]
['A1.jpg', 'A1.jsonld']
"""

from __future__ import annotations

import gc
import json
import math
import multiprocessing as mp
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from specpub.errors import InputError
from specpub.progress import make_progress
from specpub.records.existing_dois import existing_doi_warning
from specpub.records.mapping import FlagHit, RecordBuilder, RowInput
from specpub.records.media import MANIFEST_FIELDS, MediaFile, clean_text
from specpub.records.model import Finding
from specpub.records.payloads import PayloadOptions
from specpub.records.presets import Preset, load_preset
from specpub.records.result import BuiltRecord, Records
from specpub.records.sidecar import SidecarWriter
from specpub.workspace import Workspace

__all__ = [
    "INPUT_FILES",
    "build_records",
    "build_workspace_records",
    "input_fingerprint",
    "records_current",
    "row_inputs",
    "workspace_records",
]


def _core_flags(specimens: Any) -> pd.DataFrame:
    flags: pd.DataFrame = specimens.flags
    if flags.empty:
        return flags
    frame = specimens.frame
    if "source" in flags.columns and "_source" in frame.columns and len(frame):
        core = set(frame["_source"].unique())
        flags = flags[flags["source"].isin(core) | flags["source"].isna() | flags["source"].eq("")]
    return flags.dropna(subset=["row"])


def _flags_by_row(flags: pd.DataFrame) -> tuple[dict[int, list[FlagHit]], dict[int, str]]:
    hits: dict[int, list[FlagHit]] = defaultdict(list)
    errors: dict[int, set[str]] = defaultdict(set)
    if flags.empty:
        return hits, {}
    term = flags["term"] if "term" in flags.columns else flags["column"]
    values = flags["value"] if "value" in flags.columns else pd.Series("", index=flags.index)
    for flag, severity, row, t, v in zip(
        *(_objects(c) for c in (flags["flag"], flags["severity"], flags["row"], term, values)),
        strict=True,
    ):
        row = int(row)
        if severity == "error":
            errors[row].add(str(flag))
        else:
            hits[row].append((str(flag), _text_of(t), _text_of(v)))
    return hits, {row: ", ".join(sorted(f)) for row, f in errors.items()}


def _objects(series: pd.Series) -> list[Any]:
    """The cells of a column as Python objects (iterating an Arrow-backed column is slow)."""
    return series.to_numpy(dtype=object).tolist()


def _text_of(value: Any) -> str:
    """A cell as text, ``""`` when missing."""
    if type(value) is str:
        return value
    return "" if pd.isna(value) else str(value)


def _original_basis(flags: pd.DataFrame) -> dict[int, str]:
    """Row → the basisOfRecord as the table gave it (the specimens stage normalises it)."""
    if flags.empty:
        return {}
    sub = flags[flags["flag"] == "BASIS_OF_RECORD_NONSTANDARD"]
    return {int(r): str(v) for r, v in zip(sub["row"], sub["value"], strict=True)}


# A path already absolute and normal (no empty, "." or ".." part): _norm leaves it as it is.
_NORMAL_PATH = r"^(?:/(?:[^/.][^/]*|\.[^/.][^/]*|\.\.[^/]+))+$"


def _norm_all(paths: np.ndarray) -> list[str]:
    """:func:`_norm` of each path text; the many already normal are found vectorised."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        normal = pc.match_substring_regex(pa.array(paths, type=pa.string()), _NORMAL_PATH)
        flags = normal.to_numpy(zero_copy_only=False)
    except (TypeError, ValueError, UnicodeError, pa.ArrowException):
        flags = np.zeros(len(paths), dtype=bool)
    return [p if ok else _norm(p) for p, ok in zip(paths.tolist(), flags.tolist(), strict=True)]


# Manifest columns whose values differ from file to file (not worth counting).
_PER_FILE = frozenset({"path", "key", "size", "mtime", "mtime_ns", "md5", "sha256"})


class _LinkIndex:
    """A specimen's linked files (path text, role) by source row, found by the worker that
    builds the row: here only sorted by row, at once, not grouped file by file."""

    def __init__(self, links: pd.DataFrame) -> None:
        rows = pd.to_numeric(links["_row"]).to_numpy(dtype=np.int64)
        order = np.argsort(rows, kind="stable")  # a row's files in the links' order
        self._rows = rows[order]
        self._paths = links["path"].to_numpy(dtype=object)[order]
        roles = links["role"] if "role" in links.columns else pd.Series("", index=links.index)
        self._roles = roles.to_numpy(dtype=object)[order]

    def paths(self) -> list[str]:
        """Every linked path text."""
        return [p for p in self._paths.tolist() if isinstance(p, str) and p]

    def of_rows(self, rows: list[int]) -> dict[int, list[tuple[str, str]]]:
        """Row → its files ``(path text, role)`` for each of ``rows`` that has any."""
        wanted = np.asarray(rows, dtype=np.int64)
        starts = np.searchsorted(self._rows, wanted, side="left").tolist()
        ends = np.searchsorted(self._rows, wanted, side="right").tolist()
        out: dict[int, list[tuple[str, str]]] = {}
        for row, lo, hi in zip(rows, starts, ends, strict=True):
            if lo == hi:
                continue
            found = [
                (path, role if isinstance(role, str) else "")
                for path, role in zip(
                    self._paths[lo:hi].tolist(), self._roles[lo:hi].tolist(), strict=True
                )
                if isinstance(path, str) and path
            ]
            if found:
                out[row] = found
        return out


def _row_numbers(frame: pd.DataFrame) -> list[int]:
    """The source row of each row of a specimens frame (1-based; the header is row 1)."""
    if "_row" in frame.columns:
        return frame["_row"].astype(int).tolist()
    return list(range(2, len(frame) + 2))


class _ManifestIndex:
    """Path → row of the media scan's manifest, without copying the table row by row.

    Only the columns a record reads are kept. A column that repeats its values (formats,
    cameras, dimensions) is made clean text once per distinct value, here; one whose
    values are mostly distinct (paths, sizes, times, checksums) is kept as it is and each
    cell made text when a worker reads it.
    """

    def __init__(self, manifest: pd.DataFrame | None) -> None:
        self._columns: list[tuple[str, np.ndarray, bool]] = []
        self._rows: dict[str, int] = {}  # path text as scanned → row
        self._texts: np.ndarray = np.array([], dtype=object)
        self._by_norm: dict[str, int] | None = None  # normalised path → row (when needed)
        #: The facts many files share, by their cells (see ``MediaFile._from_cells``).
        self.facts: dict[tuple[Any, ...], dict[str, Any]] = {}
        if manifest is None or not len(manifest) or "path" not in manifest.columns:
            return
        n = len(manifest)
        for column in dict.fromkeys((*MANIFEST_FIELDS, "mtime_ns")):
            if column not in manifest.columns:
                continue
            if column in _PER_FILE:
                self._columns.append((column, manifest[column].to_numpy(dtype=object), True))
                continue
            codes, uniques = pd.factorize(manifest[column], use_na_sentinel=True)
            if len(uniques) > n // 2:  # mostly distinct: cleaned when read
                cells = manifest[column].to_numpy(dtype=object)
                self._columns.append((column, cells, True))
                continue
            values = np.asarray(uniques, dtype=object).tolist()
            texts = np.array([clean_text(v) for v in values] + [""], dtype=object)
            self._columns.append((column, texts[codes], False))
        paths = next(cells for name, cells, _ in self._columns if name == "path")
        lazy = next(raw for name, _, raw in self._columns if name == "path")
        self._texts = np.array([clean_text(p) for p in paths], dtype=object) if lazy else paths
        self._rows = dict(zip(self._texts.tolist(), range(n), strict=True))

    def expect(self, paths: list[str]) -> None:
        """Prepare for looking up ``paths``: links usually name a file with the very text
        the scan did; when some do not, scan paths are also indexed normalised."""
        if self._rows and not all(map(self._rows.__contains__, paths)):
            self._normalised()

    def _normalised(self) -> dict[str, int]:
        """Normalised path → row (made once, when a link names a file differently)."""
        if self._by_norm is None:
            self._by_norm = dict(zip(_norm_all(self._texts), range(len(self._texts)), strict=True))
        return self._by_norm

    def cells(self, i: int) -> dict[str, Any]:
        """Row ``i``: column → clean text (the columns a record reads)."""
        out = {}
        for name, cells, raw in self._columns:
            value = cells[i]
            if raw:  # clean_text, its common case inline
                value = value.strip() if type(value) is str else clean_text(value)
            out[name] = value
        return out

    def current(self, path: str) -> dict[str, Any] | None:
        """The scan's row for ``path`` (as the scan wrote it, or the same path normalised) if
        it still describes the file: read without error, and the same size and modification
        time now (a stat, no read)."""
        i = self._rows.get(path)
        if i is None:
            if not self._rows:
                return None
            i = self._normalised().get(_norm(path))
            if i is None:
                return None
        cell = self.cells(i)
        size, mtime_ns = cell.get("size", ""), cell.get("mtime_ns", "")
        if cell.get("error") or not cell.get("md5") or not size or not mtime_ns:
            return None
        try:
            st = os.stat(path)
            same = st.st_size == _whole(size) and st.st_mtime_ns == _whole(mtime_ns)
        except (OSError, ValueError):
            return None
        return cell if same else None


def _whole(text: str) -> int:
    """``"1796486910997576007"`` → that integer exactly (``"643.0"`` → 643)."""
    try:
        return int(text)
    except ValueError:
        return int(float(text))


def _norm(path: Any) -> str:
    """A path as a lookup key: absolute and normalised, without touching the disk."""
    return os.path.normpath(os.path.abspath(str(path)))


def _frame_of(obj: Any, attrs: tuple[str, ...], what: str, fix: str) -> pd.DataFrame | None:
    """The table of a stage's result (or the DataFrame itself); ``None`` for ``None``."""
    if obj is None or isinstance(obj, pd.DataFrame):
        return obj
    for attr in attrs:
        frame = getattr(obj, attr, None)
        if isinstance(frame, pd.DataFrame):
            return frame
    raise InputError(
        f"{what}= must be a {what} result or a DataFrame, not {type(obj).__name__}",
        field=what,
        fix=fix,
    )


def _manifest_frame(media: Any) -> pd.DataFrame | None:
    return _frame_of(
        media,
        ("manifest", "frame", "files"),
        "media",
        "pass the result of specpub.media.scan (or leave media out)",
    )


def _report_frame(report: Any) -> pd.DataFrame | None:
    return _frame_of(
        report,
        ("files", "frame", "verdicts"),
        "preservation",
        "pass the result of specpub.preservation.validate (or leave it out)",
    )


def _ids(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value if str(v)]
    return [r.strip() for r in str(value).replace(";", ",").split(",") if r.strip()]


#: A file's failing checks: ``(finding id, rule id)`` pairs (the rule may equal the id).
Failures = list[tuple[str, str]]


def _verdicts(report: pd.DataFrame | None) -> dict[str, tuple[str, Failures]]:
    """Path → (verdict, failing (finding id, rule id) pairs) from a preservation report."""
    if report is None or report.empty or "path" not in report.columns:
        return {}
    out = {}
    for rec in report.to_dict("records"):
        failures: Failures = []
        raw = rec.get("findings")
        if isinstance(raw, str) and raw.strip().startswith("["):
            try:
                items = json.loads(raw)
            except ValueError:
                items = []
            failures = [
                (str(f.get("id", "")), str(f.get("rule") or f.get("id", "")))
                for f in items
                if isinstance(f, dict) and f.get("severity") == "fail"
            ]
        if not failures:
            rules = _ids(rec.get("failed_rules", rec.get("rules")))
            failures = [(r, r) for r in rules] + [(f, f) for f in _ids(rec.get("failed_findings"))]
        out[_norm(rec["path"])] = (str(rec.get("verdict", "")), failures)
    return out


def _column_values(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, str]]:
    """Per row: column → value, non-empty values only (original text)."""
    rows: list[dict[str, str]] = [{} for _ in range(len(frame))]
    for column in columns:
        series = frame[column]
        arr = series.to_numpy(dtype=object)
        if series.dtype != object:
            arr = np.array([_text_of(v) for v in arr.tolist()], dtype=object)
        present = np.flatnonzero(pd.notna(arr) & (arr != ""))
        for i in present.tolist():
            value = arr[i]
            rows[i][column] = value if isinstance(value, str) else str(value)
    return rows


@dataclass(frozen=True)
class FlagIndex:
    """A specimens' flags by source row: non-error hits, error flag ids, original basisOfRecord."""

    hits: Mapping[int, list[FlagHit]]
    errors: Mapping[int, str]
    basis: Mapping[int, str]

    @classmethod
    def of(cls, flags: pd.DataFrame) -> FlagIndex:
        """Index ``flags`` (a specimens flags table) once."""
        hits, errors = _flags_by_row(flags)
        return cls(hits, errors, _original_basis(flags))


def row_inputs(
    frame: pd.DataFrame,
    columns: list[str],
    flags: pd.DataFrame | FlagIndex,
    *,
    table_columns: set[str] | None = None,
) -> Iterator[tuple[RowInput, str]]:
    """Per row of a specimens frame: the :class:`RowInput` (values as loaded, stripped;
    values as the table gave them; the row's flags) and its error flags (``""`` if none).

    ``table_columns`` are the columns the table itself had (the specimens stage may add
    some, e.g. an eventDate built from year/month/day); only those are "as given".

    Examples
    --------
    >>> frame = pd.DataFrame({"catalogNumber": ["A1 "], "basisOfRecord": ["PreservedSpecimen"],
    ...                       "_row": [2]})
    >>> flags = pd.DataFrame([{"flag": "BASIS_OF_RECORD_NONSTANDARD", "severity": "info",
    ...     "row": 2, "term": "basisOfRecord", "value": "PRESERVED_SPECIMEN"}])
    >>> inp, error = next(row_inputs(frame, ["catalogNumber", "basisOfRecord"], flags))
    >>> inp.values["catalogNumber"], inp.raw["basisOfRecord"], inp.flags[0][0], error
    ('A1', 'PRESERVED_SPECIMEN', 'BASIS_OF_RECORD_NONSTANDARD', '')
    """
    index = flags if isinstance(flags, FlagIndex) else FlagIndex.of(flags)
    hits, error_rows, basis = index.hits, index.errors, index.basis
    has_verbatim = "eventDate_verbatim" in frame.columns
    rows = _row_numbers(frame)
    for raw_values, row in zip(_column_values(frame, columns), rows, strict=True):
        values = {k: s for k, v in raw_values.items() if (s := v.strip())}
        original = raw_values
        original.pop("eventDate_edtf", None)
        if has_verbatim:
            given = original.pop("eventDate_verbatim", None)
            if given is not None:
                original["eventDate"] = given
            else:
                original.pop("eventDate", None)
            values.pop("eventDate_verbatim", None)
        if table_columns is not None:
            original = {k: v for k, v in original.items() if k in table_columns}
        if row in basis:
            original["basisOfRecord"] = basis[row]
        yield RowInput(row, values, original, hits.get(row, ())), error_rows.get(row, "")


def build_records(
    specimens: Any,
    links: Any = None,
    preset: Preset | str | Path | PayloadOptions | None = None,
    *,
    overrides: PayloadOptions | Mapping[str, Any] | None = None,
    media: Any = None,
    preservation: Any = None,
    workspace: Workspace | str | Path | None = None,
    sidecar_dir: str | Path | None = None,
    workers: int | None = None,
    progress: Any = None,
) -> Records:
    """Build and check one record per publishable specimen.

    Parameters
    ----------
    specimens
        A :class:`specpub.specimens.Specimens`.
    links
        The :class:`specpub.specimens.MediaLinks` of those specimens (default:
        ``specimens.links``).
    preset
        A preset name or path, a :class:`~specpub.records.presets.Preset`
        (default ``minimal``), or — as before presets existed — a
        :class:`PayloadOptions`, taken as overrides of the default preset.
    overrides
        :class:`PayloadOptions` (or its fields as a mapping) applied on top of the preset.
    media
        The media scan's manifest (its fixity and image facts are used).
    preservation
        The preservation report (per-file verdicts).
    workspace
        Where sidecars go (``records/sidecars``) and where ``media/`` and
        ``preservation/`` results are read from when not given.
    sidecar_dir
        Where sidecars go when there is no workspace (default: a temporary folder).
    workers
        Processes that build in parallel (default: one per core, up to 8, for tables of
        4,000 rows or more; 1 where processes cannot be forked). The result is the same.
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.

    Returns
    -------
    Records
        The built records (both payloads, files, sidecar, findings) and the
        specimens left out, with reasons.

    Raises
    ------
    InputError
        The preset is invalid or names a column the table does not have, or one
        institution name is given for a table of several institutions.
    """
    if isinstance(preset, PayloadOptions):
        overrides, preset = preset, None
    ws = None
    if workspace is not None:
        ws = workspace if isinstance(workspace, Workspace) else Workspace.open_or_create(workspace)
    resolved = load_preset(preset, workspace=ws)
    if overrides is not None:
        opts = overrides.overrides() if isinstance(overrides, PayloadOptions) else dict(overrides)
        resolved = resolved.with_overrides(**opts)
    if ws is not None:
        media = media if media is not None else _load_parquet(ws, "media", "manifest.parquet")
        if preservation is None:
            preservation = _load_parquet(ws, "preservation", "report.parquet")
    manifest = _manifest_frame(media)
    verdicts = _verdicts(_report_frame(preservation))

    frame: pd.DataFrame = specimens.frame
    flags = _core_flags(specimens)

    link_frame = (
        links.links if links is not None else pd.DataFrame(columns=["_row", "path", "role"])
    )
    files = _LinkIndex(link_frame)
    by_path = _ManifestIndex(manifest)
    by_path.expect(files.paths())  # before the workers fork: what they look up is ready

    uris = _term_uris(specimens)
    source = (
        Path(str(specimens.info.get("file", ""))).name or None
        if hasattr(specimens, "info")
        else None
    )
    sidecars = None
    if resolved.sidecar:
        folder = (
            ws.stage_dir("records") / "sidecars"
            if ws is not None
            else Path(sidecar_dir)
            if sidecar_dir is not None
            else Path(tempfile.mkdtemp(prefix="specpub-sidecars-"))
        )
        sidecars = SidecarWriter(folder, source=source, uris=uris)
    columns = [c for c in frame.columns if not str(c).startswith("_")]
    codes: set[str] = set()
    for term in resolved.institution_terms:
        if term in frame.columns:
            codes.update(v.strip() for v in frame[term].astype(str).unique() if v and v.strip())
    first_row = int(frame["_row"].iloc[0]) if "_row" in frame.columns and len(frame) else None
    builder = RecordBuilder(resolved, columns, first_row=first_row, sidecars=sidecars, codes=codes)

    ctx = _Context(
        frame=frame,
        columns=columns,
        flags=FlagIndex.of(flags),
        table_columns=_table_columns(specimens),
        files=files,
        manifest=by_path,
        verdicts=verdicts,
        allow_rules=resolved.allow_rules,
        builder=builder,
        source=source,
    )
    linked = {name for r in resolved.related_identifiers for name in r.template.names}
    n = len(frame)
    workers = _workers(workers, n)
    built: list[BuiltRecord] = []
    skipped: list[dict[str, Any]] = []
    left_out: Counter[str] = Counter()
    bar = make_progress(progress, total=n, description="build records", unit="specimen")
    try:
        chunks = [(i, min(i + _CHUNK, n)) for i in range(0, n, _CHUNK)]
        for part in _run_chunks(ctx, chunks, workers):
            built += part.built
            skipped += part.skipped
            left_out.update(part.left_out)
            bar.update(part.rows)
    finally:
        bar.close()
        if sidecars is not None:
            sidecars.close()
    return Records(
        built,
        pd.DataFrame(skipped, columns=["_row", "catalogNumber", "reason", "fix"]),
        left_out_terms=dict(left_out),
        warnings=[*builder.warnings, *filter(None, [existing_doi_warning(frame, linked)])],
        preset=resolved.name,
        preset_toml=resolved.to_toml(),
        specimens=n,
    )


#: Rows per unit of work (a worker process builds a chunk at a time).
_CHUNK = 1000


@dataclass
class _Context:
    """Everything a chunk of rows is built from (inherited by forked workers)."""

    frame: pd.DataFrame
    columns: list[str]
    flags: FlagIndex
    table_columns: set[str] | None
    files: _LinkIndex
    manifest: _ManifestIndex
    verdicts: Mapping[str, tuple[str, Failures]]
    allow_rules: tuple[str, ...]
    builder: RecordBuilder
    source: str | None


@dataclass
class _Part:
    """What a chunk produced."""

    rows: int
    built: list[BuiltRecord]
    skipped: list[dict[str, Any]]
    left_out: Counter[str]


def _workers(workers: int | None, rows: int) -> int:
    """Worker processes: 1 for small tables or where ``fork`` is not available."""
    if "fork" not in mp.get_all_start_methods():
        return 1
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if rows >= 4 * _CHUNK else 1
    return max(1, min(int(workers), max(1, rows // _CHUNK)))


# The context of the build being run, for forked workers (set only while a pool runs).
_CONTEXT: _Context | None = None


def _chunk_in_worker(bounds: tuple[int, int]) -> _Part:
    assert _CONTEXT is not None
    return _build_chunk(_CONTEXT, *bounds)


def _run_chunks(ctx: _Context, chunks: list[tuple[int, int]], workers: int) -> Iterator[_Part]:
    """The chunks' results in order, built here or by ``workers`` forked processes."""
    global _CONTEXT
    if workers <= 1 or len(chunks) <= 1:
        for start, end in chunks:
            yield _build_chunk(ctx, start, end)
        return
    _CONTEXT = ctx
    # The forked workers inherit the table and its indexes: frozen, the collector neither
    # walks them nor writes to their pages (which would copy them into every worker).
    # Here, the records received (trees, no cycles) are not walked by the collector either.
    gc.freeze()
    collecting = gc.isenabled()
    gc.disable()
    try:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"))
        with pool:
            yield from pool.map(_chunk_in_worker, chunks)
    finally:
        if collecting:
            gc.enable()
        gc.unfreeze()
        _CONTEXT = None


def _build_chunk(ctx: _Context, start: int, end: int) -> _Part:
    # A record is a tree of fresh dicts and lists: reference counting frees it, and the
    # cycle collector, which would walk every young container many times a record, is
    # paused for the chunk (about 4 % of the build).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_rows(ctx, start, end)
    finally:
        if collecting:
            gc.enable()


def _build_rows(ctx: _Context, start: int, end: int) -> _Part:
    part = _Part(end - start, [], [], Counter())
    files_by_row = ctx.files.of_rows(_row_numbers(ctx.frame.iloc[start:end]))
    rows = row_inputs(
        ctx.frame.iloc[start:end], ctx.columns, ctx.flags, table_columns=ctx.table_columns
    )
    for inp, error in rows:
        row = inp.row
        catalog = inp.values.get("catalogNumber", "")

        def skip(reason: str, fix: str, row: int | None = row, catalog: str = catalog) -> None:
            part.skipped.append(
                {"_row": row, "catalogNumber": catalog, "reason": reason, "fix": fix}
            )

        if error:
            skip(
                f"quality flag {error}",
                "correct the table (see specimens/flags.csv), then load it again",
            )
            continue
        links = sorted((Path(p), role, p) for p, role in files_by_row.get(row, ()))
        if not links:
            skip(
                "no linked file",
                "add its images to the media folders (names start with the "
                "catalogue number) or check the linking rules",
            )
            continue
        try:
            media_files = []
            for p, role, text in links:
                scanned = ctx.manifest.current(text)
                media_files.append(
                    # the scan's own path, as the same Path object when it is the same text
                    MediaFile._from_cells(
                        scanned.get,
                        role or None,
                        p if str(p) == scanned["path"] else None,
                        ctx.manifest.facts,
                    )
                    if scanned is not None
                    else MediaFile.from_path(p, role=role or "other")
                )
        except OSError as err:
            skip(
                f"file unreadable: {err.filename}: {err.strerror}",
                "check the file's permissions or remove it, then run again",
            )
            continue
        empty = [f.spec.key for f in media_files if f.spec.size == 0]
        if empty:
            skip(
                f"empty file: {', '.join(empty)}",
                "re-export the image (the repository rejects empty files)",
            )
            continue
        failing, other_failing = _failing_files(media_files, ctx.verdicts, ctx.allow_rules)
        if failing:
            skip(
                "preservation: " + "; ".join(failing),
                "fix the master file(s) (see preservation/report), or allow the rule in the "
                "preset's [preservation] allow_rules",
            )
            continue
        inp.files = media_files
        inp.source = ctx.source
        record, out = ctx.builder.build(inp)
        for text in other_failing:
            record.findings.append(
                Finding(
                    record.marker.key,
                    row,
                    "warning",
                    "PRESERVATION_FAIL",
                    "files",
                    f"preservation: {text} (not a master: the record is published)",
                    "see preservation/report.html",
                )
            )
        part.left_out.update(out)
        part.built.append(BuiltRecord.from_record(record, media_files).packed())
    if ctx.builder.sidecars is not None:
        ctx.builder.sidecars.close()  # this chunk's sidecars are on disk
    return part


def _failing_files(
    files: list[MediaFile], verdicts: Mapping[str, tuple[str, Failures]], allowed: tuple[str, ...]
) -> tuple[list[str], list[str]]:
    """(failing masters, other failing files), each ``"KEY fails RULE, …"``, once the rule or
    finding ids in ``allowed`` are accepted."""
    masters: list[str] = []
    others: list[str] = []
    if not verdicts:
        return masters, others
    ok = set(allowed)
    for f in files:
        verdict = verdicts.get(_norm(f.spec.path))
        if verdict is None or verdict[0] != "fail":
            continue
        left = [(i, r) for i, r in verdict[1] if i not in ok and r not in ok]
        if not verdict[1]:
            left = [("(no rule id)", "(no rule id)")]
        if left:
            names = ", ".join(dict.fromkeys(r for _, r in left))
            (masters if f.role == "master" else others).append(f"{f.spec.key} fails {names}")
    return masters, others


def _table_columns(specimens: Any) -> set[str] | None:
    mapping = getattr(specimens, "mapping", None)
    if mapping is None or mapping.empty or "target" not in mapping.columns:
        return None
    return {t for t in mapping["target"] if isinstance(t, str) and t}


def _term_uris(specimens: Any) -> dict[str, str]:
    mapping = getattr(specimens, "mapping", None)
    if mapping is None or mapping.empty or "target" not in mapping.columns:
        return {}
    out = {}
    for target, uri in zip(mapping["target"], mapping["uri"], strict=True):
        if isinstance(target, str) and isinstance(uri, str) and uri:
            out[target] = uri
    return out


def _load_parquet(ws: Workspace, stage: str, name: str) -> pd.DataFrame | None:
    path = ws.root / stage / name
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as err:
        raise InputError(
            f"cannot read {stage}/{name} ({err})",
            file=str(path),
            fix=f"run the {stage} stage again",
        ) from err


#: The workspace files records are built from (their size and mtime tell if records are stale).
INPUT_FILES = (
    "specimens/specimens.parquet",
    "specimens/flags.csv",
    "specimens/links.csv",
    "media/manifest.parquet",
    "preservation/report.parquet",
)


def input_fingerprint(workspace: Workspace | str | Path) -> dict[str, list[int]]:
    """Size and modification time of each input file of the records stage that exists.

    Examples
    --------
    >>> import tempfile
    >>> input_fingerprint(Workspace.create(tempfile.mkdtemp()))
    {}
    """
    root = Path(getattr(workspace, "root", workspace))
    out = {}
    for name in INPUT_FILES:
        try:
            st = (root / name).stat()
        except OSError:
            continue
        out[name] = [st.st_size, st.st_mtime_ns]
    return out


def records_current(workspace: Workspace | str | Path) -> bool:
    """Whether the workspace's saved records were built from its current inputs.

    Examples
    --------
    >>> import tempfile
    >>> records_current(Workspace.create(tempfile.mkdtemp()))
    False
    """
    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    try:
        saved = ws.read_json("records", "summary.json")
    except InputError:
        return False
    if not (ws.root / "records" / "records.parquet").is_file():
        return False
    return saved.get("inputs") == input_fingerprint(ws)


def build_workspace_records(
    workspace: Workspace | str | Path,
    preset: Preset | str | Path | None = None,
    *,
    overrides: PayloadOptions | Mapping[str, Any] | None = None,
    workers: int | None = None,
    progress: Any = None,
) -> Records:
    """Build the records of a workspace (its specimens, links, scan and verdicts) and save them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from specpub.specimens import load_specimens, link_media
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("catalogNumber,institutionCode\\nA1,DEMO\\n")
    >>> _ = (folder / "A1.jpg").write_bytes(b"jpeg bytes")
    >>> sp = load_specimens(folder / "t.csv", progress=None)
    >>> _ = sp.save(folder / "ws")
    >>> _ = link_media(sp, [folder], progress=None).save(folder / "ws")
    >>> build_workspace_records(folder / "ws", "minimal").summary()["records"]
    1
    >>> (folder / "ws" / "records" / "sidecars" / "A1.jsonld").is_file()
    True
    """
    from specpub.specimens import MediaLinks, Specimens

    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    specimens = Specimens.load(ws)
    # no links yet is "no linked file" per specimen; stale links are an error to show
    has_links = (ws.root / "specimens" / "links_summary.json").is_file()
    links = MediaLinks.load(ws) if has_links else None
    inputs = input_fingerprint(ws)
    records = build_records(
        specimens,
        links,
        preset,
        overrides=overrides,
        workspace=ws,
        workers=workers,
        progress=progress,
    )
    records.inputs = inputs
    records.save(ws)
    return records


def workspace_records(
    workspace: Workspace | str | Path,
    preset: Preset | str | Path | None = None,
    *,
    overrides: PayloadOptions | Mapping[str, Any] | None = None,
    progress: Any = None,
    say: Any = None,
) -> Records:
    """The workspace's records, as ``specpub plan`` and ``specpub preview`` take them.

    The records saved by ``specpub records`` when they are up to date and no
    preset or override is asked for; otherwise they are built now (and saved)
    with ``preset``, or the preset used last time (``records/preset.toml``), or
    the default preset. ``say(text)`` is told which.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from specpub.specimens import load_specimens, link_media
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("catalogNumber,institutionCode\\nA1,DEMO\\n")
    >>> _ = (folder / "A1.jpg").write_bytes(b"jpeg bytes")
    >>> sp = load_specimens(folder / "t.csv", progress=None)
    >>> _ = sp.save(folder / "ws")
    >>> _ = link_media(sp, [folder], progress=None).save(folder / "ws")
    >>> workspace_records(folder / "ws", say=print).preset  # doctest: +ELLIPSIS
    No records built yet: building them with the default preset 'minimal' ...
    'minimal'
    >>> workspace_records(folder / "ws", say=print).preset  # saved and current: loaded
    'minimal'
    """
    from specpub.records.presets import DEFAULT_PRESET

    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    say = say or (lambda text: None)
    if preset is None and not overrides and records_current(ws):
        return Records.load(ws)
    if preset is None:
        saved = ws.root / "records" / "preset.toml"
        if saved.is_file() and (ws.root / "records" / "records.parquet").is_file():
            preset = str(saved)
            say(f"Building the records again with the preset used before ({saved}).")
        else:
            preset = DEFAULT_PRESET
            say(
                f"No records built yet: building them with the default preset {DEFAULT_PRESET!r} "
                f"(choose one with `specpub records --workspace {ws.root} --preset NAME`)."
            )
    return build_workspace_records(ws, preset, overrides=overrides, progress=progress)
