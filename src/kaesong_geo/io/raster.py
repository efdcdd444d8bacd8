r"""Read a georeferenced image (GeoTIFF, COG, or any GDAL raster) as a web-map overlay.

The image is warped to Web Mercator (EPSG:3857), the grid Leaflet draws in, so that an
overlay placed by its corner coordinates lines up with the basemap; that is the only use
of Web Mercator in kaesong-geo (no area is ever computed in it). An image across the
antimeridian is warped to the same grid centred on 180°, its corners given with the east
beyond 180° (as Leaflet draws them). Images georeferenced by ground control points (a
screenshot with GCPs) are warped from their GCPs.

Memory: a large raster is read at the size the map needs, never at full resolution. Each
band and the validity mask are read with ``out_shape`` at about twice the output resolution,
averaging (GDAL then uses the file's overviews when it has them, else reads the image in
chunks through a block cache capped at :data:`GDAL_CACHE_MB`), and only that small array is
warped. A 100,000 x 100,000 image peaks at about 330 MB (64 of them the block cache), like a
30,000 x 30,000 one (see ``benchmarks/bench_raster.py``).

No network: GDAL must not touch the network for a data file. :func:`network_problem` refuses
a file that would make it (a VRT whose sources are ``/vsicurl/``, ``/vsis3/``, ``http://`` ...
or lie outside the imagery folder, an XML service description such as ``<GDAL_WMS>``);
rasters are opened only with the drivers of :data:`RASTER_DRIVERS` and inside
:func:`offline_env`, which points GDAL's HTTP at a closed local port, lets ``/vsicurl/``
see no file, and forbids Python code in VRTs.

Examples
--------
>>> import numpy as np, rasterio, tempfile, pathlib
>>> from rasterio.transform import from_origin
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.tif"
>>> with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8",
...                    crs="EPSG:32652", transform=from_origin(292000, 4202000, 250, 250)) as dst:
...     dst.write(np.arange(16, dtype="uint8").reshape(1, 4, 4))
>>> ov = read_overlay(path)
>>> ov.png[:8] == b"\x89PNG\r\n\x1a\n", [round(v, 3) for v in ov.bounds[0]]
(True, [37.933, 126.633])
"""

from __future__ import annotations

import math
import os
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kaesong_geo.errors import DataError

__all__ = [
    "GDAL_CACHE_MB",
    "OFFLINE_GDAL_OPTIONS",
    "RASTER_DRIVERS",
    "Overlay",
    "georeference_problem",
    "lonlat_bounds",
    "network_problem",
    "offline_env",
    "open_raster",
    "read_overlay",
]

#: GDAL raster drivers a data file may be opened with: local file formats only (no WMS,
#: WMTS, WCS, HTTP, EEDA ... drivers, which fetch from the network by design).
RASTER_DRIVERS = (
    "GTiff", "VRT", "JPEG", "PNG", "JP2OpenJPEG", "WEBP", "GIF", "BMP", "HFA", "ENVI",
    "NITF", "ERS", "GPKG", "PCIDSK", "ISIS3", "PDS4", "SAFE", "SENTINEL2", "netCDF",
)  # fmt: skip
#: GDAL's block cache while reading imagery, in MB (GDAL's default is 5 % of the RAM).
GDAL_CACHE_MB = 64
#: GDAL configuration options under which data files are opened.
OFFLINE_GDAL_OPTIONS: dict[str, Any] = {
    # Any HTTP(S)/FTP request GDAL would make goes to a closed local port and fails at once.
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTPS_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_TIMEOUT": 1,
    "GDAL_HTTP_CONNECTTIMEOUT": 1,
    "GDAL_HTTP_MAX_RETRY": 0,
    # /vsicurl/ tests only files with these endings for existence: none.
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".kaesong-geo-offline",
    # A VRT may not run Python code (derived bands).
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    # In bytes: rasterio hands an integer to GDALSetCacheMax64 (a bare 64 was a 64-byte cache,
    # which made every block be read again for each request: 60x slower from a JPEG2000).
    "GDAL_CACHEMAX": GDAL_CACHE_MB * 1024 * 1024,
}
# A name that GDAL would resolve over the network: a URL scheme or a network /vsi handler.
_NETWORK = re.compile(
    r"(?i)([a-z][a-z0-9+.-]*://|/vsi(curl|s3|gs|az|adls|oss|swift|webhdfs|hdfs)\w*/"
    r"|^(WMS|WMTS|WCS|EEDA|EEDAI|PLScenes|DAAS|NGW|OGCAPI|STACIT|STACTA):)"
)
# VRT elements holding free text (a WKT may quote a URL) rather than names GDAL opens.
_FREE_TEXT = {"SRS", "MDI", "Description", "Metadata", "CategoryNames", "Category"}
_MAX_VRT_BYTES = 50_000_000
_MAX_VRT_DEPTH = 8


