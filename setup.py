"""Package list for setuptools (all other metadata is in pyproject.toml).

The core lives under ``src/specpub``; the ipywidgets layer lives in the
top-level ``widgets/`` folder and is installed as ``specpub_widgets``
(``package-dir`` in pyproject.toml), in editable and wheel installs alike.
"""

from setuptools import find_namespace_packages, find_packages, setup

setup(
    # namespace discovery: data-only folders (the preservation profiles) are packages too,
    # so setuptools installs them without its "package would be ignored" warning
    packages=find_namespace_packages("src", include=["specpub*"], exclude=["*__pycache__*"])
    + ["specpub_widgets"]
    + [f"specpub_widgets.{name}" for name in find_packages("widgets")],
)
