"""Read footprint files into :class:`~kaesong_geo.model.Footprint` objects, checking them.

Formats: GeoJSON (``.geojson``, ``.json``), GeoPackage (``.gpkg``), KML and KMZ from Google
Earth (``.kml``, ``.kmz``, every folder read), Shapefile (``.shp``, or zipped: ``.shp.zip``,
``.zip``, every ``.shp`` in it, at its top or in a folder) and FlatGeobuf (``.fgb``), all
through GDAL (pyogrio, properties as Arrow); GeoParquet (``.parquet``) through pyarrow.

Every other entry of ``boundaries/`` that is not hidden (a leading ``.``) is an error, named,
never skipped silently: an unsupported suffix (``2011-03.kml.txt``, ``2011-03.csv``), a
folder, a FIFO or device (never opened), a dangling symbolic link, an unreadable file. The
sidecars of a footprint file (``.dbf``, ``.shx``, ``.prj``, ``.cpg`` ... of a ``.shp``;
``.qmd`` of any) are fine.

Properties read from each feature (names are case-insensitive; all but the geometry
optional). A Shapefile cuts field names to 10 characters: GDAL writes ``reference_``,
``area_uncer`` and ``uncertaint``, read as ``reference_area_m2``, ``area_uncertainty_pct``
and ``uncertainty_m`` (those exact names only); two columns for one property are an error.

``epoch``
    ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``. If absent, the file name must be the epoch,
    e.g. ``2011-03.kml``. If the file name is an epoch, every feature's ``epoch`` must be
    that label (``2011-03-07`` in ``2011-03.kml`` is an error: a day is not the month); a file
    with another name may hold several epochs. A date or datetime field of a GeoPackage or
    FlatGeobuf is a day-precision epoch, its date as written (not converted to UTC). Dates
    are read as the text stored, so ``2011-02-30`` is named as a bad date.
``imagery``
    The ``id`` of the image in ``imagery/catalog.csv`` the footprint was traced on (see
    :mod:`kaesong_geo.io.imagery`). An id the catalogue does not list is an error, and so is
    an image not of the footprint's epoch (``2013-06-20`` is of epoch ``2013-06``; ``2013-05``
    or an image dated only ``2013`` is not). A footprint without ``uncertainty_m`` takes the
    image's, when the catalogue records one.
``class``, ``name``, ``source``, ``method``, ``uncertainty_m``, ``area_uncertainty_pct``,
``estimated``, ``reference_area_m2``, ``note``
    See :mod:`kaesong_geo.model`. KML's ``description`` serves as ``note``. A missing
    ``method`` is taken as ``traced`` and a missing ``source`` as the file name; both, and a
    missing ``uncertainty_m``, are reported as warnings by ``kaesong-geo validate``.
    Numbers must be finite and sane: ``0 <= uncertainty_m < 100,000`` (m),
    ``0 <= area_uncertainty_pct <= 1000``, ``reference_area_m2 > 0``. A null (JSON
    ``null``, an empty field) is missing; a stored NaN (GeoJSON's ``NaN``, ``nan`` in a
    Shapefile's ``.dbf``, a NaN in FlatGeobuf or GeoParquet) is an error. A GeoPackage
    (SQLite) stores a NaN as NULL, and geopandas writes NaN as NULL: both read as missing.

Checks, each reported with the file and feature:

* the file opens and has at least one feature;
* a CRS: GeoJSON, KML and KMZ are WGS 84 by definition; a GeoPackage, Shapefile or
  FlatGeobuf without a CRS is refused. Any other CRS is reprojected to WGS 84;
* every geometry is a non-empty polygon or multipolygon (Z dropped); a closed line from
  Google Earth's *Add Path* is refused with a hint to use *Add Polygon*. In a KML or KMZ
  that holds polygons, pushpins (points) and open paths (lines) are skipped, and so are
  the points and open paths of a MultiGeometry beside its polygon, with one
  :class:`~kaesong_geo.errors.PlacemarksSkippedWarning` per file naming each by its
  ``Name`` (``kaesong-geo validate`` lists it as a warning); a KML of only pushpins and
  paths is refused;
* coordinates are finite, valid longitudes/latitudes, not swapped, and **every vertex**
  lies within the site's ``radius_km`` of its reference point, or within the site's
  ``outline_margin_km`` of its outline when ``site.toml`` gives one (a long sliver centred
  on the site is refused, not only a misplaced centroid). The message names the reference
  point and where it comes from (``site.toml [point]``, or Kaesong assumed without one);
* a footprint across the antimeridian (longitudes beyond 180°, wrapped to -179.99..., or
  split at 180° as RFC 7946 asks) is made continuous around the site's longitude: each
  longitude within 180° of the site's, the parts of a split footprint dissolved into one;
* a feature with a ``reference_area_m2`` has a geodesic area within its
  ``area_uncertainty_pct`` of it (:data:`DEFAULT_AREA_TOLERANCE_PCT`, 10 %, when none is
  recorded): a mistyped vertex shows here;
* geometry validity: an invalid polygon (self-intersection, bow-tie) is **repaired** with
  :func:`shapely.make_valid` and a :class:`~kaesong_geo.errors.GeometryRepairedWarning` is
  issued; ``kaesong-geo validate`` counts it as an error so that kept data stays clean.
* two files may not define the same epoch, nor two labels falling on the same day.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import re
import stat
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import shapely
from shapely.geometry import LinearRing, LineString, MultiPoint, MultiPolygon
from shapely.geometry.base import BaseGeometry

from kaesong_geo.dates import EpochDate, parse_epoch
from kaesong_geo.errors import GeometryRepairedWarning, PlacemarksSkippedWarning
from kaesong_geo.io.filecache import FileCache
from kaesong_geo.io.imagery import CATALOG_FILE, ImageryRecord, catalog_ids
from kaesong_geo.io.problems import Problem, raise_first
from kaesong_geo.io.sitefile import read_site
from kaesong_geo.measure import GEOD, geodesic_area_m2, lon_near, polygons_of, to_utm
from kaesong_geo.model import METHODS, Epoch, Footprint, Method
from kaesong_geo.site import KAESONG, Site

__all__ = [
    "DEFAULT_AREA_TOLERANCE_PCT",
    "SUFFIXES",
    "FileResult",
    "footprint_files",
    "inspect_footprint_file",
    "inspect_footprints",
    "load_footprints",
    "read_footprint_file",
    "scan_boundaries",
]

#: File endings read as footprints, with the GDAL driver family.
SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".kml": "KML",
    ".kmz": "KMZ",
    ".shp": "Shapefile",
    ".shp.zip": "zipped Shapefile",
    ".zip": "zipped Shapefile",
    ".fgb": "FlatGeobuf",
    ".parquet": "GeoParquet",
}
#: Tolerance for a reference area when a footprint records no ``area_uncertainty_pct``.
DEFAULT_AREA_TOLERANCE_PCT = 10.0
# Files that travel with a footprint file of the same name (Shapefile parts, QGIS metadata,
# SQLite journals of an open GeoPackage).
_SIDECARS = (
    ".shp.xml", ".dbf", ".shx", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".fix", ".qmd",
    ".gpkg-wal", ".gpkg-shm", ".gpkg-journal",
)  # fmt: skip
# Upper bounds of the numeric properties (beyond them a value is a typo, or 1e308).
_MAX_UNCERTAINTY_M = 100_000.0
_MAX_AREA_UNCERTAINTY_PCT = 1000.0
# Formats whose specification fixes the CRS to WGS 84 lon/lat.
_CRS_BY_DEFINITION = {".geojson", ".json", ".kml", ".kmz"}
# The 10-character field names that GDAL writes to a Shapefile (.dbf) for the long ones.
_SHAPEFILE_NAMES = {
    "reference_": "reference_area_m2",
    "area_uncer": "area_uncertainty_pct",
    "uncertaint": "uncertainty_m",
}
_DATETIME_TEXT = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}")
# Geometries of Google Earth's pushpins and paths, skipped beside a KML's polygons.
_PINS_AND_PATHS = ("Point", "MultiPoint", "LineString", "MultiLineString")
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
    #: KML/KMZ placemarks skipped (pushpins and open paths beside polygons), named.
    skipped: list[str] = field(default_factory=list)
    #: The epoch the caller gave for every feature (instead of the file name's), if any.
    epoch: str | None = None


def _missing(value: Any) -> bool:
    """None (a null field) or a blank string; a stored NaN is a value, refused where read.

    Examples
    --------
    >>> _missing(None), _missing("  "), _missing(float("nan")), _missing(0)
    (True, True, False, False)
    """
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return False


def _number(
    value: Any, name: str, *, maximum: float = math.inf, positive: bool = False
) -> float | None:
    """A finite number in range, or None when absent; ValueError naming ``name`` otherwise.

    Examples
    --------
    >>> _number("12.5", "uncertainty_m"), _number(None, "uncertainty_m")
    (12.5, None)
    >>> _number(1e308, "area_uncertainty_pct", maximum=1000)
    Traceback (most recent call last):
    ...
    ValueError: 'area_uncertainty_pct' must be at most 1,000, got 1e+308
    >>> _number(0, "reference_area_m2", positive=True)
    Traceback (most recent call last):
    ...
    ValueError: 'reference_area_m2' must be positive, got 0
    """
    if _missing(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"'{name}' is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"'{name}' must be a finite number, got {value!r}")
    if positive and number <= 0:
        raise ValueError(f"'{name}' must be positive, got {value!r}")
    if number < 0:
        raise ValueError(f"'{name}' must be a non-negative number, got {value!r}")
    if number > maximum:
        raise ValueError(f"'{name}' must be at most {maximum:,g}, got {value!r}")
    return number


def _epoch_text(value: Any) -> str:
    """The epoch property as text; a date-time (a DATETIME field, as text) gives its date.

    The date is taken as written, not converted to UTC.

    Examples
    --------
    >>> import pandas as pd
    >>> _epoch_text(pd.Timestamp("2011-03-07")), _epoch_text("2011-03"), _epoch_text(2011.0)
    ('2011-03-07', '2011-03', '2011')
    >>> _epoch_text("2011-03-07T05:00:00.000+09:00"), _epoch_text("2011-02-30T00:00:00Z")
    ('2011-03-07', '2011-02-30')
    >>> _epoch_text("2011-03-07T25:00")
    '2011-03-07T25:00'
    """
    if isinstance(value, str):
        text = value.strip()
        match = _DATETIME_TEXT.match(text)
        if not match:
            return text
        day = match.group(1)
        try:
            dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                return day  # an impossible day: parse_epoch names it
            return text  # a bad time: not an epoch
        return day
    if isinstance(value, dt.datetime):  # pandas.Timestamp too
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return str(value.astype("datetime64[D]"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


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


def _imagery_id(value: Any) -> str | None:
    """The ``imagery`` property as an id, or None when absent.

    Examples
    --------
    >>> _imagery_id(" ge-2013-06 "), _imagery_id(7.0), _imagery_id(""), _imagery_id(None)
    ('ge-2013-06', '7', None, None)
    """
    if _missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def of_epoch(image: EpochDate, epoch: EpochDate) -> bool:
    """Whether an image dated ``image`` is of ``epoch``: the same date, or a day or month in it.

    Examples
    --------
    >>> of_epoch(parse_epoch("2013-06-20"), parse_epoch("2013-06"))
    True
    >>> of_epoch(parse_epoch("2013"), parse_epoch("2013-06"))  # maybe another month
    False
    >>> of_epoch(parse_epoch("2013-05-31"), parse_epoch("2013-06"))
    False
    """
    return image.label == epoch.label or image.label.startswith(epoch.label + "-")


def _imagery_problem(
    image_id: str, epoch: EpochDate, catalog: Mapping[str, ImageryRecord]
) -> str | None:
    """What is wrong with a footprint of ``epoch`` naming the image ``image_id``, or None."""
    record = catalog.get(image_id)
    if record is None:
        known = ", ".join(sorted(catalog)) or "none"
        if not getattr(catalog, "has_id_column", True):
            known += "; it has no id column: add one, see the README"
        elif getattr(catalog, "refused", False):  # perhaps the row naming it was refused
            known += f"; rows of {CATALOG_FILE.as_posix()} were refused: fix those first"
        return (
            f"names imagery {image_id!r}, which {CATALOG_FILE.as_posix()} does not list "
            f"(known ids: {known})"
        )
    if not of_epoch(record.date, epoch):
        return (
            f"names imagery {image_id!r} of {record.date.label}, not of its epoch "
            f"{epoch.label}: trace each epoch on an image of it, or fix the id"
        )
    return None


def suffix_of(path: Path) -> str:
    """The footprint suffix of ``path`` (``.shp.zip`` counts as one), lower-case.

    Examples
    --------
    >>> suffix_of(Path("2011-03.SHP.zip")), suffix_of(Path("2011-03.kml.txt"))
    ('.shp.zip', '.txt')
    """
    name = path.name.lower()
    return ".shp.zip" if name.endswith(".shp.zip") else path.suffix.lower()


def _stem_of(path: Path) -> str:
    return path.name[: len(path.name) - len(suffix_of(path))]


def _name_not_epoch(path: Path) -> str:
    """Why the file's name gives no epoch: not a date at all, or an impossible one.

    Examples
    --------
    >>> _name_not_epoch(Path("tracing.kml"))
    'the file name is not a date'
    >>> _name_not_epoch(Path("2018-06-31.geojson"))
    "the file name '2018-06-31' is not a valid date: day is out of range for month"
    """
    stem = _stem_of(path)
    try:
        parse_epoch(stem)
    except ValueError as exc:
        if "is not a valid date" in str(exc):  # looks like a date, but no such day or month
            return f"the file name {exc}"
    return "the file name is not a date"


@dataclass
class _Layer:
    """One layer: its CRS, its geometries and its properties by column (nulls as None)."""

    crs: Any
    geometries: np.ndarray  # of shapely geometries or None, one per feature
    columns: dict[str, list[Any]]

    def __len__(self) -> int:
        return len(self.geometries)


def _zip_members(path: Path) -> list[str]:
    """GDAL paths of the ``.shp`` files in a zip, at its top or in a folder of it.

    macOS's ``__MACOSX/`` copies and ``._`` resource files are not shapefiles.
    """
    import zipfile

    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    shps = sorted(
        n
        for n in names
        if n.lower().endswith(".shp")
        and not n.startswith("__MACOSX/")
        and not n.rsplit("/", 1)[-1].startswith("._")
    )
    if not shps:
        found = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise ValueError(f"holds no .shp file (found: {found or 'nothing'})")
    return [f"/vsizip/{path.absolute()}/{name}" for name in shps]


def _dates_as_text(
    source: str, layer: str, meta: Mapping[str, Any], columns: dict[str, list[Any]]
) -> None:
    """Replace the values of DATE fields by their text, as stored.

    Through Arrow, GDAL turns an impossible DATE (``2011-02-30`` in a GeoPackage) into the
    next valid one (2011-03-02); OGR SQL's CAST gives the text, which the epoch check names.
    """
    import pyogrio

    dates = [
        str(f) for f, t in zip(meta["fields"], meta["ogr_types"], strict=True) if t == "OFTDate"
    ]
    if not dates or not any(columns.values()):
        return

    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    casts = ", ".join(f"CAST({quote(f)} AS CHARACTER(32)) AS {quote(f)}" for f in dates)
    _, text = pyogrio.read_arrow(
        source,
        sql=f"SELECT {casts} FROM {quote(layer)}",
        sql_dialect="OGRSQL",
        read_geometry=False,
    )
    for date in dates:
        columns[date] = [
            None if value is None else str(value).replace("/", "-")
            for value in text.column(date).to_pylist()
        ]


#: The last files :func:`_read_layers` read, by layer and the file's identity (with its
#: sidecars): a workspace's footprints are read again on every check of it.
_LAYERS_READ: FileCache[tuple[list[_Layer], str | None]] = FileCache(64)


def _read_layers(path: Path, layer: str | None = None) -> tuple[list[_Layer], str | None]:
    """Every non-empty layer of a file (only the one named ``layer`` if given); or an error.

    A file read before and unchanged since, with the files beside it (a Shapefile's parts, a
    GeoPackage's journal), is not read again (:class:`~kaesong_geo.io.filecache.FileCache`).
    """
    layers, error = _LAYERS_READ.get(path, layer, lambda p: _read_layers_afresh(p, layer))
    # the callers read the layers, and make their own columns
    return [_Layer(f.crs, f.geometries, dict(f.columns)) for f in layers], error


def _read_layers_afresh(path: Path, layer: str | None) -> tuple[list[_Layer], str | None]:
    """:func:`_read_layers`, read from the file.

    Properties are read through Arrow, so that a null (missing) is ``None`` and a stored NaN
    stays NaN (an error), and GeoJSON dates as text (``2011-02-30`` is not a date, where
    GDAL would read it as 2011-03-02).
    """
    import geopandas as gpd
    import pyogrio

    suffix = suffix_of(path)
    kind = SUFFIXES.get(suffix, "a vector file")
    layers: list[_Layer] = []
    try:
        with warnings.catch_warnings():
            # shapely warns on a NaN coordinate; the coordinate check names it.
            warnings.simplefilter("ignore", RuntimeWarning)
            if suffix == ".parquet":
                import pyarrow.parquet as pq  # type: ignore[import-untyped]

                frame = gpd.read_parquet(path)
                names = [str(c) for c in frame.columns if c != frame.geometry.name]
                columns = pq.read_table(path, columns=names).to_pydict()
                layers.append(_Layer(frame.crs, np.asarray(frame.geometry.array), columns))
            else:
                sources = [str(path)]
                if suffix in (".zip", ".shp.zip"):
                    sources = _zip_members(path)
                options = {"DATE_AS_STRING": "YES"} if kind == "GeoJSON" else {}
                for source in sources:
                    for name, _ in pyogrio.list_layers(source):
                        if layer is not None and str(name) != layer:
                            continue
                        meta, table = pyogrio.read_arrow(
                            source, layer=str(name), datetime_as_string=True, **options
                        )
                        column = meta["geometry_name"] or "wkb_geometry"
                        geometries = np.full(table.num_rows, None, dtype=object)
                        if column in table.column_names:
                            wkb = table.column(column).to_numpy(zero_copy_only=False)
                            geometries = shapely.from_wkb(wkb)
                            table = table.drop_columns([column])
                        columns = table.to_pydict()
                        _dates_as_text(source, str(name), meta, columns)
                        layers.append(_Layer(meta["crs"], geometries, columns))
    except Exception as exc:  # GDAL and pyarrow say many things; keep the first line
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [], f"cannot read as {kind}: {text}"
    return [found for found in layers if len(found)], None


def _deg(value: float) -> str:
    """Degrees as written in messages: at most 4 decimals, no trailing zeros.

    Examples
    --------
    >>> _deg(126.6333), _deg(130.3), _deg(-29.0)
    ('126.6333', '130.3', '-29')
    """
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _km(value: float) -> str:
    """A distance in km for messages: whole km from 10, one decimal below, 2 digits below 1.

    Examples
    --------
    >>> _km(6554.2), _km(22.4), _km(7.06), _km(0.7071), _km(0.0123)
    ('6,554', '22', '7.1', '0.71', '0.012')
    """
    if value >= 10:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"


def _point_of(site: Site) -> str:
    """The site's reference point and where it comes from, for messages.

    Examples
    --------
    >>> _point_of(Site.at("Zone", 130.3, 42.3))
    '130.3, 42.3'
    >>> from dataclasses import replace
    >>> _point_of(replace(KAESONG, assumed=True))  # doctest: +ELLIPSIS
    '126.6333, 37.9333: no site.toml, Kaesong assumed; run kaesong-geo init DIR --site ...'
    """
    point = f"{_deg(site.lon)}, {_deg(site.lat)}"
    if site.assumed:
        return (
            f"{point}: no site.toml, {site.short_name} assumed; "
            "run kaesong-geo init DIR --site NAME --lon LON --lat LAT"
        )
    if site.source_file:
        return f"{point}; site.toml [point]"
    return point


def _unwrap(geom: BaseGeometry, site: Site) -> BaseGeometry:
    """``geom`` made continuous around the site's longitude, or ``geom`` itself.

    Each longitude is shifted by a multiple of 360° to lie within 180° of the site's (a
    footprint wrapped at ±180°, QGIS style, or split there as RFC 7946 asks, or wholly on
    the other side of ±180° from the site), unless that would widen it (a ring around a
    pole); the parts of a split footprint then touch, and are dissolved into one. A
    geometry with nothing to shift, as at any site far from ±180°, is returned as it is.

    Examples
    --------
    >>> from shapely.geometry import MultiPolygon, box
    >>> site = Site.at("Zone", 179.999, -16.5)
    >>> split = MultiPolygon([box(179.99, -16.51, 180, -16.49), box(-180, -16.51, -179.99, -16.49)])
    >>> [round(v, 6) for v in _unwrap(split, site).bounds]
    [179.99, -16.51, 180.01, -16.49]
    >>> _unwrap(box(126.6, 37.9, 126.7, 38.0), KAESONG).bounds
    (126.6, 37.9, 126.7, 38.0)
    """
    lon = shapely.get_coordinates(geom)[:, 0]
    if not len(lon) or not np.isfinite(lon).all():
        return geom
    near = lon_near(lon, site.lon)
    if np.array_equal(near, lon) or np.ptp(near) > np.ptp(lon):
        return geom

    def shifted(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([lon_near(xy[:, 0], site.lon), xy[:, 1]])

    unwrapped = shapely.transform(geom, shifted)
    if isinstance(unwrapped, MultiPolygon) and all(p.is_valid for p in unwrapped.geoms):
        parts = polygons_of(shapely.union_all(list(unwrapped.geoms)))
        unwrapped = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    return unwrapped


def _locate(geom: BaseGeometry, site: Site) -> str | None:
    """A problem with where ``geom`` lies (every vertex, not only the centroid), or None.

    Longitudes may be beyond ±180° (up to ±360°): distances are geodesic, whatever the
    longitude's turn; vertices are named as written.
    """
    coords = shapely.get_coordinates(geom)
    lon, lat = coords[:, 0], coords[:, 1]
    if not np.isfinite(coords).all():
        bad = int(np.flatnonzero(~np.isfinite(coords).all(axis=1))[0]) + 1
        return f"has a non-finite coordinate (NaN or infinity) at vertex {bad}"
    c = geom.centroid  # as written, in the messages
    point = _point_of(site)
    of_site = f"the reference point of {site.name} ({point})"
    in_range = lon.min() >= -360 and lon.max() <= 360 and lat.min() >= -90 and lat.max() <= 90
    swapped_ok = lon.min() >= -90 and lon.max() <= 90 and lat.min() >= -180 and lat.max() <= 180
    if (
        swapped_ok
        and _farthest_km(lat, lon, site)[0] <= site.max_distance_km
        and (not in_range or _farthest_km(lon, lat, site)[0] > site.max_distance_km)
    ):
        fix = " (if every footprint says so, swap lon and lat in site.toml)"
        fix = fix if site.source_file else ""
        return (
            f"coordinates look swapped (lat, lon) against {of_site}: x={c.x:.4f}, "
            f"y={c.y:.4f}; write longitude first{fix}"
        )
    if not in_range:
        return (
            f"coordinates are not longitude/latitude (x={c.x:.6g}, y={c.y:.6g}); "
            "is the CRS missing or wrong?"
        )
    distances = _distances_km(lon, lat, site)
    beyond = distances > site.max_distance_km
    if not beyond.any():
        return None
    outline = ""
    if site.outline is not None:
        near = _near_outline(lon[beyond], lat[beyond], site)
        if near.all():
            return None
        beyond[np.flatnonzero(beyond)[near]] = False
        outline = f" nor within {site.outline_margin_km:g} km of its outline"
    centre = _unwrap(geom, site).centroid  # of the footprint, not of its wrapped outline
    centre_km = _distance_km(centre.x, centre.y, site)
    # Most vertices in range and a few beyond: a mistyped vertex, named whatever its distance.
    if centre_km > site.max_distance_km and not outline and beyond.mean() >= 0.5:
        hint = ", or a wrong point in site.toml" if site.source_file else ""
        return (
            f"lies {_km(centre_km)} km from {of_site}, more than "
            f"{site.max_distance_km:g} km: wrong place or CRS{hint}?"
        )
    i = int(np.flatnonzero(beyond)[0])
    return (
        f"reaches {_km(float(distances[i]))} km from {of_site} at vertex {i + 1} "
        f"({lon[i]:.5f}, {lat[i]:.5f}), more than {site.max_distance_km:g} km{outline}: "
        "a mistyped vertex, or the wrong place?"
    )


def _distances_km(lon: np.ndarray, lat: np.ndarray, site: Site) -> np.ndarray:
    """Geodesic distance (km) of each vertex from the site's reference point."""
    _, _, metres = GEOD.inv(np.full_like(lon, site.lon), np.full_like(lat, site.lat), lon, lat)
    return np.asarray(metres, dtype=float) / 1000.0


