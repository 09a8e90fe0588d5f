"""Benchmark: load + map + flag a Belgium-Herbarium-sized specimen table (281,372 rows).

Generates a realistic, messy Darwin Core CSV once under ``benchmarks/.work/``, then runs
``load_specimens`` three times, each in a fresh child process, and reports the median wall
time and the peak resident set size of the child (``resource.getrusage(RUSAGE_SELF).ru_maxrss``
measured inside the child, so it covers the interpreter, pandas and the load).

Usage::

    .venv/bin/python benchmarks/specimens_load.py [--quick] [--rows N]

Targets: ≤ 15 s and ≤ 1.5 GB peak for 281,372 rows.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _common import write_results

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
RESULTS = HERE / "results"
ROWS = 281_372


def generate(path: Path, rows: int, seed: int = 20191) -> None:
    """Write a messy Darwin Core table with ``rows`` rows."""
    rng = np.random.default_rng(seed)
    n = rows
    numbers = 10**11 + rng.permutation(n).astype(np.int64) * 7919
    barcode = np.char.add("BR", np.char.zfill(numbers.astype(str), 13))
    barcode = barcode.astype(object)
    barcode[rng.random(n) < 0.005] = ""  # missing
    dup = rng.choice(n, size=n // 500, replace=False)
    barcode[dup] = barcode[(dup + 1) % n]  # duplicates
    spaced = rng.random(n) < 0.02
    barcode[spaced] = [b[:2] + " " + b[2:] if b else b for b in barcode[spaced]]
    genera = np.array(
        [
            "Quercus",
            "Rubus",
            "Carex",
            "Salix",
            "Acacia",
            "Ficus",
            "Poa",
            "Rosa",
            "Solanum",
            "Euphorbia",
            "Begonia",
            "Piper",
            "Psychotria",
            "Miconia",
        ]
    )
    epithets = np.array(
        [
            "robur",
            "alba",
            "nigra",
            "repens",
            "africana",
            "congensis",
            "minor",
            "grandiflora",
            "vulgaris",
            "sylvatica",
            "elegans",
            "laurentii",
        ]
    )
    families = np.array(
        [
            "Fagaceae",
            "Rosaceae",
            "Cyperaceae",
            "Salicaceae",
            "Fabaceae",
            "Moraceae",
            "Poaceae",
            "Solanaceae",
            "Euphorbiaceae",
            "Begoniaceae",
            "",
        ]
    )
    sci = np.char.add(np.char.add(rng.choice(genera, n), " "), rng.choice(epithets, n))
    countries = [
        ("Belgium", "BE", 50.8, 4.4),
        ("Congo, Democratic Republic of the", "CD", -2.9, 23.6),
        ("Congo Democratic Republic", "CD", -2.9, 23.6),
        ("Rwanda", "RW", -1.9, 29.9),
        ("France", "FR", 46.6, 2.3),
        ("Brazil", "BR", -10.3, -53.1),
        ("Burundi", "BI", -3.4, 29.9),
        ("Cameroon", "CM", 5.7, 12.7),
        ("", "", 0, 0),
        ("Zaire", "", 0, 0),
        ("Belgique", "BE", 50.8, 4.4),
        ("Atlantis", "ZZ", 0, 0),
    ]
    cidx = rng.choice(
        len(countries), n, p=[0.3, 0.2, 0.05, 0.08, 0.1, 0.07, 0.05, 0.05, 0.04, 0.03, 0.02, 0.01]
    )
    ctab = np.array([c[:2] for c in countries], dtype=object)
    centre = np.array([c[2:] for c in countries], dtype=float)
    has_coord = (rng.random(n) < 0.3) & (centre[cidx, 0] != 0)
    lat = centre[cidx, 0] + rng.normal(0, 1.5, n)
    lon = centre[cidx, 1] + rng.normal(0, 1.5, n)
    lat_s = np.where(has_coord, np.round(lat, 5).astype(str), "").astype(object)
    lon_s = np.where(has_coord, np.round(lon, 5).astype(str), "").astype(object)
    swap = has_coord & (rng.random(n) < 0.003)
    lat_s[swap], lon_s[swap] = lon_s[swap], lat_s[swap]
    lat_s[has_coord & (rng.random(n) < 0.002)] = "50°51'N"
    year = rng.integers(1780, 2024, n)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    iso = pd.Series([f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in zip(year, month, day, strict=True)])
    kind = rng.random(n)
    event = iso.copy()
    event[kind < 0.05] = year[kind < 0.05].astype(str)
    m = (kind >= 0.05) & (kind < 0.08)
    event[m] = [f"{d}.{mm}.{y}" for y, mm, d in zip(year[m], month[m], day[m], strict=True)]
    m = (kind >= 0.08) & (kind < 0.10)
    event[m] = iso[m] + "/" + iso[m]
    m = (kind >= 0.10) & (kind < 0.12)
    event[m] = ""
    m = (kind >= 0.12) & (kind < 0.121)
    event[m] = "unknown"
    basis = rng.choice(
        np.array(
            [
                "PreservedSpecimen",
                "PRESERVED_SPECIMEN",
                "Preserved specimen",
                "preservedspecimen",
                "hb",
            ]
        ),
        n,
        p=[0.7, 0.2, 0.05, 0.04, 0.01],
    )
    types = rng.choice(
        np.array(["", "Isotype", "ISOTYPE", "Holotype", "type ?", "Syntype"]),
        n,
        p=[0.95, 0.02, 0.01, 0.01, 0.005, 0.005],
    )
    langs = rng.choice(
        np.array(["fra", "eng", "und", "lat", "nld", "fr", "English", "xx"]),
        n,
        p=[0.3, 0.25, 0.2, 0.1, 0.1, 0.03, 0.01, 0.01],
    )
    collectors = np.array(
        [
            "Lejoly J.",
            "Bamps P.",
            "Luke W.R.Q. & Luke P.A.",
            "Dewèvre A.",
            "Louis J.",
            "B. Bartholomew & al.",
            "",
        ]
    )
    frame = pd.DataFrame(
        {
            "catalogNumber": barcode,
            "occurrenceID": np.char.add(
                "https://www.botanicalcollections.be/specimen/", barcode.astype(str)
            ),
            "institutionCode": np.where(rng.random(n) < 0.01, "", "BR"),
            "collectionCode": "Spermatophyta",
            "basisOfRecord": basis,
            "scientificName": sci,
            "family": rng.choice(families, n),
            "recordedBy": rng.choice(collectors, n),
            "recordNumber": rng.integers(1, 20000, n).astype(str),
            "eventDate": event,
            "year": np.where(kind < 0.12, year.astype(str), ""),
            "month": "",
            "day": "",
            "country": ctab[cidx, 0],
            "countryCode": ctab[cidx, 1],
            "stateProvince": "",
            "locality": rng.choice(
                np.array(
                    [
                        "Kisantu, jardin botanique, along the road to the river, 450 m",
                        "Forêt de Soignes",
                        "Bas-Congo: Mayumbe, Luki",
                        'Environs de Bruxelles, "bois"',
                    ]
                ),
                n,
            ),
            "decimalLatitude": lat_s,
            "decimalLongitude": lon_s,
            "geodeticDatum": np.where(has_coord, "WGS84", ""),
            "typeStatus": types,
            "preparations": rng.choice(np.array(["HerbariumSheet", "hb", "herbarium specimen"]), n),
            "language": langs,
            "identifiedBy": rng.choice(collectors, n),
            "dateIdentified": "",
            "habitat": rng.choice(np.array(["", "forest edge", "savanna; sandy soil"]), n),
            "otherCatalogNumbers": "",
            "Notes (internal)": rng.choice(np.array(["", "loan 1998", "to check"]), n),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


def peak_rss_mb() -> float:
    """Peak RSS of this process: VmHWM from /proc (Linux), else ru_maxrss.

    ru_maxrss survives exec on Linux (a child reports its parent's peak at fork time),
    so VmHWM, which belongs to the process image, is preferred.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: Path) -> None:
    """Run once and print JSON (time, peak RSS) on stdout."""
    sys.path.insert(0, str(HERE.parent / "src"))
    from specpub.specimens import load_specimens

    t0, c0 = time.perf_counter(), time.process_time()
    sp = load_specimens(path, progress=None)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "peak_rss_mb": peak_rss_mb(),
                "rows": len(sp),
                "flags": len(sp.flags),
                "flag_ids": sp.summary()["flags"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 rows, one run")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child))
        return
    rows = args.rows or (10_000 if args.quick else ROWS)
    repeats = 1 if args.quick else 3
    path = WORK / f"specimens_{rows}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, rows)
        print(
            f"generated {path} ({path.stat().st_size / 1e6:.1f} MB) in "
            f"{time.perf_counter() - t0:.1f} s"
        )
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    secs = [r["seconds"] for r in runs]
    peaks = [r["peak_rss_mb"] for r in runs]
    result = {
        "benchmark": "specimens_load",
        "rows": rows,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "columns": 28,
        "repeats": repeats,
        "median_seconds": round(statistics.median(secs), 2),
        "seconds": [round(s, 2) for s in secs],
        "cpu_seconds": [round(r["cpu_seconds"], 2) for r in runs],
        "peak_rss_mb_max": round(max(peaks), 1),
        "peak_rss_method": "VmHWM of /proc/self/status in a fresh child process (includes "
        "interpreter + pandas import); ru_maxrss is inherited across exec",
        "flags": runs[-1]["flags"],
        "flag_ids": runs[-1]["flag_ids"],
        "targets": {"seconds": 15, "peak_rss_mb": 1536},
        "machine": f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, shared 2-core machine",
    }
    print(f"{'rows':>10} {'median s':>9} {'runs s':>22} {'peak RSS MB':>12}")
    print(
        f"{rows:>10} {result['median_seconds']:>9} {result['seconds']!s:>22} "
        f"{result['peak_rss_mb_max']:>12}"
    )
    if not args.quick:
        write_results(RESULTS / "specimens_load.json", result)


if __name__ == "__main__":
    main()
