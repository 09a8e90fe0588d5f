"""Fault injection: knobs, profiles, registry, runtime control, over real sockets."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest

from specpub.errors import InputError
from specpub.sandbox import (
    FaultPlan,
    Outage,
    fault_profiles,
    get_fault_profile,
    register_fault_profile,
)
from specpub.sandbox.faults import _PROFILES, classify

# A connection cut short mid-response surfaces as an incomplete read, or as a reset
# when the server closed with unread request bytes in its buffer (timing-dependent).
DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _next_id(client: httpx.Client) -> int:
    """The id the tiny app gives the next create = how many creates committed + 1."""
    return client.post("/deposit/depositions", json={}).json()["id"]


# --------------------------------------------------------------------------- plan, registry


@pytest.mark.parametrize(
    ("method", "path", "op"),
    [
        ("POST", "/api/deposit/depositions", "create"),
        ("POST", "/api/records", "create"),
        ("PUT", "/api/files/3f2a-11/BR0000013_a.jpg", "upload"),
        ("POST", "/api/deposit/depositions/12/files", "upload"),
        ("POST", "/api/records/12/draft/files", "upload"),
        ("PUT", "/api/records/12/draft/files/a b.tif/content", "upload"),
        ("POST", "/api/records/12/draft/files/dir/a.tif/commit", "upload"),
        ("POST", "/api/deposit/depositions/12/actions/publish", "publish"),
        ("POST", "/api/records/12/draft/actions/publish", "publish"),
        ("GET", "/api/records", "lookup"),
        ("GET", "/api/deposit/depositions/12", "lookup"),
        ("PUT", "/api/deposit/depositions/12", "other"),
        ("POST", "/api/deposit/depositions/12/actions/discard", "other"),
        ("DELETE", "/api/files/b/k", "other"),
    ],
)
def test_classify(method, path, op):
    assert classify(method, path) == op


def test_builtin_profiles():
    names = fault_profiles()
    assert {"none", "flaky", "icedig-2019", "lossy", "outage"} <= set(names)
    assert all(names[n] for n in ("flaky", "icedig-2019", "lossy", "outage"))
    assert get_fault_profile("none").is_noop
    flaky = get_fault_profile("flaky")
    assert 0.02 <= sum(flaky.errors.values()) <= 0.1
    assert all(s >= 500 for s in flaky.errors)
    lossy = get_fault_profile("lossy")
    assert dict(lossy.commit_then_drop) == {"create": 0.01, "upload": 0.01, "publish": 0.01}
    outage = get_fault_profile("outage")
    assert {o.status for o in outage.outages} == {404, 503}

    icedig = get_fault_profile("icedig-2019")
    per_status = {
        404: icedig.errors[404],
        500: icedig.errors[500],
        504: icedig.commit_then_504["create"],
        502: icedig.commit_then_502["create"],
    }
    total = sum(per_status.values())
    # Table 5: 404 50 %, 504 18 %, 502 17 %, 500 15 % of failures.
    mix = {s: round(v / total, 2) for s, v in per_status.items()}
    assert mix == {404: 0.5, 504: 0.18, 502: 0.17, 500: 0.15}
    # ~4 % of records (three faultable requests each) fail.
    assert 1 - (1 - total) ** 3 == pytest.approx(0.04, abs=0.002)
    assert icedig.error_operations == {"create", "upload", "publish"}
    assert set(icedig.commit_then_504) == {"create", "upload", "publish"}


def test_unknown_profile_lists_the_names():
    with pytest.raises(InputError) as info:
        get_fault_profile("chaos-monkey")
    text = str(info.value)
    assert "chaos-monkey" in text
    assert "icedig-2019" in text
    assert "lossy" in text


def test_register_profile(monkeypatch):
    monkeypatch.setattr("specpub.sandbox.faults._PROFILES", dict(_PROFILES))
    register_fault_profile("slow", FaultPlan(latency=0.1), description="slow")
    assert get_fault_profile("slow").latency == 0.1
    with pytest.raises(ValueError, match="exists already"):
        register_fault_profile("slow", FaultPlan())
    register_fault_profile("slow", FaultPlan(), replace=True)
    assert get_fault_profile("slow").is_noop
    with pytest.raises(TypeError):
        register_fault_profile("bad", {"errors": {}})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"errors": {500: 0.7, 503: 0.6}}, "add up to 1.3"),
        ({"commit_then_drop": {"uplaod": 0.1}}, "unknown operation"),
        ({"error_operations": {"create", "search"}}, "unknown operation"),
        ({"latency": -1}, "latency"),
        ({"upload_bandwidth": 0}, "upload_bandwidth"),
        ({"outages": ((1, 2, 503),)}, "not an Outage"),
    ],
)
def test_plan_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FaultPlan(**kwargs)


# --------------------------------------------------------------------------- knobs


def test_status_fractions_are_seeded_and_within_bounds(tiny_sandbox_factory):
    plan = FaultPlan(errors={500: 0.2, 404: 0.1}, seed=7)
    sequences = []
    for _ in range(2):
        sb = tiny_sandbox_factory(faults=plan)
        with httpx.Client(base_url=sb.api_url) as client:
            responses = [client.get("/ping") for _ in range(300)]
        sequences.append([r.status_code for r in responses])
        stats = sb.fault_stats()
        assert stats["requests:lookup"] == 300
        for r in responses:
            if r.status_code == 500:
                body = r.json()
                assert body["status"] == 500
                assert len(body["error_id"]) == 32
            elif r.status_code == 404:
                assert "error_id" not in r.json()
    assert sequences[0] == sequences[1]  # same seed, same faults
    counts = Counter(sequences[0])
    assert 35 <= counts[500] <= 85  # expected 60 (sd ~7)
    assert 12 <= counts[404] <= 50  # expected 30 (sd ~5)
    assert counts[500] == stats["error:500"]


def test_errors_limited_to_operations_commit_nothing(tiny_sandbox_factory):
    sb = tiny_sandbox_factory(faults=FaultPlan(errors={503: 1.0}, error_operations={"create"}))
    with httpx.Client(base_url=sb.api_url) as client:
        assert client.get("/ping").status_code == 200
        for _ in range(3):
            r = client.post("/deposit/depositions", json={"metadata": {"title": "x"}})
            assert r.status_code == 503
            assert r.json()["error_id"]
        sb.set_faults(None)
        assert _next_id(client) == 1  # none of the three creates took effect
    assert sb.fault_stats()["error:503"] == 3


def test_commit_then_drop_really_commits(tiny_sandbox_factory):
    sb = tiny_sandbox_factory(faults=FaultPlan(commit_then_drop={"create": 1.0}))
    with httpx.Client(base_url=sb.api_url) as client:
        for _ in range(2):
            with pytest.raises(DROPPED):
                client.post("/deposit/depositions", json={})
        assert client.get("/deposit/depositions/1").status_code == 200  # it exists
        assert client.get("/deposit/depositions/2").status_code == 200
        sb.set_faults("none")
        assert _next_id(client) == 3
    assert sb.fault_stats()["commit_then_drop:create"] == 2


def test_commit_then_drop_sends_headers_then_half_a_body(tiny_sandbox_factory):
    sb = tiny_sandbox_factory(faults=FaultPlan(commit_then_drop={"create": 1.0}))
    with (
        httpx.Client(base_url=sb.api_url) as client,
        client.stream("POST", "/deposit/depositions", json={}) as response,
    ):
        assert response.status_code == 201  # the real status line arrives...
        length = int(response.headers["content-length"])
        received = []

        def read_all() -> None:
            received.extend(response.iter_raw())

        with pytest.raises(DROPPED):
            read_all()
        received = b"".join(received)
        assert 0 < len(received) < length  # ...but the body is cut short


def test_commit_then_504_and_502(tiny_sandbox_factory):
    plan = FaultPlan(commit_then_504={"publish": 1.0}, commit_then_502={"upload": 1.0})
    sb = tiny_sandbox_factory(faults=plan)
    with httpx.Client(base_url=sb.api_url) as client:
        created = client.post("/deposit/depositions", json={})
        assert created.status_code == 201
        rid = created.json()["id"]
        bucket = created.json()["links"]["bucket"]
        up = client.put(f"{bucket}/a.jpg", content=b"x" * 1000)
        assert up.status_code == 502
        assert up.json()["error_id"]
        pub = client.post(f"/deposit/depositions/{rid}/actions/publish")
        assert pub.status_code == 504
        assert pub.json()["status"] == 504
        assert pub.json()["error_id"]
        state = client.get(f"/deposit/depositions/{rid}").json()
        assert state["state"] == "done"  # the 504'd publish took effect
        assert state["files"] == ["a.jpg"]  # and so did the 502'd upload
        sb.set_faults(None)
        assert client.post(f"/deposit/depositions/{rid}/actions/publish").status_code == 404
    stats = sb.fault_stats()
    assert stats["commit_then_504:publish"] == 1
    assert stats["commit_then_502:upload"] == 1


def test_outage_windows_with_a_fake_clock(tiny_sandbox_factory):
    clock = FakeClock()
    sb = tiny_sandbox_factory(faults="outage", clock=clock)
    start = clock.now
    outage = get_fault_profile("outage").outages
    with httpx.Client(base_url=sb.api_url) as client:

        def at(t: float) -> int:
            clock.now = start + t
            return client.get("/ping").status_code

        assert at(0.0) == 200
        first, second = outage
        assert at(first.start + 0.1) == first.status == 404
        assert client.post("/deposit/depositions", json={}).status_code == 404
        assert at(first.start + first.duration + 0.1) == 200
        assert at(second.start + 0.1) == second.status == 503
        assert at(second.start + second.duration) == 200
        assert _next_id(client) == 1  # the create during the outage did nothing
    assert sb.fault_stats()["outage:404"] == 2


def test_add_outage_at_runtime(tiny_sandbox_factory):
    sb = tiny_sandbox_factory()
    with httpx.Client(base_url=sb.api_url) as client:
        assert client.get("/ping").status_code == 200
        sb.add_outage(0.6, status=404)
        r = client.get("/ping")
        assert r.status_code == 404
        assert r.json() == {"status": 404, "message": "The persistent identifier does not exist."}
        sb.add_outage(30.0, status=503, start_in=30.0)  # later: not yet
        time.sleep(0.7)
        assert client.get("/ping").status_code == 200
        sb.add_outage(30.0, status=503)
        assert client.get("/ping").status_code == 503
        sb.clear_outages()
        assert client.get("/ping").status_code == 200


def test_relative_outage_counts_from_set_faults(tiny_sandbox_factory):
    sb = tiny_sandbox_factory()
    with httpx.Client(base_url=sb.api_url) as client:
        sb.set_faults(FaultPlan(outages=(Outage(0.4, 0.6, 503),)))
        assert client.get("/ping").status_code == 200
        time.sleep(0.6)
        assert client.get("/ping").status_code == 503
        time.sleep(0.6)
        assert client.get("/ping").status_code == 200


def test_latency_and_jitter(tiny_sandbox_factory):
    sb = tiny_sandbox_factory(faults=FaultPlan(latency=0.25, jitter=0.05, seed=1))
    with httpx.Client(base_url=sb.api_url) as client:
        client.get("/ping")  # connect first
        t0 = time.perf_counter()
        for _ in range(3):
            assert client.get("/ping").status_code == 200
        elapsed = time.perf_counter() - t0
    assert elapsed >= 3 * 0.2
    assert sb.fault_stats()["delayed"] == 4


def test_upload_bandwidth_cap(tiny_sandbox_factory):
    sb = tiny_sandbox_factory(faults=FaultPlan(upload_bandwidth=400_000))
    with httpx.Client(base_url=sb.api_url) as client:
        bucket = client.post("/deposit/depositions", json={}).json()["links"]["bucket"]
        t0 = time.perf_counter()
        r = client.put(f"{bucket}/big.tif", content=b"\0" * 200_000)
        elapsed = time.perf_counter() - t0
        assert r.status_code == 201
        assert r.json()["size"] == 200_000
        assert elapsed >= 0.4  # 200 kB at 400 kB/s = 0.5 s
        t0 = time.perf_counter()
        client.get("/ping")  # not an upload: not throttled
        assert time.perf_counter() - t0 < 0.3
    assert sb.fault_stats()["throttled"] == 1


# --------------------------------------------------------------------------- profiles end to end


def _record_flow(client: httpx.Client, n: int) -> Counter:
    """Create + upload + publish ``n`` times; count outcomes per (operation, status)."""
    outcomes: Counter = Counter()
    for _ in range(n):
        try:
            r = client.post("/deposit/depositions", json={})
        except DROPPED:
            outcomes["create", "drop"] += 1
            continue
        outcomes["create", r.status_code] += 1
        if r.status_code != 201:
            continue
        rid, bucket = r.json()["id"], r.json()["links"]["bucket"]
        for op, method, url in (
            ("upload", "PUT", f"{bucket}/a.jpg"),
            ("publish", "POST", f"/deposit/depositions/{rid}/actions/publish"),
        ):
            try:
                outcomes[op, client.request(method, url, content=b"x" * 100).status_code] += 1
            except DROPPED:
                outcomes[op, "drop"] += 1
    return outcomes


@pytest.mark.parametrize("profile", ["icedig-2019", "lossy", "flaky"])
def test_profiles_end_to_end(tiny_sandbox_factory, profile):
    sb = tiny_sandbox_factory(faults=profile, seed=2019)
    with httpx.Client(base_url=sb.api_url) as client:
        outcomes = _record_flow(client, 250)
        sb.set_faults(None)
        committed_creates = _next_id(client) - 1
    stats = sb.fault_stats()
    injected = sum(v for k, v in stats.items() if not k.startswith("requests:"))
    failures = sum(v for (op, status), v in outcomes.items() if status not in (201, 202))
    assert injected == failures > 0
    # The creates that took effect: those answered 201, plus the commit-then-* ones
    # (a 502/504 or a dropped connection); errors before the app committed nothing.
    after_commit = sum(
        v for k, v in stats.items() if k.startswith("commit_then_") and "create" in k
    )
    assert committed_creates == outcomes["create", 201] + after_commit
    if profile != "flaky":  # there, 502/504 also come before the app
        lost = sum(outcomes["create", s] for s in (502, 504, "drop"))
        assert lost == after_commit
    if profile == "icedig-2019":
        statuses = {status for (_, status) in outcomes} - {201, 202}
        assert statuses <= {404, 500, 502, 504}
        assert 0.005 < failures / sum(outcomes.values()) < 0.035
    if profile == "lossy":
        assert {status for (_, status) in outcomes} <= {201, 202, "drop"}


# --------------------------------------------------------------------------- with the real app


@pytest.fixture
def real_app():
    pytest.importorskip("specpub.sandbox.app", reason="the sandbox application is not built yet")


def test_real_app_commit_then_drop_and_504_on_both_apis(real_app, sandbox):
    auth = sandbox.headers
    with httpx.Client(base_url=sandbox.api_url, headers=auth) as client:
        sandbox.set_faults(FaultPlan(commit_then_drop={"create": 1.0}))
        with pytest.raises(DROPPED):
            client.post("/deposit/depositions", json={"metadata": {"title": "lost answer"}})
        sandbox.set_faults(FaultPlan(commit_then_504={"create": 1.0}))
        native = client.post("/records", json={"metadata": {"title": "native 504"}})
        assert native.status_code == 504
        assert native.json()["error_id"]
        sandbox.set_faults(None)
        sandbox.refresh_index()
        listed = client.get("/deposit/depositions").json()
        titles = sorted(d["title"] for d in listed)
    assert titles == ["lost answer", "native 504"]  # both creates took effect
    stats = sandbox.fault_stats()
    assert stats["commit_then_drop:create"] == 1
    assert stats["commit_then_504:create"] == 1


def test_real_app_rate_limit_headers_on_auth_errors(real_app, sandbox_factory):
    sb = sandbox_factory(rate_limit="3/minute")
    with httpx.Client(base_url=sb.api_url) as client:
        anonymous = client.post("/deposit/depositions", json={})
        assert anonymous.status_code == 403
        assert anonymous.headers["x-ratelimit-remaining"] == "2"
        client.get("/records")  # search: its own window
        assert client.get("/records").headers["x-ratelimit-limit"] == "30"
        client.get("/deposit/depositions/1")
        client.get("/deposit/depositions/1")
        assert client.get("/deposit/depositions/1").status_code == 429
