"""Deterministic controls of a serving sandbox: interceptions, index refresh, restart."""

from __future__ import annotations

import argparse
import concurrent.futures
import json

import httpx
import pytest

from specpub.sandbox import SandboxConfig, running_subprocess, start
from specpub.sandbox.faults import Interception

DEP = "/deposit/depositions"


def _client(sb) -> httpx.Client:
    return httpx.Client(base_url=sb.api_url, headers=sb.headers, timeout=30)


def _count(sb, c: httpx.Client) -> int:
    return len(c.get(DEP).json())


def test_intercept_drop_commits_then_loses_the_answer(sandbox):
    cut = sandbox.intercept("create", "drop")
    with _client(sandbox) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.post(DEP, json={})
        assert cut.hits == 1
        sandbox.refresh_index()
        assert _count(sandbox, c) == 1  # committed although the answer was lost
        assert c.post(DEP, json={}).status_code == 201  # used up: the next one passes
    assert sandbox.fault_stats()["intercept:after:drop:create"] == 1


def test_intercept_status_after_or_before_the_commit(sandbox):
    with _client(sandbox) as c:
        sandbox.intercept("create", 504)
        assert c.post(DEP, json={}).status_code == 504
        sandbox.intercept("create", 500, before=True, count=2)
        assert [c.post(DEP, json={}).status_code for _ in range(3)] == [500, 500, 201]
        sandbox.refresh_index()
        assert _count(sandbox, c) == 2  # the 504 committed, the two 500s did not


def test_intercept_narrowed_by_path(sandbox):
    with _client(sandbox) as c:
        dep = c.post(DEP, json={}).json()
        sandbox.intercept("other", 502, path=r"/actions/discard$")
        assert c.put(f"{DEP}/{dep['id']}", json={"metadata": {}}).status_code == 200
        assert c.post(f"{DEP}/{dep['id']}/actions/discard").status_code == 502
        assert c.get(f"{DEP}/{dep['id']}").status_code == 404  # it was carried out


def test_hold_after_commit_then_release_or_drop(sandbox):
    with _client(sandbox) as c, concurrent.futures.ThreadPoolExecutor(2) as pool:
        held = sandbox.intercept("create", "hold")
        future = pool.submit(c.post, DEP, json={})
        assert held.wait(timeout=30)  # the create is committed, its answer waits
        sandbox.refresh_index()
        assert _count(sandbox, c) == 1
        assert not future.done()
        held.release()
        assert future.result(timeout=30).status_code == 201

        held = sandbox.intercept("create", "hold")
        future = pool.submit(c.post, DEP, json={})
        assert held.wait(timeout=30)
        held.drop()
        with pytest.raises(httpx.RemoteProtocolError):
            future.result(timeout=30)


def test_hold_before_keeps_the_request_in_flight(sandbox):
    with _client(sandbox) as c, concurrent.futures.ThreadPoolExecutor(1) as pool:
        held = sandbox.intercept("create", "hold", before=True)
        future = pool.submit(c.post, DEP, json={})
        assert held.wait(timeout=30)
        sandbox.refresh_index()
        assert _count(sandbox, c) == 0  # nothing committed while it waits
        held.release()
        assert future.result(timeout=30).status_code == 201


def test_held_requests_do_not_block_stopping(tmp_path):
    sb = start(tmp_path / "sb", rate_limit="off")
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        held = sb.intercept("create", "hold")
        future = pool.submit(httpx.post, f"{sb.api_url}{DEP}", json={}, headers=sb.headers)
        assert held.wait(timeout=30)
    finally:
        sb.stop()  # drops the held answer instead of waiting forever
    with pytest.raises(httpx.HTTPError):
        future.result(timeout=30)
    pool.shutdown()


def test_interception_arguments_are_checked():
    with pytest.raises(ValueError, match="unknown operation"):
        Interception("explode")
    with pytest.raises(ValueError, match="needs before=False"):
        Interception("create", "drop", before=True)
    with pytest.raises(ValueError, match="HTTP error status"):
        Interception("create", 200)


def test_index_lag_default_refresh_and_runtime_change(sandbox_factory):
    sb = sandbox_factory()  # the default lag: as on Zenodo
    assert sb.config.index_lag == 1.0
    with _client(sb) as c:
        c.post(DEP, json={})
        assert _count(sb, c) == 0  # a new draft is not searchable before a refresh
        assert sb.refresh_index() == 1
        assert _count(sb, c) == 1
        sb.set_index_lag(0)
        c.post(DEP, json={})
        assert _count(sb, c) == 2
        with pytest.raises(ValueError, match=">= 0"):
            sb.set_index_lag(-1)


def test_subprocess_controls_kill_and_restart_on_the_same_data(tmp_path):
    with running_subprocess(tmp_path / "sb", rate_limit="off") as child:
        url, token = child.url, child.token
        with _client(child) as c:
            dep = c.post(DEP, json={}).json()
            child.intercept("create", 503, before=True)
            assert c.post(DEP, json={}).status_code == 503
            assert child.refresh_index() >= 1
            assert [d["id"] for d in c.get(DEP).json()] == [dep["id"]]
            held = child.intercept("publish", "hold")
            assert held.hits == 0
            child.kill()
            assert child.process.poll() is not None
            with pytest.raises(httpx.ConnectError):
                c.get(DEP)
            child.restart()
            assert (child.url, child.token) == (url, token)
        with _client(child) as c:
            assert c.get(f"{DEP}/{dep['id']}").status_code == 200  # same data
            assert "intercept" not in json.dumps(child.fault_stats())  # a fresh process


def test_config_round_trips_through_a_file_and_the_cli(tmp_path, capsys):
    from specpub.sandbox._cli import _config_from_args, register
    from specpub.sandbox.faults import FaultPlan

    cfg = SandboxConfig(
        data_dir=tmp_path / "d",
        token="secret-token",
        index_lag=0.25,
        rate_limit="10/s",
        faults=FaultPlan(errors={503: 0.5}, seed=3),
        seed=9,
    )
    path = cfg.to_file(tmp_path / "sandbox.json")
    assert "secret-token" not in path.read_text()
    again = SandboxConfig.from_file(path)
    assert again == cfg.changed(token=None)

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["sandbox", "serve", "--config", str(path), "--index-lag", "2"])
    served = _config_from_args(args)
    assert served.index_lag == 2.0
    assert served.rate_limits == cfg.rate_limits
    assert served.faults == cfg.faults
