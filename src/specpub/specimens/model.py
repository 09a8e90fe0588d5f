"""The :class:`Specimens` result: mapped table, mapping, flags, warnings; saved to a workspace.

Workspace files (plain, readable by pandas without specpub)::

    specimens/specimens.parquet   the mapped table (all values strings; _row is an int)
    specimens/flags.csv           one row per finding (see specpub.specimens.flags)
    specimens/mapping.json        source column → term, how matched (list of records)
    specimens/summary.json        counts, source info, warnings
    specimens/ext_<name>.parquet  Darwin Core Archive extension tables, if any

Media links are saved beside these files by their owner,
:class:`specpub.specimens.linking.MediaLinks`; a specimen table knows nothing of
its media (``summary.json`` holds the table's ``fingerprint``, which links made for
it record).

Examples
--------
>>> import pandas as pd, tempfile
>>> from specpub.workspace import Workspace
>>> frame = pd.DataFrame({"catalogNumber": ["A1"], "_row": [2], "_source": ["t.csv"]})
>>> sp = Specimens(frame, mapping=pd.DataFrame(), flags=pd.DataFrame())
>>> ws = Workspace.create(tempfile.mkdtemp())
>>> _ = sp.save(ws)
>>> Specimens.load(ws).frame["catalogNumber"].tolist()
['A1']
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from specpub.errors import InputError
from specpub.specimens.flags import FLAG_COLUMNS, FLAGS
from specpub.specimens.mapping import MAPPING_COLUMNS
from specpub.workspace import Workspace, atomic_write_bytes, atomic_write_text

__all__ = ["Specimens"]

_STAGE = "specimens"
_NO_LINKS = (
    "Specimens do not carry media links: keep the MediaLinks that link_media returns, save it "
    "with links.save(ws) and read it back with MediaLinks.load(ws)"
)


def _as_workspace(workspace: Workspace | str | Path, *, create: bool) -> Workspace:
    if isinstance(workspace, Workspace):
        return workspace
    return Workspace.open_or_create(workspace) if create else Workspace.open(workspace)


class Specimens:
    """A specimen table mapped to Darwin Core, with its quality flags.

    Built by :func:`specpub.specimens.load_specimens`; most users never call the
    constructor.

    Parameters
    ----------
    frame
        One row per specimen. Columns: Darwin Core terms by short name
        (``catalogNumber``, ``eventDate`` …), unknown source columns under their
        own names, ``eventDate_verbatim``/``eventDate_edtf`` when dates were
        normalised, ``_row`` (source row, 1-based, header = 1) and ``_source``
        (file name); archives add ``_id`` (the core id).
    mapping
        Source column → term (:data:`specpub.specimens.mapping.MAPPING_COLUMNS`).
    flags
        One row per finding (:data:`specpub.specimens.flags.FLAG_COLUMNS`).
    warnings
        Things the reader worked around (encoding fallback, skipped blank lines …).
    info
        How the source was read (format, file, encoding, delimiter, sheet …).
    extensions
        Archive extension tables by row type (``_coreid``, ``_core_row`` …).

    Examples
    --------
    >>> frame = pd.DataFrame({"catalogNumber": ["A1", ""], "_row": [2, 3], "_source": "t.csv"})
    >>> flags = pd.DataFrame([{"flag": "CATALOG_NUMBER_MISSING", "severity": "error", "row": 3}])
    >>> sp = Specimens(frame, mapping=pd.DataFrame(), flags=flags)
    >>> len(sp), sp.summary()["flags"]
    (2, {'CATALOG_NUMBER_MISSING': 1})
    >>> sp.flag_summary()[["flag", "count"]].values.tolist()
    [['CATALOG_NUMBER_MISSING', 1]]
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        mapping: pd.DataFrame,
        flags: pd.DataFrame,
        warnings: list[str] | None = None,
        info: Mapping[str, Any] | None = None,
        extensions: Mapping[str, pd.DataFrame] | None = None,
    ) -> None:
        self.frame = frame
        self.mapping = mapping.reindex(columns=MAPPING_COLUMNS) if mapping.empty else mapping
        self.flags = flags.reindex(columns=FLAG_COLUMNS) if flags.empty else flags
        self.warnings = list(warnings or [])
        self.info = dict(info or {})
        self.extensions = dict(extensions or {})

    # -- views ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.frame)

    def to_frame(self) -> pd.DataFrame:
        """A copy of the specimen table.

        Examples
        --------
        >>> sp = Specimens(pd.DataFrame({"catalogNumber": ["A1"]}), mapping=pd.DataFrame(),
        ...                flags=pd.DataFrame())
        >>> sp.to_frame().shape
        (1, 1)
        """
        return self.frame.copy()

    @property
    def terms(self) -> list[str]:
        """The Darwin Core terms the table's columns were mapped to, in column order.

        Examples
        --------
        >>> from specpub.specimens.mapping import plan_mapping
        >>> sp = Specimens(pd.DataFrame(), mapping=plan_mapping(["Barcode", "x"]),
        ...                flags=pd.DataFrame())
        >>> sp.terms
        ['catalogNumber']
        """
        if self.mapping.empty:
            return []
        return [t for t in self.mapping["term"].tolist() if isinstance(t, str) and t]

    def flag_summary(self) -> pd.DataFrame:
        """Counts per flag id: ``flag``, ``severity``, ``count``, ``rows`` (distinct rows),
        ``meaning``; errors first, then by count.

        Examples
        --------
        >>> Specimens(pd.DataFrame(), mapping=pd.DataFrame(), flags=pd.DataFrame()).flag_summary()
        Empty DataFrame
        Columns: [flag, severity, count, rows, meaning]
        Index: []
        """
        cols = ["flag", "severity", "count", "rows", "meaning"]
        if self.flags.empty:
            return pd.DataFrame(columns=cols)
        flags = self.flags
        keys = flags["row"].astype(str)
        if "source" in flags.columns:
            keys = flags["source"].astype(str) + ":" + keys
        grouped = flags.assign(_key=keys).groupby(["flag", "severity"], sort=False)
        out = grouped.agg(count=("flag", "size"), rows=("_key", "nunique")).reset_index()
        out["meaning"] = out["flag"].map(lambda f: FLAGS[f].meaning if f in FLAGS else "")
        order = {"error": 0, "warning": 1, "info": 2}
        out["_o"] = out["severity"].map(order).fillna(3)
        out = out.sort_values(["_o", "count", "flag"], ascending=[True, False, True])
        return out[cols].reset_index(drop=True)

    def rows_with(self, severity: str = "error") -> pd.Index:
        """Source row numbers (``_row``) that have at least one flag of ``severity``.

        Examples
        --------
        >>> flags = pd.DataFrame([{"flag": "X", "severity": "error", "row": 3}])
        >>> Specimens(pd.DataFrame(), mapping=pd.DataFrame(), flags=flags).rows_with().tolist()
        [3]
        """
        if self.flags.empty:
            return pd.Index([], dtype="int64")
        mine = self.flags
        if "source" in mine.columns and "_source" in self.frame.columns and len(self.frame):
            core_sources = set(self.frame["_source"].unique())
            mine = mine[mine["source"].isin(core_sources) | mine["source"].isna()]
        return pd.Index(sorted(mine.loc[mine["severity"] == severity, "row"].unique()))

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary: rows, columns, mapped terms, flags by id, warnings, links.

        Examples
        --------
        >>> sp = Specimens(pd.DataFrame({"catalogNumber": ["A1"]}), mapping=pd.DataFrame(),
        ...                flags=pd.DataFrame())
        >>> sp.summary()["rows"]
        1
        """
        flags = self.flags
        by_id = (
            {}
            if flags.empty
            else {str(k): int(v) for k, v in flags["flag"].value_counts(sort=True).items()}
        )
        by_sev = (
            {}
            if flags.empty
            else {str(k): int(v) for k, v in flags["severity"].value_counts().items()}
        )
        unmapped = []
        if not self.mapping.empty:
            unmapped = self.mapping.loc[self.mapping["term"].fillna("") == "", "column"].tolist()
        out: dict[str, Any] = {
            "source": {k: v for k, v in self.info.items() if k != "columns"},
            "rows": len(self.frame),
            "columns": int(self.info.get("columns", len(self.mapping))),
            "mapped_terms": self.terms,
            "unmapped_columns": unmapped,
            "flags": by_id,
            "flags_by_severity": by_sev,
            "rows_with_errors": len(self.rows_with("error")),
            "warnings": list(self.warnings),
            "extensions": {k: len(v) for k, v in self.extensions.items()},
        }
        return out

    @property
    def links(self) -> Any:
        """Gone: media links are their own object (:class:`~specpub.specimens.MediaLinks`).

        Examples
        --------
        >>> sp = Specimens(pd.DataFrame(), mapping=pd.DataFrame(), flags=pd.DataFrame())
        >>> hasattr(sp, "links")
        False
        """
        raise AttributeError(_NO_LINKS)

    @links.setter
    def links(self, value: Any) -> None:
        raise AttributeError(_NO_LINKS)

    def fingerprint(self) -> str:
        """A short hash of the table's rows and catalogue numbers (what media links were
        made for).

        Examples
        --------
        >>> a = Specimens(pd.DataFrame({"catalogNumber": ["A1"], "_row": [2]}),
        ...               mapping=pd.DataFrame(), flags=pd.DataFrame())
        >>> len(a.fingerprint())
        16
        """
        cols = [c for c in ("_row", "catalogNumber", "_source") if c in self.frame.columns]
        digest = hashlib.sha256(str(len(self.frame)).encode())
        if cols and len(self.frame):
            hashed = pd.util.hash_pandas_object(self.frame[cols].astype(str), index=False)
            digest.update(hashed.to_numpy().tobytes())
        return digest.hexdigest()[:16]

    def __repr__(self) -> str:
        s = self.summary()
        src = s["source"].get("file", "?")
        errors = s["flags_by_severity"].get("error", 0)
        warns = s["flags_by_severity"].get("warning", 0)
        return (
            f"<Specimens {s['rows']} rows from {Path(str(src)).name!r}: "
            f"{len(s['mapped_terms'])} terms mapped, {len(s['unmapped_columns'])} columns kept "
            f"as is; {errors} errors, {warns} warnings>"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        esc = html.escape
        head = esc(repr(self))
        rows = "".join(
            f"<tr><td>{esc(str(r.flag))}</td><td>{esc(str(r.severity))}</td>"
            f"<td>{int(r.count)}</td><td>{esc(str(r.meaning))}</td></tr>"
            for r in self.flag_summary().itertuples()
        )
        table = (
            "<table><thead><tr><th>flag</th><th>severity</th><th>count</th><th>meaning</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
            if rows
            else "<p>No flags.</p>"
        )
        warn = "".join(f"<li>{esc(w)}</li>" for w in s["warnings"])
        preview = self.frame.head(5).to_html(escape=True, index=False, max_cols=12)
        return (
            f"<div class='specpub-specimens'><p><b>{head}</b></p>{table}"
            + (f"<ul>{warn}</ul>" if warn else "")
            + preview
            + "</div>"
        )

    # -- persistence ---------------------------------------------------------------------
    def save(self, workspace: Workspace | str | Path) -> Path:
        """Save to the ``specimens/`` folder of a workspace (created if needed).

        Returns the folder.

        Examples
        --------
        >>> import tempfile
        >>> sp = Specimens(pd.DataFrame({"catalogNumber": ["A1"], "_row": [2]}),
        ...                mapping=pd.DataFrame(), flags=pd.DataFrame())
        >>> folder = sp.save(tempfile.mkdtemp())
        >>> sorted(p.name for p in folder.iterdir())
        ['flags.csv', 'mapping.json', 'specimens.parquet', 'summary.json']
        """
        ws = _as_workspace(workspace, create=True)
        folder = ws.stage_dir(_STAGE)
        _write_parquet(folder / "specimens.parquet", self.frame)
        atomic_write_text(folder / "flags.csv", self.flags.to_csv(index=False))
        ws.write_json(_STAGE, "mapping.json", _records(self.mapping))
        ext_files = {}
        for i, (row_type, ext) in enumerate(self.extensions.items(), start=1):
            name = f"ext_{i}_{_slug(row_type)}.parquet"
            _write_parquet(folder / name, ext)
            ext_files[row_type] = name
        summary = self.summary()
        summary["extension_files"] = ext_files
        summary["info"] = self.info
        summary["fingerprint"] = self.fingerprint()
        ws.write_json(_STAGE, "summary.json", summary)
        for old in folder.glob("ext_*.parquet"):  # extensions of an earlier archive
            if old.name not in ext_files.values():
                old.unlink()
        return folder

    @classmethod
    def load(cls, workspace: Workspace | str | Path) -> Specimens:
        """Load what :meth:`save` wrote.

        Raises
        ------
        InputError
            The workspace has no saved specimens.

        Examples
        --------
        >>> import tempfile
        >>> ws = Workspace.create(tempfile.mkdtemp())
        >>> Specimens.load(ws)
        Traceback (most recent call last):
        ...
        specpub.errors.InputError: ...: the workspace has no loaded specimens. Fix: ...
        """
        ws = _as_workspace(workspace, create=False)
        folder = ws.root / _STAGE
        table = folder / "specimens.parquet"
        if not table.is_file():
            raise InputError(
                "the workspace has no loaded specimens",
                file=str(ws.root),
                fix="run `specpub load TABLE --workspace DIR` first",
            )
        frame = pd.read_parquet(table)
        flags = (
            pd.read_csv(folder / "flags.csv", dtype=str, keep_default_na=False)
            if (folder / "flags.csv").is_file()
            else pd.DataFrame(columns=FLAG_COLUMNS)
        )
        if not flags.empty:
            flags["row"] = flags["row"].astype("int64")
        mapping = pd.DataFrame(ws.read_json(_STAGE, "mapping.json"), columns=MAPPING_COLUMNS)
        summary = ws.read_json(_STAGE, "summary.json")
        extensions = {
            row_type: pd.read_parquet(folder / name)
            for row_type, name in summary.get("extension_files", {}).items()
        }
        return cls(
            frame,
            mapping=mapping.fillna(""),
            flags=flags,
            warnings=summary.get("warnings", []),
            info=summary.get("info", {}),
            extensions=extensions,
        )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", force_ascii=False)) if len(frame) else []


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text.rstrip("/").rsplit("/", 2)[-1] or "ext").strip("_")


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    import io

    buf = io.BytesIO()
    frame.reset_index(drop=True).to_parquet(buf, index=False)
    atomic_write_bytes(path, buf.getvalue())