@functools.lru_cache(maxsize=8)
def _outline_zone(outline: BaseGeometry, utm_epsg: int, margin_km: float) -> BaseGeometry:
    """The outline in UTM, buffered by the margin, prepared for point tests."""
    zone = to_utm(outline, utm_epsg).buffer(margin_km * 1000.0)
    shapely.prepare(zone)
    return zone


def _near_outline(lon: np.ndarray, lat: np.ndarray, site: Site) -> np.ndarray:
    """Whether each vertex lies within the site's outline margin (in the local UTM zone)."""
    assert site.outline is not None
    zone = _outline_zone(site.outline, site.utm_epsg, site.outline_margin_km)
    if not len(lon):
        return np.ones(0, dtype=bool)
    points = MultiPoint(np.column_stack([lon, lat]))
    xy = shapely.get_coordinates(to_utm(points, site.utm_epsg))
    return np.asarray(shapely.contains_xy(zone, xy[:, 0], xy[:, 1]), dtype=bool)


def _farthest_km(lon: np.ndarray, lat: np.ndarray, site: Site) -> tuple[float, int]:
    """Geodesic distance (km) of the vertex farthest from the site, and its index."""
    _, _, metres = GEOD.inv(np.full_like(lon, site.lon), np.full_like(lat, site.lat), lon, lat)
    i = int(np.argmax(metres))
    return float(metres[i]) / 1000.0, i


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


