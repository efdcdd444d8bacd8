"""Propose a footprint from a scene file: read it (in chunks), extract, describe the provenance.

Reads a GeoTIFF / COG (any GDAL raster) in a projected CRS, names its bands (given, or from
the band descriptions, or red/green/blue from the colour interpretation), turns nodata into
NaN, applies the file's scales and offsets (digital numbers to reflectance), and hands the
pixels to :mod:`kaesong_geo.extract`.

Examples
--------
>>> import numpy as np, rasterio, tempfile, pathlib
>>> from rasterio.transform import from_origin
>>> path = pathlib.Path(tempfile.mkdtemp()) / "s2.tif"
>>> bands = np.full((3, 60, 60), [[[0.05]], [[0.35]], [[0.18]]], dtype="float32")  # fields
>>> bands[:, 20:40, 20:40] = [[[0.2]], [[0.24]], [[0.32]]]  # a 200 m square of concrete
>>> with rasterio.open(path, "w", driver="GTiff", width=60, height=60, count=3,
...                    dtype="float32", crs="EPSG:32652",
...                    transform=from_origin(291700, 4201300, 10, 10)) as dst:
...     dst.write(bands)
...     dst.descriptions = ("B04", "B08", "B11")
>>> result = extract_scene(path, KAESONG)
>>> result.band_names, result.extraction.index_name, len(result.extraction.geometry.geoms)
(('B04', 'B08', 'B11'), 'ndbi-ndvi', 1)
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kaesong_geo import __version__
from kaesong_geo.errors import DataError, UsageError
from kaesong_geo.extract import DEFAULT_MIN_PATCH_M2, Extraction, StoredBands
from kaesong_geo.site import KAESONG, Site
from kaesong_geo.text import plural

__all__ = [
    "DEFAULT_CHUNK_PX",
    "SceneExtraction",
    "add_extracted_epoch",
    "describe_extraction",
    "extract_scene",
    "extraction_geojson",
    "extraction_properties",
    "scene_band_names",
    "warn_suspect",
]

#: Side of the square chunks a scene is read and processed in, in pixels.
DEFAULT_CHUNK_PX = 1024


@dataclass(frozen=True)
class SceneExtraction:
    """A footprint proposed from one scene file, with what provenance needs.

    Attributes
    ----------
    extraction : Extraction
        The footprint (WGS 84), threshold, index and parameters.
    path : Path
        The scene file.
    band_names : tuple of str
        The names the bands were read under.
    crs : str
        The scene's CRS (e.g. ``"EPSG:32652"``).
    width, height : int
        The scene's size in pixels.
    """

    extraction: Extraction
    path: Path
    band_names: tuple[str, ...]
    crs: str
    width: int
    height: int


def scene_band_names(
    src: Any, band_names: Sequence[str] | None = None, count: int | None = None
) -> tuple[str, ...]:
    """The bands' names: given, else the file's band descriptions, else red/green/blue.

    ``count`` is the number of bands that hold data (an alpha band is a mask, not a band).

    Raises
    ------
    UsageError
        ``band_names`` does not give one name per band.
    DataError
        The file's bands are not named and are not a red/green/blue image, or it has fewer
        than the three bands an index needs.
    """
    name = src.name
    count = src.count if count is None else count
    if count < 3:
        raise DataError(
            f"has {plural(count, 'band')}; the built-up index needs red, NIR and SWIR1, or red, "
            "green and blue, in one file: stack band files into one first (kaesong-geo stack "
            "B04.tif B08.tif B11.tif --output scene.tif)",
            path=name,
        )
    if band_names is not None:
        names = tuple(b.strip() for b in band_names)
        if len(names) != count:
            raise UsageError(
                f"{plural(len(names), 'band name')} given ({', '.join(names)}) for "
                f"{plural(count, 'band')}",
                path=name,
            )
        return names
    described = tuple(d or "" for d in src.descriptions)[:count]
    if all(described):
        return described
    from rasterio.enums import ColorInterp

    interp = tuple(src.colorinterp)
    rgb = (ColorInterp.red, ColorInterp.green, ColorInterp.blue)
    if interp[:3] == rgb:
        return ("red", "green", "blue", *(f"band{i}" for i in range(4, count + 1)))
    raise DataError(
        f"its {count} bands have no names: name them with --bands (e.g. --bands "
        "B02,B03,B04,B08,B11 or --bands red,green,blue)",
        path=name,
    )


def _progress_bar(**kwargs: Any) -> Any:
    """A Dask callback drawing a tqdm bar of the tasks done (local schedulers), a context."""
    from dask.callbacks import Callback
    from tqdm import tqdm

    class TqdmCallback(Callback):
        def _start_state(self, dsk: Any, state: Any) -> None:
            total = sum(len(state[k]) for k in ("ready", "waiting", "running", "finished"))
            self._bar = tqdm(total=total, **kwargs)

        def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker: Any) -> None:
            self._bar.update(1)

        def _finish(self, dsk: Any, state: Any, errored: bool) -> None:
            self._bar.close()

    factory: Any = TqdmCallback  # dask's Callback.__init__ has no annotations
    return factory()


class SceneWindows:
    """A raster file's stored values, read window by window, with a file handle per thread.

    What :func:`kaesong_geo.extract_chunked.extract_chunked` reads a scene through: each
    chunk's read is part of the chunk's own Dask task (rasterio's windowed read, which is
    also what rioxarray does under a lazy array), so no Dask array and no xarray are built
    around the file. It pickles as its path, so a ``dask.distributed`` worker opens its own.

    Parameters
    ----------
    path : path
        The raster file.
    chunk_px : int
        Side of the square chunks it is processed in (``chunks``, in Dask's form).
    with_mask : bool
        Append the file's mask (GDAL's per-dataset mask: an internal mask or a ``.msk``
        file; 0 where there is no data, 255 where there is) as a last band, in the bands'
        data type.

    Examples
    --------
    >>> import numpy as np, rasterio, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.tif"
    >>> from rasterio.transform import from_origin
    >>> with rasterio.open(path, "w", driver="GTiff", width=5, height=3, count=2, dtype="uint8",
    ...                    crs="EPSG:32652", transform=from_origin(291700, 4201300, 10, 10)) as dst:
    ...     dst.write(np.arange(30, dtype="uint8").reshape(2, 3, 5))
    >>> scene = SceneWindows(path, chunk_px=4)
    >>> scene.shape, scene.chunks
    ((2, 3, 5), ((2,), (3,), (4, 1)))
    >>> scene.read(1, 3, 3, 5).tolist()
    [[[8, 9], [13, 14]], [[23, 24], [28, 29]]]
    >>> scene.close()
    """

    def __init__(
        self, path: str | os.PathLike[str], chunk_px: int, *, with_mask: bool = False
    ) -> None:
        import rasterio

        self.path = Path(path)
        self.chunk_px = int(chunk_px)
        self.with_mask = with_mask
        with rasterio.open(self.path) as src:
            self.shape = (src.count + with_mask, src.height, src.width)
            self.dtype = src.dtypes[0]
            self._driver = src.driver
        self.chunks = tuple(
            (n,) if axis == 0 else _chunk_sizes(n, self.chunk_px)
            for axis, n in enumerate(self.shape)
        )
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[Any] = []

    def read(self, row0: int, row1: int, col0: int, col1: int) -> Any:
        """The stored values of rows ``row0:row1``, columns ``col0:col1``, every band."""
        from rasterio.windows import Window

        src = getattr(self._local, "src", None)
        if src is None:
            import rasterio

            src = self._local.src = rasterio.open(self.path, driver=self._driver)
            with self._lock:
                self._open.append(src)
        window = Window(col0, row0, col1 - col0, row1 - row0)
        values = src.read(window=window)
        if not self.with_mask:
            return values
        import numpy as np

        mask = src.read_masks(1, window=window).astype(values.dtype)
        return np.concatenate([values, mask[None]])

    def close(self) -> None:
        """Close every thread's file handle (reading again opens new ones)."""
        with self._lock:
            for src in self._open:
                src.close()
            self._open.clear()
        self._local = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "chunk_px": self.chunk_px, "with_mask": self.with_mask}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["path"], state["chunk_px"], with_mask=state["with_mask"]
        )

    def __dask_tokenize__(self) -> Any:
        return ("SceneWindows", str(self.path), self.chunk_px, self.with_mask, self.shape)


