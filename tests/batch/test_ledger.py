"""Ledger: schema, every transition (legal and illegal), files, events, idempotent planning."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

from specpub.batch.ledger import (
    FILE_TRANSITIONS,
    STATES,
    TRANSITIONS,
    IllegalTransition,
    Ledger,
)
from specpub.errors import InputError
from specpub.repository.protocol import Marker

# A path through the state machine that reaches each state from "planned".
_PATH_TO = {
    "planned": [],
    "creating": ["creating"],
    "created": ["creating", "created"],
    "uploading": ["creating", "created", "uploading"],
    "uploaded": ["creating", "created", "uploading", "uploaded"],
    "publishing": ["creating", "created", "uploading", "uploaded", "publishing"],
    "published": ["creating", "created", "uploading", "uploaded", "publishing", "published"],
    "failed": ["failed"],
    "ambiguous": ["creating", "ambiguous"],
}
_KW = {
    "created": {"remote_id": "7", "bucket": "http://b"},
    "published": {"doi": "10.5072/x.7"},
    "failed": {"reason": "boom", "retryable": True, "step": "create"},
    "ambiguous": {"step": "create"},
}


@pytest.fixture
def led(tmp_path):
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        yield ledger


def _new(led, cat="A1", files=()):
    b = led.batch_ids()[0] if led.batch_ids() else led.create_batch(target="t", api="legacy")
    rid, _ = led.add_record(b, Marker(cat, "BR"), payload={"metadata": {"title": cat}}, files=files)
    return rid


def _walk(led, rid, states):
    for s in states:
        led.transition(rid, s, **_KW.get(s, {}))


@pytest.mark.parametrize("src", STATES)
@pytest.mark.parametrize("dst", STATES)
def test_every_transition_is_validated(led, src, dst):
    rid = _new(led)
    _walk(led, rid, _PATH_TO[src])
    assert led.record(rid).state == src
    kw = dict(_KW.get(dst, {}))
    if dst == "created" or dst in ("uploading", "uploaded", "publishing", "published"):
        kw.setdefault("remote_id", "7")
    if dst in TRANSITIONS[src]:
        rec = led.transition(rid, dst, **kw)
        assert rec.state == dst
    else:
        with pytest.raises(IllegalTransition):
            led.transition(rid, dst, **kw)
        assert led.record(rid).state == src  # nothing changed


def test_required_values(led):
    rid = _new(led)
    led.transition(rid, "creating")
    with pytest.raises(IllegalTransition, match="remote_id"):
        led.transition(rid, "created")
    with pytest.raises(IllegalTransition, match="step"):
        led.transition(rid, "ambiguous")
    with pytest.raises(IllegalTransition, match="reason"):
        led.transition(rid, "failed")
    with pytest.raises(IllegalTransition, match="expected"):
        led.transition(rid, "created", remote_id="1", expected="planned")
    with pytest.raises(IllegalTransition, match="unknown"):
        led.transition(rid, "bogus")


def test_facts_are_kept_and_cleared(led):
    rid = _new(led)
    _walk(led, rid, ["creating"])
    rec = led.transition(rid, "created", remote_id="9", concept_id="8", bucket="http://b/9")
    assert (rec.remote_id, rec.concept_id, rec.bucket) == ("9", "8", "http://b/9")
    rec = led.transition(
        rid,
        "failed",
        reason="502 at upload",
        retryable=True,
        step="upload",
        field_messages=["a: b"],
    )
    assert rec.remote_id == "9"
    assert rec.retryable is True
    assert rec.field_messages == ("a: b",)
    rec = led.transition(rid, "created")
    assert rec.reason is None
    assert rec.step is None
    assert rec.bucket == "http://b/9"
    # creating -> planned with reset clears what the server never had
    rid2 = _new(led, "A2")
    led.transition(rid2, "creating")
    led.transition(rid2, "ambiguous", step="create")
    rec = led.transition(rid2, "planned", reset_remote=True)
    assert rec.remote_id is None
    assert rec.state == "planned"


def test_published_sets_time_and_is_final(led):
    rid = _new(led)
    _walk(led, rid, _PATH_TO["published"])
    rec = led.record(rid)
    assert rec.is_done
    assert rec.published_at
    assert rec.doi == "10.5072/x.7"
    for s in STATES:
        with pytest.raises(IllegalTransition):
            led.transition(rid, s, remote_id="1", reason="x", step="x")


def test_attempts_count_and_reset(led):
    rid = _new(led)
    led.transition(rid, "creating")
    assert led.bump_attempts(rid) == 1
    assert led.bump_attempts(rid) == 2
    led.transition(rid, "created", remote_id="1")
    assert led.record(rid).attempts == 0


def test_planning_is_idempotent_and_updates_unsent_plans(led):
    b = led.create_batch(target="t", api="legacy")
    files = [{"key": "a.jpg", "path": "/x/a.jpg", "size": 3, "mtime": 1.0, "md5": "A" * 32}]
    rid, added = led.add_record(b, Marker("C1"), payload={"metadata": {"t": 1}}, files=files)
    assert added
    assert led.add_record(b, Marker("C1"), payload={"metadata": {"t": 1}}, files=files) == (
        rid,
        False,
    )
    # changed payload before any request: the plan follows
    assert led.add_record(b, Marker("C1"), payload={"metadata": {"t": 2}}, files=files) == (
        rid,
        True,
    )
    assert led.payload(rid) == {"metadata": {"t": 2}}
    assert led.record_files(rid)[0].md5 == "a" * 32
    # once sent, the plan is frozen
    led.transition(rid, "creating")
    assert led.add_record(b, Marker("C1"), payload={"metadata": {"t": 3}}) == (rid, False)
    assert led.payload(rid) == {"metadata": {"t": 2}}
    # another batch of the same target does not duplicate it
    b2 = led.create_batch(target="t", api="legacy")
    assert led.add_record(b2, Marker("C1"), payload={})[0] == rid
    # another target is another record
    b3 = led.create_batch(target="other", api="legacy")
    assert led.add_record(b3, Marker("C1"), payload={})[0] != rid
    assert len(led.records()) == 2


def test_file_transitions(led):
    rid = _new(led, files=[{"key": "a", "path": "/a", "size": 1, "md5": "0" * 32}])
    (f,) = led.record_files(rid)
    for src, dsts in FILE_TRANSITIONS.items():
        assert src in dsts or src not in dsts  # table is well formed
    f = led.transition_file(f.file_id, "uploading")
    assert f.attempts == 1
    with pytest.raises(IllegalTransition, match="checksum"):
        led.transition_file(f.file_id, "uploaded", server_checksum="md5:" + "1" * 32)
    f = led.transition_file(f.file_id, "mismatch", server_checksum="1" * 32)
    assert f.state == "mismatch"
    assert f.attempts == 2
    with pytest.raises(IllegalTransition):
        led.transition_file(f.file_id, "uploaded", server_checksum="0" * 32)
    f = led.transition_file(f.file_id, "uploading")
    f = led.transition_file(f.file_id, "uploaded", server_checksum="md5:" + "0" * 32)
    assert f.state == "uploaded"
    assert f.server_checksum == "md5:" + "0" * 32
    led.reset_files(rid)
    assert led.record_files(rid)[0].state == "planned"


def test_events_and_pauses(led):
    rid = _new(led)
    b = led.record(rid).batch_id
    led.record_event(
        b, rid, "create", "transient", http_status=502, duration=0.1, retry=1, error="Bad Gateway"
    )
    led.record_event(
        b, rid, "create", "ok", http_status=201, duration=0.05, retry=2, detail={"id": "5"}
    )
    led.record_pause(b, "circuit_open", 12.5)
    ev = led.events(batch=b)
    assert ev.outcome.tolist() == ["transient", "ok", "pause"]
    assert ev.kind.tolist() == ["request", "request", "pause"]
    assert ev.loc[2, "duration"] == 12.5
    with pytest.raises(ValueError, match="outcome"):
        led.record_event(b, rid, "create", "weird")


def test_counts_filters_and_dataframes(led):
    b = led.create_batch(target="t", api="native", label="x")
    ids = [led.add_record(b, Marker(f"M{i}"), payload={})[0] for i in range(5)]
    led.transition(ids[0], "creating")
    led.transition(ids[1], "failed", reason="bad", retryable=False)
    assert led.counts(b) == {"planned": 3, "creating": 1, "failed": 1}
    assert led.record_ids(batch=b, state=["creating", "failed"]) == ids[:2]
    assert len(led.records(state="planned")) == 3
    assert led.batches().loc[0, "records"] == 5
    assert "payload" in led.records(payload=True).columns


def test_secrets_refused_and_absent(led, tmp_path):
    with pytest.raises(InputError, match="secret"):
        led.create_batch(target="t", api="legacy", settings={"access_token": "abc"})
    led.create_batch(target="t", api="legacy", settings={"token_env": "ZENODO_TOKEN"})
    with pytest.raises(InputError):
        led.create_batch(target="t", api="soap")
    with pytest.raises(InputError, match="no batch"):
        led.batch(99)


def test_plain_sql_and_wal(led):
    _new(led)
    with sqlite3.connect(led.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        df = pd.read_sql("SELECT marker_key, state FROM records", conn)
    assert df.to_dict("records") == [{"marker_key": "BR|A1", "state": "planned"}]


def test_commits_survive_kill(tmp_path):
    """Each transition is committed at once: a SIGKILLed writer loses nothing it returned."""
    path = tmp_path / "l.sqlite"
    code = f"""
