"""The record preview: page through the records as they will be deposited.

A view over :func:`specpub.build_records` and :func:`specpub.preview` — the
same calls as ``specpub records --preset NAME`` and ``specpub preview``.
One record per page: its title and status, the thumbnails of its images, its
metadata, its checks (each finding with what to do), and the exact payload
sent to the repository (legacy or native API). The *Gallery* tab shows every
record's first image; *Write HTML pages* writes the landing-page-like preview
that a colleague can open without Jupyter.

Examples
--------
>>> import tempfile, pathlib
>>> from PIL import Image
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text("catalogNumber,institutionCode,scientificName\\n"
...                                   "BR1,BR,Quercus robur\\nBR2,BR,Fagus sylvatica\\n")
>>> for n in ("BR1", "BR2"):
...     Image.new("RGB", (60, 90), "white").save(folder / f"{n}.jpg")
>>> import specpub
>>> _ = specpub.load(folder / "ws", folder / "t.csv", media=[folder], progress=None)
>>> panel = PreviewPanel(folder / "ws")
>>> panel.build_button.click()
>>> len(panel.records), panel.current.catalog_number
(2, 'BR1')
>>> panel.pager.next_button.click(); panel.current.catalog_number
'BR2'
"""

from __future__ import annotations

import html
import json
from typing import Any

import ipywidgets as w
import pandas as pd
from specpub_widgets._base import Pager, Panel
from specpub_widgets._progress import WidgetProgress
from specpub_widgets._views import frame_html, thumbnail_html

import specpub

__all__ = ["PreviewPanel"]

_STATUS_COLOURS = {"ok": "#2e7d32", "warning": "#ef6c00", "blocked": "#c62828"}
_FINDING_COLUMNS = ["severity", "code", "api", "field", "message", "fix"]


def _finding_rows(findings: list[Any]) -> pd.DataFrame:
    rows = []
    for f in findings:
        rows.append({c: getattr(f, c, "") for c in _FINDING_COLUMNS})
    return pd.DataFrame(rows, columns=_FINDING_COLUMNS)


