"""Agreement with the real corpora (``shared/corpora``), structural checks alone.

``MANIFEST.csv`` gives each file's expected verdict as its source states it
(checkit_tiff should_pass / should_fail, PngSuite ``x*`` files, the jpylyzer
test files' README). Each corpus must agree on at least 95 % of its files under
the ``structure`` profile (identification + JHOVE-like well-formedness and
validity, no policy); every disagreement is listed below with its reason, and
any other disagreement fails the test. No file of any corpus — Pillow's fuzz
and crash files included — may crash the validator (``STR-01``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from specpub.preservation import validate_file

pytestmark = pytest.mark.real_data

#: Known disagreements (path → reason); each is explained in the closing note of issue 10.
KNOWN = {
    "checkit_tiff/should_fail/no_tiff/minimal.tiff64": (
        "a well-formed BigTIFF: checkit_tiff fails it only because it checks TIFF 6.0; "
        "specpub judges BigTIFF by policy (FMT-02), not structure"
    ),
    "jpylyzer/profile-part2.j2c": (
        "jpylyzer 2.2.1 itself reports rsizIsValid False for Rsiz 32768 (Part 2); the README "
        "says valid"
    ),
}


def _manifest(root: Path) -> list[dict[str, str]]:
    with open(root / "corpora" / "MANIFEST.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def results(real_data):
    rows = _manifest(real_data)
    out = {}
    for row in rows:
        if row["note"].startswith("doc:"):
            continue
        result = validate_file(real_data / "corpora" / row["path"], profile="structure")
        out[row["path"]] = (row, result)
    return out


@pytest.mark.parametrize("corpus", ["checkit_tiff", "pngsuite", "jpylyzer"])
def test_agreement_of_at_least_95_percent(results, corpus):
    judged = [
        (row, r)
        for row, r in results.values()
        if row["corpus"] == corpus and row["expected"] in ("pass", "fail")
    ]
    disagree = {
        row["path"]: (row["expected"], r.verdict, [f.id for f in r.findings])
        for row, r in judged
        if (r.verdict == "fail") != (row["expected"] == "fail")
    }
    agreement = 1 - len(disagree) / len(judged)
    assert agreement >= 0.95, disagree
    unexplained = {k: v for k, v in disagree.items() if k not in KNOWN}
    assert not unexplained, unexplained


def test_pillow_files_named_broken_fail(results):
    judged = [
        (row, r)
        for row, r in results.values()
        if row["corpus"] == "pillow" and row["expected"] == "fail"
    ]
    assert judged
    passed = [row["path"] for row, r in judged if r.verdict != "fail"]
    assert not passed


def test_no_corpus_file_crashes_the_validator(results):
    crashed = {
        path: [f.message for f in r.findings if f.id == "STR-01"]
        for path, (_, r) in results.items()
        if any(f.id == "STR-01" for f in r.findings)
    }
    assert not crashed


def test_the_whole_corpus_decoded_under_master(real_data):
    from specpub.preservation import validate

    report = validate([real_data / "corpora"], profile="master", decode=True, progress=None)
    assert len(report) >= 360
    assert not any(f.id == "STR-01" for r in report for f in r.findings)
