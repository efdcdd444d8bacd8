"""Time and peak memory of extract_scene on a 16,384² RGB scene; a scene series on 1 and 2 workers.

The scenes are generated (3 m pixels, UTM 52N, centred on the Kaesong reference point; 3-band
uint8 RGB, tiled 512², DEFLATE, overviews), drawn window by window with numpy so that the
generation itself stays far below 500 MB: a patchwork of fields of varying greenness, some
forest, a grid of roads, villages (yards and roofs) here and there, a cloud, a smooth haze,
sensor noise, and an industrial zone of roofs, yards and streets at the centre (so that a
footprint is found). A 16,384² scene covers 49 km: what lies beyond the site's 20 km is
extracted and then dropped, as in a real scene.

1. Extraction: ``extract_scene(path, KAESONG, chunk_px=1024)`` (default ``threads``
   scheduler), against the baseline, a chunked read of the same file in the same run:
   ``rioxarray.open_rasterio(path, chunks={"band": -1, "y": 1024, "x": 1024}, lock=LOCK)
   .data.sum(dtype="uint64").compute(scheduler="threads")``, with the ``lock`` extract_scene
   reads with. Each in its own process (peak RSS from ``getrusage``), alternated, repeated
   ``--repeat`` times; the fastest run of each is compared. Both import their modules before
   the clock; the extraction also runs once on a 512² scene first (it loads some modules
   when first called, and its compiled code from numba's cache; that time is printed
   apart). Goal: at most 2x the read, peak RSS under 500 MB.
2. Series: ``--scenes`` generated scenes (``--scene-size``²; the zone grows from one to the
   next) in a STAC catalog (pystac), extracted on a ``LocalCluster`` of 1 worker, then of 2
   workers (1 thread each, processes, every worker warmed with ``client.run`` on a small
   scene before the clock starts; the runs alternate between the two clusters), the scenes
   read from the catalog, one task per scene
   (``extract_series`` when the library has it, else ``client.map(extract_scene, paths,
   scheduler="sync", pure=False)`` + ``as_completed``, which is what the series does; the
   output says which). Fastest of ``--repeat`` runs on each cluster; peak RSS of each worker;
   the CPU time of the benchmark's own process in each run (the client, which adds the epochs,
   and the clusters' schedulers): the part that does not spread over workers.
   Goal: 2 workers at most 0.6x the time of 1.

    python benchmarks/bench_extract.py [--size 16384 | --quick] [--repeat 2] [--scenes 6]
        [--scene-size 4096] [--only extract|series] [--keep DIR]

``--quick``: a 4,096² scene and a series of 6 scenes of 2,048². ``--keep DIR`` keeps the
generated scenes (and reuses them on the next run).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GOAL_RATIO = 2.0
GOAL_MB = 500.0
GOAL_SCALING = 0.6
PIXEL_M = 3.0
CHUNK_PX = 1024
#: The lock extract_scene opens the raster with (rioxarray: False = a rasterio handle per
#: thread, no lock); the baseline read must use the same, or the ratio compares locks.
LOCK = False
DRAW_PX = 512  # the generator draws and writes windows of this side (a multiple of 512)
GENERATE_CACHE_MB = 64  # GDAL's block cache while generating

CHILD_EXTRACT = """
import resource, sys, time
from kaesong_geo.io.scene_extract import extract_scene
from kaesong_geo.measure import geodesic_area_m2
from kaesong_geo.site import KAESONG
# a first call on a small scene loads what a process loads once (the modules extract_scene
# imports when first called, the compiled texture from numba's cache), as the read's modules
# are loaded before its clock; its time is reported apart
start = time.perf_counter()
try:  # the compiled texture loaded, as a 16,384² scene's extraction does by default
    extract_scene(sys.argv[4], KAESONG, chunk_px=int(sys.argv[2]), progress=False, compiled=True)
except TypeError:  # a version without the choice
    extract_scene(sys.argv[4], KAESONG, chunk_px=int(sys.argv[2]), progress=False)
first = time.perf_counter() - start
start = time.perf_counter()
result = extract_scene(sys.argv[1], KAESONG, chunk_px=int(sys.argv[2]), progress=False)
seconds = time.perf_counter() - start
geom = result.extraction.geometry
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, seconds, len(geom.geoms),
      geodesic_area_m2(geom) / 1e6, first)
