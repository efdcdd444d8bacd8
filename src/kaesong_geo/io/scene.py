"""Scenes and screenshots stored in a workspace as Cloud Optimized GeoTIFFs.

:func:`write_scene` clips a georeferenced raster (GeoTIFF, COG, JPEG2000, any GDAL raster of
:data:`~kaesong_geo.io.raster.RASTER_DRIVERS`) to a region, in the raster's own CRS and pixel
grid — no resampling, as ``gdal_translate -srcwin`` does: a VRT whose sources have a
``SrcRect``/``DstRect`` — and writes it with GDAL's COG driver (tiles, overviews, the IFDs
first: ``LAYOUT=COG``). :func:`write_screenshot` warps an image without georeference through
the ground control points of a :class:`~kaesong_geo.gcp.GcpFit` into the site's UTM zone and
writes it the same way. Both put the caller's tags (date, source, licence note ...) in the
GeoTIFF metadata and return a :class:`SceneInfo` read back from the written file.

Memory: a scene is never read whole. The COG driver streams the clip from the VRT through
GDAL's block cache (capped at :data:`~kaesong_geo.io.raster.GDAL_CACHE_MB`); the only pixel
reads here are a decimated read of the clip's validity mask (see ``benchmarks/bench_epochs.py``
for the peak memory of a 16,384² scene). A screenshot is read whole (screenshots are a few
megapixels; above :data:`MAX_SCREENSHOT_PIXELS` it is refused).

Progress: rasterio gives the COG driver no progress callback, so the bar counts the driver's
own stages (imagery overviews, mask overviews, final product), read from the debug messages
GDAL emits at each stage's start and end; it is shown when standard error is a terminal.

Output files are written under a temporary name in the destination's folder and renamed:
a refusal or failure leaves nothing at ``dst``.

Examples
--------
>>> import numpy as np, rasterio, tempfile
>>> from rasterio.transform import from_origin
>>> from kaesong_geo.site import KAESONG
>>> tmp = Path(tempfile.mkdtemp())
>>> with rasterio.open(tmp / "scene.tif", "w", driver="GTiff", width=400, height=400, count=1,
...                    dtype="uint8", crs="EPSG:32652",
...                    transform=from_origin(291_000, 4_201_000, 5, 5)) as out:
...     out.write(np.full((1, 400, 400), 7, dtype="uint8"))
>>> region = (126.640, 37.920, 126.645, 37.924)
>>> info = write_scene(tmp / "scene.tif", tmp / "clip.tif", site=KAESONG, region=region,
...                    tags={"date": "2013-06-20"}, progress=False)
>>> info.width, info.height, info.crs, info.resolution_m, info.tags["date"]
(89, 92, 'EPSG:32652', 5.0, '2013-06-20')
"""

from __future__ import annotations

import logging
import math
import os
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from kaesong_geo.errors import DataError
from kaesong_geo.io.raster import (
    georeference_problem,
    lonlat_bounds,
    network_problem,
    offline_env,
    open_raster,
)
from kaesong_geo.site import Site

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from kaesong_geo.gcp import GcpFit

__all__ = [
    "COG_OPTIONS",
    "DEFAULT_MARGIN_KM",
    "MAX_SCREENSHOT_PIXELS",
    "SceneInfo",
    "clip_region",
    "cog_options",
    "write_scene",
    "write_screenshot",
]

#: Margin (km) kept around the footprints (or the site) when a scene is clipped.
DEFAULT_MARGIN_KM = 1.0
#: Creation options of GDAL's COG driver for every scene and screenshot: 512-pixel tiles,
#: lossless DEFLATE, overviews down to one tile averaged, all cores.
COG_OPTIONS: dict[str, str] = {
    "BLOCKSIZE": "512",
    "COMPRESS": "DEFLATE",
    "OVERVIEWS": "AUTO",
    "OVERVIEW_RESAMPLING": "AVERAGE",
    "NUM_THREADS": "ALL_CPUS",
    "BIGTIFF": "IF_SAFER",
}
#: What to tell a user whose image has no georeference.
NO_GEOREFERENCE = (
    "has no georeference; for a screenshot give ground control points: "
    "epochs add DATE --image FILE --gcps FILE.points"
)
#: Largest screenshot (pixels) :func:`write_screenshot` warps: it reads the image whole
#: (about 10 bytes a pixel in all: 30 million pixels peak at about 450 MB).
MAX_SCREENSHOT_PIXELS = 30_000_000
# Largest side (pixels) of the decimated mask read that checks a clip is not all nodata.
_MASK_CHECK_SIZE = 1024