def _site_of_file(path: Path) -> Site:
    """The site of the data directory holding ``path`` in its ``boundaries/``; else Kaesong."""
    if path.parent.name == "boundaries":
        return read_site(path.parent.parent)
    return KAESONG


def _skippable(geom: BaseGeometry) -> bool:
    """A pushpin (point) or an open path (line): Google Earth's *Add Placemark*, *Add Path*.

    A closed path is not: it was most likely meant as a polygon (refused with a hint).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> _skippable(Point(1, 2)), _skippable(LineString([(0, 0), (1, 1)]))
    (True, True)
    >>> _skippable(LineString([(0, 0), (1, 1), (1, 0), (0, 0)])), _skippable(Point(0, 0).buffer(1))
    (False, False)
    """
    if geom.is_empty or geom.geom_type not in _PINS_AND_PATHS:
        return False
    lines = [part for part in shapely.get_parts(geom) if isinstance(part, LineString)]
    return not any(line.is_closed for line in lines)


def _skip_placemarks(layers: list[_Layer]) -> tuple[list[np.ndarray], list[str], str | None]:
    """Pushpins and open paths of a KML/KMZ to skip beside its polygons, named; and a message.

    Returns, per layer, which features to skip; what was skipped (``pushpin 'Gate' (Point)``);
    and one warning message for the file (None when nothing was skipped). The polygons of a
    MultiGeometry that also holds points or open paths are kept: its geometry is replaced in
    its layer. A file with no polygon at all skips nothing (its placemarks are refused).
    """
    masks = [np.zeros(len(layer), dtype=bool) for layer in layers]
    if not any(polygons_of(g) for layer in layers for g in layer.geometries if g is not None):
        return masks, [], None
    whole: list[str] = []
    parts: list[str] = []
    offset = 0
    for layer, mask in zip(layers, masks, strict=True):
        names = next((v for k, v in layer.columns.items() if k.lower() == "name"), None)
        for i, geom in enumerate(layer.geometries):
            if geom is None:
                continue
            name = None if names is None or _missing(names[i]) else str(names[i]).strip()
            label = repr(name) if name else f"(unnamed, feature {offset + i + 1})"
            if _skippable(geom):
                mask[i] = True
                kind = "pushpin" if "Point" in geom.geom_type else "path"
                whole.append(f"{kind} {label} ({geom.geom_type})")
            elif geom.geom_type == "GeometryCollection":
                polys = polygons_of(geom)
                others = [g for g in shapely.get_parts(geom) if not polygons_of(g)]
                if polys and others and all(_skippable(g) for g in others):
                    layer.geometries[i] = polys[0] if len(polys) == 1 else MultiPolygon(polys)
                    kinds = "/".join(dict.fromkeys(g.geom_type for g in others))
                    parts.append(f"the {kinds} of MultiGeometry {label} (its polygon kept)")
        offset += len(layer)
    if not whole and not parts:
        return masks, [], None
    message = ""
    if whole:
        n = len(whole)
        message = (
            f"skipped {n} placemark{'s' if n > 1 else ''} that {'are' if n > 1 else 'is'} "
            f"not {'polygons' if n > 1 else 'a polygon'}: {', '.join(whole)}"
        )
    if parts:
        message += ("; and " if message else "skipped ") + ", ".join(parts)
    return masks, whole + parts, message


