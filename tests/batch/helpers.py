"""Generate small test records (payloads carry the marker) with tiny files."""

from __future__ import annotations

import os
from pathlib import Path

from specpub.batch.plan import FileSpec, RecordSpec
from specpub.repository.protocol import Marker


def make_specs(
    folder: Path,
    n: int,
    *,
    files: int | tuple[int, ...] = 1,
    prefix: str = "T",
    institution: str = "BR",
    title: str = "Specimen",
) -> list[RecordSpec]:
    """``n`` records with 1..3 tiny files each (``files`` an int or a cycle of counts)."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = (files,) if isinstance(files, int) else files
    specs = []
    for i in range(n):
        cat = f"{prefix}{i:06d}"
        fspecs = []
        for j in range(counts[i % len(counts)]):
            path = folder / f"{cat}_{j}.jpg"
            path.write_bytes(f"{cat}-{j}-".encode() + os.urandom(16))
            fspecs.append(FileSpec.from_path(path))
        specs.append(
            RecordSpec(
                marker=Marker(cat, institution),
                legacy=legacy_payload(cat, institution, title),
                native=native_payload(cat, institution, title),
                files=tuple(fspecs),
            )
        )
    return specs


def legacy_payload(cat: str, institution: str = "BR", title: str = "Specimen") -> dict:
    return {
        "metadata": {
            "upload_type": "image",
            "image_type": "photo",
            "title": f"{title} {cat}",
            "description": f"Herbarium specimen {cat}",
            "creators": [{"name": "Meise Botanic Garden"}],
            "access_right": "open",
            "license": "cc-by-4.0",
            "publication_date": "2026-01-01",
            "custom": {"dwc:catalogNumber": [cat], "dwc:institutionCode": [institution]},
        }
    }


def native_payload(cat: str, institution: str = "BR", title: str = "Specimen") -> dict:
    return {
        "access": {"record": "public", "files": "public"},
        "files": {"enabled": True},
        "metadata": {
            "resource_type": {"id": "image-photo"},
            "title": f"{title} {cat}",
            "publication_date": "2026-01-01",
            "creators": [
                {"person_or_org": {"type": "organizational", "name": "Meise Botanic Garden"}}
            ],
            "rights": [{"id": "cc-by-4.0"}],
        },
        "custom_fields": {"dwc:catalogNumber": [cat], "dwc:institutionCode": [institution]},
    }
