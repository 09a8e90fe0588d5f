"""Run a notebook unattended through papermill, into a run folder.

One run makes one folder, ``OUT/<UTC time>-<notebook>/``, holding

``<notebook>.ipynb``
    the executed notebook (written after every cell, so a crash leaves the
    cells that ran; it is the human-readable record of the run);
``run.log``
    what the runner did, every cell's start and end, and everything the
    kernel printed (the token of any ``*_env`` parameter is masked);
``report.json``
    what the run produced, for machines: parameters, status, exit code,
    the failing cell and its error, per-cell timings, the results the
    notebook recorded with ``specpub_widgets.record`` and the state of the
    workspace's ledger afterwards.

papermill is imported only when a run starts (it takes about 1.5 s), and the
kernel is never asked to import anything the notebook does not.

Examples
--------
>>> EXIT_CODES[0]
'the notebook ran to the end'
>>> status_for_exit(4)
'timeout'
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from specpub.errors import InputError, SpecpubError
from specpub.notebook._parameters import (
    Parameter,
    check_values,
    read_notebook_json,
    read_parameters,
)

__all__ = [
    "EXIT_CODES",
    "SCRAP_MIME",
    "NotebookFailed",
    "NotebookRun",
    "run_notebook",
    "status_for_exit",
]

#: The exit codes of ``specpub run`` (and :attr:`NotebookRun.exit_code`).
EXIT_CODES: dict[int, str] = {
    0: "the notebook ran to the end",
    1: "a cell failed, or an error was caught inside a widget's output area",
    2: "bad input: unknown parameter, wrong type, no such notebook or kernel "
    "(nothing ran), or a cell stopped on specpub's InputError",
    3: "the notebook ran, but some records failed (it raised RecordsFailed)",
    4: "a cell ran longer than --timeout",
    5: "the kernel died (out of memory, killed)",
    130: "interrupted (Ctrl-C or SIGTERM); the partial notebook and report are kept",
}
_STATUS = {0: "ok", 1: "failed", 2: "bad-input", 3: "records-failed", 4: "timeout"}
_STATUS.update({5: "kernel-died", 130: "interrupted"})

#: The MIME type of a JSON scrap (scrapbook's format, read without scrapbook).
SCRAP_MIME = "application/scrapbook.scrap.json+json"
_WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Exceptions (by class name) raised inside a notebook that map to a special exit code.
_EXIT_BY_ERROR = {"RecordsFailed": 3}
_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def status_for_exit(code: int) -> str:
    """The ``status`` word written in ``report.json`` for an exit code.

    Examples
    --------
    >>> status_for_exit(0), status_for_exit(3)
    ('ok', 'records-failed')
    """
    return _STATUS.get(code, "failed")


class NotebookFailed(SpecpubError):
    """A notebook run did not end well; carries the :class:`NotebookRun`.

    Examples
    --------
    >>> run = NotebookRun(Path("r"), Path("r/n.ipynb"), {"status": "failed"}, 1)
    >>> str(NotebookFailed(run))
    'the notebook run failed (exit 1): see r/report.json and r/run.log'
    """

    def __init__(self, run: NotebookRun) -> None:
        self.run = run
        super().__init__(
            f"the notebook run {run.status} (exit {run.exit_code}): see "
            f"{run.run_dir / 'report.json'} and {run.run_dir / 'run.log'}"
        )


@dataclass
class NotebookRun:
    """The outcome of :func:`run_notebook`.

    Attributes
    ----------
    run_dir
        The run folder.
    output
        The executed notebook.
    report
        The content of ``report.json``.
    exit_code
        See :data:`EXIT_CODES`.

    Examples
    --------
    >>> run = NotebookRun(Path("runs/x"), Path("runs/x/nb.ipynb"),
    ...                   {"status": "ok", "results": {"dois": ["10.5072/1"]}}, 0)
    >>> run.ok, run.results["dois"]
    (True, ['10.5072/1'])
    """

    run_dir: Path
    output: Path
    report: dict[str, Any] = field(default_factory=dict)
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        """Whether the notebook ran to the end without error."""
        return self.exit_code == 0

    @property
    def status(self) -> str:
        """``ok``, ``failed``, ``bad-input``, ``records-failed``, ``timeout``, ..."""
        return str(self.report.get("status", status_for_exit(self.exit_code)))

    @property
    def results(self) -> dict[str, Any]:
        """What the notebook recorded with ``specpub_widgets.record(name, data)``."""
        return dict(self.report.get("results", {}))

    @property
    def error(self) -> dict[str, Any] | None:
        """The failing cell and its error (``None`` when the run was ok)."""
        return self.report.get("error")

    def raise_for_status(self) -> NotebookRun:
        """Raise :class:`NotebookFailed` unless the run was ok; return ``self``."""
        if not self.ok:
            raise NotebookFailed(self)
        return self

    def summary(self) -> str:
        """A few lines for people: status, time, folder, error.

        Examples
        --------
        >>> print(NotebookRun(Path("r"), Path("r/n.ipynb"), {"status": "ok",
        ...     "duration_s": 2.0, "notebook": "n.ipynb"}, 0).summary())
        n.ipynb: ok in 2.0 s (exit 0)
          run folder: r
        """
        rep = self.report
        lines = [
            f"{rep.get('notebook', self.output.name)}: {self.status} in "
            f"{rep.get('duration_s', 0):.1f} s (exit {self.exit_code})",
            f"  run folder: {self.run_dir}",
        ]
        err = self.error
        if err:
            where = f"cell {err['cell']}" if err.get("cell") is not None else err.get("where", "")
            lines.append(f"  error in {where}: {err.get('ename')}: {err.get('evalue')}")
        return "\n".join(lines)


# -- run folder and log ----------------------------------------------------------------
def _new_run_dir(out: Path, stem: str, now: datetime) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    base = f"{now:%Y%m%dT%H%M%SZ}-{stem}"
    for i in range(1, 1000):
        candidate = out / (base if i == 1 else f"{base}-{i}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise InputError("too many runs in the same second", file=str(out), fix="use another --out")


class _Redact(logging.Filter):
    """Mask secret values in every log record that reaches the run log."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            text = record.getMessage()
            for secret in self.secrets:
                text = text.replace(secret, "***")
            record.msg, record.args = text, None
        return True


