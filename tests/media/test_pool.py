"""The scan's warm process pool: re-used across scans, closed when idle or on demand."""

from __future__ import annotations

import os
import time

import pytest

from specpub.media import _pool, scan

from . import _images as im


def _pid(_):
    return os.getpid()


@pytest.fixture(autouse=True)
def _closed():
    _pool.shutdown()
    yield
    _pool.shutdown()


def test_a_second_scan_reuses_the_warm_workers(tmp_path):
    im.jpeg(tmp_path / "a.jpg")
    scan([tmp_path], workers=2, progress=None)
    first = _pool._STATE.pool
    pids = {first.submit(_pid, i).result() for i in range(4)}
    scan([tmp_path], workers=2, progress=None)
    assert _pool._STATE.pool is first
    assert {first.submit(_pid, i).result() for i in range(4)} <= pids | set()  # same processes
    assert os.getpid() not in pids


def test_workers_have_the_readers_imported_before_the_first_file():
    pool = _pool.acquire(1)
    try:
        # eval: a builtin, so the worker imports nothing of this test module to run it
        loaded = set(pool.submit(eval, "list(__import__('sys').modules)").result())
        ours = pool.submit(eval, "__import__('specpub.media._worker').media._worker.IN_POOL_WORKER")
        assert ours.result() is True
    finally:
        _pool.release(pool)
    assert {"specpub.media._worker", "specpub.media._facts", "tifffile", "PIL.Image"} <= loaded


def test_a_pool_of_another_size_replaces_the_cached_one():
    a = _pool.acquire(1)
    _pool.release(a)
    b = _pool.acquire(2)
    _pool.release(b)
    assert a is not b
    assert _pool._STATE.pool is b
    assert a._shutdown_thread


def test_an_idle_pool_is_shut_down(monkeypatch):
    monkeypatch.setattr(_pool, "IDLE_SECONDS", 0.2)
    pool = _pool.acquire(1)
    procs = []
    pool.submit(_pid, 0).result()
    procs = list(pool._processes.values())
    _pool.release(pool)
    deadline = time.monotonic() + 60
    while _pool._STATE.pool is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _pool._STATE.pool is None
    for p in procs:
        p.join(timeout=30)
        assert not p.is_alive()


def test_shutdown_leaves_no_worker_behind(tmp_path):
    im.jpeg(tmp_path / "a.jpg")
    scan([tmp_path], workers=2, progress=None)
    procs = list(_pool._STATE.pool._processes.values())
    assert procs
    _pool.shutdown()
    for p in procs:
        p.join(timeout=30)
        assert not p.is_alive()
