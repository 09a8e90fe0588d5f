"""The server runtime: start/stop, ports, tokens, data dirs, the CLI, subprocesses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import httpx
import pytest

from specpub.cli import main
from specpub.errors import InputError
from specpub.sandbox import FaultPlan, running, running_subprocess, start
from specpub.sandbox._cli import _bind_warning


def _refused(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_running_starts_and_stops_cleanly(tmp_path, tiny_app_factory):
    threads_before = set(threading.enumerate())
    with running(tmp_path / "data", token="tok-1", app_factory=tiny_app_factory) as sb:
        assert sb.url.startswith("http://127.0.0.1:")
        assert sb.port > 0
        assert sb.api_url == sb.url + "/api"
        assert sb.config.base_url == sb.url  # links use the real port
        assert sb.token == "tok-1"
        assert sb.config.user_for("tok-1") == "sandbox-user"
        assert sb.headers == {"Authorization": "Bearer tok-1"}
        assert httpx.get(f"{sb.api_url}/ping").json() == {"ok": True}
        port = sb.port
        assert (tmp_path / "data").is_dir()
        assert "running" in repr(sb)
    assert _refused(port)
    assert set(threading.enumerate()) <= threads_before
    assert (tmp_path / "data").is_dir()  # a given data dir is kept


def test_temporary_data_dir_and_generated_token(tiny_app_factory):
    with running(app_factory=tiny_app_factory) as sb:
        data_dir = sb.data_dir
        assert data_dir.is_dir()
        assert len(sb.token) >= 30
    assert not data_dir.exists()
    with running(app_factory=tiny_app_factory) as other:
        assert other.token != sb.token


def test_two_sandboxes_side_by_side_and_stop_is_idempotent(tmp_path, tiny_app_factory):
    a = start(tmp_path / "a", app_factory=tiny_app_factory, rate_limit=None)
    b = start(tmp_path / "b", app_factory=tiny_app_factory, rate_limit=None)
    try:
        assert a.port != b.port
        assert httpx.get(f"{b.api_url}/ping").status_code == 200
    finally:
        a.stop()
        a.stop()
        b.stop()
    assert _refused(a.port)


def test_stop_with_an_open_keep_alive_connection(tmp_path, tiny_app_factory):
    sb = start(tmp_path, app_factory=tiny_app_factory)
    client = httpx.Client(base_url=sb.api_url)
    assert client.get("/ping").status_code == 200
    sb.stop()  # must not hang on the idle keep-alive connection
    with pytest.raises(httpx.TransportError):
        client.get("/ping")
    client.close()


def test_fixed_port_in_use_is_a_clear_error(tmp_path, tiny_app_factory):
    with (
        running(tmp_path, app_factory=tiny_app_factory) as sb,
        pytest.raises(OSError, match="cannot listen"),
    ):
        start(tmp_path / "2", port=sb.port, app_factory=tiny_app_factory)


def test_unknown_fault_profile_fails_before_serving(tmp_path, tiny_app_factory):
    with (
        pytest.raises(InputError, match="icedig-2019"),
        running(tmp_path, faults="nope", app_factory=tiny_app_factory),
    ):
        pass


def test_bind_warning():
    assert _bind_warning("127.0.0.1") is None
    assert _bind_warning("localhost") is None
    assert _bind_warning("::1") is None
    assert "reachable from other machines" in _bind_warning("0.0.0.0")


def test_profiles_command(capsys):
    assert main(["sandbox", "profiles"]) == 0
    out = capsys.readouterr().out
    for name in ("none", "flaky", "icedig-2019", "lossy", "outage"):
        assert name in out


def test_serve_rejects_bad_options(capsys):
    assert main(["sandbox", "serve", "--rate-limit", "lots"]) == 2
    assert "rate limit 'lots'" in capsys.readouterr().err
    assert main(["sandbox", "serve", "--faults", "nope"]) == 2
    assert "icedig-2019" in capsys.readouterr().err
    env = "SPECPUB_TEST_UNSET_TOKEN_VAR"
    os.environ.pop(env, None)
    assert main(["sandbox", "serve", "--token-env", env]) == 2
    assert env in capsys.readouterr().err


# --------------------------------------------------------------------------- with the real app


@pytest.fixture
def real_app():
    pytest.importorskip("specpub.sandbox.app", reason="the sandbox application is not built yet")


def _create(url: str, token: str, title: str) -> dict:
    r = httpx.post(
        f"{url}/api/deposit/depositions",
        json={"metadata": {"title": title}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_restart_with_the_same_data_dir_keeps_records(real_app, tmp_path):
    with running(tmp_path, token="t", rate_limit=None) as sb:
        rid = _create(sb.url, sb.token, "kept")["id"]
        assert rid
    with running(tmp_path, token="t", rate_limit=None) as sb:
        r = httpx.get(f"{sb.api_url}/deposit/depositions/{rid}", headers=sb.headers)
        assert r.status_code == 200
        assert r.json()["title"] == "kept"
        assert r.json()["links"]["self"].startswith(sb.url)


def test_fixture_sandbox(real_app, sandbox):
    assert not sandbox.config.rate_limits
    assert sandbox.config.index_lag == 1.0  # as on Zenodo
    created = _create(sandbox.url, sandbox.token, "via fixture")
    assert created["links"]["bucket"].startswith(sandbox.url)
    assert "x-ratelimit-limit" not in httpx.get(f"{sandbox.api_url}/records").headers


def test_cli_serve_in_a_subprocess(real_app, tmp_path):
    with running_subprocess(tmp_path, token="sub-token") as proc:
        assert proc.url.startswith("http://127.0.0.1:")
        rid = _create(proc.url, proc.token, "from child")["id"]
        # Faults can be switched in the child while it serves (stdin control channel).
        plan = proc.set_faults(FaultPlan(errors={503: 1.0}, error_operations={"create"}))
        assert plan.errors == {503: 1.0}
        create = httpx.post(f"{proc.api_url}/deposit/depositions", json={}, headers=proc.headers)
        assert create.status_code == 503
        proc.add_outage(60, 404)
        assert httpx.get(f"{proc.api_url}/records").status_code == 404
        proc.clear_outages()
        proc.set_faults("none")
        assert httpx.get(f"{proc.api_url}/records").status_code == 200
        assert proc.fault_stats() == {
            "error:503": 1,
            "outage:404": 1,
            "requests:create": 1,
            "requests:lookup": 1,  # counted only while faults are active
        }
        with pytest.raises(RuntimeError, match="icedig-2019"):
            proc.set_faults("nope")
        assert proc.stop() == 0
        assert "Traceback" not in proc.stderr_text()
    with running_subprocess(tmp_path, token="sub-token") as again:
        r = httpx.get(f"{again.api_url}/deposit/depositions/{rid}", headers=again.headers)
        assert r.status_code == 200
        again.kill()
        assert _refused(again.port)


def test_cli_prints_a_generated_token_once(real_app, tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "specpub", "sandbox", "serve", "--data", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        token_line = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert token_line.startswith("token: ")
        token = token_line.removeprefix("token: ")
        r = httpx.get(
            f"{url}/api/deposit/depositions", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200
        assert "x-ratelimit-limit" in r.headers  # default limits are on for serve
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert token not in out + err  # printed once, never again
    assert "stopped" in err
