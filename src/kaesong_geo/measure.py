"""Geodesic measurement of footprints on the WGS 84 ellipsoid, with a UTM cross-check.

Everything here is pure: geometries in, numbers out; no files. Geometries are shapely
polygons or multipolygons in WGS 84 longitude/latitude degrees (x = lon, y = lat).

Area and perimeter are computed on the ellipsoid with :class:`pyproj.Geod` (Karney's
algorithms, accurate to a few nanometres per edge). Each exterior ring counts positively and
each hole negatively whatever the ring orientation, so the result does not depend on vertex
order. The same measurement in the local UTM zone (a conformal projection, scale error below
0.04 % within 3° of its central meridian) is reported as an independent cross-check. Area is
never computed in degrees or in Web Mercator.

Examples
--------
>>> from shapely.geometry import box
>>> m = measure_geometry(box(126.63, 37.93, 126.64, 37.94), 32652)  # Kaesong, UTM 52N
>>> round(m.area_m2), round(m.area_utm_m2), abs(m.utm_diff_pct) < 0.1
(975758, 976016, True)
>>> measure_geometry(box(0, 0, 0, 0).buffer(0), 32652).area_m2   # empty geometry
0.0
"""

from __future__ import annotations

import functools
import itertools
import math
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast, overload

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod, Transformer
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = [
    "GEOD",
    "UTM_TOLERANCE_PCT",
    "Measure",
    "dissolve",
    "from_utm",
    "geodesic_area_m2",
    "geodesic_area_perimeter",
    "geodesic_areas_m2",
    "lon_near",
    "measure_geometry",
    "polygons_of",
    "to_utm",
    "utm_area_perimeter",
    "utm_areal_scale",
]

#: The WGS 84 ellipsoid.
GEOD = Geod(ellps="WGS84")
#: The UTM area must agree with the geodesic area times the projection's own areal scale at
#: the footprint (up to about 1.0015 at a zone's edge) within this many percent.
UTM_TOLERANCE_PCT = 0.1
#: From this many polygons on, coordinates are read as one array rather than ring by ring,
#: and what is found of the geometry is kept while it lives (see ``_KNOWN``).
_ARRAY_FROM = 16


@lru_cache(maxsize=16)
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)


#: What was found of a large geometry while it lives, by kind ("parts", "dissolved",
#: "measured"): shapely geometries are immutable, and an epoch's footprint is split, checked
#: and measured by the report, its classes and each interval.
_KNOWN: dict[tuple[str, int], tuple[weakref.ref[BaseGeometry], Any]] = {}


def _recall(kind: str, geom: BaseGeometry) -> Any:
    """What :func:`_remember` kept of ``kind`` for this very geometry, or None."""
    known = _KNOWN.get((kind, id(geom)))
    return known[1] if known is not None and known[0]() is geom else None


def _remember(kind: str, geom: BaseGeometry, value: Any) -> None:
    key = (kind, id(geom))
    _KNOWN[key] = (weakref.ref(geom, lambda _: _KNOWN.pop(key, None)), value)


def lon_near(lon: Any, ref: float) -> Any:
    """Longitude(s) ``lon`` shifted by a multiple of 360° to lie within 180° of ``ref``.

    Works on a number or a numpy array; far from ±180° nothing moves.

    Examples
    --------
    >>> float(lon_near(-179.9, 179.95)), float(lon_near(126.6, 126.6))
    (180.1, 126.6)
    >>> lon_near(np.array([179.99, -179.99]), 179.999).round(2).tolist()
    [179.99, 180.01]
    """
    return lon - 360.0 * np.round((lon - ref) / 360.0)


