"""Chaos: ledger = server under every timing, on both APIs.

Per API, against the embedded repository running as a **child process** (so that it
can be SIGKILLed and restarted on the same data):

1. **Publishing under faults.** The ``icedig-2019`` error mix plus commit-then-drop on
   1 % of creates, uploads and publishes, and a search index lagging 2 s behind: more
   than the publisher's ``resolve_timeout`` (0.5 s), so lost creates are created again
   and their first drafts must be found and deleted before the run may exit 0. The
   publisher runs in a child process (``publish_worker.py``) that is SIGKILLed twice and
   the **server** once (then restarted on the same data and port). The kill instants are
   states, not times: when the ledger first shows 20 % and 45 % of the records
   published; the server dies at 70 % and comes back once the publisher has noted the
   outage. The publisher is run again until it exits 0.
2. **A second workspace over the same table**, planned afresh, is reconciled; that
   reconciliation is SIGKILLed once a third of the records were adopted, run again to
   the end, and the second workspace's ``publish`` then has nothing to send.
3. **A third workspace** just publishes: its preflight adopts everything, creating nothing.
4. **Two workspaces inside the index's lag**: a new table published from two workspaces
   at the same moment (two publisher processes, on a fresh server of their own with the
   same 2 s lag), so that neither's preflight listing shows the other's drafts. Each
   run's index check waits until the search shows its drafts, then adopts the older
   draft of a specimen the other run created first and deletes its own.

Counted independently over HTTP at the end, for every workspace: published = planned
exactly, no duplicate, no draft, ledger = server record by record, every file's
checksum equal to the local MD5.

``SPECPUB_CHAOS_RECORDS`` sets N for the legacy API (default 1000; the native API runs
half as many, each with three requests per file), ``SPECPUB_CHAOS_SEED`` the seed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch.helpers import make_specs
from batch.sandbox_tools import check_server_matches_ledger
from specpub.batch.ledger import Ledger
from specpub.batch.plan import plan_records
from specpub.batch.runner import run_batch
from specpub.repository import open_client
from specpub.sandbox import running_subprocess
from specpub.sandbox.faults import FaultPlan, get_fault_profile
from specpub.workspace import Workspace

pytestmark = [pytest.mark.chaos, pytest.mark.slow, pytest.mark.timeout(420)]

WORKER = Path(__file__).with_name("publish_worker.py")
ROOT = Path(__file__).resolve().parents[2]
TOKEN_ENV = "SPECPUB_CHAOS_TOKEN"
N = int(os.environ.get("SPECPUB_CHAOS_RECORDS", "1000"))
SEED = int(os.environ.get("SPECPUB_CHAOS_SEED", "2019"))


def _chaos_plan(seed: int) -> FaultPlan:
    icedig = get_fault_profile("icedig-2019")
    return FaultPlan(
        errors=icedig.errors,
        error_operations=icedig.error_operations,
        commit_then_504=icedig.commit_then_504,
        commit_then_502=icedig.commit_then_502,
        commit_then_drop={"create": 0.01, "upload": 0.01, "publish": 0.01},
        seed=seed,
    )


def _env(token: str) -> dict[str, str]:
    env = {**os.environ, TOKEN_ENV: token, "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _worker(ws, url, token, api, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(ws.root), url, api, "16", "0.5"],
        stdout=subprocess.PIPE, stderr=log, text=True, env=_env(token),
    )  # fmt: skip


def _published(ws) -> int:
    with Ledger.for_workspace(ws) as led:
        return led.counts().get("published", 0)


def _notes(ws, step: str, since: float = 0.0) -> int:
    with Ledger.for_workspace(ws) as led:
        ev = led.events(kind="note", since=since)
        return int((ev.step == step).sum())


def _wait(condition, proc, what: str, timeout: float = 240.0) -> None:
    """Poll a ledger condition (a state, not a time) while ``proc`` runs."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the process ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _verify(ws, sb, api, n) -> dict:
    async def go():
        client = open_client("embedded", api=api, base_url=sb.url, token_env=TOKEN_ENV)
        try:
            with Ledger.for_workspace(ws) as led:
                return await check_server_matches_ledger(client, led, n, sandbox=sb)
        finally:
            await client.aclose()

    return asyncio.run(go())


