"""Make an epoch's footprint file from a footprint file as a user brings it.

Google Earth Pro saves KML or KMZ (folders, styles, pushpins and paths beside the polygons),
QGIS a GeoPackage (one or several layers), a Shapefile (often zipped), GeoParquet or
FlatGeobuf. :func:`import_footprints` reads any of them through the readers and checks of
:mod:`kaesong_geo.io.footprints` (reprojected to WGS 84, located with the site's checks,
repaired with a warning), gives every feature the epoch and the provenance the caller says,
and returns the one RFC 7946 GeoJSON file to store as ``boundaries/<epoch>.geojson``, with
the footprints read back from those very bytes. Nothing is written here: the caller (``kaesong-geo
epochs add``) writes the bytes atomically.

Properties written (as :mod:`kaesong_geo.io.footprints` reads them): ``epoch``, ``class``,
``name``, ``source``, ``method``, ``uncertainty_m``, ``area_uncertainty_pct``, ``estimated``,
``reference_area_m2``, ``note`` (a KML ``description`` becomes ``note``) and ``imagery``;
those absent are left out, every other property is dropped.

Examples
--------
>>> import tempfile
>>> from kaesong_geo.site import KAESONG
>>> kml = Path(tempfile.mkdtemp()) / "traced.kml"
>>> _ = kml.write_text(
...     '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Zone</name>'
...     "<Polygon><outerBoundaryIs><LinearRing><coordinates>126.63,37.925,0 126.64,37.925,0 "
...     "126.64,37.935,0 126.63,37.925,0</coordinates></LinearRing></outerBoundaryIs></Polygon>"
...     "</Placemark></Document></kml>",
...     encoding="utf-8",
... )
>>> out = import_footprints(kml, "2013-06", KAESONG, uncertainty_m=5)
>>> fp = out.footprints[0]
>>> fp.date.label, fp.name, fp.source, fp.method, fp.uncertainty_m
('2013-06', 'Zone', 'traced in traced.kml', 'traced', 5.0)
>>> round(out.footprints[0].geometry.area * 1e6)  # square degrees x 1e6
50
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from kaesong_geo.dates import parse_epoch
from kaesong_geo.errors import DataError, UsageError
from kaesong_geo.io.footprints import (
    _MAX_UNCERTAINTY_M,
    SUFFIXES,
    _missing,
    _number,
    _warn_problems,
    _zip_members,
    inspect_footprint_file,
    suffix_of,
)
from kaesong_geo.io.imagery import ImageryRecord
from kaesong_geo.io.problems import Problem
from kaesong_geo.model import METHODS, Footprint
from kaesong_geo.site import Site

__all__ = ["DECIMALS", "ImportedFootprints", "import_footprints", "layer_names"]

#: Decimals of the coordinates written (1e-7° is about 1 cm).
DECIMALS = 7


@dataclass(frozen=True)
class ImportedFootprints:
    """What :func:`import_footprints` made of a file.

    Attributes
    ----------
    geojson : bytes
        The file to write as ``boundaries/<epoch>.geojson``: one RFC 7946 FeatureCollection,
        coordinates to :data:`DECIMALS` decimals, exterior rings counter-clockwise.
    footprints : list of Footprint
        Read back from ``geojson`` with the readers' checks (areas as every command will
        compute them); ``file`` is the input file, ``feature`` the number in ``geojson``.
    skipped : list of str
        Placemarks skipped, named (``pushpin 'Gate' (Point)``); empty but for KML and KMZ.
    layer : str or None
        The layer read; None when several were (the folders of a KML).
    """

    geojson: bytes
    footprints: list[Footprint]
    skipped: list[str]
    layer: str | None


def layer_names(path: str | os.PathLike[str]) -> list[str] | None:
    """The layers with geometries of a vector file (the ``.shp`` of a zip), in file order.

    Tables without geometry (the ``layer_styles`` QGIS saves in a GeoPackage) are not
    layers of footprints. ``[]`` for GeoParquet (no layers); None when the file cannot be
    listed (the reader then names the problem).

    Examples
    --------
    >>> import tempfile
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> gpkg = Path(tempfile.mkdtemp()) / "traced.gpkg"
    >>> frame = gpd.GeoDataFrame(geometry=[box(126.63, 37.92, 126.64, 37.93)], crs=4326)
    >>> for name in ("zones", "roads"):
    ...     frame.to_file(gpkg, layer=name)
    >>> layer_names(gpkg), layer_names(gpkg.with_suffix(".fgb"))
    (['zones', 'roads'], None)
    """
    import pyogrio

    p = Path(path)
    if suffix_of(p) == ".parquet":
        return []
    try:
        sources = _zip_members(p) if suffix_of(p) in (".zip", ".shp.zip") else [str(p)]
        return [
            str(name)
            for source in sources
            for name, geometry_type in pyogrio.list_layers(source)
            if geometry_type is not None
        ]
    except Exception:  # unreadable: the reader says why
        return None


def _choose_layer(path: Path, layer: str | None) -> str | None:
    """The layer to read: ``layer`` if the file has it; the only one of a GeoPackage.

    A layer to choose, or a layer that is not there, is a matter of the command line (exit 2).
    """
    names = layer_names(path)
    if names is None:
        return layer
    listed = ", ".join(names)
    if layer is not None:
        if not names:
            raise UsageError(f"has no layers to choose from (asked for {layer!r})", path=path)
        if layer not in names:
            raise UsageError(
                f"has no layer {layer!r} (its layer{'s' if len(names) > 1 else ''}: {listed})",
                path=path,
            )
        return layer
    if suffix_of(path) == ".gpkg" and len(names) > 1:
        raise UsageError(f"has {len(names)} layers: {listed}; choose one with --layer", path=path)
    return names[0] if len(names) == 1 else None


def _raise_errors(problems: list[Problem], path: Path) -> None:
    """Raise the first error, naming ``path`` and how many more there are."""
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        more = len(errors) - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''} in it)" if more else ""
        raise DataError(errors[0].message + tail, path=path)


def _properties(fp: Footprint, label: str) -> dict[str, Any]:
    """The properties written for a footprint, as the readers read them; absent ones left out."""
    props: dict[str, Any] = {
        "epoch": label,
        "class": fp.category,
        "name": fp.name or None,
        "source": fp.source,
        "method": fp.method,
        "uncertainty_m": fp.uncertainty_m,
        "area_uncertainty_pct": fp.area_uncertainty_pct,
        "estimated": fp.estimated,
        "reference_area_m2": fp.reference_area_m2,
        "note": fp.note or None,
        "imagery": fp.imagery,
    }
    return {key: value for key, value in props.items() if value is not None}


def _geometry(geom: BaseGeometry) -> dict[str, Any]:
    """RFC 7946 geometry: exterior rings counter-clockwise, :data:`DECIMALS` decimals.

    Examples
    --------
    >>> from shapely.geometry import Polygon
    >>> _geometry(Polygon([(0, 0), (0, 1), (1.123456789, 0)]))["coordinates"]
    [[[0.0, 0.0], [1.1234568, 0.0], [0.0, 1.0], [0.0, 0.0]]]
    """
    oriented = shapely.orient_polygons(geom, exterior_cw=False)
    rounded = shapely.transform(oriented, lambda xy: np.round(xy, DECIMALS))
    as_lists: dict[str, Any] = json.loads(json.dumps(mapping(rounded)))  # tuples as lists
    return as_lists


def _feature_collection(footprints: list[Footprint], label: str) -> bytes:
    features = [
        json.dumps(
            {
                "type": "Feature",
                "properties": _properties(fp, label),
                "geometry": _geometry(fp.geometry),
            },
            ensure_ascii=False,
            allow_nan=False,
        )
        for fp in footprints
    ]
    return (
        '{"type": "FeatureCollection", "features": [\n' + ",\n".join(features) + "\n]}\n"
    ).encode()


def import_footprints(
    path: str | os.PathLike[str],
    epoch: str,
    site: Site,
    *,
    layer: str | None = None,
    source: str | None = None,
    method: str | None = None,
    uncertainty_m: float | None = None,
    imagery: str | None = None,
    catalog: Mapping[str, ImageryRecord] | None = None,
) -> ImportedFootprints:
    """Read a footprint file of any supported format as epoch ``epoch`` and make its GeoJSON.

    Parameters
    ----------
    path : path
        GeoJSON, GeoPackage, KML, KMZ, Shapefile (zipped too), GeoParquet or FlatGeobuf.
    epoch : str
        The epoch, ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``. A feature without an ``epoch``
        property takes it; one whose ``epoch`` differs is refused. The file's name is not read.
    site : Site
        Where the footprints must lie.
    layer : str, optional
        The layer to read; needed for a GeoPackage of several layers. Default: the only
        layer, or every layer (every folder of a KML).
    source, method, uncertainty_m : optional
        Provenance for every feature, overriding the features' own. Without them: the
        feature's, else ``traced in <file name>`` and ``traced``; no uncertainty.
    imagery : str, optional
        The catalogue id of the image the footprints were traced on, written to every feature
        and checked (it must be of the epoch); a footprint without an uncertainty takes the
        image's.
    catalog : mapping of str to ImageryRecord, optional
        The catalogue the ids are checked against: what ``imagery/catalog.csv`` will hold
        (default: none). The catalogue beside ``path`` is never read.

    Returns
    -------
    ImportedFootprints

    Raises
    ------
    DataError
        One line naming ``path`` (and the feature): a bad epoch, an unknown or unchosen
        layer, a file that cannot be read, a feature that fails a check.

    Warns
    -----
    GeometryRepairedWarning
        A geometry was repaired with ``make_valid``.
    PlacemarksSkippedWarning
        Pushpins or paths beside the polygons of a KML or KMZ were skipped (once per file).
    """
    p = Path(path)
    try:
        given = parse_epoch(epoch)
    except ValueError as exc:
        raise DataError(f"cannot be added as epoch {epoch!r}: {exc}", path=p) from None
    if not p.is_file():
        raise DataError("does not exist" if not p.exists() else "is not a file", path=p)
    if suffix_of(p) not in SUFFIXES:
        raise DataError(
            f"has an unsupported suffix {suffix_of(p) or '(none)'!r} (read: {', '.join(SUFFIXES)})",
            path=p,
        )
    if method is not None and method not in METHODS:
        raise DataError(f"method {method!r} is not one of {', '.join(METHODS)}", path=p)
    try:
        _number(uncertainty_m, "uncertainty_m", maximum=_MAX_UNCERTAINTY_M)
    except ValueError as exc:
        raise DataError(str(exc), path=p) from None
    chosen = _choose_layer(p, layer)
    images: Mapping[str, ImageryRecord] = {} if catalog is None else catalog

    def default_source(value: Any) -> Any:
        return f"traced in {p.name}" if _missing(value) else value

    overrides: dict[str, Callable[[Any], Any]] = {
        "source": default_source if source is None else (lambda _: source)
    }
    if method is not None:
        overrides["method"] = lambda _: method
    if uncertainty_m is not None:
        overrides["uncertainty_m"] = lambda _: uncertainty_m
    if imagery is not None:
        overrides["imagery"] = lambda _: imagery
    read = inspect_footprint_file(p, site, images, layer=chosen, epoch=given, properties=overrides)
    _raise_errors(read.problems, p)
    _warn_problems(read.problems)
    geojson = _feature_collection(read.footprints, given.label)
    with tempfile.TemporaryDirectory(prefix="kaesong-geo-import-") as tmp:
        written = Path(tmp) / f"{given.label}.geojson"
        written.write_bytes(geojson)
        back = inspect_footprint_file(written, site, images)
    moved = [replace(problem, path=str(p)) for problem in back.problems]
    _raise_errors(moved, p)
    _warn_problems(moved)  # a repair only if rounding made a polygon invalid
    return ImportedFootprints(
        geojson=geojson,
        footprints=[replace(fp, file=str(p)) for fp in back.footprints],
        skipped=list(read.skipped),
        layer=chosen,
    )
