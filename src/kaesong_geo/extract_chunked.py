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
import functools
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
    StoredBands,
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


def _release_memory() -> None:
    """Give the memory the chunks' threads freed back to the system.

    The compiled texture's scratch arrays are dropped, and on Linux glibc's ``malloc_trim``
    returns the free pages of every thread's heap (glibc keeps them otherwise, and the
    polygons merged next would add to them; ``dask.distributed`` does the same between
    tasks).
    """
    import ctypes
    import sys

    with contextlib.suppress(ImportError):
        from kaesong_geo.extract_kernels import release_scratch

        release_scratch()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _merge_short(sizes: Sequence[int], depth: int) -> tuple[int, ...]:
    """Chunk sizes along an axis with none shorter than ``depth`` (short ones join a neighbour).

    A chunk's neighbours lend it ``depth`` pixels each, so each must have that many.

    Examples
    --------
    >>> _merge_short([5, 100, 100, 3], 12), _merge_short([7], 12)
    ((105, 103), (7,))
    """
    out = [int(n) for n in sizes if n > 0]
    while len(out) > 1 and min(out) < depth:
        i = out.index(min(out))
        j = i + 1 if i == 0 or (i + 1 < len(out) and out[i + 1] < out[i - 1]) else i - 1
        out[min(i, j)] += out[max(i, j)]
        del out[max(i, j)]
    return tuple(out)


_SIDES = {
    (-1, 0): "bottom", (1, 0): "top", (0, -1): "right", (0, 1): "left",
    (-1, -1): "bottom-right", (-1, 1): "bottom-left", (1, -1): "top-right", (1, 1): "top-left",
}  # fmt: skip


def _edges(block: np.ndarray, depth: int) -> dict[str, np.ndarray]:
    """Copies of the strips and corners of a chunk that its neighbours need.

    Copies, not views: a view would keep the whole chunk in memory until the last neighbour
    has run (Dask's ``map_overlap`` holds whole rows of chunks that way).
    """
    d = depth
    rows = {"top": slice(0, d), "bottom": slice(-d, None), "": slice(None)}
    cols = {"left": slice(0, d), "right": slice(-d, None), "": slice(None)}
    out = {}
    for side in set(_SIDES.values()):
        r, _, c = side.partition("-")
        if r in cols:  # "left" / "right" alone
            r, c = "", r
        out[side] = block[:, rows[r], cols[c]].copy()
    return out


def _with_halo(
    core: np.ndarray, lent: dict[tuple[int, int], dict[str, np.ndarray]], depth: int
) -> tuple[np.ndarray, int, int]:
    """The chunk with ``depth`` pixels of each neighbour around it; its offset in the result."""
    up = depth if (-1, 0) in lent else 0
    down = depth if (1, 0) in lent else 0
    left = depth if (0, -1) in lent else 0
    right = depth if (0, 1) in lent else 0
    b, h, w = core.shape
    out = np.empty((b, up + h + down, left + w + right), dtype=core.dtype)
    rows = {-1: slice(0, up), 0: slice(up, up + h), 1: slice(up + h, up + h + down)}
    cols = {-1: slice(0, left), 0: slice(left, left + w), 1: slice(left + w, left + w + right)}
    out[:, rows[0], cols[0]] = core
    for (dr, dc), strips in lent.items():
        out[:, rows[dr], cols[dc]] = strips[_SIDES[(dr, dc)]]
    return out, up, left


def _chunk_parts(
    core: np.ndarray,
    sides: tuple[tuple[int, int], ...],
    row0: int,
    col0: int,
    *lent_edges: dict[str, np.ndarray],
    depth: int,
    min_px: int,
    prepare: Callable[[np.ndarray], np.ndarray] | None,
    **kwargs: Any,
) -> tuple[list[bytes], int]:
    """One chunk's built-up polygons (WKB, pixel coordinates in the window), unknown pixels.

    ``lent_edges`` are the :func:`_edges` of the neighbours at ``sides`` (row and column
    steps), in that order.
    """
    lent = dict(zip(sides, lent_edges, strict=True))
    block, up, left = _with_halo(core, lent, depth)
    if isinstance(prepare, StoredBands):  # the compiled RGB texture reads stored values
        classes = local_classes(block, stored=prepare, **kwargs)
    else:
        classes = local_classes(_bands(block, prepare), **kwargs)
    own = classes[up : up + core.shape[1], left : left + core.shape[2]]
    polygons = pixel_polygons(own == BUILT, row0, col0, min_px=min_px)
    return [p.wkb for p in polygons], int((own == UNKNOWN).sum())