@dataclass(frozen=True)
class SceneInfo:
    """A written scene or screenshot, as read back from the file.

    Attributes
    ----------
    path : Path
    width, height, count : int
        Pixels and bands (an alpha band included).
    dtype : str
        ``"uint8"`` ...
    crs : str
        ``"EPSG:32652"`` (or a WKT when the CRS has no EPSG code).
    resolution_m : float
        Ground sample distance in metres, the mean of x and y, measured on the ellipsoid at
        the image's centre (so a Web Mercator or lon/lat raster gets its true size too).
    bounds_lonlat : tuple of float
        ``(west, south, east, north)`` in WGS 84 degrees.
    overviews : tuple of int
        Decimation factors of the overviews (``(2, 4, 8)``).
    tags : dict
        The GeoTIFF metadata (default domain): the caller's tags, and for a screenshot the
        ``gcp_*`` figures of its fit.
    """

    path: Path
    width: int
    height: int
    count: int
    dtype: str
    crs: str
    resolution_m: float
    bounds_lonlat: tuple[float, float, float, float]
    overviews: tuple[int, ...]
    tags: dict[str, str]


def clip_region(
    site: Site, geometries: Sequence[BaseGeometry], margin_km: float = DEFAULT_MARGIN_KM
) -> tuple[float, float, float, float]:
    """The lon/lat box a scene is clipped to: ``(west, south, east, north)``.

    The bounds of ``geometries`` (the footprints of all epochs and the new one, WGS 84)
    widened by ``margin_km`` on each side; with no geometries, the site's outline widened
    the same way, or, with no outline either, the box of ``margin_km`` on each side of the
    site's reference point (``2 * margin_km`` square). Margins are true distances on WGS 84
    (along the meridian, and along the parallel at the box's edge farthest from the
    equator); the box never reaches farther than ``radius_km`` from the reference point,
    north-south or east-west.

    Examples
    --------
    >>> from kaesong_geo.site import KAESONG
    >>> from shapely.geometry import box
    >>> w, s, e, n = clip_region(KAESONG, [box(126.62, 37.92, 126.65, 37.94)], margin_km=0.5)
    >>> round(w, 4), round(s, 4), round(e, 4), round(n, 4)
    (126.6143, 37.9155, 126.6557, 37.9445)
    >>> from pyproj import Geod
    >>> w, s, e, n = clip_region(KAESONG, [], margin_km=1.0)  # no footprint: 2 km square
    >>> geod = Geod(ellps="WGS84")
    >>> round(geod.inv(w, n, e, n)[2]), round(geod.inv(w, s, w, n)[2])
    (2000, 2000)
    """
    if not math.isfinite(margin_km) or margin_km < 0:
        raise ValueError(f"margin_km must be a finite number of km, 0 or more, got {margin_km!r}")
    shapes = [g for g in geometries if g is not None and not g.is_empty]
    if not shapes and site.outline is not None and not site.outline.is_empty:
        shapes = [site.outline]
    if shapes:
        w = min(g.bounds[0] for g in shapes)
        s = min(g.bounds[1] for g in shapes)
        e = max(g.bounds[2] for g in shapes)
        n = max(g.bounds[3] for g in shapes)
    else:
        w, s, e, n = site.lon, site.lat, site.lon, site.lat
    dlon, dlat = _degrees(margin_km * 1000.0, max(abs(s), abs(n)))
    rlon, rlat = _degrees(site.radius_km * 1000.0, site.lat)
    box = (
        max(w - dlon, site.lon - rlon),
        max(s - dlat, site.lat - rlat),
        min(e + dlon, site.lon + rlon),
        min(n + dlat, site.lat + rlat),
    )
    if box[0] >= box[2] or box[1] >= box[3]:  # geometries beyond the radius: the site's box
        box = (site.lon - rlon, site.lat - rlat, site.lon + rlon, site.lat + rlat)
    return box


