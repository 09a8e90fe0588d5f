"""One classification of errors, read from the exception classes (issue 8, part 2).

``NotFound`` was a ``Rejected`` (do not retry) that the runner retried as transient;
``ChecksumMismatch.retryable`` was never read. Now :func:`specpub.errors.classify`
reads each class's ``retryable``, ``outage_symptom`` and ``stops_run``, and the
runner, reconcile and the audit all use it.
"""

from __future__ import annotations

import pytest

from batch.fakes import FakeClient
from batch.helpers import make_specs
from specpub.batch.plan import plan_records
from specpub.batch.retry import CircuitBreaker, RetryPolicy
from specpub.batch.runner import RunOptions, run_batch
from specpub.errors import (
    Ambiguous,
    AuthenticationError,
    ChecksumMismatch,
    NotFound,
    RateLimited,
    Rejected,
    RepositoryError,
    Transient,
    classify,
)
from specpub.workspace import Workspace


@pytest.mark.parametrize(
    ("err", "outcome", "retry", "outage", "stop"),
    [
        (NotFound("gone?", status=404), "not_found", True, True, False),
        (Rejected("bad field", status=400), "rejected", False, False, False),
        (Transient("Bad Gateway", status=502), "transient", True, True, False),
        (RateLimited("slow down", status=429), "rate_limited", True, False, False),
        (AuthenticationError("refused", status=401), "rejected", False, False, True),
        (Ambiguous("read timeout"), "ambiguous", False, True, False),  # resolved by search
        (ChecksumMismatch("differs", key="a", local_md5="0", remote_checksum="1"),
         "mismatch", True, False, False),
        (ChecksumMismatch("differs", key="a", local_md5="0", remote_checksum="1",
                          retryable=False), "mismatch", False, False, False),
        (ValueError("a bug"), "error", False, False, False),
    ],
)  # fmt: skip
def test_classify_reads_the_class(err, outcome, retry, outage, stop):
    kind = classify(err)
    assert (kind.outcome, kind.retry, kind.stop) == (outcome, retry, stop)
    assert kind.outage == outage
    if isinstance(err, RepositoryError):  # the class says the same as the classification
        assert (err.retryable, err.stops_run) == (retry, stop)


def test_a_404_is_not_a_rejection():
    """During Zenodo's May 2019 outage every request answered 404: never final at once."""
    assert not issubclass(NotFound, Rejected)
    assert NotFound.retryable
    assert NotFound.outage_symptom


class _Mismatching(FakeClient):
    """Every upload ends with a checksum mismatch that its client says is final."""

    def __init__(self, *, retryable: bool):
        super().__init__()
        self.retryable_mismatch = retryable

    async def upload(self, record, path, key, *, md5=None, size=None):
        await super().upload(record, path, key, md5=md5, size=size)
        raise ChecksumMismatch("the server stored other bytes", key=key, local_md5=md5 or "",
                               remote_checksum="f" * 32,
                               retryable=self.retryable_mismatch)  # fmt: skip


@pytest.mark.parametrize("retryable", [False, True])
def test_the_runner_reads_checksum_mismatch_retryable(tmp_path, retryable):
    ws = Workspace.create(tmp_path / "ws")
    plan_records(ws, make_specs(tmp_path / "media", 1, files=(1,)), target="embedded",
                 api="legacy")  # fmt: skip
    client = _Mismatching(retryable=retryable)
    result = run_batch(
        ws, client, progress=None, options=RunOptions(search_linger=0.01),
        retry=RetryPolicy(base=0.001, cap=0.005, max_attempts=4, resolve_timeout=0.3,
                          max_reuploads=3),
        breaker=CircuitBreaker(probe_initial=0.01, probe_max=0.05),
    )  # fmt: skip
    assert result.failed == 1
    assert result.published == 0
    # a final mismatch is not uploaded again; a retryable one is, before the record fails
    assert (client.calls["upload"] > 1) is retryable