def polygons_of(geom: BaseGeometry | None) -> list[Polygon]:
    """The non-empty polygons of a geometry (a polygon, a multipolygon or a collection).

    Lines and points inside a collection are dropped; a non-polygonal geometry gives ``[]``.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> len(polygons_of(Point(0, 0).buffer(1))), polygons_of(Point(0, 0)), polygons_of(None)
    (1, [], [])
    """
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        known = _recall("parts", geom)
        if known is not None:
            return list(known)
        members = shapely.get_parts(geom)
        polys: list[Polygon] = list(members[~shapely.is_empty(members)])
        if len(polys) >= _ARRAY_FROM:
            _remember("parts", geom, polys)
        return polys
    parts = getattr(geom, "geoms", None)
    if parts is None:
        return []
    return [p for part in parts for p in polygons_of(part)]


def dissolve(geoms: Iterable[BaseGeometry]) -> MultiPolygon:
    """Union polygonal geometries into one multipolygon (overlaps counted once).

    Only the polygons that touch or overlap another are unioned, group by group (found with
    an STRtree); a valid polygon that meets no other is kept as it is. The result covers the
    same area as ``shapely.union_all`` of everything, far faster for many small footprints.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> dissolve([box(0, 0, 2, 1), box(1, 0, 3, 1)]).area
    3.0
    >>> len(dissolve([box(0, 0, 1, 1), box(5, 0, 6, 1), box(0.5, 0, 2, 1)]).geoms)
    2
    >>> dissolve([]).is_empty
    True
    """
    inputs = list(geoms)
    if len(inputs) == 1 and _recall("dissolved", inputs[0]) is not None:
        return cast("MultiPolygon", inputs[0])  # a result of dissolve: dissolved already
    polys = np.array([p for g in inputs for p in polygons_of(g)], dtype=object)
    if polys.size == 0:
        return MultiPolygon()
    if polys.size == 1 and polys[0].is_valid:
        return MultiPolygon(list(polys))
    left, right = shapely.STRtree(polys).query(polys, predicate="intersects")
    apart = left != right
    left, right = left[apart], right[apart]
    alone = np.ones(polys.size, dtype=bool)
    alone[left] = False
    alone &= shapely.is_valid(polys)
    rest = np.flatnonzero(~alone)
    first = inputs[0]
    whole = len(inputs) == 1 and isinstance(first, MultiPolygon)
    if rest.size == 0 and whole and polys.size == shapely.get_num_geometries(first):
        _remember("dissolved", first, True)
        return cast("MultiPolygon", first)  # already dissolved: the same object, measures kept
    out = list(polys[alone])
    if rest.size:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        n = polys.size
        graph = coo_matrix((np.ones(left.size), (left, right)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        groups: dict[int, list[int]] = {}
        for i in rest:
            groups.setdefault(int(labels[i]), []).append(int(i))
        for members in groups.values():
            out.extend(polygons_of(shapely.union_all(polys[members])))
    result = MultiPolygon(out)
    if len(out) >= _ARRAY_FROM:
        _remember("dissolved", result, True)
    return result


def _ring_area_perimeter(ring: BaseGeometry) -> tuple[float, float]:
    lons, lats = ring.coords.xy
    area, perimeter = GEOD.polygon_area_perimeter(lons, lats)
    return abs(area), perimeter


def _ring_areas_perimeters(
    polys: Sequence[Polygon] | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unsigned geodesic area and perimeter of every ring, exteriors flagged.

    Rings in order: each polygon's exterior, then its holes.
    """
    rings, owner = shapely.get_rings(np.asarray(polys, dtype=object), return_index=True)
    coords, index = shapely.get_coordinates(rings, return_index=True)
    lons, lats = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])
    bounds = np.searchsorted(index, np.arange(len(rings) + 1))
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = owner[1:] != owner[:-1]
    polygon_area_perimeter = GEOD.polygon_area_perimeter
    edges = bounds.tolist()
    measured = [
        polygon_area_perimeter(lons[start:end], lats[start:end])
        for start, end in itertools.pairwise(edges)
    ]
    both = np.asarray(measured, dtype=float).reshape(len(rings), 2)
    return np.abs(both[:, 0]), both[:, 1], exterior


def geodesic_areas_m2(geoms: Sequence[BaseGeometry | None]) -> np.ndarray:
    """Geodesic area (m²) of each geometry of a sequence, holes subtracted, all at once.

    Each value is :func:`geodesic_area_m2` of the geometry (the rings summed in the same
    order); polygons, multipolygons, collections (their polygons), None and empty ones (0).

    Examples
    --------
    >>> from shapely.geometry import MultiPolygon, box
    >>> a, b = box(126.63, 37.93, 126.631, 37.931), box(126.64, 37.93, 126.641, 37.931)
    >>> areas = geodesic_areas_m2([a, MultiPolygon([a, b]), box(0, 0, 0, 0).buffer(0), None])
    >>> [round(x) for x in areas]
    [9758, 19516, 0, 0]
    >>> bool(areas[1] == geodesic_area_m2(MultiPolygon([a, b])))
    True
    """
    array = np.empty(len(geoms), dtype=object)
    array[:] = list(geoms)
    filled = ~shapely.is_empty(array) & ~shapely.is_missing(array)
    polys: list[Polygon] | np.ndarray
    if (shapely.get_type_id(array[filled]) == 3).all():  # polygons (or nothing): at once
        polys = array[filled]
        owners: list[int] | np.ndarray = np.flatnonzero(filled)
    else:
        polys, owners = [], []
        for k, geom in enumerate(array.tolist()):
            parts = polygons_of(geom)
            polys += parts
            owners += [k] * len(parts)
    sums = [0.0] * len(geoms)
    if len(polys):
        areas, _, exterior = _ring_areas_perimeters(polys)
        ring_owner = np.asarray(owners)[np.cumsum(exterior) - 1]
        # Summed ring by ring in order, like geodesic_area_perimeter.
        for k, area, ext in zip(
            ring_owner.tolist(), areas.tolist(), exterior.tolist(), strict=True
        ):
            sums[k] = sums[k] + area if ext else sums[k] - area
    return np.asarray(sums, dtype=float)


def geodesic_area_perimeter(geom: BaseGeometry | None) -> tuple[float, float]:
    """Geodesic area (m²) and perimeter (m) of a polygonal geometry in WGS 84 lon/lat.

    Holes are subtracted from the area and their boundaries added to the perimeter.
    Non-polygonal parts are ignored.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> a, p = geodesic_area_perimeter(box(126.63, 37.93, 126.64, 37.94))
    >>> round(a), round(p)
    (975758, 3978)
    >>> geodesic_area_perimeter(None)
    (0.0, 0.0)
    """
    polys = polygons_of(geom)
    if not polys:
        return 0.0, 0.0
    area = perimeter = 0.0
    if len(polys) < _ARRAY_FROM:
        for poly in polys:
            a, p = _ring_area_perimeter(poly.exterior)
            area += a
            perimeter += p
            for hole in poly.interiors:
                a, p = _ring_area_perimeter(hole)
                area -= a
                perimeter += p
        return area, perimeter
    assert geom is not None
    cached = _recall("measured", geom)
    if cached is not None:
        return cast("tuple[float, float]", cached)
    areas, perimeters, exterior = _ring_areas_perimeters(polys)
    for a, p, ext in zip(areas.tolist(), perimeters.tolist(), exterior.tolist(), strict=True):
        area = area + a if ext else area - a
        perimeter += p
    _remember("measured", geom, (area, perimeter))
    return area, perimeter


def geodesic_area_m2(geom: BaseGeometry | None) -> float:
    """Geodesic area in m² (see :func:`geodesic_area_perimeter`).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> round(geodesic_area_m2(box(126.63, 37.93, 126.631, 37.931)))
    9758
    """
    return geodesic_area_perimeter(geom)[0]


@overload
def to_utm(geom: BaseGeometry, epsg: int) -> BaseGeometry: ...
@overload
def to_utm(geom: NDArray[np.object_], epsg: int) -> NDArray[np.object_]: ...
def to_utm(geom: Any, epsg: int) -> Any:
    """Project a WGS 84 lon/lat geometry (or an array of them, at once) to a UTM zone (metres).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> p = to_utm(Point(126.6333, 37.9333), 32652)
    >>> round(p.x), round(p.y)
    (292007, 4201056)
    """
    transformer = _transformer(epsg)

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, project)


@lru_cache(maxsize=16)
def _inverse(epsg: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)


@overload
def from_utm(geom: BaseGeometry, epsg: int) -> BaseGeometry: ...
@overload
def from_utm(geom: NDArray[np.object_], epsg: int) -> NDArray[np.object_]: ...
def from_utm(geom: Any, epsg: int) -> Any:
    """Project a geometry (or an array of them) from UTM zone ``epsg`` back to WGS 84 lon/lat.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> p = from_utm(to_utm(Point(126.6333, 37.9333), 32652), 32652)
    >>> round(p.x, 9), round(p.y, 9)
    (126.6333, 37.9333)
    """
    transformer = _inverse(epsg)

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, project)


def utm_area_perimeter(geom: BaseGeometry | None, epsg: int) -> tuple[float, float]:
    """Planar area (m²) and perimeter (m) of a lon/lat geometry projected to UTM ``epsg``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> a, p = utm_area_perimeter(box(126.63, 37.93, 126.64, 37.94), 32652)
    >>> round(a), round(p)
    (976016, 3979)
    """
    polys = polygons_of(geom)
    if not polys:
        return 0.0, 0.0
    projected = to_utm(MultiPolygon(polys), epsg)
    return float(projected.area), float(projected.length)


@dataclass(frozen=True)
class Measure:
    """Size and shape of one epoch's footprint.

    Attributes
    ----------
    area_m2, perimeter_m : float
        Geodesic area and perimeter on WGS 84.
    area_utm_m2, perimeter_utm_m : float
        The same in the UTM zone ``utm_epsg`` (grid units, i.e. metres on the projection).
    utm_epsg : int
        The UTM zone's EPSG code.
    n_polygons, n_holes : int
        Number of separate polygons after dissolving, and of holes in them.
    polsby_popper : float
        Compactness ``4πA/P²`` (1 for a disc, about 0.785 for a square); NaN when empty.
    convex_hull_ratio : float
        Area over the area of the convex hull (1 for a convex shape); NaN when empty.
    utm_scale_pct : float
        How much the UTM projection itself enlarges areas at the footprint's centroid,
        ``100 × (areal scale − 1)``: what :attr:`utm_diff_pct` should be (+0.026 % at Kaesong,
        up to about +0.15 % at a zone's edge, −0.08 % on its central meridian).
    """

    area_m2: float
    perimeter_m: float
    area_utm_m2: float
    perimeter_utm_m: float
    utm_epsg: int
    n_polygons: int
    n_holes: int
    polsby_popper: float
    convex_hull_ratio: float
    utm_scale_pct: float = 0.0

    @property
    def area_km2(self) -> float:
        """Geodesic area in km²."""
        return self.area_m2 / 1e6

    @property
    def area_ha(self) -> float:
        """Geodesic area in hectares."""
        return self.area_m2 / 1e4

    @property
    def utm_diff_pct(self) -> float:
        """Relative difference of the UTM area from the geodesic area, in percent."""
        if self.area_m2 == 0:
            return 0.0
        return 100.0 * (self.area_utm_m2 - self.area_m2) / self.area_m2

    def utm_disagreement(self) -> str | None:
        """Why the UTM cross-check fails, or None when the two areas agree.

        They agree when the UTM area differs from the geodesic area by the projection's own
        areal scale at the footprint, within :data:`UTM_TOLERANCE_PCT`.

        Examples
        --------
        >>> import dataclasses
        >>> from shapely.geometry import box
        >>> m = measure_geometry(box(126.63, 37.93, 126.64, 37.94), 32652)
        >>> m.utm_disagreement() is None, f"{m.utm_diff_pct:+.3f}% {m.utm_scale_pct:+.3f}%"
        (True, '+0.026% +0.026%')
        >>> off = dataclasses.replace(m, area_utm_m2=m.area_m2 * 1.003)
        >>> print(off.utm_disagreement())  # doctest: +ELLIPSIS
        UTM area differs from the geodesic area by +0.300% where the projection's scale ...
        """
        if self.area_m2 == 0 or abs(self.utm_diff_pct - self.utm_scale_pct) <= UTM_TOLERANCE_PCT:
            return None
        return (
            f"UTM area differs from the geodesic area by {self.utm_diff_pct:+.3f}% where the "
            f"projection's scale accounts for {self.utm_scale_pct:+.3f}% (more than "
            f"{UTM_TOLERANCE_PCT}% apart: check the geometry and the site's UTM zone)"
        )


@functools.lru_cache(maxsize=64)
def _utm_proj(epsg: int) -> Any:
    from pyproj import Proj

    return Proj(f"EPSG:{epsg}")


def utm_areal_scale(lon: float, lat: float, utm_epsg: int) -> float:
    """The UTM zone's areal scale factor at (``lon``, ``lat``): projected over true area.

    Examples
    --------
    >>> round(utm_areal_scale(126.6333, 37.9333, 32652), 6)  # Kaesong, 2.4° west of 129°E
    1.000266
    >>> round(utm_areal_scale(129.0, 37.9333, 32652), 6)  # on the central meridian: 0.9996²
    0.9992
    """
    return float(_utm_proj(utm_epsg).get_factors(lon, lat).areal_scale)


def measure_geometry(geom: BaseGeometry | None, utm_epsg: int) -> Measure:
    """Measure a footprint: geodesic and UTM area and perimeter, and shape indices.

    The geometry's parts are dissolved first, so overlapping polygons count once.

    Parameters
    ----------
    geom : shapely geometry or None
        Polygonal geometry in WGS 84 lon/lat degrees.
    utm_epsg : int
        EPSG code of the UTM zone for the cross-check (the site's, ``Site.utm_epsg``).

    Returns
    -------
    Measure

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> disc = Point(126.63, 37.93).buffer(0.01, 256)  # an ellipse in metres
    >>> m = measure_geometry(disc, 32652)
    >>> round(m.polsby_popper, 2), round(m.convex_hull_ratio, 3), m.n_polygons
    (0.98, 1.0, 1)
    """
    shape = dissolve([geom] if geom is not None else [])
    area, perimeter = geodesic_area_perimeter(shape)
    projected = to_utm(shape, utm_epsg)  # once: the cross-check and the hull use it
    area_utm, perimeter_utm = float(projected.area), float(projected.length)
    if area > 0 and perimeter > 0:
        polsby_popper = 4.0 * math.pi * area / perimeter**2
        hull_utm = projected.convex_hull.area
        hull_ratio = area_utm / hull_utm if hull_utm > 0 else math.nan
    else:
        polsby_popper = hull_ratio = math.nan
    scale_pct = 0.0
    if not shape.is_empty:
        centroid = shape.centroid
        scale_pct = 100.0 * (utm_areal_scale(centroid.x, centroid.y, utm_epsg) - 1.0)
    return Measure(
        utm_scale_pct=scale_pct,
        area_m2=area,
        perimeter_m=perimeter,
        area_utm_m2=area_utm,
        perimeter_utm_m=perimeter_utm,
        utm_epsg=utm_epsg,
        n_polygons=len(shape.geoms),
        n_holes=int(shapely.get_num_interior_rings(polygons_of(shape)).sum()),
        polsby_popper=polsby_popper,
        convex_hull_ratio=hull_ratio,
    )