def inspect_footprint_file(
    path: str | os.PathLike[str],
    site: Site | None = None,
    imagery: Mapping[str, ImageryRecord] | None = None,
    *,
    layer: str | None = None,
    epoch: EpochDate | None = None,
    properties: Mapping[str, Callable[[Any], Any]] | None = None,
) -> FileResult:
    """Read one footprint file and collect every problem instead of raising.

    Parameters
    ----------
    path : path
        The file.
    site : Site, optional
        Where footprints must lie; default: the ``site.toml`` of the data directory whose
        ``boundaries/`` holds the file, else (a file elsewhere) the Kaesong Industrial Complex.
    imagery : mapping of str to ImageryRecord, optional
        The images a footprint's ``imagery`` may name, by id; default: those of the
        ``imagery/catalog.csv`` of the data directory whose ``boundaries/`` holds the file
        (:func:`~kaesong_geo.io.imagery.catalog_ids`), else none.
    layer : str, optional
        Read only the layer of this name (a GeoPackage's table, a KML folder); default: all.
    epoch : EpochDate, optional
        The epoch of every feature, given by the caller instead of by the file's name: a
        feature without an ``epoch`` takes it, one with another is refused.
    properties : mapping of str to callable, optional
        Property name (lower-case) -> function applied to each feature's value (None when
        absent) before the checks: a caller's overrides and defaults.

    Returns
    -------
    FileResult
        Footprints that passed, and problems (errors and warnings) found. Pushpins and open
        paths beside the polygons of a KML or KMZ are skipped, named in ``skipped`` and in
        one warning (code ``skipped``).
    """
    p = Path(path)
    if site is None:
        site = _site_of_file(p)
    if imagery is None:
        imagery = catalog_ids(p.parent.parent) if p.parent.name == "boundaries" else {}
    result = FileResult(str(p), epoch=None if epoch is None else epoch.label)
    layers, error = _read_layers(p, layer)
    if error:
        result.problems.append(Problem(result.path, error))
        return result
    if not layers:
        result.problems.append(Problem(result.path, "has no features"))
        return result
    stem_epoch: EpochDate | None = epoch
    if stem_epoch is None:
        try:
            stem_epoch = parse_epoch(_stem_of(p))
        except ValueError:
            stem_epoch = None
    skips: list[np.ndarray | None] = [None] * len(layers)
    if suffix_of(p) in (".kml", ".kmz"):
        masks, result.skipped, message = _skip_placemarks(layers)
        if message:
            skips = list(masks)
            result.problems.append(Problem(result.path, message, "warning", "skipped"))
    index = 0
    import geopandas as gpd
    from pyproj import CRS

    for found, skip in zip(layers, skips, strict=True):
        geometries = found.geometries
        if found.crs is None:
            if suffix_of(p) not in _CRS_BY_DEFINITION:
                result.problems.append(
                    Problem(
                        result.path,
                        "has no CRS; a "
                        f"{SUFFIXES.get(suffix_of(p), 'file of this format')} must declare "
                        "one (in QGIS: Layer > Set CRS, then save again)",
                    )
                )
                return result
        else:
            crs = CRS.from_user_input(found.crs)
            if crs.to_epsg() != 4326 and not crs.equals("OGC:CRS84"):
                result.crs = crs.to_string()
                result.reprojected = True
                series = gpd.GeoSeries(geometries).set_crs(crs).to_crs(4326)
                geometries = np.asarray(series.array, dtype=object)
        columns, problem = _property_columns(found.columns)
        if problem:
            result.problems.append(Problem(result.path, problem))
            return result
        props = {prop: found.columns[column] for prop, column in columns.items()}
        for prop, given in (properties or {}).items():
            props[prop] = [given(value) for value in props.get(prop, [None] * len(found))]
        _layer_footprints(geometries, props, index, result, stem_epoch, site, imagery, skip)
        index += len(found)
    return result


