"""Link image files to specimens by catalogue number.

:func:`link_media` walks one or more folders once (``os.scandir``, no ``stat``
per file) and matches each file to a specimen through a list of rules:

:class:`PrefixRule` (the default)
    the file name starts with the catalogue number, ignoring case, spaces and
    dots, followed by the end of the name or a separator and a suffix
    (``BR0000013_lab.jpg``, ``B 10 0250963-2.tif``, ``L.2180891_all.png``); the
    longest catalogue number wins, so ``BR0000013`` does not take ``BR00000130.jpg``.
:class:`RegexRule`
    a regular expression with a named group ``catalog`` applied to the file name.
:class:`ColumnRule`
    a table column holds the file name(s) of each specimen.
:class:`MultimediaRule`
    the Darwin Core Archive multimedia extension lists each specimen's media
    (``identifier``/``accessURI``): local files are found by the URL's file
    name, and media that exist only online are linked by URL.

Lookups go through a dict keyed by the normalised catalogue number, one lookup
per candidate prefix of a file name: never files × specimens.

Examples
--------
>>> import tempfile, pathlib
>>> import pandas as pd
>>> from specpub.specimens.model import Specimens
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> for name in ["BR0000013.jpg", "BR0000013_lab.tif", "BR00000130.jpg", "stray.jpg"]:
...     _ = (folder / name).write_bytes(b"")
>>> frame = pd.DataFrame({"catalogNumber": ["BR0000013", "BR0000014"], "_row": [2, 3],
...                       "_source": "t.csv"})
>>> sp = Specimens(frame, mapping=pd.DataFrame(), flags=pd.DataFrame())
>>> links = link_media(sp, [folder], progress=None)
>>> links.links[["catalogNumber", "name", "role"]].values.tolist()
[['BR0000013', 'BR0000013.jpg', 'access'], ['BR0000013', 'BR0000013_lab.tif', 'label']]
>>> sorted(links.unlinked_files["name"]), links.unlinked_specimens["catalogNumber"].tolist()
(['BR00000130.jpg', 'stray.jpg'], ['BR0000014'])
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pandas as pd

from specpub.errors import InputError
from specpub.progress import make_progress
from specpub.specimens.flags import catalog_key
from specpub.specimens.model import Specimens
from specpub.workspace import Workspace, atomic_write_text

__all__ = [
    "LINK_COLUMNS",
    "MEDIA_EXTENSIONS",
    "ColumnRule",
    "MediaLinks",
    "MultimediaRule",
    "PrefixRule",
    "RegexRule",
    "guess_role",
    "link_media",
]

#: File extensions considered media by default (lower case, with the dot).
MEDIA_EXTENSIONS = frozenset(
    [
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".tif",
        ".tiff",
        ".png",
        ".jp2",
        ".j2k",
        ".jpf",
        ".jpx",
        ".gif",
        ".webp",
        ".bmp",
        ".dng",
        ".cr2",
        ".cr3",
        ".nef",
        ".arw",
        ".orf",
        ".raf",
        ".heic",
        ".heif",
        ".avif",
    ]
)
_MASTER = frozenset([".tif", ".tiff", ".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".raf"])
_ACCESS = frozenset(
    [
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".jp2",
        ".j2k",
        ".jpf",
        ".jpx",
        ".webp",
        ".gif",
        ".bmp",
        ".heic",
        ".heif",
        ".avif",
    ]
)
_SEPARATORS = frozenset("_-+(#~,[")
_SKIP_DIRS = frozenset({"__MACOSX", "@eaDir", ".git", "$RECYCLE.BIN", "System Volume Information"})

# The files MediaLinks.save writes into the specimens/ stage folder.
_LINK_FILES = (
    "links.csv",
    "unlinked_specimens.csv",
    "unlinked_files.csv",
    "ambiguous_files.csv",
    "links_summary.json",
)

#: Columns of :attr:`MediaLinks.links`.
LINK_COLUMNS = [
    "_row",
    "catalogNumber",
    "path",
    "name",
    "extension",
    "suffix",
    "role",
    "rule",
    "also_matches",
    "url",
    "_source",
]


def guess_role(extension: str, suffix: str = "", folder: str = "") -> str:
    """Guess a file's role from its extension, name suffix and folder.

    Returns one of ``master`` (TIFF/raw), ``access`` (JPEG, JP2 …), ``label`` (``_lab``),
    ``segmentation`` (``_seg``, ``_all``, ``_sel``, ``_mask``, a PNG with a suffix, or
    any file in a folder whose name says segmentation/mask), ``other``.

    Examples
    --------
    >>> guess_role(".tif"), guess_role(".jpg"), guess_role(".jpg", "_lab")
    ('master', 'access', 'label')
    >>> guess_role(".png", "_sel"), guess_role(".png")
    ('segmentation', 'access')
    >>> guess_role(".png", "_lab", folder="segmentations")
    'segmentation'
    """
    ext = extension.lower()
    if re.search(r"seg|mask", folder, re.IGNORECASE):
        return "segmentation"
    tag = suffix.lower().lstrip("".join(_SEPARATORS) + " ").split("_")[0].split("-")[0]
    if tag.startswith(("lab", "etiq")):
        return "label"
    if tag.startswith(("seg", "mask")) or tag in ("all", "sel"):
        return "segmentation"
    if ext == ".png" and tag and not tag.isdigit():
        return "segmentation"
    if ext in _MASTER:
        return "master"
    if ext in _ACCESS or ext == ".png":
        return "access"
    return "other"


@dataclass(frozen=True)
class PrefixRule:
    """The file name starts with the catalogue number (case, spaces and dots ignored),
    then ends or continues after a separator (``_ - + ( # ~ , [``).

    Examples
    --------
    >>> PrefixRule().name
    'prefix'
    """

    separators: str = "".join(sorted(_SEPARATORS))
    name: str = "prefix"


@dataclass(frozen=True)
class RegexRule:
    """A regular expression with a named group ``catalog`` (searched in the file name,
    case-insensitively); the group is normalised like a catalogue number.

    Examples
    --------
    >>> RegexRule(r"^herb_(?P<catalog>\\d+)_").compiled.groupindex["catalog"]
    1
    """

    pattern: str
    name: str = "regex"

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern; raises InputError if it is invalid or lacks the group.

        Examples
        --------
        >>> RegexRule("(?P<catalog>[0-9]+)").compiled.groupindex["catalog"]
        1
        """
        try:
            rx = re.compile(self.pattern, re.IGNORECASE)
        except re.error as err:
            raise InputError(
                f"the linking pattern {self.pattern!r} is not a valid regular expression ({err})",
                fix="correct the pattern",
            ) from err
        if "catalog" not in rx.groupindex:
            raise InputError(
                f"the linking pattern {self.pattern!r} has no named group 'catalog'",
                fix="write the catalogue-number part as (?P<catalog>...)",
            )
        return rx


@dataclass(frozen=True)
class ColumnRule:
    """A table column holds each specimen's file name(s), separated by ``|``, ``;`` or ``,``
    (paths and URLs allowed: only the last part is compared, case-insensitively).

    Examples
    --------
    >>> ColumnRule("image_file").column
    'image_file'
    """

    column: str
    name: str = "column"


@dataclass(frozen=True)
class MultimediaRule:
    """Use a Darwin Core Archive's multimedia extension (GBIF Multimedia or Audubon Core).

    Examples
    --------
    >>> MultimediaRule().name
    'multimedia'
    """

    row_type: str | None = None
    name: str = "multimedia"


Rule = PrefixRule | RegexRule | ColumnRule | MultimediaRule

_MULTIMEDIA_TYPES = (
    "http://rs.gbif.org/terms/1.0/Multimedia",
    "http://rs.tdwg.org/ac/terms/Multimedia",
    "http://rs.gbif.org/terms/1.0/Image",
)


def _walk(folders: Sequence[Path], extensions: frozenset[str] | None) -> tuple[list, int]:
    """One listing pass over every folder: ``[(path, name, root)]`` and the count skipped."""
    found: list[tuple[str, str]] = []
    skipped = 0
    for root in folders:
        if not root.is_dir():
            raise InputError(
                "the media folder does not exist or is not a folder",
                file=str(root),
                fix="check the --media path",
            )
        stack = [str(root)]
        while stack:
            current = stack.pop()
            try:
                it = os.scandir(current)
            except OSError as err:
                raise InputError(
                    f"cannot list the folder ({err.strerror or err})",
                    file=current,
                    fix="check that it exists and that you may read it",
                ) from err
            with it:
                for entry in it:
                    name = entry.name
                    if name.startswith(".") or name in _SKIP_DIRS or name == "Thumbs.db":
                        continue
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        continue
                    if is_dir:
                        stack.append(entry.path)
                        continue
                    if extensions is not None:
                        dot = name.rfind(".")
                        if dot < 0 or name[dot:].lower() not in extensions:
                            skipped += 1
                            continue
                    found.append((entry.path, name))
    return found, skipped


def _split_name(name: str) -> tuple[str, str]:
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    return name[:dot], name[dot:].lower()


_NORM = re.compile(r"[\s.]+")


def _match_name(
    rule: Rule, rx: re.Pattern[str] | None, name: str, stem: str, index: dict[str, list[int]]
) -> tuple[list[int], str, list[int]] | None:
    """What a name rule makes of one file name: ``(positions, suffix, also)`` or ``None``.

    ``positions`` are the table positions whose catalogue key matched (several: ambiguous),
    ``suffix`` the rest of the stem, ``also`` the positions of shorter keys that also matched
    (prefix rule only). Table-driven rules match nothing here.
    """
    if isinstance(rule, PrefixRule):
        s = _NORM.sub("", stem.lower())
        seps = frozenset(rule.separators)
        cands = [len(s)] + [i for i in range(len(s) - 1, 0, -1) if s[i] in seps]
        hit = None
        also: list[int] = []
        for i in cands:
            found = index.get(s[:i])
            if found is None:
                continue
            if hit is None:
                hit = (found, s[i:])
            else:
                also.extend(found)
        return None if hit is None else (hit[0], hit[1], also)
    if isinstance(rule, RegexRule) and rx is not None:
        m = rx.search(name)
        if not m or not m.group("catalog"):
            return None
        found = index.get(_NORM.sub("", m.group("catalog").lower()))
        if found is None:
            return None
        suffix = stem[m.end("catalog") :] if m.end("catalog") <= len(stem) else ""
        return found, suffix, []
    return None


def link_media(
    specimens: Specimens,
    folders: Iterable[str | Path] = (),
    *,
    rules: Sequence[Rule] | None = None,
    extensions: Iterable[str] | None = MEDIA_EXTENSIONS,
    progress: Any = "auto",
) -> MediaLinks:
    """Match the files in ``folders`` (recursively) to ``specimens``.

    Parameters
    ----------
    specimens
        From :func:`specpub.specimens.load_specimens`.
    folders
        One or more folders to walk (each listed once, recursively; hidden files skipped).
    rules
        Matching rules tried in order for each file (first match wins). Default:
        ``[PrefixRule()]``, plus ``MultimediaRule()`` when the specimens come from a
        Darwin Core Archive with a multimedia extension.
    extensions
        File extensions to consider (default :data:`MEDIA_EXTENSIONS`); ``None`` for all files.
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.

    Returns
    -------
    MediaLinks

    Raises
    ------
    InputError
        A folder is missing, a rule is invalid, or the specimens have no catalogNumber.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "scan_0001_front.jpg").write_bytes(b"")
    >>> frame = pd.DataFrame({"catalogNumber": ["0001"], "_row": [2], "_source": "t.csv"})
    >>> sp = Specimens(frame, mapping=pd.DataFrame(), flags=pd.DataFrame())
    >>> rule = RegexRule(r"^scan_(?P<catalog>\\d+)_")
    >>> link_media(sp, [folder], rules=[rule], progress=None).links["rule"].tolist()
    ['regex']
    """
    frame = specimens.frame
    if "catalogNumber" not in frame.columns:
        raise InputError(
            "the specimens have no catalogNumber column to link files by",
            fix="load the table with a mapping to catalogNumber",
        )
    folder_list = [Path(f).expanduser() for f in folders]
    ext_set = None if extensions is None else frozenset(e.lower() for e in extensions)
    rules = _default_rules(specimens) if rules is None else list(rules)
    compiled = [r.compiled if isinstance(r, RegexRule) else None for r in rules]
    files, skipped = _walk(folder_list, ext_set)
    found = _Collector(frame)
    # Table-driven rules first: they name files explicitly.
    by_name = (
        _names_index(files)
        if any(isinstance(r, MultimediaRule | ColumnRule) for r in rules)
        else {}
    )
    for rule in rules:
        if isinstance(rule, MultimediaRule):
            _apply_multimedia(specimens, rule, by_name, found)
        elif isinstance(rule, ColumnRule):
            _apply_column(frame, rule, by_name, found)
    bar = make_progress(progress, total=len(files), description="link media", unit="file")
    _apply_names(files, rules, compiled, found, bar)
    bar.close()
    return found.result(
        {
            "folders": [str(f) for f in folder_list],
            "rules": [r.name for r in rules],
            "files_scanned": len(files) + skipped,
            "media_files": len(files),
            "non_media_files_skipped": skipped,
            "specimens": len(frame),
            "specimens_fingerprint": specimens.fingerprint(),
        }
    )


def _default_rules(specimens: Specimens) -> list[Rule]:
    if any(k in _MULTIMEDIA_TYPES for k in specimens.extensions):
        return [MultimediaRule(), PrefixRule()]
    return [PrefixRule()]


def _names_index(files: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Lower-case file name and stem → paths (for the table-driven rules)."""
    by_name: dict[str, list[str]] = {}
    for path, name in files:
        by_name.setdefault(name.lower(), []).append(path)
        by_name.setdefault(_split_name(name)[0].lower(), []).append(path)
    return by_name


class _Collector:
    """What linking found so far: links, ambiguous files, unmatched files, consumed paths."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        cat = frame["catalogNumber"].astype(str).str.strip()
        self.cat = cat
        self.cat_list = cat.tolist()
        self.rows = frame["_row"].to_numpy()
        self.sources = (
            frame["_source"].to_numpy() if "_source" in frame.columns else [""] * len(frame)
        )
        self.index: dict[str, list[int]] = {}
        for pos, key in enumerate(catalog_key(cat).tolist()):
            if key:
                self.index.setdefault(key, []).append(pos)
        self.links: list[tuple] = []
        self.ambiguous: list[tuple] = []
        self.unlinked: list[tuple] = []
        self.consumed: set[str] = set()

    def add(
        self, pos: int, path: str, name: str, suffix: str, rule: str, also: str = "", url: str = ""
    ) -> None:
        ext = _split_name(name)[1] if name else ""
        folder = os.path.basename(os.path.dirname(path)) if path else ""
        if not ext and url:
            ext = _split_name(unquote(urlparse(url).path).rsplit("/", 1)[-1])[1]
        self.links.append(
            (
                int(self.rows[pos]),
                self.cat_list[pos],
                path,
                name,
                ext,
                suffix,
                guess_role(ext, suffix, folder),
                rule,
                also,
                url,
                self.sources[pos],
            )
        )

    def add_or_flag(
        self, found: list[int], path: str, name: str, suffix: str, rule: str, also: str = ""
    ) -> None:
        """Link the file to its one specimen, or record it as ambiguous between several."""
        if len(found) > 1:
            self.ambiguous.append(
                (
                    path,
                    name,
                    " | ".join(self.cat_list[p] for p in found),
                    ", ".join(str(self.rows[p]) for p in found),
                )
            )
        else:
            self.add(found[0], path, name, suffix, rule, also)

    def result(self, info: dict[str, Any]) -> MediaLinks:
        links = pd.DataFrame(self.links, columns=LINK_COLUMNS)
        links = links.sort_values(["_row", "name"], kind="stable").reset_index(drop=True)
        no_file = ~self.frame["_row"].isin(set(links["_row"]))
        unlinked_specimens = pd.DataFrame(
            {
                "_row": self.frame.loc[no_file, "_row"].to_numpy(),
                "catalogNumber": self.cat[no_file].to_numpy(),
            }
        )
        return MediaLinks(
            links,
            unlinked_specimens=unlinked_specimens,
            unlinked_files=pd.DataFrame(self.unlinked, columns=["path", "name", "reason"]),
            ambiguous=pd.DataFrame(self.ambiguous, columns=["path", "name", "candidates", "rows"]),
            info=info,
        )


def _apply_names(files, rules, compiled, found: _Collector, bar) -> None:
    """The name rules (prefix, regex), first match wins, over every file not yet linked."""
    cat_list = found.cat_list
    for n_done, (path, name) in enumerate(files, start=1):
        if n_done % 10000 == 0:
            bar.update(10000)
        if path in found.consumed:
            continue
        stem = _split_name(name)[0]
        for rule, rx in zip(rules, compiled, strict=True):
            hit = _match_name(rule, rx, name, stem, found.index)
            if hit is not None:
                positions, suffix, also = hit
                also_names = " | ".join(cat_list[p] for p in also)
                found.add_or_flag(positions, path, name, suffix, rule.name, also_names)
                break
        else:
            found.unlinked.append((path, name, "no specimen matches the file name"))
    bar.update(len(files) % 10000)


_CELL_SPLIT = re.compile(r"\s*[|;,]\s*")


def _file_names(value: str) -> list[str]:
    out = []
    for part in _CELL_SPLIT.split(value.strip()):
        if part:
            out.append(
                unquote(urlparse(part).path if "://" in part else part)
                .replace("\\", "/")
                .rsplit("/", 1)[-1]
            )
    return out


def _file_urls(value: str) -> list[str]:
    """The URLs in a table cell (several separated by ``|``, ``;`` or ``,``).

    Examples
    --------
    >>> _file_urls("https://a.org/1.jpg | https://a.org/2.jpg, ftp://b.org/3.tif")
    ['https://a.org/1.jpg', 'https://a.org/2.jpg', 'ftp://b.org/3.tif']
    """
    if not isinstance(value, str) or "://" not in value:
        return []
    parts = re.split(r"\s*[|;]\s*|\s*,\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)", value.strip())
    return [p for p in parts if "://" in p]


def _apply_column(frame, rule: ColumnRule, by_name, found: _Collector) -> None:
    if rule.column not in frame.columns:
        raise InputError(
            f"the linking column {rule.column!r} is not in the table",
            column=rule.column,
            fix="use one of the table's columns (see Specimens.frame.columns)",
        )
    for pos, value in enumerate(frame[rule.column].astype(str).tolist()):
        for fname in _file_names(value):
            for path in by_name.get(fname.lower(), []):
                if path in found.consumed:
                    continue
                found.consumed.add(path)
                found.add(pos, path, os.path.basename(path), "", rule.name)


def _apply_multimedia(specimens, rule: MultimediaRule, by_name, found: _Collector) -> None:
    exts = specimens.extensions
    row_type = rule.row_type or next((k for k in exts if k in _MULTIMEDIA_TYPES), None)
    if row_type is None or row_type not in exts:
        raise InputError(
            "the specimens have no multimedia extension to link by",
            fix="load a Darwin Core Archive with a Multimedia/Audubon Core extension, "
            "or use PrefixRule/ColumnRule",
        )
    ext = exts[row_type]
    url_col = next((c for c in ("accessURI", "identifier") if c in ext.columns), None)
    if url_col is None or "_core_row" not in ext.columns:
        return
    pos_by_row = pd.Series(range(len(found.frame)), index=found.frame["_row"].to_numpy())
    for core_row, url in zip(
        ext["_core_row"].tolist(), ext[url_col].astype(str).tolist(), strict=True
    ):
        if core_row is None or pd.isna(core_row) or not url.strip():
            continue
        pos = int(pos_by_row[int(core_row)])
        names = _file_names(url)
        local = (
            [p for p in by_name.get(names[0].lower(), []) if p not in found.consumed]
            if names
            else []
        )
        if local:
            found.consumed.add(local[0])
            found.add(pos, local[0], os.path.basename(local[0]), "", rule.name, url=url.strip())
        else:
            found.add(pos, "", "", "", rule.name, url=url.strip())


class MediaLinks:
    """The result of :func:`link_media`: which file (or online medium) belongs to which specimen.

    The links own their files: :class:`~specpub.specimens.Specimens` knows nothing of
    them. They are saved beside the specimens (``specimens/links.csv`` …) with the
    fingerprint of the table they were made for, so links made for an earlier load of
    the table are refused (:meth:`load`) instead of silently pointing at other rows.

    Attributes
    ----------
    links
        One row per linked file (or online medium): :data:`LINK_COLUMNS`.
    unlinked_specimens
        Specimens (``_row``, ``catalogNumber``) without any file.
    unlinked_files
        Media files no specimen matched (``path``, ``name``, ``reason``).
    ambiguous
        Files whose catalogue number belongs to several specimens (not linked).
    info
        Folders, rules and counts.

    Examples
    --------
    >>> empty = pd.DataFrame(columns=LINK_COLUMNS)
    >>> ml = MediaLinks(empty, unlinked_specimens=pd.DataFrame({"_row": [2]}),
    ...                 unlinked_files=pd.DataFrame(), ambiguous=pd.DataFrame(), info={})
    >>> ml.summary()["specimens_without_files"]
    1
    """

    def __init__(
        self,
        links: pd.DataFrame,
        *,
        unlinked_specimens: pd.DataFrame,
        unlinked_files: pd.DataFrame,
        ambiguous: pd.DataFrame,
        info: dict[str, Any],
    ) -> None:
        self.links = links
        self.unlinked_specimens = unlinked_specimens
        self.unlinked_files = unlinked_files
        self.ambiguous = ambiguous
        self.info = dict(info)

    def __len__(self) -> int:
        return len(self.links)

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`links`.

        Examples
        --------
        >>> _demo_links().to_frame()["name"].tolist()
        ['A1.jpg']
        """
        return self.links.copy()

    def summary(self) -> dict[str, Any]:
        """Counts: files linked, specimens with/without files, unmatched, ambiguous, by role.

        Examples
        --------
        >>> s = _demo_links().summary()
        >>> s["files_linked"], s["specimens_without_files"], s["by_role"]
        (1, 1, {'access': 1})
        """
        links = self.links
        return {
            **{k: v for k, v in self.info.items()},
            "files_linked": int((links["path"].astype(str) != "").sum()) if len(links) else 0,
            "online_media_linked": int((links["path"].astype(str) == "").sum())
            if len(links)
            else 0,
            "specimens_with_files": int(links["_row"].nunique()) if len(links) else 0,
            "specimens_without_files": len(self.unlinked_specimens),
            "files_without_specimen": len(self.unlinked_files),
            "ambiguous_files": len(self.ambiguous),
            "by_role": {str(k): int(v) for k, v in links["role"].value_counts().items()}
            if len(links)
            else {},
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"<MediaLinks {len(self.links)} links for {s['specimens_with_files']} specimens; "
            f"{s['specimens_without_files']} specimens without files, "
            f"{s['files_without_specimen']} files without specimen, "
            f"{s['ambiguous_files']} ambiguous>"
        )

    def _repr_html_(self) -> str:
        body = self.links.head(10).to_html(escape=True, index=False)
        return f"<div><p><b>{html.escape(repr(self))}</b></p>{body}</div>"

    def save(self, workspace: Workspace | str | Path) -> Path:
        """Write ``specimens/links.csv``, ``unlinked_specimens.csv``, ``unlinked_files.csv``,
        ``ambiguous_files.csv`` and ``links_summary.json``; returns the folder.

        Examples
        --------
        >>> import tempfile
        >>> folder = _demo_links().save(tempfile.mkdtemp())
        >>> sorted(p.name for p in folder.iterdir())[:2]
        ['ambiguous_files.csv', 'links.csv']
        """
        ws = workspace if isinstance(workspace, Workspace) else Workspace.open_or_create(workspace)
        folder = ws.stage_dir("specimens")
        atomic_write_text(folder / "links.csv", self.links.to_csv(index=False))
        atomic_write_text(
            folder / "unlinked_specimens.csv", self.unlinked_specimens.to_csv(index=False)
        )
        atomic_write_text(folder / "unlinked_files.csv", self.unlinked_files.to_csv(index=False))
        atomic_write_text(folder / "ambiguous_files.csv", self.ambiguous.to_csv(index=False))
        ws.write_json("specimens", "links_summary.json", self.summary())
        return folder

    @classmethod
    def load(cls, workspace: Workspace | str | Path) -> MediaLinks:
        """Read what :meth:`save` wrote.

        Examples
        --------
        >>> import tempfile
        >>> ws = Workspace.create(tempfile.mkdtemp())
        >>> _ = _demo_links().save(ws)
        >>> MediaLinks.load(ws).links["catalogNumber"].tolist()
        ['A1']
        """
        ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
        folder = ws.root / "specimens"
        if not (folder / "links_summary.json").is_file():
            raise InputError(
                "the workspace has no media links",
                file=str(ws.root),
                fix="run `specpub load TABLE --workspace DIR --media IMAGE_FOLDER` "
                "(or link_media(...).save(workspace))",
            )

        def read(name: str, columns: list[str]) -> pd.DataFrame:
            path = folder / name
            if not path.is_file() or path.stat().st_size == 0:
                return pd.DataFrame(columns=columns)
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
            if "_row" in df.columns:
                df["_row"] = df["_row"].astype("int64")
            return df

        summary = ws.read_json("specimens", "links_summary.json")
        _check_fresh(ws, summary.get("specimens_fingerprint"))
        info_keys = (
            "folders",
            "rules",
            "files_scanned",
            "media_files",
            "non_media_files_skipped",
            "specimens",
            "specimens_fingerprint",
        )
        return cls(
            read("links.csv", LINK_COLUMNS),
            unlinked_specimens=read("unlinked_specimens.csv", ["_row", "catalogNumber"]),
            unlinked_files=read("unlinked_files.csv", ["path", "name", "reason"]),
            ambiguous=read("ambiguous_files.csv", ["path", "name", "candidates", "rows"]),
            info={k: summary[k] for k in info_keys if k in summary},
        )

    def with_local_files(
        self, local: Mapping[str, str], new: pd.DataFrame | None = None
    ) -> MediaLinks:
        """A copy whose online media (``url`` without ``path``) point at downloaded files.

        Parameters
        ----------
        local
            URL → local path (``specpub fetch-media``'s cache).
        new
            URLs found outside the links (table columns such as ``associatedMedia``):
            rows with ``url``, ``_row``, ``catalogNumber``; each becomes a link (rule ``url``).

        Examples
        --------
        >>> links = pd.DataFrame([(2, "A1", "", "", "", "", "other", "multimedia", "",
        ...                        "https://x.org/a.jpg", "t.csv")], columns=LINK_COLUMNS)
        >>> ml = MediaLinks(links, unlinked_specimens=pd.DataFrame(),
        ...                 unlinked_files=pd.DataFrame(), ambiguous=pd.DataFrame(), info={})
        >>> out = ml.with_local_files({"https://x.org/a.jpg": "/ws/media/cache/A1_1.jpg"})
        >>> out.links.loc[0, ["path", "name", "role"]].tolist()
        ['/ws/media/cache/A1_1.jpg', 'A1_1.jpg', 'access']
        """
        links = self.links.copy()
        for i, (url, path) in enumerate(zip(links["url"], links["path"], strict=True)):
            target = local.get(str(url)) if url else None
            if target and not (isinstance(path, str) and path):
                name = os.path.basename(target)
                ext = _split_name(name)[1]
                links.loc[i, ["path", "name", "extension", "role"]] = [
                    target,
                    name,
                    ext,
                    guess_role(ext),
                ]
        if new is not None and len(new):
            known = set(links["url"].astype(str))
            extra = []
            for url, row, cat in zip(new["url"], new["_row"], new["catalogNumber"], strict=True):
                if url in known or url not in local:
                    continue
                name = os.path.basename(local[url])
                ext = _split_name(name)[1]
                extra.append(
                    (int(row), cat, local[url], name, ext, "", guess_role(ext), "url", "", url, "")
                )
            if extra:
                links = pd.concat([links, pd.DataFrame(extra, columns=LINK_COLUMNS)])
                links = links.sort_values(["_row", "name"], kind="stable").reset_index(drop=True)
        linked = set(links["_row"])
        unlinked = self.unlinked_specimens
        if len(unlinked):
            unlinked = unlinked[~unlinked["_row"].astype("int64").isin(linked)]
        return MediaLinks(
            links,
            unlinked_specimens=unlinked.reset_index(drop=True),
            unlinked_files=self.unlinked_files,
            ambiguous=self.ambiguous,
            info=self.info,
        )

    @staticmethod
    def discard(workspace: Workspace | str | Path) -> None:
        """Remove the saved links (when a table is loaded again without linking).

        Examples
        --------
        >>> import tempfile
        >>> MediaLinks.discard(Workspace.create(tempfile.mkdtemp()))
        """
        ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
        for name in _LINK_FILES:
            (ws.root / "specimens" / name).unlink(missing_ok=True)


def _check_fresh(ws: Workspace, fingerprint: str | None) -> None:
    """Refuse links made for another load of the table (their rows would not match)."""
    summary_path = ws.root / "specimens" / "summary.json"
    if not fingerprint or not summary_path.is_file():
        return
    current = ws.read_json("specimens", "summary.json").get("fingerprint")
    if current and current != fingerprint:
        raise InputError(
            "the media links were made for an earlier load of the specimen table; its rows "
            "may have changed",
            file=str(ws.root / "specimens" / "links.csv"),
            fix="link the media again: `specpub load TABLE --workspace WS --media DIR` "
            "(or specpub.link(ws, [DIR]))",
        )


def _demo_links() -> MediaLinks:
    """A tiny result for the examples above (no files are touched)."""
    links = pd.DataFrame(
        [(2, "A1", "/m/A1.jpg", "A1.jpg", ".jpg", "", "access", "prefix", "", "", "t.csv")],
        columns=LINK_COLUMNS,
    )
    return MediaLinks(
        links,
        unlinked_specimens=pd.DataFrame({"_row": [3], "catalogNumber": ["A2"]}),
        unlinked_files=pd.DataFrame(columns=["path", "name", "reason"]),
        ambiguous=pd.DataFrame(columns=["path", "name", "candidates", "rows"]),
        info={"folders": ["/m"], "rules": ["prefix"]},
    )
