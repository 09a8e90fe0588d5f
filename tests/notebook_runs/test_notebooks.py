"""Every notebook in ``notebooks/``: its contract, and a real unattended run of each.

The runs go through :func:`specpub.notebook.run_notebook` (what ``specpub run``
does) with ``interactive=False`` in a temporary folder, against the embedded
repository, and assert on what they produced: the records on the server, the
report, the workspace. One run serves several assertions (module fixtures).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

import specpub
from specpub.notebook import read_parameters, run_notebook

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ALL = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
TIMEOUT = 600


def _run(name: str, cwd: Path, **params):
    return run_notebook(NOTEBOOKS / name, params, cwd=cwd, out=cwd / "runs", timeout=TIMEOUT)


# -- the contract every notebook keeps -------------------------------------------------
@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_notebook_contract(path: Path) -> None:
    params = read_parameters(path)  # literals only, annotated, no secret-looking name
    assert "interactive" in params
    assert params["interactive"].default is True
    assert "workspace" in params or "demo_dir" in params
    for p in params.values():
        assert p.help, f"{p.name} has no help comment"
    if "token_env" in params:
        assert params["token_env"].default == "ZENODO_TOKEN"
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: outputs are not stripped"
            assert cell.get("execution_count") is None
    assert nb["cells"][0]["cell_type"] == "markdown"  # says what the notebook does first


#: Beside ``import specpub``: the demo collection generator and the notebook helpers.
NOTEBOOK_MODULES = {"specpub", "specpub.demo", "specpub.notebook", "specpub_widgets"}


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_notebooks_call_only_the_public_api(path: Path, outside_public_api) -> None:
    nb = json.loads(path.read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    imported = set(re.findall(r"^\s*(?:from|import)\s+(specpub\w*(?:\.\w+)*)", code, re.M))
    assert imported <= NOTEBOOK_MODULES, imported - NOTEBOOK_MODULES
    # every name used, imported or as an attribute (specpub.media.scan ...), is public
    assert outside_public_api(code, NOTEBOOK_MODULES - {"specpub_widgets"}) == []


def test_the_notebooks_are_all_there() -> None:
    stems = {p.stem for p in ALL}
    assert {
        "00_quickstart",
        "01_load_specimens",
        "02_extract_image_metadata",
        "03_validate_formats",
        "04_preview_records",
        "05_upload_batch",
    } <= stems


# -- 00_quickstart ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory):
    cwd = tmp_path_factory.mktemp("quickstart")
    return cwd, _run("00_quickstart.ipynb", cwd, interactive=False)


def test_quickstart_publishes_the_demo_collection(quickstart) -> None:
    cwd, run = quickstart
    assert run.ok, run.summary()
    dois = run.results["dois"]
    assert len(dois) == run.results["status"]["published"] >= 5
    assert run.results["media"]["errors"] == 0
    assert run.results["validation"].get("pass", 0) > 0
    assert run.results["reconcile_ok"] is True
    assert run.results["audit_ok"] is True
    assert run.results["token"]["ok"] is True  # checked before anything was sent
    assert run.results["token"]["token_source"].startswith("served:")
    assert run.results["inventory"] == {"published": len(dois)}  # the listing sees them all
    assert run.report["workspace"] is None  # the quickstart has demo_dir, not workspace
    ws = cwd / "specpub-demo" / "workspace"
    assert specpub.status(ws).counts == {"published": len(dois)}
    # The records are on the server: start the repository again on its data and read them.
    with specpub.running(data_dir=cwd / "specpub-demo" / "repository") as repo:
        for doi in dois:
            record_id = doi.rsplit(".", 1)[-1]
            answer = httpx.get(f"{repo.url}/api/records/{record_id}", timeout=10)
            assert answer.status_code == 200, doi
            assert doi in answer.text
        assert specpub.reconcile(ws, repo).ok


def test_quickstart_run_folder_and_log(quickstart) -> None:
    _cwd, run = quickstart
    log = (run.run_dir / "run.log").read_text()
    assert "published" in log
    assert run.report["cells"]["failed"] == []
    assert run.report["parameters"]["interactive"] is False


# -- 01 → 05, chained through the workspace -------------------------------------------
@pytest.fixture(scope="module")
def chained(tmp_path_factory: pytest.TempPathFactory):
    cwd = tmp_path_factory.mktemp("chained")
    first = _run("01_load_specimens.ipynb", cwd, interactive=False)
    scanned = _run("02_extract_image_metadata.ipynb", cwd, interactive=False, workers=0)
    assert scanned.ok, scanned.summary()
    validated = _run("03_validate_formats.ipynb", cwd, interactive=False)
    assert validated.ok, validated.summary()
    scanned.report["validated"] = validated.report
    previewed = _run("04_preview_records.ipynb", cwd, interactive=False)
    assert previewed.ok, previewed.summary()
    scanned.report["previewed"] = previewed.report
    last = _run("05_upload_batch.ipynb", cwd, interactive=False)
    return cwd, first, scanned, last


def test_load_notebook_fills_the_workspace(chained) -> None:
    cwd, first, _, _ = chained
    assert first.ok, first.summary()
    assert first.results["specimens"]["rows"] == 8
    assert first.results["links"]["files_linked"] > 0
    ws = cwd / "specpub-demo" / "workspace"
    assert (ws / "specimens" / "flags.csv").is_file()
    assert first.report["workspace"]["stages"] == ["specimens"]


def test_scan_notebook_reads_every_linked_file(chained) -> None:
    cwd, first, scanned, _ = chained
    media = scanned.results["media"]
    assert media["files"] >= first.results["links"]["files_linked"]
    assert media["errors"] == 0
    assert set(media["formats"]) >= {"tiff", "jpeg"}
    ws = cwd / "specpub-demo" / "workspace"
    assert (ws / "media" / "manifest-sha256.txt").is_file()
    assert "media" in scanned.report["workspace"]["stages"]


def test_validation_notebook_judges_every_file(chained) -> None:
    cwd, _, scanned, _ = chained
    validated = scanned.report["validated"]
    verdicts = validated["results"]["validation"]["by_verdict"]
    assert sum(verdicts.values()) == scanned.results["media"]["files"]
    assert verdicts.get("pass", 0) > 0
    # each blocking file is one that failed its profile
    assert len(validated["results"]["blocking"]) == verdicts.get("fail", 0)
    assert (cwd / "specpub-demo" / "workspace" / "preservation").is_dir()


def test_preview_notebook_builds_and_writes_the_pages(chained) -> None:
    _cwd, _, scanned, last = chained
    previewed = scanned.report["previewed"]
    built = previewed["results"]["records"]["built"]
    assert built > 0
    assert Path(previewed["results"]["preview"]["index"]).is_file()
    assert previewed["results"]["preview"]["record_pages"] >= built
    # what 05 then published is what 04 built (the left-out specimens stay out)
    assert len(last.results["dois"]) == built - previewed["results"]["records"]["blocked"]


def test_require_pass_fails_the_run_on_failing_files(tmp_path: Path) -> None:
    assert _run("01_load_specimens.ipynb", tmp_path, interactive=False).ok
    run = _run("03_validate_formats.ipynb", tmp_path, require_pass=True, interactive=False)
    assert run.exit_code == 2  # an InputError: the files are bad input for the upload
    assert "fail their preservation profile" in run.report["error"]["evalue"]


def test_upload_notebook_publishes_reconciles_and_audits(chained) -> None:
    cwd, _, _, last = chained
    assert last.ok, last.summary()
    assert last.results["token"]["may"]["list"] is True
    assert last.results["reconcile"]["ok"] is True
    assert last.results["audit"]["ok"] is True
    assert last.results["report"]["published"] == len(last.results["dois"]) > 0
    assert last.report["workspace"]["records_by_state"] == {"published": len(last.results["dois"])}
    # Running it again publishes nothing twice.
    again = _run("05_upload_batch.ipynb", cwd, interactive=False)
    assert again.ok
    assert again.results["dois"] == last.results["dois"]
    assert again.results["publish"]["published_now"] == 0


def test_a_notebook_whose_step_fails_fails_the_run(tmp_path: Path) -> None:
    # 05 on a folder that is no workspace: the first cell raises InputError → exit 2.
    run = _run("05_upload_batch.ipynb", tmp_path, workspace=str(tmp_path / "nowhere"),
               interactive=False)  # fmt: skip
    assert run.exit_code == 2
    assert run.report["error"]["ename"] == "InputError"
    assert "not a specpub workspace" in run.report["error"]["evalue"]


def test_an_unknown_licence_stops_the_run_before_anything_is_sent(tmp_path: Path) -> None:
    assert _run("01_load_specimens.ipynb", tmp_path, interactive=False).ok
    run = _run("05_upload_batch.ipynb", tmp_path, license="no-such-licence", interactive=False)
    assert run.exit_code == 2, run.summary()
    assert run.report["error"]["ename"] == "InputError"
    assert "no-such-licence" in run.report["error"]["evalue"]
    assert "publish" not in run.results  # stopped at planning: nothing was sent


def test_a_refused_token_stops_the_upload_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run("01_load_specimens.ipynb", tmp_path, interactive=False).ok
    wrong = "refused-token-0123456789abcdef"
    monkeypatch.setenv("SPECPUB_TEST_WRONG_TOKEN", wrong)  # the kernel inherits it
    with specpub.running(tmp_path / "repo", rate_limit="off") as repo:
        run = _run("05_upload_batch.ipynb", tmp_path, target=repo.url,
                   token_env="SPECPUB_TEST_WRONG_TOKEN", interactive=False)  # fmt: skip
        held = httpx.get(f"{repo.url}/api/deposit/depositions",
                         headers={"Authorization": f"Bearer {repo.token}"}, timeout=10)  # fmt: skip
        assert held.json() == []  # nothing was created
    assert run.exit_code == 1, run.summary()
    assert run.report["error"]["ename"] == "AuthenticationError"
    assert (
        "refused the token from the environment variable SPECPUB_TEST_WRONG_TOKEN"
        in (run.report["error"]["evalue"])
    )
    assert "token" not in run.results  # stopped at the check: nothing planned, nothing sent
    for text in (run.output.read_text(), (run.run_dir / "run.log").read_text()):
        assert wrong not in text


@pytest.mark.parametrize("name", ["00_quickstart.ipynb", "05_upload_batch.ipynb"])
def test_the_panels_build_without_error_when_interactive(tmp_path: Path, name: str) -> None:
    # What a workshop attendee does first: run all cells with the defaults.
    if name == "05_upload_batch.ipynb":
        assert _run("01_load_specimens.ipynb", tmp_path, interactive=False).ok
    run = _run(name, tmp_path, interactive=True)
    assert run.ok, run.summary()
    nb = json.loads(run.output.read_text())
    views = [
        o for c in nb["cells"] for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]  # fmt: skip
    assert views
