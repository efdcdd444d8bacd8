"""How two footprints of one place agree: areas, overlap and the distance between outlines.

Areas are geodesic on WGS 84 (:func:`~kaesong_geo.measure.geodesic_area_m2`), so the
intersection over union does not depend on a projection. The Hausdorff distance is measured in
the site's UTM zone (metres), between the outlines (rings) as shapely defines it for polygons,
with every edge sampled at most :data:`HAUSDORFF_STEP_M` apart: the figure is the true one
within half that step.

Examples
--------
>>> from shapely.geometry import box
>>> from kaesong_geo.measure import from_utm
>>> a = from_utm(box(300_000, 4_200_000, 301_000, 4_201_000), 32652)  # 1 km squares,
>>> b = from_utm(box(300_100, 4_200_000, 301_100, 4_201_000), 32652)  # 100 m apart
>>> c = compare_footprints(a, b, 32652)
>>> round(c.iou, 3), round(c.hausdorff_m, 1)
(0.818, 100.0)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from kaesong_geo.measure import geodesic_area_m2, to_utm

__all__ = ["HAUSDORFF_STEP_M", "FootprintComparison", "compare_footprints", "hausdorff_m"]

#: Longest distance (m) between the points sampled along an outline for the Hausdorff distance.
HAUSDORFF_STEP_M = 1.0


@dataclass(frozen=True)
class FootprintComparison:
    """Figures comparing footprint ``a`` with footprint ``b`` (units in the names).

    Attributes
    ----------
    area_a_m2, area_b_m2 : float
        Geodesic areas.
    area_diff_m2 : float
        ``area_b_m2 - area_a_m2``.
    area_diff_pct : float or None
        ``area_diff_m2`` in percent of ``area_a_m2``; None when ``a`` is empty.
    intersection_m2, union_m2, sym_diff_m2 : float
        Geodesic areas of the intersection, union and symmetric difference.
    iou : float or None
        ``intersection_m2 / union_m2`` in [0, 1]; None when both are empty.
    hausdorff_m : float or None
        Hausdorff distance between the outlines in the UTM zone, within
        ``HAUSDORFF_STEP_M / 2``; None when either is empty.
    utm_epsg : int
        The UTM zone of ``hausdorff_m``.
    note : str
        One line when a figure is undefined (an empty footprint), else empty.
    """

    area_a_m2: float
    area_b_m2: float
    area_diff_m2: float
    area_diff_pct: float | None
    intersection_m2: float
    union_m2: float
    iou: float | None
    sym_diff_m2: float
    hausdorff_m: float | None
    utm_epsg: int
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The figures as a flat dictionary (what ``--format json`` writes).

        Examples
        --------
        >>> from shapely.geometry import Polygon
        >>> sorted(compare_footprints(Polygon(), Polygon(), 32652).as_dict())[:3]
        ['area_a_m2', 'area_b_m2', 'area_diff_m2']
        """
        return asdict(self)


def _outline_points(geom: BaseGeometry, step_m: float) -> np.ndarray:
    """Points along the rings of ``geom`` at most ``step_m`` apart (its vertices included)."""
    rings = shapely.segmentize(geom.boundary, step_m)
    points: np.ndarray = np.asarray(shapely.points(shapely.get_coordinates(rings)))
    return points


def hausdorff_m(a: BaseGeometry, b: BaseGeometry, step_m: float = HAUSDORFF_STEP_M) -> float:
    """Hausdorff distance between the outlines of two projected geometries, within ``step_m / 2``.

    Every ring of each is sampled at most ``step_m`` apart and each sample's distance to the
    other's rings taken exactly (point to segment): the distance to a ring changes by at most
    the distance moved, so the largest found is short of the true one by at most ``step_m / 2``.
    This is shapely's :func:`shapely.hausdorff_distance` (outlines, vertices to segments)
    made continuous, without comparing every densified vertex with every densified segment.

    Parameters
    ----------
    a, b : BaseGeometry
        Polygons or multipolygons in a metric CRS, neither empty.
    step_m : float
        Sampling step along the outlines.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> hausdorff_m(box(0, 0, 1000, 1000), box(100, 0, 1100, 1000))
    100.0
    >>> ends = box(0, 0, 100, 100).union(box(900, 0, 1000, 100))  # farthest: mid-edge of the
    >>> round(hausdorff_m(box(0, 0, 1000, 100), ends), 1)  # long box, not one of its vertices
    400.0
    """
    if a.is_empty or b.is_empty:
        raise ValueError("the Hausdorff distance of an empty geometry is undefined")
    return max(_directed_m(a, b, step_m), _directed_m(b, a, step_m))


