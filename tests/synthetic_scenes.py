"""Synthetic scenes near Kaesong (UTM 52N) with a known built-up footprint.

``make_scene(kind, size, seed)`` returns ``(bands, transform, crs, band_names, truth_wgs84)``.
The truth is an L-shaped industrial zone in the middle of the scene: factory roofs (bright
concrete and metal, some darker) on concrete yards, internal streets, two graded plots of bare
soil (construction sites: bare ground is part of a footprint). Around it: a patchwork of fields
of varying greenness, forest, a road leading to the zone and crossing the scene, a few small
bare patches (threshing floors, below the minimum patch area), a cloud (outside the zone, partly
in the scene), haze (a smooth additive field, stronger in the visible) and noise.

Reflectances follow typical spectra (0..1): vegetation dark in red, bright in NIR, medium in
SWIR1; concrete and soil rising from red to SWIR1; clouds bright and flat in the visible, falling
into SWIR1. RGB scenes are the same landscape as red, green, blue only, at a finer pixel.
"""

from __future__ import annotations

import os
from typing import Literal

import numpy as np
import shapely
import shapely.affinity
from affine import Affine
from pyproj import Transformer
from scipy import ndimage
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.ops import unary_union

Kind = Literal["rgb", "landsat", "sentinel2"]

CRS = "EPSG:32652"
#: Scene centre: the Kaesong reference point (126.6333 E, 37.9333 N) in UTM 52N, rounded.
CENTER_X, CENTER_Y = 292_000.0, 4_201_000.0
PIXEL_M = {"rgb": 4.0, "sentinel2": 10.0, "landsat": 30.0}
BAND_NAMES = {
    "rgb": ["red", "green", "blue"],
    "sentinel2": ["B02", "B03", "B04", "B08", "B11"],
    "landsat": ["B2", "B3", "B4", "B5", "B6"],
}
#: Reflectance of each cover in (blue, green, red, nir, swir1).
SPECTRA = {
    "field": (0.04, 0.09, 0.05, 0.36, 0.18),
    "forest": (0.03, 0.06, 0.03, 0.30, 0.13),
    "soil": (0.12, 0.17, 0.22, 0.28, 0.36),
    "roof": (0.30, 0.31, 0.32, 0.35, 0.42),
    "roof_dark": (0.13, 0.14, 0.15, 0.18, 0.24),
    "yard": (0.18, 0.19, 0.20, 0.23, 0.30),
    "road": (0.09, 0.10, 0.11, 0.14, 0.19),
    "cloud": (0.62, 0.61, 0.60, 0.56, 0.42),
}
HAZE_WEIGHT = np.array([1.0, 0.8, 0.6, 0.3, 0.1])


def _zone_edges(size: int) -> tuple[int, int, int, int, int, int]:
    """Rows and columns of the L-shaped zone: top, middle, bottom rows; left, right, foot cols."""
    s = size
    return (
        int(0.361 * s),
        int(0.557 * s),
        int(0.684 * s),
        int(0.302 * s),
        int(0.698 * s),
        int(0.479 * s),
    )


def _truth_px(size: int) -> Polygon:
    """The zone in pixel coordinates (col, row)."""
    t0, t1, b1, l0, l1, bc1 = _zone_edges(size)
    merged = unary_union([box(l0, t0, l1, t1), box(l0, t1, bc1, b1)])
    assert isinstance(merged, Polygon)
    return merged


def _fill(cover: np.ndarray, r0: int, r1: int, c0: int, c1: int, value: int) -> None:
    cover[max(r0, 0) : max(r1, 0), max(c0, 0) : max(c1, 0)] = value


#: Where the cloud is by default (row, col as fractions of the scene): outside the zone.
CLOUD_AT = (0.12, 0.10)