"""

CHILD_READ = """
import resource, sys, time
import rioxarray
chunk = int(sys.argv[2])
lock = {"False": False, "None": None, "True": True}[sys.argv[3]]
start = time.perf_counter()
a = rioxarray.open_rasterio(sys.argv[1], chunks={"band": -1, "y": chunk, "x": chunk}, lock=lock)
total = int(a.data.sum(dtype="uint64").compute(scheduler="threads"))
seconds = time.perf_counter() - start
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, seconds, total, 0)
"""

CHILD_READ_WINDOWS = """
import resource, sys, time
import dask, numpy as np
from kaesong_geo.io.scene_extract import SceneWindows
start = time.perf_counter()
scene = SceneWindows(sys.argv[1], int(sys.argv[2]))
rows, cols = (np.cumsum((0,) + scene.chunks[axis]).tolist() for axis in (1, 2))
def chunk_sum(r0, r1, c0, c1):
    return int(scene.read(r0, r1, c0, c1).sum(dtype="uint64"))
parts = [dask.delayed(chunk_sum)(r0, r1, c0, c1) for r0, r1 in zip(rows[:-1], rows[1:])
         for c0, c1 in zip(cols[:-1], cols[1:])]
total = sum(dask.compute(*parts, scheduler="threads"))
seconds = time.perf_counter() - start
scene.close()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, seconds, total, 0)
"""


# --- the generated scenes ---------------------------------------------------------------

#: Reflectance-like colours (red, green, blue) of each cover; scaled to 0..255 when written.
COLOURS = {
    "field": (0.05, 0.09, 0.04),
    "soil": (0.22, 0.17, 0.12),
    "forest": (0.04, 0.07, 0.035),
    "yard": (0.20, 0.19, 0.18),
    "roof": (0.32, 0.31, 0.30),
    "roof_dark": (0.15, 0.14, 0.13),
    "road": (0.11, 0.10, 0.09),
    "cloud": (0.60, 0.61, 0.62),
}
SCALE = 255 / 0.7
#: The zone at the centre (pixels from the scene centre: rows, cols) in the first scene; later
#: scenes of a series widen it eastwards by ``GROWTH_PX`` each.
ZONE = (-200, 200, -300, 100)
GROWTH_PX = 60
VILLAGE_CELL = 1500  # one village at most per cell of this side (pixels)


def _hash(*parts: Any) -> Any:
    """A 64-bit integer mix of integer arrays (deterministic, no period in a scene)."""
    import numpy as np

    h = np.uint64(0x9E3779B97F4A7C15)
    for k, p in enumerate(parts):
        h = h ^ (np.asarray(p).astype(np.uint64) + np.uint64(0x632BE59BD9B4E019 + k))
        h = h * np.uint64(0xBF58476D1CE4E5B9)
        h = h ^ (h >> np.uint64(31))
        h = h * np.uint64(0x94D049BB133111EB)
        h = h ^ (h >> np.uint64(29))
    return h


def _uniform(*parts: Any) -> Any:
    """Floats in [0, 1) from :func:`_hash`."""
    import numpy as np

    return (_hash(*parts) >> np.uint64(11)).astype(np.float64) / float(2**53)


def _built(yy: Any, xx: Any, inside: Any, salt: int, cover: Any, code: dict[str, int]) -> None:
    """Yards, roofs (3-10 px, bright or dark, in cells of 14 px) and streets where ``inside``."""
    import numpy as np

    cell = 14
    cy, cx = yy // cell, xx // cell
    u = _uniform(cy, cx, salt)
    h = 3 + (_uniform(cy, cx, salt + 1) * 8).astype(np.int64)
    w = 3 + (_uniform(cy, cx, salt + 2) * 8).astype(np.int64)
    oy, ox = yy % cell - 2, xx % cell - 2
    roof = inside & (u < 0.75) & (oy >= 0) & (oy < h) & (ox >= 0) & (ox < w)
    street = inside & ((yy % 100) < 2)
    cover[inside] = code["yard"]
    cover[roof] = np.where(u[roof] < 0.5, code["roof"], code["roof_dark"])
    cover[street] = code["road"]


def draw(row: int, col: int, h: int, w: int, size: int, scene: int = 0) -> Any:
    """The window (row, col, h, w) of scene number ``scene``, as uint8 (3, h, w)."""
    import numpy as np

    names = list(COLOURS)
    code = {n: i for i, n in enumerate(names)}
    yy, xx = np.mgrid[row : row + h, col : col + w].astype(np.int64)
    # fields: plots of about 160 x 110 m, of varying greenness, some forest
    py, px = yy // 37, (xx + 17 * (yy // 37)) // 53
    green = 0.85 + 0.15 * _uniform(py, px, 1)
    cover = np.where(_uniform(py, px, 2) < 0.15, code["forest"], code["field"]).astype(np.int8)
    # villages: one in some cells of VILLAGE_CELL px, 40-110 px across
    vy, vx = yy // VILLAGE_CELL, xx // VILLAGE_CELL
    has = _uniform(vy, vx, 3) < 0.3
    half = 20 + (_uniform(vy, vx, 4) * 35).astype(np.int64)
    dy = np.abs(yy % VILLAGE_CELL - VILLAGE_CELL // 2)
    dx = np.abs(xx % VILLAGE_CELL - VILLAGE_CELL // 2)
    village = has & (dy < half) & (dx < half)
    # the zone at the centre, growing from scene to scene
    c = size // 2
    zone = (yy >= c + ZONE[0]) & (yy < c + ZONE[1]) & (xx >= c + ZONE[2])
    zone &= xx < c + ZONE[3] + GROWTH_PX * scene
    _built(yy, xx, village | zone, 10 + scene, cover, code)
    # roads: a grid, 3 px wide, and one leading to the zone
    road = ((yy % 2311) < 3) | ((xx % 1709) < 3)
    road |= (xx >= c - 200) & (xx < c - 197) & (yy >= c + ZONE[1]) & (yy < c + 2311 - c % 2311)
    cover[road] = code["road"]
    colours = np.array([COLOURS[n] for n in names])  # (covers, 3)
    rgb = colours[cover].transpose(2, 0, 1)  # (3, h, w)
    field = cover == code["field"]
    mix = (1 - green[field]) * 0.8
    rgb[:, field] = rgb[:, field] * (1 - mix) + np.array(COLOURS["soil"])[:, None] * mix
    # haze: smooth, stronger in blue
    haze = 0.02 * (1 + np.sin(xx / 2900.0 + scene) * np.cos(yy / 2300.0))
    rgb += np.array([0.6, 0.8, 1.0])[:, None, None] * haze
    # the texture of the ground (crops, canopy, gravel), then a cloud north-west of the
    # centre that hides it, then a little sensor noise
    rgb += (_uniform(yy, xx, 5 + scene) + _uniform(yy, xx, 6) - 1.0) * 0.006
    cy, cx = c - 1400 - 100 * scene, c - 1600
    alpha = 0.95 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 250.0**2))
    rgb = rgb * (1 - alpha) + np.array(COLOURS["cloud"])[:, None, None] * alpha
    rgb += (_uniform(yy, xx, 7 + scene) - 0.5) * 0.004
    return np.clip(np.round(rgb * SCALE), 0, 255).astype(np.uint8)


def make_scene(path: Path, size: int, scene: int = 0) -> Path:
    """Write scene number ``scene`` as a size² GeoTIFF, window by window, with overviews."""
    import rasterio
    from pyproj import Transformer
    from rasterio.enums import ColorInterp, Resampling
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    from kaesong_geo.site import KAESONG

    x, y = Transformer.from_crs(4326, KAESONG.utm_epsg, always_xy=True).transform(
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
        "transform": from_origin(round(x - half), round(y + half), PIXEL_M, PIXEL_M),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    part = path.with_name(path.name + ".part")
    # a small GDAL block cache: the default (5 % of RAM) would hold the written tiles
    with rasterio.Env(GDAL_CACHEMAX=GENERATE_CACHE_MB), rasterio.open(part, "w", **profile) as dst:
        dst.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue]
        for row in range(0, size, DRAW_PX):
            for col in range(0, size, DRAW_PX):
                h, w = min(DRAW_PX, size - row), min(DRAW_PX, size - col)
                dst.write(draw(row, col, h, w, size, scene), window=Window(col, row, w, h))
    factors = [f for f in (2, 4, 8, 16, 32, 64) if size // f >= 256]
    with rasterio.Env(GDAL_CACHEMAX=GENERATE_CACHE_MB), rasterio.open(part, "r+") as dst:
        dst.build_overviews(factors, Resampling.average)
    part.replace(path)
    return path


def _generate(path: Path, size: int, scene: int) -> float:
    """:func:`make_scene` (in a process of its own); its peak RSS in MB."""
    make_scene(path, size, scene)
    return _peak_mb()


def scene_file(folder: Path, name: str, size: int, scene: int = 0) -> Path:
    """The scene in ``folder``, generated unless already there."""
    path = folder / f"{name}-{size}.tif"
    if not path.is_file():
        # In a fresh process: a child's peak RSS starts at its parent's (Linux keeps the
        # high-water mark across fork and exec), so this one must stay small.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        start = time.perf_counter()
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            mb = pool.submit(_generate, path, size, scene).result()
        print(
            f"generated {path.name}: {size:,}² ({size * PIXEL_M / 1000:.1f} km), "
            f"{path.stat().st_size / 1e6:,.0f} MB on disk, in {time.perf_counter() - start:.0f} s, "
            f"peak RSS {mb:.0f} MB",
            flush=True,
        )
    return path


# --- part 1: one large scene ---------------------------------------------------------------


def run_child(child: str, args: list[str]) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", child, *args], capture_output=True, text=True, env=dict(os.environ)
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    return [float(v) for v in out.stdout.split()]


def bench_extract(scene: Path, warm: Path, size: int, repeat: int) -> bool:
    import importlib.util

    best: dict[str, tuple[float, float]] = {}
    children = [("read", CHILD_READ), ("read-win", CHILD_READ_WINDOWS), ("extract", CHILD_EXTRACT)]
    if importlib.util.find_spec("rioxarray") is None:  # in the 'test' extra, not in 'scale'
        print("  (rioxarray is not installed: the windows' read alone is the baseline)")
        children = children[1:]
    for k in range(repeat):
        for label, child in children:
            mb, seconds, a, b, *first = run_child(
                child, [str(scene), str(CHUNK_PX), str(LOCK), str(warm)]
            )
            what = f"{int(a)} polygons, {b:.2f} km²" if label == "extract" else f"sum {int(a):,}"
            if first:
                what += f"; first call on {warm.name} before the clock {first[0]:.2f} s"
            print(
                f"  {label:8s} run {k + 1}: {seconds:7.2f} s, peak RSS {mb:5.0f} MB ({what})",
                flush=True,
            )
            old = best.get(label, (float("inf"), 0.0))
            best[label] = (min(seconds, old[0]), max(mb, old[1]))
    # the baseline is the faster of the two reads: rioxarray's, and the windows extract_scene
    # reads through (its chunks' reads are part of its own tasks)
    read = min((k for k in ("read", "read-win") if k in best), key=lambda k: best[k][0])
    ratio = best["extract"][0] / best[read][0]
    peak = best["extract"][1]
    ok = ratio <= GOAL_RATIO and peak < GOAL_MB
    print(
        f"extract_scene / chunked read ({size:,}², chunks {CHUNK_PX}, threads; the faster read, "
        f"{read}): {best['extract'][0]:.2f} s / {best[read][0]:.2f} s = {ratio:.2f}x "
        f"(goal <= {GOAL_RATIO:g}x); peak RSS {peak:.0f} MB vs {best[read][1]:.0f} MB for "
        f"the read (goal < {GOAL_MB:.0f} MB): {'OK' if ok else 'OVER'}",
        flush=True,
    )
    return ok


# --- part 2: a series on 1 and 2 workers ------------------------------------------------------


def make_catalog(folder: Path, scenes: list[Path]) -> Path:
    """A STAC catalog of the scenes (one item each, a year apart, eo bands red/green/blue)."""
    from datetime import datetime

    import pystac
    from pystac.extensions.eo import Band, EOExtension

    cat = pystac.Catalog(id="bench-extract", description="generated scenes (bench_extract.py)")
    for i, tif in enumerate(scenes):
        item = pystac.Item(
            id=tif.stem, geometry=None, bbox=None, datetime=datetime(2005 + i, 6, 1), properties={}
        )
        item.add_asset(
            "image",
            pystac.Asset(
                href=str(tif.resolve()), media_type=pystac.MediaType.GEOTIFF, roles=["data"]
            ),
        )
        EOExtension.ext(item.assets["image"], add_if_missing=True).bands = [
            Band.create(name=n, common_name=n) for n in ("red", "green", "blue")
        ]
        cat.add_item(item)
    root = folder / "catalog"
    cat.normalize_hrefs(str(root))
    cat.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    return root / "catalog.json"


def catalog_scenes(catalog: Path) -> list[Path]:
    """The data assets of every item of the catalog, in item order."""
    import pystac

    cat = pystac.read_file(str(catalog))
    assert isinstance(cat, pystac.Catalog)
    return [
        Path(asset.get_absolute_href() or "")
        for item in cat.get_items(recursive=True)
        for asset in item.get_assets(role="data").values()
    ]


def _extract_one(path: str) -> tuple[str, int, float]:
    """One scene, on one worker, its chunks one after the other (scheduler="sync")."""
    import inspect

    from kaesong_geo.io.scene_extract import extract_scene
    from kaesong_geo.measure import geodesic_area_m2
    from kaesong_geo.site import KAESONG

    # compiled, as extract_series asks (when the library has the choice)
    has_choice = "compiled" in inspect.signature(extract_scene).parameters
    options = {"compiled": True} if has_choice else {}
    result = extract_scene(
        path, KAESONG, chunk_px=CHUNK_PX, scheduler="sync", progress=False, **options
    )
    geom = result.extraction.geometry
    return Path(path).name, len(geom.geoms), geodesic_area_m2(geom) / 1e6


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def has_extract_series() -> bool:
    """Whether the library has ``kaesong_geo.io.series.extract_series`` (issue #9 part 3)."""
    import importlib.util

    return importlib.util.find_spec("kaesong_geo.io.series") is not None


def _series_map(client: Any, catalog: Path, workspace: Path) -> list[tuple[str, str]]:
    """What the series does, without the epochs: one task per scene, as they complete."""
    from distributed import as_completed

    paths = [str(p) for p in catalog_scenes(catalog)]
    futures = client.map(_extract_one, paths, pure=False)
    done = [f.result() for f in as_completed(futures, loop=client.loop)]
    return sorted((name, f"{polygons} polygons, {km2:.2f} km²") for name, polygons, km2 in done)


def _series_library(
    client: Any, catalog: Path, workspace: Path, with_imagery: bool = True
) -> list[tuple[str, str]]:
    """``extract_series`` on the (warmed) cluster of ``client``, into a new workspace."""
    import warnings

    from kaesong_geo.errors import SuspectExtractionWarning
    from kaesong_geo.io import series
    from kaesong_geo.io.workspace import make_workspace
    from kaesong_geo.site import KAESONG

    workers = len(client.scheduler_info(n_workers=-1)["workers"])
    ws = make_workspace(workspace, site=KAESONG)
    with warnings.catch_warnings():  # the generated zone is one large polygon: said once
        warnings.simplefilter("ignore", SuspectExtractionWarning)
        result = series.extract_series(
            catalog,
            ws,
            scheduler=client.scheduler.address,
            n_workers=workers,
            progress=False,
            with_imagery=with_imagery,
        )
    return sorted(
        (s.id, f"{s.status}, {s.area_m2 / 1e6:.2f} km²" if s.area_m2 else f"{s.status} {s.message}")
        for s in result.scenes
    )


def run_series(
    series: Any, catalog: Path, warm: Path, repeat: int, scratch: Path
) -> dict[int, tuple[float, list[float], list[tuple[str, str]]]]:
    """Fastest time of ``repeat`` series runs on LocalClusters of 1 and of 2 workers.

    Both clusters are started (and warmed) first; the runs alternate between them (1, 2, 1,
    2...), so that a load elsewhere on the machine falls on both alike.
    """
    from contextlib import ExitStack

    from distributed import Client, LocalCluster

    clients = {}
    best = {1: float("inf"), 2: float("inf")}
    results: dict[int, list[tuple[str, str]]] = {}
    with ExitStack() as stack:
        for workers in (1, 2):
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    silence_logs=logging.CRITICAL,
                    local_directory=str(scratch),
                )
            )
            client = stack.enter_context(Client(cluster, set_as_default=False))
            client.wait_for_workers(workers, timeout=60)
            client.run(_extract_one, str(warm))  # every worker: imports, GDAL, a first file
            clients[workers] = client
        for k in range(repeat):
            for workers, client in clients.items():
                start, cpu = time.perf_counter(), time.process_time()
                results[workers] = series(client, catalog, scratch / f"ws-{workers}-{k}")
                seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
                print(
                    f"  {workers} worker(s) run {k + 1}: {seconds:6.2f} s (CPU of this "
                    f"process, the client and the schedulers: {cpu:5.2f} s)",
                    flush=True,
                )
                best[workers] = min(best[workers], seconds)
        peaks = {w: sorted(c.run(_peak_mb).values()) for w, c in clients.items()}
    return {w: (best[w], peaks[w], results[w]) for w in (1, 2)}


