"""Reconcile classification with a fake client: every category, ledger corrections, cleanup."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.reconcile import ReconcileResult, delete_orphan_drafts, reconcile
from specpub.errors import AuthenticationError, NotFound
from specpub.repository.protocol import Marker, RemoteFile, RemoteRecord

MD5 = "0" * 32


class FakeClient:
    """Just enough of RepositoryClient for reconcile, with index-lag knobs.

    ``hidden``: ids the listing does not show yet (a fresh record); ``stale``:
    ids the listing still shows as an unpublished draft (the index has not
    caught up with their publication). A GET by id always tells the truth.
    """

    api = "legacy"
    rate_limit = None

    def __init__(self, records: list[RemoteRecord], *, hidden=(), stale=()) -> None:
        self.records = {r.id: r for r in records}
        self.hidden = set(hidden)
        self.stale = set(stale)
        self.calls: list[tuple[str, object]] = []

    async def list_records(self, query="", *, page=1, size=100, sort="oldest"):
        self.calls.append(("list", page))
        assert query == ""
        out = []
        for rec in sorted(self.records.values(), key=lambda r: (r.created or "", r.id)):
            if rec.id in self.hidden:
                continue
            if rec.id in self.stale:
                rec = replace(rec, state="draft", is_published=False, doi=None)
            # listings of drafts carry no files
            out.append(rec if rec.is_published else replace(rec, files=None))
        return out[(page - 1) * size : page * size]

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
    for cat in "ABCDEFGHIJKLM":
        files = [{"key": f"{cat}.jpg", "path": f"/m/{cat}.jpg", "size": 3, "md5": MD5}]
        ids[cat], _ = led.add_record(b, Marker(cat, "BR"), payload={}, files=files)
    return led, b, ids


def _to(led, rid, *states, **kw):
    for st in states:
        extra = kw if st in ("created", "published") else {}
        if st == "published":
            extra = {**extra, "doi": f"10.5072/zenodo.{kw['remote_id']}"}
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
    _to(led, ids["L"], "creating", "created", "uploaded", "publishing", "published", remote_id="15")
    _to(led, ids["M"], "creating", "created", "uploaded", "publishing", "published", remote_id="16")


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
    pub("15", "L"),
    pub("16", "M"),
    draft("99", "ZZ"),  # another batch's draft: not ours to touch
]
LAG = {"hidden": {"14", "16"}, "stale": {"15"}}


def test_every_category_and_ledger_corrections(tmp_path):
    led, b, ids = _ledger(tmp_path)
    _setup(led, ids)
    client = FakeClient(SERVER, **LAG)
    res = asyncio.run(reconcile(led, client, b, limits=(), confirm_delay=0.01))
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
        ("BR|K", "unresolved-create"),  # its draft is not listed yet: nothing proven
        ("BR|L", "published"),  # listed as a draft (stale index), the GET says published
        ("BR|M", "published"),  # not listed at all (index lag), the GET says published
    }
    assert set(cats) == expected
    assert cats[("BR|G", "duplicate-published")].remote_id == "8"
    assert cats[("BR|H", "orphan-draft")].remote_id == "10"
    assert cats[("BR|J", "orphan-draft")].remote_id == "12"  # the newer draft is kept
    assert "f" * 32 in cats[("BR|I", "checksum-mismatch")].detail
    assert "still listed a draft" in cats[("BR|L", "published")].detail
    assert not res.ok
    # ledger corrected
    rb = led.record(ids["B"])
    assert (rb.state, rb.remote_id, rb.doi) == ("published", "2", "10.5072/zenodo.2")
    assert led.record(ids["D"]).state == "planned"
    assert led.record(ids["D"]).remote_id is None
    assert [f.state for f in led.record_files(ids["D"])] == ["planned"]
    assert (led.record(ids["E"]).state, led.record(ids["E"]).remote_id) == ("planned", None)
    assert (led.record(ids["J"]).state, led.record(ids["J"]).remote_id) == ("created", "13")
    assert (led.record(ids["K"]).state, led.record(ids["K"]).remote_id) == ("creating", None)
    for cat in "LM":  # the truth is never demoted
        assert (led.record(ids[cat]).state, led.record(ids[cat]).doi) == (
            "published",
            f"10.5072/zenodo.{15 if cat == 'L' else 16}",
        )
    assert led.record(ids["F"]).state == "planned"
    assert res.corrected == 4  # B, D, E, J
    notes = led.events(batch=b, kind="note")
    assert sorted(notes.step) == ["adopt", "adopt", "replan", "replan"]
    # nothing deleted without delete_orphans; one listing page; GETs only where in doubt
    assert not [c for c in client.calls if c[0] == "delete"]
    assert [c for c in client.calls if c[0] == "list"] == [("list", 1)]
    gets = [c[1] for c in client.calls if c[0] == "get"]
    assert {"4", "5", "15", "16"} <= set(gets)
    assert "1" not in gets[:4]  # a record the listing proves is not fetched (only probed later)
    frame = res.to_frame()
    assert len(frame) == len(res.findings)
    assert frame["serious"].sum() == 3
    assert "SERIOUS missing: BR|D" in res.summary()
    assert "ok=False" in repr(res)
    led.close()


def test_a_stale_draft_in_the_listing_never_demotes_a_published_record(tmp_path):
    # Issue 7, failure 1: run within the index lag after a publish, reconcile took a
    # stale draft entry as the truth, reported "SERIOUS missing", erased the DOI and set
    # the record back to `created`; the next publish failed while the server held it
    # published. Now a GET by id decides, and a published record is never demoted.
    led = Ledger.open(tmp_path / "l.sqlite")
    b = led.create_batch(target="embedded", api="legacy")
    files = [{"key": "A.jpg", "path": "/m/A.jpg", "size": 3, "md5": MD5}]
    rid, _ = led.add_record(b, Marker("A", "BR"), payload={}, files=files)
    _to(led, rid, "creating", "created", "uploaded", "publishing", "published", remote_id="1")
    for stale in ({"stale": {"1"}}, {"hidden": {"1"}}):
        res = asyncio.run(reconcile(led, FakeClient([pub("1", "A")], **stale), b, limits=()))
        assert res.counts() == {"published": 1}, res.summary()
        assert res.ok
        rec = led.record(rid)
        assert (rec.state, rec.remote_id, rec.doi) == ("published", "1", "10.5072/zenodo.1")
    assert not len(led.events(kind="note"))
    led.close()


def test_delete_orphans_and_second_run_is_clean(tmp_path):
    led, b, ids = _ledger(tmp_path)
    _setup(led, ids)
    client = FakeClient(SERVER)
    res = asyncio.run(reconcile(led, client, b, delete_orphans=True, limits=(), confirm_delay=0))
    assert sorted(res.deleted) == ["10", "12"]
    assert "99" in client.records  # another batch's draft survives
    assert "13" in client.records  # the adopted draft survives
    again = asyncio.run(reconcile(led, client, b, limits=(), confirm_delay=0))
    assert not again.by_category("orphan-draft")
    assert not again.by_category("ledger-behind")
    assert again.corrected == 0
    led.close()


def test_report_only_leaves_ledger_alone(tmp_path):
    led, b, ids = _ledger(tmp_path)
    _setup(led, ids)
    before = led.records(batch=b)[["record_id", "state", "remote_id"]]
    res = asyncio.run(
        reconcile(led, FakeClient(SERVER), b, correct_ledger=False, limits=(), confirm_delay=0)
    )
    after = led.records(batch=b)[["record_id", "state", "remote_id"]]
    assert before.equals(after)
    assert res.corrected == 0
    assert isinstance(res, ReconcileResult)
    led.close()


def test_the_listing_is_paged_and_paced(tmp_path):
    from specpub.limits import RateLimit

    led = Ledger.open(tmp_path / "l.sqlite")
    b = led.create_batch(target="zenodo", api="legacy")
    for i in range(250):
        led.add_record(b, Marker(f"C{i:03d}", "BR"), payload={})
    server = [draft(str(1000 + i), f"X{i:03d}", created=f"2026-01-01T{i:05d}") for i in range(250)]
    client = FakeClient(server)
    import time

    start = time.monotonic()
    res = asyncio.run(reconcile(led, client, b, limits=(RateLimit(2, 0.3),), confirm_delay=0))
    elapsed = time.monotonic() - start
    assert [c for c in client.calls if c[0] == "list"] == [("list", 1), ("list", 2), ("list", 3)]
    assert res.searches == 3
    assert res.listed == 250
    assert elapsed >= 0.3  # the third page waited for the window
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
    res = asyncio.run(reconcile(led, FakeClient([v1, v2, nv, stranger]), b, limits=()))
    assert sorted((f.category, f.remote_id) for f in res.findings) == [
        ("duplicate-published", "30"), ("published", "20"),
    ]  # fmt: skip
    led.close()


def test_revisions_are_reconciled_too(tmp_path):
    # revisions > 0 (a new version, an edit) are ledger rows of their own
    led = Ledger.open(tmp_path / "l.sqlite")
    b = led.create_batch(target="embedded", api="legacy")
    r0, _ = led.add_record(b, Marker("V", "BR"), payload={})
    _to(led, r0, "creating", "created", "uploaded", "publishing", "published", remote_id="20")
    r1, _ = led.add_record(b, Marker("V", "BR"), payload={"v": 2}, revision=1,
                           operation="new_version", base_remote_id="20")  # fmt: skip
    _to(led, r1, "creating", "created", "uploaded", "publishing", remote_id="21")
    v1 = replace(pub("20", "V", created="2026-01-01"), concept_id="19", files=())
    v2 = replace(pub("21", "V", created="2026-02-01"), concept_id="19", files=())
    # the new version's publish answer was lost and the listing has not caught up
    res = asyncio.run(reconcile(led, FakeClient([v1, v2], stale={"21"}), b, limits=()))
    found = sorted((f.record_id, f.category) for f in res.findings)
    assert found == [(r0, "published"), (r1, "ledger-behind")], res.summary()
    assert (led.record(r1).state, led.record(r1).doi) == ("published", "10.5072/zenodo.21")
    assert led.record(r0).state == "published"
    led.close()


def test_a_refused_token_stops_at_the_first_answer(tmp_path):
    led, b, ids = _ledger(tmp_path)
    _setup(led, ids)

    class Refused(FakeClient):
        async def list_records(self, query="", **kw):
            self.calls.append(("list", kw.get("page")))
            raise AuthenticationError("token refused", status=401)

    client = Refused(SERVER)
    before = led.records(batch=b)[["state", "remote_id"]]
    with pytest.raises(AuthenticationError):
        asyncio.run(reconcile(led, client, b, limits=()))
    assert client.calls == [("list", 1)]
    assert before.equals(led.records(batch=b)[["state", "remote_id"]])
    assert led.runs().outcome.tolist() == ["stopped"]
    led.close()


class OutageClient(FakeClient):
    """The listing answers; every GET answers 404 (a database outage)."""

    async def get(self, record_id):
        self.calls.append(("get", record_id))
        raise NotFound("PID is not registered", status=404)


def test_a_404_outage_replans_nothing(tmp_path):
    led, b, ids = _ledger(tmp_path)
    _setup(led, ids)
    before = led.records(batch=b).set_index("record_id")["state"].to_dict()
    client = OutageClient(SERVER)
    res = asyncio.run(reconcile(led, client, b, limits=(), confirm_delay=0.01))
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

    client = Blip([replace(pub("1", "A"), files=())], hidden={"1"})
    res = asyncio.run(reconcile(led, client, b, limits=(), confirm_delay=0.01))
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
    res = asyncio.run(reconcile(led, client, b, limits=(), confirm_delay=0.01))
    assert ("BR|Z", "missing") in {(f.marker, f.category) for f in res.findings}
    assert led.record(rz).state == "planned"
    assert ("get", "1") in client.calls  # the health probe: a record seen moments ago
    led.close()


def test_reconcile_shares_the_callers_pacer(tmp_path):
    from specpub.batch.pacing import Pacer

    led, b, ids = _ledger(tmp_path)
    _setup(led, ids)
    pacer = Pacer()
    res = asyncio.run(reconcile(led, FakeClient(SERVER), b, pacer=pacer, confirm_delay=0))
    assert pacer.granted["list"] == res.searches
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
            asyncio.run(reconcile(led, client, b, limits=()))
        empty = ReconcileResult([], batch=b)
        with pytest.raises(InputError, match="another specpub run"):
            asyncio.run(delete_orphan_drafts(led, client, empty))
        # looking without touching is fine
        res = asyncio.run(
            reconcile(led, client, b, correct_ledger=False, limits=(), confirm_delay=0)
        )
        assert res.by_category("missing")
    assert before.equals(led.records(batch=b)[["record_id", "state", "remote_id"]])
    assert not [c for c in client.calls if c[0] == "delete"]
    # once the run is over, the correction goes ahead
    asyncio.run(reconcile(led, client, b, limits=(), confirm_delay=0))
    assert led.record(ids["D"]).state == "planned"
    led.close()