def _chunk_sizes(n: int, side: int) -> tuple[int, ...]:
    """``n`` pixels in chunks of ``side`` (the last one shorter), as Dask writes them.

    >>> _chunk_sizes(10, 4), _chunk_sizes(3, 4)
    ((4, 4, 2), (3,))
    """
    return tuple(min(side, n - start) for start in range(0, n, side)) or (0,)


def _scene_array(src: Any, path: Path, chunk_px: int) -> tuple[SceneWindows, StoredBands]:
    """The file's raw pixels, read in chunks, and what makes bands of them.

    The raw pixels (e.g. 8-bit) are what the chunks' tasks read and keep, a quarter of the
    memory of floating-point bands; each chunk is turned into bands where it is used. Where
    there is no data: a band's nodata value, an alpha band of 0, or GDAL's per-dataset mask
    (an internal mask, as JPEG-compressed COGs carry, or a ``.msk`` file; read as a last
    band and used as an alpha band). A file that declares none of these has its pixels black
    in every band taken as nodata: no land surface is exactly 0 in every band, but the fill
    of a warped scene is.
    """
    from rasterio.enums import ColorInterp, MaskFlags

    alpha = tuple(i for i, c in enumerate(src.colorinterp) if c == ColorInterp.alpha)
    masked = not alpha and all(MaskFlags.per_dataset in f for f in src.mask_flag_enums)
    declared = any(v is not None for v in src.nodatavals) or bool(alpha) or masked
    mask_band: tuple[Any, ...] = (None,) if masked else ()  # the mask read as a last band
    prepare = StoredBands(
        keep=tuple(i for i in range(src.count) if i not in alpha),
        nodata=(*src.nodatavals, *mask_band),
        alpha=(src.count,) if masked else alpha,
        scales=tuple(float(v) for v in (*src.scales, *(1.0 for _ in mask_band))),
        offsets=tuple(float(v) for v in (*src.offsets, *(0.0 for _ in mask_band))),
        zero_is_nodata=not declared,
    )
    return SceneWindows(path, chunk_px, with_mask=masked), prepare


