"""Generate a realistic demo collection: a Darwin Core table plus herbarium-sheet images.

The collection is what ``make demo``, the notebooks, Binder, workshops and
specpub's own tests run on. It is deterministic for a seed (same seed, same
bytes), has a controlled share of real-world messiness in the table, and
deliberately broken image files, all recorded in ``manifest.json``.

Layout of a generated folder::

    specimens.csv        Darwin Core table (UTF-8, comma-separated)
    manifest.json        parameters, per-row defects, per-file facts, broken files
    masters/             TIFF masters  <barcode>.tif
    access/              JPEG access copies  <barcode>.jpg, label close-ups <barcode>_lab.jpg
    segmentations/       PNG label masks  <barcode>_lab.png

Examples
--------
>>> import tempfile
>>> from specpub.demo import generate_collection
>>> with tempfile.TemporaryDirectory() as tmp:
...     demo = generate_collection(tmp, specimens=2, image_size=(120, 170), broken=False)
...     print(demo.specimens, demo.table.name, sorted(p.name for p in demo.masters.iterdir()))
2 specimens.csv ['DEMO2047175.tif', 'DEMO5111183.tif']
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import json
import random
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from specpub.demo import _files, _sheets
from specpub.demo._table import COLUMNS, DEFECT_KINDS, SpecimenPlan, build_table
from specpub.errors import InputError
from specpub.progress import make_progress

__all__ = [
    "BROKEN_KINDS",
    "COLUMNS",
    "DEFECT_KINDS",
    "BrokenFile",
    "DemoCollection",
    "DemoFile",
    "generate_collection",
    "normalise_catalogue_number",
]

#: Deliberately broken files: ``kind -> reason`` (the reason is also in the manifest).
BROKEN_KINDS: dict[str, str] = {
    "truncated_tiff": (
        "TIFF master cut to 60 % of its length: strip data points beyond the end of the "
        "file (TIF-12, INT-03); the header and IFD still parse but decoding fails"
    ),
    "tiff_no_icc": "TIFF master without an ICC profile (tag 34675 absent): COL-03",
    "low_resolution": (
        "TIFF master at 72 ppi and a quarter of the pixel size: below RES-02 (300 ppi), "
        "RES-03 and RES-06"
    ),
    "truncated_jpeg": (
        "JPEG access copy cut to half its length: no EOI marker (JPG-04, INT-03); "
        "Pillow load() raises 'image file is truncated'"
    ),
    "png_as_jpg": "PNG data saved with a .jpg extension: extension mismatch (ID-03)",
    "zero_byte": "empty file (0 bytes) where the JPEG access copy should be",
    "orphan": "a valid JPEG whose name matches no catalogue number in the table",
}

_MASTER_BROKEN = ("truncated_tiff", "tiff_no_icc", "low_resolution")
_ACCESS_BROKEN = ("truncated_jpeg", "png_as_jpg", "zero_byte")
_FORMATS = ("tiff", "jpeg", "png")
_DPI = 600
_BASE_URL = "https://demo.example.org"
_MANIFEST_FORMAT = "specpub-demo-manifest"
_TABLE = "specimens.csv"
_MANIFEST = "manifest.json"
_FOLDERS = {"masters": "masters", "access": "access", "segmentations": "segmentations"}


def normalise_catalogue_number(value: str) -> str:
    """Normalise a catalogue number the way file names are matched to it.

    Spaces and dots are removed and case is folded, so ``'DEMO 000.0123'`` and
    ``'demo0000123'`` both match the file ``DEMO0000123.tif``.

    Examples
    --------
    >>> normalise_catalogue_number("DEMO 000.0123")
    'demo0000123'
    """
    return re.sub(r"[\s.]", "", value).casefold()


@dataclass(frozen=True)
class DemoFile:
    """One image file of a demo collection, as recorded in the manifest.

    Attributes
    ----------
    path
        Path relative to the collection folder (POSIX form).
    role
        ``master``, ``access``, ``label`` (label close-up) or ``segmentation``.
    format
        What the bytes are: ``tiff``, ``jpeg``, ``png`` or ``empty``.
    index
        0-based table row the file was made for (``None`` for the orphan).
    expected_rows
        Rows whose catalogue number, normalised, starts the file name: what a
        linker using the default rule should find.
    broken
        The broken-file kind (see :data:`BROKEN_KINDS`) or ``None``.

    Examples
    --------
    >>> f = DemoFile("masters/X.tif", "master", "tiff", 0, "X", 10, 10, 8, "none", True,
    ...              600, 12, "0" * 64, (0,), None)
    >>> f.name
    'X.tif'
    """

    path: str
    role: str
    format: str
    index: int | None
    barcode: str
    width: int | None
    height: int | None
    bits_per_sample: int | None
    compression: str | None
    icc: bool
    dpi: int | None
    bytes: int
    sha256: str
    expected_rows: tuple[int, ...]
    broken: str | None

    @property
    def name(self) -> str:
        """The file name."""
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class BrokenFile:
    """A deliberately broken file: where, what kind, and why it must fail a check.

    Examples
    --------
    >>> b = BrokenFile(Path("/tmp/x.jpg"), "zero_byte", BROKEN_KINDS["zero_byte"], 3)
    >>> b.kind
    'zero_byte'
    """

    path: Path
    kind: str
    reason: str
    index: int | None


@dataclass
class DemoCollection:
    """A generated demo collection (the result of :func:`generate_collection`).

    Attributes
    ----------
    folder, table, manifest_path, masters, access, segmentations
        Absolute paths of the collection, its table, its manifest and media folders.
    specimens
        Number of table rows.
    defects
        Row index (0-based) to the defect kinds put into that row.
    broken
        The deliberately broken files.
    files
        Every image file written (broken ones included).
    manifest
        The parsed ``manifest.json``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     demo = generate_collection(tmp, specimens=3, image_size=(120, 170), seed=1)
    ...     again = DemoCollection.load(tmp)
    ...     print(again.specimens, len(again.broken) == len(demo.broken))
    3 True
    """

    folder: Path
    table: Path
    manifest_path: Path
    masters: Path
    access: Path
    segmentations: Path
    specimens: int
    defects: dict[int, list[str]]
    broken: list[BrokenFile]
    files: list[DemoFile]
    manifest: dict[str, Any] = field(repr=False)

    @property
    def seed(self) -> int:
        """The seed the collection was generated with.

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     generate_collection(tmp, specimens=1, seed=9, formats=()).seed
        9
        """
        return int(self.manifest["parameters"]["seed"])

    def rows_with(self, kind: str) -> list[int]:
        """0-based indices of the rows that carry defect ``kind``.

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     demo = generate_collection(tmp, specimens=4, image_size=(120, 170),
        ...                                messiness=1.0, broken=False, formats=("jpeg",))
        ...     print(len(demo.rows_with("catalogNumber_missing")))
        1
        """
        if kind not in DEFECT_KINDS:
            raise KeyError(f"unknown defect kind {kind!r}; known: {', '.join(DEFECT_KINDS)}")
        return list(self.manifest["defects"].get(kind, []))

    def summary(self) -> str:
        """A short human-readable summary: where things are, counts, broken files.

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     demo = generate_collection(tmp, specimens=2, image_size=(120, 170))
        ...     print(demo.summary().splitlines()[1].split(":")[0])
        table
        """
        by_role: dict[str, int] = {}
        for f in self.files:
            by_role[f.role] = by_role.get(f.role, 0) + 1
        messy = sum(1 for v in self.defects.values() if v)

        def count(n: int, word: str) -> str:
            return f"{n} {word}" + ("" if n == 1 else "s")

        access = by_role.get("access", 0) + by_role.get("label", 0)
        lines = [
            f"demo collection in {self.folder} (seed {self.seed})",
            f"table:         {self.table} ({count(self.specimens, 'specimen')}, "
            f"{messy} with defects)",
            f"masters:       {self.masters} ({count(by_role.get('master', 0), 'file')})",
            f"access copies: {self.access} ({count(access, 'file')})",
            f"segmentations: {self.segmentations} "
            f"({count(by_role.get('segmentation', 0), 'file')})",
            f"manifest:      {self.manifest_path}",
        ]
        if self.broken:
            lines.append(f"broken files ({len(self.broken)}), on purpose:")
            for b in self.broken:
                lines.append(f"  {b.path.relative_to(self.folder).as_posix()}: {b.kind}")
        else:
            lines.append("broken files: none")
        return "\n".join(lines)

    def to_frame(self) -> Any:
        """The files as a pandas DataFrame (one row per file).

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     demo = generate_collection(tmp, specimens=2, image_size=(120, 170), broken=False)
        ...     print(sorted(demo.to_frame()["role"].unique()))
        ['access', 'master', 'segmentation']
        """
        import pandas as pd

        return pd.DataFrame(self.manifest["files"])

    @classmethod
    def load(cls, folder: str | Path) -> DemoCollection:
        """Read a demo collection back from its folder (via ``manifest.json``).

        Raises :class:`~specpub.errors.InputError` if the folder holds no demo manifest.

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = generate_collection(tmp, specimens=2, formats=())
        ...     DemoCollection.load(tmp).specimens
        2
        """
        folder = Path(folder).resolve()
        path = folder / _MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(
                "no demo manifest found",
                file=str(path),
                fix="generate the collection first (specpub demo-data DIR)",
            ) from None
        except json.JSONDecodeError as err:
            raise InputError(
                f"manifest is not valid JSON ({err.msg} at line {err.lineno})",
                file=str(path),
                fix="generate the collection again",
            ) from None
        if manifest.get("format") != _MANIFEST_FORMAT:
            raise InputError(
                "not a specpub demo manifest", file=str(path), fix="point at a demo folder"
            )
        return cls._from_manifest(folder, manifest)

    @classmethod
    def _from_manifest(cls, folder: Path, manifest: dict[str, Any]) -> DemoCollection:
        files = [
            DemoFile(**{**f, "expected_rows": tuple(f["expected_rows"])}) for f in manifest["files"]
        ]
        broken = [
            BrokenFile(folder / b["path"], b["kind"], b["reason"], b["index"])
            for b in manifest["broken"]
        ]
        return cls(
            folder=folder,
            table=folder / manifest["table"],
            manifest_path=folder / _MANIFEST,
            masters=folder / manifest["folders"]["masters"],
            access=folder / manifest["folders"]["access"],
            segmentations=folder / manifest["folders"]["segmentations"],
            specimens=len(manifest["rows"]),
            defects={r["index"]: list(r["defects"]) for r in manifest["rows"]},
            broken=broken,
            files=files,
            manifest=manifest,
        )


# --------------------------------------------------------------------------- checks


def _check_arguments(
    specimens: int,
    seed: int,
    messiness: float,
    image_size: Sequence[int],
    formats: Iterable[str],
    institution: str,
    defects: Iterable[str] | None,
) -> tuple[tuple[int, int], tuple[str, ...], tuple[str, ...]]:
    if isinstance(specimens, bool) or not isinstance(specimens, int) or not specimens >= 1:
        raise InputError(
            f"specimens must be a whole number ≥ 1, got {specimens!r}",
            field="specimens",
            fix="pass e.g. specimens=12",
        )
    if specimens > 800_000:
        raise InputError(
            f"specimens={specimens} is more than the 800,000 catalogue numbers available",
            field="specimens",
            fix="ask for fewer specimens",
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(
            f"seed must be a whole number ≥ 0, got {seed!r}", field="seed", fix="pass e.g. seed=0"
        )
    if not isinstance(messiness, int | float) or not 0.0 <= float(messiness) <= 1.0:
        raise InputError(
            f"messiness must be between 0 and 1, got {messiness!r}",
            field="messiness",
            fix="pass a share such as 0.2 (a fifth of the rows get defects)",
        )
    try:
        w, h = (int(v) for v in image_size)
    except (TypeError, ValueError):
        raise InputError(
            f"image_size must be (width, height), got {image_size!r}",
            field="image_size",
            fix="pass e.g. image_size=(900, 1300)",
        ) from None
    if not (100 <= w <= 12_000 and 100 <= h <= 16_000):
        raise InputError(
            f"image_size {w}x{h} is outside 100x100 .. 12000x16000",
            field="image_size",
            fix="pass e.g. image_size=(900, 1300)",
        )
    fmts = tuple(dict.fromkeys(str(f).lower() for f in formats))
    _check_known(fmts, _FORMATS, what="image format", field="formats")
    if not re.fullmatch(r"[A-Z]{1,8}", institution or ""):
        raise InputError(
            f"institution must be 1-8 capital letters A-Z, got {institution!r}",
            field="institution",
            fix="pass e.g. institution='DEMO' (it prefixes the catalogue numbers)",
        )
    if defects is None:
        kinds = tuple(DEFECT_KINDS)
    else:
        kinds = tuple(dict.fromkeys(defects))
        _check_known(kinds, DEFECT_KINDS, what="defect kind", field="defects")
    return (w, h), fmts, kinds


def _check_known(values: Iterable[str], allowed: Iterable[str], *, what: str, field: str) -> None:
    known = list(allowed)
    unknown = [v for v in values if v not in known]
    if unknown:
        raise InputError(
            f"unknown {what}(s) {', '.join(unknown)}",
            field=field,
            fix=f"choose from {', '.join(known)}",
        )


def _prepare_folder(folder: Path, overwrite: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise InputError(
            "exists and is not a folder", file=str(folder), fix="choose another output path"
        )
    if folder.is_dir() and any(folder.iterdir()):
        if not overwrite:
            raise InputError(
                "the output folder is not empty",
                file=str(folder),
                fix="choose an empty or new folder, or pass overwrite=True (--overwrite) "
                "to replace a previous demo collection there",
            )
        if not (folder / _MANIFEST).exists():
            raise InputError(
                "the output folder is not empty and holds no demo collection; "
                "refusing to overwrite it",
                file=str(folder),
                fix="choose an empty or new folder",
            )
        for name in (_TABLE, _MANIFEST):
            (folder / name).unlink(missing_ok=True)
        for sub in _FOLDERS.values():
            if (folder / sub).is_dir():
                shutil.rmtree(folder / sub)
    folder.mkdir(parents=True, exist_ok=True)


# --------------------------------------------------------------------------- images


@dataclass
class _Pending:
    """A file to write: bytes plus its manifest facts."""

    path: str
    data: bytes
    facts: dict[str, Any]
    size: int = 0
    sha256: str = ""

    def written(self) -> _Pending:
        """The same entry without its bytes (kept for the manifest only)."""
        return _Pending(
            self.path, b"", self.facts, len(self.data), hashlib.sha256(self.data).hexdigest()
        )


def _meta(s: SpecimenPlan, institution: str, when: str, suffix: str = "") -> _files.ImageMeta:
    return _files.ImageMeta(
        title=f"Herbarium specimen {s.barcode}{suffix} of {s.scientific_name}",
        identifier=s.barcode,
        rights=f"© Demo Herbarium {institution}",
        artist=f"Imaging team, Demo Herbarium {institution}",
        datetime=when,
        scientific_name=s.scientific_name,
        institution=institution,
        license_url="https://creativecommons.org/licenses/by/4.0/",
    )


def _sheet_text(s: SpecimenPlan, institution: str) -> _sheets.SheetText:
    return _sheets.SheetText(
        barcode=s.barcode,
        institution=institution,
        scientific_name=s.scientific_name,
        family=s.taxon.family,
        collector=s.collector,
        record_number=s.record_number,
        date=s.verbatim_date,
        locality=f"{s.place.locality}, {s.place.province}",
        country=s.place.country,
        determiner=s.determiner,
    )


def _facts(
    role: str,
    fmt: str,
    index: int | None,
    barcode: str,
    size: tuple[int, int] | None,
    bits: int | None,
    compression: str | None,
    icc: bool,
    dpi: int | None,
) -> dict[str, Any]:
    return {
        "role": role,
        "format": fmt,
        "index": index,
        "barcode": barcode,
        "width": None if size is None else size[0],
        "height": None if size is None else size[1],
        "bits_per_sample": bits,
        "compression": compression,
        "icc": icc,
        "dpi": dpi,
    }


def _specimen_files(
    s: SpecimenPlan,
    j: int,
    *,
    seed: int,
    size: tuple[int, int],
    formats: tuple[str, ...],
    institution: str,
    when: str,
    master_break: list[str],
    access_break: list[str],
) -> list[_Pending]:
    """Draw one sheet and encode every file of specimen ``s`` (``j``: its image number)."""
    rng = np.random.default_rng([seed, s.index, 7])
    sheet = _sheets.draw_sheet(_sheet_text(s, institution), size, rng)
    pixels = np.asarray(sheet.image)
    meta = _meta(s, institution, when)
    out: list[_Pending] = []
    b = s.barcode

    if "tiff" in formats:
        bits = 16 if j % 4 == 3 else 8
        compression = "lzw" if j % 4 == 1 else "none"
        kinds = list(master_break) or [None]
        for n, kind in enumerate(kinds):
            name = f"masters/{b}.tif" if n == 0 else f"masters/{b}_{n + 1}.tif"
            if kind is None or kind == "tiff_no_icc":
                data_px = _files.to_16bit(pixels, rng) if bits == 16 else pixels
                icc = kind is None
                data = _files.tiff_bytes(
                    data_px, compression=compression, dpi=_DPI, meta=meta, icc=icc
                )
                facts = _facts("master", "tiff", s.index, b, size, bits, compression, icc, _DPI)
            elif kind == "truncated_tiff":
                full = _files.tiff_bytes(pixels, compression="none", dpi=_DPI, meta=meta)
                data = full[: int(len(full) * 0.6)]
                facts = _facts("master", "tiff", s.index, b, size, 8, "none", True, _DPI)
            else:  # low_resolution
                small = sheet.image.resize((max(1, size[0] // 4), max(1, size[1] // 4)))
                data = _files.tiff_bytes(np.asarray(small), compression="none", dpi=72, meta=meta)
                facts = _facts("master", "tiff", s.index, b, small.size, 8, "none", True, 72)
            facts["broken"] = kind
            out.append(_Pending(name, data, facts))

    if "jpeg" in formats:
        kinds = list(access_break) or [None]
        for n, kind in enumerate(kinds):
            name = f"access/{b}.jpg" if n == 0 else f"access/{b}_{n + 1}.jpg"
            if kind is None or kind == "truncated_jpeg":
                full = _files.jpeg_bytes(sheet.image, dpi=_DPI, meta=meta)
                data = full if kind is None else full[: len(full) // 2]
                facts = _facts("access", "jpeg", s.index, b, size, 8, "jpeg", True, _DPI)
            elif kind == "png_as_jpg":
                data = _files.png_bytes(sheet.image, dpi=_DPI)
                facts = _facts("access", "png", s.index, b, size, 8, "deflate", False, _DPI)
            else:  # zero_byte
                data = b""
                facts = _facts("access", "empty", s.index, b, None, None, None, False, None)
            facts["broken"] = kind
            out.append(_Pending(name, data, facts))
        if j % 5 == 2:
            x0, y0, x1, y1 = sheet.label_box
            crop = sheet.image.crop((x0 - 4, y0 - 4, min(size[0], x1 + 4), min(size[1], y1 + 4)))
            data = _files.jpeg_bytes(crop, dpi=_DPI, meta=_meta(s, institution, when, " (label)"))
            facts = _facts("label", "jpeg", s.index, b, crop.size, 8, "jpeg", True, _DPI)
            facts["broken"] = None
            out.append(_Pending(f"access/{b}_lab.jpg", data, facts))

    if "png" in formats and j % 3 == 0:
        data = _files.png_bytes(sheet.mask, dpi=_DPI)
        facts = _facts("segmentation", "png", s.index, b, size, 8, "deflate", False, _DPI)
        facts["broken"] = None
        out.append(_Pending(f"segmentations/{b}_lab.png", data, facts))
    return out


def _orphan_file(
    seed: int, size: tuple[int, int], formats: tuple[str, ...], institution: str, when: str
) -> _Pending | None:
    rng = np.random.default_rng([seed, 999_999, 7])
    number = 9_900_000 + int(rng.integers(0, 99_999))
    barcode = f"{institution}{number:07d}"
    text = _sheets.SheetText(barcode, institution, "Indet.", "", "Unknown", "s.n.", "", "", "", "")
    sheet = _sheets.draw_sheet(text, size, rng)
    meta = _files.ImageMeta(
        title=f"Herbarium specimen {barcode}",
        identifier=barcode,
        rights=f"© Demo Herbarium {institution}",
        artist=f"Imaging team, Demo Herbarium {institution}",
        datetime=when,
        scientific_name="Indet.",
        institution=institution,
        license_url="https://creativecommons.org/licenses/by/4.0/",
    )
    if "jpeg" in formats:
        data = _files.jpeg_bytes(sheet.image, dpi=_DPI, meta=meta)
        facts = _facts("access", "jpeg", None, barcode, size, 8, "jpeg", True, _DPI)
        path = f"access/{barcode}.jpg"
    elif "tiff" in formats:
        data = _files.tiff_bytes(np.asarray(sheet.image), compression="none", dpi=_DPI, meta=meta)
        facts = _facts("master", "tiff", None, barcode, size, 8, "none", True, _DPI)
        path = f"masters/{barcode}.tif"
    else:
        return None
    facts["broken"] = "orphan"
    return _Pending(path, data, facts)


def _timestamp(seed: int, j: int) -> str:
    base = _dt.datetime(2019, 1, 7, 9, 0, 0) + _dt.timedelta(days=seed % 1000)
    when = base + _dt.timedelta(minutes=4 * j, seconds=(17 * j) % 60)
    return when.strftime("%Y:%m:%d %H:%M:%S")


# --------------------------------------------------------------------------- main


def generate_collection(
    folder: str | Path,
    *,
    specimens: int = 12,
    seed: int = 0,
    messiness: float = 0.2,
    image_size: tuple[int, int] = (900, 1300),
    broken: bool = True,
    formats: Sequence[str] = ("tiff", "jpeg", "png"),
    institution: str = "DEMO",
    defects: Iterable[str] | None = None,
    overwrite: bool = False,
    progress: Any = None,
) -> DemoCollection:
    """Write a demo collection (Darwin Core table + herbarium-sheet images) to ``folder``.

    Parameters
    ----------
    folder
        Output folder; created if missing. It must be empty, unless
        ``overwrite=True`` and it holds an earlier demo collection.
    specimens
        Number of table rows (each imaged, except a duplicate row).
    seed
        Same seed, same bytes: the table, the manifest and every image file are
        identical between runs (timestamps inside files come from the seed).
    messiness
        Share of rows (0-1) that receive defects. The defect kinds are spread
        over those rows, at most one per column group and row; kinds that
        cannot be placed (too few messy rows) are listed as
        ``defects_skipped`` in the manifest. ``messiness=1.0`` with 6 or more
        specimens places every kind.
    image_size
        ``(width, height)`` of the drawn sheets in pixels.
    broken
        Also write the deliberately broken files of :data:`BROKEN_KINDS`
        (each replaces a good file of one specimen; the orphan is extra).
    formats
        Which files to write: ``"tiff"`` masters, ``"jpeg"`` access copies,
        ``"png"`` segmentation masks.
    institution
        Institution code, 1-8 capital letters; prefixes the catalogue numbers.
    defects
        Restrict the defect kinds to these (default: all of :data:`DEFECT_KINDS`).
    overwrite
        Replace an earlier demo collection in ``folder``.
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object (see
        :func:`specpub.progress.make_progress`); counts specimens.

    Returns
    -------
    DemoCollection
        Paths, counts, defects per row and the broken files.

    Raises
    ------
    InputError
        A parameter is out of range, or the folder is not empty.

    Examples
    --------
    >>> import tempfile, csv
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     demo = generate_collection(tmp, specimens=3, image_size=(120, 170), seed=4)
    ...     with open(demo.table, encoding="utf-8") as fh:
    ...         rows = list(csv.DictReader(fh))
    ...     print(len(rows), rows[0]["occurrenceID"].startswith("https://demo.example.org/"))
    ...     print(sorted(b.kind for b in demo.broken)[:2])
    3 True
    ['low_resolution', 'orphan']
    """
    size, fmts, kinds = _check_arguments(
        specimens, seed, messiness, image_size, formats, institution, defects
    )
    root = Path(folder).expanduser().resolve()
    _prepare_folder(root, overwrite)

    plan = build_table(
        specimens,
        seed=seed,
        institution=institution,
        base_url=_BASE_URL,
        messiness=float(messiness),
        kinds=kinds,
    )
    rows = plan.specimens
    imaged = [s for s in rows if s.imaged]

    # Which specimens get which broken file.
    master_break: dict[int, list[str]] = {}
    access_break: dict[int, list[str]] = {}
    skipped_broken: list[str] = []
    if broken and imaged:
        order = [s.index for s in imaged]
        random.Random(f"specpub.demo.broken:{seed}").shuffle(order)
        for k, kind in enumerate(_MASTER_BROKEN):
            if "tiff" not in fmts:
                skipped_broken.append(kind)
                continue
            master_break.setdefault(order[k % len(order)], []).append(kind)
        for k, kind in enumerate(_ACCESS_BROKEN):
            if "jpeg" not in fmts:
                skipped_broken.append(kind)
                continue
            access_break.setdefault(order[(k + 3) % len(order)], []).append(kind)

    pending: list[_Pending] = []
    bar = make_progress(progress, total=len(imaged), description="demo sheets", unit="sheet")
    with bar:
        for j, s in enumerate(imaged):
            files = _specimen_files(
                s,
                j,
                seed=seed,
                size=size,
                formats=fmts,
                institution=institution,
                when=_timestamp(seed, j),
                master_break=master_break.get(s.index, []),
                access_break=access_break.get(s.index, []),
            )
            for p in files:
                _files.write(root / p.path, p.data)
                pending.append(p.written())
            bar.update(1)
    if broken:
        orphan = _orphan_file(seed, size, fmts, institution, _timestamp(seed, len(imaged)))
        if orphan is None:
            skipped_broken.append("orphan")
        else:
            _files.write(root / orphan.path, orphan.data)
            pending.append(orphan.written())
    for sub in _FOLDERS.values():
        (root / sub).mkdir(exist_ok=True)

    # associatedMedia: access copies of the specimen (a duplicate row shares its source's).
    media: dict[str, list[str]] = {}
    for p in pending:
        if p.facts["role"] in ("access", "label") and p.facts["index"] is not None:
            media.setdefault(p.facts["barcode"], []).append(
                f"{_BASE_URL}/media/{p.path.rsplit('/', 1)[-1]}"
            )
    for s in rows:
        s.row["associatedMedia"] = " | ".join(media.get(s.barcode, []))

    table_bytes = _table_bytes(rows)
    (root / _TABLE).write_bytes(table_bytes)

    manifest = _manifest(
        plan_rows=rows,
        pending=pending,
        skipped=plan.skipped,
        skipped_broken=skipped_broken,
        parameters={
            "seed": seed,
            "specimens": specimens,
            "messiness": float(messiness),
            "image_size": list(size),
            "broken": bool(broken),
            "formats": list(fmts),
            "institution": institution,
            "defects": list(kinds),
        },
        table_sha256=hashlib.sha256(table_bytes).hexdigest(),
    )
    text = json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=False) + "\n"
    (root / _MANIFEST).write_text(text, encoding="utf-8")
    return DemoCollection._from_manifest(root, manifest)


def _table_bytes(rows: list[SpecimenPlan]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for s in rows:
        writer.writerow(s.row)
    return buf.getvalue().encode("utf-8")


def _row_keys(rows: list[SpecimenPlan]) -> dict[str, list[int]]:
    keys: dict[str, list[int]] = {}
    for s in rows:
        key = normalise_catalogue_number(s.row["catalogNumber"])
        if key:
            keys.setdefault(key, []).append(s.index)
    return keys


def _expected_rows(name: str, keys: dict[str, list[int]]) -> tuple[int, ...]:
    """Rows whose normalised catalogue number starts the normalised file stem."""
    stem = normalise_catalogue_number(name.rsplit(".", 1)[0])
    found: list[int] = []
    for end in range(1, len(stem) + 1):
        found.extend(keys.get(stem[:end], ()))
    return tuple(sorted(found))


def _defect_values(s: SpecimenPlan) -> dict[str, str]:
    """The CSV values of the columns this row's defects touched."""
    columns: list[str] = []
    for kind in s.defects:
        column = DEFECT_KINDS[kind][1]
        extra = {
            "decimalLatitude": ["decimalLatitude", "decimalLongitude"],
            "eventDate": ["eventDate", "verbatimEventDate"],
            "catalogNumber": ["catalogNumber", "occurrenceID"]
            if kind == "catalogNumber_duplicate"
            else ["catalogNumber"],
        }.get(column, [column])
        columns.extend(c for c in extra if c not in columns)
    return {c: s.row[c] for c in columns}