def _degrees(metres: float, lat: float) -> tuple[float, float]:
    """Degrees of longitude (along the parallel at ``lat``) and latitude spanning ``metres``."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    lat = min(abs(lat), 89.0)
    per_lon = geod.inv(0.0, lat, 1.0, lat)[2]
    per_lat = geod.inv(0.0, lat - 0.5, 0.0, lat + 0.5)[2]
    return metres / per_lon, metres / per_lat


@contextmanager
def _output(dst: Path) -> Iterator[Path]:
    """A temporary path beside ``dst``, renamed to ``dst`` on success, removed on failure."""
    tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:8]}.tmp.tif")
    try:
        yield tmp
        os.replace(tmp, dst)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".ovr.tmp"), tmp.with_suffix(".tif.msk")):
            leftover.unlink(missing_ok=True)


class _StageBar(logging.Handler):
    """Advances a tqdm bar on the COG driver's ``Generating ...: end`` debug messages."""

    def __init__(self, bar: Any) -> None:
        super().__init__(logging.DEBUG)
        self.bar = bar

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "COG: Generating" not in text:
            return
        stage = text.split("COG: Generating", 1)[1].split(":")[0].strip()
        if text.rstrip().endswith("start"):
            self.bar.set_postfix_str(stage)
        else:
            self.bar.update(1)


def _dask_worker_threads() -> int | None:
    """The threads of the ``dask.distributed`` worker running this code, or None."""
    distributed = sys.modules.get("distributed")  # never imported for this
    if distributed is None:
        return None
    try:
        worker = distributed.get_worker()
    except ValueError:  # not in a worker
        return None
    threads = getattr(getattr(worker, "state", None), "nthreads", None)
    return int(threads) if threads else None


def cog_options() -> dict[str, str]:
    """:data:`COG_OPTIONS`, with GDAL's threads those of the Dask worker when run in one.

    A worker is given its share of the machine (``--nthreads``); GDAL encoding with every
    CPU in each of several workers would oversubscribe it, so, as ``dask.distributed`` limits
    OpenMP and BLAS threads in its workers, GDAL's ``NUM_THREADS`` is the worker's thread
    count there (the bytes written are the same).

    Examples
    --------
    >>> cog_options()["NUM_THREADS"]  # outside a Dask worker
    'ALL_CPUS'
    """
    options = dict(COG_OPTIONS)
    threads = _dask_worker_threads()
    if threads:
        options["NUM_THREADS"] = str(threads)
    return options


def _cog_copy(source: Any, dst: Path, desc: str, progress: bool | None) -> None:
    """``rasterio.shutil.copy(source, dst, driver="COG", **cog_options())`` with a stage bar."""
    import rasterio
    import rasterio.shutil
    from tqdm import tqdm

    disable = None if progress is None else not progress  # None: only on a terminal
    mask_stage = 0 if source.mask_flag_enums[0] == [rasterio.enums.MaskFlags.all_valid] else 1
    with tqdm(total=2 + mask_stage, desc=desc, unit="stage", disable=disable) as bar:
        if bar.disable:
            rasterio.shutil.copy(source, dst, driver="COG", **cog_options())
            return
        logger = logging.getLogger("rasterio._env")
        handler = _StageBar(bar)
        level, propagate = logger.level, logger.propagate
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False  # GDAL's debug chatter stays out of the user's logs
        try:
            with rasterio.Env(CPL_DEBUG="ON"):
                rasterio.shutil.copy(source, dst, driver="COG", **cog_options())
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate
        bar.update(bar.total - bar.n)


def _info(path: Path) -> SceneInfo:
    """Read a written COG back."""
    import rasterio

    with rasterio.open(path) as src:
        bounds = lonlat_bounds(src)
        assert bounds is not None  # written with a CRS and a geotransform
        epsg = src.crs.to_epsg()
        return SceneInfo(
            path=path,
            width=src.width,
            height=src.height,
            count=src.count,
            dtype=src.dtypes[0],
            crs=f"EPSG:{epsg}" if epsg else src.crs.to_wkt(),
            resolution_m=_ground_resolution(src),
            bounds_lonlat=bounds,
            overviews=tuple(src.overviews(1)),
            tags=dict(src.tags()),
        )