def extract_scene(
    path: str | os.PathLike[str],
    site: Site = KAESONG,
    *,
    band_names: Sequence[str] | None = None,
    min_patch_m2: float = DEFAULT_MIN_PATCH_M2,
    closing_m: float | None = None,
    opening_m: float | None = None,
    chunk_px: int = DEFAULT_CHUNK_PX,
    scheduler: Any = None,
    progress: bool | None = None,
    compiled: bool | None = None,
    root: str | os.PathLike[str] | None = None,
) -> SceneExtraction:
    """Propose a footprint from a scene file, read and processed in chunks.

    The file is read in ``chunk_px`` squares, each in the Dask task that processes it
    (:class:`SceneWindows`: rasterio windows, a file handle per thread, no lock), and
    extracted by :func:`kaesong_geo.extract_chunked.extract_chunked`, which gives the same
    footprint as the whole raster in memory would. Memory: a few chunks per thread.

    Parameters
    ----------
    path : path
        A georeferenced raster in a projected CRS in metres (e.g. UTM).
    site : Site
        What the footprint is kept within.
    band_names : sequence of str, optional
        One name per band (default: the file's band descriptions, or red/green/blue).
    min_patch_m2, closing_m, opening_m : see :func:`kaesong_geo.extract.extract_footprint`.
    chunk_px : int
        Chunk side in pixels.
    scheduler : str or Client, optional
        The Dask scheduler (default: the active one, else threads); ``"sync"`` on a
        ``dask.distributed`` worker keeps a scene on that worker.
    progress : bool, optional
        Show a progress bar on standard error (default: when it is a terminal; local
        schedulers only).
    compiled : bool, optional
        Run the RGB texture compiled (numba) or in NumPy: the same footprint; by default
        compiled for large scenes (:func:`~kaesong_geo.extract_chunked.extract_chunked`).
        A series, which extracts many scenes in one process, asks for it.
    root : path, optional
        The folder a VRT's sources must lie within (default: the VRT's own folder; a stack
        of band files, :mod:`kaesong_geo.io.stack`, gives theirs).

    Raises
    ------
    DataError
        The file cannot be read, is not georeferenced in metres, or its bands cannot be used.
    UsageError
        ``band_names`` does not match the bands, or ``chunk_px`` is below 64.
    """
    import sys

    from kaesong_geo.extract_chunked import extract_chunked
    from kaesong_geo.io.raster import offline_env
    from kaesong_geo.io.scene import open_georeferenced

    if chunk_px < 64:
        raise UsageError(f"the chunk size must be at least 64 pixels, got {chunk_px}")
    p = Path(path)
    with offline_env():
        with open_georeferenced(p, None if root is None else Path(root)) as src:
            from rasterio.enums import ColorInterp

            count = sum(1 for c in src.colorinterp if c != ColorInterp.alpha)
            names = scene_band_names(src, band_names, count)
            transform, crs = src.transform, src.crs.to_string()
            width, height = src.width, src.height
            raw, prepare = _scene_array(src, p, chunk_px)
        show = sys.stderr.isatty() if progress is None else progress
        bar = (
            _progress_bar(file=sys.stderr, desc=f"extract {p.name}", unit="task", mininterval=0.5)
            if show
            else contextlib.nullcontext()
        )
        try:
            extraction = extract_chunked(
                raw, transform, crs, names, site, min_patch_m2=min_patch_m2,
                closing_m=closing_m, opening_m=opening_m, scheduler=scheduler, progress=bar,
                prepare=prepare, compiled=compiled,
            )  # fmt: skip
        except ValueError as exc:
            raise DataError(str(exc), path=p) from exc
        finally:
            raw.close()
    warn_suspect(p, extraction)
    return SceneExtraction(extraction, p, names, crs, width, height)


