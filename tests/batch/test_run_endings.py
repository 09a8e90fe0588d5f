"""Runs and checks that end clearly: the cause at once, outages shown, documented exit codes.

Issue 7, failure 5: ``publish --url http://127.0.0.1:9 --progress text`` (nothing
listening) printed nothing for 590 s, probing every 60 s without end, and a second run
ended after 53 s with exit 3 (the README promises 1) printing only "0/7 published, 7
failed". Failure 6: an audit with a wrong token sent 1,800 requests answered 401, exited
3 and overwrote the earlier good ``reports/audit-batch-1.csv`` with error rows.
"""

from __future__ import annotations

import json
import os

import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.plan import plan_records
from specpub.batch.retry import CircuitBreaker, RetryPolicy
from specpub.batch.runner import RunOptions, run_batch
from specpub.cli import main
from specpub.workspace import Workspace

from .fakes import FakeClient
from .helpers import make_specs

VAR = "SPECPUB_TEST_ENDINGS_TOKEN"


@pytest.fixture
def ws(tmp_path):
    ws = Workspace.create(tmp_path / "ws")
    plan_records(ws, make_specs(tmp_path / "media", 4), target="embedded", api="legacy")
    return ws


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_an_unreachable_repository_ends_the_run_at_once_with_the_cause(ws, capsys, monkeypatch):
    monkeypatch.setenv(VAR, "a-token")
    code, out, err = run(capsys, "publish", "--workspace", ws.root, "--to", "embedded",
                         "--url", "http://127.0.0.1:9", "--token-env", VAR,
                         "--progress", "text")  # fmt: skip
    assert code == 1
    text = out + err
    assert "cannot use the repository at http://127.0.0.1:9" in text
    assert "ConnectError" in text
    assert "Nothing was sent" in text
    with Ledger.for_workspace(ws) as led:
        assert led.counts() == {"planned": 4}  # no record touched
        requests = led.events(kind="request")
        assert list(requests.step) == ["list"] * 3  # three quick tries, then the cause
        assert led.runs().outcome.tolist() == ["stopped"]
    assert "a-token" not in text


class Lines:
    """A progress object that keeps the lines a run prints (tqdm-like: write())."""

    def __init__(self):
        self.lines: list[str] = []
        self.total = None

    def update(self, n=1):
        pass

    def close(self):
        pass

    def write(self, text):
        self.lines.append(text)


def test_an_outage_is_shown_while_it_lasts_and_max_outage_ends_the_run(ws):
    client = FakeClient()
    client.outage(1000.0, 503, at="create")  # the repository goes down after the preflight
    lines = Lines()
    result = run_batch(
        ws, client, progress=lines, concurrency=4,
        retry=RetryPolicy(base=0.001, cap=0.01, max_attempts=50),
        breaker=CircuitBreaker(min_failures=3, min_records=2, probe_initial=0.02,
                               probe_max=0.05),
        options=RunOptions(max_outage=0.5),
    )  # fmt: skip
    assert result.stopped == "outage"
    assert result.exit_code == 1
    assert "unreachable for" in result.message
    assert "longer than max_outage" in result.message
    assert "HTTP 503" in result.message  # the cause
    shown = "\n".join(lines.lines)
    assert "repository unreachable since" in shown
    assert "Ctrl-C stops, nothing is lost" in shown
    assert "next probe in" in shown  # shown again while it lasts
    with Ledger.for_workspace(ws) as led:
        assert "failed" not in led.counts()  # an outage charges no record
    # when the repository answers again, the same command resumes
    client.outage_until = 0
    again = run_batch(ws, client, progress=None)
    assert again.ok, again.summary()


