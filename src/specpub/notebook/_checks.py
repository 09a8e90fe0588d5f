"""What a notebook raises so that ``specpub run`` exits 3: some records failed.

Examples
--------
>>> from specpub.batch import BatchResult
>>> check_published(BatchResult(batch_ids=[1], total=2, published=2))
>>> check_published(BatchResult(batch_ids=[1], total=2, published=1, failed=1))
Traceback (most recent call last):
...
specpub.notebook._checks.RecordsFailed: batch 1: 1/2 published, 1 failed, ...
"""

from __future__ import annotations

from typing import Any

from specpub.errors import SpecpubError

__all__ = ["RecordsFailed", "check_published"]


class RecordsFailed(SpecpubError):
    """The batch ran, but not every record is published (``specpub run`` exits 3).

    Examples
    --------
    >>> str(RecordsFailed("2 records failed"))
    '2 records failed'
    """


def check_published(result: Any) -> None:
    """Raise :class:`RecordsFailed` unless every record of ``result`` is published.

    ``result`` is what :func:`specpub.publish` returns. The message is its
    summary, which names the failed and pending counts; ``specpub status``
    lists the failed records with the server's field messages.
    """
    if not result.ok:
        raise RecordsFailed(
            f"{result.summary()}\nSee the failed records with `specpub status --workspace WS` "
            "(or specpub.status(ws).failed()); fix them and run the notebook again: it resumes."
        )