@contextmanager
def offline_env() -> Iterator[None]:
    """A :class:`rasterio.Env` in which GDAL cannot fetch anything (see the module docstring)."""
    import rasterio

    with rasterio.Env(**OFFLINE_GDAL_OPTIONS):
        yield


def network_problem(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str | None:
    """Why opening ``path`` could make GDAL touch the network or leave ``root``, or None.

    A VRT is parsed (never opened by GDAL for this): every source, attribute and text that
    names a URL or a network ``/vsi`` handler is refused, and every local source must lie
    inside ``root`` (symbolic links resolved) and pass the same check. Any other XML file
    (``<GDAL_WMS>``, ``<GDAL_WMTS>``, ``<WCS_GDAL>`` service descriptions) is refused.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> vrt = root / "remote.vrt"
    >>> _ = vrt.write_text('<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand band="1">'
    ...     '<SimpleSource><SourceFilename>/vsicurl/https://example.com/a.tif</SourceFilename>'
    ...     '</SimpleSource></VRTRasterBand></VRTDataset>')
    >>> network_problem(vrt, root)  # doctest: +ELLIPSIS
    "refers to '/vsicurl/https://example.com/a.tif' over the network; GDAL may read local..."
    """
    return _network_problem(Path(path), Path(root).resolve(), 0)


def _network_problem(path: Path, root: Path, depth: int) -> str | None:
    try:
        with path.open("rb") as fh:
            head = fh.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if not head.startswith(b"<"):
        return None  # a binary raster (GeoTIFF, JPEG ...) names no other file
    if not head.startswith(b"<VRTDataset") and not (
        head.startswith(b"<?xml") and b"<VRTDataset" in head
    ):
        return "is an XML service description or unknown XML, not an image; refused"
    if depth > _MAX_VRT_DEPTH:
        return f"nests VRTs more than {_MAX_VRT_DEPTH} deep"
    if path.stat().st_size > _MAX_VRT_BYTES:
        return f"is a VRT larger than {_MAX_VRT_BYTES:,} bytes"
    try:
        tree = ET.parse(path)
    except (ET.ParseError, OSError) as exc:
        return f"is not a readable VRT: {exc}"
    for element in tree.iter():
        if element.tag in _FREE_TEXT:
            continue
        for text in [element.text or "", *element.attrib.values()]:
            if _NETWORK.search(text.strip()):
                return (
                    f"refers to {text.strip()!r} over the network; GDAL may read local files only"
                )
    for element in tree.iter():
        if element.tag not in ("SourceFilename", "SourceDataset"):
            continue
        name = (element.text or "").strip()
        if not name:
            continue
        if name.startswith("/vsi") or ":" in name:
            return f"refers to {name!r}, which is not a plain local file; refused"
        relative = element.get("relativeToVRT", "0") == "1"
        if not relative and not Path(name).is_absolute():
            # GDAL would resolve it against the current directory, wherever that is.
            return f'refers to {name!r} without relativeToVRT="1"; refused'
        source = path.parent / name if relative else Path(name)
        resolved = source.resolve()
        if not resolved.is_relative_to(root):
            return f"refers to {name!r}, outside {root}; refused"
        if not resolved.is_file():
            return f"refers to {name!r}, which is not a file"
        inner = _network_problem(resolved, root, depth + 1)
        if inner:
            return f"refers to {name!r}, which {inner}"
    return None


def open_raster(path: str | os.PathLike[str]) -> Any:
    """Open a raster for reading; refuse it unless its driver is in :data:`RASTER_DRIVERS`.

    Call it inside :func:`offline_env`, after :func:`network_problem`.

    Raises
    ------
    DataError
        GDAL cannot read it.
    """
    import rasterio

    p = Path(path)
    try:
        with warnings.catch_warnings():
            # Georeferencing is checked by the callers, with a clearer message.
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            src = rasterio.open(p)
    except rasterio.errors.RasterioIOError as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read as a raster: {text}", path=p) from None
    if src.driver not in RASTER_DRIVERS:
        src.close()
        raise DataError(
            f"is a {src.driver} dataset, not a local image format; refused (GDAL may read "
            "local files only)",
            path=p,
        )
    return src


def georeference_problem(src: Any) -> str | None:
    """Why an open raster with a CRS cannot be placed, or None.

    A CRS without a geotransform (a PNG or JPEG whose ``.aux.xml`` gives an SRS but with no
    world file beside it) says which CRS but not where: GDAL then hands out the identity
    transform, pixel numbers taken as coordinates. Rasters without a CRS are the callers'
    business (they may have ground control points).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from affine import Affine
    >>> png = SimpleNamespace(crs="EPSG:32652", transform=Affine.identity(), gcps=([], None),
    ...                       name="shot.png")
    >>> georeference_problem(png)  # doctest: +ELLIPSIS
    'has a CRS but no geotransform (no world file such as shot.pgw beside it)...'
    """
    from affine import Affine

    if src.crs is None or src.transform != Affine.identity() or src.gcps[0]:
        return None
    name = Path(str(src.name))
    world = ""
    if name.suffix:
        ext = name.suffix[1:]
        world = f" such as {name.stem}.{ext[0]}{ext[-1]}w" if len(ext) >= 2 else ""
    return (
        f"has a CRS but no geotransform (no world file{world} beside it); georeference it, "
        "or for a screenshot give ground control points: "
        "epochs add DATE --image FILE --gcps FILE.points"
    )


def lonlat_bounds(src: Any) -> tuple[float, float, float, float] | None:
    """``(west, south, east, north)`` in WGS 84 of an open raster; None if not georeferenced.

    From the CRS and the geotransform, or from the ground control points.

    Raises
    ------
    DataError
        It has a CRS but no geotransform (see :func:`georeference_problem`).
    """
    from rasterio.warp import transform, transform_bounds

    problem = georeference_problem(src)
    if problem:
        raise DataError(problem, path=src.name)
    if src.crs is not None:
        return tuple(transform_bounds(src.crs, "EPSG:4326", *src.bounds, densify_pts=21))
    gcps, gcp_crs = src.gcps
    if gcps and gcp_crs is not None:
        xs, ys = transform(gcp_crs, "EPSG:4326", [g.x for g in gcps], [g.y for g in gcps])
        return min(xs), min(ys), max(xs), max(ys)
    return None


@dataclass(frozen=True)
class Overlay:
    """An image ready for Leaflet's ``L.imageOverlay``.

    Attributes
    ----------
    png : bytes
        RGBA PNG in Web Mercator; transparent where the source has no data.
    bounds : tuple
        ``((south, west), (north, east))`` in WGS 84 degrees.
    width, height : int
        Pixel size of the PNG.
    source_crs : str
        The CRS the image came in (or ``GCPs: ...``).
    """

    png: bytes
    bounds: tuple[tuple[float, float], tuple[float, float]]
    width: int
    height: int
    source_crs: str


def _stretch(band: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Linear 2-98 % stretch to 0-255 (uint8 data are kept as they are)."""
    if band.dtype == np.uint8:
        return band
    values = band[valid]
    if values.size == 0:
        return np.zeros(band.shape, dtype=np.uint8)
    lo, hi = np.percentile(values, [2, 98])
    if hi <= lo:
        hi = lo + 1
    scaled = (band.astype("float64") - lo) / (hi - lo) * 255.0
    out: np.ndarray = np.clip(scaled, 0, 255).astype(np.uint8)
    return out


def read_overlay(
    path: str | os.PathLike[str],
    *,
    max_size: int = 2048,
    progress: bool | None = None,
    root: str | os.PathLike[str] | None = None,
) -> Overlay:
    """Warp a raster to Web Mercator and encode it as an RGBA PNG overlay.

    Parameters
    ----------
    path : path
        Any raster GDAL reads: GeoTIFF, COG, JPEG/PNG with a world file or GCPs, ...
    max_size : int, default 2048
        Largest side of the output in pixels; bigger images are read at lower resolution.
    progress : bool, optional
        Show a progress bar (default: when standard error is a terminal).
    root : path, optional
        Folder the image and any file it refers to (VRT sources) must lie in; default the
        image's folder.

    Raises
    ------
    DataError
        The file cannot be read, would make GDAL use the network, or has neither a CRS nor
        ground control points.
    """
    p = Path(path)
    problem = network_problem(p, p.parent if root is None else root)
    if problem:
        raise DataError(problem, path=p)
    with offline_env():
        return _read_overlay(p, max_size, progress)


def _read_overlay(p: Path, max_size: int, progress: bool | None) -> Overlay:
    import rasterio
    from affine import Affine
    from pyproj import Transformer
    from rasterio.control import GroundControlPoint
    from rasterio.enums import ColorInterp, Resampling
    from rasterio.io import MemoryFile
    from rasterio.warp import calculate_default_transform, reproject
    from tqdm import tqdm

    with open_raster(p) as src:
        gcps, gcp_crs = src.gcps
        problem = georeference_problem(src)
        if problem:
            raise DataError(problem, path=p)
        # An image across the antimeridian (west > east) is warped to the same Mercator
        # centred on 180°: Leaflet's grid shifted by half the world, its east beyond 180°.
        dst_crs = "EPSG:3857"
        lon_0 = 0.0
        if src.crs is not None:
            west_, _, east_, _ = lonlat_bounds(src) or (0.0, 0.0, 0.0, 0.0)
            if west_ > east_:
                lon_0 = 180.0
                dst_crs = _MERCATOR_180
            transform, width, height = calculate_default_transform(
                src.crs, dst_crs, src.width, src.height, *src.bounds
            )
            source_crs = src.crs.to_string()
        elif gcps and gcp_crs is not None:
            transform, width, height = calculate_default_transform(
                gcp_crs, "EPSG:3857", src.width, src.height, gcps=gcps
            )
            source_crs = f"GCPs: {gcp_crs.to_string()}"
        else:
            raise DataError(
                "has neither a CRS nor ground control points; georeference it first", path=p
            )
        scale = max(width, height) / max_size
        if scale > 1:
            width, height = math.ceil(width / scale), math.ceil(height / scale)
            a, b, c, d, e, f = transform[:6]
            transform = Affine(a * scale, b, c, d, e * scale, f)
        # Read the source at about twice the output resolution, never more than it has.
        shape = _read_shape(src.width, src.height, scale)
        sx, sy = src.width / shape[1], src.height / shape[0]
        kwargs: dict[str, object]
        if src.crs is not None:
            kwargs = {"src_crs": src.crs, "src_transform": src.transform * Affine.scale(sx, sy)}
        else:
            scaled = [
                GroundControlPoint(row=g.row / sy, col=g.col / sx, x=g.x, y=g.y, z=g.z)
                for g in gcps
            ]
            kwargs = {"gcps": scaled, "src_crs": gcp_crs}
        interp = list(src.colorinterp)
        alpha_band = interp.index(ColorInterp.alpha) + 1 if ColorInterp.alpha in interp else None
        colour = [b for b in range(1, src.count + 1) if b != alpha_band][:3]
        if len(colour) < 3:
            colour = colour[:1]
        bands = []
        disable = None if progress is None else not progress  # None: only on a terminal
        for b in tqdm(colour, desc=f"warping {p.name}", unit="band", disable=disable):
            small = src.read(b, out_shape=shape, resampling=Resampling.average)
            dst = np.zeros((height, width), dtype=small.dtype)
            reproject(
                small,
                dst,
                dst_transform=transform,
                dst_crs=dst_crs,
                resampling=Resampling.bilinear,
                **kwargs,
            )
            bands.append(dst)
        # Averaged too (a decimated nearest read is ten times slower in GDAL without
        # overviews); a read pixel is valid when most of what it covers is.
        small_mask = src.dataset_mask(out_shape=shape, resampling=Resampling.average)
        small_mask = np.where(small_mask >= 128, 255, 0).astype(np.uint8)
        mask = np.zeros((height, width), dtype=np.uint8)
        reproject(
            small_mask,
            mask,
            dst_transform=transform,
            dst_crs=dst_crs,
            resampling=Resampling.nearest,
            **kwargs,
        )
    valid = mask > 0
    rgb = [_stretch(b, valid) for b in bands]
    if len(rgb) == 1:
        rgb = rgb * 3
    rgba = np.stack([*rgb, np.where(valid, 255, 0).astype(np.uint8)])
    with warnings.catch_warnings(), MemoryFile() as mem:
        # A PNG has no georeference by design: its corners travel as Overlay.bounds.
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with mem.open(driver="PNG", width=width, height=height, count=4, dtype="uint8") as png:
            png.write(rgba)
        data = mem.read()
    west, north = transform.c, transform.f  # north-up grid from calculate_default_transform
    east, south = west + transform.a * width, north + transform.e * height
    to_lonlat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    (w, e), (s, n) = to_lonlat.transform([west, east], [south, north])
    if lon_0:  # longitudes from 180° on, continuous: east beyond 180°
        w, e = (lon_0 + math.degrees(x / 6378137.0) for x in (west, east))
    return Overlay(data, ((float(s), float(w)), (float(n), float(e))), width, height, source_crs)


#: Web Mercator (EPSG:3857) centred on 180°: the grid an image across the antimeridian is
#: warped to (x is EPSG:3857's shifted by half the world).
_MERCATOR_180 = (
    "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=180 +x_0=0 +y_0=0 +k=1 +units=m "
    "+nadgrids=@null +wktext +no_defs"
)


def _read_shape(width: int, height: int, scale: float) -> tuple[int, int]:
    """``(rows, cols)`` to read a ``width`` x ``height`` source at, for an output ``scale``.

    The source is read at about twice the output resolution (``scale / 2`` source pixels
    per read pixel), and never above its own.

    Examples
    --------
    >>> _read_shape(100_000, 100_000, 62.0), _read_shape(200, 150, 0.1)
    ((3226, 3226), (150, 200))
    """
    factor = max(1.0, scale / 2.0)
    return max(1, math.ceil(height / factor)), max(1, math.ceil(width / factor))
