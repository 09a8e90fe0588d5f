"""What the batch engine publishes: one record = marker + payloads + scanned files.

:class:`RecordSpec` is the contract between the records stage (which builds
it from specimens and media, see :func:`specpub.records.build_records`) and
the batch engine (which plans and publishes it, see
:func:`specpub.batch.plan_records`). It knows metadata and files, nothing
of HTTP.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "BR1.jpg"; _ = p.write_bytes(b"jpeg")
>>> spec = RecordSpec(Marker("BR1", "BR"),
...                   legacy={"metadata": {"custom": {"dwc:catalogNumber": ["BR1"],
...                                                    "dwc:institutionCode": ["BR"]}}},
...                   files=(FileSpec.from_path(p),))
>>> spec.check("legacy")
>>> spec.files[0].size
4
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specpub.errors import InputError
from specpub.repository.protocol import Marker

__all__ = ["MAX_FILES_PER_RECORD", "FileSpec", "RecordSpec"]

#: Zenodo accepts at most this many files per record.
MAX_FILES_PER_RECORD = 100


@dataclass(frozen=True)
class FileSpec:
    """One file of a record, as scanned.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jpg"; _ = p.write_bytes(b"abc")
    >>> f = FileSpec.from_path(p)
    >>> f.key, f.size, f.md5
    ('a.jpg', 3, '900150983cd24fb0d6963f7d28e17f72')
    """

    path: Path
    key: str
    size: int
    md5: str
    mtime: float | None = None
    sha256: str | None = None

    @classmethod
    def from_path(cls, path: Path | str, key: str | None = None) -> FileSpec:
        """Scan ``path`` once: size, mtime, MD5 and SHA-256.

        Examples
        --------
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "x.tif"; _ = p.write_bytes(b"tiff")
        >>> FileSpec.from_path(p, key="BR1_a.tif").key
        'BR1_a.tif'
        """
        path = Path(path)
        md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                md5.update(chunk)
                sha.update(chunk)
        st = path.stat()
        return cls(
            path=path.resolve(),
            key=key or path.name,
            size=st.st_size,
            md5=md5.hexdigest(),
            mtime=st.st_mtime,
            sha256=sha.hexdigest(),
        )

    def as_row(self) -> dict[str, Any]:
        """The mapping :meth:`Ledger.add_record` expects.

        Examples
        --------
        >>> FileSpec(Path("/m/a.jpg"), "a.jpg", 3, "AB" * 16).as_row()["md5"]
        'abababababababababababababababab'
        """
        return {
            "key": self.key,
            "path": str(self.path),
            "size": self.size,
            "mtime": self.mtime,
            "md5": self.md5.lower(),
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class RecordSpec:
    """One record to publish.

    Parameters
    ----------
    marker
        The idempotency marker; it must be in the payload's custom fields.
    legacy, native
        The API bodies (``{"metadata": {...}}`` for the legacy API, the full
        draft body for the native API). At least the one for the batch's API.
    files
        The files as scanned.
    title
        For display in reports (defaults to the payload's title).

    Examples
    --------
    >>> spec = RecordSpec(Marker("X1"), native={"custom_fields": {"dwc:catalogNumber": ["X1"]},
    ...                                         "metadata": {"title": "X"}})
    >>> spec.payload("native")["metadata"]["title"]
    'X'
    >>> spec.display_title("native")
    'X'
    """

    marker: Marker
    legacy: Mapping[str, Any] | None = None
    native: Mapping[str, Any] | None = None
    files: Sequence[FileSpec] = field(default_factory=tuple)
    title: str | None = None

    def payload(self, api: str) -> Mapping[str, Any]:
        """The body for ``api`` (``InputError`` if the record has none).

        Examples
        --------
        >>> RecordSpec(Marker("X"), legacy={"metadata": {}}).payload("native")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        specpub.errors.InputError: field 'native payload': record |X has no native payload. Fix: ...
        """
        body = self.legacy if api == "legacy" else self.native
        if body is None:
            raise InputError(
                f"record {self.marker.key} has no {api} payload",
                field=f"{api} payload",
                fix=f"build {api} payloads with the records layer, or choose the other api",
            )
        return body

    def display_title(self, api: str) -> str | None:
        """The title shown in reports.

        Examples
        --------
        >>> RecordSpec(Marker("X"), legacy={"metadata": {"title": "T"}}).display_title("legacy")
        'T'
        """
        if self.title:
            return self.title
        body = self.legacy if api == "legacy" else self.native
        meta = (body or {}).get("metadata") or {}
        return meta.get("title") if isinstance(meta, Mapping) else None

    def check(self, api: str, *, need_files: bool = True) -> None:
        """Raise :class:`InputError` if the record cannot be sent as planned.

        Examples
        --------
        >>> custom = {"dwc:catalogNumber": ["Y"]}
        >>> spec = RecordSpec(Marker("X"), legacy={"metadata": {"custom": custom}})
        >>> spec.check("legacy")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        specpub.errors.InputError: ...the payload's marker |Y must equal the record's marker |X...
        """
        where = f"record {self.marker.key}"
        body = self.payload(api)
        custom = (
            (body.get("metadata") or {}).get("custom")
            if api == "legacy"
            else body.get("custom_fields")
        )
        found = Marker.from_custom_fields(custom)
        if found != self.marker:
            place = "metadata.custom" if api == "legacy" else "custom_fields"
            raise InputError(
                f"{where}: the payload's marker {found.key if found else 'is missing; it'} "
                f"must equal the record's marker {self.marker.key}",
                field=f"{place}.dwc:catalogNumber",
                fix="build the payload with the same catalogNumber/institutionCode as the marker",
            )
        keys = [f.key for f in self.files]
        if need_files and not keys:
            raise InputError(
                f"{where} has no files; Zenodo publishes no metadata-only records",
                fix="link at least one image to the specimen",
            )
        if len(keys) != len(set(keys)):
            dup = sorted({k for k in keys if keys.count(k) > 1})
            raise InputError(
                f"{where}: file key(s) {', '.join(dup)} appear twice",
                fix="give every file of a record a distinct name",
            )
        if len(keys) > MAX_FILES_PER_RECORD:
            raise InputError(
                f"{where} has {len(keys)} files; the limit is {MAX_FILES_PER_RECORD}",
                fix="split the record or drop derivative files",
            )
        for f in self.files:
            if f.size <= 0:
                raise InputError(
                    f"{where}: file {f.key} is empty; the repository rejects empty files",
                    file=str(f.path),
                    fix="rescan the media folder or remove the file",
                )
            if len(f.md5) != 32:
                raise InputError(
                    f"{where}: file {f.key} has no valid MD5 ({f.md5!r})",
                    file=str(f.path),
                    fix="compute fixity with the media scan (or FileSpec.from_path)",
                )