def _manifest(
    *,
    plan_rows: list[SpecimenPlan],
    pending: list[_Pending],
    skipped: list[str],
    skipped_broken: list[str],
    parameters: dict[str, Any],
    table_sha256: str,
) -> dict[str, Any]:
    pending = sorted(pending, key=lambda p: p.path)
    keys = _row_keys(plan_rows)
    files = []
    broken = []
    for p in pending:
        name = p.path.rsplit("/", 1)[-1]
        entry = {
            "path": p.path,
            **{k: v for k, v in p.facts.items() if k != "broken"},
            "bytes": p.size,
            "sha256": p.sha256,
            "expected_rows": list(_expected_rows(name, keys)),
            "broken": p.facts["broken"],
        }
        files.append(entry)
        if p.facts["broken"]:
            kind = p.facts["broken"]
            broken.append(
                {
                    "path": p.path,
                    "kind": kind,
                    "reason": BROKEN_KINDS[kind],
                    "index": p.facts["index"],
                }
            )
    by_kind: dict[str, list[int]] = {}
    for s in plan_rows:
        for kind in s.defects:
            by_kind.setdefault(kind, []).append(s.index)
    return {
        "format": _MANIFEST_FORMAT,
        "version": 1,
        "generator": "specpub.demo",
        "parameters": parameters,
        "table": _TABLE,
        "table_sha256": table_sha256,
        "columns": list(COLUMNS),
        "base_url": _BASE_URL,
        "folders": dict(_FOLDERS),
        "link_rule": (
            "a file belongs to a row when its name, with spaces and dots removed and case "
            "folded, starts with the row's catalogNumber normalised the same way"
        ),
        "notes": [
            "Masters declare 600 ppi but have the pixel size of a small demo sheet, so a "
            "pixel-size-versus-sheet-size rule (RES-06) warns for every master.",
            "LZW masters (compression 5) pass the 'master' profile but not 'master-strict' "
            "(uncompressed only); tifffile needs imagecodecs to decode them, Pillow does not.",
            "Segmentation masks are 8-bit greyscale PNGs (0 = background, 255 = label) "
            "without an ICC profile.",
            "A row with an empty catalogNumber still has images under its barcode: they link "
            "to no row. A duplicate row has no images; its source's files link to both rows.",
        ],
        "defect_kinds": {
            k: {"group": g, "column": c, "description": d} for k, (g, c, d) in DEFECT_KINDS.items()
        },
        "broken_kinds": dict(BROKEN_KINDS),
        "rows": [
            {
                "index": s.index,
                "row": s.index + 2,
                "barcode": s.barcode,
                "catalogNumber": s.row["catalogNumber"],
                "imaged": s.imaged,
                "defects": list(s.defects),
                "values": _defect_values(s),
                "details": {k: s.details[k] for k in sorted(s.details)},
            }
            for s in plan_rows
        ],
        "defects": {k: by_kind[k] for k in DEFECT_KINDS if k in by_kind},
        "defects_skipped": sorted(set(skipped), key=list(DEFECT_KINDS).index),
        "files": files,
        "broken": broken,
        "broken_skipped": skipped_broken,
    }
