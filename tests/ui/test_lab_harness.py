"""The browser harness itself: JupyterLab renders a widget and a click reaches the kernel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

pytestmark = pytest.mark.ui


def test_a_widget_renders_and_a_click_reaches_the_kernel(
    lab: dict[str, Any], open_notebook: Any, shots: Path
) -> None:
    from playwright.sync_api import expect

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import ipywidgets as w\n"
            "b = w.Button(description='Press me')\n"
            "h = w.HTML('not pressed')\n"
            "b.on_click(lambda _: setattr(h, 'value', 'pressed in the kernel'))\n"
            "box = w.VBox([b, h]); box.add_class('harness-box'); box"
        )
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, lab["root"] / "harness.ipynb")
    page = open_notebook("harness.ipynb")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    box = page.locator(".harness-box")
    expect(box).to_be_visible()
    expect(page.get_by_text("Error displaying widget")).to_have_count(0)
    box.locator(".widget-button", has_text="Press me").click()
    expect(box.locator(".widget-html")).to_contain_text("pressed in the kernel")
    box.screenshot(path=str(shots / "harness-widget.png"))