def _publish_through_the_chaos(ws, sb, api, n, log) -> dict:
    """Phase 1: publisher killed at 20 % and 45 %, server killed at 70 %, run to exit 0."""
    kills = {"publisher": 0, "server": 0}
    plan = [("publisher", 0.20), ("publisher", 0.45), ("server", 0.70)]
    runs, last = 0, None
    while True:
        runs += 1
        assert runs <= 12, f"no clean exit after {runs - 1} runs: {last}"
        proc = _worker(ws, sb.url, sb.token, api, log)
        while (plan and plan[0][0] == "server") or (plan and plan[0][0] == "publisher"):
            who, fraction = plan[0]
            reached = lambda f=fraction: _published(ws) >= f * n  # noqa: E731
            try:
                _wait(reached, proc, f"{fraction:.0%} published")
            except AssertionError:
                if proc.poll() is not None:
                    break  # this run ended early (records failed): run again
                raise
            plan.pop(0)
            if who == "publisher":
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills["publisher"] += 1
                break
            killed_at = time.time()
            sb.kill()
            kills["server"] += 1
            _wait(lambda t=killed_at: _notes(ws, "circuit_open", t) > 0, proc, "the outage noted")
            sb.restart()  # the same data, port, token and fault plan
        if proc.poll() is not None and proc.returncode < 0:
            continue  # killed: start again
        out, _ = proc.communicate(timeout=300)
        last = json.loads(out.strip().splitlines()[-1])
        if proc.returncode == 0 and not plan:
            break
    return {"runs": runs, "kills": kills, "last_run": last}


def _two_workspaces_at_once(tmp_path, monkeypatch, api, m) -> dict:
    """Phase 4: the same new table published from two workspaces at once, inside the lag."""
    specs = make_specs(tmp_path / "media-lag", m, files=(1, 2), prefix="L")
    spaces = []
    for name in ("lag-a", "lag-b"):
        ws = Workspace.create(tmp_path / name)
        plan_records(ws, specs, target="embedded", api=api)
        spaces.append(ws)
    log = (tmp_path / "chaos-lag.log").open("w")
    with running_subprocess(tmp_path / "repo-lag", rate_limit="off", index_lag=2.0) as sb:
        monkeypatch.setenv(TOKEN_ENV, sb.token)
        outs = [(tmp_path / f"{ws.root.name}.out").open("w+") for ws in spaces]
        procs = [
            subprocess.Popen(
                [sys.executable, str(WORKER), str(ws.root), sb.url, api, "16", "0.5"],
                stdout=out,
                stderr=log,
                text=True,
                env=_env(sb.token),
            )
            for ws, out in zip(spaces, outs, strict=True)
        ]
        results = []
        for proc, out in zip(procs, outs, strict=True):
            proc.wait(timeout=240)
            out.seek(0)
            text = out.read()
            out.close()
            assert proc.returncode == 0, text[-2000:]
            results.append(json.loads(text.strip().splitlines()[-1]))
        counted = [_verify(ws, sb, api, m) for ws in spaces]
        dois = []
        for ws in spaces:
            with Ledger.for_workspace(ws) as led:
                dois.append(dict(zip(led.records().remote_id, led.records().doi, strict=True)))
        assert dois[0] == dois[1]
    log.close()
    return {
        "records": m,
        "adopted_check": sum(r["adopted_check"] for r in results),
        "adopted_preflight": sum(r["adopted_preflight"] for r in results),
        "deleted_drafts": sum(r["deleted_drafts"] for r in results),
        "check_requests": [r["check_requests"] for r in results],
        "published": counted[0]["published"],
    }


