"""Propose a footprint from a scene larger than memory: :mod:`kaesong_geo.extract`, per chunk.

The scene is a Dask array ``(bands, rows, cols)``, e.g. from ``rioxarray.open_rasterio(path,
chunks=...)``; nothing here reads a file. The steps are those of
:func:`kaesong_geo.extract.extract_footprint`, arranged so that the result is the same,
polygon for polygon, whatever the chunking:

1. The threshold (and the RGB nodata fill) from the same sample windows
   (:func:`~kaesong_geo.extract.sample_windows`): a few chunks are read for it.
2. Only the part of the scene around the site (:func:`~kaesong_geo.extract.site_window`) is
   read on: :func:`~kaesong_geo.extract.local_classes` per chunk with ``dask.array.map_overlap`` and
   an overlap of :func:`~kaesong_geo.extract.local_reach_px` pixels (``boundary="none"``: a
   chunk on the scene's edge sees the edge as the whole raster does).
3. :func:`~kaesong_geo.extract.pixel_polygons` per chunk (``map_blocks`` on the classes, in
   whole-raster pixel coordinates), the pieces cut by chunk edges joined
   (:func:`~kaesong_geo.extract.merge_at_seams`).
4. :func:`~kaesong_geo.extract.footprint_from_parts` on the merged polygons (removing small
   patches and holes needs the whole polygon, not the whole raster).

Memory stays near a few chunks per thread; only polygons come back to the caller. The
computation runs on whatever Dask scheduler is given or active (threads, a
``dask.distributed`` client); a progress bar is a Dask callback around the call.

Examples
--------
>>> import dask.array as da, numpy as np
>>> from affine import Affine
>>> from kaesong_geo.site import KAESONG
>>> b = np.full((3, 60, 60), [[[0.05]], [[0.35]], [[0.18]]])  # fields
>>> b[:, 20:40, 20:40] = [[[0.2]], [[0.24]], [[0.32]]]  # a 200 m square of concrete
>>> t = Affine(10, 0, 291700, 0, -10, 4201300)
>>> e = extract_chunked(da.from_array(b, chunks=(3, 25, 25)), t, "EPSG:32652",
...                     ["B4", "B5", "B6"], KAESONG, scheduler="sync")
>>> e.geometry.equals(extract_footprint(b, t, "EPSG:32652", ["B4", "B5", "B6"], KAESONG).geometry)
True
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import shapely

from kaesong_geo.extract import (
    BUILT,
    CLOUD_REFLECTANCE,
    DEFAULT_MIN_PATCH_M2,
    TEXTURE_PX,
    UNKNOWN,
    WORK_DTYPE,
    Extraction,
    extract_footprint,
    extraction_from_parts,
    index_name_for,
    local_classes,
    local_reach_px,
    merge_at_seams,
    min_patch_px,
    pixel_polygons,
    pixel_size_m,
    sample_windows,
    scene_centre,
    scene_statistics,
    site_window,
)
from kaesong_geo.site import Site

__all__ = ["extract_chunked", "extract_footprint"]


def _bands(block: np.ndarray, prepare: Callable[[np.ndarray], np.ndarray] | None) -> np.ndarray:
    return np.asarray(block if prepare is None else prepare(block), dtype=WORK_DTYPE)


def _classes_block(
    block: np.ndarray, prepare: Callable[[np.ndarray], np.ndarray] | None, **kwargs: Any
) -> np.ndarray:
    return local_classes(_bands(block, prepare), **kwargs)


def _parts_block(block: np.ndarray, min_px: int, block_info: Any = None) -> np.ndarray:
    """The chunk's built-up polygons (WKB, whole-raster pixel coordinates), unknown pixels."""
    (r0, _), (c0, _) = block_info[0]["array-location"]
    out = np.empty((1, 1), dtype=object)
    polygons = pixel_polygons(block == BUILT, int(r0), int(c0), min_px=min_px)
    out[0, 0] = ([p.wkb for p in polygons], int((block == UNKNOWN).sum()))
    return out


