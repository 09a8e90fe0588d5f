"""The runner process of the chaos test (killed with SIGKILL at random moments).

Usage: python publish_worker.py WORKSPACE BASE_URL API CONCURRENCY RESOLVE_TIMEOUT
The token is read from the environment variable SPECPUB_CHAOS_TOKEN.
Prints one JSON line with the result summary at the end; exits with the run's exit
code (0 all published and nothing unresolved, 3 records left to do, 1 stopped).
"""

from __future__ import annotations

import asyncio
import json
import sys

from specpub.batch import CircuitBreaker, RetryPolicy, run_batch_async
from specpub.repository import open_client
from specpub.workspace import Workspace


async def main(ws: str, url: str, api: str, concurrency: int, resolve_timeout: float) -> int:
    client = open_client(
        "embedded",
        api=api,
        base_url=url,
        token_env="SPECPUB_CHAOS_TOKEN",
        concurrency=concurrency,
    )
    try:
        result = await run_batch_async(
            Workspace.open(ws),
            client,
            concurrency=concurrency,
            progress="text",
            retry=RetryPolicy(base=0.2, cap=5.0, resolve_timeout=resolve_timeout),
            breaker=CircuitBreaker(probe_initial=0.5, probe_max=4.0),
        )
    finally:
        await client.aclose()
    print(json.dumps(result.to_dict(), default=str), flush=True)
    return result.exit_code


if __name__ == "__main__":
    ws, url, api, conc, rt = sys.argv[1:6]
    sys.exit(asyncio.run(main(ws, url, api, int(conc), float(rt))))
