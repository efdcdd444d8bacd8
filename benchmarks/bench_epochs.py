"""Time and peak memory of write_scene (``epochs add --imagery``) against a plain COG copy.

A 16,384 x 16,384 3-band uint8 GeoTIFF at 0.5 m (8.2 km square, UTM 52N, centred on the
Kaesong Industrial Complex; tiled 512², DEFLATE) is generated with structured content (a
street grid, blocks of buildings, fields and shading, textured by a hash of the position:
not random noise, and compressing about as a real scene does, a few times, not a thousand).
The clip is what ``epochs add`` takes in a copy of the bundled data: the box of its
footprints plus the default 1 km margin (:func:`kaesong_geo.io.scene.clip_region`).

Two measurements, each in its own process (peak RSS from ``getrusage``), alternated and
repeated ``--repeat`` times (the fastest run of each is compared):

- ``write_scene``: the clip itself (open, checks, srcwin VRT, COG driver, temporary file
  renamed, read back);
- ``epochs add``: the whole of ``add_epoch(ws, "2013-06", imagery=[scene])`` in a copy of the
  bundled data (workspace checks, the clip, the catalogue row, the checks of the workspace as
  it will be, which open the new COG, and the commit);
- the baseline: ``rasterio.shutil.copy`` of a hand-written srcwin VRT of the same window to
  COG with the same creation options, under rasterio's default GDAL settings: what
  ``gdal_translate -srcwin ... -of COG`` does.

Goal: ratio at most 1.5, peak RSS under 500 MB.

    python benchmarks/bench_epochs.py [--size 16384] [--repeat 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GOAL_RATIO = 1.5
GOAL_MB = 500.0
PIXEL_M = 0.5

CHILD_SCENE = """
import resource, sys, time
from pathlib import Path
from kaesong_geo.io.scene import write_scene
from kaesong_geo.site import KAESONG
region = tuple(float(v) for v in sys.argv[3:7])
start = time.perf_counter()
info = write_scene(Path(sys.argv[1]), Path(sys.argv[2]), site=KAESONG, region=region,
                   tags={"date": "2013-06-20", "source": "benchmark"}, progress=False)
seconds = time.perf_counter() - start
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, seconds, info.width, info.height)
"""

CHILD_ADD = """
import resource, sys, time
from pathlib import Path
from kaesong_geo.io.epochs import add_epoch
from kaesong_geo.io.workspace import make_workspace
ws = make_workspace(Path(sys.argv[2]).with_suffix(".ws"))
start = time.perf_counter()
added = add_epoch(ws, "2013-06", imagery=[sys.argv[1]], source="benchmark", progress=False)
seconds = time.perf_counter() - start
info = added.images[0].info
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, seconds, info.width, info.height)
"""

CHILD_BASELINE = """
import resource, sys, time
import rasterio, rasterio.shutil
from rasterio.io import MemoryFile
from rasterio.windows import Window
from kaesong_geo.io.scene import COG_OPTIONS
col, row, width, height = (int(v) for v in sys.argv[3:7])
start = time.perf_counter()
with rasterio.open(sys.argv[1]) as src:
    gt = ", ".join(repr(v) for v in src.window_transform(Window(col, row, width, height)).to_gdal())
    bands = "".join(
        f'<VRTRasterBand dataType="Byte" band="{b}"><SimpleSource>'
        f'<SourceFilename relativeToVRT="0">{sys.argv[1]}</SourceFilename>'
        f'<SourceBand>{b}</SourceBand><SrcRect xOff="{col}" yOff="{row}" xSize="{width}" '
        f'ySize="{height}"/><DstRect xOff="0" yOff="0" xSize="{width}" ySize="{height}"/>'
        "</SimpleSource></VRTRasterBand>"
        for b in range(1, src.count + 1)
    )
    xml = (f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}"><SRS>{src.crs.to_wkt()}'
           f"</SRS><GeoTransform>{gt}</GeoTransform>{bands}</VRTDataset>")
with MemoryFile(xml.encode(), ext=".vrt") as mem, mem.open() as vrt:
    rasterio.shutil.copy(vrt, sys.argv[2], driver="COG", **COG_OPTIONS)
