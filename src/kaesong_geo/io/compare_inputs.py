"""The inputs of ``kaesong-geo compare``: footprint files or ``DATA_DIR:EPOCH``, read and compared.

A and B are each a footprint file (any format the readers take: GeoJSON, GeoPackage, KML,
KMZ, Shapefile, GeoParquet, FlatGeobuf) or ``DATA_DIR:EPOCH``. ``X:Y`` is read as a data
directory and an epoch only when no file ``X:Y`` exists, ``X`` is a directory and ``Y`` is an
epoch date; a file of several epochs is refused (name one as ``DATA_DIR:EPOCH``). The UTM
zone of the Hausdorff distance is the site's (of a data directory on either side, else a site
placed at file A's footprints).

Examples
--------
>>> from kaesong_geo.io.datadir import bundled_data_dir
>>> a = resolve_input(f"{bundled_data_dir()}:2006-01")
>>> b = resolve_input(f"{bundled_data_dir()}:2009-09")
>>> round(compare_inputs(a, b).iou, 4)
0.5287
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaesong_geo.errors import DataError, UsageError

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from kaesong_geo.footprint_compare import FootprintComparison
    from kaesong_geo.site import Site

__all__ = ["FootprintInput", "compare_inputs", "home_of", "resolve_input"]

#: The epoch given to features of a loose file that name none (only to read them; not shown).
_NO_EPOCH = "1970"


@dataclass(frozen=True)
class FootprintInput:
    """One side of the comparison, resolved but not read."""

    text: str
    file: Path | None = None
    data_dir: Path | None = None
    epoch: str | None = None


def home_of_file(path: Path | None) -> Path | None:
    """The data directory whose ``boundaries/`` holds ``path``, if it has a ``site.toml``."""
    if path is None or path.parent.name != "boundaries":
        return None
    home = path.parent.parent
    return home if (home / "site.toml").is_file() else None


def resolve_input(text: str) -> FootprintInput:
    """A file if it exists; else ``DATA_DIR:EPOCH``; else a usage error."""
    from kaesong_geo.dates import parse_epoch
    from kaesong_geo.io.datadir import resolve_data_dir

    path = Path(os.path.expanduser(text))
    if path.is_file():
        return FootprintInput(text, file=path)
    if path.is_dir():
        raise UsageError(
            "is a directory; to compare one of its epochs write DATA_DIR:EPOCH", path=text
        )
    head, sep, tail = text.rpartition(":")
    if sep and head and Path(os.path.expanduser(head)).is_dir():
        try:
            label = parse_epoch(tail).label
        except ValueError:
            raise UsageError(
                f"{tail!r} is not an epoch (YYYY, YYYY-MM or YYYY-MM-DD) and no file {text!r} "
                "exists",
                path=text,
            ) from None
        return FootprintInput(text, data_dir=resolve_data_dir(head), epoch=label)
    if path.exists():
        raise UsageError("is not a regular file", path=text)
    raise UsageError("does not exist (give a footprint file or DATA_DIR:EPOCH)", path=text)


def _site_at(path: Path) -> Site | None:
    """A site at the centre of a loose file's geometries (None if it cannot be told)."""
    import numpy as np
    import shapely

    from kaesong_geo.io.footprints import _read_layers
    from kaesong_geo.site import MAX_RADIUS_KM, Site

    layers, error = _read_layers(path)
    if error:
        raise DataError(error, path=path)
    bounds: list[Any] = []
    for layer in layers:
        geoms = np.asarray([g for g in layer.geometries if g is not None and not g.is_empty])
        if not len(geoms):
            continue
        if layer.crs is not None:
            import geopandas as gpd

            geoms = np.asarray(gpd.GeoSeries(geoms, crs=layer.crs).to_crs(4326).array)
        bounds.append(shapely.total_bounds(geoms))
    if not bounds:
        return None
    box = np.asarray(bounds)
    lon = (box[:, 0].min() + box[:, 2].max()) / 2
    lat = (box[:, 1].min() + box[:, 3].max()) / 2
    try:
        return Site.at(f"the footprints of {path.name}", lon, lat, radius_km=MAX_RADIUS_KM)
    except ValueError:  # not lon/lat: the reader names the problem
        return None


def read_input(side: FootprintInput, site: Site | None) -> BaseGeometry:
    """The dissolved footprint of one side, in WGS 84."""
    from kaesong_geo.io.footprints import (
        _missing,
        _stem_of,
        _warn_problems,
        inspect_footprint_file,
        load_footprints,
    )
    from kaesong_geo.io.problems import raise_first
    from kaesong_geo.measure import dissolve

    if side.data_dir is not None:
        epochs = load_footprints(side.data_dir)
        found = [e for e in epochs if e.label == side.epoch]
        if not found:
            known = ", ".join(e.label for e in epochs) or "none"
            raise UsageError(f"no epoch {side.epoch} (epochs: {known})", path=side.data_dir)
        return found[0].geometry
    assert side.file is not None
    from kaesong_geo.dates import parse_epoch

    try:
        stem: str | None = parse_epoch(_stem_of(side.file)).label
    except ValueError:
        stem = None
    filled: list[bool] = []

    def epoch_or_none(value: Any) -> Any:
        if _missing(value) and stem is None:
            filled.append(True)
            return _NO_EPOCH
        return value

    if home_of_file(side.file) is not None:
        site = None  # the file's own data directory decides
    result = inspect_footprint_file(side.file, site, properties={"epoch": epoch_or_none})
    raise_first(result.problems)
    _warn_problems(result.problems)
    labels = sorted({f.date.label for f in result.footprints} - ({_NO_EPOCH} if filled else set()))
    if len(labels) + bool(filled) > 1:
        shown = labels + (["(none)"] if filled else [])
        raise UsageError(
            f"holds footprints of {len(shown)} epochs ({', '.join(shown)}); compare one: "
            "DATA_DIR:EPOCH, or a file of one epoch",
            path=side.file,
        )
    return dissolve(f.geometry for f in result.footprints)


def home_of(side: FootprintInput) -> Path | None:
    """The data directory a side belongs to (its own, or the one whose boundaries/ holds it)."""
    return side.data_dir or home_of_file(side.file)


def compare_inputs(a: FootprintInput, b: FootprintInput) -> FootprintComparison:
    """Read both sides and compare them in the site's UTM zone.

    Raises
    ------
    DataError
        A file is unreadable or unsound (exit 1).
    UsageError
        An unknown epoch, a file of several epochs (exit 2).
    """
    from kaesong_geo.footprint_compare import compare_footprints
    from kaesong_geo.io.sitefile import read_site
    from kaesong_geo.site import utm_epsg_for

    homes = [h for h in (home_of(a), home_of(b)) if h is not None]
    site = read_site(homes[0]) if homes else None
    if site is None and a.file is not None:
        site = _site_at(a.file)
    geom_a, geom_b = read_input(a, site), read_input(b, site)
    if site is not None:
        utm_epsg = site.utm_epsg
    else:  # pragma: no cover - a file is read only with a site
        c = (geom_a if not geom_a.is_empty else geom_b).centroid
        utm_epsg = utm_epsg_for(c.x, c.y)
    return compare_footprints(geom_a, geom_b, utm_epsg)
