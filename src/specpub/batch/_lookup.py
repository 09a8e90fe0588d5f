"""Batched marker searches: many records' lookups share one OR query per chunk."""

from __future__ import annotations

import asyncio
from typing import Any

from specpub.repository.protocol import Marker, RemoteRecord


class MarkerLookup:
    """Batch marker searches of many records into one OR query per chunk."""

    def __init__(self, run: Any) -> None:
        self.run = run
        self.pending: dict[Marker, list[asyncio.Future[list[RemoteRecord]]]] = {}
        self._flusher: asyncio.Task[None] | None = None

    async def find(self, marker: Marker) -> list[RemoteRecord]:
        fut: asyncio.Future[list[RemoteRecord]] = asyncio.get_running_loop().create_future()
        self.pending.setdefault(marker, []).append(fut)
        if len(self.pending) >= self.run.opts.search_chunk:
            self._flush_now()
        elif self._flusher is None:
            self._flusher = asyncio.create_task(self._linger())
        return await fut

    async def _linger(self) -> None:
        await asyncio.sleep(self.run.opts.search_linger)
        self._flusher = None
        self._flush_now()

    def _flush_now(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, {}
        task = asyncio.create_task(self._query(batch))
        self.run.background.add(task)
        task.add_done_callback(self.run.background.discard)

    async def _query(self, batch: dict[Marker, list[asyncio.Future[list[RemoteRecord]]]]) -> None:
        markers = list(batch)
        try:
            found = await self.run.request(
                None,
                "search",
                lambda: self.run.client.find_by_markers(markers),
                endpoint="search",
                detail={"markers": len(markers)},
            )
        except BaseException as err:
            for futs in batch.values():
                for fut in futs:
                    if not fut.done():
                        fut.set_exception(err if isinstance(err, Exception) else RuntimeError())
            if not isinstance(err, Exception):
                raise
            return
        for marker, futs in batch.items():
            for fut in futs:
                if not fut.done():
                    fut.set_result(list(found.get(marker, [])))