def make_scene(
    kind: Kind = "sentinel2",
    size: int = 400,
    seed: int = 0,
    cloud_at: tuple[float, float] = CLOUD_AT,
    supersample: int = 3,
) -> tuple[np.ndarray, Affine, str, list[str], MultiPolygon]:
    """A synthetic scene and the WGS 84 footprint truth (see the module docstring).

    The ground is drawn on a grid ``supersample`` times finer than the pixels and averaged
    into them, so edges that do not fall on pixel edges (the zone's, roofs', roads') give mixed
    pixels, as in real scenes. ``cloud_at`` places the cloud's centre (row, col fractions); the
    truth is the zone on the ground, whether or not the cloud hides part of it.
    """
    rng = np.random.default_rng(seed)
    pixel = PIXEL_M[kind]
    names = list(SPECTRA)
    code = {n: i for i, n in enumerate(names)}
    k = supersample
    s = size * k  # the ground, drawn on the fine grid
    cover = np.full((s, s), code["field"], dtype=np.int8)
    greenness = np.ones((s, s))
    # fields: a patchwork of plots of varying greenness, some forest
    plot = max(s // 12, 4)
    for r in range(0, s, plot):
        for c in range(0, s, plot):
            h, w = rng.integers(plot // 2, plot + 1, size=2)
            greenness[r : r + h, c : c + w] = rng.uniform(0.7, 1.0)
            if rng.random() < 0.15:
                _fill(cover, r, r + h, c, c + w, code["forest"])
    # the zone: yards, factory roofs, streets, two graded plots
    t0, t1, b1, l0, l1, bc1 = _zone_edges(s)
    _fill(cover, t0, t1, l0, l1, code["yard"])
    _fill(cover, t1, b1, l0, bc1, code["yard"])
    zone = np.zeros((s, s), bool)
    zone[t0:t1, l0:l1] = True
    zone[t1:b1, l0:bc1] = True
    n_roofs = int(zone.sum() / (60 * k * k))
    rows, cols = np.nonzero(zone)
    for _ in range(n_roofs):
        i = rng.integers(rows.size)
        h, w = rng.integers(3 * k, 10 * k, size=2)
        r, c = rows[i], cols[i]
        sub = zone[r : r + h, c : c + w]
        if sub.shape == (h, w) and sub.all():
            cover[r : r + h, c : c + w] = code["roof" if rng.random() < 0.7 else "roof_dark"]
    for k in range(1, 4):  # internal streets
        rr = t0 + k * (t1 - t0) // 4
        cover[rr : rr + k, l0:l1] = code["road"]
    _fill(cover, t0 + 4 * k, t0 + 4 * k + s // 20, l1 - s // 10, l1 - 4 * k, code["soil"])
    _fill(cover, b1 - s // 16, b1 - 3 * k, l0 + 3 * k, l0 + s // 12, code["soil"])
    # trees in the yards (3 x 3 px): holes smaller than the minimum patch, filled by clean-up
    for _ in range(12):
        i = rng.integers(rows.size)
        r, c = rows[i], cols[i]
        if zone[r - k : r + 4 * k, c - k : c + 4 * k].all():
            cover[r : r + 3 * k, c : c + 3 * k] = code["forest"]
    # roads outside: one crossing the scene, one leading to the zone (2 px wide)
    road_r = int(0.82 * s)
    cover[road_r : road_r + 2 * k, :] = code["road"]
    cc = int(0.40 * s)
    cover[b1:road_r, cc : cc + 2 * k] = code["road"]
    # small bare patches outside (threshing floors), 2 x 2 px
    for _ in range(8):
        r, c = rng.integers(0, s - 3 * k, size=2)
        if not zone[max(r - 6 * k, 0) : r + 8 * k, max(c - 6 * k, 0) : c + 8 * k].any():
            cover[r : r + 2 * k, c : c + 2 * k] = code["soil"]
    spectra = np.array([SPECTRA[n] for n in names])  # (covers, 5)
    refl = spectra[cover].transpose(2, 0, 1).copy()  # (5, s, s)
    field_like = (cover == code["field"]) | (cover == code["forest"])
    soil = np.array(SPECTRA["soil"])[:, None]
    mix = (1 - greenness[field_like]) * 0.8
    refl[:, field_like] = refl[:, field_like] * (1 - mix) + soil * mix
    # the pixels: means of k x k cells of the ground
    s = size
    refl = refl.reshape(5, s, k, s, k).mean(axis=(2, 4))
    # haze: a smooth additive field
    haze = ndimage.gaussian_filter(rng.normal(size=(s, s)), sigma=s / 6, mode="wrap")
    haze = (haze - haze.min()) / (np.ptp(haze) or 1.0) * 0.05
    refl += HAZE_WEIGHT[:, None, None] * haze
    # a cloud, by default outside the zone and partly out of the scene
    yy, xx = np.mgrid[0:s, 0:s]
    cy, cx = cloud_at[0] * s, cloud_at[1] * s
    alpha = 0.95 * np.exp(-(((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * (0.07 * s) ** 2)))
    cloud = np.array(SPECTRA["cloud"])[:, None, None]
    refl = refl * (1 - alpha) + cloud * alpha
    refl += rng.normal(0.0, 0.008, size=refl.shape)
    refl = np.clip(refl, 0.0, 1.0)
    bands = refl[[2, 1, 0]] if kind == "rgb" else refl
    transform = Affine(pixel, 0, CENTER_X - s * pixel / 2, 0, -pixel, CENTER_Y + s * pixel / 2)
    truth_px = shapely.affinity.scale(_truth_px(s * k), 1 / k, 1 / k, origin=(0, 0))
    to_wgs84 = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)

    def px_to_lonlat(cr: np.ndarray) -> np.ndarray:
        x, y = transform * (cr[:, 0], cr[:, 1])
        return np.column_stack(to_wgs84.transform(x, y))

    truth = shapely.transform(truth_px, px_to_lonlat)
    return bands.astype(np.float32), transform, CRS, BAND_NAMES[kind], MultiPolygon([truth])


def write_scene_file(
    path: os.PathLike[str] | str,
    kind: Kind = "sentinel2",
    size: int = 400,
    seed: int = 0,
    *,
    tile_px: int = 256,
    overviews: bool = False,
    dtype: str = "float32",
) -> MultiPolygon:
    """Write :func:`make_scene` as a tiled GeoTIFF with named bands; return the truth (WGS 84).

    Multispectral scenes are reflectance 0..1 (``dtype="float32"``) or, with ``dtype="uint16"``,
    digital numbers with a GDAL scale of 1e-4 per band (as Sentinel-2 L2A without the offset);
    RGB scenes are written as they are (float32) or scaled to 0..255 (``dtype="uint8"``).
    """
    import rasterio
    from rasterio.enums import ColorInterp, Resampling

    bands, transform, crs, names, truth = make_scene(kind, size=size, seed=seed)
    scales = [1.0] * len(names)
    data: np.ndarray = bands
    if dtype == "uint16":
        data = np.round(bands * 10_000).astype("uint16")
        scales = [1e-4] * len(names)
    elif dtype == "uint8":
        data = np.round(np.clip(bands / max(float(bands.max()), 1e-9), 0, 1) * 255).astype("uint8")
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": len(names),
        "dtype": dtype,
        "crs": crs,
        "transform": transform,
        "tiled": True,
        "blockxsize": tile_px,
        "blockysize": tile_px,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.descriptions = tuple(names)
        if dtype == "uint16":
            dst.scales = scales
            dst.offsets = [0.0] * len(names)
        if kind == "rgb":
            dst.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue]
    if overviews:
        with rasterio.open(path, "r+") as dst:
            dst.build_overviews([2, 4, 8, 16], Resampling.average)
    return truth
