"""Chaos: thousands of records, ICEDIG-like faults, lost answers, an outage and two kill -9.

The sandbox runs in a thread of the test process with the ``icedig-2019``
fault mix plus commit-then-drop on 1 % of creates, uploads and publishes, one
404 outage window, and a little index lag. The runner runs in a child process
(``publish_worker.py``) that is SIGKILLed twice at random moments and
restarted; it is then run until nothing is left to do. At the end the server
and the ledger must agree record by record: exactly N published, zero
duplicates, zero drafts, every file checksum equal to the local MD5.

``SPECPUB_CHAOS_RECORDS`` sets N (default 2000, the acceptance number),
``SPECPUB_CHAOS_API`` the API (``legacy``, default, or ``native``) and
``SPECPUB_CHAOS_SEED`` the seed of the kill moments and the fault draws.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch.helpers import make_specs
from batch.sandbox_tools import check_server_matches_ledger, client_for
from specpub.batch.ledger import Ledger
from specpub.batch.plan import plan_records
from specpub.sandbox.faults import FaultPlan, get_fault_profile
from specpub.workspace import Workspace

pytestmark = [pytest.mark.chaos, pytest.mark.slow, pytest.mark.timeout(420)]

WORKER = Path(__file__).with_name("publish_worker.py")


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


def _start_worker(ws, url, token, api, concurrency, log):
    env = {**os.environ, "SPECPUB_CHAOS_TOKEN": token, "PYTHONUNBUFFERED": "1"}
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), str(root), env.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(ws.root), url, api, str(concurrency), "5"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("api", [os.environ.get("SPECPUB_CHAOS_API", "legacy")])
def test_chaos(tmp_path, sandbox_factory, monkeypatch, api):
    n = int(os.environ.get("SPECPUB_CHAOS_RECORDS", "2000"))
    rng = random.Random(int(os.environ.get("SPECPUB_CHAOS_SEED", "2019")))
    t0 = time.monotonic()
    ws = Workspace.create(tmp_path / "ws")
    specs = make_specs(tmp_path / "media", n, files=(1, 2, 3))
    plan_records(ws, specs, target="embedded", api=api, batch_size=1000)
    sandbox = sandbox_factory(faults=_chaos_plan(rng.randrange(1 << 30)))
    log = (tmp_path / "worker.log").open("w")
    kills, runs, results = 0, 0, []
    outage_at = None
    deadline = time.monotonic() + 330
    while time.monotonic() < deadline:
        runs += 1
        proc = _start_worker(ws, sandbox.url, sandbox.token, api, 16, log)
        if kills < 2:
            # kill at a random moment while it is busy
            time.sleep(rng.uniform(4.0, 12.0))
            if runs == 1 and outage_at is None:
                outage_at = time.monotonic()
                sandbox.add_outage(4.0, 404)  # Zenodo's May 2019 database outage, in small
                time.sleep(rng.uniform(1.0, 6.0))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
                continue
        out, _ = proc.communicate(timeout=max(10.0, deadline - time.monotonic()))
        assert proc.returncode == 0, f"worker exited {proc.returncode}; see {log.name}"
        results.append(json.loads(out.strip().splitlines()[-1]))
        with Ledger.for_workspace(ws) as led:
            counts = led.counts()
        if counts == {"published": n}:
            break
    log.close()
    elapsed_runs = time.monotonic() - t0
    with Ledger.for_workspace(ws) as led:
        assert led.counts() == {"published": n}, (led.counts(), results)
        events = led.events()

        async def verify():
            client = client_for(sandbox, api, monkeypatch)
            try:
                return await check_server_matches_ledger(client, led, n, sandbox=sandbox)
            finally:
                await client.aclose()

        stats = asyncio.run(verify())
    assert kills == 2
    faults = sandbox.fault_stats()
    summary = {
        "records": n,
        "runs": runs,
        "kills": kills,
        "seconds": round(elapsed_runs, 1),
        "requests": int((events.kind == "request").sum()),
        "outcomes": events[events.kind == "request"].outcome.value_counts().to_dict(),
        "adopt_notes": int((events.step == "adopt").sum()),
        "delete_draft": int((events.step == "delete_draft").sum()),
        "circuit_open_pauses": int((events.step == "circuit_open").sum()),
        "faults": faults,
        **stats,
    }
    print("CHAOS", json.dumps(summary))
    (tmp_path / "chaos-summary.json").write_text(json.dumps(summary, indent=2))
    # the faults really happened
    assert summary["outcomes"].get("ambiguous", 0) > 0
    assert summary["outcomes"].get("transient", 0) + summary["outcomes"].get("rejected", 0) > 0
