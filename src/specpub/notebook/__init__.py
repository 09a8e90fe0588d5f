"""Run specpub's notebooks unattended: ``specpub run`` over papermill.

The same notebooks guide a person in JupyterLab and run unattended (cron,
CI, a systemd timer) with identical results. This package is the unattended
side: :func:`run_notebook` checks the parameters against the notebook's cell
tagged ``parameters`` (papermill alone only warns about a misspelt name),
runs it with papermill into a run folder, and writes ``report.json``.
papermill and nbformat are imported only when a run starts; ipywidgets and
IPython never are (they belong to the kernel side, ``specpub_widgets``).

Examples
--------
>>> from specpub.notebook import parse_parameters
>>> p = parse_parameters('concurrency: int = 4  # records in flight at once')["concurrency"]
>>> p.type, p.default, p.help
('int', 4, 'records in flight at once')
>>> sorted(EXIT_CODES)
[0, 1, 2, 3, 4, 5, 130]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specpub._lazy import lazy_names

# Imported on first use (specpub._lazy): a submodule, a worker process or the command
# line does not pay for the whole package.
_HOMES = {
    "specpub.notebook._checks": ("RecordsFailed", "check_published"),
    "specpub.notebook._parameters": (
        "Parameter",
        "check_env_name",
        "check_values",
        "convert_values",
        "looks_secret",
        "parse_parameters",
        "read_parameters",
    ),
    "specpub.notebook._runner": (
        "EXIT_CODES",
        "SCRAP_MIME",
        "NotebookFailed",
        "NotebookRun",
        "hidden_widget_errors",
        "run_notebook",
        "status_for_exit",
    ),
}
__getattr__, __dir__ = lazy_names(__name__, _HOMES)

if TYPE_CHECKING:  # pragma: no cover - what the lazy names are, for type checkers
    from specpub.notebook._checks import RecordsFailed, check_published
    from specpub.notebook._parameters import (
        Parameter,
        check_env_name,
        check_values,
        convert_values,
        looks_secret,
        parse_parameters,
        read_parameters,
    )
    from specpub.notebook._runner import (
        EXIT_CODES,
        SCRAP_MIME,
        NotebookFailed,
        NotebookRun,
        hidden_widget_errors,
        run_notebook,
        status_for_exit,
    )

__all__ = [
    "EXIT_CODES",
    "SCRAP_MIME",
    "NotebookFailed",
    "NotebookRun",
    "Parameter",
    "RecordsFailed",
    "check_env_name",
    "check_published",
    "check_values",
    "convert_values",
    "hidden_widget_errors",
    "looks_secret",
    "parse_parameters",
    "read_parameters",
    "run_notebook",
    "status_for_exit",
]
