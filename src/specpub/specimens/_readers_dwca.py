"""Darwin Core Archives: ``meta.xml``, core and extension files (stdlib zipfile + ElementTree)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd

from specpub.errors import InputError
from specpub.specimens._readers_text import decode_bytes, parse_delimited


@dataclass
class DwcaField:
    """One ``<field>`` of ``meta.xml``."""

    term: str
    index: int | None
    default: str | None


@dataclass
class DwcaFile:
    """One ``<core>`` or ``<extension>`` of ``meta.xml``."""

    row_type: str
    location: str
    id_index: int | None
    fields: list[DwcaField]
    delimiter: str = ","
    quotechar: str | None = '"'
    encoding: str = "utf-8"
    header_lines: int = 0


@dataclass
class DwcaTable:
    """A core or extension table read from an archive."""

    spec: DwcaFile
    source: str
    header: list[str]
    frame: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    extra: dict[int, int] = field(default_factory=dict)


def _unescape(value: str | None, default: str) -> str:
    if value is None:
        return default
    return (
        value.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\")
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_meta(xml: bytes, file: str) -> tuple[DwcaFile, list[DwcaFile]]:
    """Parse ``meta.xml`` into the core and extension descriptions."""
    try:
        root = ET.fromstring(xml)  # noqa: S314 - stdlib parser, no external entities expanded
    except ET.ParseError as err:
        raise InputError(
            f"meta.xml is not well-formed XML ({err})",
            file=file,
            fix="repair meta.xml (see the Darwin Core Text Guide) or re-export the archive "
            "from the IPT",
        ) from err
    core: DwcaFile | None = None
    extensions: list[DwcaFile] = []
    for node in root:
        kind = _local(node.tag)
        if kind not in ("core", "extension"):
            continue
        spec = _parse_file_node(node, kind, file)
        if kind == "core":
            if core is not None:
                raise InputError(
                    "meta.xml declares more than one <core>", file=file, fix="keep one core"
                )
            core = spec
        else:
            extensions.append(spec)
    if core is None:
        raise InputError(
            "meta.xml declares no <core> file",
            file=file,
            fix="add a <core rowType=…> element with <files><location> and <field>s",
        )
    return core, extensions


def _parse_file_node(node: ET.Element, kind: str, file: str) -> DwcaFile:
    row_type = node.get("rowType", "")
    location = None
    id_index = None
    fields: list[DwcaField] = []
    for child in node.iter():
        tag = _local(child.tag)
        if tag == "location" and location is None and (child.text or "").strip():
            location = (child.text or "").strip()
        elif tag in ("id", "coreid"):
            id_index = _int(child.get("index"), file, f"<{tag}> index")
        elif tag == "field":
            term = child.get("term")
            if not term:
                raise InputError(
                    f"a <field> of the <{kind}> has no term attribute",
                    file=file,
                    fix="give every <field> a term=… URI",
                )
            index = child.get("index")
            fields.append(
                DwcaField(
                    term,
                    None if index is None else _int(index, file, f"<field> {term} index"),
                    child.get("default"),
                )
            )
    if location is None:
        raise InputError(
            f"the <{kind}> {row_type or ''} has no <files><location>",
            file=file,
            fix="name its data file in <files><location>…</location></files>",
        )
    if kind == "extension" and id_index is None:
        raise InputError(
            f"the extension {row_type} has no <coreid index=…>",
            file=file,
            fix='add <coreid index="0"/> pointing at the column holding the core id',
        )
    enclosed = node.get("fieldsEnclosedBy")
    return DwcaFile(
        row_type=row_type,
        location=location,
        id_index=id_index,
        fields=fields,
        delimiter=_unescape(node.get("fieldsTerminatedBy"), ","),
        quotechar=None if enclosed == "" else _unescape(enclosed, '"'),
        encoding=node.get("encoding") or "utf-8",
        header_lines=_int(node.get("ignoreHeaderLines") or "0", file, "ignoreHeaderLines"),
    )


def _int(value: str | None, file: str, what: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError as err:
        raise InputError(
            f"{what} is {value!r}, not a whole number", file=file, fix="correct meta.xml"
        ) from err


class _Archive:
    """A zip file or an extracted folder, read by member name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._prefix = ""
        if path.is_dir():
            return
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as err:
            raise InputError(
                f"cannot open the archive ({err})",
                file=str(path),
                fix="check the file is a complete .zip (download it again from the IPT)",
            ) from err
        names = self._zip.namelist()
        if "meta.xml" not in names:
            nested = [n for n in names if n.endswith("/meta.xml")]
            if len(nested) == 1:
                self._prefix = nested[0][: -len("meta.xml")]

    def names(self) -> list[str]:
        if self._zip is None:
            return [p.name for p in self.path.iterdir()]
        return [n[len(self._prefix) :] for n in self._zip.namelist() if n.startswith(self._prefix)]

    def read(self, name: str) -> bytes | None:
        if self._zip is None:
            target = self.path / name
            return target.read_bytes() if target.is_file() else None
        try:
            return self._zip.read(self._prefix + name)
        except KeyError:
            return None
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise InputError(
                f"cannot read {name} from the archive ({err})",
                file=str(self.path),
                fix="the archive is damaged; download or export it again",
            ) from err

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def read_dwca(path: Path) -> tuple[DwcaTable, list[DwcaTable]]:
    """Read an archive (zip or folder): the core table and every extension table."""
    archive = _Archive(path)
    try:
        meta = archive.read("meta.xml")
        if meta is None:
            raise InputError(
                "the archive has no meta.xml, so its columns cannot be mapped to terms",
                file=str(path),
                fix="export a complete Darwin Core Archive from the IPT, or pass the core "
                "data file (e.g. occurrence.txt) directly as a table",
            )
        core_spec, ext_specs = parse_meta(meta, f"{path}:meta.xml")
        core = _read_member(archive, core_spec, path)
        extensions = [_read_member(archive, spec, path) for spec in ext_specs]
    finally:
        archive.close()
    return core, extensions


def _read_member(archive: _Archive, spec: DwcaFile, path: Path) -> DwcaTable:
    source = f"{path.name}:{spec.location}"
    data = archive.read(spec.location)
    if data is None:
        raise InputError(
            f"meta.xml names the data file {spec.location!r}, but the archive does not hold it",
            file=str(path),
            fix="add the file to the archive or correct <location> in meta.xml "
            f"(the archive holds: {', '.join(sorted(archive.names()))})",
        )
    decoded = decode_bytes(data, source, encoding=spec.encoding or None)
    utf8 = decoded.utf8(data) if spec.encoding.lower().replace("_", "-") != "utf-8" else data
    if utf8.startswith(b"\xef\xbb\xbf"):
        utf8 = utf8[3:]
    del decoded
    if not utf8.strip():
        header: list[str] = []
        frame = pd.DataFrame({"_row": pd.Series([], dtype=int)})
        return DwcaTable(spec, source, header, frame, [f"{source}: the data file is empty"])
    header, frame, warnings, extra = parse_delimited(
        utf8,
        source,
        delimiter=spec.delimiter,
        quotechar=spec.quotechar,
        header_lines=spec.header_lines,
    )
    return DwcaTable(spec, source, header, frame, warnings, extra)
