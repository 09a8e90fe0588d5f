"""The workspace: one folder per publication project.

A workspace holds every stage's output and the upload ledger, in plain,
documented files that pandas can read without specpub::

    WS/
      workspace.json          format version, creation time, free-form settings (never secrets)
      specimens/              specimens.parquet, flags.csv, links.csv, mapping.json, summary.json
      media/                  manifest.parquet, ...
      preservation/           report.parquet, ...
      records/                payloads, sidecars, preview
      ledger.sqlite           the batch ledger (SQLite, WAL)
      reports/                batch reports (CSV, HTML)

Any notebook, papermill run or CLI command can open the same workspace and
pick up where another stopped.

Examples
--------
>>> import tempfile, pathlib
>>> ws = Workspace.create(pathlib.Path(tempfile.mkdtemp()) / "ws")
>>> ws.stage_dir("specimens").name
'specimens'
>>> Workspace.open(ws.root).settings
{}
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from specpub.errors import InputError

__all__ = ["STAGES", "Workspace", "atomic_write_bytes", "atomic_write_text"]

#: The stage folders of a workspace, in the order data flows.
STAGES = ("specimens", "media", "preservation", "records", "reports")

_MARKER = "workspace.json"
_FORMAT = 1
# Keys that must never be stored in a workspace (secrets travel by env var name only).
_FORBIDDEN_SETTING_WORDS = ("token", "password", "secret")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder + rename).

    A crash leaves either the old file or the new one, never half of one.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> atomic_write_bytes(p, b"hi"); p.read_bytes()
    b'hi'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.json"
    >>> atomic_write_text(p, "{}"); p.read_text()
    '{}'
    """
    atomic_write_bytes(path, text.encode("utf-8"))


class Workspace:
    """A publication project's folder.

    Use :meth:`create` to make a new one (or adopt an existing empty folder),
    :meth:`open` to open an existing one, or :meth:`open_or_create`.

    Parameters
    ----------
    root
        The workspace folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "herbarium-2026"
    >>> ws = Workspace.open_or_create(root)
    >>> ws.ledger_path.name
    'ledger.sqlite'
    >>> ws.update_settings(target="embedded")
    >>> Workspace.open(root).settings["target"]
    'embedded'
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().resolve()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    def __fspath__(self) -> str:
        return str(self.root)

    # -- construction -----------------------------------------------------------------
    @classmethod
    def create(cls, root: Path | str) -> Workspace:
        """Create a workspace at ``root`` (the folder may exist if it holds no other workspace)."""
        ws = cls(root)
        if ws.root.exists() and not ws.root.is_dir():
            raise InputError(
                "the workspace path exists and is not a folder",
                file=str(ws.root),
                fix="choose another --workspace path",
            )
        ws.root.mkdir(parents=True, exist_ok=True)
        if not (ws.root / _MARKER).exists():
            ws._write_meta(
                {
                    "format": _FORMAT,
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                    "settings": {},
                }
            )
        return ws

    @classmethod
    def open(cls, root: Path | str) -> Workspace:
        """Open an existing workspace; raise :class:`InputError` if there is none."""
        ws = cls(root)
        if not (ws.root / _MARKER).is_file():
            raise InputError(
                "this folder is not a specpub workspace (no workspace.json)",
                file=str(ws.root),
                fix="run `specpub load TABLE --workspace DIR` first, or check the path",
            )
        meta = ws._read_meta()
        if meta.get("format", 0) > _FORMAT:
            raise InputError(
                f"the workspace has format {meta.get('format')}, newer than this specpub "
                f"understands ({_FORMAT})",
                file=str(ws.root / _MARKER),
                fix="upgrade specpub",
            )
        return ws

    @classmethod
    def open_or_create(cls, root: Path | str) -> Workspace:
        """Open the workspace at ``root``, creating it if needed."""
        ws = cls(root)
        return cls.open(root) if (ws.root / _MARKER).is_file() else cls.create(root)

    # -- locations --------------------------------------------------------------------
    def stage_dir(self, stage: str, *, create: bool = True) -> Path:
        """The folder of one stage (one of :data:`STAGES`), created on demand."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
        path = self.root / stage
        if create:
            path.mkdir(parents=True, exist_ok=True)
        return path

    def path(self, stage: str, name: str) -> Path:
        """Path of file ``name`` inside stage ``stage`` (the folder is created)."""
        return self.stage_dir(stage) / name

    @property
    def ledger_path(self) -> Path:
        """The SQLite ledger of all batches of this workspace."""
        return self.root / "ledger.sqlite"

    # -- settings ---------------------------------------------------------------------
    @property
    def settings(self) -> dict[str, Any]:
        """Free-form settings saved with the workspace (never secrets)."""
        return dict(self._read_meta().get("settings", {}))

    def update_settings(self, **values: Any) -> None:
        """Merge ``values`` into the saved settings.

        Refuses keys that look like secrets: tokens travel only as the *name*
        of an environment variable (for example ``token_env="ZENODO_TOKEN"``).
        """
        for key in values:
            low = key.lower()
            if any(w in low for w in _FORBIDDEN_SETTING_WORDS) and not low.endswith("_env"):
                raise InputError(
                    f"refusing to store setting {key!r} in the workspace: it looks like a secret",
                    field=key,
                    fix="store the name of an environment variable instead (e.g. token_env)",
                )
        meta = self._read_meta()
        settings = dict(meta.get("settings", {}))
        settings.update(values)
        meta["settings"] = settings
        self._write_meta(meta)

    # -- JSON helpers used by the stages ----------------------------------------------
    def write_json(self, stage: str, name: str, data: Mapping[str, Any] | list[Any]) -> Path:
        """Write ``data`` as pretty JSON into a stage folder, atomically."""
        path = self.path(stage, name)
        atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        return path

    def read_json(self, stage: str, name: str) -> Any:
        """Read a JSON file written by :meth:`write_json`."""
        path = self.root / stage / name
        if not path.is_file():
            raise InputError(
                f"the workspace has no {stage}/{name}",
                file=str(self.root),
                fix=f"run the {stage} stage first",
            )
        return json.loads(path.read_text(encoding="utf-8"))

    # -- internals --------------------------------------------------------------------
    def _read_meta(self) -> dict[str, Any]:
        path = self.root / _MARKER
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"format": _FORMAT, "settings": {}}
        except json.JSONDecodeError as err:
            raise InputError(
                f"workspace.json is not valid JSON ({err.msg} at line {err.lineno})",
                file=str(path),
                fix="repair or delete workspace.json (stage outputs are kept)",
            ) from err

    def _write_meta(self, meta: Mapping[str, Any]) -> None:
        atomic_write_text(self.root / _MARKER, json.dumps(meta, indent=2, default=str) + "\n")
