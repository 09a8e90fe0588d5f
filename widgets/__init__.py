"""specpub_widgets: the ipywidgets layer over the public specpub API.

This folder is installed as the import package ``specpub_widgets`` (see
``[tool.setuptools] package-dir`` in ``pyproject.toml``), in editable and
wheel installs alike. It only calls the public ``specpub`` API; ``specpub``
never imports it. Its dependencies come with ``pip install specpub[jupyter]``.

Panels (each a thin view over the library calls a command-line user makes):

- :class:`LoadPanel` — the specimen table, its mapping (editable) and flags (filterable);
- :class:`ScanPanel` — every image read once: live progress, formats, findings, thumbnails;
- :class:`ValidationPanel` — preservation verdicts, findings filtered by rule and severity;
- :class:`PreviewPanel` — the records under a preset: pager, gallery, payload, checks;
- :class:`TargetPanel` — where records go (embedded, Zenodo sandbox, Zenodo, any
  InvenioRDM) and the token checked before anything is sent;
- :class:`UploadDashboard` — publish, pause, resume, counts, plots, ETA, DOIs,
  reconcile and audit;
- :class:`RecordsPanel` — the user's records and drafts on the repository (the batch
  engine's own inventory): search, state, paging, DOI links.

Notebook helpers: :func:`record` (results for ``specpub run``'s report),
:func:`progress_for` (a bar in JupyterLab, text lines under papermill),
:func:`embedded_repository` (one embedded repository per kernel).

Examples
--------
>>> import specpub_widgets as ui
>>> ui.progress_for("Loading", interactive=False)
'text'
"""

from specpub_widgets._notebook import embedded_repository, progress_for
from specpub_widgets._record import record
from specpub_widgets._views import doi_link, frame_html, thumbnail_html
from specpub_widgets.load import LoadPanel
from specpub_widgets.preview import PreviewPanel
from specpub_widgets.records import RecordsPanel
from specpub_widgets.scan import ScanPanel
from specpub_widgets.target import TargetPanel
from specpub_widgets.upload import UploadDashboard
from specpub_widgets.validate import ValidationPanel

__all__ = [
    "LoadPanel",
    "PreviewPanel",
    "RecordsPanel",
    "ScanPanel",
    "TargetPanel",
    "UploadDashboard",
    "ValidationPanel",
    "doi_link",
    "embedded_repository",
    "frame_html",
    "progress_for",
    "record",
    "thumbnail_html",
]