class PreviewPanel(Panel):
    """Build the records under a preset and look at each one before it is sent.

    Parameters
    ----------
    workspace
        A :class:`specpub.Workspace` or its folder, with loaded specimens.
    preset
        The preset to build with (``minimal`` by default; see :func:`specpub.list_presets`).
    options
        :class:`specpub.PayloadOptions` overriding the preset.
    records
        Records already built (:func:`specpub.build_records`) to show at once.
    api
        Which payload to show first: ``legacy`` (Zenodo deposit API) or ``native``.
    gallery_size
        Records per gallery page.
    """

    def __init__(
        self,
        workspace: Any,
        *,
        preset: str = "minimal",
        options: Any = None,
        records: Any = None,
        api: str = "legacy",
        gallery_size: int = 12,
    ) -> None:
        super().__init__("preview")
        self.workspace = workspace
        self.options = options
        self.records = records
        self.preview_result: Any = None
        names = list(specpub.list_presets()["name"])
        self.preset_choice = w.Dropdown(
            description="Preset", options=names if preset in names else [*names, preset]
        )
        self.preset_choice.value = preset
        self.build_button = w.Button(description="Build records", button_style="primary")
        self.write_button = w.Button(description="Write HTML pages", icon="file")
        self.api_choice = w.ToggleButtons(options=["legacy", "native"], value=api)
        self._bar, self._bar_text = w.IntProgress(layout=w.Layout(width="40%")), w.HTML()
        self.pager = Pager(1, unit="records", on_turn=self.guarded(self._show_record))
        self.gallery_pager = Pager(
            gallery_size, unit="records", on_turn=self.guarded(self._show_gallery)
        )
        self._record = w.HTML()
        self._record.add_class("specpub-record")
        self._checks = w.HTML()
        self._checks.add_class("specpub-record-checks")
        self._payload = w.HTML()
        self._payload.add_class("specpub-payload")
        self._gallery = w.HTML()
        self._gallery.add_class("specpub-gallery")
        self._skipped = w.HTML()
        self.build_button.on_click(self.guarded(lambda _: self.build()))
        self.write_button.on_click(self.guarded(lambda _: self.write_pages()))
        self.api_choice.observe(self.guarded(lambda _: self._show_record()), names="value")
        self.tabs = w.Tab(
            children=[
                w.VBox([self.pager.ui, self._record]),
                self._checks,
                w.VBox([self.api_choice, self._payload]),
                w.VBox([self._gallery, self.gallery_pager.ui]),
                self._skipped,
            ],
            titles=("Record", "Checks", "Payload", "Gallery", "Left out"),
        )
        self._set_children(
            w.HTML("<h4 style='margin:4px 0'>Records</h4>"),
            w.HBox([self.preset_choice, self.build_button, self._bar, self._bar_text]),
            self.tabs,
            self.write_button,
        )
        if records is not None:
            self._show()

    @property
    def current(self) -> Any:
        """The record on screen (``None`` before the records are built)."""
        if not self.records or not len(self.records):
            return None
        return self.records.built[min(self.pager.page, len(self.records) - 1)]

    # -- actions -----------------------------------------------------------------------
    def build(self) -> Any:
        """Call :func:`specpub.build_records` with the chosen preset."""
        progress = WidgetProgress(self._bar, self._bar_text, description="records")
        self.records = specpub.build_records(
            self.workspace, self.preset_choice.value, options=self.options, progress=progress
        )
        progress.close()
        self.pager.page = 0
        self._show()
        return self.records

    def write_pages(self) -> Any:
        """Write the HTML preview (:func:`specpub.preview`) into ``WS/records/preview``."""
        ws = self.workspace if isinstance(self.workspace, specpub.Workspace) else None
        ws = ws or specpub.Workspace.open(self.workspace)
        out = ws.stage_dir("records") / "preview"
        self.preview_result = specpub.preview(ws, out, api=self.api_choice.value, progress=None)
        self.say(f"Wrote the preview: open {self.preview_result.index} in a browser.", "ok")
        return self.preview_result

    # -- showing -----------------------------------------------------------------------
    def _show(self) -> None:
        s = self.records.summary()
        self.pager.window(pd.DataFrame(index=range(len(self.records))))
        self._show_record()
        self.gallery_pager.page = 0
        self._show_gallery()
        skipped = self.records.skipped
        self._skipped.value = (
            frame_html(skipped, max_rows=100, caption=f"{len(skipped)} specimens left out")
            if len(skipped)
            else "<i>Every specimen has a publishable record.</i>"
        )
        self.say(
            f"Built {len(self.records)} records with the {self.records.preset!r} preset; "
            f"{len(skipped)} specimens left out. {json.dumps(s.get('by_status', {}))}",
            "ok" if not len(skipped) else "warning",
        )

    def _show_record(self) -> None:
        self.pager.window(pd.DataFrame(index=range(len(self.records or []))))
        rec = self.current
        if rec is None:
            self._record.value = "<i>No record.</i>"
            return
        status = rec.status()
        colour = _STATUS_COLOURS.get(status, "#555")
        metadata = rec.payload("legacy").get("metadata", {})
        simple = {
            k: v for k, v in metadata.items() if isinstance(v, str | int | float) and str(v).strip()
        }
        files = [f.spec.path for f in rec.files]
        self._record.value = (
            f"<h3 style='margin:4px 0'>{html.escape(rec.title)}</h3>"
            f"<div>{html.escape(rec.catalog_number)} · <b style='color:{colour}'>"
            f"{html.escape(status)}</b> · {len(files)} files</div>"
            + thumbnail_html(files, size=160, captions=[f.spec.key for f in rec.files])
            + frame_html(
                pd.DataFrame({"field": list(simple), "value": [str(v) for v in simple.values()]}),
                max_rows=40,
            )
        )
        findings = _finding_rows(rec.findings)
        self._checks.value = (
            frame_html(findings, max_rows=100, caption=f"{len(findings)} findings")
            if len(findings)
            else "<i>No finding: the record passes every check.</i>"
        )
        payload = json.dumps(rec.payload(self.api_choice.value), indent=2, ensure_ascii=False)
        self._payload.value = (
            "<pre style='max-height:28em;overflow:auto;font-size:11px'>"
            f"{html.escape(payload)}</pre>"
        )

    def _show_gallery(self) -> None:
        built = pd.DataFrame(
            {
                "path": [r.files[0].spec.path if r.files else "" for r in self.records],
                "caption": [f"{r.catalog_number} · {r.status()}" for r in self.records],
            }
        )
        shown = self.gallery_pager.window(built)
        self._gallery.value = thumbnail_html(
            shown["path"].tolist(), captions=shown["caption"].tolist()
        )