def test_exit_codes_match_the_readme_for_every_ending(ws, sandbox, capsys, monkeypatch, tmp_path):
    common = ["--workspace", ws.root, "--to", "embedded", "--url", sandbox.url, "--token-env", VAR,
              "--progress", "none"]  # fmt: skip
    monkeypatch.setenv(VAR, "wrong")
    code, out, err = run(capsys, "publish", *common)
    assert code == 1  # the token refused: nothing touched
    assert "refused the token" in out + err
    monkeypatch.setenv(VAR, sandbox.token)
    assert run(capsys, "publish", *common)[0] == 0  # all published
    assert run(capsys, "publish", *common)[0] == 0  # nothing left to do
    code, _, err = run(capsys, "publish", *common, "--max-outage", "soon")
    assert code == 2  # bad input
    assert "--max-outage" in err
    other = Workspace.create(tmp_path / "other")
    # other specimens (with the same ones, preflight or the index check would adopt what
    # the first workspace published moments ago: nothing left to fail)
    specs = make_specs(tmp_path / "m2", 2, prefix="O")
    plan_records(other, specs, target="embedded", api="legacy")
    next((tmp_path / "m2").glob("*.jpg")).write_bytes(b"changed after planning")
    assert run(capsys, "publish", *common[:1], other.root, *common[2:])[0] == 3  # failed


@pytest.mark.parametrize("command", ["audit", "reconcile"])
def test_a_refused_token_stops_a_check_at_the_first_answer_and_keeps_the_last_report(
    ws, sandbox, capsys, monkeypatch, command
):
    common = ["--workspace", ws.root, "--to", "embedded", "--url", sandbox.url, "--token-env", VAR,
              "--progress", "none"]  # fmt: skip
    monkeypatch.setenv(VAR, sandbox.token)
    assert run(capsys, "publish", *common)[0] == 0
    sandbox.refresh_index()
    code, out, _ = run(capsys, command, *common, "--json")
    assert code == 0
    good = ws.root / "reports" / f"{command}-batch-1.csv"
    kept = good.read_bytes()
    assert json.loads(out)["csv"] != str(good)  # each run writes its own, beside the latest
    monkeypatch.setenv(VAR, "wrong")
    with Ledger.for_workspace(ws) as led:
        before = int(led.events(kind="request").requests.sum())
    code, out, err = run(capsys, command, *common)
    assert code == 1
    assert "token" in err
    assert good.read_bytes() == kept  # the good report is not overwritten
    with Ledger.for_workspace(ws) as led:
        assert int(led.events(kind="request").requests.sum()) - before == 1  # one request
        assert led.runs(command).outcome.tolist()[-1] == "stopped"
    assert len(list((ws.root / "reports").glob(f"{command}-batch-1-*.csv"))) == 1
    os.environ.pop(VAR, None)


def test_a_watcher_sees_the_outage_in_the_ledger_while_it_lasts(ws):
    # what a notebook's dashboard (or `specpub status` in another terminal) reads
    import threading

    from specpub.batch.status import ledger_status

    client = FakeClient()
    client.outage(1000.0, 503, at="create")
    box = {}
    runner = threading.Thread(
        target=lambda: box.setdefault(
            "r",
            run_batch(
                ws,
                client,
                progress=None,
                breaker=CircuitBreaker(
                    min_failures=3, min_records=2, probe_initial=0.05, probe_max=0.1
                ),
                retry=RetryPolicy(base=0.001, cap=0.01, max_attempts=50),
                options=RunOptions(max_outage=30.0),
            ),
        )
    )
    runner.start()
    seen = None
    for _ in range(600):
        with Ledger.for_workspace(ws) as led:
            run = ledger_status(led).batches[0].last_run
        if run is not None and run["outage"]:
            seen = run
            break
        runner.join(timeout=0.05)
    client.outage_until = 0  # the repository answers again
    runner.join(timeout=60)
    assert seen is not None, "the outage never showed in the ledger"
    assert seen["outcome"] == "running"
    assert "503" in seen["outage"]["cause"]
    assert box["r"].ok
    with Ledger.for_workspace(ws) as led:
        after = ledger_status(led)
    assert after.batches[0].last_run["outage"] is None
    assert after.batches[0].last_run["outcome"] == "ok"
    assert "last publish run" in after.summary()
