"""Every policy rule: a generated file that breaks it, judged under a profile that enables it.

Each case also checks the built-in profiles' choices where the issue and
``docs/preservation.md`` §2.2 fix them (a failing master rule, a warning in
``access`` …), and that a good generated master does not trip the rule.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import tifffile
from PIL import Image

from specpub.preservation import RULES, validate_bytes
from specpub.preservation.profiles import Profile, get_profile

from . import builders as b
from . import jp2build as j

GOOD_MASTER = b.tiff()


def _tiff(**kw) -> bytes:
    return b.tiff(**kw)


def _pages(second_subfiletype: int = 0) -> bytes:
    out = io.BytesIO()
    with tifffile.TiffWriter(out) as tw:
        data = np.zeros((16, 16, 3), "uint16")
        kw = {
            "resolution": (600, 600),
            "resolutionunit": "INCH",
            "metadata": None,
            "extratags": [(34675, 7, len(b.MASTER_ICC), b.MASTER_ICC, True)],
        }
        tw.write(data, **kw)
        tw.write(data[:8, :8], subfiletype=second_subfiletype, **kw)
    return out.getvalue()


def _with(tag: int, typ: int, value, entries=None) -> bytes:
    return b.build_tiff(b.set_entry(entries or b.base_entries(), tag, typ, value))


def _sof(marker: int) -> bytes:
    data = bytearray(b.jpeg())
    off = next(s for s in b.jpeg_segments(bytes(data)) if s[1] == 0xC0)[0]
    data[off + 1] = marker
    return bytes(data)


def _interlaced_png() -> bytes:
    return b.build_png(
        [
            (b"IHDR", b.ihdr(inter=1)),
            (b"iCCP", _iccp()),
            (b"pHYs", struct.pack(">IIB", 23622, 23622, 1)),
            (b"IDAT", b.idat()),
            (b"IEND", b""),
        ]
    )


def _iccp() -> bytes:
    import zlib

    return b"icc\x00\x00" + zlib.compress(b.MASTER_ICC)


def _jpeg_exif(**tags) -> bytes:
    exif = Image.Exif()
    for tag, value in tags.items():
        exif[int(tag)] = value
    return b.jpeg(exif=exif.tobytes())


def _xmp(fields: str) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        '22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f"{fields}/></rdf:RDF></x:xmpmeta>"
    ).encode()


def _master_with_xmp(fields: str) -> bytes:
    xmp = _xmp(fields)
    return b.tiff(extratags=[(700, 1, len(xmp), xmp, True)])


#: rule → (file name, bytes, rule parameters, decode). The rule must report a finding.
CASES = {
    "ID-01": ("BR1.tif", b"plain text, not an image", {}, False),
    "ID-02": ("BR1.jpg", b.jpeg()[:-2], {}, False),
    "ID-03": ("BR1.jpg", b.png(), {}, False),
    "ID-04": ("BR1.j2k", j.jp2(fmt="j2k"), {}, False),
    "FMT-01": ("BR1.jpg", b.jpeg(), {}, False),
    "FMT-02": ("BR1.tif", b.tiff(bigtiff=True), {}, False),
    "FMT-03": ("BR1.tif", _pages(), {}, False),
    "CMP-01": ("BR1.tif", _with(259, 3, 7), {}, False),
    "CMP-02": (
        "BR1.tif",
        b.build_tiff([*b.set_entry(b.base_entries(), 259, 3, 8), [317, 3, 3]]),
        {},
        False,
    ),
    "CMP-03": ("BR1.jp2", j.jp2(irreversible=True), {}, False),
    "CMP-04": ("BR1.jpg", _sof(0xC9), {}, False),
    "CMP-05": ("BR1.png", _interlaced_png(), {}, False),
    "LAY-01": ("BR1.tif", b.tiff(planarconfig="SEPARATE"), {}, False),
    "LAY-02": ("BR1.tif", _with(274, 3, 6), {}, False),
    "LAY-03": ("BR1.tif", _with(266, 3, 2), {}, False),
    "LAY-04": ("BR1.tif", b.tiff((32, 32, 3), tile=(16, 16)), {}, False),
    "BIT-01": ("BR1.tif", _with(258, 3, 4), {}, False),
    "BIT-02": ("BR1.tif", b.tiff(dtype="uint8"), {}, False),
    "BIT-03": ("BR1.tif", b.tiff(dtype="float32"), {}, False),
    "COL-01": ("BR1.png", b.png(mode="P"), {}, False),
    "COL-02": ("BR1.png", b.png(mode="RGBA"), {}, False),
    "COL-03": ("BR1.tif", b.tiff(icc=None), {}, False),
    "COL-04": ("BR1.tif", b.tiff(icc=b.GRAY_ICC), {}, False),
    "COL-05": ("BR1.tif", b.tiff(icc=b.make_icc("Scanner 3000 RGB")), {}, False),
    "RES-01": ("BR1.tif", b.build_tiff(b.drop(b.base_entries(), 282, 283, 296)), {}, False),
    "RES-02": ("BR1.tif", b.tiff(ppi=72), {}, False),
    "RES-03": ("BR1.tif", b.tiff(ppi=400), {"min_ppi": 600}, False),
    "RES-04": (
        "BR1.tif",
        b.tiff(ppi=None, resolution=(600, 500), resolutionunit="INCH"),
        {},
        False,
    ),
    "RES-05": ("BR1.tif", b.tiff(ppi=12000), {}, False),
    "RES-06": ("BR1.tif", GOOD_MASTER, {}, False),
    "MD-01": ("BR1.jpg", b.jpeg(exif=b"Exif\x00\x00GARBAGE!!"), {}, False),
    "MD-02": ("scan 12.tif", GOOD_MASTER, {}, False),
    "MD-03": ("BR1.tif", GOOD_MASTER, {}, False),
    "MD-04": ("BR1.tif", GOOD_MASTER, {}, False),
    "MD-05": ("BR1.jpg", _jpeg_exif(**{"306": "2024-01-31 10:00"}), {}, False),
    "OPS-01": ("BR1.tif", GOOD_MASTER, {"max_bytes": 100}, False),
    "OPS-02": ("BR1.tif", GOOD_MASTER, {"max_pixels": 100}, False),
    "ACC-04": ("BR1.jpg", b.jpeg(), {}, False),
    "INT-01": ("BR1.tif", b.build_tiff(b.base_entries()[::-1], sort=False), {}, False),
    "INT-02": (
        "BR1.tif",
        b.build_tiff([*b.base_entries(), [306, 2, b"2024-01-31 10:00:00\x00"]]),
        {},
        False,
    ),
    "INT-03": ("BR1.tif", GOOD_MASTER[:-64], {}, False),
    "INT-04": (
        "BR1.png",
        b.build_png([(b"IHDR", b.ihdr()), (b"IDAT", b.idat(filter_type=9)), (b"IEND", b"")]),
        {},
        True,
    ),
    "INT-05": ("BR1.jpg", b.jpeg() + b"junk", {}, False),
    "INT-06": ("BR1.tif", _with(279, 4, 80), {}, False),
}

#: Where the built-in profiles must judge a rule a certain way (docs/preservation.md §2.2).
BUILTIN = {
    ("master", "ID-01"): "fail",
    ("master", "ID-04"): "fail",
    ("master", "FMT-01"): "fail",
    ("master", "FMT-02"): "fail",  # small BigTIFF
    ("master", "CMP-01"): "fail",
    ("master", "CMP-03"): "fail",
    ("master", "BIT-01"): "fail",
    ("master", "COL-03"): "fail",
    ("master", "RES-01"): "fail",
    ("master", "RES-02"): "fail",
    ("master", "INT-01"): "fail",
    ("master", "INT-02"): "fail",
    ("master", "INT-03"): "fail",
    ("master", "INT-05"): "warn",
    ("master", "MD-01"): "fail",
    ("master", "COL-05"): "warn",
    ("master", "LAY-02"): "warn",
    ("master", "FMT-03"): "fail",
    ("master", "ID-03"): "fail",
    ("master-strict", "BIT-02"): "warn",
    ("access", "INT-02"): "warn",
    ("access", "COL-03"): "warn",
    ("access", "ACC-04"): "warn",
    ("access", "INT-03"): "fail",
    ("access", "ID-03"): "warn",
    ("access", "CMP-04"): "warn",
    ("herbarium-master", "RES-03"): "warn",
    ("herbarium-master", "RES-06"): "warn",
    ("herbarium-master", "MD-02"): "warn",
    ("herbarium-master", "MD-03"): "warn",
    ("herbarium-master", "MD-04"): "warn",
    ("structure", "INT-01"): "fail",
    ("structure", "INT-05"): "warn",
    ("structure", "ID-01"): "fail",
}


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULES), sorted(set(RULES) ^ set(CASES))


def _only(rule_id: str, params: dict) -> Profile:
    return Profile(
        f"only-{rule_id}", rules={rule_id: "fail"}, params={rule_id: params} if params else {}
    )


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_reports_its_case(rule_id):
    name, data, params, decode = CASES[rule_id]
    result = validate_bytes(data, name, profile=_only(rule_id, params), decode=decode)
    rules = [f.rule for f in result.findings]
    assert rule_id in rules, [(f.id, f.rule, f.message) for f in result.findings]
    finding = next(f for f in result.findings if f.rule == rule_id)
    assert finding.message
    assert result.verdict in ("fail", "warn")


@pytest.mark.parametrize("rule_id", sorted(r for r in CASES if r not in ("OPS-01", "OPS-02")))
def test_good_master_does_not_trip_the_rule(rule_id):
    if rule_id in ("RES-06", "MD-02", "MD-03", "MD-04", "ACC-04"):
        pytest.skip("the small generated master is meant to trip this herbarium rule")
    result = validate_bytes(GOOD_MASTER, "BR0000013.tif", profile=_only(rule_id, {}))
    assert result.verdict == "pass", [(f.id, f.message) for f in result.findings]


@pytest.mark.parametrize(("profile", "rule_id"), sorted(BUILTIN))
def test_builtin_profiles_judge_as_documented(profile, rule_id):
    name, data, _, decode = CASES[rule_id]
    result = validate_bytes(data, name, profile=profile, decode=decode)
    severities = {f.severity for f in result.findings if f.rule == rule_id}
    assert BUILTIN[(profile, rule_id)] in severities, [
        (f.id, f.rule, f.severity) for f in result.findings
    ]


def test_rule_off_reports_nothing():
    profile = Profile("x", rules={"RES-02": "off", "ID-01": "fail"})
    result = validate_bytes(b.tiff(ppi=72), "BR1.tif", profile=profile)
    assert result.verdict == "pass"
    assert not result.findings


def test_thresholds_are_exact():
    at = validate_bytes(b.tiff(ppi=300), "BR1.tif", profile="master")
    below = validate_bytes(b.tiff(ppi=299), "BR1.tif", profile="master")
    assert "RES-02" not in {f.id for f in at.findings}
    assert "RES-02" in {f.id for f in below.findings}
    assert next(f for f in below.findings if f.id == "RES-02").value == "299 ppi"


def test_measured_values_are_reported():
    res = validate_bytes(b.tiff(ppi=72, resolutionunit="CENTIMETER"), "BR1.tif")
    finding = next(f for f in res.findings if f.id == "RES-02")
    assert finding.value == "182.88 ppi"
    assert finding.severity == "fail"


def test_bigtiff_over_the_size_threshold_only_warns():
    profile = Profile("big", rules={"FMT-02": "warn"}, params={"FMT-02": {"small_bytes": 0}})
    result = validate_bytes(b.tiff(bigtiff=True), "BR1.tif", profile=profile)
    assert [(f.id, f.severity) for f in result.findings] == [("FMT-02", "warn")]


def test_reduced_resolution_pages_warn_and_full_pages_fail():
    reduced = validate_bytes(_pages(second_subfiletype=1), "BR1.tif", profile="master")
    full = validate_bytes(_pages(), "BR1.tif", profile="master")
    assert {f.severity for f in reduced.findings if f.id == "FMT-03"} == {"warn"}
    assert {f.severity for f in full.findings if f.id == "FMT-03"} == {"fail"}


def test_xmp_identifier_and_rights_satisfy_the_herbarium_rules():
    data = _master_with_xmp('dc:identifier="scan-7" dc:rights="CC BY 4.0"')
    result = validate_bytes(data, "scan-7.tif", profile="herbarium-master")
    ids = {f.id for f in result.findings}
    assert "MD-02" not in ids
    assert "MD-03" not in ids
    assert "MD-04" in ids


def test_structural_finding_override_per_id():
    odd = b.build_tiff(odd_values=True)
    assert validate_bytes(odd, "BR1.tif", profile="master").verdict == "fail"
    relaxed = Profile(
        "byteoffset",
        rules=dict(get_profile("master").rules),
        params=dict(get_profile("master").params),
        findings={"TIF-22": "info"},
    )
    result = validate_bytes(odd, "BR1.tif", profile=relaxed)
    assert {f.severity for f in result.findings if f.id == "TIF-22"} == {"info"}
