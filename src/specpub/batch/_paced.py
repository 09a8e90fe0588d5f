"""Paced, retried one-off requests for the checking passes (reconcile, audit).

The runner sends its requests through its own scheduler (breaker, ledger
events, attempt counts per record). Reconciliation and the audit only need
the two shared parts of it: the :class:`~specpub.batch.pacing.Pacer` (so a
check never overflows the server's windows, search calls paced by the search
limits) and a :class:`~specpub.batch.retry.RetryPolicy` for 429 and 5xx.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from specpub.batch.pacing import DOCUMENTED_LIMITS, Pacer
from specpub.batch.retry import RetryPolicy
from specpub.errors import RateLimited, Transient

#: Retries of one check request: 4 attempts, backoff up to 8 s (a check is re-runnable).
CHECK_RETRY = RetryPolicy(max_attempts=4, base=0.5, cap=8.0)


def check_pacer(
    target: str,
    pacer: Pacer | None = None,
    *,
    limits: Iterable[Any] | None = None,
    search_limits: Iterable[Any] | None = None,
) -> Pacer:
    """The pacer of a check: ``pacer`` if given, else the target's documented limits.

    ``limits`` / ``search_limits`` override the general / search limits of
    the documented table (``()``: no pacing).
    """
    if pacer is not None:
        return pacer
    general, search = DOCUMENTED_LIMITS.get(target, ((), ()))
    return Pacer(
        general if limits is None else limits,
        search if search_limits is None else search_limits,
    )


async def paced_call(
    pacer: Pacer,
    func: Callable[..., Awaitable[Any]],
    *args: Any,
    endpoint: str = "api",
    retry: RetryPolicy = CHECK_RETRY,
    client: Any = None,
    rng: random.Random | None = None,
    **kwargs: Any,
) -> Any:
    """Call ``func(*args, **kwargs)`` when the pacer lets it go; retry 429 and 5xx.

    A 429 is told to the pacer (which then holds every request back until
    ``Retry-After``); other transient errors wait the policy's backoff. The
    last failure is raised once ``retry.max_attempts`` attempts failed; any
    other error (404, 4xx, ambiguous) is raised at once.
    """
    attempt = 0
    while True:
        attempt += 1
        ticket = await pacer.acquire(endpoint, track=True)
        try:
            out = await func(*args, **kwargs)
        except RateLimited as err:
            pacer.note_rate_limited(err.retry_after)
            if retry.exhausted(attempt):
                raise
            continue  # the pacer's pause makes the next acquire wait
        except Transient:
            if retry.exhausted(attempt):
                raise
            pacer.release(ticket)
            await asyncio.sleep(retry.backoff(attempt, rng))
            continue
        finally:
            pacer.release(ticket)
        info = getattr(client, "rate_limit", None) if client is not None else None
        if info is not None:
            pacer.on_response(200, info)
        return out