def extract_chunked(
    bands: Any,
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
    scheduler: Any = None,
    progress: contextlib.AbstractContextManager[Any] | None = None,
    prepare: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Extraction:
    """Propose a footprint from a chunked scene; the same as :func:`extract_footprint`.

    Parameters
    ----------
    bands : dask.array.Array, shape (bands, rows, cols)
        The scene as floating point, nodata as NaN, reflectance 0..1 for multispectral band
        sets; chunked in rows and columns (the bands are joined into one chunk).
    transform, crs, band_names, site, min_patch_m2, closing_m, opening_m, texture_px, \
cloud_reflectance, sample, seed
        As for :func:`kaesong_geo.extract.extract_footprint`.
    scheduler : str or Client, optional
        Passed to ``dask.compute`` (default: the active scheduler, else threads).
    progress : context manager, optional
        Entered around the pass over every chunk (e.g. a ``dask.callbacks.Callback``
        drawing a progress bar).
    prepare : callable, optional
        Turns a chunk of ``bands`` (as stored: e.g. 8-bit, with a nodata value) into the
        floating-point bands, nodata NaN, that the steps take; run per chunk, so that Dask
        holds the compact stored values between steps. ``bands[0]`` then need not be the
        first band (an alpha band may be dropped by ``prepare``).

    Raises
    ------
    ValueError
        Unusable bands, CRS or pixels, or no valid pixel.
    """
    from rasterio.errors import NotGeoreferencedWarning

    from kaesong_geo.deps import require

    dask = require("dask", "extracting in chunks", extra="scale")
    da = require("dask.array", "extracting in chunks", extra="scale")

    # rasterio.features.shapes run in several threads at once warns, wrongly, that its
    # in-memory dataset has no geotransform (the polygons are right): silence that one.
    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning, module=r"rasterio\b")
    if bands.ndim != 3:
        raise ValueError(f"bands must be 3-D (bands, rows, cols), got shape {bands.shape}")
    if prepare is None and bands.shape[0] != len(band_names):
        raise ValueError(f"{bands.shape[0]} bands but {len(band_names)} band names")
    pixel_m = pixel_size_m(transform, crs, scene_centre(transform, *bands.shape[1:]))
    index_name_for(band_names)
    bands = bands.rechunk({0: -1})
    height, width = int(bands.shape[1]), int(bands.shape[2])
    windows = [
        bands[:, r : r + h, c : c + w] for r, c, h, w in sample_windows(height, width, sample, seed)
    ]
    computed = dask.compute(*windows, scheduler=scheduler)
    threshold, fill = scene_statistics(
        [_bands(w, prepare) for w in computed], band_names,
        texture_px=texture_px, cloud_reflectance=cloud_reflectance, sample=sample, seed=seed,
    )  # fmt: skip
    reach = local_reach_px(band_names, pixel_m, opening_m, closing_m, texture_px)
    row0, row1, col0, col1 = site_window(transform, crs, height, width, site)
    classes = da.map_overlap(
        _classes_block,
        bands[:, row0:row1, col0:col1],
        depth={0: 0, 1: reach, 2: reach},
        boundary="none",
        drop_axis=0,
        dtype=np.uint8,
        meta=np.empty((0, 0), dtype=np.uint8),
        prepare=prepare,
        band_names=list(band_names),
        threshold=threshold,
        pixel_m=pixel_m,
        fill=fill,
        opening_m=opening_m,
        closing_m=closing_m,
        texture_px=texture_px,
        cloud_reflectance=cloud_reflectance,
    )
    cells = classes.map_blocks(
        _parts_block,
        min_px=min_patch_px(min_patch_m2, pixel_m),
        dtype=object,
        chunks=(1, 1),
        meta=np.empty((0, 0), dtype=object),
    )
    # warnings.catch_warnings is not thread-safe: used in the chunks' threads (shapely does),
    # it can leave an "ignore" filter behind that silences every later warning; this one,
    # in the calling thread, puts the filters back as they were
    bar = progress if progress is not None else contextlib.nullcontext()
    with warnings.catch_warnings(), bar:
        (computed_cells,) = dask.compute(cells, scheduler=scheduler)
    parts = [shapely.from_wkb(w) for cell in computed_cells.ravel() for w in cell[0]]
    unknown_px = sum(cell[1] for cell in computed_cells.ravel())
    row_seams = np.cumsum(classes.chunks[0])[:-1].tolist()
    col_seams = np.cumsum(classes.chunks[1])[:-1].tolist()
    return extraction_from_parts(
        merge_at_seams(parts, row_seams, col_seams), (row0, row1, col0, col1), transform, crs,
        band_names, site, threshold, pixel_m, unknown_px, min_patch_m2=min_patch_m2,
        closing_m=closing_m, opening_m=opening_m, texture_px=texture_px,
        cloud_reflectance=cloud_reflectance, sample=sample, seed=seed,
    )  # fmt: skip
