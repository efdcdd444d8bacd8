"""Read footprint files into :class:`~kaesong_geo.model.Footprint` objects, checking them.

Formats: GeoJSON (``.geojson``, ``.json``), GeoPackage (``.gpkg``), KML and KMZ from Google
Earth (``.kml``, ``.kmz``, every folder read), Shapefile (``.shp``) and FlatGeobuf
(``.fgb``), all through GDAL (pyogrio).

Properties read from each feature (names are case-insensitive; all but the geometry
optional):

``epoch``
    ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``. If absent, the file name must be the epoch,
    e.g. ``2011-03.kml``.
``class``, ``name``, ``source``, ``method``, ``uncertainty_m``, ``area_uncertainty_pct``,
``estimated``, ``reference_area_m2``, ``note``
    See :mod:`kaesong_geo.model`. KML's ``description`` serves as ``note``. A missing
    ``method`` is taken as ``traced`` and a missing ``source`` as the file name; both, and a
    missing ``uncertainty_m``, are reported as warnings by ``kaesong-geo validate``.

Checks, each reported with the file and feature:

* the file opens and has at least one feature;
* a CRS: GeoJSON, KML and KMZ are WGS 84 by definition; a GeoPackage, Shapefile or
  FlatGeobuf without a CRS is refused. Any other CRS is reprojected to WGS 84;
* every geometry is a non-empty polygon or multipolygon (Z dropped); a closed line from
  Google Earth's *Add Path* is refused with a hint to use *Add Polygon*;
* coordinates are valid longitudes/latitudes, not swapped, and within the site's
  ``max_distance_km`` of its reference point;
* geometry validity: an invalid polygon (self-intersection, bow-tie) is **repaired** with
  :func:`shapely.make_valid` and a :class:`~kaesong_geo.errors.GeometryRepairedWarning` is
  issued; ``kaesong-geo validate`` counts it as an error so that kept data stays clean.
* two files may not define the same epoch, nor two labels falling on the same day.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LinearRing, LineString, MultiPolygon
from shapely.geometry.base import BaseGeometry

from kaesong_geo.dates import EpochDate, parse_epoch
from kaesong_geo.errors import GeometryRepairedWarning
from kaesong_geo.io.problems import Problem, raise_first
from kaesong_geo.measure import GEOD, geodesic_area_m2, polygons_of
from kaesong_geo.model import METHODS, Epoch, Footprint
from kaesong_geo.site import KAESONG, Site

__all__ = [
    "SUFFIXES",
    "FileResult",
    "footprint_files",
    "inspect_footprint_file",
    "inspect_footprints",
    "load_footprints",
    "read_footprint_file",
]

#: File endings read as footprints, with the GDAL driver family.
SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".kml": "KML",
    ".kmz": "KMZ",
    ".shp": "Shapefile",
    ".fgb": "FlatGeobuf",
}
# Formats whose specification fixes the CRS to WGS 84 lon/lat.
_CRS_BY_DEFINITION = {".geojson", ".json", ".kml", ".kmz"}
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


@dataclass
class FileResult:
    """What :func:`inspect_footprint_file` found in one file."""

    path: str
    footprints: list[Footprint] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    crs: str = "EPSG:4326"
    reprojected: bool = False


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _number(value: Any, name: str) -> float | None:
    if _missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"'{name}' is not a number: {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"'{name}' must be a non-negative number, got {value!r}")
    return number


def _boolean(value: Any) -> bool:
    if _missing(value):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"'estimated' must be true or false, got {value!r}")


def _read_frames(path: Path) -> tuple[list[Any], str | None]:
    """Every layer of a file as GeoDataFrames; or an error message."""
    import geopandas as gpd
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
        frames = [gpd.read_file(path, layer=str(name), engine="pyogrio") for name, _ in layers]
    except Exception as exc:  # GDAL says many things; keep its first line
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [], f"cannot read as {SUFFIXES.get(path.suffix.lower(), 'a vector file')}: {text}"
    return [f for f in frames if len(f)], None


def _locate(geom: BaseGeometry, site: Site) -> str | None:
    """A problem with where ``geom`` lies, or None."""
    minx, miny, maxx, maxy = geom.bounds
    swapped_ok = minx >= -90 and maxx <= 90 and miny >= -180 and maxy <= 180
    c = geom.centroid
    if not (minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90):
        if swapped_ok and _distance_km(c.y, c.x, site) <= site.max_distance_km:
            return (
                f"coordinates look swapped (lat, lon): x={c.x:.4f}, y={c.y:.4f}; "
                "write longitude first"
            )
        return (
            f"coordinates are not longitude/latitude (x={c.x:.6g}, y={c.y:.6g}); "
            "is the CRS missing or wrong?"
        )
    dist = _distance_km(c.x, c.y, site)
    if dist <= site.max_distance_km:
        return None
    if swapped_ok and _distance_km(c.y, c.x, site) <= site.max_distance_km:
        return (
            f"coordinates look swapped (lat, lon): x={c.x:.4f}, y={c.y:.4f}; write longitude first"
        )
    return (
        f"lies {dist:,.0f} km from the {site.name} (more than {site.max_distance_km:g} km): "
        "wrong place or CRS?"
    )


def _distance_km(lon: float, lat: float, site: Site) -> float:
    _, _, metres = GEOD.inv(site.lon, site.lat, lon, lat)
    return float(metres) / 1000.0


def _polygonal(
    geom: BaseGeometry, where: str, path: str
) -> tuple[BaseGeometry | None, Problem | None]:
    """The geometry as a polygon/multipolygon, or a problem."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom, None
    polys = polygons_of(geom)
    if polys and geom.geom_type == "GeometryCollection":
        return MultiPolygon(polys), None
    if isinstance(geom, LineString | LinearRing) and geom.is_closed:
        return None, Problem(
            path,
            f"{where} is a closed line (a path), not a polygon; "
            "in Google Earth draw it with Add > Polygon",
        )
    return None, Problem(path, f"{where} is a {geom.geom_type}, not a polygon")


