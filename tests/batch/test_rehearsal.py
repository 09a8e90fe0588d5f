"""Forecast arithmetic, and a real rehearsal on the embedded sandbox."""

from __future__ import annotations

import math

import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.plan import FileSpec, RecordSpec, plan_records
from specpub.batch.rehearsal import forecast, rehearse, requests_per_record
from specpub.limits import RateLimit, scale_rate_limits
from specpub.records import PayloadOptions, build_payloads
from specpub.repository import Marker
from specpub.sandbox import FaultPlan
from specpub.workspace import Workspace


def test_pilot_forecast_at_zenodo_limits():
    f = forecast(281_372, 1, "zenodo", margin=0, slack=0)
    assert f.requests_per_record == 3
    assert f.total_requests == 844_116
    # the hourly limit dominates: 5000/h / 3 requests = 1,666.7 records/h
    assert f.bottleneck == "5000/hour"
    assert f.records_per_hour == pytest.approx(5000 / 3)
    assert f.hours == pytest.approx(math.floor(844_115 / 5000))  # 168 full windows
    assert f.days == pytest.approx(7.0)
    assert f.bounds["100/minute"] < f.bounds["5000/hour"]
    # as the pacer keeps the windows (1 % + 20 ms longer): what a run really takes
    paced = forecast(281_372, 1, "zenodo")
    assert paced.hours == pytest.approx(168 * (3600 * 1.01 + 0.02) / 3600)


def test_overheads_stretch_the_forecast():
    base = forecast(10_000, 2, "zenodo", margin=0, slack=0)
    worse = forecast(
        10_000, 2, "zenodo", overhead=0.1, failure_rate=0.04, pause_fraction=0.2, margin=0, slack=0
    )
    assert worse.effective_requests_per_record == pytest.approx(4 * 1.1 * 1.04)
    assert worse.total_requests == math.ceil(10_000 * 4 * 1.1 * 1.04)
    assert worse.seconds > base.seconds / 0.8
    assert worse.records_per_hour == pytest.approx(5000 * 0.8 / (4 * 1.1 * 1.04))


def test_native_path_and_latency_bound():
    assert requests_per_record(3, "native") == 11
    f = forecast(1000, 1, None, concurrency=8, request_seconds=0.4)
    assert f.bottleneck == "latency"
    assert f.seconds == pytest.approx(3000 * 0.4 / 8)
    with pytest.raises(ValueError, match="api"):
        requests_per_record(1, "soap")
    assert scale_rate_limits([RateLimit(5000, 3600.0)], 3600) == (RateLimit(5000, 1.0),)


def _workspace(root, n):
    ws = Workspace.create(root)
    specs = []
    for i in range(n):
        cat = f"RH{i:05d}"
        img = root / f"{cat}.jpg"
        img.write_bytes(b"\xff\xd8\xff" + cat.encode() * 30)
        row = {"catalogNumber": cat, "institutionCode": "BR"}
        payload = build_payloads(row, PayloadOptions(publication_date="2026-01-01")).legacy
        specs.append(RecordSpec(Marker(cat, "BR"), legacy=payload,
                                files=[FileSpec.from_path(img)]))  # fmt: skip
    plan_records(ws, specs, target="zenodo", api="legacy")
    return ws


@pytest.mark.slow
def test_rehearsal_measures_overhead_and_leaves_the_ledger_alone(tmp_path, monkeypatch):
    from specpub.sandbox import faults as fault_registry

    # registered for this test only (the registry is process-wide)
    monkeypatch.setitem(
        fault_registry._PROFILES, "test-rehearsal-heavy", FaultPlan(errors={503: 0.25})
    )
    ws = _workspace(tmp_path / "ws", 30)
    clean = rehearse(ws, sample=10, faults=None, time_scale=3600, seed=1)
    assert clean.sample == 10
    assert clean.population == 30
    assert clean.published == 10
    assert clean.requests_per_record == pytest.approx(3.0)
    assert clean.overhead == pytest.approx(0.0)
    assert clean.forecast.n_records == 30
    assert (clean.folder / "ledger.sqlite").is_file()
    heavy = rehearse(ws, sample=10, faults="test-rehearsal-heavy", time_scale=3600, seed=2)
    assert heavy.published + heavy.failed + heavy.pending == 10
    assert heavy.requests_per_record > 3.0
    assert heavy.overhead > 0
    assert (
        heavy.forecast.effective_requests_per_record > clean.forecast.effective_requests_per_record
    )
    assert any(e["status"] == "503" for e in heavy.errors)
    assert "rehearsal of batch 1" in heavy.summary()
    with Ledger.for_workspace(ws) as led:
        assert led.counts() == {"planned": 30}  # the real ledger is untouched
