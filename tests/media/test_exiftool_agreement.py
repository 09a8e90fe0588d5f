"""Agreement with exiftool over the real images and the corpora (SPECPUB_REAL_DATA)."""

from __future__ import annotations

import pytest

from specpub.media import inspect

from ._exiftool import compare, exiftool_available, image_files, run_exiftool

pytestmark = pytest.mark.real_data


@pytest.mark.skipif(
    not exiftool_available(),
    reason="exiftool is not installed (Debian: apt-get install libimage-exiftool-perl; "
    ".ci/run installs it)",
)
def test_facts_agree_with_exiftool_on_real_images_and_corpora(real_data):
    files = image_files([real_data / "data" / "real" / "images", real_data / "corpora"])
    tool = run_exiftool(files)
    rows = inspect(files)
    report = compare(rows, tool)
    assert report["files"] >= 300
    lines = []
    for field, res in report["fields"].items():
        rate = res["agree"] / res["compared"] if res["compared"] else 1.0
        lines.append(f"{field}: {res['agree']}/{res['compared']} ({rate:.1%})")
        for path, ours, theirs in res["disagreements"]:
            lines.append(f"    {path}: specpub {ours!r} exiftool {theirs!r}")
        for path, ours in res["extra"]:
            lines.append(f"    (only specpub) {path}: {ours!r}")
    print("\n".join(lines))
    for res in report["fields"].values():
        assert res["compared"] == 0 or res["agree"] / res["compared"] >= 0.99, "\n".join(lines)
