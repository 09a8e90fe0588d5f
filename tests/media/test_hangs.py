"""A file that hangs a reader, and Ctrl-C: the scan goes on (or stops) without losing work."""

from __future__ import annotations

import os
import signal
import time

import pytest

from specpub.media import _pool, _worker, register_analyser, scan
from specpub.media.analysers import unregister_analyser
from specpub.media.manifest import MediaManifest
from specpub.workspace import Workspace

from . import _images as im


def test_allowance_grows_with_the_file():
    assert _worker.allowance(0, 10) == 10
    assert _worker.allowance(8 << 20, 10) == 12  # one second per 4 MiB
    assert _worker.allowance(5, None) == float("inf")
    assert _worker.allowance(5, 0) == float("inf")


def test_a_reader_that_sleeps_becomes_a_timeout_row_and_the_chunk_goes_on(tmp_path, monkeypatch):
    # unit test of the worker layer: the reader is patched to hang on one file
    slow, ok = im.jpeg(tmp_path / "slow.jpg"), im.jpeg(tmp_path / "ok.jpg")
    real = _worker.read_file

    def read_file(path, **kw):
        if str(path).endswith("slow.jpg"):
            time.sleep(60)
        return real(path, **kw)

    monkeypatch.setattr(_worker, "read_file", read_file)
    monkeypatch.setattr(_worker, "IN_POOL_WORKER", True)  # as in the scan's pool workers
    before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    rows = _worker.scan_chunk([str(slow), str(ok)], _worker.ScanConfig(file_timeout=0.5))
    assert time.monotonic() - started < 30
    assert [r["error_code"] for r in rows] == ["timeout", ""]
    assert "did not finish within" in rows[0]["error"]
    assert "--file-timeout" in rows[0]["error"]
    assert rows[1]["md5"]
    assert signal.getsignal(signal.SIGALRM) is before  # whoever had it (pytest-timeout) has it


def test_no_alarm_outside_the_scans_own_workers(tmp_path, monkeypatch):
    # in a user's process (workers=0) or a Dask thread the scan never touches SIGALRM
    monkeypatch.setattr(_worker, "IN_POOL_WORKER", False)
    before = signal.getsignal(signal.SIGALRM)
    rows = _worker.scan_chunk([str(im.jpeg(tmp_path / "a.jpg"))], _worker.ScanConfig())
    assert rows[0]["error_code"] == ""
    assert signal.getsignal(signal.SIGALRM) is before


def _sleep_on_hang(item):
    if item.path.endswith("hang.jpg"):
        time.sleep(120)  # a reader stuck in Python code: the worker's alarm interrupts it
    return None


def _stuck_on_stuck(item):
    if item.path.endswith("stuck.jpg"):
        # a reader stuck where no signal gets through (C code holding the interpreter):
        # only the watchdog in the scanning process can end it
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(120)
    return None


@pytest.fixture
def folder(tmp_path):
    for i in range(4):
        im.jpeg(tmp_path / f"ok{i}.jpg")
    yield tmp_path
    _pool.shutdown()


def test_a_file_that_hangs_a_worker_is_a_timeout_and_the_scan_finishes(folder):
    im.jpeg(folder / "hang.jpg")
    register_analyser("hang", "tests.media.test_hangs:_sleep_on_hang", replace=True)
    try:
        m = scan(
            [folder],
            analysers=("facts", "hang"),
            workers=2,
            chunk_size=2,
            file_timeout=3,
            progress=None,
        )
    finally:
        unregister_analyser("hang")
    codes = dict(zip(m.frame["key"], m.frame["error_code"].fillna(""), strict=True))
    assert codes.pop("hang.jpg") == "timeout"
    assert set(codes.values()) == {""}
    assert len(codes) == 4
    assert "MEDIA-READ" in set(m.findings()["id"])


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="needs POSIX signals")
def test_a_worker_stuck_beyond_signals_is_killed_by_the_watchdog(folder):
    im.jpeg(folder / "stuck.jpg")
    register_analyser("stuck", "tests.media.test_hangs:_stuck_on_stuck", replace=True)
    try:
        m = scan(
            [folder],
            analysers=("facts", "stuck"),
            workers=2,
            chunk_size=2,
            file_timeout=2,
            progress=None,
        )
    finally:
        unregister_analyser("stuck")
    codes = dict(zip(m.frame["key"], m.frame["error_code"].fillna(""), strict=True))
    assert codes.pop("stuck.jpg") == "timeout"
    assert set(codes.values()) == {""}
    assert len(codes) == 4
    # the killed pool was replaced; the one left is healthy and re-used by the next scan
    again = scan([folder / "ok0.jpg"], workers=2, progress=None)
    assert again.frame["error_code"].fillna("").tolist() == [""]


def test_ctrl_c_keeps_what_was_read_and_the_next_scan_reads_the_rest(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    for i in range(12):
        im.jpeg(media / f"BR{i:04d}.jpg")
    ws = Workspace.create(tmp_path / "ws")

    class CtrlCAfterFirstChunk:
        total = None

        def update(self, n=1):
            raise KeyboardInterrupt

        def set_postfix_str(self, text):
            pass

        def close(self):
            pass

    with pytest.raises(KeyboardInterrupt):
        scan([media], workspace=ws, workers=0, chunk_size=4, progress=CtrlCAfterFirstChunk())
    saved = MediaManifest.load(ws)
    assert len(saved) == 4
    assert saved.frame["md5"].notna().all()
    rest = scan([media], workspace=ws, workers=0, progress=None)
    assert rest.info["scan"]["files_read"] == 8
    assert rest.info["scan"]["files_unchanged"] == 4
    assert len(rest) == 12
    assert len(rest.removed) == 0


def test_ctrl_c_stops_the_pool_workers(tmp_path):
    for i in range(8):
        im.jpeg(tmp_path / f"BR{i:04d}.jpg")
    pools = []

    class CtrlC:
        total = None

        def update(self, n=1):
            pools.append(_pool._STATE.pool)
            raise KeyboardInterrupt

        def set_postfix_str(self, text):
            pass

        def close(self):
            pass

    try:
        with pytest.raises(KeyboardInterrupt):
            scan([tmp_path], workers=2, chunk_size=1, progress=CtrlC())
        procs = list(pools[0]._processes.values()) if pools[0]._processes else []
        for p in procs:
            p.join(timeout=30)
        assert not any(p.is_alive() for p in procs)
        assert _pool._STATE.pool is not pools[0]
    finally:
        _pool.shutdown()
    assert os.getpid()  # this process is intact