def inspect_footprint_file(path: str | os.PathLike[str], site: Site = KAESONG) -> FileResult:
    """Read one footprint file and collect every problem instead of raising.

    Parameters
    ----------
    path : path
        The file.
    site : Site, default KAESONG
        Where footprints must lie.

    Returns
    -------
    FileResult
        Footprints that passed, and problems (errors and warnings) found.
    """
    p = Path(path)
    result = FileResult(str(p))
    frames, error = _read_frames(p)
    if error:
        result.problems.append(Problem(result.path, error))
        return result
    if not frames:
        result.problems.append(Problem(result.path, "has no features"))
        return result
    stem_epoch: EpochDate | None
    try:
        stem_epoch = parse_epoch(p.stem)
    except ValueError:
        stem_epoch = None
    index = 0
    for frame in frames:
        crs = frame.crs
        if crs is None:
            if p.suffix.lower() not in _CRS_BY_DEFINITION:
                result.problems.append(
                    Problem(
                        result.path,
                        "has no CRS; a "
                        f"{SUFFIXES.get(p.suffix.lower(), 'file of this format')} must declare "
                        "one (in QGIS: Layer > Set CRS, then save again)",
                    )
                )
                return result
            frame = frame.set_crs(4326)
        elif crs.to_epsg() != 4326 and not crs.equals("OGC:CRS84"):
            result.crs = crs.to_string()
            result.reprojected = True
            frame = frame.to_crs(4326)
        columns = {str(c).lower(): c for c in frame.columns if c != frame.geometry.name}
        for row, geom in zip(frame.to_dict("records"), frame.geometry, strict=True):
            index += 1
            props = {k: row[c] for k, c in columns.items()}
            footprint = _footprint(geom, props, index, result, stem_epoch, site)
            if footprint is not None:
                result.footprints.append(footprint)
    return result


def _footprint(
    geom: BaseGeometry | None,
    props: Mapping[str, Any],
    index: int,
    result: FileResult,
    stem_epoch: EpochDate | None,
    site: Site,
) -> Footprint | None:
    name = "" if _missing(props.get("name")) else str(props["name"]).strip()
    where = f"feature {index}" + (f" ({name})" if name else "")
    path = result.path

    def error(message: str) -> None:
        result.problems.append(Problem(path, f"{where} {message}"))

    if geom is None:
        error("has no geometry")
        return None
    geom = shapely.force_2d(geom)
    if geom.is_empty:
        error("has an empty geometry")
        return None
    polygonal, problem = _polygonal(geom, where, path)
    if problem:
        result.problems.append(problem)
        return None
    assert polygonal is not None
    located = _locate(polygonal, site)
    if located:
        error(located)
        return None
    if not polygonal.is_valid:
        reason = shapely.is_valid_reason(polygonal)
        before = geodesic_area_m2(polygonal)
        repaired = MultiPolygon(polygons_of(shapely.make_valid(polygonal)))
        if repaired.is_empty:
            error(f"is invalid ({reason}) and has no area once repaired")
            return None
        after = geodesic_area_m2(repaired)
        result.problems.append(
            Problem(
                path,
                f"{where} was invalid ({reason}); repaired with make_valid "
                f"(area as drawn {before:,.0f} m², repaired {after:,.0f} m²)",
                "warning",
                "repaired",
            )
        )
        polygonal = repaired if len(repaired.geoms) > 1 else repaired.geoms[0]
    raw_epoch = props.get("epoch")
    if _missing(raw_epoch):
        if stem_epoch is None:
            error(
                "has no 'epoch' property and the file name is not a date "
                "(add epoch=YYYY-MM, or name the file e.g. 2011-03.kml)"
            )
            return None
        epoch = stem_epoch
    else:
        try:
            epoch = parse_epoch(str(raw_epoch))
        except ValueError as exc:
            error(f"has a bad 'epoch': {exc}")
            return None
    lacking = []
    method = "traced" if _missing(props.get("method")) else str(props["method"]).strip().lower()
    if _missing(props.get("method")):
        lacking.append("method (assumed 'traced')")
    if method not in METHODS:
        error(f"has an unknown method {method!r} (expected one of {', '.join(METHODS)})")
        return None
    source = "" if _missing(props.get("source")) else str(props["source"]).strip()
    if not source:
        lacking.append("source (the file name is used)")
        source = Path(path).name
    try:
        uncertainty = _number(props.get("uncertainty_m"), "uncertainty_m")
        area_unc = _number(props.get("area_uncertainty_pct"), "area_uncertainty_pct")
        reference = _number(props.get("reference_area_m2"), "reference_area_m2")
        estimated = _boolean(props.get("estimated"))
    except ValueError as exc:
        error(f"has {exc}")
        return None
    if uncertainty is None:
        lacking.append("uncertainty_m")
    if lacking:
        result.problems.append(
            Problem(
                path, f"{where} lacks provenance: {', '.join(lacking)}", "warning", "provenance"
            )
        )
    note = props.get("note")
    if _missing(note):
        note = props.get("description")
    return Footprint(
        geometry=polygonal,
        epoch=epoch,
        cls="developed" if _missing(props.get("class")) else str(props["class"]).strip(),
        name=name,
        source=source,
        method=method,
        uncertainty_m=uncertainty,
        area_uncertainty_pct=area_unc,
        estimated=estimated,
        reference_area_m2=reference,
        note="" if _missing(note) else str(note).strip(),
        file=path,
        feature=index,
    )


