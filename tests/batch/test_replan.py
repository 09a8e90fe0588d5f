"""Files that changed after planning: the message's fix is a command that works.

Issue 7, failure 4: a record whose file changed after it was planned failed with "Fix:
rescan the media folder and try again"; doing that (load, then plan) reported "0 new,
196 already planned", kept the old MD5, and the record never published (exit 3 on every
run, its draft left on the server with the stale file).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import shlex
import threading

import pytest

from specpub.batch.ledger import Ledger
from specpub.batch.plan import plan_records
from specpub.batch.replan import replan_changed_files
from specpub.batch.runner import run_batch
from specpub.cli import main
from specpub.records.spec import FileSpec
from specpub.repository import open_client
from specpub.workspace import Workspace

from .helpers import make_specs
from .sandbox_tools import check_server_matches_ledger


def _command(reason: str) -> list[str]:
    """The command a failure message names (between backticks)."""
    found = re.search(r"`(specpub [^`]+)`", reason)
    assert found, reason
    return shlex.split(found.group(1))[1:]


def _server_check(ws, sb, api, n):
    async def go():
        c = open_client(sb, api=api)
        try:
            with Ledger.for_workspace(ws) as led:
                return await check_server_matches_ledger(c, led, n, sandbox=sb)
        finally:
            await c.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_a_file_changed_while_its_draft_exists_is_replanned_by_the_named_command(
    sandbox, tmp_path, api
):
    ws = Workspace.create(tmp_path / "ws")
    specs = make_specs(tmp_path / "media", 3, files=(1,))
    plan_records(ws, specs, target="embedded", api=api)
    # the first create is committed and its answer held: the draft exists on the server
    # when the digitisation team re-exports its master
    held = sandbox.intercept("create", "hold")
    box = {}
    runner = threading.Thread(
        target=lambda: box.setdefault(
            "r", run_batch(ws, open_client(sandbox, api=api), progress=None, concurrency=1)
        )
    )
    runner.start()
    assert held.wait(timeout=60)
    with Ledger.for_workspace(ws) as led:
        rid = next(r for r in led.record_ids() if led.record(r).state == "creating")
        victim = led.record_files(rid)[0].path
    with open(victim, "ab") as fh:
        fh.write(b" re-exported")
    held.release()
    runner.join(timeout=120)
    first = box["r"]
    assert first.failed == 1
    assert first.exit_code == 3
    with Ledger.for_workspace(ws) as led:
        rec = led.record(rid)
        assert (rec.state, rec.step) == ("failed", "check")
        assert rec.remote_id is not None  # its draft is on the server
        assert "rescan the media folder" not in rec.reason
    # the fix the message names ...
    argv = _command(rec.reason)
    assert argv[:1] == ["replan"]
    assert main(argv) == 0
    # ... and publish again
    again = run_batch(ws, open_client(sandbox, api=api), progress=None)
    assert again.ok, again.summary()
    with open(victim, "rb") as fh:
        new_md5 = hashlib.md5(fh.read()).hexdigest()
    with Ledger.for_workspace(ws) as led:
        assert led.record(rid).remote_id == rec.remote_id  # the same draft, published
        assert led.record_files(rid)[0].md5 == new_md5
        assert led.events(kind="note").query("step == 'replan'").shape[0] == 1
    assert _server_check(ws, sandbox, api, 3)["files_checked"] == 3


def test_a_file_changed_before_any_request_fails_without_sending_and_replan_fixes_it(
    sandbox, tmp_path, capsys
):
    ws = Workspace.create(tmp_path / "ws")
    specs = make_specs(tmp_path / "media", 2, files=(2,))
    plan_records(ws, specs, target="embedded", api="legacy")
    specs[0].files[1].path.write_bytes(b"re-exported master, longer than before")
    first = run_batch(ws, open_client(sandbox, api="legacy"), progress=None)
    assert (first.published, first.failed) == (1, 1)
    with Ledger.for_workspace(ws) as led:
        reason = led.records(state="failed").reason.iloc[0]
    assert "changed since it was planned" in reason
    assert main([*_command(reason), "--json"]) == 0
    assert '"replanned"' in capsys.readouterr().out
    assert run_batch(ws, open_client(sandbox, api="legacy"), progress=None).ok
    _server_check(ws, sandbox, "legacy", 2)


def test_load_then_plan_also_updates_the_plan_of_a_draft(tmp_path):
    # the path the user of the issue took: planning again now takes the new checksums
    ws = Workspace.create(tmp_path / "ws")
    specs = make_specs(tmp_path / "media", 1, files=(2,))
    plan_records(ws, specs, target="embedded", api="legacy")
    with Ledger.for_workspace(ws) as led:
        rid = led.record_ids()[0]
        led.transition(rid, "creating")
        led.transition(rid, "created", remote_id="77", sent=True)
        led.transition(rid, "uploading")
        f0 = led.record_files(rid)[0]
        led.transition_file(f0.file_id, "uploaded", server_checksum=f0.md5)
    changed = specs[0].files[1].path
    changed.write_bytes(b"new bytes")
    rescanned = [
        type(specs[0])(
            specs[0].marker,
            legacy=specs[0].legacy,
            native=specs[0].native,
            files=(specs[0].files[0], FileSpec.from_path(changed)),
        )
    ]
    result = plan_records(ws, rescanned, target="embedded", api="legacy")
    assert result.updated == 1
    with Ledger.for_workspace(ws) as led:
        rec = led.record(rid)
        assert (rec.state, rec.remote_id) == ("created", "77")  # the draft is kept
        files = {f.key: f for f in led.record_files(rid)}
        assert files[changed.name].md5 == hashlib.md5(b"new bytes").hexdigest()
        assert files[changed.name].state == "planned"
        assert files[specs[0].files[0].key].state == "uploaded"  # unchanged: kept
    # published and mid-request records are left alone; a missing file is reported
    changed.unlink()
    assert replan_changed_files(ws).missing
