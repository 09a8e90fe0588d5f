"""Rate limiting: moving-window semantics (fake clock) and the middleware over real sockets."""

from __future__ import annotations

import math
import time

import httpx
import pytest

from specpub.sandbox import ratelimit
from specpub.sandbox.config import RateLimit, parse_rate_limits
from specpub.sandbox.ratelimit import BROAD_SEARCH_PATHS, RateLimiter


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------- unit: window


def test_moving_window_is_exact_not_fixed():
    clock = FakeClock(0.0)
    rl = RateLimiter([RateLimit(3, 10.0)], clock=clock)
    for t in (0.0, 5.0, 9.0):
        clock.now = t
        assert rl.hit(b"k").allowed
    clock.now = 9.5
    rejected = rl.hit(b"k")
    assert not rejected.allowed
    assert rejected.reset == 10.0  # the request of t=0 leaves the window at t=10
    assert rejected.retry_after == 1
    clock.now = 10.0
    assert rl.hit(b"k").allowed  # one slot freed, not a whole new window
    clock.now = 12.0
    d = rl.hit(b"k")
    assert not d.allowed  # 5, 9, 10 are still in the window (a fixed window would allow)
    assert d.retry_after == 3  # 5 leaves at 15
    clock.now = 15.0
    ok = rl.hit(b"k")
    assert ok.allowed
    assert ok.remaining == 0
    assert ok.reset == 19.0


def test_rejected_requests_do_not_count():
    clock = FakeClock(0.0)
    rl = RateLimiter([RateLimit(2, 10.0)], clock=clock)
    assert rl.hit(b"k").allowed
    assert rl.hit(b"k").allowed
    for i in range(50):
        clock.now = 0.1 + i * 0.19
        assert not rl.hit(b"k").allowed
    clock.now = 10.0
    assert rl.hit(b"k").allowed


def test_several_limits_report_the_tightest():
    clock = FakeClock(0.0)
    rl = RateLimiter(parse_rate_limits("2/1s;3/10s"), clock=clock)
    first = rl.hit(b"k")
    assert (first.limit, first.remaining) == (2, 1)
    second = rl.hit(b"k")
    assert (second.limit, second.remaining) == (2, 0)
    clock.now = 0.2
    per_second = rl.hit(b"k")
    assert not per_second.allowed
    assert per_second.limit == 2
    assert per_second.retry_after == 1
    clock.now = 1.5
    third = rl.hit(b"k")
    assert third.allowed
    assert (third.limit, third.remaining) == (3, 0)
    clock.now = 2.6
    per_ten = rl.hit(b"k")
    assert not per_ten.allowed
    assert per_ten.limit == 3
    assert per_ten.retry_after == math.ceil(10.0 - 2.6)


def test_keys_are_independent_and_idle_keys_are_forgotten(monkeypatch):
    monkeypatch.setattr(ratelimit, "_SWEEP_EVERY", 4)
    clock = FakeClock(0.0)
    rl = RateLimiter([RateLimit(1, 5.0)], clock=clock)
    assert rl.hit(b"a").allowed
    assert rl.hit(b"b").allowed
    assert not rl.hit(b"a").allowed
    assert len(rl) == 2
    clock.now = 6.0
    rl.hit(b"c")  # 4th hit: sweep forgets a and b
    assert len(rl) == 1


# --------------------------------------------------------------------------- over sockets


def _limits(response: httpx.Response) -> tuple[int, int, int]:
    h = response.headers
    return (
        int(h["x-ratelimit-limit"]),
        int(h["x-ratelimit-remaining"]),
        int(h["x-ratelimit-reset"]),
    )


