"""The :class:`MediaManifest`: one row per file — identity, link to its specimen, fixity,
format and technical facts, colour profile, embedded metadata, findings.

Workspace files (plain, readable without specpub)::

    media/manifest.parquet      the table below (one row per file)
    media/manifest.csv          the same table as CSV (findings as JSON text)
    media/metadata.jsonl        per file: {"path", "exif": {...}, "xmp": {...}, "iptc": {...}}
                                (every tag exiv2 read, values as strings)
    media/findings.csv          one row per finding: path, analyser, id, severity, message,
                                evidence
    media/removed.csv           files of the previous scan that are gone (path, key, size, md5,
                                sha256, _row, catalogNumber)
    media/manifest-md5.txt      BagIt-style checksum lists: "<hex>  <path>" per line
    media/manifest-sha256.txt
    media/summary.json          counts, formats, errors, the scan's settings

The columns are those of :data:`MANIFEST_COLUMNS` (plus one per column that a
registered analyser declares). Their names are stable: the records stage maps
them to Audubon Core (``ac:hashFunction``/``ac:hashValue`` from ``md5``/``sha256``,
``ac:captureDevice`` from ``exif_make`` + ``exif_model``, ``ac:digitizationDate``
from ``exif_datetime_original`` or ``xmp_create_date``, ``exif:PixelXDimension``
from ``width``…, ``dc:format`` from ``mime``).

Examples
--------
>>> m = MediaManifest.from_rows([{"path": "/m/A1.jpg", "key": "A1.jpg", "size": 3,
...                               "md5": "ab" * 16, "format": "jpeg"}])
>>> row = m.to_frame().iloc[0]
>>> row["key"], int(row["size"]), row["format"]
('A1.jpg', 3, 'jpeg')
>>> m.summary()["files"], m.summary()["errors"]
(1, 0)
"""

from __future__ import annotations

import hashlib
import html
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from specpub._display import FrameResult
from specpub.errors import InputError
from specpub.workspace import Workspace, atomic_write_bytes, atomic_write_text

__all__ = ["MANIFEST_COLUMNS", "MediaManifest"]

_STAGE = "media"

