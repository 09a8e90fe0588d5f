"""specpub_widgets: the ipywidgets layer over the public specpub API.

This folder is installed as the import package ``specpub_widgets`` (see
``[tool.setuptools] package-dir`` in ``pyproject.toml``), in editable and
wheel installs alike. It only calls the public ``specpub`` API; ``specpub``
never imports it. Its dependencies come with ``pip install specpub[jupyter]``.

Examples
--------
>>> import specpub_widgets
>>> callable(specpub_widgets.record)
True
"""

from specpub_widgets._record import record

__all__ = ["record"]