def warn_suspect(path: Path, extraction: Extraction) -> None:
    """Warn (:class:`SuspectExtractionWarning`) of each sign of misclassification."""
    import warnings

    from kaesong_geo.errors import SuspectExtractionWarning

    for text in extraction.warnings:
        warnings.warn(SuspectExtractionWarning(f"{path}: {text}"), stacklevel=2)


def describe_extraction(result: SceneExtraction) -> str:
    """One line of provenance: the scene, its resolution, the parameters, the software version.

    Examples
    --------
    >>> from kaesong_geo.extract import Extraction
    >>> from shapely.geometry import MultiPolygon
    >>> e = Extraction(MultiPolygon(), 1.25, "rgb-texture", {"min_patch_m2": 5000.0}, 4.0)
    >>> describe_extraction(SceneExtraction(e, Path("s.tif"), ("red", "green", "blue"),
    ...                                     "EPSG:32652", 2000, 1500))
    'extracted from s.tif (2,000 x 1,500 px, 4 m pixels, EPSG:32652, bands red, green, blue)
    by kaesong-geo ... extract: rgb-texture index, Otsu threshold 1.25, min_patch_m2=5000.0'
    """
    e = result.extraction
    params = ", ".join(
        f"{k}={v}" for k, v in e.parameters.items() if k not in {"index", "threshold", "bands"}
    )
    return (
        f"extracted from {result.path.name} ({result.width:,} x {result.height:,} px, "
        f"{e.pixel_m:g} m pixels, {result.crs}, bands {', '.join(result.band_names)}) by "
        f"kaesong-geo {__version__} extract: {e.index_name} index, Otsu threshold "
        f"{e.threshold:.4g}, {params}"
    )


