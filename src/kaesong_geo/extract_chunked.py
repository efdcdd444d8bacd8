"""Propose a footprint from a scene larger than memory: :mod:`kaesong_geo.extract`, per chunk.

The scene is a Dask array ``(bands, rows, cols)``, e.g. from ``rioxarray.open_rasterio(path,
chunks=...)``, or a reader whose windows the tasks read themselves
(:class:`kaesong_geo.io.scene_extract.SceneWindows`); nothing here opens a file. The steps
are those of :func:`kaesong_geo.extract.extract_footprint`, arranged so that the result is
the same, polygon for polygon, whatever the chunking:

1. The threshold (and the RGB nodata fill) from the same sample windows
   (:func:`~kaesong_geo.extract.sample_windows`): a few chunks are read for it.
2. Only the part of the scene around the site (:func:`~kaesong_geo.extract.site_window`) is
   read on, in two passes per chunk (a graph of Dask tasks). The first runs
   :func:`~kaesong_geo.extract.local_classes` on the chunk alone: its classes are exact
   beyond :func:`~kaesong_geo.extract.local_reach_px` pixels from its edges; it keeps them as
   bits, with the stored values of the ``2 x reach`` pixels along each edge. The second
   classifies again the ring of ``reach`` pixels along each edge that has a neighbour, from a
   strip made of its own and the neighbour's edge values (so, like the whole raster, a chunk
   on the window's edge sees the edge), and traces
   :func:`~kaesong_geo.extract.pixel_polygons` in window pixel coordinates.
3. The pieces cut by chunk edges are joined (:func:`~kaesong_geo.extract.merge_at_seams`):
   along a row of chunks in a task of its own, then neighbouring groups of rows across the
   edge between them (a tree of tasks), while other chunks are still being classified. A
   polygon no seam left open cuts is whole: the task that completes it finishes it
   (:func:`~kaesong_geo.extract.finish_parts`: small patches and holes removed, eroded, in
   canonical form; removing them needs the whole polygon, not the whole raster), unless it
   lies wholly where the site keeps nothing (:func:`~kaesong_geo.extract.keep_region`).
4. :func:`~kaesong_geo.extract.footprint_from_pieces` on the finished pieces.

Memory: per thread, a chunk and its working arrays; and the first passes Dask holds while it
works down the window (a row of chunks or two, at about a fifth of a stored RGB chunk each,
not the chunks themselves: ``dask.array.map_overlap`` would hold those). Only polygons come
back to the caller. The computation runs on whatever Dask scheduler is given or active
(threads, a ``dask.distributed`` client); a progress bar is a Dask callback around the call.

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
import dataclasses
import functools
import itertools
import sys
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon

from kaesong_geo.extract import (
    BUILT,
    CLOUD_REFLECTANCE,
    DEFAULT_MIN_PATCH_M2,
    TEXTURE_PX,
    UNKNOWN,
    WORK_DTYPE,
    Extraction,
    StoredBands,
    erode_px_for,
    extract_footprint,
    extraction_from_pieces,
    finish_parts,
    index_name_for,
    keep_region,
    local_class_bits,
    local_classes,
    local_reach_px,
    merge_at_seams,
    min_patch_px,
    part_sizes,
    pixel_polygons,
    pixel_size_m,
    read_sample,
    scene_centre,
    scene_statistics,
    site_window,
    unpack_classes,
    window_transform,
)
from kaesong_geo.site import Site
from kaesong_geo.text import plural

__all__ = ["COMPILED_FROM_PX", "extract_chunked", "extract_footprint"]

#: From this many pixels in the site's window, the RGB texture is compiled by default.
COMPILED_FROM_PX = 50_000_000


def _bands(block: np.ndarray, prepare: Callable[[np.ndarray], np.ndarray] | None) -> np.ndarray:
    return np.asarray(block if prepare is None else prepare(block), dtype=WORK_DTYPE)


def _scheduler(scheduler: Any) -> Any:
    """The scheduler to compute with: Dask's choice, resolved without importing distributed.

    Dask resolves a name (``"threads"``) or no scheduler by importing ``distributed`` to look
    for an active client, about 30 MB in a process that never uses it. A name is resolved
    here to the same local scheduler Dask would pick; with no scheduler, unless one is
    configured or ``distributed`` is already imported (only then can a client be active),
    to Dask's default for arrays and delayed, the threaded scheduler.

    >>> import dask.threaded
    >>> _scheduler("threads") is dask.threaded.get
    True
    """
    import dask
    from dask.base import named_schedulers

    if isinstance(scheduler, str) and scheduler.lower() in named_schedulers:
        return named_schedulers[scheduler.lower()]
    unset = scheduler is None and dask.config.get("scheduler", None) is None
    if unset and "distributed" not in sys.modules:
        return named_schedulers["threads"]
    return scheduler


def _release_memory() -> None:
    """Give the memory the chunks' threads freed back to the system.

    The compiled texture's scratch arrays are dropped, and on Linux glibc's ``malloc_trim``
    returns the free pages of every thread's heap (glibc keeps them otherwise, and the
    polygons merged next would add to them; ``dask.distributed`` does the same between
    tasks).
    """
    import ctypes

    kernels = sys.modules.get("kaesong_geo.extract_kernels")  # not imported for this
    if kernels is not None:
        kernels.release_scratch()
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


@dataclass(frozen=True)
class _Parts:
    """The built-up polygons of a group of chunks (pixel coordinates in the window).

    ``open``: those a seam to a chunk outside the group cuts, to be joined with their other
    pieces; ``pieces``: what :func:`~kaesong_geo.extract.finish_parts` made of the others
    (whole: finished here, in parallel, rather than all at the end); ``sizes``: the
    :func:`~kaesong_geo.extract.part_sizes` of the parts finished; ``unknown``: the count
    of unknown pixels.
    """

    open: list[Polygon]
    pieces: list[Polygon]
    sizes: np.ndarray
    unknown: int


def _settled(
    polygons: Sequence[Polygon],
    seams: dict[str, int],
    finish: Callable[[list[Polygon]], list[Polygon]],
    before: Sequence[_Parts] = (),
    unknown: int = 0,
) -> _Parts:
    """Polygons sorted into those still cut by the ``seams`` left open, and finished ones.

    ``seams`` holds the grid lines of the group's edges that have a chunk beyond (``top``,
    ``bottom`` rows; ``left``, ``right`` columns): a polygon whose outline runs along one
    stays open; the others are finished (``finish``:
    :func:`~kaesong_geo.extract.finish_parts` with the extraction's settings). The pieces and
    sizes of the ``before`` groups are carried on.
    """
    geoms = np.asarray(polygons, dtype=object)
    still = np.zeros(len(geoms), dtype=bool)
    if len(geoms) and seams:
        x0, y0, x1, y1 = shapely.bounds(geoms).T
        lines = {"left": x0, "top": y0, "right": x1, "bottom": y1}
        for side, at in seams.items():
            still |= lines[side] == at
    done = list(geoms[~still])
    pieces = [p for b in before for p in b.pieces] + finish(done)
    sizes = np.concatenate([*(b.sizes for b in before), part_sizes(done)])
    return _Parts(list(geoms[still]), pieces, sizes, unknown + sum(b.unknown for b in before))


@dataclass(frozen=True)
class _FirstPass:
    """What a chunk's first pass keeps: far less than the chunk itself.

    ``built`` and ``unknown`` are the chunk's classes as bits
    (:func:`~kaesong_geo.extract.pack_classes`), exact beyond ``depth`` pixels from every
    edge that has a neighbour (the chunk was classified alone); ``strips`` are the stored
    values of the chunk's ``2 depth`` pixels along each edge (``top``, ``bottom``, ``left``,
    ``right``), from which the ring of ``depth`` pixels is classified again in the second
    pass, with the neighbours' strips around it. Dask keeps the first passes of a row of
    chunks or two while it works down the window; holding these rather than the stored
    chunks (three bytes a pixel in RGB) is most of the memory saved.
    """

    shape: tuple[int, int]
    built: np.ndarray
    unknown: np.ndarray
    strips: dict[str, np.ndarray]

    def classes(self, compiled: bool = False) -> np.ndarray:
        return unpack_classes(self.built, self.unknown, self.shape[1], compiled=compiled)


def _classes(block: np.ndarray, prepare: Any, **kwargs: Any) -> np.ndarray:
    if isinstance(prepare, StoredBands):  # the compiled RGB texture reads stored values
        return local_classes(block, stored=prepare, **kwargs)
    return local_classes(_bands(block, prepare), **kwargs)


def _first_pass(block: np.ndarray, depth: int, prepare: Any, **kwargs: Any) -> _FirstPass:
    """Classify a chunk alone; keep its classes as bits and its edge strips (copies)."""
    if isinstance(prepare, StoredBands):
        built, unknown = local_class_bits(block, stored=prepare, **kwargs)
    else:
        built, unknown = local_class_bits(_bands(block, prepare), **kwargs)
    d = 2 * depth
    strips = {
        "top": block[:, :d].copy(), "bottom": block[:, -d:].copy(),
        "left": block[:, :, :d].copy(), "right": block[:, :, -d:].copy(),
    } if depth else {}  # fmt: skip
    return _FirstPass((block.shape[1], block.shape[2]), built, unknown, strips)


def _read_first_pass(
    source: Any, first_of: Callable[[np.ndarray], _FirstPass], *window: int
) -> _FirstPass:
    """Read a chunk (``row0, row1, col0, col1``) from ``source`` and run its first pass."""
    return first_of(source.read(*window))


def _within(sizes: Sequence[int], start: int, stop: int) -> tuple[int, ...]:
    """The chunk sizes of pixels ``start:stop`` of an axis chunked in ``sizes`` (as Dask slices).

    >>> _within((4, 4, 2), 3, 9)
    (1, 4, 1)
    """
    edges = np.concatenate([[0], np.cumsum(sizes)])
    cuts = [start, *(int(e) for e in edges if start < e < stop), stop]
    return tuple(b - a for a, b in itertools.pairwise(cuts))


def _ring_strip(
    near: dict[tuple[int, int], _FirstPass], side: str, depth: int
) -> tuple[np.ndarray, tuple[slice, slice]]:
    """The stored values around the chunk's ``depth`` pixels along ``side``; where they lie.

    The strip spans ``3 depth`` pixels across the edge (``depth`` of the neighbour's,
    ``2 depth`` of the chunk's) and, along it, the chunk and ``depth`` pixels of each
    neighbour there is; its classes are exact in its middle third (returned as the slices
    of the strip that hold the ring).
    """
    d = depth
    me = near[(0, 0)]
    h, w = me.shape
    if side in ("top", "bottom"):
        left, right = (0, -1) in near, (0, 1) in near
        lo, hi = (d if left else 0), (d if right else 0)
        facing = "bottom" if side == "top" else "top"  # the neighbour's edge facing this one
        step = -1 if side == "top" else 1
        b = near[(step, 0)].strips[facing]
        strip = np.empty((b.shape[0], 3 * d, lo + w + hi), dtype=b.dtype)
        if side == "top":
            theirs, mine = slice(0, d), slice(d, 3 * d)
        else:
            theirs, mine = slice(2 * d, 3 * d), slice(0, 2 * d)
        take = slice(-d, None) if side == "top" else slice(0, d)
        rows = slice(0, 2 * d) if side == "top" else slice(h - 2 * d, h)
        strip[:, theirs, lo : lo + w] = b[:, take]
        strip[:, mine, lo : lo + w] = me.strips[side]
        beside = (
            (-1, slice(0, lo), "right", slice(-d, None)),
            (1, slice(lo + w, lo + w + hi), "left", slice(0, d)),
        )
        for dc, cols, edge, pick in beside:
            if (0, dc) in near:
                strip[:, mine, cols] = near[(0, dc)].strips[edge][:, rows, pick]
                strip[:, theirs, cols] = near[(step, dc)].strips[facing][:, take, pick]
        return strip, (slice(d, 2 * d), slice(lo, lo + w))
    other = near[(0, -1) if side == "left" else (0, 1)]
    b = other.strips["right" if side == "left" else "left"]
    strip = np.empty((b.shape[0], h, 3 * d), dtype=b.dtype)
    if side == "left":
        strip[:, :, :d] = b[:, :, -d:]
        strip[:, :, d:] = me.strips["left"]
    else:
        strip[:, :, : 2 * d] = me.strips["right"]
        strip[:, :, 2 * d :] = b[:, :, :d]
    return strip, (slice(None), slice(d, 2 * d))


def _rings(
    near: dict[tuple[int, int], _FirstPass], sides: Sequence[str], depth: int, axis: int,
    prepare: Any, **kwargs: Any,
) -> list[np.ndarray]:  # fmt: skip
    """The exact classes of the rings along ``sides``, their strips classified side by side.

    The strips (:func:`_ring_strip`) of the same shape are put next to each other along
    ``axis`` (1: the tall ones of the left and right edges; 0: the top and bottom ones) and
    classified in one go: a ring depends on nothing beyond its own strip, and one array twice
    as wide costs about what a single strip does (the per-row work dominates narrow strips).
    """
    strips = [_ring_strip(near, side, depth) for side in sides]
    if not strips:
        return []
    classes = _classes(np.concatenate([s for s, _ in strips], axis=axis + 1), prepare, **kwargs)
    out, at = [], 0
    for strip, (rows, cols) in strips:
        n = strip.shape[axis + 1]
        part = classes[at : at + n] if axis == 0 else classes[:, at : at + n]
        out.append(part[rows, cols])
        at += n
    return out


def _chunk_parts(
    sides: tuple[tuple[int, int], ...],
    row0: int,
    col0: int,
    *passes: _FirstPass,
    depth: int,
    min_px: int,
    finish: Callable[[list[Polygon]], list[Polygon]],
    prepare: Any,
    traced_compiled: bool = False,
    **kwargs: Any,
) -> _Parts:
    """One chunk's built-up polygons (pixel coordinates in the window), unknown pixels.

    The polygons along an edge with a neighbour stay open; the others are finished.
    ``passes`` are the first passes of the chunk and of its neighbours at ``sides`` (row
    and column steps), in that order: the chunk's classes, its ring along each edge with a
    neighbour classified again with the neighbour's strips.
    """
    near = dict(zip(((0, 0), *sides), passes, strict=True))
    classes = near[(0, 0)].classes(compiled=traced_compiled)
    h, w = classes.shape
    d = depth
    at = {"left": (slice(None), slice(0, d)), "right": (slice(None), slice(w - d, w)),
          "top": (slice(0, d), slice(None)), "bottom": (slice(h - d, h), slice(None))}  # fmt: skip
    steps = {"left": (0, -1), "right": (0, 1), "top": (-1, 0), "bottom": (1, 0)}
    # left and right first: the corners are then put right by the top and bottom rings
    for axis, pair in ((1, ("left", "right")), (0, ("top", "bottom"))):
        edges = [side for side in pair if d and steps[side] in near]
        for side, ring in zip(edges, _rings(near, edges, d, axis, prepare, **kwargs), strict=True):
            classes[at[side]] = ring
    polygons = pixel_polygons(
        classes == BUILT, row0, col0, min_px=min_px, noded=True, compiled=traced_compiled
    )
    lines = {"top": row0, "bottom": row0 + h, "left": col0, "right": col0 + w}
    seams = {side: lines[side] for side, step in steps.items() if step in near}
    return _settled(polygons, seams, finish, unknown=int((classes == UNKNOWN).sum()))


def _join_row(
    col_seams: Sequence[int],
    seams: dict[str, int],
    finish: Callable[[list[Polygon]], list[Polygon]],
    *cells: _Parts,
) -> _Parts:
    """The polygons of a row of chunks joined across its column seams.

    ``seams``: the row's top and bottom lines that have a row beyond.
    """
    parts = merge_at_seams([p for c in cells for p in c.open], [], col_seams, noded=True)
    return _settled(parts, seams, finish, cells)


def _join_rows(
    seam: int,
    seams: dict[str, int],
    finish: Callable[[list[Polygon]], list[Polygon]],
    upper: _Parts,
    lower: _Parts,
) -> _Parts:
    """Two joined groups of rows joined across the row ``seam`` between them."""
    parts = merge_at_seams(upper.open + lower.open, [seam], [], noded=True)
    return _settled(parts, seams, finish, (upper, lower))


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
    compiled: bool | None = None,
) -> Extraction:
    """Propose a footprint from a chunked scene; the same as :func:`extract_footprint`.

    Parameters
    ----------
    bands : dask.array.Array or SceneWindows, shape (bands, rows, cols)
        The scene as floating point, nodata as NaN, reflectance 0..1 for multispectral band
        sets (or as stored, with ``prepare``); chunked in rows and columns (the bands are
        joined into one chunk). Either a Dask array (e.g. ``rioxarray.open_rasterio(path,
        chunks=...).data``) or a reader with ``shape``, ``chunks`` in Dask's form and
        ``read(row0, row1, col0, col1)``, such as
        :class:`kaesong_geo.io.scene_extract.SceneWindows`, whose chunks are then read in
        the tasks that process them: the same footprint, without a Dask array's graph.
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
    compiled : bool, optional
        With ``prepare`` a :class:`~kaesong_geo.extract.StoredBands`: whether the RGB texture
        runs compiled (numba, when installed) or in NumPy; the footprint is the same either
        way. By default compiled when numba is already loaded or the site's window has at
        least :data:`COMPILED_FROM_PX` pixels: loading it takes about 0.35 s and 90 MB, which
        a smaller scene does not win back (a 4,096² RGB scene, in a new process: 2.2-2.3 s
        of CPU in NumPy, 2.2-2.5 s compiled, and 100 MB more).

    Raises
    ------
    ValueError
        Unusable bands, CRS or pixels, or no valid pixel.
    """
    with _collector_paused():
        return _extract_chunked(
            bands, transform, crs, band_names, site, min_patch_m2=min_patch_m2,
            closing_m=closing_m, opening_m=opening_m, texture_px=texture_px,
            cloud_reflectance=cloud_reflectance, sample=sample, seed=seed, scheduler=scheduler,
            progress=progress, prepare=prepare, compiled=compiled,
        )  # fmt: skip


@contextlib.contextmanager
def _collector_paused() -> Any:
    """Python's cyclic garbage collector off for the duration (then as it was).

    An extraction makes few reference cycles but many objects (tasks, polygons), and each
    of the collector's full passes walks every object of the process while holding the GIL:
    60 ms, several times per extraction, in a process that has loaded GDAL, Dask and numba,
    during which no chunk's thread can run Python. Reference counting still frees memory.
    """
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _extract_chunked(
    bands: Any,
    transform: Any,
    crs: Any,
    band_names: Sequence[str],
    site: Site,
    *,
    min_patch_m2: float,
    closing_m: float | None,
    opening_m: float | None,
    texture_px: int,
    cloud_reflectance: float,
    sample: int,
    seed: int,
    scheduler: Any,
    progress: contextlib.AbstractContextManager[Any] | None,
    prepare: Callable[[np.ndarray], np.ndarray] | None,
    compiled: bool | None,
) -> Extraction:
    from kaesong_geo.deps import require

    dask = require("dask", "extracting in chunks", extra="scale")

    lazy = hasattr(bands, "dask")  # a Dask array; else a reader (SceneWindows)
    if len(bands.shape) != 3:
        raise ValueError(f"bands must be 3-D (bands, rows, cols), got shape {bands.shape}")
    if prepare is None and bands.shape[0] != len(band_names):
        raise ValueError(
            f"{plural(bands.shape[0], 'band')} but {plural(len(band_names), 'band name')}"
        )
    pixel_m = pixel_size_m(transform, crs, scene_centre(transform, *bands.shape[1:]))
    index_name_for(band_names)
    if lazy:
        bands = bands.rechunk({0: -1})
    height, width = int(bands.shape[1]), int(bands.shape[2])
    scheduler = _scheduler(scheduler)

    def read(boxes: list[tuple[int, int, int, int]]) -> list[np.ndarray]:
        if lazy:
            windows = [bands[:, r : r + h, c : c + w] for r, c, h, w in boxes]
            computed = dask.compute(*windows, scheduler=scheduler)
        else:
            computed = tuple(bands.read(r, r + h, c, c + w) for r, c, h, w in boxes)
        return [_bands(w, prepare) for w in computed]

    threshold, fill = scene_statistics(
        read_sample(read, height, width, sample, seed), band_names,
        texture_px=texture_px, cloud_reflectance=cloud_reflectance, sample=sample, seed=seed,
    )  # fmt: skip
    _release_memory()
    reach = local_reach_px(band_names, pixel_m, opening_m, closing_m, texture_px)
    row0, row1, col0, col1 = site_window(transform, crs, height, width, site)
    # a chunk's edge strips are twice the overlap wide: no chunk may be narrower
    row_chunks = _merge_short(_within(bands.chunks[1], row0, row1), 2 * reach)
    col_chunks = _merge_short(_within(bands.chunks[2], col0, col1), 2 * reach)
    nr, nc = len(row_chunks), len(col_chunks)
    row_at = np.concatenate([[0], np.cumsum(row_chunks)]).tolist()
    col_at = np.concatenate([[0], np.cumsum(col_chunks)]).tolist()
    if lazy:
        window = bands[:, row0:row1, col0:col1]
    if isinstance(prepare, StoredBands):
        if compiled is None:
            window_px = (row1 - row0) * (col1 - col0)
            compiled = "numba" in sys.modules or window_px >= COMPILED_FROM_PX
        prepare = dataclasses.replace(prepare, compiled=compiled)
    # what every chunk shares goes in a partial, not through Dask's traversal of arguments
    # (which cost more than a second on 200 chunks)
    options: dict[str, Any] = dict(
        prepare=prepare, band_names=list(band_names), threshold=threshold, pixel_m=pixel_m,
        fill=fill, opening_m=opening_m, closing_m=closing_m, texture_px=texture_px,
        cloud_reflectance=cloud_reflectance,
    )  # fmt: skip
    first_of = functools.partial(_first_pass, depth=reach, **options)
    # the tasks are named here: Dask would otherwise hash every task's arguments (0.17 s on
    # the main thread for 200 chunks); a run of its own, as two scenes may share a cluster
    run = uuid.uuid4().hex
    names = {step: f"extract-{step}-{run}" for step in ("first", "parts", "row", "rows")}

    def key(step: str, *at: int) -> tuple[Any, ...]:
        return (names[step], *at)

    # the polygons are traced compiled where the texture is (or numba is loaded anyway)
    traced_compiled = bool(compiled) if isinstance(prepare, StoredBands) else "numba" in sys.modules
    min_px = min_patch_px(min_patch_m2, pixel_m)
    # whole parts are finished in the tasks; those beyond where the site keeps parts are not
    region = keep_region(site, window_transform(transform, row0, col0), crs, pixel_m)
    finish = functools.partial(
        finish_parts, min_px=min_px, erode_px=erode_px_for(band_names, texture_px), region=region
    )
    parts_of = functools.partial(
        _chunk_parts, depth=reach, min_px=min_px, finish=finish,
        traced_compiled=traced_compiled, **options,
    )  # fmt: skip
    # the graph is written as a dict of tasks: Dask's delayed calls would search every
    # argument for collections (0.1-0.2 s on the main thread for 200 chunks)
    graph: dict[Any, Any] = {}
    if lazy:
        stored = window.rechunk((window.shape[0], row_chunks, col_chunks))
        graph.update(stored.__dask_graph__())
        for i in range(nr):
            for j in range(nc):
                graph[key("first", i, j)] = (first_of, (stored.name, 0, i, j))
    else:  # each chunk read in its first pass's task
        read_first = functools.partial(_read_first_pass, bands, first_of)
        for i in range(nr):
            for j in range(nc):
                graph[key("first", i, j)] = (
                    read_first, row0 + row_at[i], row0 + row_at[i + 1],
                    col0 + col_at[j], col0 + col_at[j + 1],
                )  # fmt: skip
    near = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]
    for i in range(nr):
        for j in range(nc):
            sides = tuple(
                (dr, dc) for dr, dc in near if 0 <= i + dr < nr and 0 <= j + dc < nc and reach
            )
            graph[key("parts", i, j)] = (
                functools.partial(parts_of, sides), row_at[i], col_at[j], key("first", i, j),
                *(key("first", i + dr, j + dc) for dr, dc in sides),
            )  # fmt: skip
    # warnings.catch_warnings is not thread-safe: used in the chunks' threads (shapely does),
    # it can leave an "ignore" filter behind that silences every later warning; this one,
    # in the calling thread, puts the filters back as they were
    bar = progress if progress is not None else contextlib.nullcontext()

    # the pieces of a row of chunks are joined across its chunks' edges as soon as the row
    # is done, then neighbouring groups of rows across the edge between them (a tree), in
    # parallel with the chunks still to do: little joining is left for the end
    def open_seams(first_row: int, last_row: int) -> dict[str, int]:
        """The top and bottom lines of rows ``first_row..last_row`` that have a row beyond."""
        seams = {"top": row_at[first_row]} if first_row > 0 else {}
        return seams | ({"bottom": row_at[last_row + 1]} if last_row < nr - 1 else {})

    groups = []  # (first row, last row, key of the joined parts)
    for i in range(nr):
        join = functools.partial(_join_row, col_at[1:-1], open_seams(i, i), finish)
        graph[key("row", i)] = (join, *(key("parts", i, j) for j in range(nc)))
        groups.append((i, i, key("row", i)))
    while len(groups) > 1:
        paired = []
        for k in range(0, len(groups) - 1, 2):
            (top_row, _, upper), (next_row, last_row, lower) = groups[k], groups[k + 1]
            join = functools.partial(
                _join_rows, row_at[next_row], open_seams(top_row, last_row), finish
            )
            graph[key("rows", top_row, next_row)] = (join, upper, lower)
            paired.append((top_row, last_row, key("rows", top_row, next_row)))
        groups = paired + groups[len(groups) - len(groups) % 2 :]
    from dask.delayed import Delayed

    with warnings.catch_warnings(), bar:
        (done,) = dask.compute(Delayed(groups[0][2], graph), scheduler=scheduler)  # type: ignore[no-untyped-call]
    _release_memory()
    return extraction_from_pieces(
        done.pieces, done.sizes, (row0, row1, col0, col1), transform, crs,
        band_names, site, threshold, pixel_m, done.unknown, min_patch_m2=min_patch_m2,
        closing_m=closing_m, opening_m=opening_m, texture_px=texture_px,
        cloud_reflectance=cloud_reflectance, sample=sample, seed=seed,
    )  # fmt: skip
