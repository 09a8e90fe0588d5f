"""Batch report numbers from a synthetic ledger: Table-5 breakdown, throughput, ETA, HTML."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.report import (
    batch_report,
    build_report,
    error_breakdown,
    render_svg,
    throughput,
)
from specpub.repository.protocol import Marker
from specpub.workspace import Workspace

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
HOSTILE = '<script>alert("x")</script>&<b>'


def _pilot_like_ledger(ws: Workspace) -> tuple[Ledger, int]:
    """20 records: 12 published (one per minute), 2 failed, 6 planned, pilot error mix."""
    led = Ledger.for_workspace(ws)
    b = led.create_batch(target="zenodo", api="legacy", label=HOSTILE)
    rids = [led.add_record(b, Marker(f"BR{i:04d}", "BR"), payload={})[0] for i in range(20)]
    for i, rid in enumerate(rids[:12]):
        t = T0 + 60.0 * i
        led.transition(rid, "creating")
        led.record_event(b, rid, "create", "ok", http_status=201, duration=0.5, ts=t)
        led.transition(rid, "created", remote_id=str(1000 + i))
        led.record_event(b, rid, "upload", "ok", http_status=201, duration=1.0, ts=t + 1)
        led.transition(rid, "uploaded")
        led.transition(rid, "publishing")
        led.record_event(b, rid, "publish", "ok", http_status=202, duration=0.5, ts=t + 3)
        led.transition(rid, "published", doi=f"10.5072/zenodo.{1000 + i}")
    for rid in rids[12:14]:
        led.transition(rid, "failed", reason="gave up", retryable=True)
    # The pilot's error mix: 50 x 404, 18 x 504, 17 x 502, 15 x 500 (100 failed attempts).
    mix = [(404, 50, "publish"), (504, 18, "publish"), (502, 17, "create"), (500, 15, "upload")]
    n = 0
    for status, count, step in mix:
        for _ in range(count):
            outcome = "rejected" if status == 404 else "transient"
            led.record_event(
                b,
                rids[0],
                step,
                outcome,
                http_status=status,
                duration=0.1,
                retry=1 + n % 3,
                ts=T0 + 10 + n * 0.01,
            )
            n += 1
    led.record_pause(b, "rate_limit", 30.0, ts=T0 + 100)
    led.record_pause(b, "circuit_open", 120.0, ts=T0 + 200)
    led.record_pause(b, "backoff", 5.0, ts=T0 + 300)
    return led, b


@pytest.fixture
def ledger_and_batch(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    led, b = _pilot_like_ledger(ws)
    yield ws, led, b
    led.close()


def test_table5_percentages_and_counts(ledger_and_batch):
    _, led, b = ledger_and_batch
    rep = batch_report(led, b)
    table = rep.errors.set_index("status")
    assert table["count"].to_dict() == {"404": 50, "504": 18, "502": 17, "500": 15}
    assert table["percent"].to_dict() == {"404": 50.0, "504": 18.0, "502": 17.0, "500": 15.0}
    by_step = rep.errors_by_step.set_index(["step", "status"])["percent"].to_dict()
    assert by_step[("publish", "404")] == pytest.approx(100 * 50 / 68, abs=0.05)
    assert by_step[("create", "502")] == 100.0
    s = rep.stats
    assert (s["records"], s["published"], s["failed"], s["remaining"]) == (20, 12, 2, 8)
    assert s["attempts"] == 36 + 100
    assert s["failed_attempts"] == 100
    # a retry repeats a failed attempt of the same record and step: the first failure of
    # each step here follows a successful attempt, so 100 failures make 97 retries
    assert s["retries"] == 97
    assert s["rate_limit_wait_s"] == 30.0
    assert s["outage_pause_s"] == 120.0
    assert s["backoff_wait_s"] == 5.0
    # first event at T0, last publish ends at T0 + 11*60 + 3.5
    assert s["elapsed_s"] == pytest.approx(11 * 60 + 3.5)


def test_throughput_and_eta(ledger_and_batch):
    _, led, b = ledger_and_batch
    # published_at in the ledger is wall-clock; use the publish events instead.
    records = led.records(batch=b).drop(columns=["published_at"])
    rep = build_report(records, led.events(batch=b), window_seconds=300)
    tp = rep.throughput
    assert tp["published"].sum() == 12
    assert tp["cumulative"].iloc[-1] == 12
    assert (tp["per_minute"] <= 1.0).all()
    # 5 records published in the last 300 s of activity -> 1/min; 8 remain -> 8 min
    assert rep.stats["recent_per_minute"] == pytest.approx(1.0)
    assert rep.stats["eta_s"] == pytest.approx(480.0)


def test_eta_none_when_nothing_published():
    rep = build_report(pd.DataFrame({"state": ["planned", "failed"]}), None)
    assert rep.stats["eta_s"] is None
    assert "ETA -" in rep.summary()


def test_html_escapes_hostile_values_and_has_svg(ledger_and_batch, tmp_path):
    ws, led, b = ledger_and_batch
    led.record_event(b, None, "create", "rejected", http_status=400, error=HOSTILE, ts=T0 + 5)
    out = tmp_path / "r.html"
    rep = batch_report(led, b, write_to=ws, html_path=out)
    page = out.read_text()
    assert "<script>" not in page
    assert html.escape(HOSTILE) in page
    assert page.count("<svg") == 1
    assert "<polyline" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # no external assets
    csvs = sorted(p.name for p in (ws.root / "reports").glob("*.csv"))
    assert csvs == [
        f"batch-{b}-{n}.csv"
        for n in ("counts", "errors", "errors_by_step", "runs", "stats", "throughput")
    ]
    again = pd.read_csv(ws.root / "reports" / f"batch-{b}-errors.csv")
    assert again["count"].sum() == 101
    assert rep.files["html"] == out


def test_error_breakdown_counts_no_response():
    ev = pd.DataFrame(
        {
            "ts": [1.0, 2.0, 3.0],
            "step": ["publish"] * 3,
            "outcome": ["ambiguous", "ok", "transient"],
            "http_status": [None, 202, 503],
            "kind": ["request"] * 3,
        }
    )
    table = error_breakdown(ev)
    assert table.values.tolist() == [["503", 1, 50.0], ["no response", 1, 50.0]]


def test_throughput_bins_widen_for_long_runs():
    day = [i * 60.0 for i in range(24 * 60)]
    tp = throughput(day)
    assert len(tp) <= 240
    assert tp["per_minute"].max() == pytest.approx(1.0)
    assert tp["cumulative"].iloc[-1] == len(day)


def test_svg_is_well_formed_and_inside_its_box():
    import xml.etree.ElementTree as ET

    times = [i * 7.0 for i in range(300)] + [3000 + i * 2.0 for i in range(200)]
    svg = render_svg(throughput(times), width=600, height=240)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    rects = root.findall(f"{ns}rect")[1:]  # the first is the background
    assert len(rects) == len(throughput(times))
    for r in rects:
        assert 0 <= float(r.get("x")) <= 600
        assert 0 <= float(r.get("y")) <= 240
    points = root.find(f"{ns}polyline").get("points").split()
    ys = [float(p.split(",")[1]) for p in points]
    assert ys == sorted(ys, reverse=True)  # cumulative never goes down (SVG y grows downwards)


def test_retries_are_repeats_of_failed_attempts_not_later_steps(tmp_path):
    """The ledger's ``retry`` column counts attempts per record across steps; a record that
    failed once at create must not make its upload and publish count as retries."""
    with Ledger.for_workspace(Workspace.create(tmp_path / "ws")) as led:
        b = led.create_batch(target="zenodo", api="legacy")
        rid, _ = led.add_record(b, Marker("BR1", "BR"), payload={})
        steps = [("create", "transient", 502, 0), ("create", "ok", 201, 1),
                 ("upload", "ok", 201, 1), ("publish", "ok", 202, 1)]  # fmt: skip
        for i, (step, outcome, status, retry) in enumerate(steps):
            led.record_event(b, rid, step, outcome, http_status=status, retry=retry, ts=T0 + i)
        assert batch_report(led, b).stats["retries"] == 1


def test_time_labels_of_a_short_run_tell_its_seconds_apart():
    # Issue 7, failure 7: all three labels of a 49 s publish's chart read "12:10 UTC"
    times = [T0 + 600 + s for s in range(0, 49, 3)]
    svg = render_svg(throughput(times))
    labels = re.findall(r">([0-9:]+) UTC<", svg)
    assert len(labels) == 3
    assert len(set(labels)) == 3, labels
    assert all(label.count(":") == 2 for label in labels)  # seconds shown


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_the_report_counts_publish_runs_apart_from_checks_and_agrees_with_plan_and_server(
    sandbox, tmp_path, api
):
    # Issue 7, failure 7: "elapsed 20m 15s" for a 49 s publish (later audits and
    # reconciles counted in), "Request attempts 9,045" against publish's 5,400, and a
    # native run of 1,800 one-file records reporting 5,400 requests while its dry run
    # listed 5 per record.
    import asyncio
    import json

    from specpub.batch.audit import audit
    from specpub.batch.plan import plan_records
    from specpub.batch.reconcile import reconcile
    from specpub.batch.runner import run_batch
    from specpub.repository import open_client

    from .helpers import make_specs

    def server_requests() -> int:
        return sum(v for k, v in sandbox.fault_stats().items() if k.startswith("requests:"))

    # the sandbox counts requests while a fault layer is active: an outage far away
    sandbox.add_outage(1.0, 503, start_in=1e9)
    ws = Workspace.create(tmp_path / "ws")
    plan_records(ws, make_specs(tmp_path / "media", 6, files=(1,)), target="embedded", api=api)
    dry = run_batch(ws, open_client(sandbox, api=api), dry_run=True)
    lines = (ws.root / "reports" / "dry-run" / "batch-1.jsonl").read_text().splitlines()
    plans = [json.loads(line) for line in lines]
    # per record, the listing, and one index check (a marker search) for the 6 records
    planned = sum(len(p["requests"]) for p in plans) + dry.preflight_requests + dry.check_requests
    assert sum(len(p["requests"]) for p in plans) == 6 * (3 if api == "legacy" else 5)
    assert dry.check_requests == 1
    before = server_requests()
    result = run_batch(ws, open_client(sandbox, api=api), progress=None)
    assert result.ok
    # the index lags (1 s): each search that found it behind is one more request, reported
    extra = result.check_searches_behind
    assert result.check_requests == dry.check_requests + extra
    assert result.requests == planned + extra == server_requests() - before

    async def checks():
        c = open_client(sandbox, api=api)
        try:
            with Ledger.for_workspace(ws) as led:
                await reconcile(led, c)
                await audit(led, c)
        finally:
            await c.aclose()

    asyncio.run(checks())
    rep = batch_report(ws, 1)
    s = rep.stats
    assert s["requests"] == result.requests  # the checks are not counted in
    assert s["preflight_requests"] == 1
    assert s["check_requests"] == result.check_requests
    assert s["publish_runs"] == 1
    runs = rep.runs.set_index("kind")
    assert list(rep.runs.kind) == ["dry-run", "publish", "reconcile", "audit"]
    assert s["elapsed_s"] == pytest.approx(runs.loc["publish", "elapsed_s"])
    assert runs.loc["publish", "requests"] == result.requests
    assert runs.loc["reconcile", "requests"] >= 1
    assert runs.loc["audit", "requests"] == 6 * (1 if api == "legacy" else 2)
    text = rep.summary()
    assert (
        f"{result.requests} requests (1 listing the server, {result.check_requests} checking "
        "the index for duplicates)"
    ) in text
    assert "\n  reconcile " in text
    assert "\n  audit " in text
    assert "\n  dry-run " in text