class _Bad(Exception):
    """A value the fast path leaves to :func:`_footprint`, which names the problem."""


def _by_value(values: list[Any], parse: Callable[[Any], Any], bad: list[bool]) -> list[Any]:
    """``parse`` of each value; where it raises, ``bad`` is set. Text and nulls parsed once.

    Examples
    --------
    >>> bad = [False] * 4
    >>> _by_value(["1", "x", "1", None], lambda v: v and int(v), bad), bad
    ([1, None, 1, None], [False, True, False, False])
    """
    out: list[Any] = []
    cache: dict[str | None, Any] = {}
    for i, value in enumerate(values):
        if (value is None or type(value) is str) and value in cache:
            parsed = cache[value]
        else:
            try:
                parsed = parse(value)
            except Exception:
                parsed = _BAD
            if value is None or type(value) is str:
                cache[value] = parsed
        if parsed is _BAD:
            bad[i] = True
            parsed = None
        out.append(parsed)
    return out


_BAD = _Bad()


def _clean_geometries(geoms: np.ndarray, site: Site) -> np.ndarray:
    """Which geometries (Z dropped) pass every check of :func:`_footprint` as they are.

    Valid non-empty polygons and multipolygons whose every vertex is finite, lon/lat, and
    within the site's radius; everything else (a problem, a repair, a vertex beyond the
    radius that the outline may still allow) is left to :func:`_footprint`, one by one.
    """
    ok = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)
    candidates = np.flatnonzero(ok)
    if not candidates.size:
        return ok
    coords, owner = shapely.get_coordinates(geoms[candidates], return_index=True)
    counts = np.bincount(owner, minlength=candidates.size)
    lon, lat = coords[:, 0], coords[:, 1]
    good = np.isfinite(coords).all(axis=1)
    good &= (lon >= -180) & (lon <= 180) & (lat >= -90) & (lat <= 90)
    good &= np.abs(lon - site.lon) <= 180  # else unwrapped by _footprint
    far_km = np.full(len(coords), np.inf)
    # a geometry whose bounding box has its corners well within the radius lies within it
    # (over a box of tens of km, the distance from a point is largest at a corner but for a
    # part in 10^4): its vertices need no distance each
    w, s, e, n = shapely.bounds(geoms[candidates]).T
    box_ok = np.isfinite([w, s, e, n]).all(axis=0)
    inside = np.zeros(candidates.size, dtype=bool)
    if box_ok.any():
        corner_lon = np.concatenate([w[box_ok], w[box_ok], e[box_ok], e[box_ok]])
        corner_lat = np.concatenate([s[box_ok], n[box_ok], s[box_ok], n[box_ok]])
        plausible = (np.abs(corner_lon) <= 180) & (np.abs(corner_lat) <= 90)
        corner_km = np.full(corner_lon.size, np.inf)
        if plausible.any():
            k = int(plausible.sum())
            _, _, metres = GEOD.inv(
                np.full(k, site.lon), np.full(k, site.lat), corner_lon[plausible],
                corner_lat[plausible],
            )  # fmt: skip
            corner_km[plausible] = np.asarray(metres, dtype=float) / 1000.0
        corners_in = (corner_km.reshape(4, -1) <= site.max_distance_km * 0.999).all(axis=0)
        inside[np.flatnonzero(box_ok)[corners_in]] = True
    far_km[good & inside[owner]] = 0.0
    good &= ~inside[owner]
    if good.any():
        _, _, metres = GEOD.inv(
            np.full(int(good.sum()), site.lon), np.full(int(good.sum()), site.lat),
            lon[good], lat[good],
        )  # fmt: skip
        far_km[good] = np.asarray(metres, dtype=float) / 1000.0
    near = far_km <= site.max_distance_km
    bad_vertices = np.bincount(owner[~near], minlength=candidates.size)
    keep = (counts > 0) & (bad_vertices == 0)
    keep[keep] = shapely.is_valid(geoms[candidates[keep]])
    ok[:] = False
    ok[candidates[keep]] = True
    return ok


