"""Write an extracted footprint to a file, and run ``kaesong-geo extract`` as one call.

:func:`write_extraction` writes the footprint proposed from a scene
(:class:`~kaesong_geo.io.scene_extract.SceneExtraction`) as GeoJSON (``.geojson``,
``.json``), GeoPackage (``.gpkg``) or KML (``.kml``, for Google Earth), chosen by the
suffix, atomically through :mod:`kaesong_geo.io.output`. Every format carries the same
provenance (``method`` ``extracted``, ``source``, ``uncertainty_m``, ``index``,
``threshold``, a note) and re-imports with ``kaesong-geo epochs add DATE --footprint FILE``.

:func:`run_extract` checks everything a run can be refused for (the scene, the output, the
epoch's date and workspace) before the scene is read, extracts, writes the file and adds the
epoch: what the command line calls.

Examples
--------
>>> import numpy as np, rasterio, tempfile, pathlib, json
>>> from rasterio.transform import from_origin
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> bands = np.full((3, 60, 60), [[[0.05]], [[0.35]], [[0.18]]], dtype="float32")  # fields
>>> bands[:, 20:40, 20:40] = [[[0.2]], [[0.24]], [[0.32]]]  # a 200 m square of concrete
>>> with rasterio.open(folder / "s2.tif", "w", driver="GTiff", width=60, height=60, count=3,
...                    dtype="float32", crs="EPSG:32652",
...                    transform=from_origin(291700, 4201300, 10, 10)) as dst:
...     dst.write(bands)
...     dst.descriptions = ("B04", "B08", "B11")
>>> run = run_extract(folder / "s2.tif", output=folder / "s2.geojson")
>>> run.parts, round(run.area_m2 / 1e4, 1), run.output.name
(1, 4.0, 's2.geojson')
>>> json.loads(run.output.read_text())["features"][0]["properties"]["method"]
'extracted'
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaesong_geo.errors import DataError, UsageError
from kaesong_geo.extract import DEFAULT_MIN_PATCH_M2
from kaesong_geo.io.scene_extract import DEFAULT_CHUNK_PX, SceneExtraction, extraction_geojson

if TYPE_CHECKING:
    from kaesong_geo.io.epochs import AddedEpoch
    from kaesong_geo.site import Site

__all__ = [
    "FORMATS",
    "ExtractRun",
    "check_scene",
    "extraction_bytes",
    "extraction_format",
    "run_extract",
    "write_extraction",
]

#: Output suffixes and the format each is written in.
FORMATS: Mapping[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".kml": "KML",
}
#: The GeoPackage layer the footprint is written to.
GPKG_LAYER = "footprint"


@dataclass(frozen=True)
class ExtractRun:
    """What one ``kaesong-geo extract`` did.

    Attributes
    ----------
    result : SceneExtraction
        The footprint proposed and its provenance.
    parts : int
        Number of polygons.
    area_m2 : float
        Geodesic area on WGS 84, m².
    output : Path or None
        The file written.
    output_bytes : int
        Its size.
    added : AddedEpoch or None
        The epoch added to the workspace.
    """

    result: SceneExtraction
    parts: int
    area_m2: float
    output: Path | None = None
    output_bytes: int = 0
    added: AddedEpoch | None = None


def extraction_format(path: str | os.PathLike[str]) -> str:
    """The format a footprint is written in, from the file's suffix.

    Examples
    --------
    >>> extraction_format("zone.GPKG"), extraction_format("zone.kml")
    ('GeoPackage', 'KML')
    >>> extraction_format("zone.shp")
    Traceback (most recent call last):
    ...
    kaesong_geo.errors.UsageError: zone.shp: unknown suffix '.shp': write .geojson, .json, ...
    """
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        shown = ", ".join(FORMATS)
        raise UsageError(
            f"unknown suffix {p.suffix or '(none)'!r}: write {shown} "
            "(GeoJSON, GeoPackage, KML for Google Earth)",
            path=p,
        )
    return fmt


def _frame(result: SceneExtraction, epoch: str | None, kml: bool) -> Any:
    """The footprint as a one-row GeoDataFrame with the GeoJSON's properties."""
    import json

    import geopandas as gpd

    doc = json.loads(extraction_geojson(result, epoch=epoch))
    frame = gpd.GeoDataFrame.from_features(doc["features"], crs="EPSG:4326")
    if kml:  # Google Earth shows a placemark's name and description; description reads as note
        label = f"extracted footprint {epoch}" if epoch else "extracted footprint"
        frame.insert(0, "name", [f"{label} ({result.path.name})"])
        frame = frame.rename(columns={"note": "description"})
    return frame


