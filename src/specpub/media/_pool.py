"""The scan's process pool: started once, warm, re-used by the next scan, closed when idle.

Starting worker processes and importing the readers in them (tifffile, numpy,
Pillow, exiv2) costs about as much as reading a thousand JPEGs, so a notebook
that scans again — or a benchmark that scans ten times — should not pay it
each time. :func:`acquire` returns a warm pool of the asked size (starting it
if needed, with the readers imported once in the fork server and inherited by
every worker), :func:`release` hands it back; once no scan has used it for
:data:`IDLE_SECONDS` it is shut down, and :func:`shutdown` closes it at once
(the command line does, so ``specpub scan`` leaves no process behind).

Examples
--------
>>> pool = acquire(1)
>>> pool.submit(sum, [1, 2]).result()
3
>>> release(pool); shutdown()
>>> _STATE.pool is None
True
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import importlib
import multiprocessing
import os
import sys
import threading

__all__ = ["IDLE_SECONDS", "acquire", "release", "replace", "shutdown"]

#: Seconds an unused pool stays warm after the last scan (``SPECPUB_SCAN_POOL_IDLE``).
IDLE_SECONDS = float(os.environ.get("SPECPUB_SCAN_POOL_IDLE", "60"))

#: What every worker imports before its first file (loaded once in the fork server).
PRELOAD = (
    "specpub.media._worker",
    "specpub.media._facts",
    "specpub.preservation.identify",
    "tifffile",
    "PIL.Image",
    "PIL.JpegImagePlugin",
    "PIL.PngImagePlugin",
    "pyexiv2",
)


def _warm() -> None:
    """Worker initializer: import the readers (a no-op when the fork server already did) and
    allow per-file alarms (this process is ours)."""
    from specpub.media import _worker

    _worker.IN_POOL_WORKER = True
    for name in PRELOAD:
        with contextlib.suppress(ImportError):  # pyexiv2 is optional (the ``exif`` extra)
            importlib.import_module(name)


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where it exists (safe with threads; the readers preloaded once), spawn
    elsewhere; fork when ``__main__`` cannot be re-imported (a script read from stdin)."""
    methods = multiprocessing.get_all_start_methods()
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file and not os.path.exists(main_file) and "fork" in methods:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        # takes effect when the fork server starts (the first pool of this process)
        ctx.set_forkserver_preload(["__main__", *PRELOAD])
        return ctx
    return multiprocessing.get_context("spawn")


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pool: cf.ProcessPoolExecutor | None = None
        self.workers = 0
        self.users = 0
        self.timer: threading.Timer | None = None


_STATE = _State()


def _new(workers: int) -> cf.ProcessPoolExecutor:
    return cf.ProcessPoolExecutor(workers, mp_context=_context(), initializer=_warm)


def _broken(pool: cf.ProcessPoolExecutor) -> bool:
    return bool(getattr(pool, "_broken", False) or getattr(pool, "_shutdown_thread", False))


def acquire(workers: int) -> cf.ProcessPoolExecutor:
    """A warm pool of ``workers`` processes (the cached one when its size matches).

    Examples
    --------
    >>> p = acquire(1); release(p); acquire(1) is p
    True
    >>> release(p); shutdown()
    """
    with _STATE.lock:
        if _STATE.timer is not None:
            _STATE.timer.cancel()
            _STATE.timer = None
        pool = _STATE.pool
        if pool is not None and (_STATE.workers != workers or _broken(pool)):
            if _STATE.users == 0:
                pool.shutdown(wait=False, cancel_futures=True)
            pool = None  # a scan still using the old one keeps it until it releases
        if pool is None:
            pool = _new(workers)
            _STATE.pool, _STATE.workers = pool, workers
        _STATE.users += 1
        return pool


def replace(pool: cf.ProcessPoolExecutor) -> cf.ProcessPoolExecutor:
    """A new pool of the same size instead of ``pool`` (broken: a worker died).

    Examples
    --------
    >>> p = acquire(1); q = replace(p); q is not p
    True
    >>> release(q); shutdown()
    """
    pool.shutdown(wait=False, cancel_futures=True)
    with _STATE.lock:
        new = _new(pool._max_workers)
        if _STATE.pool is pool or _STATE.pool is None:
            _STATE.pool, _STATE.workers = new, pool._max_workers
        return new


def release(pool: cf.ProcessPoolExecutor | None) -> None:
    """Hand a pool back; it is shut down after :data:`IDLE_SECONDS` without a scan (or at
    once if it is no longer the cached one)."""
    if pool is None:
        return
    with _STATE.lock:
        _STATE.users = max(0, _STATE.users - 1)
        if pool is not _STATE.pool or _broken(pool):  # replaced, killed or shut down
            if pool is _STATE.pool:
                _STATE.pool, _STATE.workers = None, 0
            pool.shutdown(wait=False, cancel_futures=True)
            return
        if _STATE.users == 0:
            if IDLE_SECONDS <= 0:
                _shutdown_locked(wait=True)
                return
            timer = threading.Timer(IDLE_SECONDS, _idle_shutdown, args=(pool,))
            timer.daemon = True
            _STATE.timer = timer
            timer.start()


def _idle_shutdown(pool: cf.ProcessPoolExecutor) -> None:
    with _STATE.lock:
        if _STATE.pool is pool and _STATE.users == 0:
            _shutdown_locked(wait=True)


def _shutdown_locked(*, wait: bool) -> None:
    if _STATE.timer is not None:
        _STATE.timer.cancel()
        _STATE.timer = None
    pool, _STATE.pool, _STATE.workers = _STATE.pool, None, 0
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)


def shutdown(*, wait: bool = True) -> None:
    """Close the warm pool now (its worker processes exit).

    Examples
    --------
    >>> shutdown()  # nothing running: a no-op
    """
    with _STATE.lock:
        _shutdown_locked(wait=wait)