def _layer_footprints(
    geometries: np.ndarray,
    props: Mapping[str, list[Any]],
    offset: int,
    result: FileResult,
    stem_epoch: EpochDate | None,
    site: Site,
    catalog: Mapping[str, ImageryRecord],
    skip: np.ndarray | None = None,
) -> None:
    """Check and read the features of one layer (numbered from ``offset + 1``) into ``result``.

    Features where ``skip`` is true (KML pushpins and paths beside polygons) are not read.

    The checks of :func:`_footprint`, done column by column and on arrays of geometries;
    a feature any of them would fail (or repair) is read by :func:`_footprint` itself, so
    its problems are named exactly as there, in feature order.
    """
    n = len(geometries)
    flat = shapely.force_2d(geometries)
    ok = _clean_geometries(flat, site)
    none: list[Any] = [None] * n

    def column(prop: str) -> list[Any]:
        return props.get(prop, none)

    def text(value: Any) -> str:
        return "" if _missing(value) else str(value).strip()

    def epoch_of(value: Any) -> EpochDate:
        if _missing(value):
            if stem_epoch is None:
                raise _Bad
            return stem_epoch
        epoch = parse_epoch(_epoch_text(value))
        if stem_epoch is not None and epoch.label != stem_epoch.label:
            raise _Bad
        return epoch

    def method_of(value: Any) -> str:
        method = "traced" if _missing(value) else str(value).strip().lower()
        if method not in METHODS:
            raise _Bad
        return method

    def reference_of(value: Any) -> None:
        if not _missing(value):
            raise _Bad  # checked against its area by _footprint
        return None

    bad = (~ok).tolist()  # left to _footprint: a geometry or a value it refuses
    names = _by_value(column("name"), text, bad)
    epochs = _by_value(column("epoch"), epoch_of, bad)
    methods = _by_value(column("method"), method_of, bad)
    sources = _by_value(column("source"), text, bad)
    uncertainties = _by_value(
        column("uncertainty_m"),
        lambda v: _number(v, "uncertainty_m", maximum=_MAX_UNCERTAINTY_M),
        bad,
    )
    area_uncs = _by_value(
        column("area_uncertainty_pct"),
        lambda v: _number(v, "area_uncertainty_pct", maximum=_MAX_AREA_UNCERTAINTY_PCT),
        bad,
    )
    _by_value(column("reference_area_m2"), reference_of, bad)
    estimated = _by_value(column("estimated"), _boolean, bad)
    notes = _by_value(column("note"), lambda v: None if _missing(v) else text(v), bad)
    descriptions = _by_value(column("description"), text, bad)
    categories = _by_value(column("class"), lambda v: "developed" if _missing(v) else text(v), bad)
    images = _by_value(column("imagery"), _imagery_id, bad)
    method_missing = [_missing(v) for v in column("method")] if "method" in props else None
    file_name = Path(result.path).name
    path = result.path
    for i in range(n):
        if skip is not None and skip[i]:
            continue
        index = offset + i + 1
        sound = not bad[i]
        image_id, uncertainty = images[i], uncertainties[i]
        if sound and image_id is not None:
            record = catalog.get(image_id)
            if record is None or not of_epoch(record.date, epochs[i]):
                sound = False
            elif uncertainty is None:
                uncertainty = record.uncertainty_m
        if not sound:
            props_i = {prop: values[i] for prop, values in props.items()}
            footprint = _footprint(geometries[i], props_i, index, result, stem_epoch, site, catalog)
            if footprint is not None:
                result.footprints.append(footprint)
            continue
        name = names[i]
        lacking = []
        if method_missing is None or method_missing[i]:
            lacking.append("method (assumed 'traced')")
        source = sources[i]
        if not source:
            lacking.append("source (the file name is used)")
            source = file_name
        if uncertainty is None:
            lacking.append("uncertainty_m")
        if lacking:
            where = f"feature {index}" + (f" ({name})" if name else "")
            result.problems.append(
                Problem(
                    path, f"{where} lacks provenance: {', '.join(lacking)}", "warning", "provenance"
                )
            )
        result.footprints.append(
            Footprint(
                geometry=flat[i],
                date=epochs[i],
                category=categories[i],
                name=name,
                source=source,
                method=cast("Method", methods[i]),
                uncertainty_m=uncertainty,
                area_uncertainty_pct=area_uncs[i],
                estimated=estimated[i],
                reference_area_m2=None,
                note=descriptions[i] if notes[i] is None else notes[i],
                file=path,
                feature=index,
                imagery=image_id,
            )
        )


