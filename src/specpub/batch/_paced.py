"""What the checking passes (reconcile, audit) share: paced, retried, recorded requests.

The runner sends its requests through its own scheduler (breaker, ledger
events, attempt counts per record). Reconciliation and the audit need the
shared parts of it: the :class:`~specpub.batch.pacing.Pacer` (so a check never
overflows the server's windows), a :class:`~specpub.batch.retry.RetryPolicy`
for 429 and 5xx, one event row per request in their own run of the ledger,
and the rule that a refused token stops the check at once (every further
request would be refused too). :class:`CheckRun` is that preamble, written once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from specpub.batch.pacing import Pacer
from specpub.batch.retry import RetryPolicy
from specpub.errors import RateLimited, RepositoryError, Transient, classify
from specpub.limits import RateLimitSpec
from specpub.repository._http import count_requests
from specpub.repository.protocol import last_answer

#: Retries of one check request: 4 attempts, backoff up to 8 s (a check is re-runnable).
CHECK_RETRY = RetryPolicy(max_attempts=4, base=0.5, cap=8.0)


def check_pacer(
    target: str,
    pacer: Pacer | None = None,
    *,
    limits: RateLimitSpec = None,
    search_limits: RateLimitSpec = None,
) -> Pacer:
    """The pacer of a check: ``pacer`` if given, else one with the limits the target carries.

    ``limits`` / ``search_limits`` override the target's general / search
    limits (``()``: no pacing); given, they are kept as they are.
    """
    if pacer is not None:
        return pacer
    default = Pacer.for_target(target)
    if limits is None and search_limits is None:
        return default
    return Pacer(
        default.limits if limits is None else limits,
        default.search_limits if search_limits is None else search_limits,
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
    other error goes back to the caller at once: a refused token, a rejection,
    an ambiguous answer, and a 404, which the caller confirms (reconcile GETs
    it again while the repository serves other records) or reports (audit).
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
        info = last_answer() or (getattr(client, "rate_limit", None) if client else None)
        if info is not None:
            pacer.on_response(200, info)
        return out


class CheckRun:
    """The preamble of a check of one batch: target, pacer, retries, recorded requests.

    Parameters
    ----------
    ledger, client
        The ledger and a client for the batch's target.
    batch
        The batch id (resolve ``None`` with ``ledger.latest_batch`` first).
    kind
        ``"reconcile"`` or ``"audit"``: the ``purpose`` of every event row.
    pacer, limits, search_limits, retry
        See :func:`check_pacer` and :data:`CHECK_RETRY`.

    Examples
    --------
    >>> import asyncio, tempfile, pathlib
    >>> from specpub.batch.ledger import Ledger
    >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "l.sqlite")
    >>> b = led.create_batch(target="embedded", api="legacy")
    >>> check = CheckRun(led, None, b, kind="audit")
    >>> async def answer():
    ...     return 42
    >>> asyncio.run(check.call("get", answer))
    42
    >>> led.events()[["step", "outcome", "requests"]].values.tolist()
    [['get', 'ok', 1]]
    """

    def __init__(
        self,
        ledger: Any,
        client: Any,
        batch: int,
        *,
        kind: str,
        pacer: Pacer | None = None,
        limits: RateLimitSpec = None,
        search_limits: RateLimitSpec = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.ledger = ledger
        self.client = client
        self.batch = int(batch)
        self.info = ledger.batch(self.batch)
        self.kind = kind
        self.pacer = check_pacer(
            self.info.target, pacer, limits=limits, search_limits=search_limits
        )
        self.policy = retry or CHECK_RETRY
        #: HTTP requests sent so far.
        self.requests = 0
        self._exact = hasattr(client, "_http")

    async def call(
        self,
        step: str,
        func: Callable[..., Awaitable[Any]],
        *args: Any,
        endpoint: str = "api",
        record_id: int | None = None,
        detail: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """One paced, retried request, recorded as an event (``purpose``: the check's kind).

        A refused token (:class:`~specpub.errors.AuthenticationError`) is
        raised like any error: callers let it stop the whole check.
        """
        info = {"purpose": self.kind, **(detail or {})}
        t0 = time.monotonic()
        with count_requests() as sent:
            try:
                out = await paced_call(
                    self.pacer, func, *args, endpoint=endpoint, retry=self.policy,
                    client=self.client, **kwargs,
                )  # fmt: skip
            except RepositoryError as err:
                n = sent[0] if self._exact else 1
                self.requests += n
                self.ledger.record_event(
                    self.batch, record_id, step, classify(err).outcome, http_status=err.status,
                    duration=time.monotonic() - t0, error=str(err), detail=info, requests=n,
                )  # fmt: skip
                raise
        n = sent[0] if self._exact else 1
        self.requests += n
        self.ledger.record_event(
            self.batch, record_id, step, "ok", duration=time.monotonic() - t0, detail=info,
            requests=n,
        )  # fmt: skip
        return out