def _secrets_of(params: Mapping[str, Parameter], values: Mapping[str, Any]) -> list[str]:
    """The values of the environment variables named by ``*_env`` parameters."""
    found = []
    for name, param in params.items():
        if param.is_env_name:
            var = values.get(name, param.default)
            value = os.environ.get(var) if isinstance(var, str) and var else None
            if value:
                found.append(value.strip())
    return found


class _RunLog:
    """The run's ``run.log`` (and, optionally, an echo to a stream)."""

    def __init__(self, path: Path, echo: TextIO | None, secrets: list[str]) -> None:
        self.handlers: list[logging.Handler] = []
        file_handler = logging.FileHandler(path, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter(_LOG_FORMAT))
        self.handlers.append(file_handler)
        if echo is not None:
            stream_handler = logging.StreamHandler(echo)
            stream_handler.setFormatter(logging.Formatter("%(message)s"))
            self.handlers.append(stream_handler)
        redact = _Redact(secrets)
        for handler in self.handlers:
            handler.addFilter(redact)
        self.loggers = [logging.getLogger("papermill"), logging.getLogger("specpub.notebook")]
        self._levels = [lg.level for lg in self.loggers]
        for lg in self.loggers:
            lg.setLevel(logging.INFO)
            for handler in self.handlers:
                lg.addHandler(handler)
        self.say = logging.getLogger("specpub.notebook").info

    def close(self) -> None:
        for lg, level in zip(self.loggers, self._levels, strict=True):
            for handler in self.handlers:
                lg.removeHandler(handler)
            lg.setLevel(level)
        for handler in self.handlers:
            handler.close()


