"""Planning: validation, batching, idempotency, plan updates, edits and new versions."""

from __future__ import annotations

import json

import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.plan import FileSpec, RecordSpec, plan_edits, plan_new_versions, plan_records
from specpub.batch.runner import run_batch
from specpub.errors import InputError
from specpub.repository.protocol import Marker
from specpub.workspace import Workspace

from .helpers import legacy_payload, make_specs


@pytest.fixture
def ws(tmp_path):
    return Workspace.create(tmp_path / "ws")


def test_batches_split_and_replan_adds_nothing(ws, tmp_path):
    specs = make_specs(tmp_path / "m", 25)
    res = plan_records(ws, specs, target="embedded", api="legacy", batch_size=10)
    assert res.added == 25
    assert res.batch_ids == [1, 2, 3]
    with Ledger.for_workspace(ws) as led:
        assert [len(led.record_ids(batch=b)) for b in (1, 2, 3)] == [10, 10, 5]
        assert len(led.files()) == 25
    again = plan_records(ws, specs, target="embedded", api="legacy", batch_size=10)
    assert (again.added, again.unchanged, again.updated) == (0, 25, 0)
    with Ledger.for_workspace(ws) as led:
        assert led.batch_ids() == [1, 2, 3]
        assert len(led.records()) == 25
    # more records later: only the new ones make a new batch
    more = make_specs(tmp_path / "m2", 3, prefix="U")
    res = plan_records(ws, specs + more, target="embedded", api="legacy", batch_size=10)
    assert res.added == 3
    assert 4 in res.batch_ids


def test_changed_payload_updates_unsent_plan_only(ws, tmp_path):
    (spec,) = make_specs(tmp_path / "m", 1)
    plan_records(ws, [spec], target="embedded")
    changed = RecordSpec(
        spec.marker,
        legacy=legacy_payload(spec.marker.catalog_number, title="Better"),
        files=spec.files,
    )
    assert plan_records(ws, [changed], target="embedded").updated == 1
    with Ledger.for_workspace(ws) as led:
        rid = led.record_ids()[0]
        assert led.payload(rid)["metadata"]["title"].startswith("Better")
        led.transition(rid, "creating")
    again = RecordSpec(
        spec.marker,
        legacy=legacy_payload(spec.marker.catalog_number, title="Worse"),
        files=spec.files,
    )
    assert plan_records(ws, [again], target="embedded").unchanged == 1
    with Ledger.for_workspace(ws) as led:
        assert led.payload(rid)["metadata"]["title"].startswith("Better")


def test_failed_before_create_follows_new_plan(ws, tmp_path):
    (spec,) = make_specs(tmp_path / "m", 1)
    plan_records(ws, [spec], target="embedded")
    with Ledger.for_workspace(ws) as led:
        rid = led.record_ids()[0]
        led.transition(rid, "failed", reason="400 title", retryable=False, step="create")
    fixed = RecordSpec(
        spec.marker,
        legacy=legacy_payload(spec.marker.catalog_number, title="Fixed"),
        files=spec.files,
    )
    assert plan_records(ws, [fixed], target="embedded").updated == 1
    with Ledger.for_workspace(ws) as led:
        assert led.record(rid).state == "planned"


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda s: RecordSpec(Marker("OTHER", "BR"), legacy=s.legacy, files=s.files), "marker"),
        (lambda s: RecordSpec(s.marker, legacy=s.legacy, files=()), "no files"),
        (lambda s: RecordSpec(s.marker, legacy=s.legacy, files=(s.files[0], s.files[0])), "twice"),
        (lambda s: RecordSpec(s.marker, native=s.native, files=s.files), "no legacy payload"),
        (
            lambda s: RecordSpec(
                s.marker, legacy=s.legacy, files=(FileSpec(s.files[0].path, "e.jpg", 0, "0" * 32),)
            ),
            "empty",
        ),
    ],
)
def test_bad_records_are_refused_before_writing(ws, tmp_path, mutate, match):
    good = make_specs(tmp_path / "m", 2)
    bad = mutate(good[1])
    with pytest.raises(InputError, match=match):
        plan_records(ws, [good[0], bad], target="embedded")
    with Ledger.for_workspace(ws) as led:
        assert len(led.records()) == 0


def test_duplicate_markers_refused(ws, tmp_path):
    (spec,) = make_specs(tmp_path / "m", 1)
    with pytest.raises(InputError, match="twice"):
        plan_records(ws, [spec, spec], target="embedded")


def test_edits_and_versions_only_for_published(ws, tmp_path):
    from .fakes import FakeClient

    specs = make_specs(tmp_path / "m", 3)
    plan_records(ws, specs, target="embedded")
    res = plan_edits(ws, specs, target="embedded")
    assert len(res.skipped) == 3  # nothing published yet
    client = FakeClient()
    assert run_batch(ws, client, progress=None).published == 3
    # unchanged payloads: nothing to edit
    assert plan_edits(ws, specs, target="embedded").unchanged == 3
    edited = [
        RecordSpec(
            s.marker, legacy=legacy_payload(s.marker.catalog_number, title="Ed"), files=s.files
        )
        for s in specs[:2]
    ]
    res = plan_edits(ws, edited, target="embedded")
    assert res.added == 2
    with Ledger.for_workspace(ws) as led:
        revs = led.records(state="planned")
        assert revs.operation.tolist() == ["edit", "edit"]
        assert revs.revision.tolist() == [1, 1]
        assert json.loads(led.query("SELECT payload FROM records WHERE revision=1").payload[0])[
            "metadata"
        ]["title"].startswith("Ed")
    # planning the same edits again changes nothing
    assert plan_edits(ws, edited, target="embedded").unchanged == 2
    # a new version of the third record with a changed file set
    newfile = tmp_path / "m" / "extra.jpg"
    newfile.write_bytes(b"new image")
    nv = RecordSpec(specs[2].marker, legacy=specs[2].legacy, files=(FileSpec.from_path(newfile),))
    assert plan_new_versions(ws, [nv], target="embedded").added == 1


def test_edits_and_versions_are_checked_like_new_records(ws, tmp_path):
    specs = make_specs(tmp_path / "m", 2)
    plan_records(ws, specs, target="embedded")
    for plan in (plan_edits, plan_new_versions):
        with pytest.raises(InputError, match="twice"):
            plan(ws, [specs[0], specs[0]], target="embedded")
        with pytest.raises(InputError, match="batch_size"):
            plan(ws, specs, target="embedded", batch_size=0)
    with Ledger.for_workspace(ws) as led:
        assert len(led.records()) == 2
