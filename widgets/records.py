"""The records panel: the user's own records and drafts on the repository.

A view over :func:`specpub.inventory` — the same listing the batch engine's
preflight and ``reconcile`` read, cached in the workspace
(``WS/inventory.sqlite``). Made, the panel shows the cached listing at once
(no request); *Refresh* lists what changed since (in the background: a large
account takes many paced requests), *List all again* lists everything. The
table can be searched (catalogue number, title, DOI, id), filtered by state
and paged; DOIs and landing pages are links.

A listing is a search, with the search index's lag: a record created a
moment ago may be missing, one published a moment ago may still show as a
draft. The panel says so; reconcile (the upload dashboard) is the check.

Examples
--------
>>> import tempfile, specpub
>>> panel = RecordsPanel(specpub.Workspace.create(tempfile.mkdtemp()), to="zenodo")
>>> panel.inventory.fetched_at is None, panel.refresh_button.description
(True, 'Refresh')
>>> "not listed yet" in panel._summary.value
True
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import ipywidgets as w
import pandas as pd
from specpub_widgets._base import Background, Pager, Panel
from specpub_widgets._views import bar_chart, frame_html

import specpub

__all__ = ["RecordsPanel"]

_ALL = "(all)"
#: Columns searched by the search box.
_SEARCHED = ("remote_id", "catalog_number", "institution_code", "title", "doi", "concept_doi")
#: Shown columns and their headings.
_SHOWN = {
    "remote_id": "id",
    "catalog_number": "catalogue number",
    "title": "title",
    "state": "state",
    "doi": "DOI",
    "html_url": "page",
    "updated": "updated",
}
_STATE_COLOURS = {"published": "#2e7d32", "draft": "#ef6c00", "edit-draft": "#1e88e5"}


class RecordsPanel(Panel):
    """List, search and page through the user's records and drafts on a repository.

    Parameters
    ----------
    workspace
        A :class:`specpub.Workspace` or its folder (it keeps the listing's cache).
    to
        The repository (as for :func:`specpub.publish`; ``None``: the target
        the workspace's batches were planned for).
    target
        A :class:`~specpub_widgets.TargetPanel`: its current choice wins over
        ``to``, ``url`` and ``token_env`` at each refresh.
    url, token_env, api
        As for :func:`specpub.inventory`.
    page_size
        Records per page.
    refresh
        List the server now (in this thread) instead of showing the cache.
    """

    def __init__(
        self,
        workspace: Any,
        to: Any = None,
        *,
        target: Any = None,
        url: str | None = None,
        token_env: str = "ZENODO_TOKEN",  # noqa: S107 - the NAME of a variable
        api: str | None = None,
        page_size: int = 20,
        refresh: bool = False,
    ) -> None:
        super().__init__("records")
        self.workspace = workspace
        self.target = target
        self._to, self._url, self._token_env, self.api = to, url, token_env, api
        self.inventory: Any = None
        self.refresh_button = w.Button(description="Refresh", icon="refresh", button_style="info")
        self.full_button = w.Button(description="List all again", icon="list")
        self.search = w.Text(
            description="Search",
            placeholder="catalogue number, title, DOI or id",
            continuous_update=False,
            layout=w.Layout(width="50%"),
        )
        self.state_filter = w.Dropdown(description="State", options=[_ALL])
        self._summary = w.HTML()
        self._states = w.HTML()
        self._table = w.HTML()
        self._table.add_class("specpub-records-table")
        self.pager = Pager(page_size, unit="records", on_turn=self.guarded(self._show_table))
        self._worker = Background(on_done=self._finished, name="specpub-inventory")
        self.refresh_button.on_click(self.guarded(lambda _: self.start()))
        self.full_button.on_click(self.guarded(lambda _: self.start(full=True)))
        self.search.observe(self.guarded(lambda _: self._filtered_again()), names="value")
        self.state_filter.observe(self.guarded(lambda _: self._filtered_again()), names="value")
        self._set_children(
            w.HTML("<h4 style='margin:4px 0'>Your records on the repository</h4>"),
            w.HBox([self.refresh_button, self.full_button]),
            w.HBox([self._summary, self._states]),
            w.HBox([self.search, self.state_filter]),
            self._table,
            self.pager.ui,
        )
        if refresh:
            self.refresh()
        else:
            self.guarded(self._show_cache)()

    # -- where ------------------------------------------------------------------------
    @property
    def target_kwargs(self) -> dict[str, Any]:
        """``to``, ``url``, ``token_env`` (from the target panel when there is one)."""
        if self.target is not None:
            return dict(self.target.target_kwargs)
        return {"to": self._to, "url": self._url, "token_env": self._token_env}

    # -- listing ----------------------------------------------------------------------
    def _show_cache(self) -> None:
        self.inventory = specpub.inventory(
            self.workspace, **self.target_kwargs, api=self.api, refresh=False
        )
        self._show()

    def refresh(self, *, full: bool = False) -> Any:
        """List the server now, in this thread (notebook cells, tests); returns the inventory."""
        self.say("Listing your records on the repository …")
        self.inventory = specpub.inventory(
            self.workspace, **self.target_kwargs, api=self.api, full=full
        )
        self._show()
        return self.inventory

    def start(self, *, full: bool = False) -> bool:
        """List in the background (the buttons); the notebook stays usable."""
        kwargs = self.target_kwargs
        self.refresh_button.disabled = self.full_button.disabled = True
        self.say("Listing your records on the repository … (the notebook stays usable)")

        def work() -> Any:
            return specpub.inventory(self.workspace, **kwargs, api=self.api, full=full)

        return self._worker.start(work)

    def wait(self, timeout: float | None = None) -> Any:
        """Block until a background listing ends; returns the inventory."""
        self._worker.join(timeout)
        return self.inventory

    def _finished(self, inventory: Any, error: BaseException | None) -> None:
        self.refresh_button.disabled = self.full_button.disabled = False
        if error is not None:
            self.show_error(error)
            return
        self.inventory = inventory
        self.guarded(self._show)()

    # -- showing -----------------------------------------------------------------------
    def records(self) -> pd.DataFrame:
        """The listed records matching the search and the state, newest first."""
        if self.inventory is None:
            return pd.DataFrame(columns=list(_SHOWN))
        frame = self.inventory.to_frame()
        if not len(frame):
            return frame
        if self.state_filter.value != _ALL:
            frame = frame[frame["state"] == self.state_filter.value]
        words = self.search.value.strip().lower().split()
        if words:
            text = frame[list(_SEARCHED)].fillna("").astype(str).agg(" ".join, axis=1).str.lower()
            keep = pd.Series(True, index=frame.index)
            for word in words:
                keep &= text.str.contains(word, regex=False)
            frame = frame[keep]
        order = frame["created"].fillna("") if "created" in frame else frame.index
        return frame.loc[order.sort_values(ascending=False).index]

    def _filtered_again(self) -> None:
        self.pager.page = 0
        self._show_table()

    def _show(self) -> None:
        inv = self.inventory
        counts = inv.counts()
        if inv.fetched_at is None:
            self._summary.value = (
                f"<p>{html.escape(inv.base_url)}: not listed yet. Press <b>Refresh</b> to list "
                "your records and drafts (read-only requests, paced to the server's limits).</p>"
            )
        else:
            when = datetime.fromtimestamp(inv.fetched_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            self._summary.value = (
                f"<p>{html.escape(inv.summary())}<br><span style='color:#666'>Listed {when}. "
                "A record created a moment ago may be missing and one published a moment ago "
                "may still show as a draft (the search index lags).</span></p>"
            )
        self._states.value = bar_chart(counts, colours=_STATE_COLOURS, title="By state")
        keep = self.state_filter.value
        self.state_filter.options = [_ALL, *counts]
        self.state_filter.value = keep if keep in counts else _ALL
        self._show_table()
        if inv.fetched_at is not None:
            self.say(f"{len(inv)} records and drafts listed.", "ok")

    def _show_table(self) -> None:
        found = self.records()
        shown = self.pager.window(found)
        if not len(found):
            self._table.value = "<i>No record to show.</i>"
            return
        table = shown[[c for c in _SHOWN if c in shown.columns]].rename(columns=_SHOWN)
        self._table.value = frame_html(
            table, max_rows=self.pager.page_size, links={"DOI": "doi", "page": "url"}
        )
