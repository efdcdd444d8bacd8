"""Peak memory of read_overlay on very large rasters, against a 2,000² image in the same run.

Each image is a tiled, deflate-compressed uint8 GeoTIFF over the complex (UTM 52N), written
cheaply: only a few tiles hold data, the rest are sparse (``SPARSE_OK=TRUE``), so a
100,000 x 100,000 file takes a few hundred kB of disk. ``nodata=0`` makes the validity mask
depend on the data, so the mask is read too. Each read runs in its own process and reports
its peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``).

Goal: peak RSS under 500 MB for the 100,000² image.

    python benchmarks/bench_raster.py [--sizes 30000 100000] [--dense] [--compare-src DIR]

``--dense`` writes every tile with random bytes instead (a 30,000² image is then ~900 MB on
disk, no overviews): the worst case, every pixel decompressed.

``--compare-src`` also runs the reads with another source tree on ``PYTHONPATH`` (e.g. an
older checkout's ``src``) to show the memory before a change. Beware: before the decimated
reads, a 100,000² image needed about 10 GB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

GOAL_MB = 500.0
BASELINE = 2000
ORIGIN = (270_000.0, 4_225_000.0)  # UTM 52N; the complex is ~22 km east, ~24 km south

CHILD = """
import resource, sys, time
from kaesong_geo.io.raster import read_overlay
start = time.perf_counter()
ov = read_overlay(sys.argv[1], progress=False)
seconds = time.perf_counter() - start
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, ov.width, ov.height, seconds)
"""


def make_image(path: Path, size: int, dense: bool = False) -> Path:
    """A size x size sparse tiled GeoTIFF with 0.5 m pixels (50 km at 100,000²)."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    pixel = 50_000.0 / size
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "uint8",
        "nodata": 0,
        "crs": "EPSG:32652",
        "transform": from_origin(*ORIGIN, pixel, pixel),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "BIGTIFF": "YES",
        "SPARSE_OK": "TRUE",
    }
    block = np.random.default_rng(0).integers(1, 255, (512, 512)).astype("uint8")
    with rasterio.open(path, "w", **profile) as dst:
        if dense:
            for row in range(0, size, 512):
                for col in range(0, size, 512):
                    w = Window(col, row, min(512, size - col), min(512, size - row))
                    dst.write(block[: w.height, : w.width], 1, window=w)
            return path
        for i in range(8):  # a diagonal of written tiles, the rest sparse
            offset = (size - 512) * i // 7 // 512 * 512
            dst.write(block, 1, window=Window(offset, offset, 512, 512))
    return path


def peak(path: Path, src: str | None) -> tuple[float, int, int, float]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, env=env
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    mb, width, height, seconds = out.stdout.split()
    return float(mb), int(width), int(height), float(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30_000, 100_000])
    parser.add_argument("--dense", action="store_true", help="write every tile (slow)")
    parser.add_argument("--compare-src", help="another source tree to measure as well")
    args = parser.parse_args()
    trees: list[tuple[str, str | None]] = [("this tree", None)]
    if args.compare_src:
        trees.append((args.compare_src, args.compare_src))
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        images = {
            n: make_image(Path(tmp) / f"{n}.tif", n, args.dense) for n in [BASELINE, *args.sizes]
        }
        for label, src in trees:
            base, *_ = peak(images[BASELINE], src)
            print(f"{label}: baseline {BASELINE:,}² image: peak RSS {base:,.0f} MB")
            for n in args.sizes:
                mb, width, height, seconds = peak(images[n], src)
                ok = mb < GOAL_MB
                failed |= src is None and not ok
                print(
                    f"{label}: {n:,}² image ({images[n].stat().st_size / 1e3:,.0f} kB on disk) "
                    f"-> {width}x{height} PNG in {seconds:.1f} s: peak RSS {mb:,.0f} MB "
                    f"= {mb / base:.2f}x the baseline "
                    f"({'under' if ok else 'OVER'} the {GOAL_MB:.0f} MB goal)"
                )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
