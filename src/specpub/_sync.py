"""Run a coroutine to completion from synchronous code, also inside a running event loop.

Every synchronous entry point of specpub that does asynchronous work (the
public stage functions, :func:`specpub.batch.runner.run_batch`, the
rehearsal) goes through :func:`run_sync`, the one "thread box":

* with no event loop running in this thread (a script, the CLI, papermill's
  kernel between cells is irrelevant here), it is :func:`asyncio.run`;
* inside a running loop (a Jupyter cell, where ``asyncio.run`` raises
  "cannot be called from a running event loop"), the coroutine runs on a
  fresh loop in a helper thread while the caller's thread waits. The
  caller's context variables are copied into the helper thread.

An interrupt of the waiting thread (the notebook's stop button raises
:class:`KeyboardInterrupt` there) cancels the coroutine, waits for its
clean-up (the batch runner writes its ledger state and closes its
connections) and is then re-raised: nothing keeps running in the
background.

Async clients are bound to the loop they first ran on, so the coroutine
must create its own clients: :func:`run_sync` takes a *factory* (a function
returning the coroutine), called in the thread that runs it.

Examples
--------
>>> import asyncio
>>> async def answer():
...     await asyncio.sleep(0)
...     return 42
>>> run_sync(answer)
42
>>> async def cell():  # as in a notebook: a loop is already running
...     return run_sync(answer)
>>> asyncio.run(cell())
42
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["in_running_loop", "run_sync"]

T = TypeVar("T")


def in_running_loop() -> bool:
    """Whether an event loop runs in this thread (as in a Jupyter cell).

    Examples
    --------
    >>> in_running_loop()
    False
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_sync(factory: Callable[[], Coroutine[Any, Any, T]], *, name: str = "specpub-run-sync") -> T:
    """Run ``factory()`` to completion and return its result (or raise its error).

    Parameters
    ----------
    factory
        A function of no arguments returning the coroutine to run (for
        example an ``async def`` function, or a ``lambda`` calling one).
    name
        The helper thread's name, when one is needed (shows in tracebacks
        and thread dumps).

    Returns
    -------
    The coroutine's result.

    Examples
    --------
    >>> async def fail():
    ...     raise ValueError("told you")
    >>> run_sync(fail)
    Traceback (most recent call last):
    ...
    ValueError: told you
    """
    if not in_running_loop():
        return asyncio.run(factory())
    return _in_helper_thread(factory, name)


def _in_helper_thread(factory: Callable[[], Coroutine[Any, Any, T]], name: str) -> T:
    box: dict[str, Any] = {}
    ready, done = threading.Event(), threading.Event()
    context = contextvars.copy_context()

    async def main() -> T:
        box["loop"] = asyncio.get_running_loop()
        box["task"] = asyncio.current_task()
        ready.set()
        return await factory()

    def target() -> None:
        try:
            box["result"] = asyncio.run(main())
        except BaseException as err:  # re-raised in the caller's thread
            box["error"] = err
        finally:
            ready.set()
            done.set()

    thread = threading.Thread(target=context.run, args=(target,), name=name, daemon=True)
    # Waiting on our own event, not thread.join(): an interrupted join can mark a
    # thread that still runs as stopped (CPython gh-90882, fixed in 3.13).
    try:
        thread.start()
        while not done.wait(timeout=0.25):
            pass
    except BaseException:
        # The caller was interrupted: cancel the work, let it clean up, then re-raise.
        _cancel(box, ready, done)
        raise
    if "error" in box:
        raise box["error"]
    return box["result"]


def _cancel(box: dict[str, Any], ready: threading.Event, done: threading.Event) -> None:
    """Cancel the helper thread's coroutine and wait until it has finished cleaning up."""
    if not ready.wait(timeout=10.0):  # the thread never got to run: nothing to cancel
        return
    loop, task = box.get("loop"), box.get("task")
    if loop is not None and task is not None and not loop.is_closed():
        # RuntimeError: the loop closed in between, nothing is left to cancel
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(task.cancel)
    done.wait()
