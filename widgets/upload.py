"""The upload dashboard: publish the planned records, watch them, reconcile and audit.

A view over :func:`specpub.publish_async`, :func:`specpub.status`,
:func:`specpub.report`, :func:`specpub.summary`, :func:`specpub.reconcile` and
:func:`specpub.audit` — the same calls as ``specpub publish``, ``status``,
``report``, ``summary``, ``reconcile`` and ``audit``.

- *Publish* runs the batch in a background thread with its own event loop,
  so the notebook stays usable; the counts by state, the progress bar, the
  ETA and the DOIs of the published records refresh while it runs, and the
  throughput and error plots every few seconds.
- *Pause* cancels the run: the requests in flight are abandoned exactly as
  if the process had been killed, which the ledger is built for (each intent
  is written before its request); *Resume* publishes again and the runner
  picks up where it stopped, finding any record whose answer was lost by its
  marker instead of creating it twice.
- Made after a kernel restart, the dashboard reads the ledger and offers to
  resume an interrupted batch; when another process (a scheduled
  ``specpub run``, the command line) holds the ledger, it watches that run
  instead of starting a second one.

Examples
--------
>>> import tempfile
>>> dash = UploadDashboard(tempfile.mkdtemp(), to="embedded")
>>> dash.publish_button.description
'Publish'
>>> dash.counts
{}
"""

from __future__ import annotations

import asyncio
import html
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd
from specpub_widgets._base import Background, Panel
from specpub_widgets._progress import WidgetProgress, format_duration
from specpub_widgets._views import bar_chart, frame_html

import specpub

__all__ = ["UploadDashboard"]

#: States in which a record still has work to do.
_ACTIVE = ("planned", "creating", "created", "uploading", "uploaded", "publishing", "ambiguous")
_LOCKED = "another specpub run is publishing"


def _target_text(to: Any) -> str:
    if to is None:
        return "the target each batch was planned for"
    url = getattr(to, "url", None)
    if url:
        return f"the embedded repository at {url}"
    return str(to)


def throughput_svg(frame: pd.DataFrame, *, width: int = 560, height: int = 140) -> str:
    """Records published per minute as columns, and the cumulative count as a line (SVG).

    Examples
    --------
    >>> import pandas as pd
    >>> tp = pd.DataFrame({"per_minute": [6.0, 12.0], "cumulative": [1, 3]})
    >>> svg = throughput_svg(tp)
    >>> svg.count("<rect") == 2 and "polyline" in svg
    True
    >>> 'width="39.0"' in throughput_svg(tp.head(1))  # one minute: a column, not a wall
    True
    """
    if frame is None or frame.empty:
        return "<div style='color:#666'>no record published yet</div>"
    rates = [float(v) for v in frame["per_minute"].tolist()]
    cumulative = [float(v) for v in frame["cumulative"].tolist()]
    n, top, total = len(rates), max(rates) or 1.0, max(cumulative) or 1.0
    pad, inner_h = 30, height - 20
    step = min((width - pad) / n, 40.0)  # one minute of data is a column, not a wall
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<text x="0" y="12">{top:.0f}/min</text>',
    ]
    for i, rate in enumerate(rates):
        h = inner_h * rate / top
        parts.append(
            f'<rect x="{pad + i * step:.1f}" y="{height - h:.1f}" width="{max(step - 1, 1):.1f}" '
            f'height="{h:.1f}" fill="#90caf9"/>'
        )
    points = " ".join(
        f"{pad + (i + 0.5) * step:.1f},{height - inner_h * c / total:.1f}"
        for i, c in enumerate(cumulative)
    )
    parts.append(f'<polyline points="{points}" fill="none" stroke="#2e7d32" stroke-width="2"/>')
    parts.append(
        f'<text x="{width - 4}" y="12" text-anchor="end" fill="#2e7d32">'
        f"{total:.0f} published</text></svg>"
    )
    return "".join(parts)