def _segments(geom: BaseGeometry) -> np.ndarray:
    """Every edge of the rings of ``geom``, as two-point lines."""
    lines = shapely.get_parts(shapely.get_parts(geom.boundary))
    coords, index = shapely.get_coordinates(lines, return_index=True)
    same = index[1:] == index[:-1]
    pairs = np.stack([coords[:-1][same], coords[1:][same]], axis=1)
    segments: np.ndarray = np.asarray(shapely.linestrings(pairs))
    return segments


def _directed_m(a: BaseGeometry, b: BaseGeometry, step_m: float) -> float:
    """The largest distance from a point of the outline of ``a`` to the outline of ``b``."""
    tree = shapely.STRtree(_segments(b))  # nearest edge per point: n log m, not n x m
    _, distances = tree.query_nearest(_outline_points(a, step_m), return_distance=True)
    return float(distances.max())


def compare_footprints(a: BaseGeometry, b: BaseGeometry, utm_epsg: int) -> FootprintComparison:
    """Compare two WGS 84 (lon, lat) footprints: areas, intersection over union, Hausdorff.

    Parameters
    ----------
    a, b : BaseGeometry
        Polygons or multipolygons, longitude first; either may be empty.
    utm_epsg : int
        The UTM zone the Hausdorff distance is measured in (the site's).

    Returns
    -------
    FootprintComparison

    Examples
    --------
    >>> from shapely.geometry import Polygon, box
    >>> sq = box(126.63, 37.92, 126.64, 37.93)
    >>> c = compare_footprints(sq, sq, 32652)
    >>> c.iou, round(c.hausdorff_m, 6), c.sym_diff_m2, c.area_diff_pct
    (1.0, 0.0, 0.0, 0.0)
    >>> e = compare_footprints(Polygon(), sq, 32652)
    >>> e.iou, e.hausdorff_m, e.area_diff_pct
    (0.0, None, None)
    >>> e.note
    'footprint A is empty: no Hausdorff distance, no difference in percent'
    """
    area_a, area_b = geodesic_area_m2(a), geodesic_area_m2(b)
    if a.is_empty or b.is_empty:
        inter = 0.0
        union = area_a + area_b
        sym = union
    else:
        inter = geodesic_area_m2(shapely.intersection(a, b))
        union = geodesic_area_m2(shapely.union(a, b))
        sym = geodesic_area_m2(shapely.symmetric_difference(a, b))
    iou = None if union == 0 else min(max(inter / union, 0.0), 1.0)
    distance = None
    if not (a.is_empty or b.is_empty):
        distance = hausdorff_m(to_utm(a, utm_epsg), to_utm(b, utm_epsg))
    empty = [name for name, g in (("A", a), ("B", b)) if g.is_empty]
    note = ""
    if len(empty) == 2:
        note = "both footprints are empty: no intersection over union, no Hausdorff distance"
    elif empty:
        note = f"footprint {empty[0]} is empty: no Hausdorff distance"
        note += ", no difference in percent" if a.is_empty else ""
    pct = None if area_a == 0 else (area_b - area_a) / area_a * 100.0
    if pct is not None and not math.isfinite(pct):  # pragma: no cover - areas are finite
        pct = None
    return FootprintComparison(
        area_a_m2=area_a,
        area_b_m2=area_b,
        area_diff_m2=area_b - area_a,
        area_diff_pct=pct,
        intersection_m2=inter,
        union_m2=union,
        iou=iou,
        sym_diff_m2=sym,
        hausdorff_m=distance,
        utm_epsg=utm_epsg,
        note=note,
    )
