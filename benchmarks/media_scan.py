"""Benchmark: the media scan, side by side with exiftool and sha256sum on the same files.

Generates a realistic mix once under ``benchmarks/.work/media_scan[_quick]/`` — 16-bit RGB
TIFF masters of several MB (with an ICC profile, 600 ppi and Exif), JPEG access copies
(Exif, XMP) and PNGs — then, in one run, on the same files with a warm page cache:

1. metadata: ``specpub.media.scan`` (2 workers; metadata **and** both hashes), the same
   without the hashes (``fixity=False``: metadata only, what exiftool does) and the command
   line from a cold start (``specpub scan --full``: interpreter, imports, pool start) vs
   ``exiftool -json -r`` (metadata only; the reference tool). Target: ≥ 5× faster.
   The in-process measures use a warm pool (started by an untimed first scan of the same
   size, as in a notebook's second scan).
2. fixity: the scan's fixity alone (MD5 + SHA-256 from one read, ``analysers=()``) vs
   ``sha256sum`` alone over the same files, each with 1 process and with 2 (``xargs -P 2``).
   Target: MD5 + SHA-256 within 1.1× of sha256sum.
3. scan (metadata + both hashes) vs fixity alone: the ratio.
4. incremental re-scan of the unchanged tree vs a full scan (and the same with the saved
   manifest read back). Target: < 2 %.
5. files/s with 1 worker, 2 workers, and a Dask LocalCluster of 2 workers (127.0.0.1).

Usage::

    .venv/bin/python benchmarks/media_scan.py [--quick] [--repeat N]

Results: ``benchmarks/results/media_scan.json`` (medians of ``--repeat`` runs, default 3).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import write_results

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from specpub.media import _pool, scan  # noqa: E402
from specpub.media._icc import _demo_profile  # noqa: E402

WORK = HERE / ".work"
RESULTS = HERE / "results"
SIZES = {  # name: (TIFF masters, their (h, w), JPEGs, PNGs)
    "full": (120, (1400, 1000), 700, 400),
    "quick": (40, (800, 600), 600, 400),
}


def generate(root: Path, variant: str) -> tuple[int, int]:
    """Create the files once; returns (files, bytes)."""
    import io

    import pyexiv2
    import tifffile
    from PIL import Image

    marker = root / ".complete"
    if marker.exists():
        n, b = marker.read_text().split()
        return int(n), int(b)
    shutil.rmtree(root, ignore_errors=True)
    (root / "masters").mkdir(parents=True)
    (root / "access").mkdir()
    (root / "labels").mkdir()
    n_tif, (h, w), n_jpg, n_png = SIZES[variant]
    rng = np.random.default_rng(1)
    icc = _demo_profile("eciRGB v2")
    ramp = np.linspace(0, 60000, w, dtype=np.uint16)[None, :, None]
    base = ramp + np.zeros((h, 1, 3), np.uint16)
    exif_tags = [
        (271, "s", 0, "Phase One", True),
        (272, "s", 0, "IQ4 150MP", True),
        (306, "s", 0, "2026:03:04 10:11:12", True),
    ]
    for i in range(n_tif):
        data = base + rng.integers(0, 4096, (h, w, 3), dtype=np.uint16)
        tifffile.imwrite(
            root / "masters" / f"BR{i:07d}.tif",
            data,
            photometric="rgb",
            resolution=(600, 600),
            resolutionunit="INCH",
            iccprofile=icc,
            extratags=exif_tags,
            metadata=None,
        )
    for i in range(n_jpg):
        img = Image.fromarray(rng.integers(0, 255, (600, 400, 3), dtype=np.uint8))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=85, dpi=(300, 300))
        with pyexiv2.ImageData(buf.getvalue()) as meta:
            meta.modify_exif(
                {
                    "Exif.Image.Make": "Nikon",
                    "Exif.Image.Model": "D850",
                    "Exif.Photo.DateTimeOriginal": "2026:01:02 03:04:05",
                }
            )
            meta.modify_xmp({"Xmp.dc.identifier": f"BR{i:07d}", "Xmp.dc.rights": "CC BY 4.0"})
            data = meta.get_bytes()
        (root / "access" / f"BR{i:07d}.jpg").write_bytes(data)
    for i in range(n_png):
        img = Image.fromarray(rng.integers(0, 255, (200, 300, 3), dtype=np.uint8))
        img.save(root / "labels" / f"BR{i:07d}_lab.png", dpi=(300, 300))
    files = [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
    total = sum(p.stat().st_size for p in files)
    marker.write_text(f"{len(files)} {total}")
    return len(files), total


def timed(fn, repeat: int) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), runs


def file_list(root: Path) -> Path:
    lst = Path(tempfile.mkstemp(suffix=".txt")[1])
    paths = sorted(str(p) for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    lst.write_text("\0".join(paths) + "\0")
    return lst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller masters")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    variant = "quick" if args.quick else "full"
    root = WORK / f"media_scan_{variant}"
    n_files, n_bytes = generate(root, variant)
    print(f"{n_files} files, {n_bytes / 1e6:.0f} MB in {root}", flush=True)
    lst = file_list(root)
    results: dict = {
        "benchmark": "media_scan",
        "variant": variant,
        "files": n_files,
        "bytes": n_bytes,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": os.getloadavg(),
        },
        "page_cache": "warm (files just generated or read); on a network share the read "
        "dominates and every ratio below moves towards 1",
        "seconds": {},
    }
    sec = results["seconds"]

    def run_scan(workers=2, analysers=("facts",), **kw):
        return scan([root], workers=workers, analysers=analysers, progress=None, **kw)

    def warm_and_time(fn, repeat):
        fn()  # the pool of this size started and its readers imported (a notebook's 2nd scan)
        return timed(fn, repeat)

    run_scan(workers=2)  # warm the page cache
    exiftool = shutil.which("exiftool")
    if exiftool:
        sec["exiftool_json_r"], _ = timed(
            lambda: subprocess.run(
                [exiftool, "-json", "-r", "-q", str(root)], check=True, stdout=subprocess.DEVNULL
            ),
            max(1, args.repeat - 2),
        )
    sec["scan_2_workers"], _ = warm_and_time(lambda: run_scan(2), args.repeat)
    sec["metadata_only_2_workers"], _ = timed(lambda: run_scan(2, fixity=False), args.repeat)
    sec["fixity_2_workers"], _ = timed(lambda: run_scan(2, analysers=()), args.repeat)
    sec["scan_1_worker"], _ = warm_and_time(lambda: run_scan(1), args.repeat)
    sec["fixity_1_worker"], _ = timed(lambda: run_scan(1, analysers=()), args.repeat)
    _pool.shutdown()
    with tempfile.TemporaryDirectory() as ws:
        # the command line, cold: interpreter start, imports, pool start, scan, save, exit
        cli = [sys.executable, "-m", "specpub", "scan", "-w", ws, str(root), "--full"]
        cli += ["--progress", "none"]
        sec["cli_scan_cold_2_workers"], _ = timed(
            lambda: subprocess.run(cli, check=True, stdout=subprocess.DEVNULL), args.repeat
        )
    xargs = ["xargs", "-0", "-n", "64"]
    sec["sha256sum_1_process"], _ = timed(
        lambda: subprocess.run(
            [*xargs, "sha256sum"], stdin=lst.open("rb"), check=True, stdout=subprocess.DEVNULL
        ),
        args.repeat,
    )
    sec["sha256sum_2_processes"], _ = timed(
        lambda: subprocess.run(
            [*xargs, "-P", "2", "sha256sum"],
            stdin=lst.open("rb"),
            check=True,
            stdout=subprocess.DEVNULL,
        ),
        args.repeat,
    )
    sec["md5sum_1_process"], _ = timed(
        lambda: subprocess.run(
            [*xargs, "md5sum"], stdin=lst.open("rb"), check=True, stdout=subprocess.DEVNULL
        ),
        args.repeat,
    )
    with tempfile.TemporaryDirectory() as ws:
        scan([root], workspace=ws, workers=2, progress=None)
        sec["incremental_rescan_unchanged"], _ = timed(
            lambda: scan([root], workspace=ws, workers=2, progress=None), args.repeat
        )
        # the same, and the saved manifest read back (what a caller that uses it pays)
        sec["incremental_rescan_unchanged_and_read"], _ = timed(
            lambda: len(scan([root], workspace=ws, workers=2, progress=None).frame), args.repeat
        )
        _pool.shutdown()
    try:
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            scan([root], client=client, progress=None)  # warm the workers' imports
            sec["scan_dask_local_2_workers"], _ = timed(
                lambda: scan([root], client=client, progress=None), args.repeat
            )
    except ImportError:
        pass
    lst.unlink()

    exif_s = sec.get("exiftool_json_r", float("nan"))
    ratios = {
        "exiftool_over_scan": exif_s / sec["scan_2_workers"],
        "exiftool_over_metadata_only": exif_s / sec["metadata_only_2_workers"],
        "exiftool_over_cli_scan_cold": exif_s / sec["cli_scan_cold_2_workers"],
        "fixity_1_worker_over_sha256sum_1_process": sec["fixity_1_worker"]
        / sec["sha256sum_1_process"],
        "fixity_2_workers_over_sha256sum_2_processes": sec["fixity_2_workers"]
        / sec["sha256sum_2_processes"],
        "fixity_2_workers_over_sha256sum_1_process": sec["fixity_2_workers"]
        / sec["sha256sum_1_process"],
        "scan_over_fixity_2_workers": sec["scan_2_workers"] / sec["fixity_2_workers"],
        "incremental_over_full_scan": sec["incremental_rescan_unchanged"] / sec["scan_2_workers"],
        "incremental_and_read_over_full_scan": sec["incremental_rescan_unchanged_and_read"]
        / sec["scan_2_workers"],
    }
    rates = {k: n_files / v for k, v in sec.items() if not k.startswith("incremental")}
    results["ratios"] = {k: round(v, 4) for k, v in ratios.items()}
    results["files_per_second"] = {k: round(v, 1) for k, v in rates.items()}
    results["megabytes_per_second"] = {k: round(n_bytes / 1e6 / v, 1) for k, v in sec.items()}
    results["seconds"] = {k: round(v, 3) for k, v in sec.items()}
    results["machine"]["load_after"] = os.getloadavg()
    out = RESULTS / "media_scan.json"
    write_results(out, results)
    for k, v in results["seconds"].items():
        print(f"  {k:<36} {v:8.2f} s  {n_files / v:8.1f} files/s")
    for k, v in results["ratios"].items():
        print(f"  {k:<48} {v:.3f}")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
