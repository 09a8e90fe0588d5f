"""specpub.records: specimen metadata → repository payloads.

Knows metadata and nothing of HTTP. Today: Darwin Core → legacy and native
Zenodo payloads (:func:`build_payloads`), specimens + media links → records
for the batch planner (:func:`build_records`) and Zenodo's custom-field whitelist
(:func:`to_custom_fields`). Presets, JSON-LD sidecars and the HTML preview
arrive with the records issue.

Examples
--------
>>> from specpub.records import build_payloads, PayloadOptions
>>> build_payloads({"catalogNumber": "A1"}, PayloadOptions(publication_date="2026-01-01")
...                ).legacy["metadata"]["title"]
'Specimen A1'
"""

from specpub.records.build import Records, build_records
from specpub.records.custom_fields import CUSTOM_FIELD_TYPES, to_custom_fields
from specpub.records.payloads import PayloadOptions, Payloads, build_payloads
from specpub.records.spec import FileSpec, RecordSpec

__all__ = [
    "CUSTOM_FIELD_TYPES",
    "FileSpec",
    "PayloadOptions",
    "Payloads",
    "RecordSpec",
    "Records",
    "build_payloads",
    "build_records",
    "to_custom_fields",
]
