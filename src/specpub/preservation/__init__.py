"""Preservation: identify formats by signature, validate their structure, apply policy profiles.

Zenodo preserves bits and never migrates formats: what is uploaded is what
survives. This package checks, before publication, that each image is what it
claims to be and is fit for preservation, in three layers (``docs/preservation.md``):

1. **Identification** by signature (:mod:`specpub.preservation.identify`): format,
   PRONOM id; an extension that disagrees with the content is a finding.
2. **Structure** (:mod:`specpub.preservation.structure`): one validator per format,
   registered by format name — TIFF/BigTIFF (own IFD walker), JPEG (marker walk),
   PNG (chunk walk, every CRC), JPEG 2000 (jpylyzer) — each finding with a stable
   id (``TIF-12``, ``JPG-04``, ``PNG-04``, ``JP2-05`` …), a severity and evidence.
3. **Policy** (:mod:`specpub.preservation.policy`, :mod:`specpub.preservation.profiles`):
   TOML profiles (``master``, ``master-strict``, ``access``, ``herbarium-master``,
   ``structure``, or your own) say per rule fail / warn / off.

:func:`validate` runs all three over files and folders (each file read once) and
returns a :class:`ValidationReport` (``to_frame()``, ``summary()``, CSV, JSON,
HTML, ``save(workspace)``). Run inside the media scan (``specpub scan
--analyser structure``), the structural checks consume the scan's single read.

Examples
--------
>>> import io
>>> from PIL import Image
>>> from specpub.preservation import validate_bytes
>>> out = io.BytesIO(); Image.new("RGB", (8, 8)).save(out, "PNG")
>>> validate_bytes(out.getvalue()[:-4], "BR1.png", profile="structure").verdict
'fail'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specpub._lazy import lazy_names

# Imported on first use: the media scan's workers import ``preservation.identify`` and
# must not pay for pandas (through the report) in every worker.
_HOMES = {
    "specpub.preservation.findings": ("FINDING_TYPES", "Finding"),
    "specpub.preservation.policy": ("RULES",),
    "specpub.preservation.profiles": ("Profile", "get_profile", "profiles", "register_profile"),
    "specpub.preservation.report": ("FileResult", "ValidationReport"),
    "specpub.preservation.structure": ("check_structure", "register_validator", "validators"),
    "specpub.preservation.validation": ("validate", "validate_bytes", "validate_file"),
}
__getattr__, __dir__ = lazy_names(__name__, _HOMES)

if TYPE_CHECKING:  # pragma: no cover
    from specpub.preservation.findings import FINDING_TYPES, Finding
    from specpub.preservation.policy import RULES
    from specpub.preservation.profiles import Profile, get_profile, profiles, register_profile
    from specpub.preservation.report import FileResult, ValidationReport
    from specpub.preservation.structure import check_structure, register_validator, validators
    from specpub.preservation.validation import validate, validate_bytes, validate_file


__all__ = [
    "FINDING_TYPES",
    "RULES",
    "FileResult",
    "Finding",
    "Profile",
    "ValidationReport",
    "check_structure",
    "get_profile",
    "profiles",
    "register_profile",
    "register_validator",
    "validate",
    "validate_bytes",
    "validate_file",
    "validators",
]