#: Column → (pandas dtype, meaning). The manifest's documented schema.
MANIFEST_COLUMNS: dict[str, tuple[str, str]] = {
    "path": ("string", "absolute path of the file as scanned"),
    "key": ("string", "file key in the repository record (the file name)"),
    "_row": ("Int64", "source row of the specimen the file is linked to (empty: unlinked)"),
    "catalogNumber": ("string", "catalogue number of that specimen"),
    "role": ("string", "master, access, label, segmentation, other (from linking)"),
    "size": ("Int64", "bytes"),
    "mtime": ("Float64", "modification time, seconds since the epoch (UTC)"),
    "mtime_ns": ("Int64", "modification time in nanoseconds (re-scan identity)"),
    "inode": ("Int64", "inode number (re-scan identity)"),
    "md5": ("string", "MD5 of the content, hex (what Zenodo reports as md5:…)"),
    "sha256": ("string", "SHA-256 of the content, hex"),
    "format": (
        "string",
        "format by signature: tiff, bigtiff, dng, tiff-ep, jpeg, png, apng, "
        "jp2, jpx, jpm, jph, j2k, gif, webp, heif, avif, bmp, pdf, unknown",
    ),
    "format_version": ("string", "version from the signature (JFIF 1.02, Exif 0231, DNG …)"),
    "puid": ("string", "PRONOM identifier (fmt/353, fmt/43, x-fmt/392 …), empty if none"),
    "mime": ("string", "MIME type"),
    "extension_ok": ("boolean", "the extension is one used for the identified format"),
    "width": ("Int64", "pixels (first image of a multi-page TIFF)"),
    "height": ("Int64", "pixels"),
    "bits_per_sample": ("Int64", "bits per sample (the true depth: 16 for 16-bit TIFF/PNG)"),
    "samples_per_pixel": ("Int64", "samples (channels) per pixel, alpha included"),
    "photometric": (
        "string",
        "TIFF photometric interpretation (rgb, minisblack, ycbcr …), "
        "PNG colour type, JPEG 2000 colour space",
    ),
    "colour_mode": ("string", "L, LA, RGB, RGBA, CMYK, P, YCbCr, LAB, 1"),
    "compression": (
        "string",
        "none, lzw, deflate, packbits, jpeg, ojpeg, jpeg-baseline, "
        "jpeg-progressive, jpeg2000-lossless, jpeg2000-lossy …",
    ),
    "compression_code": ("Int64", "TIFF Compression tag value"),
    "planar_config": ("string", "TIFF: contig or separate"),
    "pages": ("Int64", "images in the file (TIFF IFD chain, APNG frames)"),
    "tiled": ("boolean", "tiled (TIFF, JPEG 2000) rather than striped"),
    "tile_width": ("Int64", "tile width in pixels"),
    "tile_height": ("Int64", "tile height in pixels"),
    "interlaced": ("boolean", "PNG Adam7 interlacing"),
    "x_resolution": ("Float64", "horizontal resolution in resolution_unit"),
    "y_resolution": ("Float64", "vertical resolution in resolution_unit"),
    "resolution_unit": ("string", "inch, cm, metre, none (aspect ratio only), empty: absent"),
    "ppi": ("Float64", "horizontal resolution in pixels per inch (empty without a unit)"),
    "ppi_y": ("Float64", "vertical resolution in pixels per inch"),
    "icc_present": ("boolean", "an ICC profile is embedded"),
    "icc_description": ("string", "the profile's description (eciRGB v2, sRGB IEC61966-2.1 …)"),
    "icc_colour_space": ("string", "the profile's colour space (RGB, GRAY, CMYK, Lab)"),
    "icc_size": ("Int64", "the profile's size in bytes"),
    "icc_version": ("string", "the profile's version (2.1.0, 4.3.0 …)"),
    "exif_make": ("string", "Exif Make (camera or scanner maker)"),
    "exif_model": ("string", "Exif Model"),
    "exif_software": ("string", "Exif Software"),
    "exif_datetime": ("string", "Exif DateTime (last change), YYYY:MM:DD HH:MM:SS"),
    "exif_datetime_original": ("string", "Exif DateTimeOriginal (capture)"),
    "exif_artist": ("string", "Exif Artist"),
    "exif_copyright": ("string", "Exif Copyright"),
    "exif_orientation": ("Int64", "Exif Orientation (1 = upright)"),
    "xmp_identifier": ("string", "XMP dc:identifier"),
    "xmp_title": ("string", "XMP dc:title (x-default)"),
    "xmp_creator": ("string", "XMP dc:creator"),
    "xmp_rights": ("string", "XMP dc:rights (x-default)"),
    "xmp_usage_terms": ("string", "XMP xmpRights:UsageTerms"),
    "xmp_web_statement": ("string", "XMP xmpRights:WebStatement"),
    "xmp_owner": ("string", "XMP xmpRights:Owner"),
    "xmp_create_date": ("string", "XMP xmp:CreateDate"),
    "xmp_credit": ("string", "XMP photoshop:Credit"),
    "xmp_iptc_core": ("string", "XMP Iptc4xmpCore:* fields, name=value; …"),
    "iptc_object_name": ("string", "IPTC ObjectName"),
    "iptc_byline": ("string", "IPTC By-line"),
    "iptc_copyright": ("string", "IPTC CopyrightNotice"),
    "iptc_credit": ("string", "IPTC Credit"),
    "iptc_source": ("string", "IPTC Source"),
    "iptc_caption": ("string", "IPTC Caption/Abstract"),
    "iptc_date_created": ("string", "IPTC DateCreated"),
    "analysers": ("string", "analysers that ran on the file, comma-separated"),
    "findings": ("string", "JSON list of findings: id, severity, message, evidence, analyser"),
    "n_findings": ("Int64", "number of findings"),
    "worst_severity": ("string", "fail, warn, info or empty"),
    "bytes_reread": ("Int64", "bytes read twice (only for files above the buffer bound)"),
    "scanned_at": ("Float64", "when the file was read, seconds since the epoch"),
    "error": ("string", "why the file could not be read (empty: it was read)"),
    "error_code": (
        "string",
        "missing, permission, symlink-loop, not-regular, empty, changed, io, crashed, "
        "timeout, internal",
    ),
}

_SEVERITY_ORDER = {"fail": 3, "warn": 2, "info": 1}