def bench_series(
    folder: Path, n: int, size: int, repeat: int, scratch: Path, how: str = "library"
) -> bool:
    """The series on 1 then 2 workers; ``how``: library, library-no-imagery or map."""
    from functools import partial

    scenes = [scene_file(folder, f"series-{i}", size, scene=i) for i in range(n)]
    warm = scene_file(folder, "warm", 512)
    catalog = make_catalog(folder, scenes)
    series: Any = _series_map
    if how.startswith("library") and not has_extract_series():
        how = "map (no extract_series in this tree)"
    elif how.startswith("library"):
        series = partial(_series_library, with_imagery=how == "library")
    how = {
        "library": "kaesong_geo.io.series.extract_series into a new workspace (each scene "
        "added as an epoch with its image clipped), on the warmed cluster's address",
        "library-no-imagery": "kaesong_geo.io.series.extract_series into a new workspace, "
        "with_imagery=False, on the warmed cluster's address",
    }.get(
        how,
        f"{how}: client.map(extract_scene, ..., "
        'scheduler="sync", pure=False) + as_completed, one task per scene, no epochs added',
    )
    print(f"series: {n} scenes of {size:,}² in {catalog}\n  ({how})", flush=True)
    times: dict[int, float] = {}
    outputs = []
    for workers, (seconds, peaks, results) in run_series(
        series, catalog, warm, repeat, scratch
    ).items():
        times[workers] = seconds
        outputs.append(results)
        print(
            f"  {workers} worker(s): {seconds:.2f} s, peak RSS per worker "
            f"{', '.join(f'{p:.0f}' for p in peaks)} MB",
            flush=True,
        )
    for name, what in outputs[0]:
        print(f"    {name}: {what}")
    same = outputs[0] == outputs[1]
    ratio = times[2] / times[1]
    ok = ratio <= GOAL_SCALING and same
    print(
        f"series on 2 workers / 1 worker: {times[2]:.2f} s / {times[1]:.2f} s = {ratio:.2f}x "
        f"(goal <= {GOAL_SCALING:g}x){'' if same else ', results DIFFER'}: "
        f"{'OK' if ok else 'OVER'}",
        flush=True,
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=16_384, help="side of the large scene")
    parser.add_argument("--quick", action="store_true", help="4,096² and a series of 2,048²")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each (fastest counts)")
    parser.add_argument("--scenes", type=int, default=6, help="scenes in the series")
    parser.add_argument("--scene-size", type=int, default=4096, help="side of each")
    parser.add_argument("--only", choices=("extract", "series"))
    parser.add_argument(
        "--series",
        choices=("library", "library-no-imagery", "map"),
        default="library",
        help="extract_series with the scenes' images (default, the headline), without them, "
        "or extract_scene tasks only",
    )
    parser.add_argument("--keep", help="folder to keep the generated scenes in (reused if there)")
    args = parser.parse_args()
    if args.quick:
        args.size, args.scene_size = 4096, 2048

    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if args.only != "series":
            scene = scene_file(folder, "scene", args.size)
            warm = scene_file(folder, "warm", 512)
            ok &= bench_extract(scene, warm, args.size, args.repeat)
        if args.only != "extract":
            scratch = Path(tmp) / "dask"
            scratch.mkdir()
            ok &= bench_series(
                folder, args.scenes, args.scene_size, args.repeat, scratch, args.series
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
