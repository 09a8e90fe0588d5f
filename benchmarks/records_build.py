"""Benchmark: build and check the records of a Belgium-Herbarium-sized collection (281,372 rows).

The table is the messy Meise-like Darwin Core table of ``specimens_load.py`` (generated once
under ``benchmarks/.work/``); each specimen has a TIFF master and a JPEG access copy described
by a generated media-scan manifest (fixity and EXIF facts: no image is read). Timed: one call
of ``specpub.records.build_records`` under the ``meise-belgium-herbarium`` preset — mapping,
both payloads, the JSON-LD sidecar written to disk, and every Zenodo-side check on both
payloads — in a fresh child process per run, with the peak resident memory of that child.
Loading the table (its own benchmark) is not timed.

Each run writes its sidecars into a new folder, as a first ``specpub records`` does;
``--again`` also times a second build into the same folder, as a re-run does (sidecars that
hold the same bytes are then left as they are). The folders are deleted when the benchmark
ends, not between runs: ext4 passes over the inodes of files deleted in the last minutes
when it makes new files, which made a 281,372-file build that followed the deletion of the
previous run's sidecars several times slower to create its files (measured with this
benchmark: up to 41.5 s of system time in the workers, against 6 to 20 s in a new folder).

Usage::

    .venv/bin/python benchmarks/records_build.py [--quick] [--rows N] [--workers N ...]
        [--baseline SRC] [--repeat N] [--again]

``--baseline SRC`` times an earlier version side by side (``SRC`` is its ``src`` folder,
e.g. ``git archive COMMIT src | tar -x -C /tmp/old``): the runs alternate, baseline first,
and the median of each is reported with the ratio. Each run records its wall time, the
CPU time of the build (the process and its workers), the peak memory of the process and
the load average before and after.

Target: <= 60 s for 281,372 records on this 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import write_results

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "records_build"
RESULTS = HERE / "results" / "records_build.json"
ROWS = 281_372


def prepare(rows: int) -> Path:
    """A workspace with the generated table loaded (kept between runs)."""
    from specimens_load import generate
    from specpub.specimens import load_specimens
    from specpub.workspace import Workspace

    root = WORK / f"ws-{rows}"
    if (root / "specimens" / "specimens.parquet").is_file():
        return root
    table = WORK / f"belgium-{rows}.csv"
    table.parent.mkdir(parents=True, exist_ok=True)
    if not table.is_file():
        generate(table, rows)
    load_specimens(table, progress=None).save(Workspace.create(root))
    return root


def prepare_media(root: Path) -> tuple[Path, Path]:
    """Links and a scan manifest for a TIFF master and a JPEG access copy per specimen.

    The files exist (sparse: their declared size, no data) so that the records stage finds
    the scan current (same size and mtime) and reads none of them; kept between runs.
    """
    import pandas as pd

    from specpub.specimens import Specimens

    links_path, manifest_path = root / "bench-links.parquet", root / "bench-manifest.parquet"
    if links_path.is_file() and manifest_path.is_file():
        return links_path, manifest_path
    frame = Specimens.load(root).frame
    media = root / "media"
    media.mkdir(exist_ok=True)
    link_rows, manifest = [], []
    for r, c in zip(frame["_row"].to_numpy(), frame["catalogNumber"].to_numpy(), strict=True):
        for ext, role, fmt, mime, size in (
            (".tif", "master", "tiff", "image/tiff", 180_000_000),
            (".jpg", "access", "jpeg", "image/jpeg", 3_400_000),
        ):
            path = media / f"{(c or 'nocat').replace(' ', '_')}_{r}{ext}"
            with path.open("wb") as fh:
                fh.truncate(size)
            st = path.stat()
            link_rows.append({"_row": int(r), "path": str(path), "role": role})
            manifest.append(
                {
                    "path": str(path),
                    "key": path.name,
                    "size": size,
                    "mtime_ns": st.st_mtime_ns,
                    "md5": "a" * 32,
                    "sha256": "b" * 64,
                    "format": fmt,
                    "mime": mime,
                    "width": 6000,
                    "height": 9000,
                    "bits_per_sample": 16 if fmt == "tiff" else 8,
                    "ppi": 600.0,
                    "exif_make": "Phase One",
                    "exif_model": "iXG 100MP",
                    "exif_datetime_original": "2018:05:03 10:22:01",
                    "role": role,
                }
            )
    pd.DataFrame(link_rows).to_parquet(links_path)
    pd.DataFrame(manifest).to_parquet(manifest_path)
    return links_path, manifest_path


def child(root: Path, workers: int, out: Path) -> dict:
    """One timed build into the sidecar folder ``out`` (runs in a child process)."""
    import resource

    import pandas as pd

    import specpub
    from specpub.records import build_records
    from specpub.specimens import Specimens

    specimens = Specimens.load(root)
    frame = specimens.frame
    links_path, manifest_path = prepare_media(root)
    here = Path(specpub.__file__).resolve().parents[1]

    class Links:
        links = pd.read_parquet(links_path)

    media = pd.read_parquet(manifest_path)
    again = out.is_dir()
    load_before = os.getloadavg()
    cpu_before = _cpu()
    start = time.perf_counter()
    records = build_records(
        specimens, Links, "meise-belgium-herbarium", media=media, sidecar_dir=out, workers=workers
    )
    seconds = time.perf_counter() - start
    cpu = _cpu() - cpu_before
    load_after = os.getloadavg()
    s = records.summary()
    return {
        "src": str(here),
        "rows": len(frame),
        "workers": workers,
        "sidecar_folder": "again" if again else "new",
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "records_per_second": round(s["built"] / seconds, 1),
        "built": s["built"],
        "ready": s["ready"],
        "warned": s["warned"],
        "blocked": s["blocked"],
        "not_built": s["not_built"],
        "sidecars": sum(1 for _ in out.iterdir()),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _cpu() -> float:
    """CPU seconds (user + system) of this process and its waited-for workers."""
    import resource

    return sum(
        u.ru_utime + u.ru_stime
        for u in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


def _run(root: Path, workers: int, src: str | None, out: Path) -> dict:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(root), str(workers), str(out)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["code"] = "baseline" if src else "current"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--workers", type=int, nargs="*", default=None)
    parser.add_argument("--baseline", default=None, help="src folder of an earlier version")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--again",
        action="store_true",
        help="also time a second build into each run's sidecar folder (a re-run)",
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("ROOT", "WORKERS", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(Path(args.child[0]), int(args.child[1]), Path(args.child[2]))))
        return 0
    rows = args.rows or (20_000 if args.quick else ROWS)
    root = prepare(rows)
    prepare_media(root)
    runs = []
    load_start = os.getloadavg()
    folders = WORK / "runs"
    if folders.exists():
        print(
            f"note: removing {folders} left by an earlier run; ext4 skips the inodes of files "
            "deleted in the last minutes, so creating sidecars now is slower than on a new "
            "disk (let a few minutes pass before timing)"
        )
        shutil.rmtree(folders)
    try:
        for workers in args.workers or [1, os.cpu_count() or 1]:
            for i in range(args.repeat):
                for src in ([args.baseline] if args.baseline else []) + [None]:
                    # a new sidecar folder per run, as a first `specpub records` has; folders
                    # are deleted only at the end (see the note above)
                    out = folders / f"{'baseline' if src else 'current'}-{workers}-{i}"
                    for _ in range(2 if args.again else 1):
                        result = _run(root, workers, src, out)
                        runs.append(result)
                        print(
                            f"{rows} rows, {workers} worker(s), {result['code']}, "
                            f"{result['sidecar_folder']} sidecar folder: {result['seconds']} s "
                            f"({result['records_per_second']} records/s, "
                            f"{result['cpu_seconds']} CPU s), peak {result['peak_rss_mb']} MB, "
                            f"load {result['load_before'][0]} → {result['load_after'][0]}"
                        )
    finally:
        shutil.rmtree(folders, ignore_errors=True)
    medians = {}
    for r in runs:
        key = f"{r['code']}, {r['workers']} worker(s), {r['sidecar_folder']} sidecar folder"
        medians.setdefault(key, []).append(r["seconds"])
    medians = {k: statistics.median(v) for k, v in medians.items()}
    for key, value in medians.items():
        line = f"median {key}: {value} s"
        base = medians.get(key.replace("current", "baseline"))
        if base and key.startswith("current"):
            line += f" ({base / value:.2f}× faster than the baseline's {base} s)"
        print(line)
    write_results(
        RESULTS,
        {
            "benchmark": "records_build",
            "target": "build and check 281,372 records in <= 60 s",
            "rows": rows,
            "baseline": args.baseline,
            "medians_seconds": medians,
            "runs": runs,
            "load_average_start": load_start,
            "load_average": os.getloadavg(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
