"""Propose a footprint from one scene: built-up index, automatic threshold, clean-up, polygons.

Pure: arrays and an affine transform in, shapely geometries out; no file is read or written.
The steps are separate functions so that a chunked (Dask) version can reuse them: the index and
the classification are per pixel or per small neighbourhood (an overlap of
:func:`index_overlap_px` pixels suffices), the threshold is chosen once for the whole scene from
a sample (:func:`otsu_threshold`), and polygons from chunks are merged in one explicit step
(:func:`merge_parts`) before simplification, so whole and chunked results can be compared.

Steps of :func:`extract_footprint`:

1. :func:`built_up_index` -- NDBI - NDVI where red, NIR and SWIR1 bands are present
   (Landsat 8/9, Sentinel-2), brightness-weighted local texture for RGB.
2. :func:`otsu_threshold` on a sample of the valid pixels, :func:`classify`.
3. :func:`clean_mask` -- opening, closing, small patches and holes removed.
4. :func:`polygonize` -- pixel polygons, merged, simplified to the pixel size, in WGS 84.
5. :func:`keep_within` -- what lies within the site.

References
----------
Zha, Y., Gao, J., Ni, S. (2003). Use of normalized difference built-up index in automatically
mapping urban areas from TM imagery. International Journal of Remote Sensing 24(3), 583-594.
Tucker, C. J. (1979). Red and photographic infrared linear combinations for monitoring
vegetation. Remote Sensing of Environment 8(2), 127-150 (NDVI).
Pesaresi, M., Gerhardinger, A., Kayitakire, F. (2008). A robust built-up area presence index by
anisotropic rotation-invariant textural measure. IEEE JSTARS 1(3), 180-192 (texture as a
built-up cue in panchromatic / RGB imagery).
Otsu, N. (1979). A threshold selection method from gray-level histograms. IEEE Transactions on
Systems, Man, and Cybernetics 9(1), 62-66.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from kaesong_geo.measure import GEOD, dissolve, polygons_of
from kaesong_geo.site import Site

__all__ = [
    "BAND_ALIASES",
    "Extraction",
    "built_up_index",
    "classify",
    "clean_mask",
    "extract_footprint",
    "index_overlap_px",
    "keep_within",
    "merge_parts",
    "otsu_threshold",
    "pixel_size_m",
    "polygonize",
    "polygons_in_crs",
]

#: Band names recognised for each role (case-insensitive). Landsat 8/9 OLI: B2 blue, B3 green,
#: B4 red, B5 NIR, B6 SWIR1; Sentinel-2 MSI: B02, B03, B04, B08 (NIR), B11 (SWIR1).
BAND_ALIASES: dict[str, tuple[str, ...]] = {
    "blue": ("blue", "b", "b2", "b02"),
    "green": ("green", "g", "b3", "b03"),
    "red": ("red", "r", "b4", "b04"),
    "nir": ("nir", "nir08", "b5", "b08", "b8a"),
    "swir1": ("swir1", "swir16", "b6", "b11"),
}

#: Window (pixels, odd) of the local texture of RGB scenes.
TEXTURE_PX = 5

#: Gaussian (sigma, pixels) whose residual is the detail the RGB texture is measured on; its
#: kernel reaches ``HIGHPASS_RADIUS_PX`` pixels (scipy's default truncation at 4 sigma).
HIGHPASS_SIGMA_PX = 1.0
HIGHPASS_RADIUS_PX = 4

#: A pixel brighter than this in red whose reflectance falls from NIR to SWIR1 is taken as cloud
#: in multispectral scenes and left out (see :func:`built_up_index`).
CLOUD_REFLECTANCE = 0.2

DEFAULT_MIN_PATCH_M2 = 5000.0


@dataclass(frozen=True)
class Extraction:
    """A footprint proposed from one scene.

    Attributes
    ----------
    geometry : MultiPolygon
        The footprint in WGS 84 lon/lat (empty when nothing was found).
    threshold : float
        The index value above which a pixel was classed built-up.
    index_name : str
        ``"ndbi-ndvi"`` or ``"rgb-texture"``.
    parameters : dict
        Every parameter used (for provenance).
    pixel_m : float
        Pixel size in metres.
    """

    geometry: MultiPolygon
    threshold: float
    index_name: str
    parameters: dict[str, Any] = field(default_factory=dict)
    pixel_m: float = 0.0


def _roles(band_names: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, name in enumerate(band_names):
        key = name.strip().lower()
        for role, aliases in BAND_ALIASES.items():
            if key in aliases and role not in found:
                found[role] = i
    return found


def index_name_for(band_names: Sequence[str]) -> str:
    """The index :func:`built_up_index` computes for these bands.

    Raises
    ------
    ValueError
        Neither red, NIR and SWIR1 nor red, green and blue are among the bands.

    Examples
    --------
    >>> index_name_for(["B02", "B03", "B04", "B08", "B11"])
    'ndbi-ndvi'
    >>> index_name_for(["red", "green", "blue"])
    'rgb-texture'
    >>> index_name_for(["B4", "B5"])
    Traceback (most recent call last):
    ...
    ValueError: bands ['B4', 'B5'] have neither red, NIR and SWIR1 (...) nor red, green and blue
    """
    roles = _roles(band_names)
    if {"red", "nir", "swir1"} <= roles.keys():
        return "ndbi-ndvi"
    if {"red", "green", "blue"} <= roles.keys():
        return "rgb-texture"
    raise ValueError(
        f"bands {list(band_names)} have neither red, NIR and SWIR1 (Landsat 8/9 B4, B5, B6; "
        "Sentinel-2 B04, B08, B11) nor red, green and blue"
    )


def index_overlap_px(band_names: Sequence[str], texture_px: int = TEXTURE_PX) -> int:
    """Pixels of overlap a chunk needs for :func:`built_up_index` to match the whole raster.

    Examples
    --------
    >>> index_overlap_px(["B04", "B08", "B11"]), index_overlap_px(["red", "green", "blue"])
    (0, 6)
    """
    if index_name_for(band_names) == "ndbi-ndvi":
        return 0
    return HIGHPASS_RADIUS_PX + texture_px // 2


def _normalized_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    total = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (a - b) / total
    out[~(np.abs(total) > 0)] = np.nan
    return np.asarray(out)


def _check_reflectance(bands: np.ndarray) -> None:
    """Refuse digital numbers where reflectance (0..1) is expected: the cloud test needs it."""
    finite = bands[np.isfinite(bands)]
    if finite.size and float(np.percentile(finite, 99)) > 1.5:
        raise ValueError(
            "red, NIR and SWIR1 must be reflectance in 0..1, got values up to "
            f"{float(finite.max()):g}: scale the digital numbers first (e.g. Landsat Collection 2 "
            "Level-2: DN * 0.0000275 - 0.2; Sentinel-2 L2A: (DN - 1000) / 10000)"
        )


def built_up_index(
    bands: np.ndarray,
    band_names: Sequence[str],
    *,
    texture_px: int = TEXTURE_PX,
    cloud_reflectance: float = CLOUD_REFLECTANCE,
) -> np.ndarray:
    """A per-pixel built-up index, high on built-up and bare ground; NaN where unknown.

    With red, NIR and SWIR1 bands (Landsat 8/9: B4, B5, B6; Sentinel-2: B04, B08, B11):
    NDBI - NDVI, NDBI = (SWIR1 - NIR) / (SWIR1 + NIR) (Zha et al. 2003), NDVI = (NIR - red) /
    (NIR + red) (Tucker 1979). Built-up surfaces and bare soil reflect more in SWIR1 than in NIR
    and little more in NIR than in red (index about 0); vegetation the reverse (about -1).
    Clouds are bright in every band and *fall* from NIR to SWIR1 (NDBI < 0) with NDVI near 0,
    which puts them, and thin cloud over fields, close to built-up on this index. So a pixel
    brighter than ``cloud_reflectance`` in red with NDBI < 0 is treated as cloud (or snow):
    NaN, unknown, never built-up. Vegetation is dark in red (below about 0.1), and built-up
    surfaces and bare soil rise into SWIR1 (NDBI > 0), so neither is masked; a roof material
    that falls into SWIR1 and is bright in red would be (a limit of NDBI itself). Reflectances
    are expected in 0..1.

    With only red, green and blue: texture and brightness combined, ``log(T) + 0.5 log(B)``,
    where B is the mean brightness (mean of the three bands) over a ``texture_px`` window and
    T the root mean square, over the same window, of the detail left after subtracting a
    Gaussian blur (sigma 1 pixel) of the brightness. Built-up areas are textured (roof edges,
    yards, shadows; Pesaresi et al. 2008 use texture as the built-up cue) and bright; fields
    are smooth, forest dark. The detail ignores smooth gradients, so a cloud and its thin
    edges (bright but smooth) rank low; brightness has half the weight of texture so that a
    cloud's brightness does not outweigh its smoothness. The scale of the bands does not
    matter (the threshold is chosen from the scene).

    Pixels where any used band is not finite are NaN.

    Parameters
    ----------
    bands : ndarray, shape (bands, rows, cols)
        The scene; nodata as NaN.
    band_names : sequence of str
        One name per band (see :data:`BAND_ALIASES`).
    texture_px : int
        Odd window of the RGB texture, in pixels.
    cloud_reflectance : float
        Red reflectance above which a pixel falling from NIR to SWIR1 is cloud (multispectral).

    Raises
    ------
    ValueError
        The bands are not 3-D, do not match the names, or lack the needed bands; or red, NIR
        and SWIR1 are not reflectance (a 99th percentile above 1.5).

    Examples
    --------
    >>> veg = [0.05, 0.35, 0.18]  # red, NIR, SWIR1 of a field
    >>> concrete = [0.20, 0.24, 0.32]
    >>> cloud = [0.55, 0.52, 0.40]
    >>> bands = np.array([veg, concrete, cloud]).T.reshape(3, 1, 3)
    >>> built_up_index(bands, ["B04", "B08", "B11"]).round(2)
    array([[-1.07,  0.05,   nan]])
    """
    bands = np.asarray(bands, dtype=np.float64)
    if bands.ndim != 3:
        raise ValueError(f"bands must be 3-D (bands, rows, cols), got shape {bands.shape}")
    if bands.shape[0] != len(band_names):
        raise ValueError(f"{bands.shape[0]} bands but {len(band_names)} band names")
    if texture_px < 3 or texture_px % 2 == 0:
        raise ValueError(f"texture_px must be an odd number >= 3, got {texture_px}")
    name = index_name_for(band_names)
    roles = _roles(band_names)
    if name == "ndbi-ndvi":
        red, nir, swir1 = (bands[roles[r]] for r in ("red", "nir", "swir1"))
        _check_reflectance(bands[[roles["red"], roles["nir"], roles["swir1"]]])
        ndbi = _normalized_difference(swir1, nir)
        ndvi = _normalized_difference(nir, red)
        index = ndbi - ndvi
        cloud = (red > cloud_reflectance) & (ndbi < 0)
        index[cloud] = np.nan
        return np.asarray(index)
    from scipy import ndimage

    rgb = bands[[roles["red"], roles["green"], roles["blue"]]]
    valid = np.isfinite(rgb).all(axis=0)
    brightness = rgb.mean(axis=0)
    fill = float(np.median(brightness[valid])) if valid.any() else 0.0
    brightness = np.where(valid, brightness, fill)
    detail = brightness - ndimage.gaussian_filter(brightness, HIGHPASS_SIGMA_PX, mode="reflect")
    texture = np.sqrt(ndimage.uniform_filter(detail * detail, size=texture_px, mode="reflect"))
    mean = ndimage.uniform_filter(brightness, size=texture_px, mode="reflect")
    tiny = np.finfo(np.float64).tiny
    index = np.log(np.maximum(texture, tiny)) + 0.5 * np.log(np.maximum(mean, tiny))
    index[~valid] = np.nan
    return np.asarray(index)


def otsu_threshold(index: np.ndarray, sample: int = 1_000_000, seed: int = 0) -> float:
    """Otsu's threshold of the valid (finite) pixels, from a random sample of at most ``sample``.

    The sample is drawn with a fixed ``seed``, so the same scene gives the same threshold.

    Raises
    ------
    ValueError
        No valid pixel, or all valid pixels alike (nothing to separate).

    Examples
    --------
    >>> x = np.r_[np.full(50, -1.0), np.full(50, 0.2)]
    >>> -1.0 < otsu_threshold(x) < 0.2
    True
    >>> otsu_threshold(np.full(4, np.nan))
    Traceback (most recent call last):
    ...
    ValueError: the scene has no valid pixel (all nodata or cloud)
    """
    from skimage.filters import threshold_otsu

    values = np.asarray(index, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("the scene has no valid pixel (all nodata or cloud)")
    if sample < 2:
        raise ValueError(f"sample must be at least 2, got {sample}")
    if values.size > sample:
        rng = np.random.default_rng(seed)
        values = values[rng.integers(0, values.size, size=sample)]
    if float(values.min()) == float(values.max()):
        raise ValueError("the valid pixels all have the same index: nothing to separate")
    return float(threshold_otsu(values))  # type: ignore[no-untyped-call]


def classify(index: np.ndarray, threshold: float) -> np.ndarray:
    """Built-up where the index is above ``threshold``; NaN (unknown) is never built-up.

    Examples
    --------
    >>> classify(np.array([0.1, 0.5, np.nan]), 0.3)
    array([False,  True, False])
    """
    with np.errstate(invalid="ignore"):
        return np.asarray(np.asarray(index) > threshold)


def _square(radius_px: int) -> np.ndarray:
    return np.ones((2 * radius_px + 1, 2 * radius_px + 1), dtype=bool)


def _drop_small(mask: np.ndarray, min_px: int) -> np.ndarray:
    """``mask`` without its 4-connected patches of fewer than ``min_px`` pixels."""
    from scipy import ndimage

    labels, count = ndimage.label(mask)
    if count == 0:
        return mask
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_px
    keep[0] = False
    return np.asarray(keep[labels])


def clean_mask(
    mask: np.ndarray,
    pixel_m: float,
    min_patch_m2: float = DEFAULT_MIN_PATCH_M2,
    closing_m: float | None = None,
    opening_m: float | None = None,
    erode_px: int = 0,
) -> np.ndarray:
    """Morphological clean-up: opening, closing, patches and holes below ``min_patch_m2`` removed.

    The opening (a square of half-width ``opening_m``, default 2 pixels) removes roads, field
    edges and speckle narrower than twice that plus one pixel; squares keep the corners of
    rectangular buildings, which a disk would round off. The closing (half-width ``closing_m``,
    default 2 pixels) joins buildings across yards and narrow streets. Patches and holes
    (4-connected, as :func:`polygons_in_crs` traces them) below ``min_patch_m2`` are removed.
    Last, an erosion by ``erode_px`` (a square) takes back what a neighbourhood index added
    around the edges (:func:`extract_footprint` passes half the RGB texture window), and
    patches it leaves below ``min_patch_m2`` are removed.

    Examples
    --------
    >>> m = np.zeros((20, 20), bool)
    >>> m[2:12, 2:12] = True  # 100 px of 10 m: 10,000 m²
    >>> m[15, 15] = True  # one stray pixel
    >>> int(clean_mask(m, 10.0, 5000.0).sum())
    100
    >>> int(clean_mask(m, 10.0, 20000.0).sum())
    0
    """
    from scipy import ndimage

    if not pixel_m > 0:
        raise ValueError(f"pixel_m must be positive, got {pixel_m}")
    out = np.asarray(mask, dtype=bool)
    open_px = round((2 * pixel_m if opening_m is None else opening_m) / pixel_m)
    close_px = round((2 * pixel_m if closing_m is None else closing_m) / pixel_m)
    if open_px > 0:
        out = ndimage.binary_opening(out, _square(open_px), border_value=0)
    if close_px > 0:
        padded = np.pad(out, close_px, mode="edge")
        closed = ndimage.binary_closing(padded, _square(close_px), border_value=0)
        out = closed[close_px:-close_px, close_px:-close_px]
    min_px = max(1, math.ceil(min_patch_m2 / (pixel_m * pixel_m)))
    out = _drop_small(out, min_px)
    out = ~_drop_small(~out, min_px)
    if erode_px > 0:
        out = ndimage.binary_erosion(out, _square(erode_px), border_value=1)
        out = _drop_small(out, min_px)
    return np.asarray(out, dtype=bool)


def pixel_size_m(transform: Any, crs: Any) -> float:
    """The pixel size in metres of a north-up grid in a projected CRS (the mean of both axes).

    Raises
    ------
    ValueError
        The CRS is not projected in metres, or the pixels are not square within 1 %.

    Examples
    --------
    >>> from affine import Affine
    >>> pixel_size_m(Affine(10, 0, 300000, 0, -10, 4200000), "EPSG:32652")
    10.0
    >>> pixel_size_m(Affine(0.001, 0, 126, 0, -0.001, 38), "EPSG:4326")
    Traceback (most recent call last):
    ...
    ValueError: the scene's CRS (EPSG:4326) is not projected in metres: reproject it (...) first
    """
    crs_ = CRS.from_user_input(crs)
    units = {axis.unit_name for axis in crs_.axis_info}
    if not crs_.is_projected or not units <= {"metre", "meter"}:
        raise ValueError(
            f"the scene's CRS ({crs_.to_string()}) is not projected in metres: reproject it "
            "(e.g. to its UTM zone) first"
        )
    dx = math.hypot(transform.a, transform.d)
    dy = math.hypot(transform.b, transform.e)
    if not (dx > 0 and dy > 0) or abs(dx - dy) > 0.01 * max(dx, dy):
        raise ValueError(f"pixels must be square, got {dx:g} x {dy:g} m")
    return float((dx + dy) / 2)


def polygons_in_crs(mask: np.ndarray, transform: Any) -> list[Polygon]:
    """The pixel-exact polygons of ``mask`` (4-connected) in the scene's CRS, unsimplified.

    Run per chunk (with the chunk's transform); :func:`merge_parts` joins the pieces.

    Examples
    --------
    >>> from affine import Affine
    >>> m = np.zeros((4, 4), bool); m[1:3, 1:3] = True
    >>> [p.area for p in polygons_in_crs(m, Affine(10, 0, 0, 0, -10, 40))]
    [400.0]
    """
    from rasterio import features

    data = np.ascontiguousarray(mask, dtype=np.uint8)
    if data.size == 0 or not data.any():
        return []
    shapes = features.shapes(data, mask=data.astype(bool), transform=transform, connectivity=4)
    return [
        p
        for geom, value in shapes
        if value == 1
        for p in polygons_of(shapely.make_valid(shape(geom)))
    ]


def merge_parts(parts: Iterable[BaseGeometry]) -> MultiPolygon:
    """Join polygons cut at chunk edges (they share pixel edges exactly) into one MultiPolygon.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> merge_parts([box(0, 0, 1, 1), box(1, 0, 2, 1)]).area
    2.0
    """
    return dissolve(parts)


def polygonize(
    mask: np.ndarray,
    transform: Any,
    crs: Any,
    *,
    pixel_m: float | None = None,
    min_area_m2: float = 0.0,
    parts: Iterable[BaseGeometry] | None = None,
) -> list[Polygon]:
    """Polygons of ``mask`` in WGS 84, simplified to the pixel size.

    The pixel polygons (or the given chunk ``parts``, in the scene's CRS) are merged, simplified
    with a tolerance of one pixel in the scene's CRS (which removes the staircase of pixel
    edges, keeping topology), parts smaller than ``min_area_m2`` after simplification are
    dropped, and the rest reprojected to WGS 84 lon/lat.

    Examples
    --------
    >>> from affine import Affine
    >>> m = np.zeros((4, 4), bool); m[1:3, 1:3] = True
    >>> poly, = polygonize(m, Affine(10, 0, 292000, 0, -10, 4201000), "EPSG:32652")
    >>> [round(v, 3) for v in poly.centroid.coords[0]]
    [126.633, 37.933]
    """
    pixel = pixel_size_m(transform, crs) if pixel_m is None else pixel_m
    pieces = polygons_in_crs(mask, transform) if parts is None else list(parts)
    merged = merge_parts(pieces)
    simple = shapely.make_valid(merged.simplify(pixel, preserve_topology=True))
    simple = MultiPolygon([p for p in polygons_of(simple) if p.area >= min_area_m2 and p.area > 0])
    to_wgs84 = Transformer.from_crs(CRS.from_user_input(crs), "EPSG:4326", always_xy=True)
    out = shapely.transform(
        simple, lambda xy: np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1]))
    )
    return [p for p in polygons_of(out) if not p.is_empty and p.area > 0]


def keep_within(polygons: Iterable[BaseGeometry], site: Site) -> list[Polygon]:
    """The polygons that lie within the site.

    With an outline (the zone's planned boundary), a polygon is kept whole when it touches the
    outline (a factory straddling the boundary is kept entire); without one, when its
    representative point is within ``site.max_distance_km`` of the reference point.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from kaesong_geo.site import KAESONG
    >>> near = box(126.63, 37.93, 126.64, 37.94)
    >>> far = box(127.5, 37.93, 127.51, 37.94)
    >>> [p.bounds[0] for p in keep_within([near, far], KAESONG)]
    [126.63]
    """
    kept: list[Polygon] = []
    for geom in polygons:
        for poly in polygons_of(geom):
            if site.outline is not None:
                if poly.intersects(site.outline):
                    kept.append(poly)
                continue
            point = poly.representative_point()
            _, _, dist_m = GEOD.inv(site.lon, site.lat, point.x, point.y)
            if dist_m <= site.max_distance_km * 1000.0:
                kept.append(poly)
    return kept


def extract_footprint(
    bands: np.ndarray,
    transform: Any,
    crs: Any,
    band_names: Sequence[str],
    site: Site,
    *,
    min_patch_m2: float = DEFAULT_MIN_PATCH_M2,
    closing_m: float | None = None,
    opening_m: float | None = None,
    texture_px: int = TEXTURE_PX,
    cloud_reflectance: float = CLOUD_REFLECTANCE,
    sample: int = 1_000_000,
    seed: int = 0,
) -> Extraction:
    """Propose a footprint from one scene (the whole raster in memory).

    Parameters
    ----------
    bands : ndarray, shape (bands, rows, cols)
        The scene, nodata as NaN; reflectance 0..1 for multispectral band sets.
    transform : affine.Affine
        The scene's north-up geotransform.
    crs : CRS or str
        A projected CRS in metres (e.g. the UTM zone).
    band_names : sequence of str
        One name per band (see :data:`BAND_ALIASES`).
    site : Site
        What the result is kept within (:func:`keep_within`).
    min_patch_m2 : float
        Smaller patches and holes are dropped.
    closing_m, opening_m : float, optional
        Radii of the closing and the opening (default 2 pixels each).
    texture_px, cloud_reflectance : see :func:`built_up_index`.
    sample, seed : see :func:`otsu_threshold`.

    Raises
    ------
    ValueError
        Unusable bands, CRS or pixels, or no valid pixel.

    Examples
    --------
    >>> from affine import Affine
    >>> from kaesong_geo.site import KAESONG
    >>> b = np.full((3, 60, 60), [[[0.05]], [[0.35]], [[0.18]]])  # fields
    >>> b[:, 20:40, 20:40] = [[[0.2]], [[0.24]], [[0.32]]]  # a 200 m square of concrete
    >>> e = extract_footprint(
    ...     b, Affine(10, 0, 291700, 0, -10, 4201300), "EPSG:32652", ["B4", "B5", "B6"], KAESONG
    ... )
    >>> e.index_name, len(e.geometry.geoms), round(e.pixel_m)
    ('ndbi-ndvi', 1, 10)
    """
    pixel_m = pixel_size_m(transform, crs)
    index = built_up_index(
        bands, band_names, texture_px=texture_px, cloud_reflectance=cloud_reflectance
    )
    threshold = otsu_threshold(index, sample=sample, seed=seed)
    name = index_name_for(band_names)
    # the RGB texture window makes textured areas half a window wider on each side
    erode_px = texture_px // 2 if name == "rgb-texture" else 0
    mask = clean_mask(
        classify(index, threshold), pixel_m, min_patch_m2, closing_m, opening_m, erode_px
    )
    polygons = keep_within(
        polygonize(mask, transform, crs, pixel_m=pixel_m, min_area_m2=min_patch_m2), site
    )
    geometry = dissolve(polygons) if polygons else MultiPolygon()
    parameters: dict[str, Any] = {
        "index": name,
        "threshold": threshold,
        "min_patch_m2": min_patch_m2,
        "closing_m": 2 * pixel_m if closing_m is None else closing_m,
        "opening_m": 2 * pixel_m if opening_m is None else opening_m,
        "sample": sample,
        "seed": seed,
        "bands": list(band_names),
    }
    if name == "rgb-texture":
        parameters["texture_px"] = texture_px
        parameters["erode_px"] = erode_px
    else:
        parameters["cloud_reflectance"] = cloud_reflectance
        parameters["unknown_px"] = int(np.isnan(index).sum())  # nodata or cloud
    return Extraction(geometry, threshold, name, parameters, pixel_m)
