"""Audit with a fake client: ok, mismatch, missing, extra, error, local-changed."""

from __future__ import annotations

import asyncio
import hashlib

from specpub.batch.audit import audit
from specpub.batch.ledger import Ledger
from specpub.errors import NotFound
from specpub.repository.protocol import Marker, RemoteFile


class FakeFiles:
    api = "legacy"
    rate_limit = None

    def __init__(self, files):
        self.files = files
        self.calls = []

    async def list_files(self, record_id):
        self.calls.append(record_id)
        if record_id not in self.files:
            raise NotFound("no such record", status=404)
        return self.files[record_id]


def _publish(led, rid, remote_id):
    led.transition(rid, "creating")
    led.transition(rid, "created", remote_id=remote_id)
    led.transition(rid, "uploaded")
    led.transition(rid, "publishing")
    led.transition(rid, "published", doi=f"10.5072/zenodo.{remote_id}")


def test_audit_finds_every_kind_of_problem(tmp_path):
    led = Ledger.open(tmp_path / "l.sqlite")
    b = led.create_batch(target="embedded", api="legacy")
    md5 = {}
    ids = {}
    for cat in ("A", "B", "C", "D"):
        p = tmp_path / f"{cat}.jpg"
        p.write_bytes(cat.encode() * 10)
        md5[cat] = hashlib.md5(p.read_bytes()).hexdigest()
        files = [{"key": f"{cat}.jpg", "path": str(p), "size": 10, "md5": md5[cat]}]
        if cat == "C":
            files.append({"key": "C2.jpg", "path": str(p), "size": 10, "md5": md5[cat]})
        ids[cat], _ = led.add_record(b, Marker(cat), payload={}, files=files)
        _publish(led, ids[cat], str(100 + ord(cat)))
    _planned, _ = led.add_record(b, Marker("E"), payload={})  # not published: not audited
    server = {
        "165": [RemoteFile("A.jpg", 10, md5["A"])],
        "166": [RemoteFile("B.jpg", 10, "f" * 32), RemoteFile("junk.txt", 1, "e" * 32)],
        "167": [RemoteFile("C.jpg", 10, md5["C"])],
        # D (168) vanished from the server
    }
    client = FakeFiles(server)
    res = asyncio.run(audit(led, client, b, rate_limits=()))
    assert sorted(client.calls) == ["165", "166", "167", "168"]
    assert res.records == 4
    by = {(r.marker, r.key): r.status for r in res.rows}
    assert by == {
        ("|A", "A.jpg"): "ok",
        ("|B", "B.jpg"): "mismatch",
        ("|B", "junk.txt"): "extra",
        ("|C", "C.jpg"): "ok",
        ("|C", "C2.jpg"): "missing",
        ("|D", None): "error",
    }
    assert not res.ok
    assert "mismatch 1" in res.summary()
    assert len(res.to_frame()) == 6
    assert len(led.events(batch=b, kind="request")) == 4
    # the local master of A changes after publication
    (tmp_path / "A.jpg").write_bytes(b"changed!!!")
    res2 = asyncio.run(audit(led, client, b, rate_limits=(), verify_local=True))
    assert {(r.marker, r.status) for r in res2.rows if r.key == "A.jpg"} == {
        ("|A", "local-changed")
    }
    led.close()


def test_audit_goes_through_the_shared_pacer_and_retries_5xx(tmp_path):
    from specpub.batch.pacing import Pacer
    from specpub.batch.retry import RetryPolicy
    from specpub.errors import RateLimited, Transient

    led = Ledger.open(tmp_path / "l.sqlite")
    b = led.create_batch(target="zenodo", api="legacy")
    rid, _ = led.add_record(b, Marker("A"), payload={},
                            files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3,
                                    "md5": "a" * 32}])  # fmt: skip
    _publish(led, rid, "7")

    class Flaky(FakeFiles):
        def __init__(self, files):
            super().__init__(files)
            self.errors = [
                Transient("bad gateway", status=502),
                RateLimited("slow", retry_after=0.01),
            ]

        async def list_files(self, record_id):
            if self.errors:
                self.calls.append(record_id)
                raise self.errors.pop(0)
            return await super().list_files(record_id)

    pacer = Pacer()
    client = Flaky({"7": [RemoteFile("a.jpg", 3, "a" * 32)]})
    res = asyncio.run(audit(led, client, b, pacer=pacer,
                            retry=RetryPolicy(max_attempts=4, base=0.001, cap=0.002)))  # fmt: skip
    assert res.counts() == {"ok": 1}
    assert client.calls == ["7", "7", "7"]
    assert pacer.granted["api"] == 3
    assert pacer.rate_limited == 1
    led.close()
