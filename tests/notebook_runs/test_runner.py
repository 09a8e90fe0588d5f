"""``specpub run`` / :func:`specpub.notebook.run_notebook` on small generated notebooks.

Each test writes a notebook with nbformat and runs it in a real kernel, then
asserts on the run folder, ``report.json`` and the exit code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from specpub.cli import main
from specpub.errors import InputError
from specpub.notebook import EXIT_CODES, run_notebook

PARAMS = """\
label: str = "demo"          # a label
n: int = 2                   # how many
interactive: bool = True     # show the panels
token_env: str = "SPECPUB_TEST_TOKEN"  # NAME of the token's variable
"""


def make_notebook(path: Path, *cells: str, params: str = PARAMS) -> Path:
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell(params)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(src) for src in cells)]
    nb.metadata["kernelspec"] = {"name": "some-stale-kernel", "display_name": "x"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


RECORD = (
    "from specpub_widgets import record\n"
    "print('working on', label, n, interactive)\n"
    "record('summary', {'label': label, 'n': n, 'interactive': interactive})"
)


def test_a_good_run_keeps_notebook_log_and_report(tmp_path: Path) -> None:
    nb = make_notebook(tmp_path / "good.ipynb", RECORD)
    run = run_notebook(nb, {"n": 5}, out=tmp_path / "runs", timeout=120)
    assert run.exit_code == 0
    assert run.ok
    assert run.status == "ok"
    assert run.run_dir.parent == tmp_path / "runs"
    assert run.run_dir.name.endswith("-good")
    assert sorted(p.name for p in run.run_dir.iterdir()) == ["good.ipynb", "report.json", "run.log"]
    report = json.loads((run.run_dir / "report.json").read_text())
    # interactive defaults to False when nobody is there to click; n as given
    assert report["results"]["summary"] == {"label": "demo", "n": 5, "interactive": False}
    assert report["parameters"] == {
        "label": "demo",
        "n": 5,
        "interactive": False,
        "token_env": "SPECPUB_TEST_TOKEN",
    }
    assert report["given"] == ["interactive", "n"]
    assert report["cells"]["completed"] == report["cells"]["total"] == 3  # + injected cell
    assert report["error"] is None
    assert report["exit_code"] == 0
    assert "working on demo 5 False" in (run.run_dir / "run.log").read_text()
    executed = nbformat.read(run.output, as_version=4)
    assert executed.metadata.papermill.parameters["n"] == 5


def test_a_failing_cell_fails_the_run_and_names_the_cell(tmp_path: Path) -> None:
    nb = make_notebook(
        tmp_path / "bad.ipynb", "x = 1", "raise ValueError('the scan found no images')", "x = 2"
    )
    run = run_notebook(nb, out=tmp_path / "runs", timeout=120)
    assert run.exit_code == 1
    assert run.status == "failed"
    err = run.report["error"]
    assert err["ename"] == "ValueError"
    assert err["evalue"] == "the scan found no images"
    assert "raise ValueError" in err["source"]
    assert run.report["cells"]["failed"]  # the failing cell is marked
    executed = nbformat.read(run.output, as_version=4)  # kept, with the traceback
    assert any(o.get("ename") == "ValueError" for c in executed.cells for o in c.get("outputs", []))
    with pytest.raises(Exception, match="exit 1"):
        run.raise_for_status()


def test_an_input_error_in_a_cell_exits_2(tmp_path: Path) -> None:
    nb = make_notebook(
        tmp_path / "input.ipynb",
        "from specpub.errors import InputError\nraise InputError('no such table', file='t.csv')",
    )
    run = run_notebook(nb, out=tmp_path / "runs", timeout=120)
    assert run.exit_code == 2
    assert run.report["error"]["ename"] == "InputError"


def test_failed_records_exit_3(tmp_path: Path) -> None:
    nb = make_notebook(
        tmp_path / "records.ipynb",
        "from specpub import BatchResult\nfrom specpub.notebook import check_published\n"
        "check_published(BatchResult(batch_ids=[1], total=5, published=3, failed=2))",
    )
    run = run_notebook(nb, out=tmp_path / "runs", timeout=120)
    assert run.exit_code == 3
    assert run.status == "records-failed"
    assert "3/5 published, 2 failed" in run.report["error"]["evalue"]


def test_an_error_swallowed_by_a_widget_output_area_still_fails(tmp_path: Path) -> None:
    # ipywidgets' Output.__exit__ swallows the exception: papermill sees a good cell.
    nb = make_notebook(
        tmp_path / "hidden.ipynb",
        "import ipywidgets as w\nout = w.Output()\ndisplay(out)\n"
        "with out:\n    raise RuntimeError('upload failed inside the panel')",
        "print('later cells still ran')",
    )
    run = run_notebook(nb, out=tmp_path / "runs", timeout=120)
    assert run.exit_code == 1
    assert run.report["error"]["ename"] == "RuntimeError"
    assert "widget output area" in run.report["error"]["where"]


def test_stopping_early_with_sys_exit_0_is_a_success(tmp_path: Path) -> None:
    nb = make_notebook(
        tmp_path / "stop.ipynb", "import sys\nsys.exit(0)", "raise ValueError('never runs')"
    )
    run = run_notebook(nb, out=tmp_path / "runs", timeout=120)
    assert run.exit_code == 0


@pytest.mark.slow
def test_a_cell_over_the_timeout_exits_4_and_a_dead_kernel_5(tmp_path: Path) -> None:
    slow = make_notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(60)")
    run = run_notebook(slow, out=tmp_path / "runs", timeout=3)
    assert run.exit_code == 4
    assert run.status == "timeout"
    dead = make_notebook(tmp_path / "dead.ipynb", "import os\nos._exit(1)")
    run = run_notebook(dead, out=tmp_path / "runs", timeout=120)
    assert run.exit_code == 5
    assert run.status == "kernel-died"


def test_the_token_never_reaches_the_notebook_or_the_log(tmp_path: Path, monkeypatch) -> None:
    secret = "s3cr3t-Token-Value-0123456789"
    monkeypatch.setenv("SPECPUB_TEST_TOKEN", secret)
    nb = make_notebook(
        tmp_path / "leak.ipynb",
        "import os\nprint('token is', os.environ[token_env])",
    )
    run = run_notebook(nb, out=tmp_path / "runs", timeout=120)
    assert run.ok
    for name in ("leak.ipynb", "run.log", "report.json"):
        text = (run.run_dir / name).read_text()
        assert secret not in text, name
    assert "token is ***" in (run.run_dir / "run.log").read_text()
    assert run.report["secrets_masked"] >= 1


def test_parameters_are_checked_before_anything_runs(tmp_path: Path, monkeypatch) -> None:
    nb = make_notebook(tmp_path / "p.ipynb", "raise SystemExit('must not run')")
    with pytest.raises(InputError, match="did you mean 'n'"):
        run_notebook(nb, {"nn": 3}, out=tmp_path / "runs")
    with pytest.raises(InputError, match="must be int"):
        run_notebook(nb, {"n": "3"}, out=tmp_path / "runs")
    monkeypatch.setenv("SPECPUB_TEST_TOKEN", "abcdefgh12345678")
    with pytest.raises(InputError, match="not its name"):
        run_notebook(nb, {"token_env": "abcdefgh12345678"}, out=tmp_path / "runs")
    with pytest.raises(InputError, match="NAME of an environment variable"):
        run_notebook(nb, {"token_env": "ghp-xx.yy"}, out=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()  # no run folder for a refused run


def test_the_cli_converts_checks_and_returns_the_exit_code(tmp_path: Path, capsys) -> None:
    nb = make_notebook(tmp_path / "cli.ipynb", RECORD)
    out = tmp_path / "runs"
    assert main(["run", str(nb), "-p", "n", "x", "--out", str(out)]) == 2
    assert "must be int" in capsys.readouterr().err
    assert main(["run", str(nb), "-p", "colour", "red", "--out", str(out)]) == 2
    assert main(["run", str(tmp_path / "none.ipynb")]) == 2
    assert not out.exists()
    code = main(
        ["run", str(nb), "-p", "n", "7", "-p", "label", "007", "--out", str(out), "--quiet"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "cli.ipynb: ok" in printed
    assert '"label": "007"' in printed
    assert main(["run", str(nb), "--list-parameters"]) == 0
    listing = capsys.readouterr().out
    assert "token_env" in listing
    assert "NAME of the token's variable" in listing


def test_workspace_sets_the_parameter_and_the_default_run_folder(tmp_path: Path) -> None:
    params = 'workspace: str = "ws"  # the workspace\ninteractive: bool = True  # panels\n'
    nb = make_notebook(
        tmp_path / "ws.ipynb",
        "from specpub_widgets import record\nrecord('ws', workspace)",
        params=params,
    )
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        run = run_notebook(nb, workspace="my-ws", timeout=120)
    finally:
        os.chdir(cwd)
    assert run.ok
    assert run.results["ws"] == str(tmp_path / "my-ws")
    assert run.run_dir.parent == tmp_path / "my-ws" / "runs"
    assert run.report["workspace"]["exists"] is False  # the notebook made none
    with pytest.raises(InputError, match="no 'workspace' parameter"):
        run_notebook(make_notebook(tmp_path / "nows.ipynb", "1"), workspace="x")


def test_every_exit_code_is_documented_in_the_help(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    for code in EXIT_CODES:
        assert f"{code:>3}  " in text
