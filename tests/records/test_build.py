"""Specimens + media links → records for the batch planner."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from specpub.batch.plan import plan_records
from specpub.records import PayloadOptions, build_records
from specpub.specimens import link_media, load_specimens
from specpub.workspace import Workspace

OPTS = PayloadOptions(institution_name="Demo", publication_date="2026-01-01")


def _build(demo_collection):
    sp = load_specimens(demo_collection.table, progress=None)
    folders = [demo_collection.masters, demo_collection.access, demo_collection.segmentations]
    return sp, build_records(sp, link_media(sp, folders, progress=None), OPTS)


def test_every_row_is_a_record_or_skipped_with_a_reason(demo_collection):
    sp, recs = _build(demo_collection)
    assert len(recs.specs) + len(recs.skipped) == len(sp)
    assert recs.skipped["reason"].notna().all()
    assert recs.skipped["fix"].str.len().gt(0).all()


def test_unsafe_markers_are_never_published(demo_collection):
    _, recs = _build(demo_collection)
    markers = [s.marker for s in recs.specs]
    assert len(markers) == len(set(markers)), "a marker shared by two records breaks idempotency"
    assert all(m.catalog_number.strip() for m in markers)
    # rows_with gives 0-based indices; spreadsheet rows start at 2 (header = 1)
    unsafe = {
        i + 2
        for k in ("catalogNumber_duplicate", "catalogNumber_missing")
        for i in demo_collection.rows_with(k)
    }
    assert unsafe
    assert unsafe <= set(recs.skipped["_row"])


def test_error_flags_block_and_name_the_flag(demo_collection):
    _, recs = _build(demo_collection)
    flagged = recs.skipped[recs.skipped["reason"].str.startswith("quality flag")]
    assert flagged["reason"].str.contains("CATALOG_NUMBER_").all()


def test_empty_files_skip_their_record_with_a_reason(demo_collection):
    _, recs = _build(demo_collection)
    empty = recs.skipped[recs.skipped["reason"].str.startswith("empty file")]
    assert len(empty) == 1
    assert all(f.size > 0 for s in recs.specs for f in s.files)


def test_files_are_scanned_and_planned(demo_collection, tmp_path):
    _, recs = _build(demo_collection)
    for spec in recs.specs:
        assert spec.files
        for f in spec.files:
            assert f.path.is_file()
            assert len(f.md5) == 32
            assert len(f.sha256) == 64
            assert f.size == f.path.stat().st_size
    ws = Workspace.create(tmp_path / "ws")
    plan = plan_records(ws, recs.specs, target="embedded", api="legacy")
    assert plan.added == len(recs.specs)


def _scanned_collection(tmp_path):
    """A one-specimen table with its image linked, and a scan row for that image."""
    import os

    (tmp_path / "t.csv").write_text("catalogNumber,institutionCode\nA1,DEMO\n")
    image = tmp_path / "img" / "A1.jpg"
    image.parent.mkdir()
    image.write_bytes(b"jpeg bytes")
    specimens = load_specimens(tmp_path / "t.csv", progress=None)
    links = link_media(specimens, [image.parent], progress=None)
    st = os.stat(image)
    row = {"key": "A1.jpg", "size": st.st_size, "mtime_ns": st.st_mtime_ns, "md5": "d" * 32}
    return specimens, links, image, row


@pytest.mark.parametrize(
    "spelling",
    [
        lambda image: str(image),  # the very text the links hold
        lambda image: str(image.parent) + "/./" + image.name,  # the same file, spelt otherwise
        lambda image: str(image.parent) + "//" + image.name,
    ],
)
def test_a_scanned_file_is_found_however_its_path_is_spelt(tmp_path, spelling):
    specimens, links, image, row = _scanned_collection(tmp_path)
    manifest = pd.DataFrame([{**row, "path": spelling(image)}])
    recs = build_records(specimens, links, "minimal", media=manifest, sidecar_dir=tmp_path / "sc")
    (built,) = recs.built
    assert [f.spec.md5 for f in built.files] == ["d" * 32]  # the scan's: the file was not read


def test_a_file_changed_since_its_scan_is_read_again(tmp_path):
    specimens, links, image, row = _scanned_collection(tmp_path)
    image.write_bytes(b"other, longer jpeg bytes")
    manifest = pd.DataFrame([{**row, "path": str(image)}])
    recs = build_records(specimens, links, "minimal", media=manifest, sidecar_dir=tmp_path / "sc")
    (built,) = recs.built
    assert [f.spec.md5 for f in built.files] == [hashlib.md5(image.read_bytes()).hexdigest()]
