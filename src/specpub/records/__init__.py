"""specpub.records: specimen rows → checked records, exactly as they will be deposited.

- :mod:`~specpub.records.presets`: how a collection's rows become records, as TOML
  files selected by name (:func:`load_preset`, :func:`list_presets`).
- :func:`build_records`: one :class:`~specpub.records.model.Record` per specimen,
  rendered as the legacy and the native payload from one code path
  (:func:`to_legacy`, :func:`to_native`), with a JSON-LD sidecar holding the full
  Darwin Core row, and checked as Zenodo would check it (:func:`check_payload`,
  :func:`check_files`).
- :func:`preview`: an HTML page per record, close to a Zenodo landing page, and a
  paged gallery of a batch; :func:`diff_payloads` for edits and new versions.

It knows metadata and nothing of HTTP.

Examples
--------
>>> from specpub.records import build_payloads, PayloadOptions
>>> build_payloads({"catalogNumber": "A1"}, PayloadOptions(publication_date="2026-01-01")
...                ).legacy["metadata"]["title"]
'Specimen (A1)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specpub._lazy import lazy_names

# Imported on first use (specpub._lazy): a submodule, a worker process or the command
# line does not pay for the whole package.
_HOMES = {
    "specpub.records.build": ("build_records", "build_workspace_records"),
    "specpub.records.checks": ("CHECKS", "check_files", "check_payload"),
    "specpub.records.custom_fields": ("CUSTOM_FIELD_TYPES", "to_custom_fields"),
    "specpub.records.model": ("Finding", "Record"),
    "specpub.records.payloads": (
        "PayloadOptions",
        "Payloads",
        "build_payloads",
        "to_legacy",
        "to_native",
    ),
    "specpub.records.presets": (
        "DEFAULT_PRESET",
        "Preset",
        "list_presets",
        "load_preset",
        "register_preset",
    ),
    "specpub.records.result": ("BuiltRecord", "Records"),
    "specpub.records.spec": ("FileSpec", "RecordSpec"),
}
__getattr__, __dir__ = lazy_names(__name__, _HOMES)

if TYPE_CHECKING:  # pragma: no cover - what the lazy names are, for type checkers
    from specpub.records.build import build_records, build_workspace_records
    from specpub.records.checks import CHECKS, check_files, check_payload
    from specpub.records.custom_fields import CUSTOM_FIELD_TYPES, to_custom_fields
    from specpub.records.model import Finding, Record
    from specpub.records.payloads import (
        PayloadOptions,
        Payloads,
        build_payloads,
        to_legacy,
        to_native,
    )
    from specpub.records.presets import (
        DEFAULT_PRESET,
        Preset,
        list_presets,
        load_preset,
        register_preset,
    )
    from specpub.records.result import BuiltRecord, Records
    from specpub.records.spec import FileSpec, RecordSpec

__all__ = [
    "CHECKS",
    "CUSTOM_FIELD_TYPES",
    "DEFAULT_PRESET",
    "BuiltRecord",
    "FileSpec",
    "Finding",
    "PayloadOptions",
    "Payloads",
    "Preset",
    "Record",
    "RecordSpec",
    "Records",
    "build_payloads",
    "build_records",
    "build_workspace_records",
    "check_files",
    "check_payload",
    "list_presets",
    "load_preset",
    "register_preset",
    "to_custom_fields",
    "to_legacy",
    "to_native",
]