def _ground_resolution(src: Any) -> float:
    """Mean of the x and y pixel sizes in metres on WGS 84, at the raster's centre.

    The grid's own pixel size when its CRS is in metres and within 0.5 % of the ground (UTM
    and the like: 5 m, not 4.9994 m); measured on the ellipsoid otherwise (degrees, Web
    Mercator).
    """
    from pyproj import Geod, Transformer

    t = src.transform
    col, row = src.width / 2, src.height / 2
    pts = [t * (col, row), t * (col + 1, row), t * (col, row + 1)]
    to_ll = Transformer.from_crs(src.crs, "EPSG:4326", always_xy=True)
    lons, lats = to_ll.transform([p[0] for p in pts], [p[1] for p in pts])
    geod = Geod(ellps="WGS84")
    _, _, dx = geod.inv(lons[0], lats[0], lons[1], lats[1])
    _, _, dy = geod.inv(lons[0], lats[0], lons[2], lats[2])
    ground = (abs(dx) + abs(dy)) / 2
    grid = (math.hypot(t.a, t.d) + math.hypot(t.b, t.e)) / 2
    metres = src.crs.is_projected and src.crs.linear_units.lower() in ("metre", "meter", "m")
    if metres and abs(grid - ground) <= 0.005 * ground:
        return round(float(grid), 6)
    return round(float(ground), 6)


def _shown(bounds: tuple[float, float, float, float]) -> str:
    w, s, e, n = bounds
    return f"lon {w:.4f}..{e:.4f}, lat {s:.4f}..{n:.4f}"


