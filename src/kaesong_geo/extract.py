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

import contextlib
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from kaesong_geo.measure import GEOD, dissolve, polygons_of
from kaesong_geo.site import Site
from kaesong_geo.text import plural

__all__ = [
    "BAND_ALIASES",
    "BUILT",
    "NOT_BUILT",
    "SAMPLE_WINDOW_PX",
    "UNKNOWN",
    "Extraction",
    "KeepRegion",
    "StoredBands",
    "built_up_index",
    "classify",
    "clean_mask",
    "erode_px_for",
    "extract_footprint",
    "extraction_from_parts",
    "extraction_from_pieces",
    "finish_parts",
    "footprint_from_parts",
    "footprint_from_pieces",
    "index_name_for",
    "index_overlap_px",
    "keep_region",
    "keep_within",
    "local_class_bits",
    "local_classes",
    "local_reach_px",
    "median_brightness",
    "merge_at_seams",
    "merge_parts",
    "min_patch_px",
    "otsu_threshold",
    "pack_classes",
    "part_sizes",
    "pixel_polygons",
    "pixel_size_m",
    "polygonize",
    "polygons_in_crs",
    "product_threshold",
    "rgb_texture_product",
    "rgb_texture_product_numpy",
    "sample_windows",
    "scene_statistics",
    "smooth_mask",
    "unpack_classes",
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

#: The least texture an RGB pixel is given, as a fraction of the scene's median brightness.
TEXTURE_FLOOR = 1e-3

#: The floating-point type the index is computed in (single precision: half the memory of
#: double, and far more precise than the imagery).
WORK_DTYPE = np.float32

#: The blur whose residual is the detail the RGB texture is measured on: the binomial kernel
#: [1, 4, 6, 4, 1] / 16, the discrete Gaussian of sigma 1 pixel (its variance is exactly 1),
#: which reaches ``HIGHPASS_RADIUS_PX`` pixels.
HIGHPASS_WEIGHTS = (1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16)
HIGHPASS_RADIUS_PX = 2

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
    warnings : tuple of str
        Signs that the classification went wrong (see :func:`spanning_warnings`).
    """

    geometry: MultiPolygon
    threshold: float
    index_name: str
    parameters: dict[str, Any] = field(default_factory=dict)
    pixel_m: float = 0.0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredBands:
    """How the pixel values stored in a file become the bands the index is computed on.

    Called on stored values ``(bands, rows, cols)`` (e.g. 8-bit), gives the bands as
    :data:`WORK_DTYPE`: the ``keep`` bands (an alpha band left out), scaled by the file's
    scales and offsets when any is set (digital numbers to reflectance), NaN where a band
    holds its nodata value, where an alpha band is 0, and (with ``zero_is_nodata``) where
    every kept band is 0 (the black fill ``gdalwarp`` leaves around a scene when no nodata
    value was set). A chunked extraction holds the compact stored values between steps and
    makes bands of each chunk where it is used; the compiled RGB texture reads the stored
    values directly (:func:`local_classes`), with the same result.

    Examples
    --------
    >>> raw = np.array([[[0, 10]], [[0, 20]], [[0, 30]]], dtype=np.uint8)
    >>> s = StoredBands(keep=(0, 1, 2), nodata=(None,) * 3, scales=(1.0,) * 3,
    ...                 offsets=(0.0,) * 3, zero_is_nodata=True)
    >>> s(raw)[:, 0].tolist()
    [[nan, 10.0], [nan, 20.0], [nan, 30.0]]
    """

    keep: tuple[int, ...]
    nodata: tuple[float | None, ...]
    scales: tuple[float, ...]
    offsets: tuple[float, ...]
    alpha: tuple[int, ...] = ()
    zero_is_nodata: bool = False
    #: Whether the RGB texture reads these values compiled (numba, when installed) rather
    #: than through NumPy bands: the same classes either way, a matter of speed.
    compiled: bool = True

    @property
    def scaled(self) -> bool:
        """Whether the kept bands are scaled (every one, when any has a scale or offset)."""
        return any(self.scales[i] != 1.0 or self.offsets[i] != 0.0 for i in self.keep)

    def invalid(self, raw: np.ndarray) -> np.ndarray | None:
        """Where the stored values are nodata (None: nowhere), before any scaling."""
        invalid: np.ndarray | None = None
        for i in self.keep:
            value = self.nodata[i]
            if value is not None:
                bad = np.isnan(raw[i]) if np.isnan(value) else raw[i] == value
                invalid = bad if invalid is None else invalid | bad
        for i in self.alpha:
            invalid = raw[i] == 0 if invalid is None else invalid | (raw[i] == 0)
        if self.zero_is_nodata:
            black = raw[self.keep[0]] == 0
            for i in self.keep[1:]:
                black &= raw[i] == 0
            invalid = black if invalid is None else invalid | black
        return invalid

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        """The bands of stored values ``raw``, nodata as NaN."""
        data = raw[list(self.keep)].astype(WORK_DTYPE)
        if self.scaled:
            for j, i in enumerate(self.keep):
                data[j] = data[j] * WORK_DTYPE(self.scales[i]) + WORK_DTYPE(self.offsets[i])
        invalid = self.invalid(raw)
        if invalid is not None and invalid.any():
            data[:, invalid] = np.nan
        return data


def _roles(band_names: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, name in enumerate(band_names):
        key = name.strip().lower()
        for role, aliases in BAND_ALIASES.items():
            if key in aliases and role not in found:
                found[role] = i
    return found


def index_bands(band_names: Sequence[str]) -> tuple[int, ...]:
    """The places of the bands :func:`built_up_index` uses: red, NIR, SWIR1, else red, green, blue.

    Raises
    ------
    ValueError
        As :func:`index_name_for`.

    Examples
    --------
    >>> index_bands(["coastal", "blue", "green", "red", "nir", "swir16", "swir22"])
    (3, 4, 5)
    >>> index_bands(["blue", "green", "red"])
    (2, 1, 0)
    """
    roles = _roles(band_names)
    if index_name_for(band_names) == "ndbi-ndvi":
        return roles["red"], roles["nir"], roles["swir1"]
    return roles["red"], roles["green"], roles["blue"]


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
    ValueError: bands B4, B5 have neither red, NIR and SWIR1 (...) nor red, green and blue
    """
    roles = _roles(band_names)
    if {"red", "nir", "swir1"} <= roles.keys():
        return "ndbi-ndvi"
    if {"red", "green", "blue"} <= roles.keys():
        return "rgb-texture"
    raise ValueError(
        f"{'bands ' + ', '.join(band_names) if band_names else 'no bands'} have neither red, "
        "NIR and SWIR1 (Landsat 8/9 B4, B5, B6; Sentinel-2 B04, B08, B11) nor red, green and "
        "blue"
    )


def index_overlap_px(band_names: Sequence[str], texture_px: int = TEXTURE_PX) -> int:
    """Pixels of overlap a chunk needs for :func:`built_up_index` to match the whole raster.

    Examples
    --------
    >>> index_overlap_px(["B04", "B08", "B11"]), index_overlap_px(["red", "green", "blue"])
    (0, 4)
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
    fill: float | None = None,
    check: bool = True,
    compiled: bool = True,
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
    binomial blur (a Gaussian of sigma 1 pixel) of the brightness. Built-up areas are
    textured (roof edges, yards, shadows; Pesaresi et al. 2008 use texture as the built-up
    cue) and bright; fields are smooth, forest dark. The detail ignores smooth gradients, so
    a cloud and its thin edges (bright but smooth) rank low; brightness has half the weight
    of texture so that a cloud's brightness does not outweigh its smoothness. The scale of
    the bands does not matter (the threshold is chosen from the scene).

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
    fill : float, optional
        RGB only: the brightness given to nodata pixels before filtering (default: the median
        brightness of the valid pixels). A chunked run passes the scene's, so that every chunk
        fills alike.
    check : bool
        Refuse digital numbers where reflectance is needed (a chunked run checks a sample once).
    compiled : bool
        RGB: compute the texture compiled when numba is installed (the same values; False:
        in NumPy, without loading numba).

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
    >>> np.round(built_up_index(bands, ["B04", "B08", "B11"]).astype(float), 2).tolist()
    [[-1.07, 0.05, nan]]
    """
    bands = np.asarray(bands, dtype=WORK_DTYPE)
    if bands.ndim != 3:
        raise ValueError(f"bands must be 3-D (bands, rows, cols), got shape {bands.shape}")
    if bands.shape[0] != len(band_names):
        raise ValueError(
            f"{plural(bands.shape[0], 'band')} but {plural(len(band_names), 'band name')}"
        )
    if texture_px < 3 or texture_px % 2 == 0:
        raise ValueError(f"texture_px must be an odd number >= 3, got {texture_px}")
    name = index_name_for(band_names)
    roles = _roles(band_names)
    if name == "ndbi-ndvi":
        red, nir, swir1 = (bands[roles[r]] for r in ("red", "nir", "swir1"))
        if check:
            _check_reflectance(bands[[roles["red"], roles["nir"], roles["swir1"]]])
        ndbi = _normalized_difference(swir1, nir)
        ndvi = _normalized_difference(nir, red)
        index = ndbi - ndvi
        cloud = (red > cloud_reflectance) & (ndbi < 0)
        index[cloud] = np.nan
        return np.asarray(index)
    # log(T) + 0.5 log(B) = 0.5 log(T² B): one logarithm, no square root
    product = _rgb_product(bands, band_names, fill, texture_px, compiled=compiled)
    return np.asarray(np.log(product) * WORK_DTYPE(0.5))


def _rgb_product(
    bands: np.ndarray,
    band_names: Sequence[str],
    fill: float | None,
    texture_px: int,
    stored: StoredBands | None = None,
    *,
    compiled: bool = True,
) -> np.ndarray:
    """T² B of the bands (or of the stored values ``bands``, read as ``stored`` says).

    Compiled (numba, when installed) unless ``compiled`` is False or ``stored`` says not to.
    """
    roles = _roles(band_names)
    at = [roles[r] for r in ("red", "green", "blue")]
    compiled = compiled and (stored is None or stored.compiled)
    kernel = _compiled_texture() if compiled else None
    if stored is not None and kernel is not None and fill is not None:
        at = [stored.keep[i] for i in at]  # the kept bands' places among the stored ones
        return np.asarray(
            kernel(
                bands[at[0]], bands[at[1]], bands[at[2]], fill, texture_px, _texture_floor(fill),
                invalid=stored.invalid(bands),
                scale=[stored.scales[i] for i in at] if stored.scaled else None,
                offset=[stored.offsets[i] for i in at] if stored.scaled else None,
            )
        )  # fmt: skip
    bands = np.asarray(bands if stored is None else stored(bands), dtype=WORK_DTYPE)
    if fill is None:
        fill = median_brightness([bands], band_names)
    red, green, blue = (bands[i] for i in at)
    texture = rgb_texture_product if compiled else rgb_texture_product_numpy
    return texture(red, green, blue, fill, texture_px, _texture_floor(fill))


def _rgb_bits_compiled(
    bands: np.ndarray,
    band_names: Sequence[str],
    threshold: float,
    fill: float | None,
    texture_px: int,
    stored: StoredBands | None,
    open_px: int,
    close_px: int,
) -> tuple[np.ndarray, np.ndarray] | None:
    """RGB classes as bits in one compiled pass, or None where the texture is not compiled.

    The classes :func:`local_classes` makes from :func:`_rgb_product` (compiled or not),
    made by :func:`kaesong_geo.extract_kernels.texture_bits`: the same, pixel for pixel.
    """
    if fill is None or (stored is not None and not stored.compiled):
        return None
    if _compiled_texture() is None:
        return None
    from kaesong_geo.extract_kernels import BITS_RADIUS_PX, texture_bits

    if max(open_px, close_px) > BITS_RADIUS_PX:
        return None
    roles = _roles(band_names)
    at = [roles[r] for r in ("red", "green", "blue")]
    invalid = scale = offset = None
    black = False
    if stored is not None:
        at = [stored.keep[i] for i in at]  # the kept bands' places among the stored ones
        plain = len(stored.keep) == 3 and not stored.alpha
        if plain and stored.zero_is_nodata and all(stored.nodata[i] is None for i in at):
            black = True  # the kernel finds the black fill as it reads: no mask to make
        else:
            invalid = stored.invalid(bands)
        if stored.scaled:
            scale, offset = [stored.scales[i] for i in at], [stored.offsets[i] for i in at]
    built, unknown = texture_bits(
        bands[at[0]], bands[at[1]], bands[at[2]], fill, texture_px, _texture_floor(fill),
        float(product_threshold(threshold)), open_px, close_px,
        invalid=invalid, black=black, scale=scale, offset=offset,
    )  # fmt: skip
    return built, unknown


def pack_classes(classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The BUILT and UNKNOWN pixels of ``classes`` as bits: words ``(rows, ceil(cols / 64))``.

    Column ``64 k + j`` of a row is bit ``j`` of its word ``k`` (uint64, as the compiled
    :func:`kaesong_geo.extract_kernels.texture_bits` makes them); an eighth of the memory of
    the classes. :func:`unpack_classes` undoes it.

    >>> c = np.array([[1, 2, 0, 1]], np.uint8)
    >>> [int(w[0, 0]) for w in pack_classes(c)], unpack_classes(*pack_classes(c), 4).tolist()
    ([9, 2], [[1, 2, 0, 1]])
    """
    rows, cols = classes.shape
    width = -(-cols // 64) * 64
    out = []
    for value in (BUILT, UNKNOWN):
        flags = np.zeros((rows, width), dtype=bool)
        flags[:, :cols] = classes == value
        packed = np.packbits(flags, axis=1, bitorder="little")
        out.append(np.ascontiguousarray(packed).view("<u8").astype(np.uint64, copy=False))
    return out[0], out[1]


def unpack_classes(
    built: np.ndarray, unknown: np.ndarray, cols: int, *, compiled: bool = False
) -> np.ndarray:
    """The classes (uint8) of ``cols`` columns from the bits of :func:`pack_classes`.

    With ``compiled`` (and numba installed), unpacked by
    :func:`kaesong_geo.extract_kernels.unpack_classes`: the same, faster.
    """
    if compiled and _compiled_texture() is not None:
        from kaesong_geo.extract_kernels import unpack_classes as unpack

        return np.asarray(unpack(built, unknown, cols))
    rows = built.shape[0]
    out = np.full((rows, cols), NOT_BUILT, dtype=np.uint8)
    for value, words in ((UNKNOWN, unknown), (BUILT, built)):
        as_bytes = np.ascontiguousarray(words).astype("<u8", copy=False).view(np.uint8)
        flags = np.unpackbits(as_bytes.reshape(rows, -1), axis=1, bitorder="little")
        out[flags[:, :cols].astype(bool)] = value
    return out


def product_threshold(threshold: float) -> np.floating[Any]:
    """The RGB threshold on T² B: ``exp(2 threshold)`` (the index is half its logarithm).

    :func:`local_classes` compares T² B with it rather than take a logarithm per pixel; the
    classes are those of ``index > threshold`` but for a pixel within a rounding error of it.

    Examples
    --------
    >>> float(product_threshold(0.0)), float(product_threshold(1e6)) == float("inf")
    (1.0, True)
    """
    if 2.0 * threshold > math.log(float(np.finfo(WORK_DTYPE).max)):
        return WORK_DTYPE(np.inf)  # type: ignore[no-any-return]
    return WORK_DTYPE(math.exp(2.0 * threshold))  # type: ignore[no-any-return]


def _texture_floor(fill: float) -> float:
    """The least texture (and brightness) an RGB pixel is given.

    A flat area (a saturated roof, a nodata fill) has no texture: it is floored at a
    thousandth of the typical brightness rather than at 0, whose logarithm would dwarf every
    other value.
    """
    return float(max(TEXTURE_FLOOR * float(fill), float(np.finfo(WORK_DTYPE).tiny) ** 0.25))


def rgb_texture_product_numpy(
    red: np.ndarray,
    green: np.ndarray,
    blue: np.ndarray,
    fill: float,
    texture_px: int,
    floor: float,
) -> np.ndarray:
    """T² B per pixel, the quantity the RGB index is half the logarithm of (NumPy reference).

    B is the mean brightness ((red + green + blue) / 3) over a ``texture_px`` box, T² the
    mean square, over the same box, of the brightness minus its binomial blur
    (:data:`HIGHPASS_WEIGHTS`); pixels where a band is not finite are filled with ``fill``
    before filtering and are NaN in the result; T² is floored at ``floor²`` and B at
    ``floor``. :func:`rgb_texture_product` gives the same values, bit for bit, compiled
    when numba is installed.

    Examples
    --------
    >>> flat = np.full((5, 5), 0.3, dtype=np.float32)
    >>> p = rgb_texture_product_numpy(flat, flat, flat, 0.3, 3, 0.01)
    >>> float(p[2, 2]) == float(np.float32(0.01 * 0.01) * np.float32(0.3))
    True
    """
    brightness = (red + green + blue) / WORK_DTYPE(3)
    valid = np.isfinite(brightness)
    brightness[~valid] = fill
    detail = brightness - _smooth(brightness, np.asarray(HIGHPASS_WEIGHTS))
    box = np.full(texture_px, 1.0 / texture_px)
    texture2 = _smooth(detail * detail, box)
    mean = _smooth(brightness, box)
    np.maximum(texture2, WORK_DTYPE(floor * floor), out=texture2)
    np.maximum(mean, WORK_DTYPE(floor), out=mean)
    product = texture2 * mean
    product[~valid] = np.nan
    return np.asarray(product)


@functools.cache  # without numba, one failed import, not one per chunk
def _compiled_texture() -> Any:
    """:func:`kaesong_geo.extract_kernels.texture_product`, or None without numba."""
    try:
        from kaesong_geo.extract_kernels import texture_product
    except ImportError:
        return None
    return texture_product


@functools.cache
def _compiled_tracer() -> Any:
    """:func:`kaesong_geo.extract_kernels.trace_polygons`, or None without numba."""
    try:
        from kaesong_geo.extract_kernels import trace_polygons
    except ImportError:
        return None
    return trace_polygons


def rgb_texture_product(
    red: np.ndarray,
    green: np.ndarray,
    blue: np.ndarray,
    fill: float,
    texture_px: int,
    floor: float,
) -> np.ndarray:
    """T² B per pixel (see :func:`rgb_texture_product_numpy`), compiled when numba is installed.

    Examples
    --------
    >>> rgb = np.random.default_rng(1).random((3, 9, 7)).astype(np.float32)
    >>> a = rgb_texture_product(rgb[0], rgb[1], rgb[2], 0.5, 5, 1e-4)
    >>> bool((a == rgb_texture_product_numpy(rgb[0], rgb[1], rgb[2], 0.5, 5, 1e-4)).all())
    True
    """
    compiled = _compiled_texture()
    if compiled is None:
        return rgb_texture_product_numpy(red, green, blue, fill, texture_px, floor)
    return np.asarray(compiled(red, green, blue, fill, texture_px, floor))


def _smooth(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """A separable filter with symmetric ``weights`` along both axes (edges mirrored).

    Edges repeat the edge pixel and mirror on (``scipy.ndimage``'s "reflect"). Every output
    pixel is a sum over its own window, added in the same order wherever it lies (unlike a
    running sum, whose rounding depends on where a row starts), so a chunk with enough
    overlap gives bit for bit the values of the whole raster; whole-array NumPy operations
    release the GIL, so chunks are filtered in parallel threads. Only the edges are padded,
    not the whole array.
    """
    r = len(weights) // 2
    w = np.asarray(weights, dtype=WORK_DTYPE)
    out = np.asarray(values, dtype=WORK_DTYPE)
    for axis in (0, 1):
        n = out.shape[axis]
        result = np.empty_like(out)
        if n > 4 * r:
            _put(result, axis, r, n - r, _window_sum(out, w, axis))
            top = np.pad(_take(out, axis, 0, 3 * r), _pad(axis, r, 0), mode="symmetric")
            bottom = np.pad(_take(out, axis, n - 3 * r, n), _pad(axis, 0, r), mode="symmetric")
            _put(result, axis, 0, r, _take(_window_sum(top, w, axis), axis, 0, r))
            _put(result, axis, n - r, n, _take(_window_sum(bottom, w, axis), axis, r, 2 * r))
        else:
            result[...] = _window_sum(np.pad(out, _pad(axis, r, r), mode="symmetric"), w, axis)
        out = result
    return out


def _pad(axis: int, before: int, after: int) -> list[tuple[int, int]]:
    widths = [(0, 0), (0, 0)]
    widths[axis] = (before, after)
    return widths


def _take(x: np.ndarray, axis: int, start: int, stop: int) -> np.ndarray:
    return x[start:stop] if axis == 0 else x[:, start:stop]


def _put(x: np.ndarray, axis: int, start: int, stop: int, value: np.ndarray) -> None:
    if axis == 0:
        x[start:stop] = value
    else:
        x[:, start:stop] = value


def _window_sum(x: np.ndarray, w: np.ndarray, axis: int) -> np.ndarray:
    """``x`` filtered along ``axis`` with the symmetric weights ``w`` where the window fits.

    The result has ``len(w) - 1`` fewer values along ``axis``.
    """
    r = len(w) // 2
    m = x.shape[axis] - 2 * r
    if np.all(w == w[0]):  # a box: sum, then scale once
        acc = _take(x, axis, 0, m).copy()
        for k in range(1, 2 * r + 1):
            acc += _take(x, axis, k, k + m)
        acc *= w[0]
    else:
        acc = _take(x, axis, r, r + m) * w[r]
        for k in range(1, r + 1):
            acc += (_take(x, axis, r - k, r - k + m) + _take(x, axis, r + k, r + k + m)) * w[r + k]
    return np.asarray(acc)


def median_brightness(windows: Iterable[np.ndarray], band_names: Sequence[str]) -> float:
    """The median brightness (mean of red, green, blue) of the valid pixels of ``windows``.

    What nodata pixels are filled with before the RGB texture is filtered (0 without any
    valid pixel).

    Examples
    --------
    >>> w = np.array([[[1.0, 3.0, np.nan]], [[1.0, 3.0, 5.0]], [[1.0, 3.0, 5.0]]])
    >>> median_brightness([w], ["red", "green", "blue"])
    2.0
    """
    roles = _roles(band_names)
    values = []
    for window in windows:
        rgb = np.asarray(window, dtype=np.float64)[[roles["red"], roles["green"], roles["blue"]]]
        valid = np.isfinite(rgb).all(axis=0)
        values.append(rgb.mean(axis=0)[valid])
    pooled = np.concatenate(values) if values else np.empty(0)
    return float(np.median(pooled)) if pooled.size else 0.0


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


def _radii_px(pixel_m: float, opening_m: float | None, closing_m: float | None) -> tuple[int, int]:
    if not pixel_m > 0:
        raise ValueError(f"pixel_m must be positive, got {pixel_m}")
    open_px = round((2 * pixel_m if opening_m is None else opening_m) / pixel_m)
    close_px = round((2 * pixel_m if closing_m is None else closing_m) / pixel_m)
    if open_px < 0 or close_px < 0:
        raise ValueError("opening_m and closing_m must not be negative")
    return open_px, close_px


def min_patch_px(min_patch_m2: float, pixel_m: float) -> int:
    """The smallest patch kept, in pixels (at least 1).

    Examples
    --------
    >>> min_patch_px(5000.0, 10.0)
    50
    """
    return max(1, math.ceil(min_patch_m2 / (pixel_m * pixel_m)))


def smooth_mask(mask: np.ndarray, open_px: int, close_px: int, erode_px: int = 0) -> np.ndarray:
    """The neighbourhood part of the clean-up: opening, closing, erosion (squares).

    Every output pixel depends only on input pixels within ``2 * open_px + 2 * close_px +
    erode_px``, so a chunk with that much overlap gives exactly the whole raster's values.

    Examples
    --------
    >>> m = np.zeros((9, 9), bool); m[2:7, 2:7] = True; m[0, 8] = True
    >>> int(smooth_mask(m, 1, 1).sum()), int(smooth_mask(m, 1, 1, erode_px=1).sum())
    (25, 9)
    """
    out = np.asarray(mask, dtype=bool)
    if open_px > 0:
        out = _dilate(_erode(out, open_px, 0), open_px)
    if close_px > 0:
        padded = np.pad(out, close_px, mode="edge")
        closed = _erode(_dilate(padded, close_px), close_px, 0)
        out = closed[close_px:-close_px, close_px:-close_px]
    if erode_px > 0:
        out = _erode(out, erode_px, 1)
    return np.asarray(out, dtype=bool)


def _square_reduce(mask: np.ndarray, radius_px: int, border: bool, erode: bool) -> np.ndarray:
    """Erosion (all of) or dilation (any of) over a square, outside the array ``border``.

    Separable: along rows, then columns. Along an axis, the window of ``2 r + 1`` pixels is
    reached by doubling (windows of 1, 2, 4, ... joined with AND / OR of shifted views), so
    a radius of 60 pixels costs 7 NumPy operations, not 120 (and no GIL).
    """
    op = np.logical_and if erode else np.logical_or
    out = np.asarray(mask, dtype=bool)
    size = 2 * radius_px + 1
    for axis in (0, 1):
        shape = list(out.shape)
        shape[axis] += 2 * radius_px
        acc = np.full(shape, border, dtype=bool)  # np.pad costs more than the reduction
        if axis == 0:
            acc[radius_px : radius_px + out.shape[0]] = out
        else:
            acc[:, radius_px : radius_px + out.shape[1]] = out
        width = 1  # acc[i] holds the reduction over pixels i .. i + width - 1 (padded)
        while width < size:
            step = min(width, size - width)
            n = acc.shape[axis] - step
            head = acc[:n] if axis == 0 else acc[:, :n]
            tail = acc[step:] if axis == 0 else acc[:, step:]
            acc = op(head, tail)
            width += step
        out = acc
    return out


def _erode(mask: np.ndarray, radius_px: int, border: int) -> np.ndarray:
    """Binary erosion by a square (outside the array: ``border``)."""
    return _square_reduce(mask, radius_px, bool(border), erode=True)


def _dilate(mask: np.ndarray, radius_px: int) -> np.ndarray:
    """Binary dilation by a square (outside the array: 0)."""
    return _square_reduce(mask, radius_px, False, erode=False)


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
    around the edges, and patches it leaves below ``min_patch_m2`` are removed.

    This is the pixel-level form of what :func:`extract_footprint` does: it applies the
    opening and closing per chunk (:func:`smooth_mask`) and removes small patches and holes
    and erodes on the merged polygons (:func:`footprint_from_parts`), which needs no
    whole-raster labelling (there, the scene's edge erodes too).

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
    open_px, close_px = _radii_px(pixel_m, opening_m, closing_m)
    out = smooth_mask(mask, open_px, close_px)
    min_px = min_patch_px(min_patch_m2, pixel_m)
    out = _drop_small(out, min_px)
    out = ~_drop_small(~out, min_px)
    if erode_px > 0:
        out = _erode(out, erode_px, 1)
        out = _drop_small(out, min_px)
    return np.asarray(out, dtype=bool)


def pixel_size_m(transform: Any, crs: Any, at: tuple[float, float] | None = None) -> float:
    """The pixel size in metres on the ground (the mean of both axes) in a projected CRS.

    Where the CRS's scale at ``at`` (a point in the CRS, e.g. the scene's centre) differs
    from 1 by more than 1 %, the size is divided by it: a Web Mercator "metre" at 38° N is
    0.79 m on the ground (scale 1.27), so a 1 m Web Mercator pixel there is 0.79 m. A UTM
    zone's scale (within 0.1 % of 1) is left as it is.

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
    >>> round(pixel_size_m(Affine(1, 0, 0, 0, -1, 0), "EPSG:3857", at=(14096000, 4570000)), 3)
    0.789
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
    size = (dx + dy) / 2
    if at is not None:
        from pyproj import Proj

        lon, lat = Transformer.from_crs(crs_, "EPSG:4326", always_xy=True).transform(*at)
        factors = Proj(crs_).get_factors(lon, lat)
        scale = math.sqrt(factors.meridional_scale * factors.parallel_scale)
        if math.isfinite(scale) and scale > 0 and abs(scale - 1) > 0.01:
            size /= scale
    return float(size)


def site_window(
    transform: Any, crs: Any, height: int, width: int, site: Site
) -> tuple[int, int, int, int]:
    """The part of the scene that can hold the site's footprint: ``(row0, row1, col0, col1)``.

    The box around the site's outline widened by ``site.outline_margin_km``, or, without an
    outline, around the circle of ``site.max_distance_km``, in the scene's pixels (rounded
    outwards, within the scene). Only this part is classified and polygonized; the threshold
    is still chosen from the whole scene. Polygons reaching beyond it are cut at its edge.

    Raises
    ------
    ValueError
        The scene does not cover any of it.

    Examples
    --------
    >>> from affine import Affine
    >>> from kaesong_geo.site import KAESONG
    >>> t = Affine(100, 0, 250000, 0, -100, 4250000)  # 100 km of UTM 52N at 100 m
    >>> site_window(t, "EPSG:32652", 1000, 1000, KAESONG)  # the 40 km around the point
    (282, 697, 212, 627)
    """
    if site.outline is not None and not site.outline.is_empty:
        margin = site.outline_margin_km * 1000.0
        w, s, e, n = site.outline.bounds
        corners = [(w, s, 225.0), (w, n, 315.0), (e, n, 45.0), (e, s, 135.0)]
        lons, lats, _ = GEOD.fwd(
            [c[0] for c in corners],
            [c[1] for c in corners],
            [c[2] for c in corners],
            [margin * math.sqrt(2)] * 4,
        )
        box = (min(lons), min(lats), max(lons), max(lats))
    else:
        r = site.max_distance_km * 1000.0 * 1.01  # the circle's box, with slack
        lons, lats, _ = GEOD.fwd([site.lon] * 4, [site.lat] * 4, [0, 90, 180, 270], [r] * 4)
        box = (min(lons), min(lats), max(lons), max(lats))
    to_scene = Transformer.from_crs("EPSG:4326", CRS.from_user_input(crs), always_xy=True)
    x0, y0, x1, y1 = to_scene.transform_bounds(*box, densify_pts=21)
    inverse = ~transform
    cols, rows = zip(*(inverse * (x, y) for x in (x0, x1) for y in (y0, y1)), strict=True)
    row0, row1 = max(0, math.floor(min(rows))), min(height, math.ceil(max(rows)))
    col0, col1 = max(0, math.floor(min(cols))), min(width, math.ceil(max(cols)))
    if row0 >= row1 or col0 >= col1:
        raise ValueError(f"the scene does not cover the site {site.name!r}")
    return row0, row1, col0, col1


@dataclass(frozen=True)
class KeepRegion:
    """Where, in a window's pixel coordinates, the parts :func:`keep_within` keeps can lie.

    With slack: a part whose bounding box lies wholly outside is dropped at the end whatever
    is made of it, so a chunked extraction need not fill, erode and simplify it. ``box``
    (``x0, y0, x1, y1``: columns, rows) around a site's outline, or a circle of
    ``radius_px`` around ``centre`` (column, row) for a site without one.
    """

    box: tuple[float, float, float, float] | None = None
    centre: tuple[float, float] = (0.0, 0.0)
    radius_px: float = math.inf

    def may_keep(self, bounds: np.ndarray) -> np.ndarray:
        """Whether each part (bounds ``(n, 4)``: ``x0, y0, x1, y1``) may be kept.

        >>> r = KeepRegion(centre=(10.0, 10.0), radius_px=5.0)
        >>> r.may_keep(np.array([[13, 13, 20, 20], [16, 0, 20, 30]])).tolist()
        [True, False]
        """
        x0, y0, x1, y1 = np.asarray(bounds, dtype=float).reshape(-1, 4).T
        if self.box is not None:
            bx0, by0, bx1, by1 = self.box
            return np.asarray((x1 >= bx0) & (x0 <= bx1) & (y1 >= by0) & (y0 <= by1))
        cx, cy = self.centre
        dx = np.maximum(np.maximum(x0 - cx, cx - x1), 0.0)
        dy = np.maximum(np.maximum(y0 - cy, cy - y1), 0.0)
        return np.asarray(np.hypot(dx, dy) <= self.radius_px)


#: Slack of :func:`keep_region`: a tenth of the distance, and a few pixels.
KEEP_SLACK, KEEP_SLACK_PX = 0.1, 3.0


def keep_region(site: Site, transform: Any, crs: Any, pixel_m: float) -> KeepRegion:
    """The :class:`KeepRegion` of ``site`` in the pixels of a window at ``transform``.

    The CRS's scale varies by well under :data:`KEEP_SLACK` across a site (pixels are
    square and measured at the scene's centre, :func:`pixel_size_m`), and a part's pieces
    lie within its bounding box.

    >>> from affine import Affine
    >>> from kaesong_geo.site import KAESONG
    >>> t = Affine(100, 0, 250000, 0, -100, 4250000)
    >>> r = keep_region(KAESONG, t, "EPSG:32652", 100.0)
    >>> [round(v) for v in r.centre], round(r.radius_px)
    ([420, 489], 223)
    """
    to_scene = Transformer.from_crs("EPSG:4326", CRS.from_user_input(crs), always_xy=True)
    inverse = ~transform
    if site.outline is not None and not site.outline.is_empty:
        x0, y0, x1, y1 = to_scene.transform_bounds(*site.outline.bounds, densify_pts=21)
        cols, rows = zip(*(inverse * (x, y) for x in (x0, x1) for y in (y0, y1)), strict=True)
        pad = max(KEEP_SLACK_PX, KEEP_SLACK * max(max(cols) - min(cols), max(rows) - min(rows)))
        return KeepRegion(box=(min(cols) - pad, min(rows) - pad, max(cols) + pad, max(rows) + pad))
    col, row = inverse * to_scene.transform(site.lon, site.lat)
    radius = site.max_distance_km * 1000.0 / pixel_m * (1 + KEEP_SLACK) + KEEP_SLACK_PX
    return KeepRegion(centre=(float(col), float(row)), radius_px=float(radius))


def window_transform(transform: Any, row0: int, col0: int) -> Any:
    """The transform of a window of the scene starting at ``(row0, col0)``."""
    from affine import Affine

    return transform * Affine.translation(col0, row0)


def scene_centre(transform: Any, height: int, width: int) -> tuple[float, float]:
    """The centre of a ``height`` x ``width`` grid, in its CRS."""
    x, y = transform * (width / 2, height / 2)
    return float(x), float(y)


#: Pixel values of :func:`local_classes`.
NOT_BUILT, BUILT, UNKNOWN = 0, 1, 2

#: Side of the windows the threshold's sample is drawn from, in pixels.
SAMPLE_WINDOW_PX = 256


def sample_windows(
    height: int,
    width: int,
    sample: int = 1_000_000,
    seed: int = 0,
    window: int = SAMPLE_WINDOW_PX,
) -> list[tuple[int, int, int, int]]:
    """Windows ``(row, col, rows, cols)`` whose pixels the threshold is chosen from.

    The whole scene when it has at most ``sample`` pixels; else ``ceil(sample / window²)``
    cells of a ``window``-pixel grid, drawn at random with ``seed`` (the same scene gives the
    same windows). Cells on a fixed grid fall inside one chunk when the chunk side is a
    multiple of ``window``, so the sample costs a few chunk reads.

    Examples
    --------
    >>> sample_windows(300, 200)
    [(0, 0, 300, 200)]
    >>> len(sample_windows(4096, 4096, sample=200_000))
    4
    >>> sample_windows(600, 600, sample=70_000, seed=1)
    [(256, 0, 256, 256), (256, 256, 256, 256)]
    """
    if height * width <= sample:
        return [(0, 0, height, width)]
    rows, cols = -(-height // window), -(-width // window)
    count = min(rows * cols, max(1, math.ceil(sample / (window * window))))
    cells = np.sort(np.random.default_rng(seed).choice(rows * cols, size=count, replace=False))
    out = []
    for cell in cells.tolist():
        r, c = divmod(cell, cols)
        r0, c0 = r * window, c * window
        out.append((r0, c0, min(window, height - r0), min(window, width - c0)))
    return out


#: Rounds of sample windows at most (see :func:`read_sample`).
SAMPLE_ROUNDS = 8


def more_sample_windows(
    height: int,
    width: int,
    taken: Sequence[tuple[int, int, int, int]],
    round_: int,
    sample: int = 1_000_000,
    seed: int = 0,
    window: int = SAMPLE_WINDOW_PX,
) -> list[tuple[int, int, int, int]]:
    """As many more windows as :func:`sample_windows` gives, among the cells not ``taken``.

    Drawn with ``seed`` and ``round_`` (the same scene gives the same rounds); empty when
    every cell is taken.

    Examples
    --------
    >>> first = sample_windows(600, 600, sample=70_000, seed=1)
    >>> second = more_sample_windows(600, 600, first, 1, sample=70_000, seed=1)
    >>> len(second), set(first) & set(second)
    (2, set())
    """
    if height * width <= sample:
        return []
    rows, cols = -(-height // window), -(-width // window)
    count = min(rows * cols, max(1, math.ceil(sample / (window * window))))
    used = {(r // window) * cols + c // window for r, c, _, _ in taken}
    free = np.array([cell for cell in range(rows * cols) if cell not in used], dtype=np.int64)
    if free.size == 0:
        return []
    picked = np.random.default_rng([seed, round_]).choice(
        free, size=min(count, free.size), replace=False
    )
    out = []
    for cell in np.sort(picked).tolist():
        r, c = divmod(cell, cols)
        r0, c0 = r * window, c * window
        out.append((r0, c0, min(window, height - r0), min(window, width - c0)))
    return out


def read_sample(
    read: Callable[[list[tuple[int, int, int, int]]], list[np.ndarray]],
    height: int,
    width: int,
    sample: int = 1_000_000,
    seed: int = 0,
) -> list[np.ndarray]:
    """The sample windows' bands (nodata NaN), with more windows where much is nodata.

    ``read`` gives the bands of a list of windows ``(row, col, rows, cols)``. The first
    round is :func:`sample_windows`. When more than a tenth of the pixels read are nodata
    (in any band) and fewer than ``sample`` are valid, rounds of as many more windows are
    read (:func:`more_sample_windows`, :data:`SAMPLE_ROUNDS` in all at most) until
    ``sample`` are valid or the scene is read whole: a scene that is mostly nodata, or
    mostly masked, otherwise had its threshold chosen from the few valid windows the first
    round found, which could miss the zone and give Otsu fields alone to split (an
    independent trial: 9.7-11.3 km² "built-up" for 1.2 km²). A scene with little nodata
    is sampled as before.

    Examples
    --------
    >>> b = np.full((3, 1024, 1024), np.nan)
    >>> b[:, :, 768:] = 0.5  # three quarters nodata
    >>> got = read_sample(lambda boxes: [b[:, r:r + h, c:c + w] for r, c, h, w in boxes],
    ...                   1024, 1024, sample=200_000)
    >>> len(got), sum(int(np.isfinite(w).all(axis=0).sum()) for w in got) >= 200_000
    (16, True)
    """
    boxes = sample_windows(height, width, sample, seed)
    out = read(boxes)
    valid = sum(int(np.isfinite(w).all(axis=0).sum()) for w in out)
    taken = list(boxes)
    for round_ in range(1, SAMPLE_ROUNDS):
        read_px = sum(h * w for _, _, h, w in taken)
        if valid >= sample or valid >= 0.9 * read_px:
            break
        boxes = more_sample_windows(height, width, taken, round_, sample, seed)
        if not boxes:
            break
        got = read(boxes)
        out += got
        valid += sum(int(np.isfinite(w).all(axis=0).sum()) for w in got)
        taken += boxes
    return out


def scene_statistics(
    windows: Sequence[np.ndarray],
    band_names: Sequence[str],
    *,
    texture_px: int = TEXTURE_PX,
    cloud_reflectance: float = CLOUD_REFLECTANCE,
    sample: int = 1_000_000,
    seed: int = 0,
) -> tuple[float, float | None]:
    """The threshold (Otsu) and the RGB nodata fill, from the pixels of the sample windows.

    The RGB texture of the sample (about ``sample`` pixels) is computed in NumPy: loading
    the compiled one would cost more than it saves there.

    Returns
    -------
    threshold : float
    fill : float or None
        The brightness nodata is filled with (RGB), None for multispectral band sets.

    Raises
    ------
    ValueError
        Digital numbers where reflectance is needed, no valid pixel, nothing to separate.
    """
    name = index_name_for(band_names)
    fill: float | None = None
    if name == "rgb-texture":
        fill = median_brightness(windows, band_names)
    else:
        roles = _roles(band_names)
        used = [roles["red"], roles["nir"], roles["swir1"]]
        _check_reflectance(
            np.concatenate([np.asarray(w, np.float64)[used].reshape(3, -1) for w in windows], 1)
        )
    values = [
        built_up_index(
            w, band_names, texture_px=texture_px, cloud_reflectance=cloud_reflectance,
            fill=fill, check=False, compiled=False,
        ).ravel()
        for w in windows
    ]  # fmt: skip
    return otsu_threshold(np.concatenate(values), sample=sample, seed=seed), fill


def erode_px_for(band_names: Sequence[str], texture_px: int = TEXTURE_PX) -> int:
    """Pixels the RGB texture window widens textured areas by (0 for spectral indices)."""
    return texture_px // 2 if index_name_for(band_names) == "rgb-texture" else 0


def local_reach_px(
    band_names: Sequence[str],
    pixel_m: float,
    opening_m: float | None = None,
    closing_m: float | None = None,
    texture_px: int = TEXTURE_PX,
) -> int:
    """The overlap a chunk needs for :func:`local_classes` to match the whole raster exactly.

    Examples
    --------
    >>> local_reach_px(["red", "green", "blue"], 4.0), local_reach_px(["B4", "B5", "B6"], 30.0)
    (12, 8)
    """
    open_px, close_px = _radii_px(pixel_m, opening_m, closing_m)
    return index_overlap_px(band_names, texture_px) + 2 * open_px + 2 * close_px


def local_classes(
    bands: np.ndarray,
    band_names: Sequence[str],
    threshold: float,
    pixel_m: float,
    *,
    fill: float | None = None,
    opening_m: float | None = None,
    closing_m: float | None = None,
    texture_px: int = TEXTURE_PX,
    cloud_reflectance: float = CLOUD_REFLECTANCE,
    stored: StoredBands | None = None,
) -> np.ndarray:
    """Classes of every pixel after the neighbourhood clean-up: BUILT, NOT_BUILT or UNKNOWN.

    Index, threshold, opening and closing: all local, so this runs per chunk
    with an overlap of :func:`local_reach_px` pixels. UNKNOWN (nodata, cloud) is never
    built-up unless the closing bridges it. RGB pixels are compared on T² B with
    :func:`product_threshold` (no logarithm per pixel). With ``stored``, ``bands`` are the
    values stored in the file, made into bands as ``stored`` says (the compiled RGB texture
    reads them as they are).

    Examples
    --------
    >>> b = np.full((3, 20, 20), [[[0.05]], [[0.35]], [[0.18]]])
    >>> b[:, 5:15, 5:15] = [[[0.2]], [[0.24]], [[0.32]]]
    >>> c = local_classes(b, ["B4", "B5", "B6"], -0.5, 10.0)
    >>> int((c == BUILT).sum()), int((c == UNKNOWN).sum())
    (100, 0)
    """
    open_px, close_px = _radii_px(pixel_m, opening_m, closing_m)
    if index_name_for(band_names) == "rgb-texture":
        packed = _rgb_bits_compiled(
            bands, band_names, threshold, fill, texture_px, stored, open_px, close_px
        )
        if packed is not None:  # compiled: the same classes
            return unpack_classes(*packed, bands.shape[-1], compiled=True)
        index = _rgb_product(bands, band_names, fill, texture_px, stored)
        built = classify(index, float(product_threshold(threshold)))
    else:
        if stored is not None:
            bands = stored(bands)
        index = built_up_index(
            bands, band_names, texture_px=texture_px, cloud_reflectance=cloud_reflectance,
            fill=fill, check=False,
        )  # fmt: skip
        built = classify(index, threshold)
    mask = smooth_mask(built, open_px, close_px)
    out: np.ndarray = np.where(np.isnan(index), np.uint8(UNKNOWN), np.uint8(NOT_BUILT))
    out[mask] = BUILT
    return out


def local_class_bits(
    bands: np.ndarray,
    band_names: Sequence[str],
    threshold: float,
    pixel_m: float,
    *,
    fill: float | None = None,
    opening_m: float | None = None,
    closing_m: float | None = None,
    texture_px: int = TEXTURE_PX,
    cloud_reflectance: float = CLOUD_REFLECTANCE,
    stored: StoredBands | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`local_classes` as the bits of :func:`pack_classes`.

    RGB with the compiled texture: made as bits (the opening and closing on 64 pixels at
    a time); otherwise the classes packed.

    >>> b = np.full((3, 20, 20), [[[0.05]], [[0.35]], [[0.18]]])
    >>> b[:, 5:15, 5:15] = [[[0.2]], [[0.24]], [[0.32]]]
    >>> built, unknown = local_class_bits(b, ["B4", "B5", "B6"], -0.5, 10.0)
    >>> int(np.unpackbits(built.view(np.uint8)).sum()), int(unknown.sum())
    (100, 0)
    """
    if index_name_for(band_names) == "rgb-texture":
        open_px, close_px = _radii_px(pixel_m, opening_m, closing_m)
        packed = _rgb_bits_compiled(
            bands, band_names, threshold, fill, texture_px, stored, open_px, close_px
        )
        if packed is not None:
            return packed
    classes = local_classes(
        bands, band_names, threshold, pixel_m, fill=fill, opening_m=opening_m,
        closing_m=closing_m, texture_px=texture_px, cloud_reflectance=cloud_reflectance,
        stored=stored,
    )  # fmt: skip
    return pack_classes(classes)


def _edge_runs(padded: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The boundaries between True and False along the rows of a mask, as maximal runs.

    ``padded`` is the mask as int8 with a row and column of 0 on every side. Returns
    ``(line, start, stop)``: a boundary along grid line ``line`` (between pixel rows
    ``line - 1`` and ``line`` of the unpadded mask) from column ``start`` to ``stop``. A run
    holds edges with True on the same side, so runs meet only at their ends (at a corner where
    four pixels alternate, the two runs through it stop there).
    """
    edges = padded[1:, 1:-1] - padded[:-1, 1:-1]  # +1: True below the line; -1: True above
    width = edges.shape[1]
    flat = edges.ravel()
    if flat.size % 8:
        flat = np.concatenate([flat, np.zeros(8 - flat.size % 8, dtype=np.int8)])
    # most of a mask has no boundary: find the non-zero 8-byte words first
    words = np.flatnonzero(flat.view(np.uint64))
    at = (words[:, None] * 8 + np.arange(8)).ravel()
    at = at[flat[at] != 0]
    side = flat[at]
    first = np.ones(at.size, dtype=bool)
    first[1:] = (at[1:] != at[:-1] + 1) | (side[1:] != side[:-1])
    first |= at % width == 0
    last = np.ones(at.size, dtype=bool)
    last[:-1] = first[1:]
    return at[first] // width, at[first] % width, at[last] % width + 1


#: A mask with more than one boundary run per this many pixels is speckled: its small
#: patches are removed as pixels (:func:`_without_small_inside`) before it is traced.
DENSE_RUNS_PX = 200


def _without_small_inside(mask: np.ndarray, min_px: int) -> np.ndarray:
    """The mask without its 4-connected patches of fewer than ``min_px`` pixels off its edge.

    What :func:`pixel_polygons` leaves out anyway, found as pixels (a patch's polygon has
    its pixel count for area): labelling costs about 6 ms per 1,024² chunk, more than a
    sparse mask's tracing saves, but a speckled one traces in half the time without them.

    >>> m = np.zeros((5, 5), bool); m[2, 2] = m[0, 0] = True; m[2:4, 4] = True
    >>> _without_small_inside(m, 2).astype(int).tolist()[2]
    [0, 0, 0, 0, 1]
    """
    from scipy import ndimage

    labels: np.ndarray = ndimage.label(mask)[0]  # 4-connected, as the polygons
    small = np.bincount(labels.ravel()) < min_px
    small[0] = False
    on_edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    small[on_edge] = False
    kept: np.ndarray = mask & ~small[labels]
    return kept


def _cut_at_border(
    line: np.ndarray, start: np.ndarray, stop: np.ndarray, last: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs along grid lines ``0`` and ``last`` (the mask's border) cut into unit steps.

    >>> runs = np.array([0, 1]), np.array([2, 2]), np.array([4, 5])  # line, start, stop
    >>> [a.tolist() for a in _cut_at_border(*runs, last=3)]
    [[0, 0, 1], [2, 3, 2], [3, 4, 5]]
    """
    border = (line == 0) | (line == last)
    if not border.any():
        return line, start, stop
    steps = np.where(border, stop - start, 1)
    step_in_run = np.arange(steps.sum()) - np.repeat(np.cumsum(steps) - steps, steps)
    first = np.repeat(start, steps) + step_in_run
    ends = np.where(np.repeat(border, steps), first + 1, np.repeat(stop, steps))
    return np.repeat(line, steps), first, ends


def pixel_polygons(
    mask: np.ndarray,
    row0: int = 0,
    col0: int = 0,
    min_px: int = 0,
    *,
    noded: bool = False,
    compiled: bool = False,
) -> list[Polygon]:
    """Polygons of the True pixels (4-connected), in pixel coordinates ``(col, row)``.

    A chunk at ``(row0, col0)`` gives its polygons in the whole raster's pixel coordinates;
    they are whole numbers, exact in floating point, so pieces from neighbouring chunks meet
    exactly and :func:`merge_at_seams` joins them without slivers. Patches of fewer than
    ``min_px`` pixels that do not touch the mask's edge are left out: such a patch is whole
    (no other chunk holds part of it) and :func:`footprint_from_parts` would drop it, so
    leaving it out changes nothing but the work; a patch on the edge may go on in the next
    chunk and is kept.

    The boundaries between True and False pixels are found with whole-array NumPy
    operations, joined into maximal straight runs, and the faces they enclose assembled by
    GEOS (``shapely.polygonize``); the faces of True pixels are the polygons, with their
    holes. Two patches touching at a corner are two polygons (4-connectivity, as
    ``rasterio.features.shapes`` with ``connectivity=4``). The work grows with the length of
    the boundaries, not the number of pixels: on the chunks of a rural scene (a few per cent
    built-up) about 3 ms per 1,024² chunk against 15 ms for GDAL's polygonize.

    With ``noded``, the boundaries along the mask's border are cut at every pixel corner:
    pieces traced so in neighbouring chunks then have the same vertices along the edge
    between them, which GEOS's coverage union needs (:func:`merge_at_seams` with
    ``noded``); :func:`footprint_from_parts` drops the extra vertices.

    With ``compiled`` (and numba installed), the boundaries are followed pixel by pixel in
    compiled code (:func:`kaesong_geo.extract_kernels.trace_polygons`) and the polygons
    built from their rings: the same polygons, vertex for vertex, in about a sixth of the
    time on the chunks of the 16,384² benchmark scene.

    Examples
    --------
    >>> m = np.zeros((4, 4), bool); m[1:3, 1:3] = True
    >>> pixel_polygons(m, row0=10, col0=20)[0].bounds
    (21.0, 11.0, 23.0, 13.0)
    >>> m[0, 3] = True  # a pixel on the edge is kept, one inside dropped below min_px
    >>> [p.area for p in pixel_polygons(m, min_px=2)], [p.area for p in pixel_polygons(m, min_px=5)]
    ([1.0, 4.0], [1.0])
    """
    mask = np.asarray(mask, dtype=bool)
    if compiled and _compiled_tracer() is not None:
        return list(_compiled_tracer()(mask, row0, col0, min_px, noded=noded))
    padded = np.pad(mask, 1).view(np.int8)
    row_line, x0, x1 = _edge_runs(padded)
    col_line, y0, y1 = _edge_runs(np.ascontiguousarray(padded.T))
    if min_px > 1 and (row_line.size + col_line.size) * DENSE_RUNS_PX > mask.size:
        # a speckled mask: its small patches cost more to trace than to find as pixels
        mask = _without_small_inside(mask, min_px)
        padded = np.pad(mask, 1).view(np.int8)
        row_line, x0, x1 = _edge_runs(padded)
        col_line, y0, y1 = _edge_runs(np.ascontiguousarray(padded.T))
    if noded:
        row_line, x0, x1 = _cut_at_border(row_line, x0, x1, mask.shape[0])
        col_line, y0, y1 = _cut_at_border(col_line, y0, y1, mask.shape[1])
    along_rows = row_line.size
    ends = np.empty((along_rows + col_line.size, 2, 2), dtype=np.float64)
    ends[:along_rows, 0, 0], ends[:along_rows, 1, 0] = x0 + col0, x1 + col0
    ends[:along_rows, :, 1] = (row_line + row0)[:, None]
    ends[along_rows:, :, 0] = (col_line + col0)[:, None]
    ends[along_rows:, 0, 1], ends[along_rows:, 1, 1] = y0 + row0, y1 + row0
    if ends.size == 0:
        return []
    lines = np.asarray(shapely.linestrings(ends), dtype=object)
    faces = shapely.get_parts(shapely.polygonize(lines))
    # a face is True or False pixels throughout: look at one of its pixels
    inside = shapely.get_coordinates(shapely.point_on_surface(faces))
    rows = np.floor(inside[:, 1]).astype(np.intp) - row0
    cols = np.floor(inside[:, 0]).astype(np.intp) - col0
    faces = faces[mask[rows, cols]]
    if min_px > 1 and faces.size:
        w, s, e, n = shapely.bounds(faces).T
        height, width = mask.shape
        on_edge = (w <= col0) | (s <= row0) | (e >= col0 + width) | (n >= row0 + height)
        faces = faces[on_edge | (shapely.area(faces) >= min_px)]
    return list(faces)


def merge_at_seams(
    parts: Sequence[Polygon],
    row_seams: Sequence[int],
    col_seams: Sequence[int],
    *,
    noded: bool = False,
) -> list[Polygon]:
    """Join the polygons cut by chunk edges (rows ``row_seams``, columns ``col_seams``).

    Only the parts that touch a seam are unioned; the others are kept as they are. With
    ``noded`` (parts from :func:`pixel_polygons` with ``noded``, which do not overlap and
    have the same vertices along the seams), by GEOS's coverage union, which only removes
    the shared edges: a tenth of the time of a full union on the seams of the 16,384²
    benchmark scene; the full union remains the fallback.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> parts = [box(0, 0, 4, 2), box(4, 0, 6, 2), box(8, 0, 9, 1)]
    >>> sorted(p.area for p in merge_at_seams(parts, [], [4]))
    [1.0, 12.0]
    """
    from shapely.geometry import LineString

    if not parts:
        return []
    geoms = np.asarray(parts, dtype=object)
    _, _, right, bottom = shapely.bounds(geoms).max(axis=0) + 1
    seams = [LineString([(c, -1), (c, bottom)]) for c in col_seams]
    seams += [LineString([(-1, r), (right, r)]) for r in row_seams]
    if not seams:
        return list(parts)
    _, cut = shapely.STRtree(geoms).query(seams, predicate="intersects")
    cut_set = set(cut.tolist())
    kept = [p for i, p in enumerate(parts) if i not in cut_set]
    if not cut_set:
        return kept
    cut_parts = geoms[sorted(cut_set)]
    merged = None
    if noded:
        with contextlib.suppress(shapely.errors.GEOSException):
            merged = shapely.coverage_union_all(cut_parts)
    if merged is None:
        merged = shapely.union_all(cut_parts)
    return kept + polygons_of(merged)


def _without_small_holes(poly: Polygon, min_px: int) -> Polygon:
    holes = [ring for ring in poly.interiors if Polygon(ring).area >= min_px]
    return poly if len(holes) == len(poly.interiors) else Polygon(poly.exterior, holes)


def footprint_from_parts(
    parts: Iterable[Polygon],
    transform: Any,
    crs: Any,
    site: Site | None,
    *,
    pixel_m: float,
    min_patch_m2: float = DEFAULT_MIN_PATCH_M2,
    erode_px: int = 0,
) -> MultiPolygon:
    """The footprint in WGS 84 from merged pixel polygons (pixel coordinates).

    Patches and holes below ``min_patch_m2`` are removed; the outlines are put in a canonical
    form (collinear vertices dropped, rings and parts ordered); ``erode_px`` pixels are taken
    off every edge (an inward buffer with square corners: the erosion by a square) and parts
    left below ``min_patch_m2`` dropped; the rest is simplified with a tolerance of one pixel
    (keeping topology), parts still above ``min_patch_m2`` kept, placed with
    ``transform``, reprojected to WGS 84 and, with a ``site``, kept within it
    (:func:`keep_within`). The canonical form makes the result independent of how the raster
    was cut into chunks.
    """
    min_px = min_patch_px(min_patch_m2, pixel_m)
    pieces = finish_parts(parts, min_px, erode_px)
    return footprint_from_pieces(pieces, transform, crs, site, min_px=min_px)


def finish_parts(
    parts: Iterable[Polygon], min_px: int, erode_px: int = 0, region: KeepRegion | None = None
) -> list[Polygon]:
    """What :func:`footprint_from_parts` makes of each whole part before joining them.

    A part below ``min_px`` pixels is dropped, its holes below ``min_px`` filled, its outline
    put in canonical form (collinear vertices dropped, rings ordered), eroded by ``erode_px``
    pixels (an inward buffer with square corners: the erosion by a square), and of what is
    left the pieces of at least ``min_px``, in canonical form, are returned. Each part on
    its own (parts meet at most at a corner, where there is nothing to erode or simplify):
    a chunked extraction finishes the parts no seam cuts while other chunks are still being
    classified. With a ``region``, the parts wholly outside it are dropped first (they would
    be at the end).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> [p.bounds for p in finish_parts([box(0, 0, 10, 10), box(20, 0, 22, 2)], 5, 1)]
    [(1.0, 1.0, 9.0, 9.0)]
    """
    polys = [_without_small_holes(p, min_px) for p in parts if p.area >= min_px]
    if polys and region is not None:
        near = region.may_keep(shapely.bounds(polys))
        polys = [p for p, ok in zip(polys, near, strict=True) if ok]
    if erode_px > 0:
        # a piece of min_px left by the erosion, grown back by the square, lies within the
        # part, so (Brunn-Minkowski) the part has at least (sqrt(min_px) + 2 erode_px)² px:
        # the smaller parts are known to erode away (about half of them, in rural scenes)
        least = (math.sqrt(min_px) + 2 * erode_px) ** 2 * (1 - 1e-9)
        polys = [p for p in polys if p.area >= least]
    if not polys:
        return []
    canonical = shapely.normalize(shapely.simplify(np.asarray(polys, dtype=object), 0.0))
    if erode_px > 0:
        eroded = shapely.buffer(canonical, -erode_px, join_style="mitre")
        big = [p for g in eroded for p in polygons_of(g) if p.area >= min_px]
        if not big:
            return []
        canonical = shapely.normalize(shapely.simplify(np.asarray(big, dtype=object), 0.0))
    return list(canonical)


def footprint_from_pieces(
    pieces: Sequence[Polygon], transform: Any, crs: Any, site: Site | None, *, min_px: int
) -> MultiPolygon:
    """The footprint in WGS 84 from the parts finished by :func:`finish_parts`.

    The pieces, in canonical order, are simplified together with a tolerance of one pixel
    (keeping topology), those still of ``min_px`` pixels or more kept, placed with
    ``transform``, reprojected to WGS 84 and, with a ``site``, kept within it
    (:func:`keep_within`).
    """
    if not pieces:
        return MultiPolygon()
    canonical = shapely.normalize(MultiPolygon(list(pieces)))
    simple = shapely.make_valid(shapely.simplify(canonical, 1.0, preserve_topology=True))
    kept = MultiPolygon([p for p in polygons_of(simple) if p.area >= min_px])
    if kept.is_empty:
        return MultiPolygon()
    to_wgs84 = Transformer.from_crs(CRS.from_user_input(crs), "EPSG:4326", always_xy=True)
    t = transform

    def to_lonlat(cr: np.ndarray) -> np.ndarray:
        x = t.a * cr[:, 0] + t.b * cr[:, 1] + t.c
        y = t.d * cr[:, 0] + t.e * cr[:, 1] + t.f
        return np.column_stack(to_wgs84.transform(x, y))

    lonlat = shapely.make_valid(shapely.transform(kept, to_lonlat))
    out = [p for p in polygons_of(lonlat) if not p.is_empty and p.area > 0]
    if site is not None:
        out = keep_within(out, site)
    return dissolve(out) if out else MultiPolygon()


#: A built-up polygon spanning this share of the area classified, edge to edge, is suspect.
SPAN_SHARE = 0.9
#: Built-up covering more than this share of the area classified is suspect.
COVER_SHARE = 0.4


def spanning_warnings(
    parts: Sequence[Polygon],
    rows: int,
    cols: int,
    pixel_m: float,
    min_patch_m2: float,
    opening_m: float,
) -> tuple[str, ...]:
    """Warnings for signs that roads, field boundaries or haze were taken for built-up.

    A zone ends somewhere: a built-up polygon spanning :data:`SPAN_SHARE` of the area
    classified from side to side, or built-up covering more than :data:`COVER_SHARE` of it,
    is typically a road grid or field edges taken for built-up (in RGB imagery finer than the
    clean-up's radii), or a scene cut tightly around the zone; either way the footprint
    needs looking at.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> road = box(0, 40, 100, 44)  # 100 px long, 4 px wide: 6,400 m² at 4 m
    >>> spanning_warnings([road, box(10, 10, 30, 30)], 100, 100, 4.0, 5000, 8.0)[0][:50]
    'a built-up polygon of 6,400 m² runs across the are'
    >>> spanning_warnings([box(0, 0, 70, 70)], 100, 100, 4.0, 5000, 8.0)[0][:44]
    'built-up covers 49 % of the area classified '
    """
    return _spanning_warnings(part_sizes(parts), rows, cols, pixel_m, min_patch_m2, opening_m)


def part_sizes(parts: Sequence[Polygon]) -> np.ndarray:
    """Area and bounds of each part, ``(n, 5)``: what :func:`spanning_warnings` looks at.

    >>> from shapely.geometry import box
    >>> part_sizes([box(0, 1, 2, 4)]).tolist()
    [[6.0, 0.0, 1.0, 2.0, 4.0]]
    """
    if not len(parts):
        return np.zeros((0, 5))
    geoms = np.asarray(parts, dtype=object)
    return np.column_stack([shapely.area(geoms), shapely.bounds(geoms)])


def _spanning_warnings(
    sizes: np.ndarray,
    rows: int,
    cols: int,
    pixel_m: float,
    min_patch_m2: float,
    opening_m: float,
) -> tuple[str, ...]:
    """:func:`spanning_warnings` from the parts' :func:`part_sizes`."""
    advice = (
        "check it against the image; if roads or field boundaries were taken for built-up, "
        f"raise --opening-m (now {opening_m:g} m)"
    )
    out = []
    for area, x0, y0, x1, y1 in sizes.tolist():
        across = x1 - x0 >= SPAN_SHARE * cols or y1 - y0 >= SPAN_SHARE * rows
        if area * pixel_m**2 >= min_patch_m2 and across:
            span = max(x1 - x0, y1 - y0) * pixel_m
            out.append(
                f"a built-up polygon of {area * pixel_m**2:,.0f} m² runs across the area "
                f"classified ({span:,.0f} m of {max(rows, cols) * pixel_m:,.0f} m): {advice}"
            )
    covered = float(sizes[:, 0].sum())
    if rows * cols and covered > COVER_SHARE * rows * cols:
        out.append(
            f"built-up covers {100 * covered / (rows * cols):.0f} % of the area classified "
            f"({rows * cols * pixel_m**2 / 1e6:,.2f} km²): {advice}"
        )
    return tuple(dict.fromkeys(out))


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
) -> list[Polygon]:
    """Polygons of ``mask`` in WGS 84, simplified to the pixel size.

    The pixel polygons are simplified with a tolerance of one pixel (which removes the
    staircase of pixel edges, keeping topology), parts smaller than ``min_area_m2`` before or
    after simplification are dropped (and holes smaller than it filled), and the rest
    reprojected to WGS 84 lon/lat (:func:`footprint_from_parts` without a site).

    Examples
    --------
    >>> from affine import Affine
    >>> m = np.zeros((4, 4), bool); m[1:3, 1:3] = True
    >>> poly, = polygonize(m, Affine(10, 0, 292000, 0, -10, 4201000), "EPSG:32652")
    >>> [round(v, 3) for v in poly.centroid.coords[0]]
    [126.633, 37.933]
    """
    pixel = pixel_size_m(transform, crs) if pixel_m is None else pixel_m
    found = footprint_from_parts(
        pixel_polygons(mask), transform, crs, None, pixel_m=pixel, min_patch_m2=min_area_m2
    )
    return list(found.geoms)


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

    The steps, each also run per chunk by :func:`kaesong_geo.extract_chunked.extract_chunked`
    (which gives the same result for a raster larger than memory):

    1. :func:`sample_windows` and :func:`scene_statistics`: Otsu's threshold of the index
       on a sample of the scene (and the RGB nodata fill).
    2. :func:`site_window`: the part of the scene around the site; there,
       :func:`local_classes`: index, threshold, opening, closing.
    3. :func:`pixel_polygons` of the built-up pixels.
    4. :func:`footprint_from_parts`: small patches and holes removed, (RGB) eroded by half
       the texture window, simplified to the pixel size, in WGS 84, kept within the site.

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
    sample, seed : see :func:`sample_windows` and :func:`otsu_threshold`.

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
    bands = np.asarray(bands, dtype=WORK_DTYPE)
    if bands.ndim != 3:
        raise ValueError(f"bands must be 3-D (bands, rows, cols), got shape {bands.shape}")
    if bands.shape[0] != len(band_names):
        raise ValueError(
            f"{plural(bands.shape[0], 'band')} but {plural(len(band_names), 'band name')}"
        )
    pixel_m = pixel_size_m(transform, crs, scene_centre(transform, *bands.shape[1:]))
    windows = read_sample(
        lambda boxes: [bands[:, r:r + h, c:c + w] for r, c, h, w in boxes],
        bands.shape[1], bands.shape[2], sample, seed,
    )  # fmt: skip
    threshold, fill = scene_statistics(
        windows, band_names, texture_px=texture_px, cloud_reflectance=cloud_reflectance,
        sample=sample, seed=seed,
    )  # fmt: skip
    row0, row1, col0, col1 = site_window(transform, crs, bands.shape[1], bands.shape[2], site)
    classes = local_classes(
        bands[:, row0:row1, col0:col1], band_names, threshold, pixel_m, fill=fill,
        opening_m=opening_m, closing_m=closing_m, texture_px=texture_px,
        cloud_reflectance=cloud_reflectance,
    )  # fmt: skip
    parts = pixel_polygons(classes == BUILT, min_px=min_patch_px(min_patch_m2, pixel_m))
    return extraction_from_parts(
        parts, (row0, row1, col0, col1), transform, crs, band_names, site, threshold,
        pixel_m, int((classes == UNKNOWN).sum()), min_patch_m2=min_patch_m2,
        closing_m=closing_m, opening_m=opening_m, texture_px=texture_px,
        cloud_reflectance=cloud_reflectance, sample=sample, seed=seed,
    )  # fmt: skip


def extraction_from_parts(
    parts: Sequence[Polygon],
    window: tuple[int, int, int, int],
    transform: Any,
    crs: Any,
    band_names: Sequence[str],
    site: Site,
    threshold: float,
    pixel_m: float,
    unknown_px: int,
    **options: Any,
) -> Extraction:
    """The :class:`Extraction` from the merged built-up polygons of the ``window`` classified.

    The last step of :func:`extract_footprint`: :func:`finish_parts` on every part, then
    :func:`extraction_from_pieces` (``options`` as it takes them).
    """
    min_px = min_patch_px(options["min_patch_m2"], pixel_m)
    pieces = finish_parts(parts, min_px, erode_px_for(band_names, options["texture_px"]))
    return extraction_from_pieces(
        pieces, part_sizes(parts), window, transform, crs, band_names, site, threshold,
        pixel_m, unknown_px, **options,
    )  # fmt: skip


def extraction_from_pieces(
    pieces: Sequence[Polygon],
    sizes: np.ndarray,
    window: tuple[int, int, int, int],
    transform: Any,
    crs: Any,
    band_names: Sequence[str],
    site: Site,
    threshold: float,
    pixel_m: float,
    unknown_px: int,
    *,
    min_patch_m2: float,
    closing_m: float | None,
    opening_m: float | None,
    texture_px: int,
    cloud_reflectance: float,
    sample: int,
    seed: int,
) -> Extraction:
    """The :class:`Extraction` from the finished parts of the ``window`` classified.

    The last step of :func:`extract_footprint` and of the chunked version:
    :func:`footprint_from_pieces` on the parts :func:`finish_parts` made, the parameters, the
    :func:`spanning_warnings` from the merged parts' :func:`part_sizes`.
    """
    row0, row1, col0, col1 = window
    geometry = footprint_from_pieces(
        pieces, window_transform(transform, row0, col0), crs, site,
        min_px=min_patch_px(min_patch_m2, pixel_m),
    )  # fmt: skip
    name = index_name_for(band_names)
    parameters: dict[str, Any] = {  # every parameter, for the provenance
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
        parameters["erode_px"] = erode_px_for(band_names, texture_px)
    else:
        parameters["cloud_reflectance"] = cloud_reflectance
    parameters["unknown_px"] = unknown_px  # nodata or cloud
    parameters["window_px"] = list(window)  # rows, then columns, classified
    flags = _spanning_warnings(
        sizes, row1 - row0, col1 - col0, pixel_m, min_patch_m2, parameters["opening_m"]
    )
    return Extraction(geometry, threshold, name, parameters, pixel_m, flags)
