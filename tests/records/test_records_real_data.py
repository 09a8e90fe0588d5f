"""The ICEDIG benchmark table (1,800 rows × 117 columns, 9 herbaria) under ``icedig-benchmark``,
published on the embedded repository on both APIs and read back: every row becomes a record,
every rejected row is rejected for a reason true of the data, and not one non-empty value of
the table is lost (custom fields, metadata and sidecar together).

The images are generated (a small JPEG per specimen, a TIFF where the pilot deposited one, a
``_lab`` label image where it deposited a second), named by catalogue number as the pilot's
file URLs are.
"""

from __future__ import annotations

import html
import json
import os
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from specpub.records import build_workspace_records
from specpub.records.sidecar import read_sidecar
from specpub.specimens import link_media, load_specimens
from specpub.workspace import Workspace

from ._roundtrip import publish, read_back, same_legacy, same_native

pytestmark = [pytest.mark.real_data, pytest.mark.slow]
TABLE = Path("data/real/tables/dillen2019_icedig_benchmark_dwc.csv")
#: Rows the checks reject, with the reason true of the data (none: every row is publishable
#: under icedig-benchmark; its flagged values are corrected and kept in the sidecar).
EXPECTED_REJECTED: dict[str, str] = {}


@pytest.fixture(scope="module")
def icedig(real_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("icedig")
    table = real_data / TABLE
    raw = pd.read_csv(table, dtype=str, keep_default_na=False)
    media = root / "media"
    media.mkdir()
    jpeg, tiff = media / "_.jpg", media / "_.tif"
    Image.new("RGB", (24, 36), (205, 195, 170)).save(jpeg, quality=80)
    Image.new("RGB", (24, 36), (205, 195, 170)).save(tiff)
    for row in raw.itertuples():
        os.link(jpeg, media / f"{row.catalogNumber}.jpg")
        if row.tiffURL:
            os.link(tiff, media / f"{row.catalogNumber}.tif")
        if row.jpegURL2:
            os.link(jpeg, media / f"{row.catalogNumber}_lab.jpg")
    jpeg.unlink()
    tiff.unlink()
    return table, raw, media


def _workspace(icedig, path: Path) -> Workspace:
    table, _, media = icedig
    ws = Workspace.create(path)
    sp = load_specimens(table, progress=None)
    sp.save(ws)
    link_media(sp, [media], progress=None).save(ws)
    return ws


def _found_in_metadata(value: str, md: dict) -> bool:
    text = json.dumps(md, ensure_ascii=False)
    return value in text or html.escape(value, quote=False) in text


def _found_in_custom(value: str, custom: dict) -> bool:
    parts = [p.strip() for p in value.split(" | ")] if " | " in value else [value.strip()]
    flat = [v for values in custom.values() for v in values]
    for part in parts:
        hit = part in flat
        if not hit:
            try:
                hit = float(part) in [v for v in flat if isinstance(v, float)]
            except ValueError:
                hit = False
        if not hit:
            return False
    return True


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_icedig_benchmark_publishes_with_no_value_lost(icedig, tmp_path, sandbox, monkeypatch, api):
    _, raw, _ = icedig
    ws = _workspace(icedig, tmp_path / "ws")
    records = build_workspace_records(ws, "icedig-benchmark")
    assert len(records.built) == 1800, records.summary()
    rejected = {
        row.catalogNumber: row.reason
        for row in records.skipped.itertuples()
        if row.catalogNumber in set(raw.catalogNumber)
    }
    assert rejected == EXPECTED_REJECTED
    publishable = records.publishable(api)
    assert len(publishable) == 1800 - len(EXPECTED_REJECTED)
    result = publish(ws, [b.spec() for b in publishable], sandbox, monkeypatch, api)
    assert result.ok, result.summary()
    back = read_back(ws, sandbox, api)
    assert len(back) == len(publishable)

    table = {row["catalogNumber"]: row for row in raw.to_dict("records")}
    where: Counter[str] = Counter()
    lost = []
    for built in publishable:
        got = back[built.marker.key]
        record = got["record"]
        problems = (
            same_legacy(built.legacy["metadata"], record["metadata"], got["native"])
            if api == "legacy"
            else same_native(built.native, record)
        )
        assert not problems, (built.catalog_number, problems)
        custom = record["metadata"]["custom"] if api == "legacy" else record["custom_fields"]
        metadata = {k: v for k, v in record["metadata"].items() if k != "custom"}
        row = {k: v for k, v in table[built.catalog_number].items() if v}
        sidecar = read_sidecar(got["files"][built.sidecar.key])
        assert sidecar == row, built.catalog_number
        for column, value in row.items():
            if _found_in_custom(value, custom):
                where["custom field"] += 1
            elif _found_in_metadata(value, metadata):
                where["metadata"] += 1
            elif sidecar.get(column) == value:
                where["sidecar only"] += 1
            else:
                lost.append((built.catalog_number, column, value))
    values = int((raw != "").to_numpy().sum())
    rejected_values = int((raw[raw.catalogNumber.isin(EXPECTED_REJECTED)] != "").to_numpy().sum())
    assert sum(where.values()) + len(lost) == values - rejected_values
    assert lost == [], lost[:20]
    print(f"\n{api}: {values} non-empty values; found in {dict(where)}; lost {len(lost)}")