def extraction_bytes(result: SceneExtraction, fmt: str, epoch: str | None = None) -> bytes:
    """The extracted footprint as the bytes of a ``fmt`` file (a value of :data:`FORMATS`).

    Raises
    ------
    DataError
        Nothing built-up was found within the site.
    """
    if fmt == "GeoJSON":
        return extraction_geojson(result, epoch=epoch)
    import pyogrio

    frame = _frame(result, epoch, kml=fmt == "KML")
    with tempfile.TemporaryDirectory(prefix="kaesong-geo-extract-") as tmp:
        if fmt == "GeoPackage":
            path = Path(tmp) / f"{GPKG_LAYER}.gpkg"
            pyogrio.write_dataframe(frame, path, driver="GPKG", layer=GPKG_LAYER)
        else:
            path = Path(tmp) / f"{result.path.stem}.kml"
            pyogrio.write_dataframe(frame, path, driver="LIBKML")
        return path.read_bytes()


def write_extraction(
    result: SceneExtraction,
    output: str | os.PathLike[str],
    *,
    epoch: str | None = None,
    overwrite: bool = False,
) -> int:
    """Write the extracted footprint to ``output``, in the format its suffix names.

    Atomic (a temporary file renamed into place); an existing file is replaced only with
    ``overwrite``.

    Returns
    -------
    int
        The number of bytes written.

    Raises
    ------
    UsageError
        An unknown suffix, a missing folder, an existing output without ``overwrite``.
    DataError
        Nothing built-up was found within the site.
    OutputError
        The file cannot be written.
    """
    from kaesong_geo.io.output import check_output_path, write_bytes

    fmt = extraction_format(output)
    check_output_path(output, overwrite)
    data = extraction_bytes(result, fmt, epoch)
    write_bytes(output, data, overwrite=overwrite)
    return len(data)


def check_scene(path: str | os.PathLike[str], site: Site | None = None) -> None:
    """Refuse a scene that cannot be extracted, before it is read: in one line.

    Raises
    ------
    UsageError
        The file does not exist or is not a file.
    DataError
        Not a raster, not georeferenced (a screenshot), in a CRS that is not in metres, or
        (with ``site``) nowhere near the site.
    """
    import math

    from kaesong_geo.io.raster import georeference_problem, lonlat_bounds, open_raster

    p = Path(path)
    if not p.is_file():
        raise UsageError("does not exist" if not p.exists() else "is not a file", path=p)
    with open_raster(p) as src:
        problem = georeference_problem(src)
        if problem is not None:
            raise DataError(problem, path=p)
        if src.crs is None:
            raise DataError(
                "is not georeferenced (no CRS): extract needs a GeoTIFF in a projected CRS such "
                "as UTM (a screenshot: georeference it with 'epochs add DATE --image FILE "
                "--gcps FILE.points', then extract from the GeoTIFF that writes)",
                path=p,
            )
        if src.crs.is_geographic:
            raise DataError(
                f"is in a geographic CRS ({src.crs.to_string()}, degrees); extract needs pixels "
                "in metres: reproject it to UTM first, e.g. gdalwarp -t_srs EPSG:32652 "
                f"{p.name} {p.stem}_utm.tif",
                path=p,
            )
        bounds = lonlat_bounds(src) if site is not None else None
    if site is not None and bounds is not None:
        w, s, e, n = bounds
        dlat = site.radius_km / 111.0
        dlon = dlat / max(0.01, math.cos(math.radians(site.lat)))
        near = w <= site.lon + dlon and site.lon - dlon <= e
        near = near and s <= site.lat + dlat and site.lat - dlat <= n
        if not near:
            raise DataError(
                f"covers {w:.4f}..{e:.4f} E, {s:.4f}..{n:.4f} N, nowhere near the site "
                f"{site.name!r} ({site.lon:.4f} E, {site.lat:.4f} N): no footprint can be "
                "found in it; is it the right scene?",
                path=p,
            )


