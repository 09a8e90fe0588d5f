"""The load panel: a specimen table, its Darwin Core mapping (editable) and its flags (filterable).

A view over :func:`specpub.load`: pressing *Load* (or *Load again with this
mapping*) calls it with the table, the image folders and the mapping edits,
exactly as ``specpub load TABLE --media DIR --mapping FILE`` does; the
mapping edits are shown as the TOML a command-line user would pass.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "t.csv").write_text("Barcode,scientificName\\nBR1,Quercus robur\\n")
>>> panel = LoadPanel(folder / "ws", table=folder / "t.csv")
>>> panel.load_button.click()
>>> panel.specimens is not None and len(panel.specimens)
1
>>> panel.set_mapping("Barcode", "catalogNumber")
>>> panel.reload_button.click()
>>> panel.specimens.frame["catalogNumber"].tolist()
['BR1']
>>> panel.mapping_toml()
'"Barcode" = "catalogNumber"\\n'
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
from specpub_widgets._base import Pager, Panel
from specpub_widgets._progress import WidgetProgress
from specpub_widgets._views import bar_chart, frame_html

import specpub

__all__ = ["LoadPanel"]

_ALL = "(all)"
_SEVERITY_COLOURS = {"error": "#c62828", "warning": "#ef6c00", "info": "#1e88e5"}
_FLAG_COLUMNS = ["row", "severity", "flag", "column", "value", "message", "fix"]


def _term_names() -> list[str]:
    return list(specpub.terms())


class LoadPanel(Panel):
    """Load a specimen table into a workspace; edit the mapping; filter the flags.

    Parameters
    ----------
    workspace
        A :class:`specpub.Workspace` or its folder (created on the first load).
    table
        The specimen table (CSV, TSV, XLSX or Darwin Core Archive).
    media
        Image folders to link to the specimens.
    specimens
        An already loaded result of :func:`specpub.load` to show at once.
    page_size
        Flags shown per page.
    """

    def __init__(
        self,
        workspace: Any,
        table: str | os.PathLike[str] | None = None,
        *,
        media: Iterable[str | os.PathLike[str]] = (),
        specimens: Any = None,
        page_size: int = 20,
    ) -> None:
        super().__init__("load")
        self.workspace = workspace
        self.specimens = specimens
        self._edits: dict[str, str] = {}
        self.table_input = w.Text(
            value="" if table is None else str(table),
            description="Table",
            placeholder="specimens.csv, .xlsx or a Darwin Core Archive",
            layout=w.Layout(width="70%"),
        )
        self.media_input = w.Text(
            value=", ".join(str(m) for m in media),
            description="Images",
            placeholder="image folders, separated by commas",
            layout=w.Layout(width="70%"),
        )
        self.load_button = w.Button(description="Load", button_style="primary", icon="table")
        self.reload_button = w.Button(
            description="Load again with this mapping", icon="refresh", disabled=True
        )
        self._bar, self._bar_text = w.IntProgress(layout=w.Layout(width="40%")), w.HTML()
        self._summary = w.HTML()
        self._mapping_box = w.VBox()
        self._toml = w.Textarea(
            description="As TOML",
            placeholder='"Column name" = "catalogNumber"',
            layout=w.Layout(width="70%", height="5em"),
            tooltip="type corrections here, or pick terms above; save it as a file and pass "
            "it to `specpub load --mapping FILE` for the same result",
        )
        self._toml.add_class("specpub-mapping-toml")
        self.severity_filter = w.Dropdown(description="Severity", options=[_ALL])
        self.flag_filter = w.Dropdown(description="Flag", options=[_ALL])
        self.search = w.Text(description="Contains", placeholder="column, value or message")
        self.pager = Pager(page_size, unit="flags", on_turn=self.guarded(self._show_flags))
        self._flag_chart = w.HTML()
        self._flags_table = w.HTML()
        self._flags_table.add_class("specpub-flags-table")
        self._toml.observe(self.guarded(self._toml_typed), names="value")
        self.load_button.on_click(self.guarded(lambda _: self.load()))
        self.reload_button.on_click(self.guarded(lambda _: self.load(with_edits=True)))
        for control in (self.severity_filter, self.flag_filter, self.search):
            control.observe(self.guarded(self._filters_changed), names="value")
        self.tabs = w.Tab(
            children=[
                w.VBox([self._summary, self._flag_chart]),
                w.VBox([self._mapping_box, self.reload_button, self._toml]),
                w.VBox(
                    [
                        w.HBox([self.severity_filter, self.flag_filter, self.search]),
                        self._flags_table,
                        self.pager.ui,
                    ]
                ),
            ],
            titles=("Summary", "Column mapping", "Flags"),
        )
        self._set_children(
            w.HTML("<h4 style='margin:4px 0'>Specimen table</h4>"),
            self.table_input,
            self.media_input,
            w.HBox([self.load_button, self._bar, self._bar_text]),
            self.tabs,
        )
        if specimens is not None:
            self._show()

    # -- actions -----------------------------------------------------------------------
    def load(self, *, with_edits: bool = False) -> Any:
        """Call :func:`specpub.load` with the table, folders and (optionally) the mapping edits."""
        table = self.table_input.value.strip()
        if not table:
            self.say("Type the path of the specimen table first.", "warning")
            return None
        media = [m.strip() for m in self.media_input.value.split(",") if m.strip()]
        self.say(f"Loading {table} …")
        progress = WidgetProgress(self._bar, self._bar_text, description="rows")
        mapping = dict(self._edits) or None
        try:
            self.specimens = specpub.load(
                self.workspace, table, media=media, mapping=mapping, progress=progress
            )
        except specpub.InputError:
            self.tabs.selected_index = 1  # the mapping tab: the fix is often a mapping line
            raise
        progress.close()
        self.pager.page = 0
        self._show()
        return self.specimens

    def set_mapping(self, column: str, term: str) -> None:
        """Map source ``column`` to ``term`` (``""``: leave it unmapped) at the next reload."""
        if self.specimens is None:
            raise ValueError("load the table first")
        known = set(self.specimens.mapping["column"].astype(str))
        if column not in known:
            raise ValueError(f"the table has no column {column!r}")
        self._edits[column] = term
        for row in self._mapping_box.children:
            label, combo = row.children
            if label.value == column and combo.value != term:
                combo.value = term
        self._toml.value = self.mapping_toml()
        self.reload_button.disabled = False

    def _toml_typed(self, change: Any) -> None:
        import tomllib

        text = str(change["new"])
        if text == self.mapping_toml():
            return
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            self.say(f"The mapping is not valid TOML yet: {err}", "warning")
            return
        self._edits = {str(k): str(v) for k, v in data.items()}
        self.reload_button.disabled = False

    def mapping_toml(self) -> str:
        """The mapping edits as the TOML file ``specpub load --mapping`` takes."""
        return "".join(f"{json.dumps(c)} = {json.dumps(t)}\n" for c, t in self._edits.items())

    # -- flags -------------------------------------------------------------------------
    def filtered_flags(self) -> pd.DataFrame:
        """The flags matching the severity, flag and text filters."""
        if self.specimens is None:
            return pd.DataFrame(columns=_FLAG_COLUMNS)
        flags = self.specimens.flags
        if self.severity_filter.value != _ALL:
            flags = flags[flags["severity"] == self.severity_filter.value]
        if self.flag_filter.value != _ALL:
            flags = flags[flags["flag"] == self.flag_filter.value]
        text = self.search.value.strip().lower()
        if text:
            hay = (
                flags["column"].astype(str)
                + " "
                + flags["value"].astype(str)
                + " "
                + flags["message"].astype(str)
            ).str.lower()
            flags = flags[hay.str.contains(text, regex=False)]
        cols = [c for c in _FLAG_COLUMNS if c in flags.columns]
        return flags[cols].reset_index(drop=True)

    def _filters_changed(self, _change: Any = None) -> None:
        self.pager.page = 0
        self._show_flags()

    def _show_flags(self) -> None:
        shown = self.pager.window(self.filtered_flags())
        self._flags_table.value = (
            frame_html(shown, max_rows=self.pager.page_size)
            if len(shown)
            else "<i>No flag matches these filters.</i>"
        )

    # -- showing a result --------------------------------------------------------------
    def _show(self) -> None:
        sp = self.specimens
        summary = sp.summary()
        by_severity = summary.get("flags_by_severity", {})
        unmapped = summary.get("unmapped_columns", [])
        try:
            links = specpub.MediaLinks.load(self.workspace).summary()
        except specpub.InputError:  # no image folder linked yet
            links = {}
        linked = (
            f" {links.get('specimens_with_files', 0)} specimens have images linked"
            f" ({links.get('files_linked', 0)} files)."
            if links
            else " No image folder linked yet."
        )
        self._summary.value = (
            f"<p><b>{summary['rows']}</b> specimens, <b>{len(summary['mapped_terms'])}</b> Darwin "
            f"Core terms mapped, <b>{len(unmapped)}</b> columns left unmapped; "
            f"<b>{len(sp.flags)}</b> flags "
            f"({', '.join(f'{n} {s}' for s, n in by_severity.items()) or 'none'}). "
            f"<b>{summary['rows_with_errors']}</b> specimens cannot be published until their "
            f"errors are fixed.{linked}</p>"
        )
        counts = sp.flag_summary().set_index("flag")["count"].to_dict()
        severity = sp.flag_summary().set_index("flag")["severity"].to_dict()
        colours = {f: _SEVERITY_COLOURS.get(severity[f], "#777") for f in counts}
        self._flag_chart.value = bar_chart(
            counts, colours=colours, title="Flags by kind", width=560
        )
        self.severity_filter.options = [
            _ALL,
            *[s for s in ("error", "warning", "info") if s in by_severity],
        ]
        self.flag_filter.options = [_ALL, *sorted(counts)]
        self._show_mapping()
        self._show_flags()
        self.reload_button.disabled = not self._edits
        where = (
            getattr(self.workspace, "root", None)
            if isinstance(self.workspace, specpub.Workspace)
            else None
        )
        self.say(f"Loaded {len(sp)} specimens into {where or Path(self.workspace)}.", "ok")

    def _show_mapping(self) -> None:
        terms = _term_names()
        rows = []
        for record in self.specimens.mapping.to_dict("records"):
            column = str(record.get("column", ""))
            term = record.get("term")
            term = "" if term is None or (isinstance(term, float) and pd.isna(term)) else str(term)
            combo = w.Combobox(
                value=self._edits.get(column, term),
                options=terms,
                ensure_option=False,
                placeholder="(not mapped)",
                layout=w.Layout(width="260px"),
            )
            combo.observe(self.guarded(self._combo_changed(column)), names="value")
            label = w.Label(column, layout=w.Layout(width="240px"))
            rows.append(w.HBox([label, combo]))
        self._mapping_box.children = rows
        self._toml.value = self.mapping_toml()

    def _combo_changed(self, column: str) -> Any:
        def handler(change: Any) -> None:
            value = str(change["new"]).strip()
            if value and value not in _term_names():
                self.say(f"{value!r} is not a Darwin Core term; pick one from the list.", "warning")
                return
            self._edits[column] = value
            self._toml.value = self.mapping_toml()
            self.reload_button.disabled = False

        return handler