def _reconcile_killed_midway(ws2, sb, n, log) -> None:
    """Phase 2: a second workspace's reconcile, SIGKILLed once a third was adopted."""
    argv = [sys.executable, "-m", "specpub", "reconcile", "--workspace", str(ws2.root),
            "--to", "embedded", "--url", sb.url, "--token-env", TOKEN_ENV,
            "--progress", "none"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=log, stderr=log, env=_env(sb.token))
    _wait(lambda: _notes(ws2, "adopt") >= n // 3, proc, "a third adopted")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Ledger.for_workspace(ws2) as led:
        states = led.counts()
        # every record is either untouched or adopted whole (one transaction each)
        assert set(states) <= {"planned", "published"}, states
        adopted = led.records(state="published")
        assert adopted.doi.notna().all()
        assert adopted.remote_id.notna().all()
    done = subprocess.run(argv, stdout=log, stderr=log, env=_env(sb.token), check=False)
    assert done.returncode == 0
    with Ledger.for_workspace(ws2) as led:
        assert led.counts() == {"published": n}


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_chaos(tmp_path, monkeypatch, api):
    n = N if api == "legacy" else max(10, N // 2)
    t0 = time.monotonic()
    specs = make_specs(tmp_path / "media", n, files=(1, 2, 3))
    ws = Workspace.create(tmp_path / "ws")
    plan_records(ws, specs, target="embedded", api=api, batch_size=max(1, n // 2))
    log = (tmp_path / "chaos.log").open("w")
    monkeypatch.setenv(TOKEN_ENV, "set below")
    with running_subprocess(
        tmp_path / "repo", rate_limit="off", index_lag=2.0, faults=_chaos_plan(SEED), seed=SEED
    ) as sb:
        monkeypatch.setenv(TOKEN_ENV, sb.token)
        phase1 = _publish_through_the_chaos(ws, sb, api, n, log)
        t1 = time.monotonic()
        stats = _verify(ws, sb, api, n)
        faults = sb.fault_stats()
        sb.set_faults(None)
        # phase 2: a second workspace over the same table
        ws2 = Workspace.create(tmp_path / "ws2")
        plan_records(ws2, specs, target="embedded", api=api)  # one batch: one reconcile
        _reconcile_killed_midway(ws2, sb, n, log)
        again = run_batch(ws2, open_client("embedded", api=api, base_url=sb.url,
                                           token_env=TOKEN_ENV), progress=None)  # fmt: skip
        assert again.ok
        assert again.requests == 0  # nothing left to send
        # phase 3: a third workspace publishes: its preflight adopts everything
        ws3 = Workspace.create(tmp_path / "ws3")
        plan_records(ws3, specs, target="embedded", api=api, batch_size=max(1, n // 2))
        third = run_batch(ws3, open_client("embedded", api=api, base_url=sb.url,
                                           token_env=TOKEN_ENV), progress=None)  # fmt: skip
        assert third.ok, third.summary()
        assert third.adopted_preflight == n
        assert third.requests == third.preflight_requests  # listing only: nothing created
        for other in (ws2, ws3):
            _verify(other, sb, api, n)
        with Ledger.for_workspace(ws) as led:
            events = led.events()
            dois = dict(zip(led.records().remote_id, led.records().doi, strict=True))
        for other in (ws2, ws3):
            with Ledger.for_workspace(other) as led:
                assert dict(zip(led.records().remote_id, led.records().doi, strict=True)) == dois
    log.close()
    requests = events[events.kind == "request"]
    summary = {
        "api": api,
        "records": n,
        **phase1,
        "publish_seconds": round(t1 - t0, 1),
        "total_seconds": round(time.monotonic() - t0, 1),
        "http_requests": int(requests.requests.sum()),
        "outcomes": requests.outcome.value_counts().to_dict(),
        "notes": events[events.kind == "note"].step.value_counts().to_dict(),
        "circuit_open_pauses": int((events.step == "circuit_open").sum()),
        "faults": faults,
        "second_workspace_listing_requests": third.preflight_requests,
        **stats,
    }
    print("CHAOS", json.dumps(summary))
    (tmp_path / "chaos-summary.json").write_text(json.dumps(summary, indent=2))
    assert phase1["kills"] == {"publisher": 2, "server": 1}
    # phase 4: two workspaces inside the index's lag, at the same moment
    m = max(10, n // 20)
    t4 = time.monotonic()
    lag = _two_workspaces_at_once(tmp_path, monkeypatch, api, m)
    lag["seconds"] = round(time.monotonic() - t4, 1)
    print("CHAOS-LAG", json.dumps(lag))
    assert lag["adopted_check"] > 0  # they did race for the same specimens
    # the faults really happened, and the lost creates went the long way round
    assert summary["outcomes"].get("ambiguous", 0) > 0
    assert summary["outcomes"].get("transient", 0) > 0
    assert summary["circuit_open_pauses"] >= 1