def _property_columns(record: Mapping[str, Any]) -> tuple[dict[str, str], str | None]:
    """Property name (lower-case) -> column, reading a Shapefile's cut names; or a problem.

    Examples
    --------
    >>> _property_columns({"Epoch": "2011-03", "reference_": 9.5e4})[0]
    {'epoch': 'Epoch', 'reference_area_m2': 'reference_'}
    >>> _property_columns({"uncertainty_m": 10, "uncertaint": 12})[1]
    "has two columns for 'uncertainty_m': 'uncertainty_m' and 'uncertaint' (keep one)"
    """
    columns: dict[str, str] = {}
    for column in record:
        prop = str(column).lower()
        prop = _SHAPEFILE_NAMES.get(prop, prop)
        if prop in columns:
            return {}, (
                f"has two columns for {prop!r}: {columns[prop]!r} and {column!r} (keep one)"
            )
        columns[prop] = str(column)
    return columns, None


def _footprint(
    geom: BaseGeometry | None,
    props: Mapping[str, Any],
    index: int,
    result: FileResult,
    stem_epoch: EpochDate | None,
    site: Site,
    catalog: Mapping[str, ImageryRecord],
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
    polygonal = _unwrap(polygonal, site)
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
                f"has no 'epoch' property and {_name_not_epoch(Path(path))} "
                "(add epoch=YYYY-MM, or name the file e.g. 2011-03.kml)"
            )
            return None
        epoch = stem_epoch
    else:
        try:
            epoch = parse_epoch(_epoch_text(raw_epoch))
        except ValueError as exc:
            error(f"has a bad 'epoch': {exc}")
            return None
        if stem_epoch is not None and epoch.label != stem_epoch.label:
            same = epoch.placed.year == stem_epoch.placed.year and (
                epoch.label.startswith(stem_epoch.label) or stem_epoch.label.startswith(epoch.label)
            )
            hint = " (a year, a month and a day in it are different epochs)" if same else ""
            message = (
                f"file name says {stem_epoch.label} but {where} has epoch "
                f"{epoch.label}{hint}; rename the file or fix the property"
            )
            if result.epoch is not None:
                message = (
                    f"{where} has epoch {epoch.label}, not {stem_epoch.label} as given{hint}; "
                    "fix its 'epoch' property or the date given"
                )
            result.problems.append(Problem(path, message))
            return None
    image_id = _imagery_id(props.get("imagery"))
    if image_id is not None:
        wrong = _imagery_problem(image_id, epoch, catalog)
        if wrong:
            error(wrong)
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
        uncertainty = _number(
            props.get("uncertainty_m"), "uncertainty_m", maximum=_MAX_UNCERTAINTY_M
        )
        area_unc = _number(
            props.get("area_uncertainty_pct"),
            "area_uncertainty_pct",
            maximum=_MAX_AREA_UNCERTAINTY_PCT,
        )
        reference = _number(props.get("reference_area_m2"), "reference_area_m2", positive=True)
        estimated = _boolean(props.get("estimated"))
    except ValueError as exc:
        result.problems.append(Problem(path, f"{where}: {exc}"))
        return None
    if uncertainty is None and image_id is not None:
        uncertainty = catalog[image_id].uncertainty_m
    if uncertainty is None:
        lacking.append("uncertainty_m")
    if lacking:
        result.problems.append(
            Problem(
                path, f"{where} lacks provenance: {', '.join(lacking)}", "warning", "provenance"
            )
        )
    if reference is not None:
        area = geodesic_area_m2(polygonal)
        tolerance = DEFAULT_AREA_TOLERANCE_PCT if area_unc is None else area_unc
        diff_pct = 100.0 * (area - reference) / reference
        if abs(diff_pct) > tolerance:
            result.problems.append(
                Problem(
                    path,
                    f"{where} has area {area:,.0f} m², {diff_pct:+.1f}% from its reference "
                    f"{reference:,.0f} m² (more than the {tolerance:g}% "
                    f"{'default' if area_unc is None else 'recorded'} uncertainty)",
                    code="area",
                )
            )
    note = props.get("note")
    if _missing(note):
        note = props.get("description")
    return Footprint(
        geometry=polygonal,
        date=epoch,
        category="developed" if _missing(props.get("class")) else str(props["class"]).strip(),
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
        imagery=image_id,
    )


