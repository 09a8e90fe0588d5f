"""Benchmark: preservation format validation — throughput per format, and its cost in the scan.

Generates a realistic mix once under ``benchmarks/.work/preservation/`` (16-bit RGB TIFF
masters with an ICC profile at 600 ppi, several MB each; JPEG access copies; PNGs; a few
JPEG 2000), then measures, in this process, side by side in one run:

1. **Validation throughput per format** (MB/s of file bytes): the structural checks and the
   ``master``/``access`` profile on bytes already in memory (``validate_bytes``), and with
   ``--decode`` (full pixel decode).
2. **Validation inside the single read vs fixity alone**, over the same files (warm page
   cache, one process): *fixity alone* is the media scan's read (``read_file``: one read,
   MD5 + SHA-256); *fixity + validation* is the same read with the ``structure`` analyser on
   its bytes; *scan + fixity + validation* is ``specpub.media.scan(analysers=("facts",
   "structure"), workers=0)`` against ``scan(analysers=("facts",), workers=0)`` and the
   fixity alone. Target: scan + fixity + validation ≤ 1.3 × fixity alone.

Medians of 3 runs (5 interleaved runs for the single-pass comparison). Usage::

    .venv/bin/python benchmarks/preservation_validate.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

from _common import write_results

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from specpub.media import scan  # noqa: E402
from specpub.media._read import read_file  # noqa: E402
from specpub.preservation import validate_bytes  # noqa: E402
from specpub.preservation.identify import identify  # noqa: E402
from specpub.preservation.structure import check_structure  # noqa: E402

WORK = HERE / ".work" / "preservation"
REPEAT = 5
RESULTS = HERE / "results"


def _icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _photo(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth image with noise (compresses like a photograph, not like a flat fill)."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 255 // w), (y * 255 // h), ((x + y) * 127 // (w + h))], axis=-1)
    return np.clip(base + rng.normal(0, 12, (h, w, 3)), 0, 255).astype("uint8")


def create(root: Path, quick: bool) -> dict[str, list[Path]]:
    """The files (made once per variant; the marker records the variant)."""
    variant = "quick" if quick else "full"
    marker = root / f".complete-{variant}"
    n_tiff, n_jpeg, n_png, n_jp2 = (6, 20, 6, 2) if quick else (24, 120, 24, 4)
    size = (1200, 900) if quick else (2400, 1800)
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        rng = np.random.default_rng(7)
        icc = _icc()
        for i in range(n_tiff):
            pixels = _photo(rng, *size).astype("uint16") * 257
            tifffile.imwrite(
                root / f"BR{i:07d}.tif",
                pixels,
                photometric="rgb",
                resolution=(600, 600),
                resolutionunit="INCH",
                metadata=None,
                extratags=[(34675, 7, len(icc), icc, True)],
            )
        for i in range(n_jpeg):
            Image.fromarray(_photo(rng, *size)).save(
                root / f"BR{i:07d}.jpg", quality=92, dpi=(600, 600), icc_profile=icc
            )
        for i in range(n_png):
            Image.fromarray(_photo(rng, size[0] // 2, size[1] // 2)).save(
                root / f"BR{i:07d}_seg.png", dpi=(600, 600), icc_profile=icc
            )
        for i in range(n_jp2):
            Image.fromarray(_photo(rng, size[0] // 2, size[1] // 2)).save(
                root / f"BR{i:07d}.jp2", irreversible=False
            )
        marker.write_text(variant)
    files: dict[str, list[Path]] = {"tiff": [], "jpeg": [], "png": [], "jp2": []}
    for path in sorted(root.iterdir()):
        ext = path.suffix.lower()
        kind = {".tif": "tiff", ".jpg": "jpeg", ".png": "png", ".jp2": "jp2"}.get(ext)
        if kind:
            files[kind].append(path)
    return files


def median_seconds(func, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def throughput(files: dict[str, list[Path]]) -> dict[str, dict[str, float]]:
    out = {}
    for kind, paths in files.items():
        blobs = [(p.name, p.read_bytes()) for p in paths]
        total = sum(len(b) for _, b in blobs)
        profile = "access" if kind == "jpeg" else "master"

        def structure(blobs=blobs, kind=kind):
            for _, data in blobs:
                check_structure(data, kind)

        def judged(blobs=blobs, profile=profile):
            for name, data in blobs:
                validate_bytes(data, name, profile=profile)

        def decoded(blobs=blobs, profile=profile):
            for name, data in blobs:
                validate_bytes(data, name, profile=profile, decode=True)

        s, j, d = median_seconds(structure), median_seconds(judged), median_seconds(decoded, 1)
        out[kind] = {
            "files": len(blobs),
            "megabytes": round(total / 1e6, 1),
            "structure_mb_s": round(total / 1e6 / s, 1),
            "profile_mb_s": round(total / 1e6 / j, 1),
            "decode_mb_s": round(total / 1e6 / d, 1),
        }
        print(f"{kind:5} {out[kind]}", flush=True)
    return out


def single_pass(root: Path, paths: list[Path]) -> dict[str, float]:
    from specpub.media.analysers import ScanItem
    from specpub.preservation.structure import analyse

    total = sum(p.stat().st_size for p in paths)

    def fixity():
        for p in paths:
            with read_file(p) as fr:
                assert fr.sha256

    def fixity_validation():
        for p in paths:
            with read_file(p) as fr:
                ident = identify(fr.data, name=p, size=fr.size)
                analyse(ScanItem(str(p), fr.size, ident, fr))

    def scan_facts():
        scan([root], analysers=("facts",), workers=0, progress=None, save=False, incremental=False)

    def scan_all():
        scan(
            [root],
            analysers=("facts", "structure"),
            workers=0,
            progress=None,
            save=False,
            incremental=False,
        )

    fixity()  # warm the page cache
    variants = (
        ("fixity_alone", fixity),
        ("fixity_plus_validation", fixity_validation),
        ("scan_facts", scan_facts),
        ("scan_facts_plus_validation", scan_all),
    )
    runs: dict[str, list[float]] = {name: [] for name, _ in variants}
    for _ in range(REPEAT):  # interleaved, so that a change of load hits every variant alike
        for name, func in variants:
            start = time.perf_counter()
            func()
            runs[name].append(time.perf_counter() - start)
    t = {name: statistics.median(values) for name, values in runs.items()}
    out = {f"{k}_s": round(v, 3) for k, v in t.items()}
    out["megabytes"] = round(total / 1e6, 1)
    out["fixity_mb_s"] = round(total / 1e6 / t["fixity_alone"], 1)
    out["ratio_fixity_plus_validation"] = round(t["fixity_plus_validation"] / t["fixity_alone"], 3)
    out["ratio_scan_plus_validation"] = round(
        t["scan_facts_plus_validation"] / t["fixity_alone"], 3
    )
    out["ratio_scan_facts_only"] = round(t["scan_facts"] / t["fixity_alone"], 3)
    out["validation_share_of_scan"] = round(
        (t["scan_facts_plus_validation"] - t["scan_facts"]) / t["scan_facts_plus_validation"], 3
    )
    print(out, flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller set (a few seconds)")
    args = parser.parse_args()
    files = create(WORK, args.quick)
    load = os.getloadavg()
    per_format = throughput(files)
    all_paths = [p for paths in files.values() for p in paths]
    combined = single_pass(WORK, all_paths)
    results = {
        "benchmark": "preservation_validate",
        "variant": "quick" if args.quick else "full",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in load],
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "throughput_per_format": per_format,
        "single_pass": combined,
        "target": "scan + fixity + validation <= 1.3 x fixity alone",
    }
    name = "preservation_validate" + ("_quick" if args.quick else "")
    write_results(RESULTS / f"{name}.json", results)
    print(f"results: {RESULTS / (name + '.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