def test_headers_on_every_response_and_429(tiny_sandbox_factory):
    sb = tiny_sandbox_factory(rate_limit="5/minute;100/hour", search_rate_limit="off")
    with httpx.Client(base_url=sb.api_url, headers={"User-Agent": "ua-1"}) as client:
        responses = [
            client.post("/deposit/depositions", json={}),  # 201
            client.get("/deposit/depositions/999"),  # 404 from the app
            client.get("/ping"),
            client.delete("/deposit/depositions/1"),  # 204
            client.get("/ping"),
        ]
        assert [r.status_code for r in responses] == [201, 404, 200, 204, 200]
        assert [_limits(r)[:2] for r in responses] == [(5, 4), (5, 3), (5, 2), (5, 1), (5, 0)]
        now = time.time()
        assert all(now - 5 < _limits(r)[2] - 60 <= now + 1 for r in responses)

        limited = client.get("/ping")
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/json"
        body = limited.json()
        assert body["status"] == 429
        assert "limit" in body["message"]
        retry = int(limited.headers["retry-after"])
        assert 55 <= retry <= 60
        assert _limits(limited)[:2] == (5, 0)

        # The key is User-Agent + address: another User-Agent has its own window.
        other = client.get("/ping", headers={"User-Agent": "ua-2"})
        assert other.status_code == 200
        assert _limits(other)[:2] == (5, 4)


def test_search_has_its_own_stricter_limit(tiny_sandbox_factory):
    sb = tiny_sandbox_factory(rate_limit="10/minute", search_rate_limit="2/minute")
    with httpx.Client(base_url=sb.api_url) as client:
        searches = [client.get("/records", params={"q": "x"}) for _ in range(3)]
        assert [r.status_code for r in searches] == [200, 200, 429]
        assert _limits(searches[0])[:2] == (2, 1)
        # Searches do not use up the general limit, and the general limit goes on.
        ping = client.get("/ping")
        assert ping.status_code == 200
        assert _limits(ping)[:2] == (10, 9)
        # By default the user's deposit list is not a "search" (UNCERTAIN on Zenodo).
        listing = client.get("/deposit/depositions")
        assert listing.status_code == 200
        assert _limits(listing)[0] == 10


def test_search_paths_are_configurable(tiny_sandbox_factory):
    sb = tiny_sandbox_factory(
        rate_limit="10/minute", search_rate_limit="1/minute", search_paths=BROAD_SEARCH_PATHS
    )
    with httpx.Client(base_url=sb.api_url) as client:
        assert client.get("/deposit/depositions").status_code == 200
        assert client.get("/deposit/depositions").status_code == 429
        assert client.post("/deposit/depositions", json={}).status_code == 201  # POST: no search


def test_moving_window_with_a_fake_clock_over_sockets(tiny_sandbox_factory):
    clock = FakeClock()
    sb = tiny_sandbox_factory(rate_limit="2/10s", clock=clock)
    with httpx.Client(base_url=sb.api_url) as client:
        assert client.get("/ping").status_code == 200
        clock.now += 6
        assert client.get("/ping").status_code == 200
        clock.now += 1
        limited = client.get("/ping")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "3"
        assert int(limited.headers["x-ratelimit-reset"]) == math.ceil(clock.now + 3)
        clock.now += 3
        assert client.get("/ping").status_code == 200


def test_injected_faults_carry_rate_limit_headers(tiny_sandbox_factory):
    sb = tiny_sandbox_factory(rate_limit="50/minute", faults=None)
    sb.set_faults("none")
    sb.add_outage(30.0, 503)
    with httpx.Client(base_url=sb.api_url) as client:
        r = client.get("/ping")
    assert r.status_code == 503
    assert _limits(r)[:2] == (50, 49)


def test_rate_limit_off_means_no_headers(tiny_sandbox_factory):
    sb = tiny_sandbox_factory(rate_limit=None)
    with httpx.Client(base_url=sb.api_url) as client:
        responses = [client.get("/ping") for _ in range(3)] + [client.get("/records")]
    assert all(r.status_code == 200 for r in responses)
    assert not any("x-ratelimit-limit" in r.headers for r in responses)


@pytest.mark.parametrize("spec", ["100/minute;5000/hour", "10/5s"])
def test_default_and_custom_specs_reach_the_config(tiny_sandbox_factory, spec):
    sb = tiny_sandbox_factory(rate_limit=spec)
    assert sb.config.rate_limits == parse_rate_limits(spec)
    assert sb.config.search_rate_limits == parse_rate_limits("30/minute")