# -- reading the executed notebook ------------------------------------------------------
def _cell_summary(nb: Mapping[str, Any]) -> list[dict[str, Any]]:
    cells = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {})
        pm = meta.get("papermill", {})
        tags = meta.get("tags", [])
        if "papermill-error-cell-tag" in tags:
            continue
        cells.append(
            {
                "index": index,
                "tags": tags,
                "status": pm.get("status"),
                "duration_s": pm.get("duration"),
            }
        )
    return cells


def _scraps(nb: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data", {}) if isinstance(output, dict) else {}
            scrap = data.get(SCRAP_MIME)
            if isinstance(scrap, dict) and "name" in scrap:
                found[str(scrap["name"])] = scrap.get("data")
    return found


def hidden_widget_errors(nb: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Errors that ipywidgets' ``Output`` swallowed (``with out: ...`` raised).

    ipywidgets' ``Output.__exit__`` returns True under IPython, so the
    traceback goes into the widget's state, not the cell's outputs, and
    papermill sees a successful cell. The saved widget state still holds it.

    Examples
    --------
    >>> nb = {"metadata": {"widgets": {"application/vnd.jupyter.widget-state+json":
    ...     {"state": {"m1": {"model_name": "OutputModel", "state": {"outputs": [
    ...         {"output_type": "error", "ename": "ValueError", "evalue": "bad",
    ...          "traceback": []}]}}}}}}}
    >>> hidden_widget_errors(nb)[0]["ename"]
    'ValueError'
    """
    state = nb.get("metadata", {}).get("widgets", {}).get(_WIDGET_STATE_MIME, {}).get("state", {})
    errors = []
    for model_id, model in state.items():
        if not isinstance(model, dict) or model.get("model_name") != "OutputModel":
            continue
        for output in model.get("state", {}).get("outputs", []) or []:
            if isinstance(output, dict) and output.get("output_type") == "error":
                errors.append(
                    {
                        "where": f"widget output area {model_id}",
                        "cell": None,
                        "ename": output.get("ename"),
                        "evalue": output.get("evalue"),
                        "traceback": _plain(output.get("traceback", [])),
                    }
                )
    return errors


def _plain(lines: Any) -> list[str]:
    if isinstance(lines, str):
        lines = lines.splitlines()
    return [_ANSI.sub("", str(line)) for line in lines or []]


def _scrub_file(path: Path, secrets: list[str]) -> int:
    """Mask ``secrets`` in a saved notebook; returns how many were found."""
    if not secrets or not path.is_file():
        return 0
    text = path.read_text(encoding="utf-8")
    count = 0
    for secret in secrets:
        if len(secret) >= 4 and secret in text:
            count += text.count(secret)
            text = text.replace(secret, "***")
    if count:
        path.write_text(text, encoding="utf-8")
    return count


def _workspace_state(values: Mapping[str, Any], cwd: Path) -> dict[str, Any] | None:
    """Stages present and ledger counts of the run's workspace (if it has one)."""
    value = values.get("workspace")
    if not isinstance(value, str) or not value:
        return None
    root = Path(value).expanduser()
    root = root if root.is_absolute() else cwd / root
    state: dict[str, Any] = {"path": str(root.resolve())}
    if not (root / "workspace.json").is_file():
        state["exists"] = False
        return state
    state["exists"] = True
    state["stages"] = sorted(
        p.name for p in root.iterdir() if p.is_dir() and any(p.iterdir()) and p.name != "runs"
    )
    ledger = root / "ledger.sqlite"
    if ledger.is_file():
        from specpub.batch.ledger import Ledger

        with Ledger.open(ledger) as led:
            state["records_by_state"] = led.counts()
    return state


# -- the run ----------------------------------------------------------------------------
def run_notebook(
    notebook: Path | str,
    parameters: Mapping[str, Any] | None = None,
    *,
    workspace: Path | str | None = None,
    out: Path | str | None = None,
    kernel: str = "python3",
    timeout: float | None = None,
    cwd: Path | str | None = None,
    prepare_only: bool = False,
    echo: TextIO | None = None,
) -> NotebookRun:
    """Run ``notebook`` with ``parameters`` through papermill, into a new run folder.

    Parameter names and types are checked against the notebook's cell tagged
    ``parameters`` before anything runs (papermill alone only warns).
    ``interactive`` is set to ``False`` unless given: nobody is there to
    click. A failing cell does not raise: the outcome is in the returned
    :class:`NotebookRun` (call :meth:`~NotebookRun.raise_for_status` to raise).

    Parameters
    ----------
    notebook
        The ``.ipynb`` file.
    parameters
        ``{name: value}``, Python values of the declared types.
    workspace
        Sets the notebook's ``workspace`` parameter (made absolute).
    out
        Parent folder of the run folders (default: ``WORKSPACE/runs`` when a
        workspace is known, else ``./runs``).
    kernel
        The Jupyter kernel (default ``python3``: the one of this environment).
    timeout
        Seconds a single cell may run (default: no limit).
    cwd
        The kernel's working directory (default: the current one), which
        relative paths in parameters are relative to.
    prepare_only
        Write the parameterised notebook without executing it (for workshops).
    echo
        Also write the log to this stream (``specpub run`` passes stderr).

    Returns
    -------
    NotebookRun

    Raises
    ------
    InputError
        Bad parameters or notebook, before anything ran.

    Examples
    --------
    >>> run_notebook("no/such.ipynb")
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: no/such.ipynb: there is no such notebook. ...
    """
    nb_path = Path(notebook).expanduser()
    nb_json = read_notebook_json(nb_path)
    params = read_parameters(nb_json) if nb_json else {}
    where = str(nb_path)
    values = check_values(dict(parameters or {}), params, notebook=where)
    work_dir = Path(cwd).expanduser().resolve() if cwd is not None else Path.cwd()
    if workspace is not None:
        if "workspace" not in params:
            raise InputError(
                "the notebook has no 'workspace' parameter, so --workspace cannot be applied",
                file=where,
                fix="pass its parameters with -p NAME VALUE (see --list-parameters)",
            )
        ws = Path(workspace).expanduser()
        values["workspace"] = str(ws if ws.is_absolute() else (work_dir / ws).resolve())
    if "interactive" in params and "interactive" not in values:
        values["interactive"] = False
    effective = {name: values.get(name, p.default) for name, p in params.items()}
    if out is None:
        ws_value = effective.get("workspace")
        if isinstance(ws_value, str) and ws_value:
            ws_root = Path(ws_value).expanduser()
            out = (ws_root if ws_root.is_absolute() else work_dir / ws_root) / "runs"
        else:
            out = work_dir / "runs"
    started = datetime.now(UTC)
    run_dir = _new_run_dir(Path(out).expanduser().resolve(), nb_path.stem, started)
    output = run_dir / nb_path.name
    secrets = _secrets_of(params, values)
    log = _RunLog(run_dir / "run.log", echo, secrets)
    clock = time.monotonic()
    exit_code, error = 0, None
    try:
        log.say(f"specpub run {nb_path} -> {run_dir}")
        for name in values:
            log.say(f"  parameter {name} = {values[name]!r}")
        exit_code, error = _execute(
            nb_path, output, values, kernel, timeout, work_dir, prepare_only, log
        )
        if exit_code == 0 and output.is_file() and not prepare_only:
            hidden = hidden_widget_errors(json.loads(output.read_text(encoding="utf-8")))
            if hidden:
                exit_code, error = 1, hidden[0]
                log.say(
                    f"an error was caught inside a widget output area: {hidden[0]['ename']}: "
                    f"{hidden[0]['evalue']} (papermill saw none; the run fails anyway)"
                )
    except KeyboardInterrupt:
        exit_code, error = 130, {"where": "runner", "ename": "KeyboardInterrupt", "evalue": ""}
        log.say("interrupted; the partial notebook and this report are kept")
    except InputError as err:
        exit_code, error = 2, {"where": "runner", "ename": "InputError", "evalue": str(err)}
        raise
    except Exception as err:  # papermill or nbclient failed outside any cell
        exit_code = 1
        error = {"where": "runner", "ename": type(err).__name__, "evalue": str(err)}
        log.say(f"the run could not complete: {type(err).__name__}: {err}")
    finally:
        redacted = _scrub_file(output, secrets)
        report = _report(
            nb_path, output, run_dir, params, values, effective, started, clock,
            exit_code, error, redacted, work_dir, prepare_only,
        )  # fmt: skip
        (run_dir / "report.json").write_text(
            json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8"
        )
        log.say(f"{status_for_exit(exit_code)} (exit {exit_code}); report: {run_dir}/report.json")
        log.close()
    return NotebookRun(run_dir, output, report, exit_code)


def _execute(
    nb_path: Path,
    output: Path,
    values: dict[str, Any],
    kernel: str,
    timeout: float | None,
    cwd: Path,
    prepare_only: bool,
    log: _RunLog,
) -> tuple[int, dict[str, Any] | None]:
    """Call papermill; map its outcomes to an exit code and an error dict."""
    import papermill as pm
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    try:
        pm.execute_notebook(
            str(nb_path),
            str(output),
            parameters=values,
            kernel_name=kernel,
            language="python",
            progress_bar=False,
            log_output=True,
            cwd=str(cwd),
            prepare_only=prepare_only,
            execution_timeout=timeout,
            request_save_on_cell_execute=True,
        )
    except pm.PapermillExecutionError as err:
        info = {
            "where": f"cell {err.cell_index}",
            "cell": err.cell_index,
            "execution_count": err.exec_count,
            "ename": err.ename,
            "evalue": _ANSI.sub("", str(err.evalue)),
            "source": err.source,
            "traceback": _plain(err.traceback),
        }
        code = _EXIT_BY_ERROR.get(err.ename) or (2 if _is_input_error(err.ename) else 1)
        log.say(f"cell {err.cell_index} failed: {err.ename}: {info['evalue']}")
        return code, info
    except CellTimeoutError as err:
        log.say(f"a cell ran longer than {timeout} s: {err}")
        return 4, {"where": "cell", "ename": "CellTimeoutError", "evalue": _ANSI.sub("", str(err))}
    except DeadKernelError as err:
        log.say(f"the kernel died: {err}")
        return 5, {"where": "kernel", "ename": "DeadKernelError", "evalue": str(err)}
    except NoSuchKernel as err:
        raise InputError(
            f"there is no Jupyter kernel named {err.args[0]!r}",
            field="--kernel",
            fix="install ipykernel in this environment, or pass --kernel with the name "
            "from `jupyter kernelspec list`",
        ) from None
    return 0, None


def _is_input_error(ename: str) -> bool:
    import specpub.errors as errors

    cls = getattr(errors, ename, None)
    return isinstance(cls, type) and issubclass(cls, InputError)


def _report(
    nb_path: Path,
    output: Path,
    run_dir: Path,
    params: Mapping[str, Parameter],
    values: Mapping[str, Any],
    effective: Mapping[str, Any],
    started: datetime,
    clock: float,
    exit_code: int,
    error: dict[str, Any] | None,
    redacted: int,
    cwd: Path,
    prepare_only: bool,
) -> dict[str, Any]:
    from specpub import __version__

    nb: dict[str, Any] = {}
    if output.is_file():
        try:
            nb = json.loads(output.read_text(encoding="utf-8"))
        except json.JSONDecodeError:  # pragma: no cover - papermill writes whole files
            nb = {}
    cells = _cell_summary(nb)
    return {
        "specpub_version": __version__,
        "notebook": str(nb_path),
        "output": output.name,
        "log": "run.log",
        "run_dir": str(run_dir),
        "cwd": str(cwd),
        "prepare_only": prepare_only,
        "parameters": dict(effective),
        "given": sorted(values),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - clock, 3),
        "status": status_for_exit(exit_code),
        "exit_code": exit_code,
        "exit_meaning": EXIT_CODES.get(exit_code, ""),
        "error": error,
        "cells": {
            "total": len(cells),
            "completed": sum(1 for c in cells if c["status"] == "completed"),
            "failed": [c["index"] for c in cells if c["status"] == "failed"],
            "timings": cells,
        },
        "results": _scraps(nb),
        "workspace": _workspace_state(effective, cwd),
        "secrets_masked": redacted,
        "parameter_types": {n: p.type for n, p in params.items()},
    }