def run_extract(
    image: str | os.PathLike[str],
    *,
    output: str | os.PathLike[str] | None = None,
    epoch: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    band_names: Sequence[str] | None = None,
    min_patch_m2: float = DEFAULT_MIN_PATCH_M2,
    closing_m: float | None = None,
    opening_m: float | None = None,
    chunk_px: int = DEFAULT_CHUNK_PX,
    with_imagery: bool = True,
    replace_epoch: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    today: dt.date | None = None,
    **provenance: Any,
) -> ExtractRun:
    """Extract a footprint from ``image``, write it to ``output`` and/or add it as ``epoch``.

    Everything that can be refused is checked before the scene is read: the scene (exists,
    georeferenced in metres), the output (suffix, folder, existing file), the epoch (date, a
    workspace and not the bundled data, an existing epoch without ``replace_epoch``). The
    epoch is added first (all or nothing, :func:`kaesong_geo.io.epochs.add_epoch`), then the
    file is written; a failed run leaves the workspace and ``output`` as they were.

    Parameters
    ----------
    image : path
        The scene: a GeoTIFF / COG in a projected CRS in metres.
    output : path, optional
        Where to write the footprint (``.geojson``, ``.json``, ``.gpkg``, ``.kml``).
    epoch : str, optional
        Add the footprint as this epoch (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``) of the
        workspace ``data_dir`` (``None``: ``KAESONG_GEO_DATA``; never the bundled data).
    band_names, min_patch_m2, closing_m, opening_m, chunk_px, progress
        Passed to :func:`kaesong_geo.io.scene_extract.extract_scene`.
    with_imagery : bool
        Add the scene (clipped) as the epoch's image too; else, when the epoch has no
        catalogue row, a row without a file names the scene (its absolute path; see
        :class:`kaesong_geo.io.epochs.SceneReference`).
    replace_epoch, provenance
        Passed to :func:`kaesong_geo.io.scene_extract.add_extracted_epoch` (``provider``,
        ``licence``, ``redistributable``, ...).

    Raises
    ------
    UsageError
        Neither ``output`` nor ``epoch``, or a refusal above (exit 2).
    DataError
        The scene cannot be extracted, or nothing built-up was found within the site.
    """
    from kaesong_geo.deps import require_all
    from kaesong_geo.io.datadir import resolve_data_dir
    from kaesong_geo.io.epochs import check_new_epoch
    from kaesong_geo.io.output import check_output_path, write_bytes
    from kaesong_geo.io.sitefile import read_site

    if output is None and epoch is None:
        raise UsageError("nothing to do: give --output FILE, --epoch DATE, or both")
    require_all(("skimage", "dask"), "extract", "scale")
    if output is not None:
        check_output_path(output, overwrite, protected=resolve_data_dir(data_dir))
        fmt = extraction_format(output)
    if epoch is not None:  # what add_epoch would refuse, before the long read
        check_new_epoch(data_dir, epoch, replace_epoch=replace_epoch, today=today, what="--epoch")
    site = read_site(resolve_data_dir(data_dir))
    check_scene(image, site)

    from kaesong_geo.io.scene_extract import add_extracted_epoch, extract_scene
    from kaesong_geo.measure import geodesic_area_m2

    result = extract_scene(
        image,
        site,
        band_names=band_names,
        min_patch_m2=min_patch_m2,
        closing_m=closing_m,
        opening_m=opening_m,
        chunk_px=chunk_px,
        progress=progress,
    )
    # Made before the epoch is added: an empty footprint is refused with nothing written.
    data = extraction_geojson(result, epoch)
    if output is not None and fmt != "GeoJSON":
        data = extraction_bytes(result, fmt, epoch)
    added = None
    if epoch is not None:
        if not with_imagery:  # the scene is named in the catalogue all the same
            from kaesong_geo.io.epochs import SceneReference

            provenance.setdefault(
                "scene_reference",
                SceneReference(
                    str(result.path.expanduser().absolute()),
                    result.path.name,
                    round(result.extraction.pixel_m, 3),
                ),
            )
        added = add_extracted_epoch(
            data_dir,
            epoch,
            result,
            with_imagery=with_imagery,
            replace_epoch=replace_epoch,
            progress=progress,
            **provenance,
        )
    written = None
    if output is not None:
        write_bytes(output, data, overwrite=overwrite)
        written = Path(os.path.expanduser(os.fspath(output)))
    geometry = result.extraction.geometry
    return ExtractRun(
        result,
        parts=len(geometry.geoms),
        area_m2=geodesic_area_m2(geometry),
        output=written,
        output_bytes=0 if written is None else len(data),
        added=added,
    )