def read_footprint_file(path: str | os.PathLike[str], site: Site | None = None) -> list[Footprint]:
    """Read one footprint file, raising on the first error.

    ``site`` defaults as in :func:`inspect_footprint_file`.

    Repaired geometries are announced with
    :class:`~kaesong_geo.errors.GeometryRepairedWarning`, pushpins and paths skipped beside
    the polygons of a KML or KMZ with one
    :class:`~kaesong_geo.errors.PlacemarksSkippedWarning` naming them.

    Raises
    ------
    DataError
        Naming the file and the problem.

    Examples
    --------
    >>> from kaesong_geo.io.datadir import bundled_data_dir
    >>> fps = read_footprint_file(bundled_data_dir() / "boundaries" / "2009-09.geojson")
    >>> [(f.date.label, f.method, f.estimated) for f in fps]
    [('2009-09', 'reconstructed', False)]
    """
    result = inspect_footprint_file(path, site)
    raise_first(result.problems)
    _warn_problems(result.problems)
    return result.footprints


def _warn_problems(problems: list[Problem]) -> None:
    """Issue the warnings a reader gives as it reads: repairs, and skipped KML placemarks."""
    for problem in problems:
        if problem.code == "repaired":
            warnings.warn(str(problem), GeometryRepairedWarning, stacklevel=3)
        elif problem.code == "skipped":
            warnings.warn(str(problem), PlacemarksSkippedWarning, stacklevel=3)


def scan_boundaries(data_dir: str | os.PathLike[str]) -> tuple[list[Path], list[Problem]]:
    """Footprint files in ``data_dir/boundaries`` (sorted by name), and problems with the rest.

    Hidden entries (a leading ``.``) are skipped. Every other entry is either a footprint
    file, a sidecar of one (``.dbf`` of a ``.shp``, ``.qmd``), or an error naming it: an
    unsupported suffix, a folder, a FIFO, socket or device (checked with ``stat``, never
    opened), a dangling symbolic link, a file that cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("2011-03.shp", "2011-03.dbf", "2011-04.kml.txt", ".notes"):
    ...     _ = (root / "boundaries").mkdir(exist_ok=True), (root / "boundaries" / name).touch()
    >>> files, problems = scan_boundaries(root)
    >>> [f.name for f in files], [p.message[:38] for p in problems]
    (['2011-03.shp'], ["has an unsupported suffix '.txt' (read"])
    """
    folder = Path(data_dir) / "boundaries"
    try:
        entries = sorted(e for e in folder.iterdir() if not e.name.startswith("."))
    except OSError as exc:
        return [], [Problem(str(folder), f"cannot be listed: {exc.strerror or exc}")]
    stems = {_stem_of(e).lower() for e in entries if suffix_of(e) in SUFFIXES}
    files: list[Path] = []
    problems: list[Problem] = []
    hide = "; move it elsewhere, or hide it with a leading '.'"
    for entry in entries:
        name = str(entry)
        try:
            mode = entry.stat().st_mode  # follows a symbolic link
        except FileNotFoundError:
            target = os.readlink(entry) if entry.is_symlink() else "?"
            problems.append(Problem(name, f"is a dangling symbolic link (to {target})"))
            continue
        except OSError as exc:
            problems.append(Problem(name, f"cannot be read: {exc.strerror or exc}"))
            continue
        if stat.S_ISDIR(mode):
            problems.append(Problem(name, f"is a folder, not a footprint file{hide}"))
            continue
        if not stat.S_ISREG(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket or device"
            problems.append(Problem(name, f"is {kind}, not a footprint file{hide}"))
            continue
        suffix = suffix_of(entry)
        if suffix not in SUFFIXES:
            lower = entry.name.lower()
            sidecar = next((s for s in _SIDECARS if lower.endswith(s)), None)
            if sidecar and lower[: -len(sidecar)] in stems:
                continue
            problems.append(
                Problem(
                    name,
                    f"has an unsupported suffix {suffix or '(none)'!r} (read: "
                    f"{', '.join(SUFFIXES)}){hide}",
                )
            )
            continue
        if not os.access(entry, os.R_OK):
            problems.append(Problem(name, "cannot be read: permission denied"))
            continue
        files.append(entry)
    return files, problems


def footprint_files(data_dir: str | os.PathLike[str]) -> list[Path]:
    """Footprint files in ``data_dir/boundaries``, sorted by name (see :func:`scan_boundaries`)."""
    return scan_boundaries(data_dir)[0]


def inspect_footprints(
    data_dir: str | os.PathLike[str],
    site: Site | None = None,
    imagery: Mapping[str, ImageryRecord] | None = None,
) -> tuple[list[Epoch], list[FileResult], list[Problem]]:
    """Read every footprint file of a data directory, collecting problems.

    ``site`` defaults to the data directory's ``site.toml``
    (:func:`~kaesong_geo.io.sitefile.read_site`, which raises if it is broken), ``imagery``
    (the images footprints may name, by id) to its ``imagery/catalog.csv``.

    Returns
    -------
    epochs : list of Epoch
        Sorted by date.
    files : list of FileResult
    problems : list of Problem
        Entries of ``boundaries/`` that are not footprint files, every problem of every
        file, then cross-file problems (duplicate epochs), each once.
    """
    if site is None:
        site = read_site(data_dir)
    if imagery is None:
        imagery = catalog_ids(data_dir)
    paths, problems = scan_boundaries(data_dir)
    files = [inspect_footprint_file(p, site, imagery) for p in paths]
    problems += [problem for f in files for problem in f.problems]
    if not files:
        problems.append(
            Problem(
                str(Path(data_dir) / "boundaries"),
                "holds no footprint files yet: add one per imagery epoch, e.g. "
                "boundaries/2020-06.geojson (README: 'Use your own footprints')",
            )
        )
    by_label: dict[str, list[Footprint]] = {}
    owner: dict[str, str] = {}
    for f in files:
        for fp in f.footprints:
            label = fp.date.label
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
    for label, fps in sorted(by_label.items(), key=lambda kv: kv[1][0].date):
        day = fps[0].date.placed
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
        epochs.append(Epoch(fps[0].date, tuple(fps)))
    # A second file repeating an epoch in several features says so once, not per feature.
    return epochs, files, list(dict.fromkeys(problems))


def load_footprints(data_dir: str | os.PathLike[str], site: Site | None = None) -> list[Epoch]:
    """Read every epoch of a data directory; raise on the first error.

    ``site`` defaults to the data directory's ``site.toml``.

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
    _warn_problems(problems)
    return epochs