def _window(src: Any, region: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """``(col_off, row_off, width, height)`` of the pixels of ``src`` covering ``region``.

    The region (lon/lat) is taken into the raster's CRS, densified, and every pixel it
    touches is kept (offsets rounded down, ends up); cut to the raster. Zero width or height
    when it does not meet the raster.
    """
    from rasterio.warp import transform_bounds

    x0, y0, x1, y1 = transform_bounds("EPSG:4326", src.crs, *region, densify_pts=21)
    inverse = ~src.transform
    corners = [inverse * (x, y) for x in (x0, x1) for y in (y0, y1)]
    eps = 1e-6  # a region edge on a grid line does not take the pixel beyond it
    c0 = max(0, math.floor(min(c for c, _ in corners) + eps))
    r0 = max(0, math.floor(min(r for _, r in corners) + eps))
    c1 = min(src.width, math.ceil(max(c for c, _ in corners) - eps))
    r1 = min(src.height, math.ceil(max(r for _, r in corners) - eps))
    return c0, r0, max(0, c1 - c0), max(0, r1 - r0)


def _vrt(src: Any, path: Path, window: tuple[int, int, int, int], tags: Mapping[str, str]) -> str:
    """A VRT of ``window`` of ``src``: ``gdal_translate -srcwin`` without the tool."""
    from rasterio.dtypes import _gdal_typename
    from rasterio.enums import ColorInterp, MaskFlags
    from rasterio.windows import Window

    col, row, width, height = window
    gt = src.window_transform(Window(col, row, width, height)).to_gdal()
    name = escape(str(path.resolve()))
    rect = (
        f'<SrcRect xOff="{col}" yOff="{row}" xSize="{width}" ySize="{height}"/>'
        f'<DstRect xOff="0" yOff="0" xSize="{width}" ySize="{height}"/>'
    )

    def source(band: str) -> str:
        return (
            f'<SimpleSource><SourceFilename relativeToVRT="0">{name}</SourceFilename>'
            f"<SourceBand>{band}</SourceBand>{rect}</SimpleSource>"
        )

    parts = [
        f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">',
        f"<SRS>{escape(src.crs.to_wkt())}</SRS>",
        f"<GeoTransform>{', '.join(repr(float(v)) for v in gt)}</GeoTransform>",
        "<Metadata>",
        *(f"<MDI key={quoteattr(str(k))}>{escape(str(v))}</MDI>" for k, v in tags.items()),
        "</Metadata>",
    ]
    for b in range(1, src.count + 1):
        interp = src.colorinterp[b - 1]
        parts.append(
            f'<VRTRasterBand dataType="{_gdal_typename(src.dtypes[b - 1])}" band="{b}">'
            f"<ColorInterp>{interp.name.capitalize()}</ColorInterp>"
        )
        parts += _band_description(src, b)
        nodata = src.nodatavals[b - 1]
        if nodata is not None:
            parts.append(
                f"<NoDataValue>{'nan' if math.isnan(nodata) else repr(nodata)}</NoDataValue>"
            )
        if interp == ColorInterp.palette:
            entries = src.colormap(b)
            parts.append("<ColorTable>")
            parts += [
                f'<Entry c1="{c[0]}" c2="{c[1]}" c3="{c[2]}" c4="{c[3]}"/>'
                for _, c in sorted(entries.items())
            ]
            parts.append("</ColorTable>")
        parts += [source(str(b)), "</VRTRasterBand>"]
    if MaskFlags.per_dataset in src.mask_flag_enums[0] and not any(
        MaskFlags.alpha in f or MaskFlags.nodata in f for f in src.mask_flag_enums
    ):  # an internal or .msk mask: carried as the VRT's mask band
        parts += [
            '<MaskBand><VRTRasterBand dataType="Byte">',
            source("mask,1"),
            "</VRTRasterBand></MaskBand>",
        ]
    parts.append("</VRTDataset>")
    return "".join(parts)


def _band_description(src: Any, band: int) -> list[str]:
    """VRT elements of a band's name, unit, scale and offset (those that are set).

    Carried into the clip so that its pixels mean what the scene's meant: a Sentinel-2 L2A
    scene of digital numbers with a scale of 1e-4 and bands named B02 ... stays one.

    Examples
    --------
    >>> from rasterio.io import MemoryFile
    >>> from rasterio.transform import from_origin
    >>> with MemoryFile() as mem:
    ...     with mem.open(driver="GTiff", width=2, height=2, count=1, dtype="uint16",
    ...                   crs="EPSG:32652", transform=from_origin(0, 0, 5, 5)) as ds:
    ...         ds.descriptions, ds.scales, ds.offsets = ("B04",), (1e-4,), (-0.1,)
    ...     with mem.open() as ds:
    ...         _band_description(ds, 1)
    ['<Description>B04</Description>', '<Offset>-0.1</Offset>', '<Scale>0.0001</Scale>']
    """
    parts = []
    description = src.descriptions[band - 1]
    if description:
        parts.append(f"<Description>{escape(description)}</Description>")
    unit = src.units[band - 1]
    if unit:
        parts.append(f"<UnitType>{escape(unit)}</UnitType>")
    offset, scale = float(src.offsets[band - 1]), float(src.scales[band - 1])
    if offset != 0.0 or scale != 1.0:
        parts += [f"<Offset>{offset!r}</Offset>", f"<Scale>{scale!r}</Scale>"]
    return parts


def open_georeferenced(path: Path, root: Path | None = None) -> Any:
    """Open a raster for clipping; DataError unless it has a CRS and a geotransform.

    A VRT's sources must lie within ``root`` (default: the VRT's own folder).
    """
    problem = network_problem(path, path.parent if root is None else root)
    if problem:
        raise DataError(problem, path=path)
    src = open_raster(path)
    try:
        why = georeference_problem(src)
        if why is None and src.crs is None:
            gcps, _ = src.gcps
            if gcps:
                why = (
                    f"is georeferenced by {len(gcps)} ground control points, not a "
                    "geotransform; warp it first (gdalwarp) or add it as a screenshot: "
                    "epochs add DATE --image FILE --gcps FILE.points"
                )
            elif not src.transform.is_identity and src.driver in ("PNG", "JPEG", "GIF", "BMP"):
                why = (  # a world file (.pgw, .jgw) alone
                    "has a geotransform (a world file) but no CRS, and GDAL reads no .prj "
                    "beside a PNG or JPEG; give the CRS in an .aux.xml (QGIS: Export > Save "
                    "As... GeoTIFF does it) or save it as a GeoTIFF"
                )
            elif not src.transform.is_identity:
                why = (
                    "has a geotransform but no CRS; set it (QGIS: Layer > Set CRS, then Export "
                    "> Save As...; or gdal_edit.py -a_srs EPSG:...)"
                )
            else:
                why = NO_GEOREFERENCE
        if why:
            raise DataError(why, path=path)
    except BaseException:
        src.close()
        raise
    return src


def write_scene(
    src: Path,
    dst: Path,
    *,
    site: Site,
    region: tuple[float, float, float, float],
    tags: Mapping[str, str],
    progress: bool | None = None,
    root: Path | None = None,
) -> SceneInfo:
    """Clip a georeferenced raster to ``region`` and write it to ``dst`` as a COG.

    Parameters
    ----------
    src : Path
        Any local GDAL raster with a CRS and a geotransform.
    dst : Path
        The COG to write (its folder must exist); replaced if it exists.
    site : Site
        For messages.
    region : tuple of float
        ``(west, south, east, north)`` in WGS 84 (see :func:`clip_region`). The clip keeps
        every pixel of ``src`` the region touches, in the raster's own CRS and grid, with no
        resampling; a raster covering only part of the region gives that part.
    tags : mapping of str to str
        Written in the GeoTIFF metadata (date, source, licence note ...).
    progress : bool, optional
        Show a progress bar of the COG driver's stages (default: when standard error is a
        terminal).
    root : Path, optional
        The folder a VRT's sources must lie within (default: the VRT's own folder; a stack
        of band files, :mod:`kaesong_geo.io.stack`, gives theirs).

    Returns
    -------
    SceneInfo
        Read back from ``dst``.

    Raises
    ------
    DataError
        Naming ``src``: not a readable local raster, no georeference (no CRS, no
        geotransform, ground control points only), not meeting the region, or nothing but
        nodata in the clip. Nothing is then left at ``dst``.
    """
    from rasterio.io import MemoryFile

    src, dst = Path(src), Path(dst)
    with offline_env():
        raster = open_georeferenced(src, root)
        with raster:
            window = _window(raster, region)
            width, height = window[2:]
            if width == 0 or height == 0:
                covers = lonlat_bounds(raster)
                shown = _shown(covers) if covers else "another place"
                raise DataError(
                    f"covers {shown}, not the {site.name} region {_shown(region)}: wrong CRS "
                    "or wrong image?",
                    path=src,
                )
            xml = _vrt(raster, src, window, tags)
        with MemoryFile(xml.encode("utf-8"), ext=".vrt") as mem, mem.open() as vrt:
            if _all_nodata(vrt):
                raise DataError(
                    f"has no data (only nodata or transparent pixels) in the {site.name} "
                    f"region {_shown(region)}",
                    path=src,
                )
            with _output(dst) as tmp:
                _cog_copy(vrt, tmp, f"writing {dst.name}", progress)
        return _info(dst)


def _all_nodata(dataset: Any) -> bool:
    """Whether every pixel of ``dataset`` is masked, from a decimated read of its mask."""
    from rasterio.enums import MaskFlags, Resampling

    if all(flags == [MaskFlags.all_valid] for flags in dataset.mask_flag_enums):
        return False
    scale = max(1.0, max(dataset.width, dataset.height) / _MASK_CHECK_SIZE)
    shape = (max(1, math.ceil(dataset.height / scale)), max(1, math.ceil(dataset.width / scale)))
    # Averaged: a read pixel is non-zero when any pixel it covers is valid.
    mask = dataset.dataset_mask(out_shape=shape, resampling=Resampling.average)
    return not bool(np.any(mask))


def _gdal_method(transform: str) -> dict[str, Any]:
    """GDAL transformer options of a :data:`~kaesong_geo.gcp.TRANSFORMS` name."""
    if transform == "tps":
        return {"SRC_METHOD": "GCP_TPS"}
    return {"SRC_METHOD": "GCP_POLYNOMIAL", "MAX_GCP_ORDER": int(transform[-1])}


def _fit_tags(fit: GcpFit) -> dict[str, str]:
    """The fit's figures, as stored with a screenshot."""
    worst = fit.worst()

    def fmt(v: float | None) -> str:
        return "" if v is None else f"{v:.3f}"

    return {
        "gcp_transform": fit.transform,
        "gcp_points": str(len(fit.points)),
        "gcp_rmse_m": fmt(fit.rmse_m),
        "gcp_rmse_px": fmt(fit.rmse_px),
        "gcp_loo_rmse_m": fmt(fit.loo_rmse_m),
        "gcp_loo_rmse_px": fmt(fit.loo_rmse_px),
        "gcp_worst": (
            f"pixel {worst.gcp.px:g},{worst.gcp.py:g} lon/lat {worst.gcp.lon:.6f},"
            f"{worst.gcp.lat:.6f}: residual {worst.residual_m:.2f} m, leave-one-out "
            f"{fmt(worst.loo_m) or '-'} m"
        ),
    }


def _mean_gsd_m(fit: GcpFit, utm_epsg: int) -> float:
    """Mean ground size of a pixel (m): the least-squares affine from pixels to UTM."""
    from pyproj import Transformer

    to_utm = Transformer.from_crs("EPSG:4326", utm_epsg, always_xy=True)
    px = np.array([[p.gcp.px, p.gcp.py, 1.0] for p in fit.points])
    xs, ys = to_utm.transform([p.gcp.lon for p in fit.points], [p.gcp.lat for p in fit.points])
    coef, *_ = np.linalg.lstsq(px, np.column_stack([xs, ys]), rcond=None)
    (a, d), (b, e) = coef[0], coef[1]  # x and y per column step; per row step
    return float((math.hypot(a, d) + math.hypot(b, e)) / 2)


def write_screenshot(
    image: Path,
    fit: GcpFit,
    dst: Path,
    *,
    site: Site,
    tags: Mapping[str, str],
    progress: bool | None = None,
) -> SceneInfo:
    """Warp a screenshot through the GCPs of ``fit`` into the site's UTM zone; write a COG.

    Parameters
    ----------
    image : Path
        A PNG, JPEG, TIFF ... (any georeference it has is ignored: the GCPs decide). An
        alpha band or a nodata value marks pixels to leave out.
    fit : GcpFit
        From :func:`kaesong_geo.gcp.fit_gcps`; ``poly1``/``poly2``/``poly3`` warp with GDAL's
        polynomial of that order, ``tps`` with its thin-plate spline.
    dst : Path
        The COG to write; replaced if it exists.
    site : Site
        Its UTM zone is the output CRS.
    tags : mapping of str to str
        Written in the GeoTIFF metadata, with the fit's figures (``gcp_transform``,
        ``gcp_points``, ``gcp_rmse_m``, ``gcp_rmse_px``, ``gcp_loo_rmse_m``,
        ``gcp_loo_rmse_px`` — empty when there are too few points —, ``gcp_worst``).
    progress : bool, optional
        Show a progress bar (default: when standard error is a terminal).

    Returns
    -------
    SceneInfo
        The output has square pixels at the screenshot's mean ground resolution (from the
        least-squares affine of the GCPs), a geotransform (no GCPs embedded), the colour
        bands (RGB or grey) and an alpha band: transparent outside the warped image and where
        the screenshot was transparent or nodata. Colours are resampled bilinearly.

    Raises
    ------
    DataError
        Naming ``image``: not a readable local raster, larger than
        :data:`MAX_SCREENSHOT_PIXELS`, or warped to nowhere near the site.
    """
    import rasterio
    from rasterio.control import GroundControlPoint
    from rasterio.enums import ColorInterp, Resampling
    from rasterio.warp import calculate_default_transform, reproject, transform_bounds
    from tqdm import tqdm

    image, dst = Path(image), Path(dst)
    problem = network_problem(image, image.parent)
    if problem:
        raise DataError(problem, path=image)
    gcps = [  # z given: rasterio would hand GDAL Z="None", and GDAL then drops every point
        GroundControlPoint(row=p.gcp.py, col=p.gcp.px, x=p.gcp.lon, y=p.gcp.lat, z=0.0)
        for p in fit.points
    ]
    method = _gdal_method(fit.transform)
    dst_crs = f"EPSG:{site.utm_epsg}"
    with offline_env():
        with open_raster(image) as src:
            if src.width * src.height > MAX_SCREENSHOT_PIXELS:
                raise DataError(
                    f"is {src.width:,} x {src.height:,} pixels; screenshots above "
                    f"{MAX_SCREENSHOT_PIXELS / 1e6:g} million pixels are not warped here (they "
                    "are read whole): georeference it in QGIS and add it with --imagery",
                    path=image,
                )
            interp = list(src.colorinterp)
            colour = [b for b in range(1, src.count + 1) if interp[b - 1] != ColorInterp.alpha]
            colour = colour[:3] if len(colour) >= 3 else colour[:1]
            bands = src.read(colour)
            mask = src.dataset_mask()
            width, height = src.width, src.height
            if interp[0] == ColorInterp.palette:  # an 8-bit PNG or GIF: colours, not indices
                bands, mask = _expand_palette(bands[0], src.colormap(1), mask)
                colour = [1, 2, 3]
        gsd = _mean_gsd_m(fit, site.utm_epsg)
        transform, dw, dh = calculate_default_transform(
            "EPSG:4326", dst_crs, width, height, gcps=gcps, resolution=(gsd, gsd), **method
        )
        covers = transform_bounds(dst_crs, "EPSG:4326", *_grid_bounds(transform, dw, dh))
        if not _near_site(covers, site):
            raise DataError(
                f"is placed by its ground control points at {_shown(covers)}, not within "
                f"{site.radius_km:g} km of the {site.name}: check the points' lon/lat",
                path=image,
            )
        out = np.zeros((len(colour) + 1, dh, dw), dtype=bands.dtype)
        disable = None if progress is None else not progress
        common = {
            "src_crs": "EPSG:4326",
            "gcps": gcps,
            "dst_transform": transform,
            "dst_crs": dst_crs,
            **method,
        }
        for k in tqdm(
            range(len(colour)), desc=f"warping {image.name}", unit="band", disable=disable
        ):
            reproject(bands[k], out[k], resampling=Resampling.bilinear, **common)
        # The mask is warped straight into the alpha band; no full-size temporaries (a
        # screenshot is held whole, so its copies count).
        reproject(mask, out[-1], resampling=Resampling.nearest, **common)
        valid = out[-1] > 0
        if not valid.any():
            raise DataError("has no data left after warping (all transparent)", path=image)
        out[:-1] *= valid
        np.putmask(out[-1], valid, np.iinfo(out.dtype).max if out.dtype.kind in "ui" else 1)
        del valid
        names = (
            [ColorInterp.red, ColorInterp.green, ColorInterp.blue]
            if len(colour) == 3
            else [ColorInterp.gray]
        )
        profile = {
            "driver": "GTiff",
            "width": dw,
            "height": dh,
            "count": len(colour) + 1,
            "dtype": out.dtype,
            "crs": dst_crs,
            "transform": transform,
            "tiled": True,
            "blockxsize": 512,
            "blockysize": 512,
        }
        del bands, mask
        all_tags = {**tags, **_fit_tags(fit)}
        # The warped image goes to a temporary GeoTIFF on disk (not in memory: that would hold
        # it twice), which the COG driver then copies.
        warped_path = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:8]}.warped.tif")
        try:
            with rasterio.open(warped_path, "w", **profile) as tmp_ds:
                tmp_ds.write(out)
                tmp_ds.colorinterp = [*names, ColorInterp.alpha]
                tmp_ds.update_tags(**all_tags)
            del out
            with rasterio.open(warped_path) as warped, _output(dst) as tmp:
                _cog_copy(warped, tmp, f"writing {dst.name}", progress)
        finally:
            warped_path.unlink(missing_ok=True)
        return _info(dst)