import os, signal
from specpub.batch.ledger import Ledger
from specpub.repository.protocol import Marker
led = Ledger.open({str(path)!r})
b = led.create_batch(target='t', api='legacy')
rid, _ = led.add_record(b, Marker('K'), payload={{}})
led.transition(rid, 'creating', durable=True)
led.transition(rid, 'created', remote_id='42')
led.record_event(b, rid, 'create', 'ok')
os.kill(os.getpid(), signal.SIGKILL)
"""
    proc = subprocess.run([sys.executable, "-c", code], check=False)
    assert proc.returncode == -9
    with Ledger.open(path) as led:
        rec = led.record_by_marker("t", Marker("K"))
        assert rec.state == "created"
        assert rec.remote_id == "42"
        assert len(led.events()) == 1


def test_attempts_survive_steps_back_and_reset_on_progress(led):
    rid = _new(led)
    _walk(led, rid, ["creating", "created", "uploading", "uploaded", "publishing"])
    led.bump_attempts(rid)
    led.transition(rid, "uploaded")  # back after a transient error
    assert led.record(rid).attempts == 1
    led.transition(rid, "publishing")
    led.transition(rid, "ambiguous", step="publish")
    led.transition(rid, "uploaded")  # the publish did not happen
    assert led.record(rid).attempts == 1
    led.transition(rid, "publishing")
    led.transition(rid, "published", doi="10.1/x")
    assert led.record(rid).attempts == 0
