"""Validate files: identification, structure, policy profile — one read per file.

:func:`validate` takes files and folders (walked recursively), reads each
regular file **once** (non-regular ones — folders given inside a walk, FIFOs,
devices, broken links — are findings, never opened for reading, so a FIFO
cannot hang the run), identifies it by signature, checks its structure and
judges it under a profile. :func:`validate_bytes` does the same for bytes
already in memory (the media scan's analyser uses it, so that validation
consumes the scan's single read).

Examples
--------
>>> import io, tempfile, pathlib
>>> from PIL import Image
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> Image.new("RGB", (8, 8)).save(folder / "BR1.png", dpi=(600, 600))
>>> _ = (folder / "BR2.png").write_bytes((folder / "BR1.png").read_bytes()[:-6])
>>> report = validate([folder], profile="structure", progress=None)
>>> [(r.key, r.verdict) for r in report]
[('BR1.png', 'pass'), ('BR2.png', 'fail')]
>>> report.exit_code
1
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from typing import Any

from specpub.preservation.findings import Finding
from specpub.preservation.policy import Facts, evaluate
from specpub.preservation.profiles import Profile, get_profile
from specpub.preservation.report import FileResult, ValidationReport, provenance
from specpub.preservation.structure import StructureResult, check_structure
from specpub.progress import make_progress

__all__ = [
    "expand_paths",
    "judge",
    "validate",
    "validate_bytes",
    "validate_file",
    "validate_workspace",
]

#: Files up to this size are read into memory in one go; larger ones are read on demand.
BUFFER_LIMIT = 256 << 20


def judge(
    path: str,
    size: int,
    identification: Any,
    structure: StructureResult,
    profile: Profile,
    *,
    catalog_number: str = "",
    role: str = "",
) -> FileResult:
    """Judge one file's identification and structure under a profile.

    Examples
    --------
    >>> from specpub.preservation.structure import StructureResult
    >>> r = judge("/a/x.bin", 3, None, StructureResult("unknown", [], {}), get_profile("master"))
    >>> r.verdict, [f.id for f in r.findings]
    ('fail', ['ID-01'])
    """
    ident_findings = []
    fmt, puid = structure.format, ""
    if identification is not None:
        fmt = identification.format
        puid = identification.puid
        ident_findings = [
            f.as_dict() if hasattr(f, "as_dict") else dict(f) for f in identification.findings
        ]
    facts = Facts(
        name=path,
        size=size,
        format=fmt,
        puid=puid,
        identification=ident_findings,
        structure=structure.findings,
        properties=structure.properties,
    )
    findings = evaluate(facts, profile)
    worst = "pass"
    for f in findings:
        if f.severity == "fail":
            worst = "fail"
            break
        if f.severity == "warn":
            worst = "warn"
    return FileResult(
        path=path,
        format=fmt,
        size=size,
        verdict=worst,
        findings=findings,
        profile=profile.name,
        puid=puid,
        structure=structure.verdict,
        well_formed=structure.well_formed,
        valid=structure.valid,
        properties=structure.properties,
        catalog_number=catalog_number,
        role=role,
    )


def _identify(data: Any, name: str, size: int | None = None) -> Any:
    from specpub.preservation.identify import identify

    return identify(data, name=name, size=size)


def validate_bytes(
    data: Any,
    name: str = "",
    *,
    profile: str | Profile | None = None,
    decode: bool = False,
    size: int | None = None,
    identification: Any = None,
) -> FileResult:
    """Validate one file's bytes (already in memory) under a profile.

    Parameters
    ----------
    data
        The whole file: bytes, bytearray, memoryview, mmap, or a reader with ``size`` and
        ``read_at(offset, n)``.
    name
        The file's name or path (its extension is compared with the content).
    profile
        A profile name, TOML file or :class:`Profile` (default ``master``).
    decode
        Also decode the pixel data.
    identification
        An identification already made (the media scan passes its own).

    Examples
    --------
    >>> validate_bytes(b"", "x.tif").findings[0].id
    'FILE-01'
    """
    prof = get_profile(profile)
    total = int(
        size
        if size is not None
        else (
            data.size
            if hasattr(data, "read_at") and not isinstance(data, (bytes, bytearray, memoryview))
            else len(memoryview(data))
        )
    )
    if identification is None:
        head = (
            data
            if not hasattr(data, "read_at") or isinstance(data, (bytes, bytearray, memoryview))
            else (
                data.data if getattr(data, "data", None) is not None else data.read_at(0, 1 << 16)
            )
        )
        identification = _identify(head, name, total)
    structure = check_structure(
        data,
        identification.format if total else "empty",
        size=size,
        name=os.path.basename(name),
        decode=decode,
    )
    return judge(name, total, identification, structure, prof)


def _unreadable(
    path: str, finding_id: str, message: str, profile: Profile, size: int = 0
) -> FileResult:
    finding = Finding(finding_id, "fail", message, rule="INT-01")
    return FileResult(
        path=path,
        format="",
        size=size,
        verdict="fail",
        findings=[finding],
        profile=profile.name,
        structure="fail",
        well_formed=False,
        valid=False,
    )


#: What the single read's error codes mean as findings.
_READ_CODES = {
    "missing": ("FILE-03", "the file is missing; check the path"),
    "permission": ("FILE-03", "permission denied: the file cannot be read"),
    "io": ("FILE-03", "the file cannot be read"),
    "symlink-loop": ("FILE-02", "a symbolic-link loop: nothing to validate"),
    "not-regular": ("FILE-02", "not a regular file (folder, FIFO, device): nothing to validate"),
    "empty": ("FILE-01", "the file is empty (0 bytes); export or copy it again"),
    "changed": ("FILE-04", "the file changed while it was read; validate it again when complete"),
}


def _read_error(path: str, code: str, message: str, profile: Profile, size: int = 0) -> FileResult:
    fid, default = _READ_CODES.get(code, ("FILE-03", "the file cannot be read"))
    if code == "missing" and os.path.islink(path):
        fid, message = "FILE-02", "a broken symbolic link: nothing to validate"
    return _unreadable(path, fid, message or default, profile, size)


def validate_file(
    path: str | os.PathLike[str],
    *,
    profile: str | Profile | None = None,
    decode: bool = False,
    catalog_number: str = "",
    role: str = "",
) -> FileResult:
    """Read one file once and validate it; never raises for a bad file.

    The read is the media scan's (:func:`specpub.media._read.read_file`): MD5 and
    SHA-256 come from the same read and are in the report. Folders, FIFOs, devices,
    broken links, unreadable and vanished files are findings (``FILE-02``, ``FILE-03``);
    an empty file is ``FILE-01``; a file that changes while it is read is ``FILE-04``.
    A file larger than :data:`BUFFER_LIMIT` is streamed for its checksums and the
    validator asks for the bytes it needs.

    Examples
    --------
    >>> import tempfile
    >>> validate_file(tempfile.mkdtemp(), profile="structure").findings[0].id
    'FILE-02'
    """
    from specpub.media._read import ReadError, read_file

    prof = get_profile(profile)
    name = os.path.abspath(os.fspath(path))
    try:
        read = read_file(name, buffer_limit=BUFFER_LIMIT)
    except ReadError as err:
        result = _read_error(name, err.code, str(err), prof)
    else:
        with read:
            result = validate_bytes(read, name, profile=prof, decode=decode, size=read.size)
        result.md5, result.sha256 = read.md5, read.sha256
    result.catalog_number = catalog_number
    result.role = role
    return result


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Files to validate: the given paths, with folders walked recursively (sorted).

    Hidden files and folders (``.name``) inside a walked folder are skipped; paths
    given explicitly are always kept (a missing one becomes a finding).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "b.tif").write_bytes(b"")
    >>> _ = (d / ".hidden").write_bytes(b""); (d / "sub").mkdir()
    >>> _ = (d / "sub/a.png").write_bytes(b"")
    >>> [pathlib.Path(p).name for p in expand_paths([d])]
    ['b.tif', 'a.png']
    """
    out: list[str] = []
    for p in paths:
        p = os.path.abspath(os.fspath(p))
        if os.path.isdir(p) and not os.path.islink(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out.extend(os.path.join(root, f) for f in sorted(files) if not f.startswith("."))
        else:
            out.append(p)
    return out


def _task(args: tuple[str, Any, bool, str, str]) -> FileResult:
    path, profile, decode, catalog, role = args
    return validate_file(path, profile=profile, decode=decode, catalog_number=catalog, role=role)


def validate(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    profile: str | Profile | None = None,
    decode: bool = False,
    progress: Any = "auto",
    executor: Executor | None = None,
    roles: dict[str, tuple[str, str]] | None = None,
    role_profiles: dict[str, str | Profile] | None = None,
) -> ValidationReport:
    """Validate files and folders under a profile; each file is read once.

    Parameters
    ----------
    paths
        Files and folders (folders are walked recursively).
    profile
        Profile name, TOML file or :class:`Profile` (default ``master``).
    decode
        Also decode the pixel data fully (slower; truncated-image loading off).
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object (one step per file).
    executor
        A :class:`concurrent.futures.Executor` to validate files in parallel (a process
        pool uses every core); default: in this process, one file after the other.
    roles
        Absolute path → (catalogNumber, role) of linked files (the workspace's links).
    role_profiles
        Role → profile for linked files (e.g. ``{"access": "access"}``); other files use
        ``profile``.

    Returns
    -------
    ValidationReport

    Examples
    --------
    >>> validate([], progress=None).summary()["files"]
    0
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    base = get_profile(profile)
    by_role = {k: get_profile(v) for k, v in (role_profiles or {}).items()}
    files = expand_paths(paths)
    roles = roles or {}
    tasks = []
    for path in files:
        catalog, role = roles.get(path, ("", ""))
        tasks.append((path, by_role.get(role, base), decode, catalog, role))
    bar = make_progress(progress, total=len(tasks), description="validate", unit="file")
    results: list[FileResult] = []
    try:
        if executor is None:
            for task in tasks:
                results.append(_task(task))
                bar.update()
        else:
            for result in executor.map(_task, tasks, chunksize=max(1, len(tasks) // 64)):
                results.append(result)
                bar.update()
    finally:
        bar.close()
    used = {base.name: base, **{p.name: p for p in by_role.values()}}
    return ValidationReport(
        results, profiles=[p.as_dict() for p in used.values()], provenance=provenance()
    )


# -- a scanned workspace -------------------------------------------------------------------


def _linked(ws: Any) -> dict[str, tuple[str, str]]:
    """Absolute path → (catalogNumber, role) of the workspace's linked files."""
    from specpub.errors import InputError
    from specpub.specimens.linking import MediaLinks

    try:
        links = MediaLinks.load(ws).links
    except InputError:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for path, catalog, role in zip(
        links["path"], links["catalogNumber"], links["role"], strict=True
    ):
        if isinstance(path, str) and path:
            out[os.path.abspath(path)] = (str(catalog), str(role))
    return out


class _Identified:
    """The identification a scan recorded (format, PUID and its ``ID-*`` findings)."""

    def __init__(self, fmt: str, puid: str, findings: list[dict[str, Any]]) -> None:
        self.format = fmt
        self.puid = puid
        self.findings = findings


def _from_scan(
    row: dict[str, Any], nested: dict[str, Any], profile: Profile, catalog: str, role: str
) -> FileResult | None:
    """Judge a file from the scan's record of it, or ``None`` when it must be read again."""
    import json

    path = str(row["path"])
    code = str(row.get("error_code") or "")
    if code:
        result = _read_error(
            path, code, str(row.get("error") or ""), profile, int(row.get("size") or 0)
        )
        result.catalog_number, result.role = catalog, role
        return result
    structure = (nested or {}).get("structure")
    if not structure:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    if (st.st_size, st.st_mtime_ns) != (row.get("size"), row.get("mtime_ns")):
        return None  # changed since the scan: read it again
    raw = row.get("findings") or ""
    scan_findings = json.loads(raw) if isinstance(raw, str) and raw else []
    ident = _Identified(
        str(row.get("format") or ""),
        str(row.get("puid") or ""),
        [f for f in scan_findings if str(f.get("id", "")).startswith("ID-")],
    )
    findings = [Finding.from_dict(f) for f in structure.get("findings", [])]
    result = StructureResult(
        structure.get("format", ident.format), findings, dict(structure.get("properties", {}))
    )
    judged = judge(
        path, int(row.get("size") or 0), ident, result, profile, catalog_number=catalog, role=role
    )
    judged.md5, judged.sha256 = str(row.get("md5") or ""), str(row.get("sha256") or "")
    return judged


def validate_workspace(
    workspace: Any,
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    profile: str | Profile | None = None,
    access_profile: str | Profile | None = "access",
    decode: bool = False,
    progress: Any = "auto",
    executor: Executor | None = None,
    save: bool = True,
) -> ValidationReport:
    """Validate a workspace's files, judging from the media scan's single read where it can.

    Files come from ``paths`` or, by default, from the media manifest (``specpub scan``)
    and the media links. A file the scan read with the ``structure`` analyser (``specpub
    scan --analyser structure``) and that has not changed since (size and mtime) is
    judged from the scan's record, **without reading it again**; any other file is read
    once here. Linked files carry their specimen and role; ``access`` copies are judged
    under ``access_profile``. The report is saved in ``WS/preservation/``.

    Examples
    --------
    >>> import tempfile
    >>> from specpub.workspace import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp())
    >>> validate_workspace(ws, progress=None).summary()["files"]
    0
    """
    from specpub.media.manifest import MediaManifest
    from specpub.workspace import Workspace

    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    base = get_profile(profile, workspace=ws.root)
    access = get_profile(access_profile, workspace=ws.root) if access_profile else base
    roles = _linked(ws)
    wanted = expand_paths(paths) if paths else None
    results: list[FileResult] = []
    to_read: list[str] = []
    from_scan = 0
    if MediaManifest.exists(ws):
        manifest = MediaManifest.load(ws)
        rows = manifest.to_frame().to_dict("records")
        seen = set()
        for row in rows:
            path = str(row["path"])
            if wanted is not None and path not in wanted:
                continue
            seen.add(path)
            catalog, role = roles.get(path, ("", ""))
            prof = access if role == "access" else base
            result = (
                None
                if decode
                else _from_scan(row, manifest.nested.get(path, {}), prof, catalog, role)
            )
            if result is None:
                to_read.append(path)
            else:
                results.append(result)
                from_scan += 1
        candidates = wanted if wanted is not None else sorted(roles)
        to_read.extend(p for p in candidates if p not in seen)
    else:
        to_read = wanted if wanted is not None else sorted(roles)
    read = (
        validate(
            to_read,
            profile=base,
            decode=decode,
            progress=progress,
            executor=executor,
            roles=roles,
            role_profiles={"access": access},
        )
        if to_read
        else None
    )
    results.extend(read.results if read else [])
    results.sort(key=lambda r: r.path)
    used = {base.name: base, access.name: access}
    prov = {**provenance(), "judged_from_scan": from_scan, "read_here": len(to_read)}
    report = ValidationReport(
        results, profiles=[p.as_dict() for p in used.values()], provenance=prov
    )
    if save:
        report.save(ws)
    return report