def extraction_properties(result: SceneExtraction, epoch: str | None = None) -> dict[str, Any]:
    """The properties of the extracted footprint's feature: its provenance.

    Properties: ``epoch`` (when given), ``method`` ``"extracted"``, ``source``
    (:func:`describe_extraction`), ``uncertainty_m`` (one pixel: the outline is simplified to
    the pixel size), ``estimated`` false, ``index``, ``threshold`` and a ``note`` saying that
    an automatic classification is a proposal to be checked against the image.

    Raises
    ------
    DataError
        Nothing built-up was found within the site.
    """
    e = result.extraction
    if e.geometry.is_empty:
        raise DataError(
            f"{result.path.name}: no built-up area found within the site (index {e.index_name}, "
            f"threshold {e.threshold:.4g}); is the site in the scene?"
        )
    props: dict[str, Any] = {} if epoch is None else {"epoch": epoch}
    props.update(
        {
            "method": "extracted",
            "source": describe_extraction(result),
            "uncertainty_m": round(e.pixel_m, 3),
            "estimated": False,
            "index": e.index_name,
            "threshold": e.threshold,
            "note": (
                "Proposed by an unsupervised classification of the scene (built-up and bare "
                "ground); check it against the image before relying on it."
            ),
        }
    )
    return props


def extraction_geojson(result: SceneExtraction, epoch: str | None = None) -> bytes:
    """The extracted footprint as a GeoJSON FeatureCollection (one feature), with provenance.

    The properties are :func:`extraction_properties`.

    Raises
    ------
    DataError
        Nothing built-up was found within the site.
    """
    import json

    import shapely

    props = extraction_properties(result, epoch)
    # the geometry written by GEOS (the shortest text that reads back to the same numbers)
    # on one line: json's indented encoding of every coordinate took 0.1-0.2 s a footprint
    hole = "@geometry@"
    feature = {"type": "Feature", "properties": props, "geometry": hole}
    doc = json.dumps(
        {"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False, indent=1
    )
    text = doc.replace(json.dumps(hole), shapely.to_geojson(result.extraction.geometry), 1)
    return (text + "\n").encode("utf-8")


def add_extracted_epoch(
    data_dir: str | os.PathLike[str] | None,
    date: str,
    result: SceneExtraction,
    *,
    with_imagery: bool = True,
    replace_epoch: bool = False,
    progress: bool | None = None,
    **provenance: Any,
) -> Any:
    """Add an extracted footprint (and its scene, clipped) as an epoch, all or nothing.

    Goes through :func:`kaesong_geo.io.epochs.add_epoch` with ``method="extracted"`` and the
    provenance of :func:`describe_extraction`; ``provenance`` passes ``provider``,
    ``licence``, ``redistributable``, ``image_source``, ``margin_km`` on.

    Returns
    -------
    kaesong_geo.io.epochs.AddedEpoch
    """
    import tempfile

    from kaesong_geo.dates import parse_epoch
    from kaesong_geo.io.epochs import add_epoch, list_epochs

    # An epoch that has its images keeps them (its scene is not added twice), and its
    # footprint keeps naming its one image, when replaced or added without imagery.
    try:
        label = parse_epoch(date).label
    except ValueError:  # add_epoch says what is wrong with it
        label = None
    images = next((e.images for e in list_epochs(data_dir) if e.label == label), ())
    if images:
        with_imagery = False
        if len(images) == 1 and "traced_on_given" not in provenance:
            provenance["traced_on_given"] = images[0].id
    data = extraction_geojson(result, epoch=date)
    with tempfile.TemporaryDirectory(prefix="kaesong-geo-extract-") as tmp:
        footprint = Path(tmp) / f"{result.path.stem}.geojson"
        footprint.write_bytes(data)
        return add_epoch(
            data_dir,
            date,
            footprint=footprint,
            imagery=[result.path] if with_imagery else (),
            source=describe_extraction(result),
            method="extracted",
            uncertainty_m=round(result.extraction.pixel_m, 3),
            replace_epoch=replace_epoch,
            progress=progress,
            **provenance,
        )
