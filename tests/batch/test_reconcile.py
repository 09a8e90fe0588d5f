"""Reconcile classification with a fake client: every category, ledger corrections, cleanup."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.reconcile import ReconcileResult, delete_orphan_drafts, reconcile
from specpub.errors import NotFound
from specpub.repository.protocol import Marker, RemoteFile, RemoteRecord

MD5 = "0" * 32


class FakeClient:
    """Just enough of RepositoryClient for reconcile, with an index lag knob."""

    api = "legacy"
    rate_limit = None

    def __init__(
        self,
        records: list[RemoteRecord],
        *,
        hidden_from_marker_search=(),
        invisible_searches: dict[str, int] | None = None,
    ) -> None:
        self.records = {r.id: r for r in records}
        self.hidden = set(hidden_from_marker_search)
        self.invisible = dict(invisible_searches or {})
        self.calls: list[tuple[str, object]] = []

    def _visible(self, rec: RemoteRecord) -> bool:
        return self.invisible.get(rec.id, 0) <= 0

    async def find_by_markers(self, markers):
        self.calls.append(("find", len(markers)))
        out = {m: [] for m in markers}
        for rec in self.records.values():
            if rec.marker in out and rec.id not in self.hidden and self._visible(rec):
                # search results of drafts carry no files
                out[rec.marker].append(rec if rec.is_published else replace(rec, files=None))
        for rid in list(self.invisible):
            self.invisible[rid] -= 1
        return out

    async def search(self, query, *, page=1, size=100, sort="newest"):
        self.calls.append(("search", query))
        assert query == "is_published:false"
        drafts = [
            replace(r, files=None)
            for r in self.records.values()
            if not r.is_published and self._visible(r)
        ]
        for rid in list(self.invisible):
            self.invisible[rid] -= 1
        return drafts[(page - 1) * size : page * size]

    async def get(self, record_id):
        self.calls.append(("get", record_id))
        if record_id not in self.records:
            raise NotFound("gone", status=404)
        return self.records[record_id]

    async def delete_draft(self, record_id):
        self.calls.append(("delete", record_id))
        assert not self.records[record_id].is_published
        del self.records[record_id]


def pub(rid, cat, md5=MD5, created="2026-01-01"):
    return RemoteRecord(
        id=rid,
        state="published",
        is_published=True,
        doi=f"10.5072/zenodo.{rid}",
        marker=Marker(cat, "BR"),
        created=created,
        files=(RemoteFile(key=f"{cat}.jpg", size=3, md5=md5),),
        links={"html": f"http://x/records/{rid}"},
    )


def draft(rid, cat, created="2026-01-02"):
    return RemoteRecord(
        id=rid,
        state="draft",
        is_published=False,
        marker=Marker(cat, "BR"),
        created=created,
        bucket=f"http://x/files/{rid}",
    )


def _ledger(tmp_path):
    led = Ledger.open(tmp_path / "ledger.sqlite")
    b = led.create_batch(target="embedded", api="legacy")
    ids = {}
    for cat in "ABCDEFGHIJK":
        files = [{"key": f"{cat}.jpg", "path": f"/m/{cat}.jpg", "size": 3, "md5": MD5}]
        ids[cat], _ = led.add_record(b, Marker(cat, "BR"), payload={}, files=files)
    return led, b, ids


def _to(led, rid, *states, **kw):
    for st in states:
        extra = kw if st in ("created", "published") else {}
        led.transition(rid, st, **extra)


def _setup(led, ids):
    _to(led, ids["A"], "creating", "created", "uploaded", "publishing", "published", remote_id="1")
    _to(led, ids["B"], "creating")
    _to(led, ids["C"], "creating", "created", remote_id="3")
    _to(led, ids["D"], "creating", "created", "uploaded", "publishing", "published", remote_id="4")
    _to(led, ids["E"], "creating", "created", remote_id="5")
    _to(led, ids["G"], "creating", "created", "uploaded", "publishing", "published", remote_id="7")
    _to(led, ids["H"], "creating", "created", "uploaded", "publishing", "published", remote_id="9")
    _to(led, ids["I"], "creating", "created", "uploaded", "publishing", "published", remote_id="11")
    _to(led, ids["J"], "creating")
    _to(led, ids["K"], "creating")


SERVER = [
    pub("1", "A"),
    pub("2", "B"),
    draft("3", "C"),
    pub("7", "G"),
    pub("8", "G", created="2026-01-03"),
    pub("9", "H"),
    draft("10", "H"),
    pub("11", "I", md5="f" * 32),
    draft("12", "J", created="2026-01-02"),
    draft("13", "J", created="2026-01-05"),
    draft("14", "K"),
    draft("99", "ZZ"),  # another batch's draft: not ours to touch
]


def test_every_category_and_ledger_corrections(tmp_path):
    led, b, ids = _ledger(tmp_path)
    _setup(led, ids)
    client = FakeClient(SERVER, hidden_from_marker_search={"10"}, invisible_searches={"14": 2})
    res = asyncio.run(reconcile(led, client, b, index_lag=0.01, search_limits=()))
    cats = {(f.marker, f.category): f for f in res.findings}
    expected = {
        ("BR|A", "published"),
        ("BR|B", "ledger-behind"),
        ("BR|C", "draft"),
        ("BR|D", "missing"),
        ("BR|E", "lost-draft"),
        ("BR|F", "not-created"),
        ("BR|G", "published"),
        ("BR|G", "duplicate-published"),
        ("BR|H", "published"),
        ("BR|H", "orphan-draft"),
        ("BR|I", "published"),
        ("BR|I", "checksum-mismatch"),
        ("BR|J", "draft"),
        ("BR|J", "orphan-draft"),
        ("BR|K", "draft"),
    }
    assert set(cats) == expected
    assert cats[("BR|G", "duplicate-published")].remote_id == "8"
    assert cats[("BR|H", "orphan-draft")].remote_id == "10"  # found by the draft sweep only
    assert cats[("BR|J", "orphan-draft")].remote_id == "12"  # the newer draft is kept
    assert "f" * 32 in cats[("BR|I", "checksum-mismatch")].detail
    assert not res.ok
    # ledger corrected
    rb = led.record(ids["B"])
    assert (rb.state, rb.remote_id, rb.doi) == ("published", "2", "10.5072/zenodo.2")
    assert led.record(ids["D"]).state == "planned"
    assert led.record(ids["D"]).remote_id is None
    assert [f.state for f in led.record_files(ids["D"])] == ["planned"]
    assert (led.record(ids["E"]).state, led.record(ids["E"]).remote_id) == ("planned", None)
    assert (led.record(ids["J"]).state, led.record(ids["J"]).remote_id) == ("created", "13")
    assert (led.record(ids["K"]).state, led.record(ids["K"]).remote_id) == ("created", "14")
    assert led.record(ids["F"]).state == "planned"
    assert res.corrected == 5  # B, D, E, J, K
    notes = led.events(batch=b, kind="note")
    assert len(notes) == 5
    # nothing deleted without delete_orphans; the sweep and the index-lag re-search happened
    assert not [c for c in client.calls if c[0] == "delete"]
    assert ("search", "is_published:false") in client.calls
    assert sum(1 for c in client.calls if c[0] == "find") == 2
    frame = res.to_frame()
    assert len(frame) == len(res.findings)
    assert frame["serious"].sum() == 3
    assert "SERIOUS missing: BR|D" in res.summary()
    assert "ok=False" in repr(res)
    led.close()


def test_delete_orphans_and_second_run_is_clean(tmp_path):
    led, b, ids = _ledger(tmp_path)
    _setup(led, ids)
    client = FakeClient(SERVER)
    res = asyncio.run(reconcile(led, client, b, delete_orphans=True, index_lag=0, search_limits=()))
    assert sorted(res.deleted) == ["10", "12"]
    assert "99" in client.records  # another batch's draft survives
    assert "13" in client.records  # the adopted draft survives
    again = asyncio.run(reconcile(led, client, b, index_lag=0, search_limits=()))
    assert not again.by_category("orphan-draft")
    assert not again.by_category("ledger-behind")
    assert again.corrected == 0
    led.close()


def test_report_only_leaves_ledger_alone(tmp_path):
    led, b, ids = _ledger(tmp_path)
    _setup(led, ids)
    before = led.records(batch=b)[["record_id", "state", "remote_id"]]
    res = asyncio.run(
        reconcile(led, FakeClient(SERVER), b, correct_ledger=False, index_lag=0, search_limits=())
    )
    after = led.records(batch=b)[["record_id", "state", "remote_id"]]
    assert before.equals(after)
    assert res.corrected == 0
    assert isinstance(res, ReconcileResult)
    led.close()


def test_searches_are_chunked_and_paced(tmp_path):
    from specpub.sandbox.config import RateLimit

    led = Ledger.open(tmp_path / "l.sqlite")
    b = led.create_batch(target="zenodo", api="legacy")
    for i in range(25):
        led.add_record(b, Marker(f"C{i}", "BR"), payload={})
    client = FakeClient([])
    t = asyncio.get_event_loop_policy().new_event_loop()
    try:
        import time

        start = time.monotonic()
        res = t.run_until_complete(
            reconcile(
                led,
                client,
                b,
                chunk_size=10,
                sweep=True,
                index_lag=0,
                search_limits=(RateLimit(2, 0.3),),
            )
        )
        elapsed = time.monotonic() - start
    finally:
        t.close()
    finds = [c for c in client.calls if c[0] == "find"]
    assert [n for _, n in finds] == [10, 10, 5]
    assert res.searches == 4  # 3 marker chunks + 1 sweep page
    assert elapsed >= 0.3  # the third and fourth searches waited for the window
    assert set(res.counts()) == {"not-created"}
    led.close()


@pytest.mark.parametrize("state", ["planned"])
def test_empty_ledger_batch(tmp_path, state):
    led = Ledger.open(tmp_path / "l.sqlite")
    res = asyncio.run(reconcile(led, FakeClient([]), None))
    assert res.findings == []
    assert res.batch is None
    led.close()


def test_versions_are_not_duplicates_or_orphans(tmp_path):
    led = Ledger.open(tmp_path / "l.sqlite")
    b = led.create_batch(target="embedded", api="legacy")
    rid, _ = led.add_record(b, Marker("V", "BR"), payload={})
    _to(led, rid, "creating", "created", "uploaded", "publishing", "published", remote_id="20")
    v1 = replace(pub("20", "V", created="2026-01-01"), concept_id="19", files=())
    v2 = replace(pub("21", "V", created="2026-02-01"), concept_id="19", files=())
    nv = replace(draft("22", "V"), concept_id="19")  # an open new version
    stranger = replace(pub("30", "V", created="2026-03-01"), concept_id="29", files=())
    res = asyncio.run(reconcile(led, FakeClient([v1, v2, nv, stranger]), b, index_lag=0,
                                search_limits=()))  # fmt: skip
    assert sorted((f.category, f.remote_id) for f in res.findings) == [
        ("duplicate-published", "30"), ("published", "20"),
    ]  # fmt: skip
    led.close()


class OutageClient(FakeClient):
    """Searches answer; from the first GET on, every GET answers 404 (a database outage)."""

    async def get(self, record_id):
        self.calls.append(("get", record_id))
        raise NotFound("PID is not registered", status=404)


def test_a_404_outage_replans_nothing(tmp_path):
    led, b, ids = _ledger(tmp_path)
    _setup(led, ids)
    before = led.records(batch=b).set_index("record_id")["state"].to_dict()
    client = OutageClient(SERVER)
    res = asyncio.run(reconcile(led, client, b, index_lag=0, search_limits=(), confirm_delay=0.01))
    cats = {(f.marker, f.category) for f in res.findings}
    # D (published, id 4) and E (draft 5) answered 404: unconfirmed, not missing / lost-draft
    assert ("BR|D", "unconfirmed") in cats
    assert ("BR|E", "unconfirmed") in cats
    assert not res.by_category("missing")
    assert not res.by_category("lost-draft")
    after = led.records(batch=b).set_index("record_id")["state"].to_dict()
    assert after[ids["D"]] == "published"
    assert led.record(ids["D"]).remote_id == "4"
    assert after[ids["E"]] == "created"
    assert led.record(ids["E"]).remote_id == "5"
    # nothing was put back for a re-run (that would publish duplicates)
    assert [rid for rid, st in after.items() if st == "planned" and before[rid] != "planned"] == []
    # D, E asked twice; then one record seen moments ago was probed, and it 404ed too
    gets = [c[1] for c in client.calls if c[0] == "get"]
    assert gets.count("4") == 2
    assert gets.count("5") == 2
    assert set(gets) - {"4", "5"}, "the health probe fetched a record just seen"
    assert res.unconfirmed_reason
    assert "404" in res.unconfirmed_reason
    assert not res.ok
    assert "UNCONFIRMED 2 records" in res.summary()
    assert res.to_json()["unconfirmed_reason"] == res.unconfirmed_reason
    led.close()


def test_a_404_that_does_not_repeat_is_not_missing(tmp_path):
    led = Ledger.open(tmp_path / "l.sqlite")
    b = led.create_batch(target="embedded", api="legacy")
    rid, _ = led.add_record(b, Marker("A", "BR"), payload={})
    _to(led, rid, "creating", "created", "uploaded", "publishing", "published", remote_id="1")

    class Blip(FakeClient):
        misses = 1

        async def get(self, record_id):
            if self.misses:
                self.misses -= 1
                self.calls.append(("get", record_id))
                raise NotFound("blip", status=404)
            return await super().get(record_id)

    client = Blip([replace(pub("1", "A"), files=())], hidden_from_marker_search={"1"})
    res = asyncio.run(reconcile(led, client, b, index_lag=0, search_limits=(), confirm_delay=0.01))
    assert [f.category for f in res.findings] == ["published"]
    assert led.record(rid).state == "published"
    assert res.ok
    assert res.unconfirmed_reason is None
    led.close()


def test_missing_is_confirmed_when_the_repository_is_healthy(tmp_path):
    led = Ledger.open(tmp_path / "l.sqlite")
    b = led.create_batch(target="embedded", api="legacy")
    ra, _ = led.add_record(b, Marker("A", "BR"), payload={})
    rz, _ = led.add_record(b, Marker("Z", "BR"), payload={})
    _to(led, ra, "creating", "created", "uploaded", "publishing", "published", remote_id="1")
    _to(led, rz, "creating", "created", "uploaded", "publishing", "published", remote_id="404")
    client = FakeClient([pub("1", "A")])
    res = asyncio.run(reconcile(led, client, b, index_lag=0, search_limits=(), confirm_delay=0.01))
    assert ("BR|Z", "missing") in {(f.marker, f.category) for f in res.findings}
    assert led.record(rz).state == "planned"
    assert ("get", "1") in client.calls  # the health probe: a record seen moments ago
    led.close()


def test_reconcile_shares_the_callers_pacer(tmp_path):
    from specpub.batch.pacing import Pacer

    led, b, ids = _ledger(tmp_path)
    _setup(led, ids)
    pacer = Pacer()
    res = asyncio.run(reconcile(led, FakeClient(SERVER), b, index_lag=0, pacer=pacer,
                                confirm_delay=0))  # fmt: skip
    assert pacer.granted["search"] == res.searches
    assert pacer.granted["api"] == res.gets


def test_a_correcting_reconcile_never_races_a_running_batch(tmp_path):
    from specpub.batch._lock import RunLock
    from specpub.errors import InputError

    led, b, ids = _ledger(tmp_path)
    _setup(led, ids)
    before = led.records(batch=b)[["record_id", "state", "remote_id"]]
    client = FakeClient(SERVER)
    with RunLock(led.path):  # a runner is publishing from this ledger
        with pytest.raises(InputError, match="another specpub run"):
            asyncio.run(reconcile(led, client, b, index_lag=0, search_limits=()))
        empty = ReconcileResult([], batch=b)
        with pytest.raises(InputError, match="another specpub run"):
            asyncio.run(delete_orphan_drafts(led, client, empty))
        # looking without touching is fine
        res = asyncio.run(reconcile(led, client, b, correct_ledger=False, index_lag=0,
                                    search_limits=(), confirm_delay=0))  # fmt: skip
        assert res.by_category("missing")
    assert before.equals(led.records(batch=b)[["record_id", "state", "remote_id"]])
    assert not [c for c in client.calls if c[0] == "delete"]
    # once the run is over, the correction goes ahead
    asyncio.run(reconcile(led, client, b, index_lag=0, search_limits=(), confirm_delay=0))
    assert led.record(ids["D"]).state == "planned"
    led.close()