seconds = time.perf_counter() - start
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, seconds, width, height)
"""


def make_scene(path: Path, size: int) -> Path:
    """A size² 3-band scene with streets, buildings, fields and shading, written by tiles."""
    import numpy as np
    import rasterio
    from pyproj import Transformer
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    from kaesong_geo.site import KAESONG

    cx, cy = Transformer.from_crs(4326, KAESONG.utm_epsg, always_xy=True).transform(
        KAESONG.lon, KAESONG.lat
    )
    half = size * PIXEL_M / 2
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 3,
        "dtype": "uint8",
        "crs": f"EPSG:{KAESONG.utm_epsg}",
        "transform": from_origin(cx - half, cy + half, PIXEL_M, PIXEL_M),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "BIGTIFF": "YES",
    }
    with rasterio.open(path, "w", **profile) as dst:
        for row in range(0, size, 512):
            for col in range(0, size, 512):
                h, w = min(512, size - row), min(512, size - col)
                yy, xx = np.mgrid[row : row + h, col : col + w]
                street = ((xx % 400) < 24) | ((yy % 300) < 20)  # 200 m x 150 m blocks
                building = ((xx % 400) > 60) & ((xx % 400) < 330) & ((yy % 300) > 50)
                building &= (yy % 300) < 250
                field = ((xx // 97 + yy // 131) % 3) * 25 + 60
                shade = (xx + yy) // 256 % 16
                # Texture: a deterministic hash of the position, 0..31 (sensor noise, roofs).
                shade = shade + _texture(xx, yy)
                r = np.where(street, 150, np.where(building, 205, field + shade))
                g = np.where(street, 150, np.where(building, 200, field + 40 - shade))
                b = np.where(street, 145, np.where(building, 190, field // 2 + shade))
                dst.write(np.stack([r, g, b]).astype("uint8"), window=Window(col, row, w, h))
    return path


def _texture(xx: Any, yy: Any) -> Any:
    """0..31 from a hash of the position (an integer mix, no period in the scene)."""
    import numpy as np

    h = xx.astype(np.uint64) * np.uint64(0x9E3779B1) + yy.astype(np.uint64) * np.uint64(0x85EBCA77)
    h ^= h >> np.uint64(15)
    h *= np.uint64(0x2C1B3C6D)
    h ^= h >> np.uint64(12)
    return ((h >> np.uint64(20)) % np.uint64(32)).astype(np.int64)


def run(child: str, args: list[str]) -> tuple[float, float, int, int]:
    out = subprocess.run(
        [sys.executable, "-c", child, *args], capture_output=True, text=True, env=dict(os.environ)
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    mb, seconds, width, height = out.stdout.split()
    return float(mb), float(seconds), int(width), int(height)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=16_384)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--keep", help="folder to keep the generated scene in (reused if there)")
    args = parser.parse_args()

    import rasterio

    from kaesong_geo.io.datadir import bundled_data_dir
    from kaesong_geo.io.footprints import load_footprints
    from kaesong_geo.io.scene import _window, clip_region
    from kaesong_geo.site import KAESONG

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        scene = folder / f"scene-{args.size}.tif"
        if not scene.is_file():
            start = time.perf_counter()
            make_scene(scene, args.size)
            print(
                f"generated {args.size:,}² scene: {scene.stat().st_size / 1e6:,.0f} MB on disk "
                f"in {time.perf_counter() - start:.0f} s"
            )
        # The region 'epochs add' clips to in a copy of the bundled data: its footprints + 1 km.
        epochs = load_footprints(bundled_data_dir())
        region = clip_region(KAESONG, [e.geometry for e in epochs])
        with rasterio.open(scene) as src:
            window = _window(src, region)
        print(f"clip: {window[2]:,} x {window[3]:,} pixels (region {region})")
        best: dict[str, tuple[float, float]] = {}
        for k in range(args.repeat):
            for label, child, extra in (
                ("write_scene", CHILD_SCENE, [str(v) for v in region]),
                ("epochs add", CHILD_ADD, []),
                ("baseline", CHILD_BASELINE, [str(v) for v in window]),
            ):
                dst = Path(tmp) / f"{label.replace(' ', '-')}-{k}.tif"
                mb, seconds, width, height = run(child, [str(scene), str(dst), *extra])
                made = dst if dst.exists() else next(dst.with_suffix(".ws").glob("imagery/*.tif"))
                size_mb = made.stat().st_size / 1e6
                print(f"  {label:12s} run {k + 1}: {seconds:6.1f} s, peak RSS {mb:5.0f} MB "
                      f"({width} x {height}, {size_mb:.0f} MB COG)")  # fmt: skip
                old = best.get(label)
                best[label] = (
                    min(seconds, old[0]) if old else seconds,
                    max(mb, old[1] if old else 0),
                )
                dst.unlink(missing_ok=True)
                shutil.rmtree(dst.with_suffix(".ws"), ignore_errors=True)
        ok = True
        for label in ("write_scene", "epochs add"):
            ratio = best[label][0] / best["baseline"][0]
            peak = best[label][1]
            ok = ok and ratio <= GOAL_RATIO and peak < GOAL_MB
            print(
                f"{label} / COG copy: {ratio:.2f}x (goal <= {GOAL_RATIO}), peak RSS "
                f"{peak:.0f} MB vs {best['baseline'][1]:.0f} MB for the baseline "
                f"(goal < {GOAL_MB:.0f} MB): "
                f"{'OK' if ratio <= GOAL_RATIO and peak < GOAL_MB else 'OVER'}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
