"""The scan panel: every image read once (fixity, format, metadata), live progress, thumbnails.

A view over :func:`specpub.scan` — the same call as ``specpub scan
--workspace WS``. *Scan* runs it in a background thread (the notebook stays
usable; a re-scan reads only new and changed files); the panel then shows the
formats, the findings (filterable by severity) and a page of thumbnails.

Examples
--------
>>> import tempfile, pathlib
>>> from PIL import Image
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> Image.new("RGB", (40, 60), "white").save(folder / "BR1.jpg")
>>> panel = ScanPanel(folder / "ws", paths=[folder], workers=0)
>>> panel.scan()  # in this thread; the button runs it in the background
>>> panel.manifest.summary()["files"], panel.manifest.summary()["formats"]
(1, {'jpeg': 1})
>>> "data:image/jpeg;base64" in panel._gallery.value
True
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import ipywidgets as w
import pandas as pd
from specpub_widgets._base import Background, Pager, Panel
from specpub_widgets._progress import WidgetProgress
from specpub_widgets._views import bar_chart, frame_html, thumbnail_html

import specpub

__all__ = ["ScanPanel"]

_ALL = "(all)"
_SEVERITY_COLOURS = {"fail": "#c62828", "error": "#c62828", "warn": "#ef6c00", "info": "#1e88e5"}


class ScanPanel(Panel):
    """Scan a workspace's image files and look at the result.

    Parameters
    ----------
    workspace
        A :class:`specpub.Workspace` or its folder.
    paths
        Folders or files to scan (default: the folders and files linked by ``load``).
    workers
        Processes to read with (default: every core; ``0``: in this process).
    manifest
        An already made :class:`specpub.MediaManifest` to show at once.
    page_size
        Thumbnails per page.
    """

    def __init__(
        self,
        workspace: Any,
        *,
        paths: Iterable[str | os.PathLike[str]] = (),
        workers: int | None = None,
        manifest: Any = None,
        page_size: int = 12,
    ) -> None:
        super().__init__("scan")
        self.workspace = workspace
        self.workers = workers
        self.manifest = manifest
        self.paths_input = w.Text(
            value=", ".join(str(p) for p in paths),
            description="Folders",
            placeholder="(the image folders linked when loading the table)",
            layout=w.Layout(width="70%"),
        )
        self.scan_button = w.Button(description="Scan", button_style="primary", icon="search")
        self._bar, self._bar_text = w.IntProgress(layout=w.Layout(width="50%")), w.HTML()
        self.progress = WidgetProgress(self._bar, self._bar_text, description="files")
        self._summary = w.HTML()
        self._formats = w.HTML()
        self.severity_filter = w.Dropdown(description="Severity", options=[_ALL])
        self._findings = w.HTML()
        self._findings.add_class("specpub-findings-table")
        self._gallery = w.HTML()
        self._gallery.add_class("specpub-gallery")
        self.pager = Pager(page_size, unit="files", on_turn=self.guarded(self._show_gallery))
        self._worker = Background(on_done=self._finished, name="specpub-scan")
        self.scan_button.on_click(self.guarded(lambda _: self.start()))
        self.severity_filter.observe(self.guarded(lambda _: self._show_findings()), names="value")
        self._set_children(
            w.HTML("<h4 style='margin:4px 0'>Images</h4>"),
            self.paths_input,
            w.HBox([self.scan_button, self._bar, self._bar_text]),
            w.Tab(
                children=[
                    w.VBox([self._summary, self._formats]),
                    w.VBox([self.severity_filter, self._findings]),
                    w.VBox([self._gallery, self.pager.ui]),
                ],
                titles=("Summary", "Findings", "Thumbnails"),
            ),
        )
        if manifest is not None:
            self._show()

    # -- scanning ----------------------------------------------------------------------
    def _paths(self) -> list[str]:
        return [p.strip() for p in self.paths_input.value.split(",") if p.strip()]

    def scan(self) -> None:
        """Scan now, in this thread (a notebook cell, ``interactive=False`` code, tests)."""
        self.manifest = specpub.scan(
            self.workspace, self._paths(), workers=self.workers, progress=self.progress
        )
        self.progress.close()
        self._show()

    def start(self) -> bool:
        """Scan in the background (what the *Scan* button does)."""
        self.scan_button.disabled = True
        self.say("Scanning … the notebook stays usable while this runs.")

        def work() -> Any:
            return specpub.scan(
                self.workspace, self._paths(), workers=self.workers, progress=self.progress
            )

        return self._worker.start(work)

    def wait(self, timeout: float | None = None) -> Any:
        """Block until a background scan ends; returns the manifest."""
        self._worker.join(timeout)
        return self.manifest

    def _finished(self, manifest: Any, error: BaseException | None) -> None:
        self.scan_button.disabled = False
        if error is not None:
            self.show_error(error)
            return
        self.manifest = manifest
        self.progress.close()
        self.guarded(self._show)()

    # -- showing -----------------------------------------------------------------------
    def _show(self) -> None:
        s = self.manifest.summary()
        gib = s["bytes"] / 2**30
        size = f"{gib:.2f} GiB" if gib >= 0.1 else f"{s['bytes'] / 2**20:.1f} MiB"
        findings = s.get("findings_by_severity", {})
        self._summary.value = (
            f"<p><b>{s['files']}</b> files ({size}), <b>{s['linked_files']}</b> linked to a "
            f"specimen; <b>{s['errors']}</b> could not be read; findings: "
            f"{', '.join(f'{n} {k}' for k, n in findings.items()) or 'none'}. Each file's MD5 "
            "and SHA-256 are kept for the upload and the audit.</p>"
        )
        self._formats.value = bar_chart(s["formats"], colours={}, title="Files by format")
        severities = sorted(set(self.manifest.findings()["severity"]))
        self.severity_filter.options = [_ALL, *severities]
        self._show_findings()
        self.pager.page = 0
        self._show_gallery()
        self.say(f"Scanned {s['files']} files.", "ok" if not s["errors"] else "warning")

    def filtered_findings(self) -> pd.DataFrame:
        """The findings of the chosen severity."""
        found = self.manifest.findings() if self.manifest is not None else pd.DataFrame()
        if len(found) and self.severity_filter.value != _ALL:
            found = found[found["severity"] == self.severity_filter.value]
        return found

    def _show_findings(self) -> None:
        found = self.filtered_findings()
        cols = [c for c in ("key", "severity", "id", "message") if c in found.columns]
        self._findings.value = (
            frame_html(found[cols], max_rows=100) if len(found) else "<i>No finding.</i>"
        )

    def _show_gallery(self) -> None:
        shown = self.pager.window(self.manifest.to_frame())
        captions = [
            f"{c if isinstance(c, str) else '(no specimen)'} · {f}"
            for c, f in zip(shown["catalogNumber"], shown["format"], strict=True)
        ]
        self._gallery.value = thumbnail_html(shown["path"].tolist(), captions=captions)