class UploadDashboard(Panel):
    """Publish a workspace's planned records and watch them reach the repository.

    Parameters
    ----------
    workspace
        A :class:`specpub.Workspace` or its folder, with planned records.
    to
        The repository: a running embedded repository (``specpub.running()``),
        ``"zenodo"``, ``"zenodo-sandbox"``, an InvenioRDM URL, or ``None`` for
        the target the records were planned for.
    token_env
        The NAME of the environment variable holding the token (never the token).
    concurrency
        Records in flight at once.
    refresh
        Seconds between two refreshes of the counts (and, times five, the plots).
    clock
        Injectable time source (tests).
    """

    def __init__(
        self,
        workspace: Any,
        to: Any = None,
        *,
        token_env: str = "ZENODO_TOKEN",  # noqa: S107 - the NAME of a variable
        concurrency: int = 8,
        refresh: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__("upload")
        self.workspace = workspace
        self.to = to
        self.token_env = token_env
        self.concurrency = concurrency
        self.refresh_every = refresh
        self.clock = clock
        self.result: Any = None
        self.reconciled: Any = None
        self.audited: Any = None
        self.counts: dict[str, int] = {}
        #: Who publishes from the ledger right now ("pid 1234"), per the last refresh.
        self.publishing: str | None = None
        self.dois = pd.DataFrame()
        self.state = "idle"  # idle, running, paused, done, failed, watching
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._pausing = False
        self._last_counts = float("-inf")
        self._last_plots = float("-inf")
        self._lock = threading.Lock()
        self._worker = Background(on_done=self._finished, name="specpub-publish")
        self._watcher = Background(name="specpub-watch")
        self._stop_watching = threading.Event()

        self.publish_button = w.Button(description="Publish", button_style="primary", icon="upload")
        self.pause_button = w.Button(description="Pause", icon="pause", disabled=True)
        self.reconcile_button = w.Button(description="Reconcile", icon="balance-scale")
        self.audit_button = w.Button(description="Audit", icon="check-square")
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self._bar = w.IntProgress(layout=w.Layout(width="60%"))
        self._bar_text = w.HTML()
        self.progress = WidgetProgress(
            self._bar, self._bar_text, description="published", on_update=self._on_progress
        )
        self._counts_html = w.HTML()
        self._counts_html.add_class("specpub-counts")
        self._plots = w.HTML()
        self._dois_html = w.HTML()
        self._dois_html.add_class("specpub-dois")
        self._checks_html = w.HTML()
        self._checks_html.add_class("specpub-checks")
        self.publish_button.on_click(self.guarded(lambda _: self.start()))
        self.pause_button.on_click(self.guarded(lambda _: self.pause()))
        self.reconcile_button.on_click(self.guarded(lambda _: self.reconcile()))
        self.audit_button.on_click(self.guarded(lambda _: self.audit()))
        self.refresh_button.on_click(self.guarded(lambda _: self.update(plots=True)))
        self._set_children(
            w.HTML(
                f"<h4 style='margin:4px 0'>Upload</h4><div>to {html.escape(_target_text(to))}</div>"
            ),
            w.HBox(
                [
                    self.publish_button,
                    self.pause_button,
                    self.reconcile_button,
                    self.audit_button,
                    self.refresh_button,
                ]
            ),
            w.HBox([self._bar, self._bar_text]),
            w.HBox([self._counts_html, self._plots]),
            self._dois_html,
            self._checks_html,
        )
        self.guarded(self._pick_up)()

    # -- what the ledger says ----------------------------------------------------------
    def _pick_up(self) -> None:
        """Read the ledger: a fresh batch, an interrupted one, a finished one, or one running."""
        self.update(plots=True)
        if self.publishing:
            self.state = "watching"
            self.say(
                f"Another run is publishing from this workspace now ({self.publishing}): "
                "watching it …",
                "warning",
            )
            self.watch()
        else:
            self._where_it_stands()

    def _where_it_stands(self) -> None:
        """Say what the ledger holds: nothing, an interrupted batch, work left, all done."""
        remaining = sum(self.counts.get(s, 0) for s in _ACTIVE)
        done = self.counts.get("published", 0)
        if not self.counts:
            self.say("Nothing is planned in this workspace yet: plan the records first.", "warning")
        elif remaining and (done or any(self.counts.get(s) for s in _ACTIVE[1:])):
            self.publish_button.description = "Resume"
            self.say(
                f"An earlier run stopped with {remaining} records left ({done} published): "
                "press Resume to go on where it stopped.",
                "warning",
            )
        elif remaining:
            self.say(f"{remaining} records are ready to publish.")
        else:
            self.say(f"All {done} records are published.", "ok")

    def update(self, *, plots: bool = False) -> None:
        """Refresh the counts and DOIs (and the plots) from the ledger."""
        status = specpub.status(self.workspace) if self._has_ledger() else None
        with self._lock:
            self.counts = dict(status.counts) if status is not None else {}
            self.publishing = status.publishing if status is not None else None
        total = sum(self.counts.values())
        published = self.counts.get("published", 0)
        self._counts_html.value = bar_chart(
            self.counts, title=f"Records by state ({published} of {total} published)", width=380
        )
        if self.state != "running":
            self._bar.max = max(total, 1)
            self._bar.value = published
        self._show_dois()
        if plots:
            self._show_plots()

    def _has_ledger(self) -> bool:
        ws = self.workspace
        ws = ws if isinstance(ws, specpub.Workspace) else specpub.Workspace(ws)
        return ws.ledger_path.is_file()

    def _show_dois(self) -> None:
        if not self.counts.get("published"):
            self.dois = pd.DataFrame()
            self._dois_html.value = ""
            return
        base = getattr(self.to, "url", None)
        table = specpub.summary(self.workspace, base_url=base).table
        cols = [c for c in ("catalogNumber", "doi", "landing_page") if c in table.columns]
        self.dois = table.drop_duplicates(cols[:2] or None)[cols].reset_index(drop=True)
        self._dois_html.value = frame_html(
            self.dois.iloc[::-1],
            max_rows=15,
            links={"doi": "doi", "landing_page": "url"},
            caption=f"Published records ({len(self.dois)}), newest first",
        )

    def _show_plots(self) -> None:
        rep = specpub.report(self.workspace) if self._has_ledger() else None
        if rep is None:
            self._plots.value = ""
            return
        errors = rep.errors
        by_status = (
            dict(zip(errors["status"].astype(str), errors["count"], strict=True))
            if len(errors)
            else {}
        )
        eta = rep.stats.get("eta_s")
        rate = rep.stats.get("recent_per_minute") or 0.0
        self._plots.value = (
            "<div><b>Throughput</b> "
            f"({rate:.1f} records/min recently; ETA {format_duration(eta)})</div>"
            + throughput_svg(rep.throughput)
            + bar_chart(
                by_status,
                colours={},
                title="Failed attempts by HTTP status",
                width=380,
            )
        )

    # -- publishing --------------------------------------------------------------------
    def start(self) -> bool:
        """Publish (or resume) in the background; returns whether a run started."""
        if self._worker.running:
            self.say("The batch is already running.")
            return False
        self._stop_watching.set()
        self.update()
        remaining = sum(self.counts.get(s, 0) for s in _ACTIVE) + self.counts.get("failed", 0)
        self.progress.total = remaining
        self._pausing = False
        self.state = "running"
        self.publish_button.disabled = True
        self.pause_button.disabled = False
        self.say("Publishing … the notebook stays usable while this runs.")
        return self._worker.start(self._run)

    def _run(self) -> Any:
        async def main() -> Any:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
            return await specpub.publish_async(
                self.workspace,
                self.to,
                token_env=self.token_env,
                concurrency=self.concurrency,
                progress=self.progress,
            )

        return asyncio.run(main())

    def pause(self) -> None:
        """Stop sending; what was in flight is resolved from the ledger on resume."""
        if self.state == "watching":
            self._stop_watching.set()
            self.state = "idle"
            self.pause_button.disabled = True
            self.say("Stopped watching (the other run goes on).")
            return
        if not self._worker.running or self._loop is None or self._task is None:
            return
        self._pausing = True
        self.pause_button.disabled = True
        self.say("Pausing …")
        self._loop.call_soon_threadsafe(self._task.cancel)

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the background run ends (tests, scripts); returns its result."""
        self._worker.join(timeout)
        return self.result

    def _finished(self, result: Any, error: BaseException | None) -> None:
        self._loop, self._task = None, None
        self.publish_button.disabled = False
        self.pause_button.disabled = True
        if isinstance(error, asyncio.CancelledError) or (error is None and self._pausing):
            self.state = "paused"
            self.publish_button.description = "Resume"
            self.guarded(self.update)(plots=True)
            self.say("Paused. Press Resume to go on where it stopped.", "warning")
            return
        if error is not None:
            if _LOCKED in str(error):
                self.state = "watching"
                self.say(f"{error}. Watching that run instead …", "warning")
                self.watch()
                return
            self.state = "failed"
            self.progress.bar.bar_style = "danger"
            self.show_error(error)
            return
        self.result = result
        self.progress.close()
        self.guarded(self.update)(plots=True)
        if result.ok:
            self.state = "done"
            self.publish_button.description = "Publish"
            self.say(result.summary(), "ok")
        else:
            self.state = "failed"
            self.publish_button.description = "Resume"
            self.progress.bar.bar_style = "warning"
            self.say(
                result.summary() + " — see the failed records with specpub.status().", "warning"
            )

    def watch(self, poll: float = 2.0) -> None:
        """Follow a run of another process through the ledger, until that run ends."""
        self._stop_watching.clear()
        self.pause_button.disabled = False

        def loop() -> None:
            while not self._stop_watching.wait(poll):
                self.guarded(self.update)(plots=True)
                if not self.publishing:  # that run ended: finished, stopped or killed
                    break
            self.pause_button.disabled = True
            if self.state == "watching" and not self._stop_watching.is_set():
                self.state = "idle"
                self._where_it_stands()

        self._watcher.start(loop)

    def _on_progress(self, progress: WidgetProgress) -> None:
        now = self.clock()
        if now - self._last_counts >= self.refresh_every:
            self._last_counts = now
            plots = now - self._last_plots >= 5 * self.refresh_every
            if plots:
                self._last_plots = now
            self.guarded(self.update)(plots=plots)

    # -- checks ------------------------------------------------------------------------
    def reconcile(self) -> Any:
        """Compare the ledger with the repository (:func:`specpub.reconcile`)."""
        self.say("Reconciling the ledger with the repository …")
        self.reconciled = specpub.reconcile(self.workspace, self.to, token_env=self.token_env)
        self._show_check("Reconcile", self.reconciled)
        self.update()
        return self.reconciled

    def audit(self) -> Any:
        """Re-check every published file's checksum on the repository (:func:`specpub.audit`)."""
        self.say("Auditing the published files …")
        self.audited = specpub.audit(self.workspace, self.to, token_env=self.token_env)
        self._show_check("Audit", self.audited)
        return self.audited

    def _show_check(self, name: str, result: Any) -> None:
        text = result.summary() if hasattr(result, "summary") else str(result)
        ok = bool(getattr(result, "ok", True))
        frame = result.to_frame() if hasattr(result, "to_frame") else pd.DataFrame()
        colour = "#1b7a1b" if ok else "#b00020"
        table = frame_html(frame, max_rows=20) if len(frame) else ""
        self._checks_html.value = (
            f"<div style='color:{colour}'><b>{html.escape(name)}</b>: "
            f"<pre style='display:inline;white-space:pre-wrap'>{html.escape(str(text))}</pre>"
            f"</div>{table}"
        )
        self.say(f"{name} done.", "ok" if ok else "warning")
