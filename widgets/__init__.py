"""specpub_widgets: the ipywidgets layer over the public specpub API.

This folder is installed as the import package ``specpub_widgets`` (see
``[tool.setuptools] package-dir`` in ``pyproject.toml``), in editable and
wheel installs alike. It only calls the public ``specpub`` API; ``specpub``
never imports it. Panels arrive with the Jupyter issue; ipywidgets is an
optional dependency (``pip install specpub[jupyter]``).

Examples
--------
>>> import specpub_widgets
>>> specpub_widgets.__name__
'specpub_widgets'
"""

__all__: list[str] = []