def _join_row(col_seams: Sequence[int], *cells: tuple[list[bytes], int]) -> tuple[list[bytes], int]:
    """The polygons of a row of chunks joined across its column seams (WKB), unknown pixels."""
    parts: list[Any] = [shapely.from_wkb(w) for wkbs, _ in cells for w in wkbs]
    joined = merge_at_seams(parts, [], col_seams)
    return [p.wkb for p in joined], sum(n for _, n in cells)


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
    require("dask.array", "extracting in chunks", extra="scale")
    delayed = dask.delayed

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
    del computed
    _release_memory()
    reach = local_reach_px(band_names, pixel_m, opening_m, closing_m, texture_px)
    row0, row1, col0, col1 = site_window(transform, crs, height, width, site)
    window = bands[:, row0:row1, col0:col1]
    row_chunks = _merge_short(window.chunks[1], reach)
    col_chunks = _merge_short(window.chunks[2], reach)
    chunks = window.rechunk((window.shape[0], row_chunks, col_chunks)).to_delayed()[0]
    nr, nc = chunks.shape
    row_at = np.concatenate([[0], np.cumsum(row_chunks)]).tolist()
    col_at = np.concatenate([[0], np.cumsum(col_chunks)]).tolist()
    edges = [[delayed(_edges)(chunks[i, j], reach) for j in range(nc)] for i in range(nr)]
    near = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]
    # what every chunk shares goes in a partial, not through Dask's traversal of arguments
    # (which cost more than a second on 200 chunks)
    parts_of = functools.partial(
        _chunk_parts, depth=reach, min_px=min_patch_px(min_patch_m2, pixel_m), prepare=prepare,
        band_names=list(band_names), threshold=threshold, pixel_m=pixel_m, fill=fill,
        opening_m=opening_m, closing_m=closing_m, texture_px=texture_px,
        cloud_reflectance=cloud_reflectance,
    )  # fmt: skip
    cells = []
    for i in range(nr):
        for j in range(nc):
            sides = tuple(
                (dr, dc) for dr, dc in near if 0 <= i + dr < nr and 0 <= j + dc < nc and reach
            )
            cells.append(
                delayed(parts_of, pure=True)(
                    chunks[i, j],
                    sides,
                    row_at[i],
                    col_at[j],
                    *(edges[i + dr][j + dc] for dr, dc in sides),
                )
            )
    # warnings.catch_warnings is not thread-safe: used in the chunks' threads (shapely does),
    # it can leave an "ignore" filter behind that silences every later warning; this one,
    # in the calling thread, puts the filters back as they were
    bar = progress if progress is not None else contextlib.nullcontext()
    # the pieces of a row of chunks are joined across its chunks' edges as soon as the row
    # is done, in parallel with the other chunks; only the joins across rows are left
    rows = [
        delayed(_join_row, pure=True)(col_at[1:-1], *cells[i * nc : (i + 1) * nc])
        for i in range(nr)
    ]
    with warnings.catch_warnings(), bar:
        computed = dask.compute(*rows, scheduler=scheduler)
    _release_memory()
    parts = [shapely.from_wkb(w) for wkbs, _ in computed for w in wkbs]
    unknown_px = sum(n for _, n in computed)
    return extraction_from_parts(
        merge_at_seams(parts, row_at[1:-1], []), (row0, row1, col0, col1), transform, crs,
        band_names, site, threshold, pixel_m, unknown_px, min_patch_m2=min_patch_m2,
        closing_m=closing_m, opening_m=opening_m, texture_px=texture_px,
        cloud_reflectance=cloud_reflectance, sample=sample, seed=seed,
    )  # fmt: skip