def _worst(findings: list[dict[str, Any]]) -> str:
    best = ""
    for f in findings:
        sev = str(f.get("severity", ""))
        if _SEVERITY_ORDER.get(sev, 0) > _SEVERITY_ORDER.get(best, 0):
            best = sev
    return best


def _schema(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    dtypes = {k: v[0] for k, v in MANIFEST_COLUMNS.items()}
    for name, dtype in (extra or {}).items():
        dtypes.setdefault(name, dtype)
    return dtypes


def _typed(frame: pd.DataFrame, extra: Mapping[str, str] | None = None) -> pd.DataFrame:
    dtypes = _schema(extra)
    for col in dtypes:
        if col not in frame.columns:
            frame[col] = pd.NA
    ordered = list(dtypes) + [c for c in frame.columns if c not in dtypes]
    frame = frame[ordered]
    for col, dtype in dtypes.items():
        try:
            frame[col] = frame[col].astype(dtype)
        except (TypeError, ValueError):
            frame[col] = frame[col].astype("string")
    return frame


def tree_digest(identities: Iterable[tuple[str, int, int, int]]) -> str:
    """One digest of ``(path, size, mtime_ns, inode)`` for every file (any order): equal
    digests mean the same files, unchanged — a re-scan's cheapest test.

    Examples
    --------
    >>> tree_digest([("/a", 1, 2, 3), ("/b", 4, 5, 6)]) == tree_digest([("/b", 4, 5, 6),
    ...                                                               ("/a", 1, 2, 3)])
    True
    """
    h = hashlib.sha256()
    for path, size, mtime_ns, inode in sorted(identities):
        h.update(f"{path}\0{size}\0{mtime_ns}\0{inode}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def links_digest(pairs: Iterable[tuple[str, Any]]) -> str:
    """One digest of the ``(path, _row)`` links of the files (any order).

    Examples
    --------
    >>> links_digest([("/a", 1)]) == links_digest([("/a", 2)])
    False
    """
    h = hashlib.sha256()
    for path, row in sorted((str(p), int(r)) for p, r in pairs):
        h.update(f"{path}\0{row}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


class MediaManifest(FrameResult):
    """The result of :func:`specpub.media.scan`: one row per file.

    Attributes
    ----------
    frame
        The table (:data:`MANIFEST_COLUMNS` and any analyser's columns).
    nested
        Path → nested metadata per analyser (``{"facts": {"exif": …, "xmp": …}}``).
    removed
        Files of the previous scan that are gone.
    info
        How the scan ran: folders, analysers, counts (new, changed, unchanged, removed),
        workers, seconds, bytes.

    Examples
    --------
    >>> m = MediaManifest.from_rows([{"path": "/a.tif", "error": "permission denied",
    ...                               "error_code": "permission"}])
    >>> m.summary()["errors_by_code"]
    {'permission': 1}
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        nested: Mapping[str, Any] | None = None,
        removed: pd.DataFrame | None = None,
        info: Mapping[str, Any] | None = None,
        extra_columns: Mapping[str, str] | None = None,
    ) -> None:
        self.extra_columns = dict(extra_columns or {})
        self.frame = _typed(frame.reset_index(drop=True), self.extra_columns)
        self.nested = dict(nested or {})
        self.removed = (
            removed
            if removed is not None
            else pd.DataFrame(columns=["path", "key", "size", "md5", "sha256"])
        )
        self.info = dict(info or {})

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Mapping[str, Any]],
        *,
        removed: pd.DataFrame | None = None,
        info: Mapping[str, Any] | None = None,
        extra_columns: Mapping[str, str] | None = None,
    ) -> MediaManifest:
        """Build from worker rows (dicts; ``findings`` a list, ``nested`` a dict).

        Examples
        --------
        >>> MediaManifest.from_rows([]).frame.shape[0]
        0
        """
        records = []
        nested: dict[str, Any] = {}
        for row in rows:
            rec = dict(row)
            findings = rec.pop("findings", None)
            if isinstance(findings, list):
                rec["findings"] = json.dumps(findings, ensure_ascii=False) if findings else ""
                rec["n_findings"] = len(findings)
                rec["worst_severity"] = _worst(findings)
            elif findings is not None:
                rec["findings"] = findings
            if "mtime_ns" in rec and rec.get("mtime_ns") is not None and "mtime" not in rec:
                rec["mtime"] = rec["mtime_ns"] / 1e9
            nest = rec.pop("nested", None)
            if nest:
                nested[str(rec.get("path"))] = nest
            records.append(rec)
        frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
        if len(frame) and "n_findings" in frame.columns:
            frame["n_findings"] = frame["n_findings"].fillna(0)
        return cls(frame, nested=nested, removed=removed, info=info, extra_columns=extra_columns)

    # -- views ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.frame)

    def to_frame(self) -> pd.DataFrame:
        """A copy of the table.

        Examples
        --------
        >>> MediaManifest.from_rows([{"path": "/a.png"}]).to_frame().columns[:3].tolist()
        ['path', 'key', '_row']
        """
        return self.frame.copy()

    def findings(self) -> pd.DataFrame:
        """One row per finding: ``path``, ``key``, ``analyser``, ``id``, ``severity``,
        ``message``, ``evidence`` (errors of unreadable files included as ``MEDIA-READ``,
        files with the same content as another as ``MEDIA-DUPLICATE``: see
        :meth:`duplicates`).

        Examples
        --------
        >>> m = MediaManifest.from_rows([{"path": "/a.jpg", "findings": [
        ...     {"id": "ID-03", "severity": "warn", "message": "m", "analyser": "facts"}]}])
        >>> m.findings()[["id", "severity"]].values.tolist()
        [['ID-03', 'warn']]
        """
        cols = ["path", "key", "analyser", "id", "severity", "message", "evidence"]
        out = []
        for path, key, text, error, code in zip(
            self.frame["path"],
            self.frame["key"],
            self.frame["findings"].fillna(""),
            self.frame["error"].fillna(""),
            self.frame["error_code"].fillna(""),
            strict=True,
        ):
            if error:
                out.append((path, key, "read", "MEDIA-READ", "fail", error, str(code)))
            for f in json.loads(text) if text else []:
                out.append(
                    (
                        path,
                        key,
                        f.get("analyser", ""),
                        f.get("id", ""),
                        f.get("severity", ""),
                        f.get("message", ""),
                        f.get("evidence", ""),
                    )
                )
        dups = self.duplicates()
        for sha, group in dups.groupby("sha256", sort=False):
            names = group["path"].tolist()
            for path, key in zip(group["path"], group["key"], strict=True):
                others = [p for p in names if p != path]
                out.append(
                    (
                        path,
                        key,
                        "fixity",
                        "MEDIA-DUPLICATE",
                        "warn",
                        f"the same content (SHA-256) as {len(others)} other file(s): "
                        + ", ".join(others[:5])
                        + (" …" if len(others) > 5 else "")
                        + "; one image under several names — if they stand for different "
                        "specimens, one of them is probably the wrong image",
                        str(sha),
                    )
                )
        return pd.DataFrame(out, columns=cols)

    def duplicates(self) -> pd.DataFrame:
        """Files whose content is byte for byte another file's (same SHA-256), one row per
        file: ``sha256``, ``path``, ``key``, ``catalogNumber``, ``size``, ``copies``.

        Examples
        --------
        >>> m = MediaManifest.from_rows([
        ...     {"path": "/m/A.jpg", "key": "A.jpg", "sha256": "aa", "size": 3},
        ...     {"path": "/m/B.jpg", "key": "B.jpg", "sha256": "aa", "size": 3},
        ...     {"path": "/m/C.jpg", "key": "C.jpg", "sha256": "cc", "size": 3}])
        >>> m.duplicates()[["key", "copies"]].values.tolist()
        [['A.jpg', 2], ['B.jpg', 2]]
        """
        f = self.frame
        ok = f[f["sha256"].notna() & (f["error"].fillna("") == "")]
        dup = ok[ok.duplicated("sha256", keep=False)]
        out = dup[["sha256", "path", "key", "catalogNumber", "size"]].sort_values(
            ["sha256", "path"]
        )
        out = out.assign(copies=out.groupby("sha256")["path"].transform("size").astype(int))
        return out.reset_index(drop=True)

    def summary(self) -> dict[str, Any]:
        """Counts: files, bytes, errors (by code), formats, findings by severity, linked files.

        Examples
        --------
        >>> MediaManifest.from_rows([{"path": "/a.png", "size": 10, "format": "png"}]).summary()[
        ...     "formats"]
        {'png': 1}
        """
        f = self.frame
        errors = f["error"].fillna("") != ""
        return {
            **{k: v for k, v in self.info.items() if k != "settings"},
            "files": len(f),
            "bytes": int(f["size"].fillna(0).sum()) if len(f) else 0,
            "errors": int(errors.sum()),
            "errors_by_code": {
                str(k): int(v) for k, v in f.loc[errors, "error_code"].value_counts().items()
            },
            "formats": {str(k): int(v) for k, v in f["format"].dropna().value_counts().items()},
            "findings_by_severity": {
                str(k): int(v)
                for k, v in f["worst_severity"].replace("", pd.NA).dropna().value_counts().items()
            },
            "linked_files": int(f["_row"].notna().sum()),
            "duplicate_files": len(self.duplicates()),
            "removed_files": len(self.removed),
        }

    def fixity(self) -> dict[str, tuple[int, int, str, str]]:
        """Path → ``(size, mtime_ns, md5, sha256)`` of every file read without error.

        Examples
        --------
        >>> MediaManifest.from_rows([{"path": "/a", "size": 1, "mtime_ns": 5, "md5": "m",
        ...                           "sha256": "s"}]).fixity()
        {'/a': (1, 5, 'm', 's')}
        """
        f = self.frame
        ok = f[(f["error"].fillna("") == "") & f["md5"].notna()]
        return {
            str(p): (int(s), int(m), str(md5), str(sha))
            for p, s, m, md5, sha in zip(
                ok["path"], ok["size"], ok["mtime_ns"], ok["md5"], ok["sha256"], strict=True
            )
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"<MediaManifest {s['files']} files, {s['bytes'] / 1e6:.1f} MB, "
            f"{s['errors']} unreadable, {s['linked_files']} linked to specimens>"
        )

    def _repr_html_(self) -> str:
        cols = [
            "key",
            "catalogNumber",
            "format",
            "width",
            "height",
            "bits_per_sample",
            "compression",
            "ppi",
            "icc_description",
            "error",
        ]
        body = self.frame[cols].head(10).to_html(escape=True, index=False, na_rep="")
        return f"<div><p><b>{html.escape(repr(self))}</b></p>{body}</div>"

    # -- persistence ----------------------------------------------------------------------
    def save(self, workspace: Workspace | str | Path) -> Path:
        """Write the ``media/`` files of the workspace (see the module docstring).

        Examples
        --------
        >>> import tempfile
        >>> m = MediaManifest.from_rows([{"path": "/m/a.jpg", "key": "a.jpg", "size": 1,
        ...                               "md5": "ab" * 16, "sha256": "cd" * 32}])
        >>> folder = m.save(tempfile.mkdtemp())
        >>> (folder / "manifest-md5.txt").read_text()
        'abababababababababababababababab  /m/a.jpg\\n'
        """
        ws = workspace if isinstance(workspace, Workspace) else Workspace.open_or_create(workspace)
        folder = ws.stage_dir(_STAGE)
        buf = io.BytesIO()
        self.frame.to_parquet(buf, index=False)
        atomic_write_bytes(folder / "manifest.parquet", buf.getvalue())
        atomic_write_text(folder / "manifest.csv", self.frame.to_csv(index=False))
        lines = [
            json.dumps({"path": p, **v}, ensure_ascii=False, default=str)
            for p, v in self.nested.items()
        ]
        atomic_write_text(folder / "metadata.jsonl", "".join(line + "\n" for line in lines))
        atomic_write_text(folder / "findings.csv", self.findings().to_csv(index=False))
        atomic_write_text(folder / "removed.csv", self.removed.to_csv(index=False))
        ok = self.frame[self.frame["md5"].notna() & (self.frame["error"].fillna("") == "")]
        for algo in ("md5", "sha256"):
            text = "".join(f"{h}  {p}\n" for h, p in zip(ok[algo], ok["path"], strict=True))
            atomic_write_text(folder / f"manifest-{algo}.txt", text)
        ws.write_json(
            _STAGE,
            "summary.json",
            {
                **self.summary(),
                "settings": self.info.get("settings", {}),
                "extra_columns": self.extra_columns,
                "tree": self.tree(),
            },
        )
        return folder

    def tree(self) -> dict[str, Any] | None:
        """What lets the next scan skip an unchanged tree: the digest of every file's identity
        (:func:`tree_digest`), of its links (:func:`links_digest`) and the analysers every row
        ran; ``None`` when a row has an error (those files are always read again).

        Examples
        --------
        >>> MediaManifest.from_rows([{"path": "/a", "size": 1, "mtime_ns": 2, "inode": 3,
        ...                           "analysers": "facts"}]).tree()["analysers"]
        ['facts']
        """
        f = self.frame
        if len(f) == 0 or (f["error"].fillna("") != "").any():
            return None
        if f[["size", "mtime_ns", "inode"]].isna().any().any():
            return None
        sets = [set(str(a).split(",")) if a else set() for a in f["analysers"].fillna("")]
        linked = f["_row"].notna()
        return {
            "files": len(f),
            "digest": tree_digest(
                zip(
                    f["path"].tolist(),
                    f["size"].tolist(),
                    f["mtime_ns"].tolist(),
                    f["inode"].tolist(),
                    strict=True,
                )
            ),
            "links": links_digest(
                zip(f.loc[linked, "path"].tolist(), f.loc[linked, "_row"].tolist(), strict=True)
            ),
            "analysers": sorted(set.intersection(*sets)),
            "fixity": bool(f["md5"].notna().all()),
        }

    @classmethod
    def _deferred(cls, workspace: Workspace, info: Mapping[str, Any]) -> MediaManifest:
        """The saved manifest, read from disk only when first used (an unchanged re-scan
        returns this: its cost stays a walk)."""
        return _Deferred(workspace, info)

    @classmethod
    def exists(cls, workspace: Workspace | str | Path) -> bool:
        """Whether the workspace holds a saved manifest.

        Examples
        --------
        >>> import tempfile
        >>> MediaManifest.exists(tempfile.mkdtemp())
        False
        """
        root = workspace.root if isinstance(workspace, Workspace) else Path(workspace)
        return (root / _STAGE / "manifest.parquet").is_file()

    @classmethod
    def load(cls, workspace: Workspace | str | Path, *, nested: bool = True) -> MediaManifest:
        """Read what :meth:`save` wrote.

        Raises
        ------
        InputError
            The workspace has no media manifest.

        Examples
        --------
        >>> import tempfile
        >>> ws = Workspace.create(tempfile.mkdtemp())
        >>> MediaManifest.load(ws)
        Traceback (most recent call last):
        ...
        specpub.errors.InputError: ...: the workspace has no media manifest. Fix: ...
        """
        ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
        folder = ws.root / _STAGE
        if not (folder / "manifest.parquet").is_file():
            raise InputError(
                "the workspace has no media manifest",
                file=str(ws.root),
                fix="run `specpub scan --workspace DIR` first",
            )
        frame = pd.read_parquet(folder / "manifest.parquet")
        summary = (
            ws.read_json(_STAGE, "summary.json") if (folder / "summary.json").is_file() else {}
        )
        data: dict[str, Any] = {}
        if nested and (folder / "metadata.jsonl").is_file():
            with open(folder / "metadata.jsonl", encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        rec = json.loads(line)
                        data[rec.pop("path")] = rec
        removed = (
            pd.read_csv(folder / "removed.csv", dtype=str, keep_default_na=False)
            if (folder / "removed.csv").is_file() and (folder / "removed.csv").stat().st_size
            else None
        )
        info = {k: v for k, v in summary.items() if k in ("folders", "analysers", "scan")}
        info["settings"] = summary.get("settings", {})
        return cls(
            frame,
            nested=data,
            removed=removed,
            info=info,
            extra_columns=summary.get("extra_columns", {}),
        )


class _Deferred(MediaManifest):
    """A :class:`MediaManifest` whose table is read from the workspace on first use."""

    def __init__(self, workspace: Workspace, info: Mapping[str, Any]) -> None:
        self._ws = workspace
        self._info = dict(info)
        self.info = dict(info)

    def __getattr__(self, name: str) -> Any:
        if name in ("frame", "nested", "removed", "extra_columns"):
            loaded = MediaManifest.load(self._ws)
            loaded.info.update(self._info)
            self.__dict__.update(loaded.__dict__)
            return self.__dict__[name]
        raise AttributeError(name)
