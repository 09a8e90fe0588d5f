"""The quickstart in real JupyterLab and Chromium, cell by cell, used as a person would.

Load the demo table, look at the flags (filter them by severity), check the token, press
Publish, watch the progress reach the end and the DOIs appear, press Reconcile, list and
search the records on the repository. Screenshots of each panel go to ``build/ui-screenshots/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.ui

KERNEL_IDLE = (
    "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status"
    " === 'idle'"
)


def run_cells_until(page: Any, selector: str, *, limit: int = 40) -> None:
    """Shift+Enter through the notebook until ``selector`` shows up (or the cells run out)."""
    for _ in range(limit):
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-cell-and-select-next')")
        page.wait_for_timeout(200)
        page.wait_for_function(KERNEL_IDLE, timeout=180_000)
        if page.locator(selector).count():
            return
    raise AssertionError(f"{selector} never appeared")


def no_errors(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_text("Error displaying widget")).to_have_count(0)
    expect(page.locator(".jp-OutputArea-output", has_text="Traceback")).to_have_count(0)


def test_quickstart_cell_by_cell_with_the_panels(open_notebook: Any, shots: Path) -> None:
    from playwright.sync_api import expect

    page = open_notebook("notebooks/00_quickstart.ipynb")
    page.evaluate("window.jupyterapp.commands.execute('notebook:select-all')")
    page.evaluate("window.jupyterapp.commands.execute('notebook:deselect-all')")

    # 1-2. The demo collection and the load panel.
    run_cells_until(page, ".specpub-load-panel")
    load = page.locator(".specpub-load-panel")
    expect(load).to_be_visible()
    expect(load.locator(".specpub-message")).to_contain_text("Loaded 8 specimens")
    load.screenshot(path=str(shots / "load-panel-summary.png"))
    # Load the table again from the panel's button, as a person would.
    load.locator(".widget-button", has_text="Load").first.click()
    expect(load.locator(".specpub-message")).to_contain_text("Loaded 8 specimens")
    # Inspect the flags: the Flags tab, only the errors.
    load.locator(".lm-TabBar-tab", has_text="Flags").click()
    load.locator(".widget-dropdown", has_text="Severity").locator("select").select_option("error")
    table = load.locator(".specpub-flags-table")
    expect(table).to_contain_text("CATALOG_NUMBER_MISSING")
    expect(table).not_to_contain_text("EVENT_DATE_INTERVAL")  # an info flag, filtered out
    load.screenshot(path=str(shots / "load-panel-flags.png"))
    load.locator(".lm-TabBar-tab", has_text="Column mapping").click()
    load.screenshot(path=str(shots / "load-panel-mapping.png"))

    # 3. The scan: live progress, then the formats and the thumbnails; scan again by button.
    run_cells_until(page, ".specpub-scan-panel")
    scan = page.locator(".specpub-scan-panel")
    expect(scan.locator(".specpub-message")).to_contain_text("Scanned", timeout=120_000)
    scan.locator(".widget-button", has_text="Scan").first.click()
    expect(scan.locator(".specpub-message")).to_contain_text("Scanned", timeout=120_000)
    scan.locator(".lm-TabBar-tab", has_text="Thumbnails").click()
    expect(scan.locator(".specpub-gallery img").first).to_be_visible()
    scan.screenshot(path=str(shots / "scan-panel-thumbnails.png"))

    # 4. The validation report, filtered by rule and by severity.
    run_cells_until(page, ".specpub-validation-panel")
    val = page.locator(".specpub-validation-panel")
    expect(val.locator(".specpub-message")).to_contain_text("files", timeout=120_000)
    table = val.locator(".specpub-validation-table")
    val.locator(".widget-dropdown", has_text="Severity").locator("select").select_option("warn")
    expect(table).not_to_contain_text("fail")
    val.locator(".widget-dropdown", has_text="Rule").locator("select").select_option("ACC-04")
    expect(table).to_contain_text("ACC-04")
    val.screenshot(path=str(shots / "validation-panel-filtered.png"))

    # 5. The records: page through them, read the checks and the payload, see the gallery.
    run_cells_until(page, ".specpub-preview-panel")
    prev = page.locator(".specpub-preview-panel")
    expect(prev.locator(".specpub-message")).to_contain_text("Built", timeout=120_000)
    first = prev.locator(".specpub-record h3").inner_text()
    prev.locator(".widget-button", has_text="Next").first.click()
    expect(prev.locator(".specpub-record h3")).not_to_have_text(first)
    prev.screenshot(path=str(shots / "preview-panel-record.png"))
    prev.locator(".lm-TabBar-tab", has_text="Payload").click()
    expect(prev.locator(".specpub-payload")).to_contain_text('"metadata"')
    prev.locator(".lm-TabBar-tab", has_text="Gallery").click()
    expect(prev.locator(".specpub-gallery img").first).to_be_visible()
    prev.screenshot(path=str(shots / "preview-panel-gallery.png"))

    # 6-7. The embedded repository, and its token checked before anything is sent.
    run_cells_until(page, ".specpub-target-panel")
    target = page.locator(".specpub-target-panel")
    expect(target.locator(".specpub-message")).to_contain_text("Ready: records go to")
    expect(target.locator(".specpub-token-check")).to_contain_text("belongs to")
    # Check again by button: it runs in the background, then the button is back.
    result = target.locator(".specpub-token-check .widget-html-content")
    result.evaluate("e => { e.textContent = '' }")  # so that the answer is seen to come back
    target.locator(".widget-button", has_text="Check token").click()
    expect(target.locator(".specpub-token-check")).to_contain_text("belongs to")
    expect(target.locator(".widget-button", has_text="Check token")).to_be_enabled()
    expect(target.locator(".specpub-message")).to_contain_text("Ready: records go to")
    target.screenshot(path=str(shots / "target-panel-checked.png"))

    # 8. The upload dashboard.
    run_cells_until(page, ".specpub-upload-panel")
    dash = page.locator(".specpub-upload-panel")
    expect(dash.locator(".specpub-message")).to_contain_text("ready to publish")
    dash.screenshot(path=str(shots / "upload-dashboard-before.png"))
    dash.locator(".widget-button", has_text="Publish").click()
    expect(dash.locator(".specpub-message")).to_contain_text("published, 0 failed", timeout=120_000)
    expect(dash.locator(".specpub-dois")).to_contain_text("10.5072/")
    expect(dash.locator(".progress-bar.progress-bar-success")).to_have_count(1)
    dash.screenshot(path=str(shots / "upload-dashboard-published.png"))
    dash.locator(".widget-button", has_text="Reconcile").click()
    expect(dash.locator(".specpub-checks")).to_contain_text("Reconcile", timeout=60_000)
    expect(dash.locator(".specpub-checks")).to_contain_text("records checked")
    dash.screenshot(path=str(shots / "upload-dashboard-reconciled.png"))

    # 9. The list of DOIs below the dashboard.
    run_cells_until(
        page, ".jp-OutputArea-output a[href^='https://doi.org/10.5072/']:not(.specpub-dois a)"
    )

    # 10. The records on the repository: list them, search one, filter by state, page.
    run_cells_until(page, ".specpub-records-panel")
    recs = page.locator(".specpub-records-panel")
    recs.locator(".widget-button", has_text="Refresh").click()
    expect(recs.locator(".specpub-message")).to_contain_text("listed", timeout=60_000)
    table = recs.locator(".specpub-records-table")
    expect(table.locator("a[href^='https://doi.org/10.5072/']").first).to_be_visible()
    recs.screenshot(path=str(shots / "records-panel-listed.png"))
    number = table.locator("tbody tr td").nth(1).inner_text()
    search = recs.locator(".widget-text", has_text="Search").locator("input")
    search.fill(number)
    search.press("Enter")
    expect(recs.locator(".widget-label", has_text="page 1 of 1 · 1 records")).to_be_visible()
    expect(table).to_contain_text(number)
    search.fill("")
    search.press("Enter")
    state = recs.locator(".widget-dropdown", has_text="State").locator("select")
    state.select_option("published")
    expect(table).not_to_contain_text("draft")
    recs.screenshot(path=str(shots / "records-panel-filtered.png"))
    no_errors(page)
