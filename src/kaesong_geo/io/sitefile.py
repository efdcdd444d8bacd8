"""Read a data directory's ``site.toml``: the site its footprints describe.

A data directory names its site in ``site.toml``::

    name = "Kaesong Industrial Complex"     # required; every title uses it
    short_name = "Kaesong"                  # optional, for tight labels
    radius_km = 20                          # footprints and imagery must lie within it
    outline = "site/outline.geojson"        # optional: the zone's planned boundary
    outline_margin_km = 1.0                 # optional, default 1 km

    [point]                                 # required: reference point, WGS 84 degrees
    lon = 126.6333
    lat = 37.9333
    source = "Wikipedia ..."                # where the point comes from

    [[documented_area]]                     # optional, any number: figures to compare with
    label = "pilot complex"
    area_m2 = 92562
    source = "..."

The local UTM zone is derived from the point (southern hemisphere included). A footprint
vertex is accepted when it lies within ``radius_km`` of the point, or, if an outline is
given, within ``outline_margin_km`` of that outline (measured in the local UTM zone). The
outline is a polygon file inside the data directory but not in ``boundaries/`` (which holds
footprints only); any format geopandas reads, with a CRS.

A data directory without ``site.toml`` is read as the Kaesong Industrial Complex
(:data:`~kaesong_geo.site.KAESONG`, with ``assumed=True``; the report says so). A broken
``site.toml`` is one :class:`~kaesong_geo.io.problems.Problem` naming the file.

Examples
--------
>>> from kaesong_geo.io.datadir import bundled_data_dir
>>> site, problems = inspect_site(bundled_data_dir())
>>> site.name, site.utm_zone, site.radius_km, problems
('Kaesong Industrial Complex', '52N', 20.0, [])
>>> [round(a.area_m2) for a in site.documented_areas]
[92562, 3300000]
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from kaesong_geo.io.problems import Problem, raise_first
from kaesong_geo.site import (
    DEFAULT_OUTLINE_MARGIN_KM,
    DEFAULT_RADIUS_KM,
    KAESONG,
    MAX_RADIUS_KM,
    UTM_NORTH,
    UTM_SOUTH,
    DocumentedArea,
    Site,
    utm_epsg_for,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = ["SITE_FILE", "inspect_site", "read_site", "site_toml"]

#: The site description of a data directory.
SITE_FILE = "site.toml"

_TOP_KEYS = {
    "name",
    "short_name",
    "radius_km",
    "outline",
    "outline_margin_km",
    "point",
    "documented_area",
}


def _known(table: dict[str, object], keys: tuple[str, ...], where: str) -> None:
    """Refuse a key the table does not have (a typo would otherwise be silently ignored)."""
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise _Bad(f"{where}unknown key {unknown[0]!r} (known: {', '.join(keys)})")


class _Bad(ValueError):
    """One problem with site.toml, as its message."""


def _number(table: dict[str, Any], key: str, where: str, *, required: bool = True) -> float | None:
    value = table.get(key)
    if value is None:
        if required:
            raise _Bad(f"{where}has no {key!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad(f"{where}{key} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise _Bad(f"{where}{key} is not finite ({value!r})")
    return float(value)


def _text(table: dict[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise _Bad(f"{where}{key} must be a string, got {value!r}")
    if required and not value.strip():
        raise _Bad(f"{where}has no {key!r}" if key not in table else f"{where}{key} is empty")
    return value.strip()


def _read_outline(root: Path, name: str) -> Any:
    """The outline file ``name`` (relative to ``root``) as one lon/lat geometry."""
    import geopandas as gpd
    import shapely

    path = root / name
    try:
        inside = path.resolve().is_relative_to(root.resolve())
    except OSError:
        inside = False
    if not inside:
        raise _Bad(f"outline {name!r} is not inside the data directory")
    if Path(name).parts[:1] == ("boundaries",):
        raise _Bad(f"outline {name!r} is in boundaries/, which holds footprints only")
    if not path.is_file():
        raise _Bad(f"outline file {name!r} does not exist (or is not a regular file)")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # GDAL says many things; keep the first line
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _Bad(f"outline {name!r} cannot be read: {text}") from None
    if frame.crs is None:
        raise _Bad(f"outline {name!r} has no CRS")
    geoms = [g for g in frame.to_crs(4326).geometry if g is not None and not g.is_empty]
    if not geoms or any(g.geom_type not in ("Polygon", "MultiPolygon") for g in geoms):
        raise _Bad(f"outline {name!r} is not a polygon file (it needs polygons only)")
    outline = shapely.union_all(shapely.make_valid(geoms))
    if not math.isfinite(sum(outline.bounds)):
        raise _Bad(f"outline {name!r} has a non-finite coordinate")
    return outline


def _parse(root: Path, raw: dict[str, Any], path: Path) -> Site:
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise _Bad(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_TOP_KEYS))})")
    name = _text(raw, "name", "", required=True)
    point = raw.get("point")
    if point is None:
        raise _Bad("has no [point] table (the reference point: lon, lat, source)")
    if not isinstance(point, dict):
        raise _Bad("point must be a table ([point] with lon, lat, source)")
    _known(point, ("lon", "lat", "source"), "[point] ")
    lon = _number(point, "lon", "[point] ")
    lat = _number(point, "lat", "[point] ")
    assert lon is not None and lat is not None
    if abs(lon) > 180:
        raise _Bad(f"[point] lon {lon:g} is out of range (-180..180)")
    if abs(lat) > 90:
        raise _Bad(f"[point] lat {lat:g} is out of range (-90..90)")
    if not UTM_SOUTH <= lat <= UTM_NORTH:
        raise _Bad(
            f"[point] lat {lat:g} is beyond the UTM grid of the area cross-check "
            f"({-UTM_SOUTH:g}°S to {UTM_NORTH:g}°N)"
        )
    radius = _number(raw, "radius_km", "", required=False)
    radius = DEFAULT_RADIUS_KM if radius is None else radius
    if radius <= 0:
        raise _Bad(f"radius_km must be positive, got {radius:g}")
    if radius > MAX_RADIUS_KM:
        raise _Bad(f"radius_km {radius:g} is more than {MAX_RADIUS_KM:g} (a zone, not a country)")
    margin = _number(raw, "outline_margin_km", "", required=False)
    margin = DEFAULT_OUTLINE_MARGIN_KM if margin is None else margin
    if margin < 0:
        raise _Bad(f"outline_margin_km must not be negative, got {margin:g}")
    outline_name = _text(raw, "outline", "")
    outline = _read_outline(root, outline_name) if outline_name else None
    areas_raw = raw.get("documented_area", [])
    if not isinstance(areas_raw, list):
        raise _Bad("documented_area must be an array of tables ([[documented_area]])")
    areas = []
    for k, entry in enumerate(areas_raw, 1):
        where = f"documented_area {k}: "
        if not isinstance(entry, dict):
            raise _Bad(f"{where}must be a table with label, area_m2, source")
        _known(entry, ("label", "area_m2", "source"), where)
        area = _number(entry, "area_m2", where)
        assert area is not None
        if area <= 0:
            raise _Bad(f"{where}area_m2 must be positive, got {area:g}")
        areas.append(
            DocumentedArea(
                _text(entry, "label", where, required=True),
                area,
                _text(entry, "source", where, required=True),
            )
        )
    return Site(
        name=name,
        lon=lon,
        lat=lat,
        utm_epsg=utm_epsg_for(lon, lat),
        max_distance_km=radius,
        reference_source=_text(point, "source", "[point] "),
        short_name=_text(raw, "short_name", ""),
        outline=outline,
        outline_margin_km=margin,
        outline_file=str(root / outline_name) if outline_name else "",
        documented_areas=tuple(areas),
        source_file=str(path),
    )


def inspect_site(data_dir: str | os.PathLike[str]) -> tuple[Site | None, list[Problem]]:
    """The site of a data directory, or ``None`` and the one problem of its ``site.toml``.

    Without ``site.toml`` it is :data:`~kaesong_geo.site.KAESONG` with ``assumed=True``.

    Examples
    --------
    >>> import tempfile
    >>> text = 'name = "X"', "radius_km = 0", "[point]", "lon = 1", "lat = 2"
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "site.toml").write_text(chr(10).join(text))
    ...     site, problems = inspect_site(d)
    >>> site, problems[0].message
    (None, 'radius_km must be positive, got 0')
    """
    root = Path(data_dir)
    path = root / SITE_FILE
    if not path.exists() and not path.is_symlink():
        return Site(**{**_fields(KAESONG), "assumed": True}), []
    try:
        if not path.is_file():
            raise _Bad("is not a regular file (dangling link, folder or FIFO)")
        try:
            # Windows Notepad may start the file with a byte-order mark, which TOML forbids.
            text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _Bad(f"is not valid TOML: {exc}") from None
        except UnicodeDecodeError:
            raise _Bad("is not valid TOML: not UTF-8 text") from None
        except OSError as exc:
            raise _Bad(f"cannot be read: {exc.strerror or exc}") from None
        return _parse(root, raw, path), []
    except _Bad as exc:
        return None, [Problem(str(path), str(exc), code="site")]


def _fields(site: Site) -> dict[str, Any]:
    from dataclasses import fields

    return {f.name: getattr(site, f.name) for f in fields(site)}


def read_site(data_dir: str | os.PathLike[str]) -> Site:
    """The site of a data directory; raise :class:`~kaesong_geo.errors.DataError` if broken.

    Examples
    --------
    >>> from kaesong_geo.io.datadir import bundled_data_dir
    >>> read_site(bundled_data_dir()).utm_epsg
    32652
    """
    site, problems = inspect_site(data_dir)
    raise_first(problems)
    assert site is not None
    return site


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def site_toml(site: Site) -> str:
    """The ``site.toml`` text describing ``site`` (no outline; documented areas kept).

    Examples
    --------
    >>> print(site_toml(Site.at("Durban test zone", 31.03, -29.86, radius_km=15)))
    ... # doctest: +NORMALIZE_WHITESPACE
    # The site this data directory describes (see 'Sites' in the kaesong-geo README).
    name = "Durban test zone"
    short_name = "Durban test zone"
    radius_km = 15.0
    # outline = "site/outline.geojson"  # optional: the zone's planned boundary (polygons)
    <BLANKLINE>
    [point]  # reference point, WGS 84 degrees; the UTM zone (36S) is derived from it
    lon = 31.03
    lat = -29.86
    source = ""
    """
    lines = [
        "# The site this data directory describes (see 'Sites' in the kaesong-geo README).",
        f"name = {_q(site.name)}",
        f"short_name = {_q(site.short_name)}",
        f"radius_km = {site.max_distance_km!r}",
        '# outline = "site/outline.geojson"  # optional: the zone\'s planned boundary (polygons)',
        "",
        f"[point]  # reference point, WGS 84 degrees; the UTM zone ({site.utm_zone}) is "
        "derived from it",
        f"lon = {site.lon!r}",
        f"lat = {site.lat!r}",
        f"source = {_q(site.reference_source)}",
    ]
    for area in site.documented_areas:
        lines += [
            "",
            "[[documented_area]]",
            f"label = {_q(area.label)}",
            f"area_m2 = {area.area_m2!r}",
            f"source = {_q(area.source)}",
        ]
    return "\n".join(lines) + "\n"