def _expand_palette(
    indices: np.ndarray, colormap: Mapping[int, tuple[int, ...]], mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """RGB bands and the mask of a palette image (a transparent entry masks its pixels).

    Examples
    --------
    >>> rgb, mask = _expand_palette(np.array([[0, 1]], dtype="uint8"),
    ...                             {0: (0, 0, 0, 0), 1: (200, 100, 50, 255)},
    ...                             np.full((1, 2), 255, dtype="uint8"))
    >>> rgb[:, 0, 1].tolist(), mask.tolist()
    ([200, 100, 50], [[0, 255]])
    """
    table = np.zeros((256, 4), dtype=np.uint8)
    table[:, 3] = 255
    for index, entry in colormap.items():
        if 0 <= index < 256:
            table[index, : len(entry)] = entry[:4]
    looked = table[indices]
    alpha = np.where(looked[..., 3] > 0, mask, 0).astype(np.uint8)
    return np.moveaxis(looked[..., :3], -1, 0).copy(), alpha


def _grid_bounds(transform: Any, width: int, height: int) -> tuple[float, float, float, float]:
    """``(left, bottom, right, top)`` of a north-up grid."""
    left, top = transform.c, transform.f
    return left, top + transform.e * height, left + transform.a * width, top


def _near_site(bounds: tuple[float, float, float, float], site: Site) -> bool:
    """Whether a lon/lat box meets the square of ``radius_km`` around the site's point."""
    w, s, e, n = bounds
    dlat = site.radius_km / 111.0
    dlon = dlat / max(0.01, math.cos(math.radians(site.lat)))
    return (
        w <= site.lon + dlon
        and site.lon - dlon <= e
        and s <= site.lat + dlat
        and site.lat - dlat <= n
    )
