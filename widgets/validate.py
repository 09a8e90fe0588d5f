"""The validation panel: images judged for preservation; findings filtered by rule and severity.

A view over :func:`specpub.validate` — the same call as ``specpub validate
--workspace WS --profile NAME``. *Validate* runs it in the background; the
panel shows the verdicts, the files failing each rule, and the findings,
filtered by rule and severity and paged.

Examples
--------
>>> import tempfile, pathlib
>>> from PIL import Image
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> (folder / "images").mkdir()
>>> Image.new("RGB", (8, 8)).save(folder / "images" / "A1.png")
>>> panel = ValidationPanel(folder / "ws", paths=[folder / "images"], profile="structure")
>>> panel.validate()
>>> panel.report.to_frame()["verdict"].tolist()
['pass']
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import ipywidgets as w
import pandas as pd
from specpub_widgets._base import Background, Pager, Panel
from specpub_widgets._progress import WidgetProgress
from specpub_widgets._views import bar_chart, frame_html

import specpub

__all__ = ["PROFILES", "ValidationPanel"]

_ALL = "(all)"
#: The built-in profiles offered in the dropdown (a ``.toml`` path can be typed as well).
PROFILES = ("master", "master-strict", "herbarium-master", "access", "structure")
_VERDICT_COLOURS = {"pass": "#2e7d32", "warn": "#ef6c00", "fail": "#c62828"}
_FINDING_COLUMNS = ["key", "severity", "rule", "id", "message", "where", "value"]


class ValidationPanel(Panel):
    """Validate a workspace's images under a preservation profile and read the findings.

    Parameters
    ----------
    workspace
        A :class:`specpub.Workspace` or its folder.
    paths
        Files or folders to validate instead of the linked ones.
    profile
        The profile for masters (``master`` by default; see :data:`PROFILES`).
    access_profile
        The profile for files linked as access copies.
    report
        An already made report to show at once.
    page_size
        Findings per page.
    """

    def __init__(
        self,
        workspace: Any,
        *,
        paths: Iterable[str | os.PathLike[str]] = (),
        profile: str = "master",
        access_profile: str | None = "access",
        report: Any = None,
        page_size: int = 20,
    ) -> None:
        super().__init__("validation")
        self.workspace = workspace
        self.paths = [os.fspath(p) for p in paths]
        self.access_profile = access_profile
        self.report = report
        options = list(PROFILES) if profile in PROFILES else [*PROFILES, profile]
        self.profile_choice = w.Dropdown(description="Profile", options=options, value=profile)
        self.validate_button = w.Button(
            description="Validate", button_style="primary", icon="check"
        )
        self._bar, self._bar_text = w.IntProgress(layout=w.Layout(width="50%")), w.HTML()
        self.progress = WidgetProgress(self._bar, self._bar_text, description="files")
        self._verdicts = w.HTML()
        self._rules = w.HTML()
        self.rule_filter = w.Dropdown(description="Rule", options=[_ALL])
        self.severity_filter = w.Dropdown(description="Severity", options=[_ALL])
        self._table = w.HTML()
        self._table.add_class("specpub-validation-table")
        self.pager = Pager(page_size, unit="findings", on_turn=self.guarded(self._show_table))
        self._worker = Background(on_done=self._finished, name="specpub-validate")
        self.validate_button.on_click(self.guarded(lambda _: self.start()))
        for control in (self.rule_filter, self.severity_filter):
            control.observe(self.guarded(self._filters_changed), names="value")
        self._set_children(
            w.HTML("<h4 style='margin:4px 0'>Preservation formats</h4>"),
            w.HBox([self.profile_choice, self.validate_button, self._bar, self._bar_text]),
            w.HBox([self._verdicts, self._rules]),
            w.HBox([self.rule_filter, self.severity_filter]),
            self._table,
            self.pager.ui,
        )
        if report is not None:
            self._show()

    # -- validating --------------------------------------------------------------------
    def _call(self) -> Any:
        return specpub.validate(
            self.workspace,
            self.paths,
            profile=self.profile_choice.value,
            access_profile=self.access_profile,
            progress=self.progress,
        )

    def validate(self) -> None:
        """Validate now, in this thread (a notebook cell, tests)."""
        self.report = self._call()
        self.progress.close()
        self._show()

    def start(self) -> bool:
        """Validate in the background (what the *Validate* button does)."""
        self.validate_button.disabled = True
        self.say(f"Validating under the {self.profile_choice.value!r} profile …")
        return self._worker.start(self._call)

    def wait(self, timeout: float | None = None) -> Any:
        """Block until a background validation ends; returns the report."""
        self._worker.join(timeout)
        return self.report

    def _finished(self, report: Any, error: BaseException | None) -> None:
        self.validate_button.disabled = False
        if error is not None:
            self.show_error(error)
            return
        self.report = report
        self.progress.close()
        self.guarded(self._show)()

    # -- filters -----------------------------------------------------------------------
    def filtered_findings(self) -> pd.DataFrame:
        """The findings of the chosen rule and severity."""
        if self.report is None:
            return pd.DataFrame(columns=_FINDING_COLUMNS)
        found = self.report.findings_frame()
        if self.rule_filter.value != _ALL:
            found = found[found["rule"].fillna(found["id"]) == self.rule_filter.value]
        if self.severity_filter.value != _ALL:
            found = found[found["severity"] == self.severity_filter.value]
        return found[[c for c in _FINDING_COLUMNS if c in found.columns]].reset_index(drop=True)

    def _filters_changed(self, _change: Any = None) -> None:
        self.pager.page = 0
        self._show_table()

    def _show_table(self) -> None:
        shown = self.pager.window(self.filtered_findings())
        self._table.value = (
            frame_html(shown, max_rows=self.pager.page_size)
            if len(shown)
            else "<i>No finding matches these filters.</i>"
        )

    def _show(self) -> None:
        s = self.report.summary()
        verdicts = {v: s["by_verdict"].get(v, 0) for v in ("pass", "warn", "fail")}
        self._verdicts.value = bar_chart(
            verdicts, colours=_VERDICT_COLOURS, title=f"Verdicts ({s['files']} files)", width=360
        )
        self._rules.value = bar_chart(
            s["files_by_rule"], colours={}, title="Files with findings, by rule", width=420
        )
        found = self.report.findings_frame()
        rules = sorted(set(found["rule"].fillna(found["id"]))) if len(found) else []
        self.rule_filter.options = [_ALL, *rules]
        self.severity_filter.options = [_ALL, *sorted(set(found["severity"]))]
        self.pager.page = 0
        self._show_table()
        failing = verdicts["fail"]
        self.say(
            f"{failing} of {s['files']} files fail their profile."
            if failing
            else f"All {s['files']} files pass or only warn.",
            "warning" if failing else "ok",
        )