def read_footprint_file(path: str | os.PathLike[str], site: Site = KAESONG) -> list[Footprint]:
    """Read one footprint file, raising on the first error.

    Repaired geometries are announced with
    :class:`~kaesong_geo.errors.GeometryRepairedWarning`.

    Raises
    ------
    DataError
        Naming the file and the problem.

    Examples
    --------
    >>> from kaesong_geo.io.datadir import bundled_data_dir
    >>> fps = read_footprint_file(bundled_data_dir() / "boundaries" / "2009-09.geojson")
    >>> [(f.epoch.label, f.method, f.estimated) for f in fps]
    [('2009-09', 'reconstructed', False)]
    """
    result = inspect_footprint_file(path, site)
    raise_first(result.problems)
    _warn_repairs(result.problems)
    return result.footprints


def _warn_repairs(problems: list[Problem]) -> None:
    for problem in problems:
        if problem.code == "repaired":
            warnings.warn(str(problem), GeometryRepairedWarning, stacklevel=3)


def footprint_files(data_dir: str | os.PathLike[str]) -> list[Path]:
    """Footprint files in ``data_dir/boundaries``, sorted by name (hidden files skipped)."""
    folder = Path(data_dir) / "boundaries"
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUFFIXES
    )


def inspect_footprints(
    data_dir: str | os.PathLike[str], site: Site = KAESONG
) -> tuple[list[Epoch], list[FileResult], list[Problem]]:
    """Read every footprint file of a data directory, collecting problems.

    Returns
    -------
    epochs : list of Epoch
        Sorted by date.
    files : list of FileResult
    problems : list of Problem
        Every problem of every file, then cross-file problems (duplicate epochs).
    """
    files = [inspect_footprint_file(p, site) for p in footprint_files(data_dir)]
    problems = [problem for f in files for problem in f.problems]
    if not files:
        problems.append(Problem(str(Path(data_dir) / "boundaries"), "holds no footprint files"))
    by_label: dict[str, list[Footprint]] = {}
    owner: dict[str, str] = {}
    for f in files:
        for fp in f.footprints:
            label = fp.epoch.label
            if label in owner and owner[label] != f.path:
                problems.append(
                    Problem(
                        f.path,
                        f"epoch {label} is already defined in {owner[label]} (one epoch, one file)",
                    )
                )
                continue
            owner[label] = f.path
            by_label.setdefault(label, []).append(fp)
    placed: dict[Any, str] = {}
    epochs = []
    for label, fps in sorted(by_label.items(), key=lambda kv: kv[1][0].epoch):
        day = fps[0].epoch.placed
        if day in placed:
            problems.append(
                Problem(
                    owner[label],
                    f"epoch {label} falls on the same day ({day.isoformat()}) as epoch "
                    f"{placed[day]}; merge them or give exact dates",
                )
            )
            continue
        placed[day] = label
        epochs.append(Epoch(fps[0].epoch, tuple(fps)))
    return epochs, files, problems


def load_footprints(data_dir: str | os.PathLike[str], site: Site = KAESONG) -> list[Epoch]:
    """Read every epoch of a data directory; raise on the first error.

    Raises
    ------
    DataError
        Naming the file and the problem, and how many more there are.

    Examples
    --------
    >>> from kaesong_geo.io.datadir import bundled_data_dir
    >>> [e.label for e in load_footprints(bundled_data_dir())]
    ['2004-04', '2006-01', '2009-09']
    """
    epochs, _, problems = inspect_footprints(data_dir, site)
    raise_first(problems)
    _warn_repairs(problems)
    return epochs
