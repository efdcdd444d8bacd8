r"""Read a georeferenced image (GeoTIFF, COG, or any GDAL raster) as a web-map overlay.

The image is warped to Web Mercator (EPSG:3857), the grid Leaflet draws in, so that an
overlay placed by its corner coordinates lines up with the basemap; that is the only use
of Web Mercator in kaesong-geo (no area is ever computed in it). Large rasters are read at
reduced resolution (at most ``max_size`` pixels on a side) with a progress bar per band.
Images georeferenced by ground control points (a screenshot with GCPs) are warped from
their GCPs.

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
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kaesong_geo.errors import DataError

__all__ = ["Overlay", "read_overlay"]


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
    path: str | os.PathLike[str], *, max_size: int = 2048, progress: bool | None = None
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

    Raises
    ------
    DataError
        The file cannot be read, or has neither a CRS nor ground control points.
    """
    import rasterio
    from affine import Affine
    from pyproj import Transformer
    from rasterio.enums import ColorInterp, Resampling
    from rasterio.io import MemoryFile
    from rasterio.warp import calculate_default_transform, reproject
    from tqdm import tqdm

    p = Path(path)
    try:
        src = rasterio.open(p)
    except rasterio.errors.RasterioIOError as exc:
        raise DataError(f"cannot read as a raster: {str(exc).splitlines()[0]}", path=p) from None
    with src:
        gcps, gcp_crs = src.gcps
        if src.crs is not None:
            kwargs: dict[str, object] = {"src_crs": src.crs, "src_transform": src.transform}
            transform, width, height = calculate_default_transform(
                src.crs, "EPSG:3857", src.width, src.height, *src.bounds
            )
            source_crs = src.crs.to_string()
        elif gcps and gcp_crs is not None:
            kwargs = {"gcps": gcps, "src_crs": gcp_crs}
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
        interp = list(src.colorinterp)
        alpha_band = interp.index(ColorInterp.alpha) + 1 if ColorInterp.alpha in interp else None
        colour = [b for b in range(1, src.count + 1) if b != alpha_band][:3]
        if len(colour) < 3:
            colour = colour[:1]
        bands = []
        disable = None if progress is None else not progress  # None: only on a terminal
        for b in tqdm(colour, desc=f"warping {p.name}", unit="band", disable=disable):
            dst = np.zeros((height, width), dtype=src.dtypes[b - 1])
            reproject(
                rasterio.band(src, b),
                dst,
                dst_transform=transform,
                dst_crs="EPSG:3857",
                resampling=Resampling.bilinear,
                **kwargs,
            )
            bands.append(dst)
        mask = np.zeros((height, width), dtype=np.uint8)
        reproject(
            src.dataset_mask(),
            mask,
            dst_transform=transform,
            dst_crs="EPSG:3857",
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
    return Overlay(data, ((float(s), float(w)), (float(n), float(e))), width, height, source_crs)
