"""Acceptance items of the batch issue that no other test pinned down.

See ``/work/notes/acceptance-audit.md``: each test here closes one GAP row.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections import Counter

import httpx
import pytest

from specpub import cli
from specpub.batch import _cli as batch_cli
from specpub.batch.ledger import Ledger
from specpub.batch.plan import plan_records
from specpub.batch.runner import run_batch_async
from specpub.workspace import Workspace

from .helpers import make_specs
from .sandbox_tools import check_server_matches_ledger, client_for

_KINDS = (
    ("POST", r"/api/deposit/depositions", "create"),
    ("PUT", r"/api/files/[^/]+/[^/]+", "upload"),
    ("POST", r"/api/deposit/depositions/\d+/actions/publish", "publish"),
    ("GET", r"/api/deposit/depositions", "list"),
    ("GET", r"/api/user/records", "list"),
    ("POST", r"/api/records", "create"),
    ("POST", r"/api/records/\d+/draft/files", "init"),
    ("PUT", r"/api/records/\d+/draft/files/[^/]+/content", "content"),
    ("POST", r"/api/records/\d+/draft/files/[^/]+/commit", "commit"),
    ("POST", r"/api/records/\d+/draft/actions/publish", "publish"),
)


def _kind(request: httpx.Request) -> str:
    for method, pattern, kind in _KINDS:
        if request.method == method and re.fullmatch(pattern, request.url.path):
            return kind
    return f"{request.method} {request.url.path}"


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_happy_path_sends_only_the_documented_http_requests(tmp_path, sandbox, monkeypatch, api):
    # Issue 3: legacy = create → bucket PUT per file → publish (2 + F requests, no other);
    # native = create → init → content → commit → publish. Counted on the wire.
    # Issue 7: plus one preflight listing page and the index check's marker searches; and
    # the ledger counts what the wire saw.
    ws = Workspace.create(tmp_path / "ws")
    specs = make_specs(tmp_path / "media", 5, files=(1, 2, 3))
    n_files = sum(len(s.files) for s in specs)
    plan_records(ws, specs, target="embedded", api=api)
    sent: Counter[str] = Counter()
    real_send = httpx.AsyncClient.send

    async def counting_send(self, request, *args, **kwargs):
        sent[_kind(request)] += 1
        return await real_send(self, request, *args, **kwargs)

    async def main():
        client = client_for(sandbox, api, monkeypatch)
        try:
            monkeypatch.setattr(httpx.AsyncClient, "send", counting_send)
            result = await run_batch_async(ws, client, progress=None)
            monkeypatch.setattr(httpx.AsyncClient, "send", real_send)
            assert result.ok, result.summary()
            with Ledger.for_workspace(ws) as led:
                assert int(led.events().requests.sum()) == result.requests
                await check_server_matches_ledger(client, led, 5, sandbox=sandbox)
            return result
        finally:
            await client.aclose()

    result = asyncio.run(main())
    assert result.requests == sum(sent.values())
    # the preflight listing page, and the index check's marker searches (the same
    # endpoint with a marker query): one for the 5 records, one more per search that
    # found the index behind
    assert result.check_requests == 1 + result.check_searches_behind
    assert sent.pop("list") == 1 + result.check_requests
    if api == "legacy":
        assert sent == Counter({"create": 5, "upload": n_files, "publish": 5})
    else:
        assert set(sent) == {"create", "init", "content", "commit", "publish"}
        assert sent["create"] == sent["publish"] == 5
        assert sent["content"] == sent["commit"] == n_files
        assert 5 <= sent["init"] <= n_files


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "expected"), [("y", True), ("YES\n", True), ("n", False),
                                                  ("", False)])  # fmt: skip
def test_reconcile_asks_before_deleting_in_a_terminal(monkeypatch, answer, expected):
    # Issue 3: reconcile "can clean up orphan drafts (asks first unless --yes)".
    monkeypatch.setattr("sys.stdin", _Tty())
    asked: list[str] = []

    def fake_input(prompt: str) -> str:
        asked.append(prompt)
        return answer

    monkeypatch.setattr("builtins.input", fake_input)
    assert batch_cli._confirm("Delete 3 orphan drafts?") is expected
    assert asked == ["Delete 3 orphan drafts? [y/N] "]


def test_publish_refuses_a_concurrency_below_one(tmp_path, capsys, monkeypatch):
    ws = Workspace.create(tmp_path / "ws")
    plan_records(ws, make_specs(tmp_path / "media", 1), target="embedded", api="legacy")
    code = cli.main(["publish", "--workspace", str(ws.root), "--to", "embedded",
                     "--concurrency", "0", "--progress", "none"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "--concurrency must be at least 1" in err
    assert "Traceback" not in err
    with Ledger.for_workspace(ws) as led:
        assert led.counts() == {"planned": 1}  # nothing sent, nothing lost
